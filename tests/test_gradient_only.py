"""grad's adjoints-only form (built when the kinds prove the output 0-d) and
the adjoint of several basic-slice reads of one array (one owned buffer,
slice writes): each checked against central differences, several shapes,
fixed seeds; and a golden source of the Rosenbrock gradient grad runs."""

import pathlib

import numpy as np
import pytest

import s2sad
from s2sad.errors import OutputError
from s2sad.pipeline import build_reverse

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def scaled_by_rows(x, X):
    return np.sum(np.sin(x) * x) / X.shape[0]


def float_loss(a, b):
    c = np.log(a) + a * b
    return c * c - np.sin(b)


def overlapping(x):
    return np.sum(x[1:] * x[:-1]) + np.sum(x[:3] ** 2) - 2.0 * np.sum(x[2:])


def negative_step(x):
    return np.sum(x[::-1] * x) + np.sum(np.cos(x[-2::-2]) ** 2) + x[0] * x[-1]


def int_index(x):
    return x[0] * x[2] + np.sum(x[1:] ** 2) - x[-1] ** 3


def two_d(x):
    return np.sum(x[1:, :] * x[:-1, :]) + np.sum(np.tanh(x[:, 1:])) - np.sum(x[0] ** 2) + np.sum(x[:, ::-1] * x)


def two_d_int(x):
    return np.sum(x[0, 1:] * x[1, :-1]) + x[1, 1] ** 2 + np.sum(x[:, 0] ** 3)


def not_scalar(x):
    return np.sum(x, axis=0)


def row_sums(x):
    return np.sum(x * x, axis=1)


def with_aux(x):
    loss = np.sum(x**2)
    return loss, {"n": x.shape[0]}


def central(f, args, k, h=1e-6):
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]
    x = args[k]
    if not isinstance(x, np.ndarray):
        up = list(args)
        down = list(args)
        up[k], down[k] = x + h, x - h
        return (f(*up) - f(*down)) / (2 * h)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(*args[:k], up, *args[k + 1 :]) - f(*args[:k], down, *args[k + 1 :])) / (2 * h)
    return g


def _kinds(f, args):
    from s2sad.pipeline import kind_of_value

    names = f.__code__.co_varnames[: f.__code__.co_argcount]
    return dict(zip(names, map(kind_of_value, args)))


CASES = [
    (rosenbrock, lambda r, n: [r.normal(size=n)]),
    (logistic_loss, lambda r, n: [r.normal(size=3), r.normal(size=(n, 3)), (r.random(n) > 0.5).astype(float)]),
    (scaled_by_rows, lambda r, n: [r.normal(size=n), r.normal(size=(n, 2))]),
    (float_loss, lambda r, n: [1.0 + r.random(), r.normal()]),
    (overlapping, lambda r, n: [r.normal(size=n + 3)]),
    (negative_step, lambda r, n: [r.normal(size=n + 1)]),
    (int_index, lambda r, n: [r.normal(size=n + 2)]),
    (two_d, lambda r, n: [r.normal(size=(n, 3))]),
    (two_d_int, lambda r, n: [r.normal(size=(2, n + 1))]),
]


@pytest.mark.parametrize("f, make", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("n", [2, 5, 9])
def test_grad_matches_central_differences(f, make, n):
    args = make(np.random.default_rng(1100 + n), n)
    d = build_reverse(f, (f.__code__.co_varnames[0],), _kinds(f, args), gradient_only=True)
    # the output is proven 0-d: the adjoints-only form (x[1, 1] of a 2-d array is not among the proofs)
    assert d.gradient_only is (f is not two_d_int)
    g = s2sad.grad(f)(*args)
    np.testing.assert_allclose(g, central(f, args, 0), rtol=1e-6, atol=1e-6)
    _, g2 = s2sad.value_and_grad(f)(*args)
    np.testing.assert_allclose(g, g2, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("f", [overlapping, negative_step, int_index, two_d, two_d_int, rosenbrock])
def test_slice_reads_of_one_array_write_into_one_buffer(f):
    x = np.ones((4, 4)) if f in (two_d, two_d_int) else np.ones(6)
    src = s2sad.source(f, kinds=_kinds(f, [x]))
    # one buffer made (by the first index read's adjoint, or by arithmetic), the others add into its entries
    assert src.count("getitem_adjoint(") <= 1, src
    assert "x_bar[" in src, src


def test_grad_only_source_drops_what_only_the_value_needs():
    kinds = {"w": "array1", "X": "array2", "y": "array1"}
    full = s2sad.source(logistic_loss, kinds=kinds)
    only = s2sad.source(logistic_loss, kinds=kinds, gradient_only=True)
    assert "np.mean(" in full and "np.mean(" not in only
    assert "return w_bar" in only
    assert s2sad.source(logistic_loss, kinds=kinds) == full  # value_and_grad's form is unchanged


def test_rosenbrock_grad_source_matches_golden():
    text = s2sad.source(rosenbrock, kinds={"x": "array1"}, gradient_only=True)
    assert text == (GOLDEN / "rosenbrock_grad.txt").read_text()


@pytest.mark.parametrize("f", [not_scalar, row_sums])
def test_output_not_proven_scalar_keeps_the_check(f):
    x = np.random.default_rng(3).normal(size=(3, 2))
    assert not build_reverse(f, ("x",), {"x": "array2"}, gradient_only=True).gradient_only
    with pytest.raises(OutputError, match="scalar output"):
        s2sad.grad(f)(x)


def test_has_aux_and_check_finite_still_checked():
    x = np.random.default_rng(4).normal(size=5)
    g, aux = s2sad.grad(with_aux, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * x)
    assert aux == {"n": 5}

    def log_sum(x):
        return np.sum(np.log(x))

    with pytest.raises(FloatingPointError), np.errstate(divide="ignore"):
        s2sad.grad(log_sum, check_finite=True)(np.array([1.0, 0.0]))
    np.testing.assert_allclose(s2sad.grad(log_sum, check_finite=True)(np.array([1.0, 2.0])), [1.0, 0.5])


def test_grad_of_python_floats_is_a_float():
    g = s2sad.grad(float_loss, wrt=(0, 1))(1.5, 0.3)
    assert all(type(v) is float for v in g)
    np.testing.assert_allclose(g, [central(float_loss, [1.5, 0.3], k) for k in (0, 1)], rtol=1e-6)
