"""Writes into arguments: ``x[i] = v``, ``x += v`` ... on an array argument.

The derivative works on its own copy of a written argument (``x = x.copy()``
first in its forward sweep) and leaves the caller's array untouched; the
adjoint of ``x`` is that of its value on entry. Each program is checked
against central differences in reverse mode (``check_grad``, which evaluates
the function on copies) and in forward mode (``jvp`` along a random direction),
and the caller's arrays are compared bitwise with saved copies after every
call of a derivative. Two arguments sharing memory while one is written are
refused when the derivative is called; a helper writing into its argument is
refused at the call (tests/e2e/test_errors.py)."""

import numpy as np
import pytest

import s2sad
from s2sad.pipeline import build_forward

# ------------------------------------------------------------------ programs


def write_entry(x):
    x[0] = 2.0 * x[1]
    return np.sum(x * x)


def write_entry_tangent_test(x):  # tangent's test corpus: the overwritten entry is read first
    y = x[0] * 3.0
    x[0] = np.sin(x[2])
    return np.sum(x * y)


def write_slice(x):
    x[1:3] = x[0] * np.array([2.0, -1.0])
    return np.sum(np.sin(x) * x)


def write_column(W):
    W[:, 1] = W[:, 0] ** 2
    return np.sum(W * W)


def write_mask(x):
    x[x > 0.0] = 0.5 * x[x > 0.0] ** 2
    return np.sum(x * np.arange(1.0, 5.0))


def write_fancy_repeats(x):
    x[np.array([2, 0, 2])] = np.array([x[1], x[3] * 2.0, x[0] * x[1]])
    return np.sum(x ** 3)


def write_zero_d(x):
    x[()] = x * 3.0
    return x * x


def update_entry(x):
    x[1] += x[0] * x[2]
    return np.sum(x ** 2)


def update_fancy_repeats(x):
    x[[0, 0, 3]] += x[1:4] * 2.0
    return np.sum(x * x)


def update_whole(x, v):
    x += v
    x -= 0.5 * v * v
    return np.sum(x * x)


def scale_whole(x, c):
    x *= c
    x /= 1.0 + c * c
    return np.sum(np.tanh(x))


def update_then_write(x):
    x *= 2.0
    x[2] = x[0] * x[1]
    return np.sum(x ** 2)


def write_in_loop(x):
    for i in range(1, x.shape[0]):
        x[i] = x[i - 1] * 0.5 + x[i]
        x[i - 1] += 0.25 * x[i]
    return np.sum(x ** 2)


def update_in_while(x):
    k = 0
    while k < 3:
        x *= 0.9
        x[k] = np.cos(x[k])
        k += 1
    return np.sum(x * x)


def write_two_arguments(x, y):
    x[0] = y[1] * 2.0
    y[2] = x[1] * x[0]
    return np.sum(x * y)


def write_one_read_other(x, y):
    x[:2] = y[1:] * y[0]
    return np.sum(x * y)


def write_in_branch(x):
    if x[0] > 0.0:
        x[0] = x[1] ** 2
    else:
        x[1] = x[0] ** 2
    return np.sum(x * x)


def rebound_before_write(x):
    x = x * 2.0
    x[0] = 1.0
    return np.sum(x * x)


def write_returned(x):
    x[1] = x[0] * 3.0
    return x * 2.0


def write_via_name(x):
    y = x
    y[0] = y[1] * 2.0
    return np.sum(y * y)


# refused before writes into arguments were differentiated (they were in tests/e2e/error_cases.py)
def writes_argument(x):
    x[0] = 2.0 * x[1]
    return np.sum(x)


def inplace_on_argument(x):
    x += 1.0
    return np.sum(x * x)


def inplace_on_copy_of_argument(x):
    s = x
    s *= 2.0
    return np.sum(s)


_X4 = np.array([0.7, -1.2, 0.4, 1.9])

# (program, arguments, wrt)
ACCEPTED = [
    (write_entry, (_X4,), 0),
    (write_entry_tangent_test, (_X4,), 0),
    (write_slice, (_X4,), 0),
    (write_column, (np.array([[0.3, 1.0], [-0.6, 2.0], [1.1, 0.5]]),), 0),
    (write_mask, (_X4,), 0),
    (write_fancy_repeats, (_X4,), 0),
    (write_zero_d, (np.array(0.8),), 0),
    (update_entry, (_X4,), 0),
    (update_fancy_repeats, (_X4,), 0),
    (update_whole, (_X4, _X4[::-1] * 0.5), (0, 1)),
    (scale_whole, (_X4, 1.3), (0, 1)),
    (update_then_write, (_X4,), 0),
    (write_in_loop, (_X4,), 0),
    (update_in_while, (_X4,), 0),
    (write_two_arguments, (_X4, _X4[::-1] * 1.5), (0, 1)),
    (write_one_read_other, (_X4[:3], np.array([0.2, -0.8, 1.3])), (0, 1)),
    (write_in_branch, (_X4,), 0),
    (write_in_branch, (-_X4,), 0),
    (rebound_before_write, (_X4,), 0),
    (write_via_name, (_X4,), 0),
    (writes_argument, (_X4,), 0),
    (inplace_on_argument, (_X4,), 0),
    (inplace_on_copy_of_argument, (_X4,), 0),
]
IDS = [f"{fn.__name__}-{k}" for k, (fn, _, _) in enumerate(ACCEPTED)]


def _fresh(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _unchanged(args, saved):
    for a, b in zip(args, saved):
        if isinstance(a, np.ndarray):
            assert a.tobytes() == b.tobytes() and a.shape == b.shape, "the caller's array changed"
        else:
            assert a == b


def _names(fn, wrt):
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(fn.__code__.co_varnames[k] for k in wrt)


@pytest.mark.parametrize("fn,args,wrt", ACCEPTED, ids=IDS)
def test_reverse_mode_against_central_differences(fn, args, wrt):
    args = _fresh(args)
    saved = _fresh(args)
    s2sad.check_grad(fn, *args, wrt=wrt)
    _unchanged(args, saved)
    value, _ = s2sad.value_and_grad(fn, wrt=wrt)(*args)
    _unchanged(args, saved)
    assert value == pytest.approx(fn(*_fresh(args)), rel=1e-12)


@pytest.mark.parametrize("fn,args,wrt", ACCEPTED, ids=IDS)
def test_forward_mode_against_central_differences(fn, args, wrt):
    args = _fresh(args)
    saved = _fresh(args)
    rng = np.random.default_rng(7)
    idx = wrt if isinstance(wrt, tuple) else (wrt,)
    dirs = tuple(rng.standard_normal(np.shape(args[k])) if np.ndim(args[k]) else 0.6 for k in idx)
    value, tangent = s2sad.jvp(fn, wrt=wrt)(*args, dirs if isinstance(wrt, tuple) else dirs[0])
    _unchanged(args, saved)
    eps = 1e-6

    def at(sign):
        moved = list(_fresh(args))
        for k, d in zip(idx, dirs):
            step = moved[k] + sign * eps * d
            moved[k] = np.array(step) if isinstance(moved[k], np.ndarray) else step  # a 0-d array stays one
        return fn(*moved)

    assert value == pytest.approx(fn(*_fresh(args)), rel=1e-12)
    assert float(tangent) == pytest.approx(float((at(1) - at(-1)) / (2 * eps)), rel=1e-6, abs=1e-8)


def test_vjp_of_a_written_argument_returned():
    x = _X4.copy()
    saved = x.copy()
    u = np.array([0.3, -1.0, 2.0, 0.5])
    value, x_bar = s2sad.vjp(write_returned)(x, u)
    _unchanged((x,), (saved,))
    assert np.array_equal(value, write_returned(x.copy()))
    # y = 2 * (x0, 3 x0, x2, x3): x1 is overwritten before it is read, its adjoint is zero
    assert np.allclose(x_bar, [2 * u[0] + 6 * u[1], 0.0, 2 * u[2], 2 * u[3]], rtol=1e-12)


def test_second_order_through_a_written_argument():
    x = _X4.copy()
    saved = x.copy()
    v = np.array([0.5, -0.3, 1.1, 0.2])
    hv = s2sad.hvp(write_entry)(x, v)
    _unchanged((x,), (saved,))
    g = s2sad.grad(write_entry)
    eps = 1e-5
    numeric = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    assert np.allclose(hv, numeric, rtol=1e-6, atol=1e-8)


def test_generated_code_copies_only_the_written_argument():
    src = s2sad.grad(write_one_read_other, wrt=(0, 1)).source(np.ones(3), np.ones(3))
    assert "x_1 = x.copy()  # s2sad: the caller's x is left untouched" in src
    assert "y.copy()" not in src
    assert src.count(".copy()") == 1
    fwd = build_forward(write_entry, ("x",), {"x": "array1"}).source
    assert "x_1 = x.copy()  # s2sad: the caller's x is left untouched" in fwd
    assert fwd.index("check_unshared('x'") < fwd.index("x.copy()")


def test_no_copy_where_the_argument_is_rebound_before_the_write():
    src = s2sad.grad(rebound_before_write).source(_X4.copy())
    assert "x.copy()" not in src
    assert "check_unshared" not in src


# ------------------------------------------------------- shared memory, refused at the call

SHARED = [
    ("same array twice", lambda b: (b, b)),
    ("a view", lambda b: (b, b[1:])),
    ("a reversed view", lambda b: (b, b[::-1])),
    ("the other way round", lambda b: (b[:3], b)),
]


@pytest.mark.parametrize("make", [m for _, m in SHARED], ids=[n for n, _ in SHARED])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_written_argument_sharing_memory_is_refused(make, mode):
    base = np.array([0.7, -1.2, 0.4, 1.9])
    saved = base.copy()
    x, y = make(base)

    def f(x, y):
        x[0] = 2.0 * y[1]
        return np.sum(x * x) + np.sum(y)

    with pytest.raises(s2sad.SharedMemoryError) as info:
        if mode == "grad":
            s2sad.grad(f, wrt=(0, 1))(x, y)
        else:
            s2sad.jvp(f, wrt=(0, 1))(x, y, (np.ones_like(x), np.ones_like(y)))
    text = str(info.value)
    assert "`x`" in text and "`y`" in text and "share memory" in text
    assert "copy" in text.split("hint:")[1]
    assert base.tobytes() == saved.tobytes()


def test_disjoint_views_of_one_array_are_accepted():
    base = np.array([0.7, -1.2, 0.4, 1.9])

    def f(x, y):
        x[0] = 2.0 * y[1]
        return np.sum(x * x * y)

    x, y = base[0::2], base[1::2]  # interleaved, no entry in common
    s2sad.check_grad(f, x, y, wrt=(0, 1))
    assert np.array_equal(base, [0.7, -1.2, 0.4, 1.9])


def test_array_inside_a_list_argument_sharing_memory_is_refused():
    def f(x, ps):
        x += ps[1]
        return np.sum(x * ps[0])

    b = np.array([0.7, -1.2, 0.4])
    with pytest.raises(s2sad.SharedMemoryError, match=r"`ps\[0\]`"):
        s2sad.grad(f, wrt=(0, 1))(b, [b[::-1], np.ones(3)])
    s2sad.check_grad(f, b, [b[::-1].copy(), np.ones(3)], wrt=(0, 1))


GLOBAL = np.array([0.5, 1.5, -0.5])


def reads_global(x):
    x[0] = 3.0 * x[1]
    return np.sum(x * GLOBAL)


def test_written_argument_sharing_memory_with_a_global_it_reads_is_refused():
    with pytest.raises(s2sad.SharedMemoryError, match=r"the argument `x` and `GLOBAL` \(which the function reads\) share memory"):
        s2sad.grad(reads_global)(GLOBAL[:])
    assert np.array_equal(GLOBAL, [0.5, 1.5, -0.5])
    s2sad.check_grad(reads_global, GLOBAL.copy())


def test_jacobian_of_a_function_writing_into_its_argument():
    x = _X4.copy()
    saved = x.copy()
    J = s2sad.jacobian(write_returned)(x)
    _unchanged((x,), (saved,))
    eps = 1e-6
    numeric = np.stack([(write_returned(x + eps * e) - write_returned(x - eps * e)) / (2 * eps)
                        for e in np.eye(4)], axis=1)
    assert np.allclose(J, numeric, rtol=1e-7, atol=1e-9)


class _Model:
    def __init__(self):
        self.W = np.array([1.0, 2.0, -0.5, 0.3])

    def loss(self, x, *, scale=1.5):
        x[1] = self.W[0] * x[0]
        x *= scale
        return np.sum(x * self.W)


def test_bound_method_with_keyword_only_argument_writing_into_its_argument():
    m = _Model()
    x = _X4.copy()
    saved = x.copy()
    s2sad.check_grad(m.loss, x)
    s2sad.check_grad(m.loss, x, scale=0.5)
    _, t = s2sad.jvp(m.loss)(x, np.ones(4))
    _unchanged((x,), (saved,))
    assert float(t) == pytest.approx(float(np.sum(s2sad.grad(m.loss)(x))), rel=1e-12)


def writes_item_of_list_argument(ps, x):
    W = ps[0]
    W[0] = x[0] * 2.0
    return np.sum(W * x)


def writes_item_of_list_argument_chained(ps, x):
    ps[0][0] = x[0] * 2.0
    return np.sum(ps[0] * x)


@pytest.mark.parametrize("fn,says", [
    (writes_item_of_list_argument, "an item of the argument `ps`, which the caller owns"),
    (writes_item_of_list_argument_chained, "a write through two indexes"),
])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_write_into_an_item_of_a_list_argument_is_refused(fn, says, mode):
    ps = [np.array([0.5, 1.0]), np.array([2.0, 3.0])]
    x = np.array([0.3, -0.4])
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        if mode == "grad":
            s2sad.grad(fn, wrt=(0, 1))(ps, x)
        else:
            s2sad.jvp(fn, wrt=(0, 1))(ps, x, ([np.ones(2), np.ones(2)], np.ones(2)))
    assert says in str(info.value)
    assert info.value.location.lineno == fn.__code__.co_firstlineno + (2 if fn is writes_item_of_list_argument else 1)
    assert np.array_equal(ps[0], [0.5, 1.0])


def test_written_argument_sharing_memory_with_an_attribute_of_self_is_refused():
    m = _Model()
    with pytest.raises(s2sad.SharedMemoryError, match=r"`self\.W`"):
        s2sad.grad(m.loss)(m.W)
    assert np.array_equal(m.W, [1.0, 2.0, -0.5, 0.3])
    s2sad.check_grad(m.loss, m.W.copy())


G2 = np.array([0.25, -0.5, 1.5])


def _reads_g2(a):
    return np.sum(a * G2)


def writes_then_calls_reader(x):
    x[0] = 2.0 * x[2]
    return _reads_g2(x) * x[1]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_written_argument_sharing_memory_with_a_global_a_helper_reads_is_refused(mode):
    with pytest.raises(s2sad.SharedMemoryError, match=r"`G2, read by _reads_g2` \(which the function reads\)"):
        if mode == "grad":
            s2sad.grad(writes_then_calls_reader)(G2[:])
        else:
            s2sad.jvp(writes_then_calls_reader)(G2[:], np.ones(3))
    assert np.array_equal(G2, [0.25, -0.5, 1.5])
    s2sad.check_grad(writes_then_calls_reader, G2.copy())
    hv = s2sad.hvp(writes_then_calls_reader)(G2.copy(), np.ones(3))
    g = s2sad.grad(writes_then_calls_reader)
    eps = 1e-5
    assert np.allclose(hv, (g(G2 + eps) - g(G2 - eps)) / (2 * eps), rtol=1e-6, atol=1e-8)
