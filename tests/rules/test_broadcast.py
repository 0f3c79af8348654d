"""Templates specialised to the broadcast pattern (ir.kinds unit_dims), against central differences.

Each case runs a gradient on arguments of a table of shapes (1-D, 2-D, 3-D, unit dims, leading broadcast,
Python floats) and compares it with central differences; a second call with another pattern (the same ndim)
must not reuse code specialised to the first.
"""

import re

import numpy as np
import pytest

import s2sad
from s2sad.ir.kinds import array_kind, parse_kind, unit_dims
from s2sad.pipeline import kind_of_value


def add(x, y):
    return np.sum(np.sin(x + y) * np.cos(0.5 * (x + y)))


def sub(x, y):
    return np.sum(np.sin(x - y) ** 2)


def mul(x, y):
    return np.sum(np.tanh(x * y))


def div(x, y):
    return np.sum(np.sin(x / (y * y + 1.0)))


def where_max(x, y):
    return np.sum(np.maximum(x, y) * np.sin(x + y))


def mm(a, b):
    return np.sum(np.tanh(a @ b) * 1.3)


def dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def sum0(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def sum1k(x):
    return np.sum(np.sin(np.sum(x, axis=1, keepdims=True)) * x)


def sumk(x):
    return np.sum(np.cos(np.sum(x, axis=-1, keepdims=True) + x))


def mean0(x):
    return np.sum(np.sin(np.mean(x, axis=0)))


def mean1k(x):
    return np.sum(np.sin(np.mean(x, axis=1, keepdims=True)) * x)


def full_sum(x):
    return np.sum(x * x) * np.mean(np.sin(x))


def transposed(x, y):
    return np.sum(np.sin(x.T * y))


def rows(x, y):
    return np.sum(np.sin(x[0] * y) + x[:, None] * 0.5)


def mlp(W1, b1, W2, b2, X):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.sum(np.sin(out))


BINARY_SHAPES = [
    ((3, 4), (4,)), ((4,), (3, 4)), ((3, 4), (3, 1)), ((3, 1), (3, 4)), ((3, 4), (1, 4)), ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)), ((3, 1), (2, 1, 4)), ((1,), (5,)), ((5,), (5,)), ((1, 1), (3, 4)), ((3, 4), (3, 4)),
    ((3, 4), ()), ((), (3, 4)), ((4,), ()), ((), ()), ((1,), ()), ((2, 1, 3), (4, 1)),
]  # fmt: skip
MATMUL_SHAPES = [
    ((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,)), ((1, 4), (4, 1)), ((3, 1), (1, 2)),
    ((1, 4), (4,)), ((1,), (1, 3)), ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5)),
]  # fmt: skip
UNARY_SHAPES = [(3, 4), (3, 1), (1, 4), (1, 1), (5,), (1,), (2, 3, 4), (2, 1, 4)]


def value(shape, rng):
    """A float for (), else an array; away from zero (div) and from ties (maximum)."""
    if shape == ():
        return float(rng.uniform(0.5, 1.5))
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def central(fn, args, k, h=1e-6):
    x = args[k]
    if isinstance(x, float):
        plus, minus = list(args), list(args)
        plus[k], minus[k] = x + h, x - h
        return (fn(*plus) - fn(*minus)) / (2 * h)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        plus, minus = list(args), list(args)
        plus[k], minus[k] = xp, xm
        out[i] = (fn(*plus) - fn(*minus)) / (2 * h)
    return out


def check(fn, args):
    wrt = tuple(range(len(args)))
    grads = s2sad.grad(fn, wrt=wrt)(*args)
    for k, g in enumerate(grads):
        want = central(fn, args, k)
        assert np.shape(g) == np.shape(args[k]), (fn.__name__, k)
        if isinstance(args[k], float):
            assert isinstance(g, float), (fn.__name__, k, type(g))
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7, err_msg=f"{fn.__name__} arg {k}")


@pytest.mark.parametrize("fn", [add, sub, mul, div, where_max])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_elementwise_broadcasts(fn, shapes):
    rng = np.random.default_rng(11)
    check(fn, tuple(value(s, rng) for s in shapes))


# np.dot of a stack is not matmul: dot only takes the 1-D and 2-D pairs
@pytest.mark.parametrize(
    "fn, shapes",
    [(mm, s) for s in MATMUL_SHAPES] + [(dot, s) for s in MATMUL_SHAPES if max(map(len, s)) <= 2],
    ids=str,
)
def test_matmul(fn, shapes):
    rng = np.random.default_rng(12)
    check(fn, tuple(value(s, rng) for s in shapes))


# axis 1 exists only from 2-D up
@pytest.mark.parametrize(
    "fn, shape",
    [(f, s) for f in (sum0, sum1k, sumk, mean0, mean1k, full_sum) for s in UNARY_SHAPES
     if len(s) >= 2 or f not in (sum1k, mean1k)],
    ids=str,
)
def test_reductions(fn, shape):
    rng = np.random.default_rng(13)
    check(fn, (value(shape, rng),))


@pytest.mark.parametrize("shapes", [((4, 3), (3, 4)), ((1, 3), (3, 4)), ((4, 1), (1, 4)), ((4, 3), (3, 1))], ids=str)
def test_transpose(shapes):
    rng = np.random.default_rng(14)
    check(transposed, tuple(value(s, rng) for s in shapes))


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((1, 4), (4,)), ((3, 1), (1,)), ((3, 1), (5,)), ((2, 4), (1,))],
                         ids=str)
def test_basic_indexing(shapes):
    rng = np.random.default_rng(15)
    check(rows, tuple(value(s, rng) for s in shapes))


@pytest.mark.parametrize("batch,hidden,out", [(6, 4, 3), (1, 4, 3), (6, 1, 3), (6, 4, 1), (1, 1, 1)])
def test_mlp_patterns(batch, hidden, out):
    rng = np.random.default_rng(16)
    args = (value((5, hidden), rng), value((hidden,), rng), value((hidden, out), rng), value((out,), rng),
            value((batch, 5), rng))
    check(mlp, args)


def test_one_function_many_patterns_in_turn():
    """Code specialised to one broadcast pattern is never run on another (the fast path's key has it too)."""
    rng = np.random.default_rng(17)
    g = s2sad.grad(add, wrt=(0, 1))
    for shapes in [((3, 4), (4,)), ((1, 4), (4,)), ((3, 4), (1,)), ((3, 1), (4,)), ((3, 4), (4,)), ((1, 1), (1,))]:
        args = tuple(value(s, rng) for s in shapes)
        for k, got in enumerate(g(*args)):
            np.testing.assert_allclose(got, central(add, args, k), rtol=1e-5, atol=1e-7)


def test_the_specialised_code_reads_as_written_by_hand():
    rng = np.random.default_rng(18)
    src = s2sad.grad(mlp, wrt=(0, 1, 2, 3)).source(*(value(s, rng) for s in [(5, 4), (4,), (4, 3), (3,), (6, 5)]))
    assert "unbroadcast" not in src and "matmul_adjoint" not in src
    assert "@ W2.T" in src and "h.T @" in src and "X.T @" in src and re.search(r"np.sum\(\w+_bar, axis=0\)", src)
    # a unit dim: summed with keepdims; an unknown pattern (a slice, maybe of length 1, and another array): the
    # helper stays
    src = s2sad.grad(add, wrt=(0, 1)).source(value((3, 4), rng), value((3, 1), rng))
    assert "np.sum(y_bar, axis=1, keepdims=True)" in src or "axis=1, keepdims=True" in src
    assert "unbroadcast" in s2sad.grad(sliced, wrt=(0, 1)).source(value((5,), rng), value((4,), rng))
    s2sad.check_grad(sliced, value((5,), rng), value((4,), rng), wrt=(0, 1))
    s2sad.check_grad(sliced, value((2,), rng), value((3,), rng), wrt=(0, 1))  # x[1:] of length 1 broadcasts


def sliced(x, y):
    return np.sum(np.sin(x[1:] + y))


def test_kinds_record_the_pattern_and_text_stays_conservative():
    k = kind_of_value(np.ones((3, 1, 4)))
    assert unit_dims(k) == frozenset({1}) and str(k) == "array3"
    assert unit_dims(parse_kind("array3")) is None  # --kinds array3: any pattern
    assert k != parse_kind("array3") and k != kind_of_value(np.ones((3, 2, 4)))
    assert unit_dims(kind_of_value(np.ones((3, 4)))) == frozenset()
    assert kind_of_value(np.ones((3, 1))) == array_kind(2, frozenset({1}))


def test_a_seed_of_the_wrong_shape_is_still_reported():
    """The seed a caller passes is not assumed to have the output's shape."""
    rng = np.random.default_rng(19)

    with pytest.raises(s2sad.OutputError, match="vjp"):
        s2sad.grad(plus_row)(value((3, 4), rng), value((4,), rng))


def plus_row(x, b):
    return np.sin(x + b)


# ------------------------------------------------------------ golden: the W3 MLP
GOLDEN = __import__("pathlib").Path(__file__).resolve().parent.parent / "golden"


def test_mlp_gradient_matches_golden():
    """The gradient of examples/mlp.py:loss (benchmarks' W3) as `grad(...).source` shows it for arrays of
    W3's broadcast pattern (no dim of length 1): the code of any batch size and width but 1."""
    from examples.mlp import loss

    rng = np.random.default_rng(20)
    args = (rng.standard_normal((5, 4)), rng.standard_normal(4), rng.standard_normal((4, 3)),
            rng.standard_normal(3), rng.standard_normal((6, 5)), np.eye(3)[[0, 1, 2, 0, 1, 2]])
    src = s2sad.grad(loss, wrt=("W1", "b1", "W2", "b2")).source(*args)
    assert src == (GOLDEN / "mlp_show.txt").read_text()
