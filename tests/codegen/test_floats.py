"""The float variant of generated code (s2sad.codegen.floats) and the call
path that picks it (s2sad.api): same results as the NumPy code (to an ulp),
gradients that agree with central differences, NumPy's nan/inf and warnings
where ``math`` raises, and a stale helper still noticed."""

import math
import types
import warnings

import numpy as np
import pytest

import s2sad
from s2sad.codegen.floats import MATH_OF_NUMPY


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loop(x, steps=20):
    for _ in range(steps):
        x = x * 0.99 + np.sin(x) * 0.01
    return x


def mixed(x, y, n=3):
    z = x ** 3 + y * y * np.exp(-x) / (1.0 + x * x)
    if x > y:
        z = z * np.tanh(y)
    else:
        z = z * y
    for _ in range(n):
        z = z + np.sqrt(z * z + 1.0) * 0.1 + np.cos(x) ** 2
    return np.log1p(z * z) + x ** 0.5


def special(x, y):
    return np.arctan(x * y) + np.cosh(x) - np.log10(y) + np.expm1(x) * np.log2(y) + 3.0 * x


CASES = [  # (function, wrt, argument sampler)
    (lecture, (0, 1), lambda r: (r.uniform(0.1, 5.0), r.uniform(-5.0, 5.0))),
    (loop, 0, lambda r: (r.uniform(-3.0, 3.0),)),
    (mixed, (0, 1), lambda r: (r.uniform(0.1, 2.0), r.uniform(-2.0, 2.0))),
    (special, (0, 1), lambda r: (r.uniform(-1.0, 1.0), r.uniform(0.5, 3.0))),
]


def _entry(g, args):
    return g._hit(args)  # (function run, validity check, post-processing, derivative, defaults)


def _central(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("f, wrt, sample", CASES, ids=[c[0].__name__ for c in CASES])
def test_float_variant_agrees_with_numpy_code_and_central_differences(f, wrt, sample):
    rng = np.random.default_rng(11)
    g = s2sad.grad(f, wrt=wrt)
    vg = s2sad.value_and_grad(f, wrt=wrt)
    for _ in range(25):
        args = sample(rng)
        first = g(*args)  # the first call of these types runs the NumPy code, the next ones the float variant
        got = g(*args)
        assert got == pytest.approx(first, rel=1e-13)
        entry = _entry(g, args)
        d = entry[3]
        assert d.float_variant() is not None and entry[0] is d.float_variant()[0]  # the float variant ran
        out = d.fn(*args)  # grad's code returns the gradients alone when the output is proven 0-d
        value, want = (vg(*args)[0], out) if d.gradient_only else out
        want = want if isinstance(want, tuple) else (want,)
        got_t = got if isinstance(got, tuple) else (got,)
        assert all(type(v) is float for v in got_t)
        for a, b in zip(got_t, want):
            assert a == pytest.approx(float(b), rel=1e-13, abs=1e-300)  # an ulp per operation, carried through
        v2, g2 = vg(*args)
        assert v2 == pytest.approx(float(value), rel=1e-13, abs=1e-300)
        assert g2 == got
        positions = (wrt,) if isinstance(wrt, int) else wrt
        for k, i in enumerate(positions):
            assert got_t[k] == pytest.approx(_central(f, args, i), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name", sorted(MATH_OF_NUMPY))
def test_math_counterpart_within_an_ulp_of_numpy(name):
    rng = np.random.default_rng(5)
    low, high = {"arccos": (-1, 1), "arcsin": (-1, 1), "arctanh": (-1, 1), "arccosh": (1, 50), "log1p": (-1, 50),
                 "log": (0, 50), "log2": (0, 50), "log10": (0, 50), "sqrt": (0, 50)}.get(name, (-20, 20))
    xs = np.concatenate([rng.uniform(low, high, 300), rng.uniform(low, high, 50) * 1e-8 + (low + high) / 2])
    ours, theirs = getattr(math, MATH_OF_NUMPY[name]), getattr(np, name)
    for x in map(float, xs):
        want = theirs(x)
        got = ours(x)
        assert type(got) is float
        # where NumPy calls the C library: the same bits; where it has its own SIMD loops (tanh everywhere,
        # most functions on CPUs with AVX-512), within the 4 ulp NumPy documents for them; square root and
        # absolute value are correctly rounded by both
        ulps = 0 if name in ("sqrt", "fabs", "absolute") else 4
        assert abs(got - want) <= ulps * np.spacing(abs(float(want))), (name, x, got, want)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for x in (math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1.0, 1e308, -1e308):
            want = float(theirs(x))
            try:
                got = ours(x)
            except (ValueError, OverflowError):
                continue  # the float variant falls back to NumPy here
            if math.isfinite(want) and want != 0.0:
                assert abs(got - want) <= ulps * np.spacing(abs(want)), (name, x, got, want)
            else:  # infinities, nans and signed zeros: the same
                assert got == want and math.copysign(1, got) == math.copysign(1, want) or (
                    math.isnan(got) and math.isnan(want)), (name, x, got, want)


def test_domain_error_falls_back_to_numpy_nan_and_warning():
    g = s2sad.value_and_grad(lecture, wrt=(0, 1))
    g(2.0, 5.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, (g1, g2) = g(-1.0, 5.0)
    assert math.isnan(value) and g1 == -1.0 + 5.0 and g2 == pytest.approx(-1.0 - np.cos(5.0))
    assert any("invalid value encountered in log" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, _ = g(1.0, 5.0)  # the float variant again, no warning
    assert not caught and value == pytest.approx(5.0 - np.sin(5.0))


def shrinking(x, steps=8):
    for _ in range(steps):
        x = np.log(x) + 0.5  # goes below 0 after a few steps from x = 3.0: log of a negative number
    return x * x


def test_fallback_after_rebinding_starts_from_the_arguments():
    g = s2sad.value_and_grad(shrinking)
    g(3.0)
    d = _entry(g, (3.0,))[3]
    for x in (3.0, 1.7, 0.9):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = g(x)
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            want = d.fn(x)
        assert _entry(g, (x,))[0] is d.float_variant()[0]
        assert np.allclose(got, want, equal_nan=True, rtol=1e-13, atol=0)
        assert [str(w.message) for w in caught] == [str(w.message) for w in expected]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(g(3.0)[0])  # the domain error was met: the NumPy code ran, from x = 3.0
    g(40.0, 2)
    value, grad = g(40.0, 2)  # two steps stay in the domain: the float variant's own result
    assert _entry(g, (40.0, 2))[0] is d.float_variant()[0] or _entry(g, (40.0, 2))[3] is not d
    assert math.isfinite(value) and grad == pytest.approx(_central(shrinking, (40.0, 2), 0), rel=1e-5)


def overflow(x):
    return np.exp(x) * np.exp(x)


def test_overflow_and_division_by_zero_are_numpys():
    g = s2sad.grad(overflow)
    g(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert g(400.0) == math.inf  # exp(400) ** 2 overflows: NumPy's inf, with its warning
    assert any("overflow" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert g(1000.0) == math.inf  # math.exp(1000.0) raises OverflowError: the NumPy code runs
    assert any("overflow" in str(w.message) for w in caught)
    with pytest.raises(ZeroDivisionError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2sad.grad(lecture, wrt=(0, 1))(0.0, 1.0)  # as the NumPy code: y_bar / x1 on Python floats


def lambda_sum(x, y):
    return np.sum(np.log(x) + x * y)


def test_numpy_scalars_and_arrays_take_the_numpy_code():
    g = s2sad.grad(lecture, wrt=(0, 1))
    got = g(np.float64(2.0), np.float64(5.0))
    assert all(type(v) is np.float64 for v in got)
    assert _entry(g, (np.float64(2.0), np.float64(5.0)))[0] is _entry(g, (np.float64(2.0), np.float64(5.0)))[3].fn
    for shape in [(), (3,), (2, 3)]:
        x = np.random.default_rng(3).uniform(0.5, 2.0, shape)
        gx = s2sad.grad(lambda_sum)(x, 5.0)
        assert type(gx) is np.ndarray and gx.shape == np.shape(x)
        assert np.allclose(gx, 1 / x + 5.0)


def test_float_variant_refused_for_code_it_cannot_prove():
    def helper(x):
        return np.sin(x) * 2.0

    def calls_helper(x):
        return helper(x) + np.sign(x) * x

    g = s2sad.grad(calls_helper)
    assert g(0.5) == pytest.approx(2 * np.cos(0.5) + 1.0)
    assert _entry(g, (0.5,))[3].float_variant() is None


def test_defaults_left_out_take_the_fast_path_and_follow_the_function():
    g = s2sad.grad(loop)
    want = g(0.7, 20)
    assert g(0.7) == want
    assert _entry(g, (0.7,)) is not None
    loop.__defaults__ = (5,)
    try:
        assert g(0.7) == g(0.7, 5) != want
    finally:
        loop.__defaults__ = (20,)


def test_helper_redefined_is_seen_by_the_fast_path():
    ns = {"np": np}
    exec(compile("def act(x):\n    return np.sin(x)\n", "<cell1>", "exec"), ns)
    source = "def f(x):\n    return act(x) * x\n"
    f = types.FunctionType(compile(source, "<cell2>", "exec").co_consts[0], ns)
    import linecache
    linecache.cache["<cell2>"] = (len(source), None, source.splitlines(True), "<cell2>")
    linecache.cache["<cell1>"] = (0, None, ["def act(x):\n", "    return np.sin(x)\n"], "<cell1>")
    g = s2sad.grad(f)
    assert g(0.5) == pytest.approx(np.sin(0.5) + 0.5 * np.cos(0.5))
    g(0.5)
    exec(compile("def act(x):\n    return np.cos(x)\n", "<cell3>", "exec"), ns)
    linecache.cache["<cell3>"] = (0, None, ["def act(x):\n", "    return np.cos(x)\n"], "<cell3>")
    assert g(0.5) == pytest.approx(np.cos(0.5) - 0.5 * np.sin(0.5))


def test_show_prints_the_numpy_code():
    text = s2sad.source(lecture, wrt=(0, 1))
    assert "np.log(x1)" in text and "math." not in text
