"""Calls as ML users write them: ``*args`` and ``**kwargs``, functions passed
as values (NumPy functions, user functions, lambdas, as arguments or
defaults), iteration over what a helper returns (lists, generator
functions), ``map``/``filter``/``functools.partial``, ``zip(*pairs)``.

Each construct is checked against central differences in both modes: the
reverse-mode gradient with ``s2sad.check_grad``, the forward-mode ``jvp``
along a random direction. Refusals name the construct."""

import functools

import numpy as np
import pytest

import s2sad

# ------------------------------------------------------------------ helpers


def cm(W, *args):
    return W @ np.hstack(args + (np.ones(1),))


def uses_cm(W, a, b):
    return np.sum(np.tanh(cm(W, a, b)))


def stars_through(W, *xs):
    return np.sum(cm(W, *xs) ** 2)


def star_of_tuple(W, a, b):
    pair = (a, b)
    return np.sum(cm(W, *pair)) + np.sum(np.maximum(*pair[:1], 0.1))


def scaled(x, **kw):
    return np.sum(x * kw["scale"] + kw.get("shift", 0.0) * np.sin(x))


def uses_kwargs(x, s):
    return scaled(x, scale=s) + scaled(x, scale=s * s, shift=s)


def passes_kwargs_on(x, **kw):
    return scaled(x, **kw) * 2.0


def f3(x, nonlinearity=np.tanh):
    return np.sum(nonlinearity(x))


def square(v):
    return v * v


def ode(f, y0, h=0.1):
    y = y0
    for _ in range(3):
        y = y + h * f(y)
    return np.sum(y)


def rhs(y):
    return -y * np.cos(y)


def ode_callers(y0):
    return ode(rhs, y0) + ode(np.sin, y0) + ode(lambda y: 0.5 * y * y, y0)


def nested_def_passed(y0):
    def decay(y):
        return np.exp(-y)

    return ode(decay, y0)


def apply_twice(fn, x, act=np.tanh):
    return fn(act(fn(x)))


def default_function_left_out(x):
    return np.sum(apply_twice(square, x)) + np.sum(apply_twice(np.sin, x, act=square))


def pairs(p):
    return [(p[i], p[i + 1]) for i in range(len(p) - 1)]


def unpack(p):
    for i in range(2):
        yield p[i], p[i + 1]


def more(p):
    yield p[0] * 2.0
    yield from [p[1], p[2]]


def loops_over_helper_results(p):
    s = 0.0
    for a, b in pairs(p):
        s = s + a * np.sin(b)
    for a, b in unpack(p):
        s = s + a * b
    for v in more(p):
        s = s + v * v
    return s


def ll(p, d):
    return np.sum(np.tanh(p * d))


DATA = [np.array([0.3, -0.2, 0.5, 0.1]), np.array([-0.4, 0.8, 0.2, -0.6]), np.array([0.9, 0.1, -0.3, 0.4])]


def maps_and_filters(p):
    total = sum(map(functools.partial(ll, p), DATA))
    total = total + sum(map(lambda d: np.sum(d * p * p), DATA))
    total = total + sum(map(np.sin, p)) + sum(list(map(square, p)))
    k = 0.5
    total = total + sum(map(lambda v: k * v, p))  # a lambda reading the function's own k, called here
    g = functools.partial(ll, p)  # a partial bound to a name, called and mapped
    total = total + g(DATA[0]) + sum(map(g, DATA[1:]))
    return total + sum(filter(lambda v: v > 0.0, p))


def unzips(p):
    prs = pairs(p)
    s = 0.0
    for a, b in zip(*prs[:2]):
        s = s + a * b
    return s


_RS = np.random.RandomState(0)


def noisy(y):
    return y * (1.0 + 0.0 * _RS.randn())


def impure_function_passed(y0):
    return ode(noisy, y0)


RNG = np.random.default_rng(5)
W = RNG.normal(size=(2, 4))
A = RNG.normal(size=2)
B = RNG.normal(size=1)
X = np.array([0.3, -0.5, 1.2, 0.7])

CASES = [
    ("*args helper", uses_cm, (W, A, B), (0, 1, 2)),
    ("*args top level", stars_through, (W, A, B), 0),
    ("f(*xs) of a tuple", star_of_tuple, (W, A, B), (0, 1, 2)),
    ("**kwargs helper", uses_kwargs, (X, 0.7), (0, 1)),
    ("NumPy function default", f3, (X,), 0),
    ("NumPy function passed", f3, (X, np.sin), 0),
    ("user function passed", f3, (X, square), 0),
    ("functions and lambdas passed on", ode_callers, (X,), 0),
    ("nested def passed", nested_def_passed, (X,), 0),
    ("function default left out", default_function_left_out, (X,), 0),
    ("iteration over lists and generators", loops_over_helper_results, (X,), 0),
    ("map, filter, partial", maps_and_filters, (X,), 0),
    ("zip(*pairs)", unzips, (X,), 0),
    ("impure function passed", impure_function_passed, (X,), 0),
]


def _jvp_check(fn, args, wrt, seed=0):
    """jvp along a random direction against central differences."""
    positions = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    rng = np.random.default_rng(seed)
    direction = [rng.standard_normal(np.shape(args[k])) for k in positions]
    tangents = [d if np.ndim(args[k]) else float(d) for d, k in zip(direction, positions)]
    _, tangent = s2sad.jvp(fn, wrt=positions)(*args, tuple(tangents))
    eps = 1e-6

    def at(sign):
        moved = list(args)
        for d, k in zip(tangents, positions):
            moved[k] = args[k] + sign * eps * d
        return fn(*moved)

    numeric = (at(1) - at(-1)) / (2 * eps)
    assert np.allclose(tangent, numeric, rtol=1e-5, atol=1e-7), (tangent, numeric)


@pytest.mark.parametrize("what,fn,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_reverse_mode_agrees_with_central_differences(what, fn, args, wrt):
    s2sad.check_grad(fn, *args, wrt=wrt)


@pytest.mark.parametrize("what,fn,args,wrt", CASES, ids=[c[0] for c in CASES])
def test_forward_mode_agrees_with_central_differences(what, fn, args, wrt):
    _jvp_check(fn, args, wrt)


def test_star_args_at_the_top_level_with_keyword_arguments_passed_on():
    s2sad.check_grad(stars_through, W, A, B)
    s2sad.check_grad(passes_kwargs_on, X, scale=0.3, shift=1.5)
    # the derivative of cm takes the call's arguments as they are
    g = s2sad.grad(lambda W, a, b: np.sum(cm(W, a, b)))(W, A, B)
    assert g.shape == W.shape


def test_second_derivatives_through_functions_passed():
    v = np.array([0.2, -0.1, 0.4, 0.3])
    hv = s2sad.hvp(ode_callers)(X, v)
    eps = 1e-5
    g = s2sad.grad(ode_callers)
    numeric = (g(X + eps * v) - g(X - eps * v)) / (2 * eps)
    assert np.allclose(hv, numeric, rtol=1e-5, atol=1e-7)


def test_cache_is_keyed_by_the_function_passed():
    g = s2sad.grad(f3)
    tanh_grad = g(X)
    sin_grad = g(X, np.sin)
    square_grad = g(X, square)
    again = g(X)  # back to the default: not the derivative built for np.sin
    assert np.allclose(tanh_grad, 1 - np.tanh(X) ** 2)
    assert np.allclose(sin_grad, np.cos(X))
    assert np.allclose(square_grad, 2 * X)
    assert np.allclose(again, tanh_grad)
    assert "np.sin" not in g.source(X, square)
    assert "dsquare" in g.source(X, square)


def test_a_rebound_function_passed_by_a_global_name_is_seen():
    global rhs
    before = s2sad.grad(ode_callers)(X)
    saved = rhs
    try:
        rhs = square  # noqa: F811 - the point: ode_callers's derivative is stale now
        after = s2sad.grad(ode_callers)(X)
    finally:
        rhs = saved
    s2sad.check_grad(ode_callers, X)
    assert not np.allclose(before, after)


def test_an_impure_function_passed_is_run_once():
    source = s2sad.grad(impure_function_passed).source(X)
    assert "_fwd(" in source  # ode calling noisy is not pure: kept, not re-run


def _refusal(fn, *args):
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(fn)(*args)
    return str(info.value)


def captures(y0, k):
    return ode(lambda y: -k * y, y0)


def infinite(p):
    while True:
        yield p


def loops_over_infinite(p):
    s = 0.0
    for a, _ in zip(infinite(p), range(3)):
        s = s + np.sum(a)
    return s


def prints(p):
    for i in range(2):
        print(i)
        yield p[i]


def loops_over_printing_generator(p):
    s = 0.0
    for v in prints(p):
        s = s + v
    return s


def star_of_list(W, a, b):
    xs = [a, b]
    return np.sum(cm(W, *xs))


_OPTIONS = {"scale": 2.0}


def passes_dict(x):
    return scaled(x, **_OPTIONS)


def kwargs_as_dict(x, **kw):
    return x * len(kw)


def calls_kwargs_as_dict(x):
    return np.sum(kwargs_as_dict(x, a=1.0))


@pytest.mark.parametrize("fn,args,needle", [
    (captures, (X, 2.0), "lambda passed as an argument that reads the enclosing function's variable `k`"),
    (loops_over_infinite, (X,), "generator with a while loop"),
    (loops_over_printing_generator, (X,), "not pure"),
    (star_of_list, (W, A, B), "how many arguments this *-expression passes"),
    (passes_dict, (X,), "**d"),
    (calls_kwargs_as_dict, (X,), "use of **kw"),
], ids=["capturing lambda", "infinite generator", "impure generator", "*list", "**dict", "**kw as a dict"])
def test_refusals_name_the_construct(fn, args, needle):
    text = _refusal(fn, *args)
    assert needle in text
    assert "test_calls.py" in text and "hint:" in text


def test_wrt_the_star_args_is_refused_clearly():
    with pytest.raises(s2sad.ArgumentError, match="no argument 'args'"):
        s2sad.grad(cm, wrt="args")


# ------------------------------------------------------ methods of objects


class Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x, params):
        return np.tanh(x * self.w + params) + self.skip(x)

    def skip(self, x):
        return 0.1 * x


class SinLayer(Layer):
    def forward(self, x, params):
        return np.sin(x) * self.w + params


def through_layers(x, params, layers):
    for layer in layers:
        x = layer.forward(x, params)
    return np.sum(x)


def makes_layers(x, params):
    y = x
    for layer in [Layer(0.7), Layer(-0.4)]:
        y = layer.forward(y, params)
    return np.sum(y)


def mixed_layers(x, params):
    y = x
    for layer in [Layer(0.7), SinLayer(-0.4)]:  # two classes: s2sad cannot tell which forward
        y = layer.forward(y, params)
    return np.sum(y)


class Hides(Layer):
    def __init__(self, w):
        super().__init__(w)
        self.forward = lambda x, params: x * 100.0


def hidden_method(x):
    for layer in [Hides(0.5)]:
        x = layer.forward(x, 0.0)
    return np.sum(x)


@pytest.mark.parametrize("layers", [[Layer(0.7), Layer(-0.4)], [SinLayer(0.7), SinLayer(-0.4)]],
                         ids=["Layer", "SinLayer"])
def test_methods_of_objects_in_a_list_argument(layers):
    s2sad.check_grad(through_layers, X, 0.2, layers, wrt=(0, 1))
    _jvp_check(through_layers, (X, 0.2, layers), (0, 1))


def test_a_list_of_another_class_gets_another_derivative():
    g = s2sad.grad(through_layers)
    a = g(X, 0.2, [Layer(0.7)])
    b = g(X, 0.2, [SinLayer(0.7)])
    assert np.allclose(a, (1 - np.tanh(X * 0.7 + 0.2) ** 2) * 0.7 + 0.1)
    assert np.allclose(b, np.cos(X) * 0.7)


def test_methods_of_objects_made_in_the_function():
    s2sad.check_grad(makes_layers, X, 0.2, wrt=(0, 1))
    _jvp_check(makes_layers, (X, 0.2), (0, 1))


def test_objects_of_two_classes_or_hiding_a_method_are_refused():
    assert "method .forward()" in _refusal(mixed_layers, X, 0.2)
    assert "self.forward = ..." in _refusal(hidden_method, X)


def test_an_object_built_from_a_value_with_a_derivative_is_refused():
    def builds(x, w):
        return np.sum(Layer(w).forward(x, 0.0))

    with pytest.raises(s2sad.NoRuleError, match="Layer"):
        s2sad.grad(builds, wrt=1)(X, 0.5)


class NoisySkip(Layer):
    def skip(self, x):
        return x * (1.0 + 0.0 * np.random.randn())


def test_a_method_calling_methods_is_pure_only_if_they_are():
    pure = s2sad.grad(through_layers).source(X, 0.2, [Layer(0.7)])
    noisy = s2sad.grad(through_layers).source(X, 0.2, [NoisySkip(0.7)])
    assert "_fwd(" not in pure  # Layer.forward calls Layer.skip, pure: re-run in the reverse sweep
    assert "_fwd(" in noisy  # NoisySkip.skip draws: forward is run once, its reverse sweep kept
    s2sad.check_grad(through_layers, X, 0.2, [NoisySkip(0.7)], wrt=(0, 1))
