"""Forward mode and the derivatives built on it (s2sad.derivatives).

* every forward rule (the whole rule table of tests/rules/test_table.py, and the
  runtime helpers' rules) against central differences along a random direction;
* every program of tests/e2e/programs.py: jvp against central differences,
  jvp/vjp consistency, and Hessian-vector products against central
  differences of the gradient;
* Hessians (scalar and array inputs, loops), Jacobians by either mode, third
  derivatives by forward-over-forward-over-reverse against closed forms;
* the shape of the generated code, and what forward mode refuses.

Fixed seeds, float64 throughout.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import s2sad
from s2sad.api import vjp
from s2sad.arguments import bind
from s2sad.derivatives import hessian, hvp, hvp_derivative, jacobian, jvp
from s2sad.forward.generated import tangent_parameters
from s2sad.pipeline import build_forward, kind_of_value
from s2sad.rules.runtime_rules import RUNTIME_RULES
from s2sad.runtime import (
    add_adjoints,
    array_adjoint,
    broadcast_like,
    cast_adjoint,
    cast_tangent,
    column_stack_adjoint,
    concatenate_adjoint,
    copy_of,
    cumsum_adjoint,
    diag_adjoint,
    diagonal_adjoint,
    dict_part,
    diff_adjoint,
    dot_adjoint,
    einsum_adjoint,
    einsum_adjoints,
    einsum_tangent,
    extremum_adjoint,
    fill_adjoint,
    fresh,
    getitem_adjoint,
    hstack_adjoint,
    item_adjoint,
    laid_out_like,
    loop_item,
    loop_item_adjoint,
    loop_item_tangent,
    matmul_adjoint,
    mean_adjoint,
    minmax_adjoint,
    minmax_tangent,
    norm_adjoint,
    norm_adjoint_tangent,
    plus_adjoint,
    plus_tangent,
    prod_adjoint,
    reduce_adjoint,
    repeat_adjoint,
    repeated_adjoint,
    snapshot,
    stack_adjoint,
    sum_list_adjoint,
    tensordot_adjoint,
    tile_adjoint,
    transpose_adjoint,
    unbroadcast,
    var_adjoint,
    vstack_adjoint,
    write_adjoint,
    zero_at,
)

from ..e2e.programs import PROGRAMS
from ..rules import test_table as rule_table

EPS = 1e-6


def _direction(rng: np.random.Generator, x):
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


def _shifted(args, positions, directions, eps):
    out = list(args)
    for i, d in zip(positions, directions):
        out[i] = out[i] + eps * d
    return out


def _central(fn, args, positions, directions, eps=EPS):
    plus = fn(*_shifted(args, positions, directions, eps))
    minus = fn(*_shifted(args, positions, directions, -eps))
    if isinstance(plus, tuple):
        return tuple((np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus))
    return (np.asarray(plus) - np.asarray(minus)) / (2 * eps)


def _assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    if isinstance(expected, tuple):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_close(a, e, rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=rtol, atol=atol)


def _positions(wrt):
    return (wrt,) if isinstance(wrt, int) else tuple(wrt)


# ============================================= every rule of the rule table
@pytest.mark.parametrize("fn, args", rule_table.ALL_CASES)
def test_forward_rule(fn, args):
    seed = sum(map(ord, fn.__name__))
    full = [*args, rule_table._weight(fn, args, seed)]
    wrt = tuple(i for i, a in enumerate(args) if rule_table._is_float(a))
    rng = np.random.default_rng(seed)
    directions = tuple(_direction(rng, full[i]) for i in wrt)
    value, tangent = jvp(fn, wrt)(*full, directions)
    np.testing.assert_allclose(value, fn(*full))
    _assert_close(tangent, _central(fn, full, wrt, directions), rtol=1e-4)


# ================================ the runtime helpers (generated gradients)
# Each row calls a helper the generated gradients call; forward mode over a
# gradient (hvp, hessian) uses these rules. The weights make every entry count.
def _w(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def rt_unbroadcast(v, x):
    return np.sum(unbroadcast(v, x) * _w((3,), 1))


def rt_broadcast_like(t, z):
    return np.sum(broadcast_like(t, z) * _w((2, 3), 2))


def rt_zero_at(v):
    return np.sum(zero_at(v, 1) * _w((4,), 3))


def rt_write_adjoint(v, x):
    # entry 0 is written twice: only x[1] gets its adjoint
    return np.sum(write_adjoint(v, [0, 0, 2], x) * _w((3,), 3)) + write_adjoint(v, [1, 1], 0.5) * 2.0


def rt_laid_out_like(v):
    t = laid_out_like(v, np.asfortranarray(np.ones((2, 3))))
    return np.sum(t * _w((2, 3), 5))


def rt_snapshot(v):
    kept = snapshot((v, v * 2.0))
    return np.sum(kept[0] * _w((4,), 4)) + np.sum(snapshot(kept[1]))


def rt_getitem(v, x):
    return np.sum(getitem_adjoint(v, x, np.array([0, 2, 0])) * _w((4,), 4))


def rt_reduce(v, x):
    return np.sum(reduce_adjoint(v, x, 1, False) * _w((2, 3), 5))


def rt_mean(v, x):
    return np.sum(mean_adjoint(v, x, 0, True) * _w((2, 3), 6))


def rt_extremum(v, x):
    return np.sum(extremum_adjoint(v, x, np.max(x, axis=1), 1, False) * _w((2, 3), 7))


def rt_cumsum(v, x):
    return np.sum(cumsum_adjoint(v, x, 1) * _w((2, 3), 8))


def rt_transpose(v):
    return np.sum(transpose_adjoint(v, (1, 2, 0)) * _w((4, 2, 3), 9))


def rt_prod(v, x):
    return np.sum(prod_adjoint(v, x, 1, False) * _w((2, 3), 10))


def rt_prod_all(v, x):
    return np.sum(prod_adjoint(v, x) * _w((4,), 11))


def rt_var(v, x):
    return np.sum(var_adjoint(v, x, 0, 1, False) * _w((3, 2), 12))


def rt_norm(v, x, n):
    return np.sum(norm_adjoint(v, x, n, None, 1, False) * _w((2, 3), 13))


def rt_norm_tangent(v, x, t, n):
    return np.sum(norm_adjoint_tangent(v, x, t, n, None, 1, False) * _w((2, 3), 13))


def rt_matmul(v, a, b):
    return np.sum(matmul_adjoint(v, a, b, 0) * _w((2, 3), 14)) + np.sum(matmul_adjoint(v, a, b, 1) * _w((3, 4), 15))


def rt_matmul_vec(v, a, b):
    return np.sum(matmul_adjoint(v, a, b, 0) * _w((3,), 16)) + np.sum(matmul_adjoint(v, a, b, 1) * _w((3, 4), 17))


def rt_dot(v, a, b):
    return np.sum(dot_adjoint(v, a, b, 0) * _w((2, 3), 18)) + np.sum(dot_adjoint(v, a, b, 1) * _w((3,), 19))


def rt_tensordot(v, a, b):
    first = tensordot_adjoint(v, a, b, ([1], [0]), 0)
    return np.sum(first * _w((2, 3), 20)) + np.sum(tensordot_adjoint(v, a, b, ([1], [0]), 1) * _w((3, 4), 21))


def rt_einsum(v, a, b):
    return np.sum(einsum_adjoint(v, "ij,jk->ik", (a, b), 1) * _w((3, 4), 22))


def rt_einsum_all(v, a, b):
    parts = einsum_adjoints(v, "ij,jk->ik", (a, b))
    return np.sum(parts[0] * _w((2, 3), 23)) + np.sum(parts[1] * _w((3, 4), 24))


def rt_concatenate(v, a, b):
    parts = concatenate_adjoint(v, [a, b], 0)
    return np.sum(parts[0] * _w((2,), 25)) + np.sum(parts[1] * _w((3,), 26))


def rt_stack(v, a, b):
    parts = stack_adjoint(v, [a, b], 1)
    return np.sum(parts[0] * _w((3,), 27)) + np.sum(parts[1] * _w((3,), 28))


def rt_sum_list(v, a, b):
    parts = sum_list_adjoint(v, [a, b])
    return np.sum(parts[0] * _w((3,), 29)) + np.sum(parts[1] * _w((3,), 30))


def rt_array(v, a, b):
    parts = array_adjoint(v, [a, b])
    return parts[0] * 1.5 + parts[1] * -0.5


def rt_add_adjoints(a, b):
    parts = add_adjoints(stack_adjoint(a, [b, b], 0), stack_adjoint(b, [a, a], 0))
    return np.sum(parts[0] * _w((3,), 31)) + np.sum(parts[1] * _w((3,), 32))


def rt_dicts(a, b):
    d = {"x": b, "y": b}
    kept = dict_part(getitem_adjoint(a, d, "x"), d, ("y",))
    return np.sum(kept["x"] * _w((3,), 82)) + np.sum(kept["y"] * _w((3,), 83))


def rt_loop_items(a, b):
    rows = [a, b * 2.0]
    d = {"k": a}
    first = loop_item(rows, 1) + d[loop_item(d, 0)]  # a dict gives its key: the value is read by it
    back = loop_item_adjoint(b, rows, 0)
    forward = loop_item_tangent([b, a], rows, 1) + loop_item_tangent(a, {"k": a}, 0)
    return np.sum(first * _w((3,), 87)) + np.sum(back[0] * _w((3,), 88)) + np.sum(forward * _w((3,), 89))


def rt_repeated(a, b):
    parts = repeated_adjoint(stack_adjoint(a, [b, b, b, b], 0), [b, b])
    return np.sum(parts[0] * _w((3,), 73)) + np.sum(parts[1] * _w((3,), 74))


def rt_plus(a, b):
    parts = plus_adjoint(stack_adjoint(a, [b, b, b], 0), [b], [b, b], 1)  # joining lists
    summed = plus_adjoint(a, b, 2.0, 1)  # adding numbers
    return np.sum(parts[1] * _w((3,), 75)) + summed * 0.3


def rt_plus_tangent(a, b):
    joined = plus_tangent([a, b], [b * b], [1.0, 2.0], [3.0])  # joining lists: their tangents
    summed = plus_tangent(a, b * a, 2.0, 1.0)  # adding numbers
    return np.sum(joined[0] * _w((3,), 76)) + np.sum(joined[2] * _w((3,), 77)) + np.sum(summed * 0.3)


def rt_fresh(v):
    return np.sum(fresh(v) * copy_of(v) * _w((3,), 33))


def rt_diagonal(v, x):
    return np.sum(diagonal_adjoint(v, x, 1, 0, 1) * _w((3, 4), 34))


def rt_diag(v, x, m):
    return np.sum(diag_adjoint(v, x, 0) * _w((3,), 35)) + np.sum(diag_adjoint(m, v, 0) * _w((3, 3), 36))


def rt_repeat(v, x):
    return np.sum(repeat_adjoint(v, x, 2, 0) * _w((2, 3), 37)) + np.sum(repeat_adjoint(v, v, 1) * _w((4, 3), 38))


def rt_tile(v, x):
    return np.sum(tile_adjoint(v, x, (2, 1)) * _w((2, 3), 39))


def rt_diff(v):
    return np.sum(diff_adjoint(v, 2, -1) * _w((2, 5), 40))


def rt_stacks(v, a, b):
    h = hstack_adjoint(v[0], [a, b])
    vs = vstack_adjoint(v[:, :3], [a, a, a])
    c = column_stack_adjoint(v[:, :2], [a, a])
    return np.sum(h[0] * _w((3,), 41)) + np.sum(h[1] * _w((3,), 42)) + np.sum(vs[2] * _w((3,), 43)) + np.sum(c[1] * a)


def rt_item(v, x):
    return np.sum(item_adjoint(v, x, (1, 2)) * _w((2, 3), 44))


def rt_cast(v, z):
    return np.sum(cast_adjoint(v, z) * _w((2, 3), 45)) + np.sum(cast_tangent(v[0], z) * _w((2, 3), 46))


def rt_fill(v, f, z):
    return fill_adjoint(v, f, z) * 1.5


def rt_minmax(v, x, y):
    z = max(x, y)
    return minmax_adjoint(v, z, x, [y], 0) * 2.0 + minmax_adjoint(v, z, x, [y], 1)[0] * 3.0


def rt_minmax_tangent(t, s, x, y):
    z = max(x, y, 0.2)
    return minmax_tangent(t, z, x, [y, 0.2], 0) * 2.0 + minmax_tangent([s, 0.0], z, x, [y, 0.2], 1) * 3.0


def rt_minmax_tangent_list(t, s, x, y):
    z = min([x, y])
    return minmax_tangent([t, s], z, [x, y], (), 0) * 1.5


def _N(shape, seed):
    return np.random.default_rng(100 + seed).standard_normal(shape)


def _P(shape, seed):
    return np.random.default_rng(200 + seed).uniform(0.5, 1.5, shape)


RUNTIME_CASES = [
    (rt_unbroadcast, (_N((2, 3), 1), _N((3,), 2))),
    (rt_broadcast_like, (_N((3,), 3), _N((2, 3), 4))),
    (rt_zero_at, (_N((4,), 5),)),
    (rt_write_adjoint, (_N((4,), 5), _N((3,), 6))),
    (rt_snapshot, (_N((4,), 5),)),
    (rt_laid_out_like, (_N((2, 3), 5),)),
    (rt_getitem, (_N((3,), 6), _N((4,), 7))),
    (rt_reduce, (_N((2,), 8), _N((2, 3), 9))),
    (rt_mean, (_N((1, 3), 10), _N((2, 3), 11))),
    (rt_extremum, (_N((2,), 12), _N((2, 3), 13))),
    (rt_cumsum, (_N((2, 3), 14), _N((2, 3), 15))),
    (rt_transpose, (_N((2, 3, 4), 16),)),
    (rt_prod, (_N((2,), 17), _N((2, 3), 18))),
    (rt_prod_all, (1.3, np.array([0.7, 0.0, -1.2, 0.4]))),  # exact at a zero entry
    (rt_var, (_N((2,), 19), _N((3, 2), 20))),
    (rt_norm, (_N((2,), 21), _N((2, 3), 22), _P((2,), 23))),
    (rt_norm_tangent, (_N((2,), 21), _N((2, 3), 22), _N((2, 3), 73), _P((2,), 23))),
    (rt_matmul, (_N((2, 4), 24), _N((2, 3), 25), _N((3, 4), 26))),
    (rt_matmul_vec, (_N((4,), 27), _N((3,), 28), _N((3, 4), 29))),
    (rt_dot, (_N((2,), 30), _N((2, 3), 31), _N((3,), 32))),
    (rt_tensordot, (_N((2, 4), 33), _N((2, 3), 34), _N((3, 4), 35))),
    (rt_einsum, (_N((2, 4), 36), _N((2, 3), 37), _N((3, 4), 38))),
    (rt_einsum_all, (_N((2, 4), 39), _N((2, 3), 40), _N((3, 4), 41))),
    (rt_concatenate, (_N((5,), 42), _N((2,), 43), _N((3,), 44))),
    (rt_stack, (_N((3, 2), 45), _N((3,), 46), _N((3,), 47))),
    (rt_sum_list, (_N((3,), 48), _N((3,), 49), _N((1,), 50))),
    (rt_array, (_N((2,), 51), 0.5, 0.7)),
    (rt_add_adjoints, (_N((3,), 52), _N((3,), 53))),
    (rt_fresh, (_N((3,), 54),)),
    (rt_repeated, (_N((4, 3), 76), _N((3,), 77))),
    (rt_dicts, (_N((3,), 85), _N((3,), 86))),
    (rt_loop_items, (_N((3,), 90), _N((3,), 91))),
    (rt_plus, (_N((3, 3), 78), _N((3,), 79))),
    (rt_plus_tangent, (_N((3,), 80), _N((3,), 81))),
    (rt_diagonal, (_N((3,), 55), _N((3, 4), 56))),
    (rt_diag, (_N((3, 3), 57), _N((3,), 58), _N((3,), 59))),
    (rt_repeat, (_N((4, 3), 60), _N((2, 3), 61))),
    (rt_tile, (_N((4, 3), 62), _N((2, 3), 63))),
    (rt_diff, (_N((2, 3), 64),)),
    (rt_stacks, (_N((3, 6), 65), _N((3,), 66), _N((3,), 67))),
    (rt_item, (0.7, _N((2, 3), 68))),
    (rt_cast, (_N((2, 3), 69), _N((2, 3), 70))),
    (rt_fill, (_N((2, 3), 71), 0.4, _N((2, 3), 72))),
    (rt_minmax, (1.3, 0.4, -0.9)),
    (rt_minmax_tangent, (0.8, -0.6, 1.3, -0.9)),
    (rt_minmax_tangent, (0.8, -0.6, -1.3, 0.9)),
    (rt_minmax_tangent_list, (0.8, -0.6, 1.3, -0.9)),
]


@pytest.mark.parametrize("fn, args", RUNTIME_CASES, ids=[fn.__name__ for fn, _ in RUNTIME_CASES])
def test_runtime_helper_rule(fn, args):
    wrt = tuple(range(len(args)))
    rng = np.random.default_rng(len(fn.__name__))
    directions = tuple(_direction(rng, a) for a in args)
    _, tangent = jvp(fn, wrt)(*args, directions)
    _assert_close(tangent, _central(fn, args, wrt, directions), rtol=1e-4)


def test_every_runtime_rule_is_exercised():
    source = "\n".join(__import__("inspect").getsource(fn) for fn, _ in RUNTIME_CASES)
    missing = [
        obj.__name__
        for obj, rule in RUNTIME_RULES._by_object.values()
        if rule.forward and f"{obj.__name__}(" not in source
    ]
    assert not missing, f"runtime rules without a test row: {missing}"


# ============================================================ the programs
CASES = [(fn, args, wrt) for fn, arg_sets, wrt in PROGRAMS for args in arg_sets]
IDS = [f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_program_jvp(fn, args, wrt):
    positions = _positions(wrt)
    rng = np.random.default_rng(len(IDS) + len(fn.__name__))
    directions = tuple(_direction(rng, args[i]) for i in positions)
    value, tangent = jvp(fn, positions)(*args, directions)
    _assert_close(value, np.asarray(fn(*args)), rtol=1e-12, atol=0)
    _assert_close(tangent, _central(fn, args, positions, directions), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_program_jvp_vjp_consistency(fn, args, wrt):
    """<vjp(u), v> == <u, jvp(v)> for a random output weight u and direction v."""
    positions = _positions(wrt)
    rng = np.random.default_rng(7 + len(fn.__name__))
    directions = tuple(_direction(rng, args[i]) for i in positions)
    value, tangent = jvp(fn, positions)(*args, directions)
    u = _direction(rng, np.asarray(value)) if np.ndim(value) else float(rng.standard_normal())
    _, adjoints = vjp(fn, wrt=positions)(*args, u)
    left = sum(float(np.sum(np.asarray(a) * d)) for a, d in zip(adjoints, directions))
    right = float(np.sum(np.asarray(u) * np.asarray(tangent)))
    assert left == pytest.approx(right, rel=1e-9, abs=1e-10)


@pytest.mark.parametrize("fn, args, wrt", CASES, ids=IDS)
def test_program_hvp(fn, args, wrt):
    """Forward-over-reverse against central differences of the gradient."""
    positions = _positions(wrt)
    rng = np.random.default_rng(11 + len(fn.__name__))
    directions = tuple(_direction(rng, args[i]) for i in positions)
    product = hvp(fn, positions)(*args, directions)
    grad = s2sad.grad(fn, wrt=positions)
    expected = _central(grad, args, positions, directions, eps=1e-5)
    _assert_close(tuple(product), expected, rtol=1e-4, atol=1e-5)


# ================================================================ Hessians
def quartic(x, y):
    return x**4 * y + math.sin(x * y)


def quadratic_form(x, A):
    return 0.5 * x @ (A @ x) + np.sum(np.exp(x))


def logsumexp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def damped_loop(x):
    for _ in range(6):
        x = x * np.tanh(x) * 0.9 + 0.1 * np.sum(x)
    return np.sum(x * x)


def matrix_loss(W, x):
    return np.sum(np.tanh(W @ x) ** 2) + 0.1 * np.sum(W * W)


_A = np.random.default_rng(3).standard_normal((3, 3))
HESSIAN_CASES = [
    (quartic, (0.7, -1.3), 0),
    (quartic, (0.7, -1.3), (0, 1)),
    (quadratic_form, (np.array([0.3, -0.2, 0.5]), _A), 0),
    (logsumexp, (np.array([0.1, 1.2, -0.4, 0.3]),), 0),
    (damped_loop, (np.array([0.4, -0.3, 0.8]),), 0),
    (matrix_loss, (np.random.default_rng(4).standard_normal((2, 3)), np.array([0.5, -1.0, 0.3])), (0, 1)),
]


@pytest.mark.parametrize("fn, args, wrt", HESSIAN_CASES, ids=[f"{c[0].__name__}-{c[2]}" for c in HESSIAN_CASES])
def test_hessian(fn, args, wrt):
    H = hessian(fn, wrt)(*args)
    positions = _positions(wrt)
    grad = s2sad.grad(fn, wrt=positions)
    blocks = H if isinstance(wrt, tuple) else ((H,),)
    for b, pb in enumerate(positions):
        xb = args[pb]
        for j in range(int(np.size(xb))):
            e = np.zeros(np.shape(xb))
            e.flat[j] = 1.0
            unit = e if isinstance(xb, np.ndarray) else 1.0
            column = _central(grad, args, (pb,), (unit,), eps=1e-5)
            for a, pa in enumerate(positions):
                block = np.asarray(blocks[a][b], dtype=float).reshape(np.shape(args[pa]) + (-1,))
                np.testing.assert_allclose(block[..., j], column[a], rtol=1e-5, atol=1e-6)
    if not isinstance(wrt, tuple):
        n = int(np.size(args[wrt]))
        flat = np.asarray(H, dtype=float).reshape(n, n)
        np.testing.assert_allclose(flat, flat.T, rtol=1e-10, atol=1e-12)


def test_hessian_types():
    assert isinstance(hessian(quartic)(0.7, -1.3), float)
    H = hessian(quadratic_form)(np.array([0.3, -0.2, 0.5]), _A)
    assert H.shape == (3, 3) and H.dtype == np.float64
    np.testing.assert_allclose(H, 0.5 * (_A + _A.T) + np.diag(np.exp([0.3, -0.2, 0.5])))
    W = np.ones((2, 3))
    blocks = hessian(matrix_loss, (0, 1))(W, np.array([0.5, -1.0, 0.3]))
    assert [[b.shape for b in row] for row in blocks] == [[(2, 3, 2, 3), (2, 3, 3)], [(3, 2, 3), (3, 3)]]


def test_hvp_matches_hessian():
    x = np.array([0.4, -0.3, 0.8])
    v = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(hvp(damped_loop)(x, v), hessian(damped_loop)(x) @ v, rtol=1e-10)


# =============================================================== Jacobians
def wide(x):  # 2 -> 5: forward mode
    return np.array([x[0] * x[1], np.sin(x[0]), x[1] ** 2, np.exp(x[0] - x[1]), x[0]])


def tall(x):  # 5 -> 2: reverse mode
    return np.array([np.sum(x**2), np.prod(np.cos(x))])


def matrix_out(x, s):
    return np.outer(x, x) * s


@pytest.mark.parametrize(
    "fn, args, wrt",
    [
        (wide, (np.array([0.3, -0.7]),), 0),
        (tall, (np.array([0.1, 0.2, -0.3, 0.4, 0.5]),), 0),
        (matrix_out, (np.array([0.5, -1.0, 2.0]), 1.5), 0),
        (matrix_out, (np.array([0.5, -1.0, 2.0]), 1.5), (0, 1)),
        (quartic, (0.7, -1.3), 1),
    ],
    ids=["forward", "reverse", "matrix", "two-args", "scalar"],
)
def test_jacobian(fn, args, wrt):
    positions = _positions(wrt)
    jacs = jacobian(fn, wrt)(*args)
    jacs = jacs if isinstance(wrt, tuple) else (jacs,)
    out_shape = np.shape(fn(*args))
    for J, p in zip(jacs, positions):
        x = args[p]
        assert np.shape(J) == out_shape + np.shape(x)
        for j in range(int(np.size(x))):
            e = np.zeros(np.shape(x))
            e.flat[j] = 1.0
            column = _central(fn, args, (p,), (e if isinstance(x, np.ndarray) else 1.0,))
            np.testing.assert_allclose(np.asarray(J).reshape(out_shape + (-1,))[..., j], column, rtol=1e-6, atol=1e-8)


# ===================================================== third derivatives
def cube_sin(x):
    return np.sin(x)


def exp2(x):
    return np.exp(2.0 * x)


def quartic1(x):
    return x**4 + 3.0 * x


def log_(x):
    return math.log(x)


def loop_poly(x):
    s = 1.0
    for _ in range(3):
        s = s * x + 1.0
    return s  # x^3 + x^2 + x + 1


THIRD = [
    (cube_sin, 0.7, lambda x: -math.cos(x)),
    (exp2, 0.3, lambda x: 8.0 * math.exp(2.0 * x)),
    (quartic1, -1.2, lambda x: 24.0 * x),
    (log_, 1.7, lambda x: 2.0 / x**3),
    (loop_poly, 0.9, lambda x: 6.0),
]


@pytest.mark.parametrize("fn, x, closed", THIRD, ids=[t[0].__name__ for t in THIRD])
def test_third_derivative(fn, x, closed):
    """Forward mode over the Hessian-vector product (forward over reverse)."""
    bound = bind(fn, (x,), {})
    second = hvp_derivative(fn, ("x",), bound)
    params = list(__import__("inspect").signature(second.fn).parameters)
    kinds = {p: "scalar" for p in params}
    third = build_forward(second, ("x",), kinds)
    (dot_name,) = tangent_parameters(second, 1)
    (ddot_name,) = tangent_parameters(third, 1)
    _, ((_, _), (_, d3)) = third.fn(x, 1.0, **{dot_name: 1.0, ddot_name: 1.0})
    assert d3 == pytest.approx(closed(x), rel=1e-12)


# ==================================================== the generated code
def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_jvp_source_reads_like_the_derivation():
    d = build_forward(lecture, ("x1", "x2"), {"x1": "scalar", "x2": "scalar"})
    assert d.source == (
        "def lecture_jvp(x1, x2, x1_dot, x2_dot):\n"
        "    t1 = np.log(x1)\n"
        "    t1_dot = x1_dot / x1\n"
        "    t2 = x1 * x2\n"
        "    t2_dot = x1_dot * x2 + x1 * x2_dot\n"
        "    t3 = t1 + t2\n"
        "    t3_dot = t1_dot + t2_dot\n"
        "    t4 = np.sin(x2)\n"
        "    t4_dot = x2_dot * np.cos(x2)\n"
        "    y = t3 - t4\n"
        "    y_dot = t3_dot - t4_dot\n"
        "    return y, y_dot\n"
    )


def scalar_plus_array(x, y):
    return x + y


def array_plus_scalar(x):
    return (x + 2.0) * 3.0


def unused_branch(x, y):
    a = np.sin(x)
    b = np.cos(y)  # never reaches the output: its tangent is not computed
    return a * 2.0 + b * 0.0 + y


def test_broadcast_like_only_where_shapes_may_differ():
    d = build_forward(scalar_plus_array, ("x",), {"x": "scalar", "y": "array1"})
    assert "broadcast_like(x_dot, " in d.source
    value, tangent = jvp(scalar_plus_array)(0.5, np.arange(3.0), 2.0)
    np.testing.assert_array_equal(tangent, [2.0, 2.0, 2.0])
    d = build_forward(array_plus_scalar, ("x",), {"x": "array1"})
    assert "broadcast_like" not in d.source
    assert "t1_dot" not in d.source  # x + 2.0 shares x's tangent: no code


def test_symbolic_zeros():
    d = build_forward(unused_branch, ("x",), {"x": "scalar", "y": "scalar"})
    assert "b_dot" not in d.source and "y_dot" not in d.source
    assert jvp(unused_branch)(0.3, 0.2, 1.0)[1] == pytest.approx(2.0 * math.cos(0.3))


def with_defaults(x, scale=2.0):
    return x * scale


def test_defaults_make_tangents_keyword_only():
    d = build_forward(with_defaults, ("x",), {"x": "scalar", "scale": "scalar"})
    assert d.source.startswith("def with_defaults_jvp(x, scale=2.0, *, x_dot):")
    assert jvp(with_defaults)(1.5, 4.0)[1] == 8.0


def test_hvp_source_pushes_tangents_with_the_tape():
    bound = bind(PROGRAMS[8][0], (0.7,), {})  # scalar_loop
    source = hvp_derivative(PROGRAMS[8][0], ("x",), bound).source
    assert "tape_dot.append(x_dot)" in source and "_dot = tape_dot.pop()" in source


def tuple_read_in_loop(x, y):
    t = (x, y)
    for _ in range(3):
        a = t[0]  # x's tangent when t was built, though x changes below
        x = a * 2 + y * x
    return x + t[0]


def list_two_names(x):
    items = [1.0]
    alias = items
    alias.append(x * 2)  # seen through `items` too
    return items[0] + items[1] * x


def branch_self_update(x):
    t = x
    for i in range(3):
        if i == 1:
            t = np.sin(x)
        else:
            t = t * x  # SSA leaves this reading its own target
    return t


def loops_in_two_ifs(x, c):
    s = x
    if c > 0:
        for i in range(2):
            s = s * x + 0.1 * i
    if c > 1:
        for i in range(3):  # the same loop variable, under another test
            s = s + x * i
    return s


@pytest.mark.parametrize(
    "fn, args",
    [
        (tuple_read_in_loop, (0.3, 0.5)),
        (list_two_names, (0.5,)),
        (branch_self_update, (0.7,)),
        (loops_in_two_ifs, (0.5, -1.0)),
        (loops_in_two_ifs, (0.5, 2.0)),
    ],
)
def test_names_that_share_or_reuse(fn, args):
    wrt = tuple(range(len(args) if fn is not loops_in_two_ifs else 1))
    directions = tuple(0.5 + k for k in wrt)
    _, tangent = jvp(fn, wrt)(*args, directions)
    assert tangent == pytest.approx(float(_central(fn, args, wrt, directions)), rel=1e-7)


# ================================================================ reversed
def over_reversed_range(x):
    s = 0.0
    for i in reversed(range(1, 5)):
        s = s * x + i
    return s


def over_reversed_array(x, c):
    s = 0.0
    for v in reversed(c):
        s = s * x + v
    return s


def over_reversed_name(x):
    r = range(4)
    s = x
    for i in reversed(r[1:]):
        s = np.sin(s) * i
    return s


@pytest.mark.parametrize(
    "fn, args",
    [
        (over_reversed_range, (0.7,)),
        (over_reversed_array, (0.7, np.array([1.0, -2.0, 0.5]))),
        (over_reversed_name, (0.4,)),
    ],
)
def test_reversed_iteration(fn, args):
    s2sad.check_grad(fn, *args, wrt=0)
    _, tangent = jvp(fn)(*args, 1.0)
    assert tangent == pytest.approx(float(_central(fn, args, (0,), (1.0,))), rel=1e-7)


def test_reversed_range_stays_a_range():
    source = s2sad.source(over_reversed_range)
    assert "[::-1]" in source and "len(" not in source


# ================================================================= refusals
_namespace: dict = {}
exec(  # noqa: S102 - functions whose source inspect cannot read
    "def opaque_cube(x):\n    return x ** 3\n", {}, _namespace
)
opaque_cube = _namespace["opaque_cube"]
s2sad.register_adjoint(opaque_cube, {"x": "3.0 * g * x ** 2"})  # no forward rule


def calls_opaque_cube(x):
    return opaque_cube(x) + 1.0


def calls_einsum_tangent(x):
    return einsum_tangent("i->", (x,), (x,))


def extends_a_list(x):
    items = [x]
    items.extend([x * 2.0])
    return items[0] + items[1]


def vector_valued(x):
    return x * 2.0


def test_missing_forward_rule_is_refused():
    with pytest.raises(s2sad.NoRuleError, match="no forward rule for .*opaque_cube"):
        jvp(calls_opaque_cube)(1.0, 1.0)


def test_runtime_helper_without_rule_is_refused():
    with pytest.raises(s2sad.NoRuleError, match="einsum_tangent"):
        jvp(calls_einsum_tangent)(np.ones(3), np.ones(3))


def test_list_methods_it_cannot_follow_are_refused():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=r"for its effect|\.extend\(\)"):
        jvp(extends_a_list)(1.0, 1.0)


def test_bad_tangents():
    with pytest.raises(s2sad.ArgumentError, match="shape"):
        jvp(vector_valued)(np.ones(3), np.ones(2))
    with pytest.raises(s2sad.ArgumentError, match="2 tangents"):
        jvp(lecture, wrt=(0, 1))(1.0, 2.0, (1.0,))


def test_hessian_needs_a_scalar_output():
    with pytest.raises(s2sad.OutputError):
        hessian(vector_valued)(np.ones(2))


def test_kinds_key_the_cache():
    """A float and an array argument get code specialised to each."""
    assert jvp(array_plus_scalar)(1.0, 1.0)[1] == 3.0
    np.testing.assert_array_equal(jvp(array_plus_scalar)(np.ones(2), np.ones(2))[1], [3.0, 3.0])
    assert kind_of_value(1.0) != kind_of_value(np.ones(2))
