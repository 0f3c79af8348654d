"""Every derivative rule, checked against central differences.

The suite is a table. Each row names a function of the test module (s2sad
reads its source) and the arguments to call it with. Every function has the
form ``def f(<inputs>, w): return np.sum(<expression> * w)``: the weight ``w``
is a fixed random array shaped like the expression (found by calling ``f``
once with a probe in place of ``w``), so the incoming adjoint ``g`` of the
rule under test is neither all ones nor symmetric, and a rule that drops
``g``, transposes it, or sums it the wrong way disagrees with the numbers.

``check_grad`` differentiates with respect to every float or float-array
argument of the row; ints, bools, ``None`` and integer index arrays are passed
along as constants.
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import math
import re

import numpy as np
import pytest

import s2sad

# ------------------------------------------------------------------ inputs
_seeds = itertools.count(1)


def U(shape=(), lo=-1.0, hi=1.0):
    """Uniform in [lo, hi); ``shape=()`` gives a Python float. Fixed seed per call site order."""
    rng = np.random.default_rng(next(_seeds))
    if shape == ():
        return float(rng.uniform(lo, hi))
    return rng.uniform(lo, hi, size=shape)


def A(shape=(), lo=0.2, hi=1.5):
    """Away from zero: magnitude in [lo, hi), random sign."""
    rng = np.random.default_rng(next(_seeds))
    if shape == ():
        return float(rng.choice([-1.0, 1.0]) * rng.uniform(lo, hi))
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def P(shape=(), lo=0.3, hi=2.0):
    """Positive."""
    return U(shape, lo, hi)


def N(shape=()):
    rng = np.random.default_rng(next(_seeds))
    if shape == ():
        return float(rng.standard_normal())
    return rng.standard_normal(shape)


def _is_float(a) -> bool:
    if isinstance(a, bool):
        return False
    if isinstance(a, float):
        return True
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


class _Probe:
    """Stands in for the weight: records the shape it is multiplied with."""

    __array_ufunc__ = None  # make NumPy defer ``array * probe`` to __rmul__

    def __init__(self):
        self.shape = None

    def _record(self, other):
        self.shape = np.shape(other)
        return np.zeros(self.shape)

    __mul__ = __rmul__ = _record


def _weight(fn, args, seed):
    probe = _Probe()
    fn(*args, probe)
    assert probe.shape is not None, f"{fn.__name__} never multiplies by its weight"
    rng = np.random.default_rng(10_000 + seed)
    if probe.shape == ():
        return float(rng.uniform(0.5, 1.5) * rng.choice([-1.0, 1.0]))
    return rng.standard_normal(probe.shape)


def _describe(a) -> str:
    if _is_float(a) and isinstance(a, float):
        return "f"
    if isinstance(a, np.ndarray):
        s = "x".join(map(str, a.shape)) or "0d"
        return s if np.issubdtype(a.dtype, np.floating) else f"{a.dtype.kind}{s}"
    return repr(a).replace(" ", "")


_ids: set[str] = set()


def case(fn, *args, id=None, marks=()):
    name = id or f"{fn.__name__}[{','.join(_describe(a) for a in args)}]"
    base, k = name, 2
    while name in _ids:
        name, k = f"{base}#{k}", k + 1
    _ids.add(name)
    return pytest.param(fn, args, id=name, marks=marks)


# ============================================================== operators
def op_add(x, y, w):
    return np.sum((x + y) * w)


def op_sub(x, y, w):
    return np.sum((x - y) * w)


def op_mul(x, y, w):
    return np.sum((x * y) * w)


def op_div(x, y, w):
    return np.sum((x / y) * w)


def op_pow(x, y, w):
    return np.sum((x**y) * w)


def op_pow_int(x, w):
    return np.sum(x**3 * w)


def op_pow_half(x, w):
    return np.sum(x**0.5 * w)


def op_rpow(x, w):
    return np.sum(2.0**x * w)


def op_matmul(x, y, w):
    return np.sum((x @ y) * w)


def op_neg(x, w):
    return np.sum((-x) * w)


def op_chain(x, y, w):
    return np.sum((x * y - x / y + (-y) ** 2) * w)


_PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ()),
          ((4, 1, 3), (3,)), ((3,), (4, 1, 3)), ((2, 3), (3,)), ((2, 3), (2, 1))]

OPERATORS = (
    [case(op_add, N(a), N(b)) for a, b in _PAIRS]
    + [case(op_sub, N(a), N(b)) for a, b in _PAIRS]
    + [case(op_mul, N(a), N(b)) for a, b in _PAIRS]
    + [case(op_div, N(a), A(b)) for a, b in _PAIRS]
    + [case(op_pow, P(a), U(b, -2.0, 2.0)) for a, b in _PAIRS]
    + [case(op_chain, N(a), A(b)) for a, b in _PAIRS]
    + [case(op_pow_int, N(s)) for s in [(), (5,), (2, 3)]]
    + [case(op_pow_half, P(s)) for s in [(), (5,)]]
    + [case(op_rpow, N(s)) for s in [(), (2, 3)]]
    + [case(op_neg, N(s)) for s in [(), (4,), (2, 3)]]
    + [case(op_matmul, N(a), N(b)) for a, b in [
        ((3,), (3,)), ((3, 3), (3, 3)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2))]]
)


# ============================================================ math module
def math_sin(x, w):
    return math.sin(x) * w


def math_cos(x, w):
    return math.cos(x) * w


def math_tan(x, w):
    return math.tan(x) * w


def math_exp(x, w):
    return math.exp(x) * w


def math_log(x, w):
    return math.log(x) * w


def math_log1p(x, w):
    return math.log1p(x) * w


def math_log2(x, w):
    return math.log2(x) * w


def math_log10(x, w):
    return math.log10(x) * w


def math_expm1(x, w):
    return math.expm1(x) * w


def math_sqrt(x, w):
    return math.sqrt(x) * w


def math_tanh(x, w):
    return math.tanh(x) * w


def math_sinh(x, w):
    return math.sinh(x) * w


def math_cosh(x, w):
    return math.cosh(x) * w


def math_asin(x, w):
    return math.asin(x) * w


def math_acos(x, w):
    return math.acos(x) * w


def math_atan(x, w):
    return math.atan(x) * w


def math_asinh(x, w):
    return math.asinh(x) * w


def math_acosh(x, w):
    return math.acosh(x) * w


def math_atanh(x, w):
    return math.atanh(x) * w


def math_fabs(x, w):
    return math.fabs(x) * w


def math_erf(x, w):
    return math.erf(x) * w


def math_erfc(x, w):
    return math.erfc(x) * w


def math_pow(x, y, w):
    return math.pow(x, y) * w


def math_pow_cube(x, w):
    return math.pow(x, 3.0) * w


def math_atan2(y, x, w):
    return math.atan2(y, x) * w


def math_hypot(x, y, w):
    return math.hypot(x, y) * w


def math_copysign(x, y, w):
    return math.copysign(x, y) * w


def math_chain(x, w):
    return math.exp(math.sin(x)) * math.sqrt(x * x + 1.0) * w


def py_abs(x, w):
    return np.sum(abs(x) * w)


def py_float(x, w):
    return float(x * x) * w


def py_max(x, y, w):
    return max(x, y) * w


def py_min(x, y, w):
    return min(x, y) * w


def py_sum(x, y, w):
    return np.sum(sum([x, y, x * y]) * w)


_MATH_DOMAIN = {
    math_sin: lambda: N(), math_cos: lambda: N(), math_tan: lambda: U((), -1.2, 1.2), math_exp: lambda: N(),
    math_log: lambda: P(), math_log1p: lambda: U((), -0.6, 2.0), math_log2: lambda: P(), math_log10: lambda: P(),
    math_expm1: lambda: N(), math_sqrt: lambda: P(), math_tanh: lambda: N(), math_sinh: lambda: N(),
    math_cosh: lambda: N(), math_asin: lambda: U((), -0.9, 0.9), math_acos: lambda: U((), -0.9, 0.9),
    math_atan: lambda: N(), math_asinh: lambda: N(), math_acosh: lambda: U((), 1.2, 3.0),
    math_atanh: lambda: U((), -0.9, 0.9), math_fabs: lambda: A(), math_erf: lambda: N(), math_erfc: lambda: N(),
    math_chain: lambda: N(),
}

MATH = (
    [case(fn, make()) for fn, make in _MATH_DOMAIN.items() for _ in range(3)]
    + [case(math_pow, P(), U((), -2.0, 2.0)) for _ in range(3)]
    + [case(math_pow_cube, -1.5), case(math_pow_cube, 0.7)]
    + [case(math_atan2, N(), N()) for _ in range(2)]
    + [case(math_atan2, 0.7, -0.4, id="math_atan2[x<0]")]
    + [case(math_hypot, N(), N()) for _ in range(3)]
    + [case(math_copysign, A(), A()) for _ in range(3)]
    + [case(py_abs, A(s)) for s in [(), (5,), (2, 3)]]
    + [case(py_float, N()), case(py_float, np.float64(0.3), id="py_float[np.float64]")]
    + [case(py_max, 0.3, -0.4), case(py_max, -0.3, 0.4), case(py_min, 0.3, -0.4), case(py_min, -0.3, 0.4)]
    + [case(py_sum, N(a), N(b)) for a, b in [((), ()), ((3,), (3,)), ((2, 3), (3,))]]
)


# ==================================================== numpy elementwise
def np_sin(x, w):
    return np.sum(np.sin(x) * w)


def np_cos(x, w):
    return np.sum(np.cos(x) * w)


def np_tan(x, w):
    return np.sum(np.tan(x) * w)


def np_arcsin(x, w):
    return np.sum(np.arcsin(x) * w)


def np_arccos(x, w):
    return np.sum(np.arccos(x) * w)


def np_arctan(x, w):
    return np.sum(np.arctan(x) * w)


def np_sinh(x, w):
    return np.sum(np.sinh(x) * w)


def np_cosh(x, w):
    return np.sum(np.cosh(x) * w)


def np_tanh(x, w):
    return np.sum(np.tanh(x) * w)


def np_arcsinh(x, w):
    return np.sum(np.arcsinh(x) * w)


def np_arccosh(x, w):
    return np.sum(np.arccosh(x) * w)


def np_arctanh(x, w):
    return np.sum(np.arctanh(x) * w)


def np_exp(x, w):
    return np.sum(np.exp(x) * w)


def np_expm1(x, w):
    return np.sum(np.expm1(x) * w)


def np_exp2(x, w):
    return np.sum(np.exp2(x) * w)


def np_log(x, w):
    return np.sum(np.log(x) * w)


def np_log1p(x, w):
    return np.sum(np.log1p(x) * w)


def np_log2(x, w):
    return np.sum(np.log2(x) * w)


def np_log10(x, w):
    return np.sum(np.log10(x) * w)


def np_sqrt(x, w):
    return np.sum(np.sqrt(x) * w)


def np_cbrt(x, w):
    return np.sum(np.cbrt(x) * w)


def np_square(x, w):
    return np.sum(np.square(x) * w)


def np_abs(x, w):
    return np.sum(np.abs(x) * w)


def np_absolute(x, w):
    return np.sum(np.absolute(x) * w)


def np_fabs(x, w):
    return np.sum(np.fabs(x) * w)


def np_negative(x, w):
    return np.sum(np.negative(x) * w)


def np_reciprocal(x, w):
    return np.sum(np.reciprocal(x) * w)


def np_positive(x, w):
    return np.sum(np.positive(x) * w)


_NP_UNARY = {
    np_sin: N, np_cos: N, np_tan: lambda s: U(s, -1.2, 1.2), np_arcsin: lambda s: U(s, -0.9, 0.9),
    np_arccos: lambda s: U(s, -0.9, 0.9), np_arctan: N, np_sinh: N, np_cosh: N, np_tanh: N, np_arcsinh: N,
    np_arccosh: lambda s: U(s, 1.2, 3.0), np_arctanh: lambda s: U(s, -0.9, 0.9), np_exp: N, np_expm1: N,
    np_exp2: N, np_log: P, np_log1p: lambda s: U(s, -0.6, 2.0), np_log2: P, np_log10: P, np_sqrt: P, np_cbrt: A,
    np_square: N, np_abs: A, np_absolute: A, np_fabs: A, np_negative: N, np_reciprocal: A, np_positive: N,
}

NP_UNARY = [case(fn, make(s)) for fn, make in _NP_UNARY.items() for s in [(), (5,), (2, 3)]]


def np_add(x, y, w):
    return np.sum(np.add(x, y) * w)


def np_subtract(x, y, w):
    return np.sum(np.subtract(x, y) * w)


def np_multiply(x, y, w):
    return np.sum(np.multiply(x, y) * w)


def np_divide(x, y, w):
    return np.sum(np.divide(x, y) * w)


def np_true_divide(x, y, w):
    return np.sum(np.true_divide(x, y) * w)


def np_power(x, y, w):
    return np.sum(np.power(x, y) * w)


def np_arctan2(y, x, w):
    return np.sum(np.arctan2(y, x) * w)


def np_hypot(x, y, w):
    return np.sum(np.hypot(x, y) * w)


def np_maximum(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def np_minimum(x, y, w):
    return np.sum(np.minimum(x, y) * w)


def np_logaddexp(x, y, w):
    return np.sum(np.logaddexp(x, y) * w)


def np_relu(x, w):
    return np.sum(np.maximum(x, 0.0) * w)


def np_where_gt(x, y, w):
    return np.sum(np.where(x > 0, x, y) * w)


def np_where_cond(c, x, y, w):
    return np.sum(np.where(c, x, y) * w)


def np_where_const(c, x, w):
    return np.sum(np.where(c, x * x, 0.0) * w)


def np_where_cmp_broadcast(x, y, w):
    return np.sum(np.where(y > 0, x, 0.0) * w)


def np_where_scalar_branches(a, v, w):
    r = np.where(v > 0, a, 2.0)
    return np.sum(r * a * w)


def mul_by_comparison(x, y, w):
    return np.sum(x * (y > 0) * w)


def np_clip_const(x, w):
    return np.sum(np.clip(x, -0.5, 0.5) * w)


def np_clip(x, lo, hi, w):
    return np.sum(np.clip(x, lo, hi) * w)


def method_clip(x, w):
    return np.sum(x.clip(-0.5, 0.5) * w)


def method_clip_kw(x, w):
    return np.sum(x.clip(min=-0.5, max=0.5) * w)


def method_clip_active(x, lo, hi, w):
    return np.sum(x.clip(lo, hi) * w)


def np_clip_upper(x, w):
    return np.sum(np.clip(x, None, 0.5) * w)


def np_clip_lower(x, w):
    return np.sum(np.clip(x, -0.5, None) * w)


def method_clip_upper(x, w):
    return np.sum(x.clip(max=0.5) * w)


def method_clip_lower(x, w):
    return np.sum(x.clip(-0.5) * w)


_BIN_PAIRS = [((), ()), ((5,), (5,)), ((2, 3), (2, 3)), ((2, 1), (1, 3)), ((2, 3), ()), ((), (2, 3)), ((4, 1, 3), (3,))]


def _away_from(x, lo=0.15, hi=1.0):
    """Values shaped like x, at distance >= lo from each entry of x (no ties)."""
    return x + A(np.shape(x), lo, hi)


def _clip_input(shape, edges=(-0.5, 0.5)):
    x = U(shape, -1.5, 1.5)
    for e in edges:
        x = np.where(np.abs(x - e) < 0.05, x + 0.1, x)
    return x if shape != () else float(x)


NP_BINARY = (
    [case(fn, N(a), N(b)) for fn in (np_add, np_subtract, np_multiply, np_logaddexp) for a, b in _BIN_PAIRS]
    + [case(fn, N(a), A(b)) for fn in (np_divide, np_true_divide) for a, b in _BIN_PAIRS]
    + [case(np_power, P(a), U(b, -2.0, 2.0)) for a, b in _BIN_PAIRS]
    + [case(fn, A(a), A(b)) for fn in (np_arctan2, np_hypot) for a, b in _BIN_PAIRS]
    + [case(np_arctan2, np.array([0.5, -0.5, 0.5, -0.5]), np.array([0.3, 0.3, -0.3, -0.3]),
            id="np_arctan2[four-quadrants]")]
    + [case(fn, x, _away_from(x)) for fn in (np_maximum, np_minimum) for x in (N(()), N((5,)), N((2, 3)))]
    + [case(fn, N((2, 1)), N((1, 3)) + 0.01) for fn in (np_maximum, np_minimum)]
    + [case(fn, np.linspace(-1, 1, 6).reshape(2, 3) + 0.05, 0.3) for fn in (np_maximum, np_minimum)]
    + [case(np_relu, A(s)) for s in [(), (6,), (2, 3)]]
    + [case(np_where_gt, A(s), N(s)) for s in [(5,), (2, 3)]]
    + [case(np_where_gt, A((2, 1)), N((1, 3)))]
    + [case(np_where_cond, np.array([True, False, True, True]), N((4,)), N((4,)))]
    + [case(np_where_cond, np.array([[True, False, True], [False, False, True]]), N((2, 1)), N((3,)))]
    + [case(np_where_cond, np.array([True, False, True]), N(()), N((2, 3)))]
    + [case(np_where_const, np.array([[True, False, True], [False, True, True]]), N((2, 3)))]
    + [case(fn, N((3,)), np.array([[0.5, -0.5, 0.5], [-0.5, 0.5, 0.5]]))
       for fn in (np_where_cmp_broadcast, mul_by_comparison)]
    + [case(np_where_scalar_branches, 0.7, np.array([0.5, -0.5, 0.3])), case(np_where_scalar_branches, -0.7, 0.4)]
    + [case(fn, N((2, 3)), np.array([[0.5, -0.5, 0.5], [-0.5, 0.5, 0.5]])) for fn in (np_where_cmp_broadcast,
                                                                                       mul_by_comparison)]
    + [case(np_clip_const, _clip_input(s)) for s in [(), (8,), (3, 4)]]
    + [case(np_clip, _clip_input((8,), (-0.4, 0.6)), -0.4, 0.6)]
    + [case(np_clip, _clip_input((2, 3), (-0.4, 0.6)), np.array([-0.4, -0.4, -0.4]), np.array([[0.6], [0.6]]))]
    + [case(method_clip, _clip_input(s)) for s in [(8,), (3, 4)]]
    + [case(method_clip_kw, _clip_input((3, 4)))]
    + [case(method_clip_active, _clip_input((8,), (-0.4, 0.6)), -0.4, 0.6)]
    + [case(method_clip_active, _clip_input((2, 3), (-0.4, 0.6)), np.full((2, 1), -0.4), np.full((3,), 0.6))]
    + [case(fn, _clip_input((3, 4))) for fn in (np_clip_upper, np_clip_lower, method_clip_upper, method_clip_lower)]
)


# ============================================================ reductions
def red_sum(x, axis, keepdims, w):
    return np.sum(np.sum(x, axis=axis, keepdims=keepdims) * w)


def red_mean(x, axis, keepdims, w):
    return np.sum(np.mean(x, axis=axis, keepdims=keepdims) * w)


def red_prod(x, axis, keepdims, w):
    return np.sum(np.prod(x, axis=axis, keepdims=keepdims) * w)


def red_max(x, axis, keepdims, w):
    return np.sum(np.max(x, axis=axis, keepdims=keepdims) * w)


def red_min(x, axis, keepdims, w):
    return np.sum(np.min(x, axis=axis, keepdims=keepdims) * w)


def red_amax(x, axis, keepdims, w):
    return np.sum(np.amax(x, axis=axis, keepdims=keepdims) * w)


def red_amin(x, axis, keepdims, w):
    return np.sum(np.amin(x, axis=axis, keepdims=keepdims) * w)


def red_var(x, axis, keepdims, w):
    return np.sum(np.var(x, axis=axis, keepdims=keepdims) * w)


def red_std(x, axis, keepdims, w):
    return np.sum(np.std(x, axis=axis, keepdims=keepdims) * w)


def red_norm(x, axis, keepdims, w):
    return np.sum(np.linalg.norm(x, axis=axis, keepdims=keepdims) * w)


def red_msum(x, axis, keepdims, w):
    return np.sum(x.sum(axis=axis, keepdims=keepdims) * w)


def red_mmean(x, axis, keepdims, w):
    return np.sum(x.mean(axis=axis, keepdims=keepdims) * w)


def red_mprod(x, axis, keepdims, w):
    return np.sum(x.prod(axis=axis, keepdims=keepdims) * w)


def red_mmax(x, axis, keepdims, w):
    return np.sum(x.max(axis=axis, keepdims=keepdims) * w)


def red_mmin(x, axis, keepdims, w):
    return np.sum(x.min(axis=axis, keepdims=keepdims) * w)


def red_mvar(x, axis, keepdims, w):
    return np.sum(x.var(axis=axis, keepdims=keepdims) * w)


def red_mstd(x, axis, keepdims, w):
    return np.sum(x.std(axis=axis, keepdims=keepdims) * w)


# literal forms: the axis and keepdims are constants in the source
def sum_all(x, w):
    return np.sum(x) * w


def sum_axis0(x, w):
    return np.sum(np.sum(x, axis=0) * w)


def sum_axis1_positional(x, w):
    return np.sum(np.sum(x, 1) * w)


def sum_axis_neg_keep(x, w):
    return np.sum(np.sum(x, axis=-1, keepdims=True) * w)


def sum_axes_tuple(x, w):
    return np.sum(np.sum(x, axis=(0, 2)) * w)


def mean_all(x, w):
    return np.mean(x) * w


def mean_axis1_keep(x, w):
    return np.sum(np.mean(x, axis=1, keepdims=True) * w)


def mean_axes_tuple(x, w):
    return np.sum(np.mean(x, axis=(0, 2), keepdims=True) * w)


def prod_all(x, w):
    return np.prod(x) * w


def prod_axis0(x, w):
    return np.sum(np.prod(x, axis=0) * w)


def max_all(x, w):
    return np.max(x) * w


def min_axis1(x, w):
    return np.sum(np.min(x, axis=1) * w)


def max_axis_neg_keep(x, w):
    return np.sum(np.max(x, axis=-1, keepdims=True) * w)


def var_all(x, w):
    return np.var(x) * w


def var_ddof(x, w):
    return np.sum(np.var(x, axis=0, ddof=1) * w)


def std_all(x, w):
    return np.std(x) * w


def std_ddof(x, w):
    return np.sum(np.std(x, axis=1, ddof=1, keepdims=True) * w)


def var_axes_tuple(x, w):
    return np.sum(np.var(x, axis=(0, 1)) * w)


def norm_all(x, w):
    return np.linalg.norm(x) * w


def norm_ord2(x, w):
    return np.linalg.norm(x, 2) * w


def norm_fro(x, w):
    return np.linalg.norm(x, "fro") * w


def norm_axis0(x, w):
    return np.sum(np.linalg.norm(x, axis=0) * w)


def norm_ord2_axis(x, w):
    return np.sum(np.linalg.norm(x, ord=2, axis=1, keepdims=True) * w)


def cumsum_axis(x, w):
    return np.sum(np.cumsum(x, axis=0) * w)


def cumsum_flat(x, w):
    return np.sum(np.cumsum(x) * w)


def cumsum_last(x, w):
    return np.sum(np.cumsum(x, -1) * w)


def msum_axis0(x, w):
    return np.sum(x.sum(axis=0) * w)


def mmean_all(x, w):
    return x.mean() * w


def mmax_axis1(x, w):
    return np.sum(x.max(axis=1) * w)


def mmin_all(x, w):
    return x.min() * w


def mprod_axis1(x, w):
    return np.sum(x.prod(axis=1) * w)


def mvar_all(x, w):
    return x.var() * w


def mstd_axis0(x, w):
    return np.sum(x.std(axis=0) * w)


def msum_positional(x, w):
    return np.sum(x.sum(1) * w)


_RED_FNS = [red_sum, red_mean, red_prod, red_max, red_min, red_amax, red_amin, red_var, red_std, red_norm,
            red_msum, red_mmean, red_mprod, red_mmax, red_mmin, red_mvar, red_mstd]
_RED_GRID = [((3, 4), ax, kd) for ax in (None, 0, 1, -1) for kd in (False, True)] + [
    ((5,), None, False), ((5,), 0, True), ((2, 3, 4), 1, False), ((2, 3, 4), -1, True),
    ((2, 3, 4), (0, 2), False), ((2, 3, 4), (0, -1), True), ((2, 3, 4), (1,), False), ((2, 3, 4), None, True)]


def _red_input(fn, shape):
    # prod: keep magnitudes near one so products are well scaled
    return P(shape, 0.5, 1.5) if fn in (red_prod, red_mprod) else N(shape)


REDUCTIONS = (
    [case(fn, _red_input(fn, s), ax, kd) for fn in _RED_FNS for s, ax, kd in _RED_GRID]
    + [case(sum_all, N(s)) for s in [(), (5,), (2, 3)]]
    + [case(sum_axis0, N((3, 4))), case(sum_axis1_positional, N((3, 4))), case(sum_axis_neg_keep, N((2, 3, 4)))]
    + [case(sum_axes_tuple, N((2, 3, 4))), case(mean_axes_tuple, N((2, 3, 4))), case(var_axes_tuple, N((2, 3, 4)))]
    + [case(mean_all, N(s)) for s in [(5,), (2, 3)]] + [case(mean_axis1_keep, N((3, 4)))]
    + [case(prod_all, P(s, 0.5, 1.5)) for s in [(5,), (2, 3)]]
    + [case(prod_all, np.array([0.5, 0.0, 1.5, 2.0]), id="prod_all[one-zero]")]
    + [case(prod_all, np.array([0.5, 0.0, 1.5, 0.0]), id="prod_all[two-zeros]")]
    + [case(prod_axis0, np.array([[0.5, 0.0, 1.5], [2.0, 1.2, 0.0], [0.7, 0.8, 0.0]]), id="prod_axis0[zeros]")]
    + [case(max_all, N(s)) for s in [(5,), (2, 3)]]
    + [case(min_axis1, N((3, 4))), case(max_axis_neg_keep, N((2, 3, 4)))]
    + [case(var_all, N((5,))), case(var_ddof, N((4, 3))), case(std_all, N((2, 3))), case(std_ddof, N((3, 4)))]
    + [case(norm_all, N(s)) for s in [(5,), (2, 3)]]
    + [case(norm_ord2, N((5,))), case(norm_fro, N((2, 3)))]
    + [case(norm_axis0, N((3, 4))), case(norm_ord2_axis, N((3, 4)))]
    + [case(cumsum_axis, N((3, 4))), case(cumsum_flat, N((2, 3))), case(cumsum_last, N((2, 3)))]
    + [case(msum_axis0, N((3, 4))), case(mmean_all, N((2, 3))), case(mmax_axis1, N((3, 4))), case(mmin_all, N((5,)))]
    + [case(mprod_axis1, P((3, 4), 0.5, 1.5)), case(mvar_all, N((2, 3))), case(mstd_axis0, N((4, 3)))]
    + [case(msum_positional, N((3, 4)))]
)


# ========================================================= linear algebra
def la_dot(x, y, w):
    return np.sum(np.dot(x, y) * w)


def la_mdot(x, y, w):
    return np.sum(x.dot(y) * w)


def la_matmul(x, y, w):
    return np.sum(np.matmul(x, y) * w)


def la_outer(x, y, w):
    return np.sum(np.outer(x, y) * w)


def la_inner(x, y, w):
    return np.sum(np.inner(x, y) * w)


def la_vdot(x, y, w):
    return np.vdot(x, y) * w


def la_trace(x, w):
    return np.trace(x) * w


def td_default(x, y, w):
    return np.sum(np.tensordot(x, y) * w)


def td_axes1(x, y, w):
    return np.sum(np.tensordot(x, y, axes=1) * w)


def td_axes0(x, y, w):
    return np.sum(np.tensordot(x, y, 0) * w)


def td_pairs(x, y, w):
    return np.sum(np.tensordot(x, y, axes=([1, 0], [0, 1])) * w)


def td_lists(x, y, w):
    return np.sum(np.tensordot(x, y, axes=([2], [0])) * w)


def td_ints(x, y, w):
    return np.sum(np.tensordot(x, y, axes=(0, 1)) * w)


def es_matmul(x, y, w):
    return np.sum(np.einsum("ij,jk->ik", x, y) * w)


def es_inner(x, y, w):
    return np.einsum("i,i->", x, y) * w


def es_rowsum(x, w):
    return np.sum(np.einsum("ij->i", x) * w)


def es_transpose(x, w):
    return np.sum(np.einsum("ij->ji", x) * w)


def es_batched(x, y, w):
    return np.sum(np.einsum("bij,bjk->bik", x, y) * w)


def es_matvec(x, y, w):
    return np.sum(np.einsum("ij,j->i", x, y) * w)


def es_outer(x, y, w):
    return np.sum(np.einsum("i,j->ij", x, y) * w)


def es_sum_other(x, y, w):
    return np.sum(np.einsum("ij,k->i", x, y) * w)


def es_three(x, y, z, w):
    return np.sum(np.einsum("ij,jk,k->i", x, y, z) * w)


LINALG = (
    [case(fn, N(a), N(b)) for fn in (la_dot, la_mdot) for a, b in [
        ((3,), (3,)), ((3, 3), (3, 3)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), ()),
        ((2, 2, 3), (3, 4)), ((2, 2, 3), (4, 3, 5)), ((3,), (2, 3, 4))]]
    + [case(la_dot, N(()), N((2, 3))), case(la_dot, N(()), N(()))]
    + [case(la_matmul, N(a), N(b)) for a, b in [
        ((3,), (3,)), ((3, 3), (3, 3)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2))]]
    + [case(la_outer, N(a), N(b)) for a, b in [((3,), (4,)), ((2, 2), (3,)), ((3,), ())]]
    + [case(la_inner, N(a), N(b)) for a, b in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (3,)), ((2, 4, 3), (5, 3)),
                                                ((), (3,)), ((2, 3), ())]]
    + [case(la_vdot, N(a), N(b)) for a, b in [((3,), (3,)), ((2, 3), (3, 2))]]
    + [case(la_trace, N(s)) for s in [(3, 3), (2, 4)]]
    + [case(td_default, N((2, 3, 4)), N((3, 4, 5))), case(td_default, N((3, 4)), N((3, 4)))]
    + [case(td_axes1, N((2, 3)), N((3, 4))), case(td_axes1, N((2, 3, 4)), N((4, 5)))]
    + [case(td_axes0, N((2,)), N((3, 2)))]
    + [case(td_pairs, N((3, 2, 4)), N((2, 3, 5)))]
    + [case(td_lists, N((2, 3, 4)), N((4, 5)))]
    + [case(td_ints, N((3, 4)), N((2, 3)))]
    + [case(es_matmul, N((2, 3)), N((3, 4))), case(es_inner, N((4,)), N((4,))), case(es_rowsum, N((3, 4)))]
    + [case(es_transpose, N((2, 3))), case(es_batched, N((5, 2, 3)), N((5, 3, 4)))]
    + [case(es_matvec, N((2, 3)), N((3,))), case(es_outer, N((3,)), N((4,))), case(es_sum_other, N((2, 3)), N((4,)))]
    + [case(es_three, N((2, 3)), N((3, 4)), N((4,)))]
)


# ================================================================ shapes
def sh_T(x, w):
    return np.sum(x.T * w)


def sh_transpose(x, w):
    return np.sum(np.transpose(x) * w)


def sh_transpose_axes(x, w):
    return np.sum(np.transpose(x, (1, 0, 2)) * w)


def sh_mtranspose(x, w):
    return np.sum(x.transpose() * w)


def sh_mtranspose_args(x, w):
    return np.sum(x.transpose(1, 2, 0) * w)


def sh_mtranspose_tuple(x, w):
    return np.sum(x.transpose((2, 0, 1)) * w)


def sh_transpose_neg(x, w):
    return np.sum(np.transpose(x, (-1, 0, 1)) * w)


def sh_mtranspose_neg(x, w):
    return np.sum(x.transpose(2, -3, -2) * w)


def sh_reshape(x, w):
    return np.sum(np.reshape(x, (3, 2)) * w)


def sh_reshape_flat(x, w):
    return np.sum(np.reshape(x, -1) * w)


def sh_mreshape_args(x, w):
    return np.sum(x.reshape(3, 2) * w)


def sh_mreshape_tuple(x, w):
    return np.sum(x.reshape((1, 6)) * w)


def sh_mreshape_flat(x, w):
    return np.sum(x.reshape(-1) * w)


def sh_ravel(x, w):
    return np.sum(np.ravel(x) * w)


def sh_mravel(x, w):
    return np.sum(x.ravel() * w)


def sh_mflatten(x, w):
    return np.sum(x.flatten() * w)


def sh_expand0(x, w):
    return np.sum(np.expand_dims(x, 0) * w)


def sh_expand1(x, w):
    return np.sum(np.expand_dims(x, axis=1) * w)


def sh_expand_neg(x, w):
    return np.sum(np.expand_dims(x, -1) * w)


def sh_squeeze(x, w):
    return np.sum(np.squeeze(x) * w)


def sh_squeeze_axis(x, w):
    return np.sum(np.squeeze(x, axis=1) * w)


def sh_msqueeze(x, w):
    return np.sum(x.squeeze() * w)


def sh_broadcast_to(x, w):
    return np.sum(np.broadcast_to(x, (4, 2, 3)) * w)


def sh_concat0(x, y, w):
    return np.sum(np.concatenate([x, y]) * w)


def sh_concat1(x, y, w):
    return np.sum(np.concatenate((x, y, x), axis=1) * w)


def sh_concat_none(x, y, w):
    return np.sum(np.concatenate([x, y], axis=None) * w)


def sh_stack0(x, y, w):
    return np.sum(np.stack([x, y]) * w)


def sh_stack1(x, y, w):
    return np.sum(np.stack([x, y, x * y], axis=1) * w)


def sh_stack_neg(x, y, w):
    return np.sum(np.stack((x, y), axis=-1) * w)


def sh_array(x, y, w):
    return np.sum(np.array([x, y, x * y]) * w)


def sh_asarray(x, w):
    return np.sum(np.asarray(x) * w)


def sh_copy(x, w):
    return np.sum(np.copy(x) * w)


def sh_mcopy(x, w):
    return np.sum(x.copy() * w)


# sequence rules whose operand is an array (or a list held in a variable), not a list literal
def seq_array_of_array(x, w):
    return np.sum(np.array(x) * w)


def seq_asarray_list(x, y, w):
    return np.sum(np.asarray([x, y * 2.0]) * w)


def seq_asarray_array(x, w):
    return np.sum(np.asarray(x) * w)


def seq_stack_rows(x, w):
    return np.sum(np.stack(x, axis=1) * w)


def seq_concat_rows(x, w):
    return np.sum(np.concatenate(x, axis=1) * w)


def seq_concat_rows_flat(x, w):
    return np.sum(np.concatenate(x, axis=None) * w)


def seq_builtin_sum_rows(x, w):
    return np.sum(sum(x) * w)


def seq_list_variable(x, y, w):
    parts = [x, y * y]
    return np.sum(np.concatenate(parts) * w)


def seq_tuple_variable(x, y, w):
    parts = (x, y)
    return np.sum(np.stack(parts, axis=-1) * w)


def seq_list_index(x, y, w):
    parts = [x, y]
    return np.sum(parts[1] * w) + np.sum(parts[0] * parts[0])


def seq_nested_array(x, y, w):
    return np.sum(np.array([[x, y], [y, x * y]]) * w)


SHAPES = (
    [case(sh_T, N(s)) for s in [(2, 3), (2, 3, 4), (5,)]]
    + [case(sh_transpose, N(s)) for s in [(2, 3), (2, 3, 4)]]
    + [case(sh_transpose_axes, N((2, 3, 4))), case(sh_mtranspose, N((2, 3))), case(sh_mtranspose_args, N((2, 3, 4)))]
    + [case(fn, N((2, 3, 4))) for fn in (sh_mtranspose_tuple, sh_transpose_neg, sh_mtranspose_neg)]
    + [case(fn, N(s)) for fn in (sh_reshape, sh_reshape_flat, sh_mreshape_args, sh_mreshape_tuple, sh_mreshape_flat)
       for s in [(2, 3), (6,)]]
    + [case(fn, N(s)) for fn in (sh_ravel, sh_mravel, sh_mflatten) for s in [(2, 3), (2, 1, 3)]]
    + [case(fn, N(s)) for fn in (sh_expand0, sh_expand1, sh_expand_neg) for s in [(3,), (2, 3)]]
    + [case(sh_squeeze, N(s)) for s in [(2, 1, 3), (1, 3, 1)]]
    + [case(sh_squeeze_axis, N((2, 1, 3))), case(sh_msqueeze, N((1, 3, 1)))]
    + [case(sh_broadcast_to, N(s)) for s in [(3,), (2, 1), (1, 3), ()]]
    + [case(sh_concat0, N(a), N(b)) for a, b in [((2,), (3,)), ((2, 3), (4, 3))]]
    + [case(sh_concat1, N((2, 3)), N((2, 1))), case(sh_concat_none, N((2, 3)), N((4,)))]
    + [case(fn, N(s), N(s)) for fn in (sh_stack0, sh_stack1, sh_stack_neg) for s in [(3,), (2, 3)]]
    + [case(sh_array, N(()), N(())), case(sh_array, N((3,)), N((3,)))]
    + [case(fn, N((2, 3))) for fn in (sh_asarray, sh_copy, sh_mcopy)]
    + [case(seq_array_of_array, N(s)) for s in [(), (4,), (2, 3)]]
    + [case(seq_asarray_list, N(()), N(())), case(seq_asarray_list, N((3,)), N((3,))), case(seq_asarray_array, N(()))]
    + [case(fn, N((3, 2, 4))) for fn in (seq_stack_rows, seq_concat_rows, seq_concat_rows_flat, seq_builtin_sum_rows)]
    + [case(seq_builtin_sum_rows, N((4,)))]
    + [case(seq_list_variable, N((2,)), N((3,))), case(seq_tuple_variable, N((2, 3)), N((2, 3)))]
    + [case(seq_list_index, N((2,)), N((3,))), case(seq_list_index, N(()), N(()))]
    + [case(seq_nested_array, N(()), N(()))]
)


# ============================================================== indexing
def ix_int(x, w):
    return np.sum(x[1] * w)


def ix_neg(x, w):
    return np.sum(x[-1] * w)


def ix_newaxis(x, w):
    return np.sum(x[:, None] * w)


def ix_ellipsis(x, w):
    return np.sum(x[..., 1] * w)


def ix_slice(x, w):
    return np.sum(x[1:3] * w)


def ix_step(x, w):
    return np.sum(x[::2] * w)


def ix_column(x, w):
    return np.sum(x[:, 0] * w)


def ix_pair(x, w):
    return x[1, 2] * w


def ix_fancy(x, w):
    return np.sum(x[np.array([0, 0, 2])] * w)


def ix_fancy_arg(x, idx, w):
    return np.sum(x[idx] * w)


def ix_fancy_2d(x, w):
    return np.sum(x[np.array([1, 0, 1]), np.array([2, 2, 0])] * w)


def ix_mask(x, w):
    return np.sum(x[x > 0] * w)


def ix_list(x, w):
    return np.sum(x[[0, 0, 2]] * w)


def ix_bool_array(x, w):
    return np.sum(x[np.array([True, False, True])] * w)


def ix_tuple_variable(x, w):
    idx = (np.array([0, 1, 1]), np.array([2, 0, 2]))
    return np.sum(x[idx] * w)


def ix_twice(x, w):
    return np.sum((x[0] * x[1] + x[:, 1].sum()) * w)


def ix_slice_2d(x, w):
    return np.sum(x[1:, :2] * w)


INDEXING = (
    [case(ix_int, N(s)) for s in [(3,), (3, 4), (3, 4, 2)]]
    + [case(ix_neg, N(s)) for s in [(3,), (3, 4)]]
    + [case(ix_newaxis, N(s)) for s in [(3,), (3, 4)]]
    + [case(ix_ellipsis, N(s)) for s in [(3,), (3, 4), (3, 4, 2)]]
    + [case(ix_slice, N(s)) for s in [(5,), (4, 3)]]
    + [case(ix_step, N(s)) for s in [(5,), (4, 3)]]
    + [case(ix_column, N(s)) for s in [(3, 4), (3, 4, 2)]]
    + [case(ix_pair, N((3, 4)))]
    + [case(ix_fancy, N(s)) for s in [(4,), (3, 2)]]
    + [case(ix_fancy_arg, N((5,)), np.array([4, 1, 1, 1, 0])), case(ix_fancy_arg, N((4, 2)), np.array([3, 3]))]
    + [case(ix_fancy_2d, N((3, 4)))]
    + [case(ix_mask, A(s)) for s in [(6,), (3, 4)]]
    + [case(ix_twice, N((3, 4))), case(ix_slice_2d, N((3, 4)))]
    + [case(ix_list, N((3,))), case(ix_list, N((3, 2))), case(ix_bool_array, N((3,))), case(ix_bool_array, N((3, 2)))]
    + [case(ix_tuple_variable, N((2, 3)))]
)


# ================================================= len(), .shape, methods
def uses_len(x, w):
    n = len(x)
    return np.sum(x * n * w) / n


def uses_len_loop(x, w):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * x[i]
    return total * w


def uses_shape(x, w):
    return np.sum(x.reshape(x.shape[0] * x.shape[1]) * w)


def uses_shape_ones(x, w):
    return np.sum((x * np.ones(x.shape) + np.zeros_like(x)) * w)


def uses_shape_mean(x, w):
    n, m = x.shape
    return np.sum(x.sum(axis=0) / n * w) + x.size * m * 0.0


def mixed_methods(x, y, w):
    return np.sum(x.dot(y).T.reshape(-1) * w) + x.sum() * y.mean()


W_CONST = np.random.default_rng(99).standard_normal((2, 3))


def method_on_global(x, w):
    return np.sum(x * W_CONST.ravel() * w)


MISC = [
    case(uses_len, N((4,))), case(uses_len, N((3, 2))), case(uses_len_loop, N((4,))), case(uses_shape, N((2, 3))),
    case(uses_shape_ones, N((2, 3))), case(uses_shape_mean, N((3, 4))), case(mixed_methods, N((2, 3)), N((3, 4))),
    case(method_on_global, N((6,))),
]


# ============================================= more of the NumPy/builtins API
# (what autograd's and JAX's test suites exercise)
def _wellcond(shape, flip=False):
    """Square matrices (or stacks) far from singular; ``flip`` makes the determinant negative."""
    n = shape[-1]
    m = 0.5 * N(shape) + 2.0 * np.eye(n)
    if flip:
        m[..., 0, :] *= -1.0
    return m


def _spd(shape):
    m = N(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def la_inv(x, w):
    return np.sum(np.linalg.inv(x) * w)


def la_det(x, w):
    return np.sum(np.linalg.det(x) * w)


def la_slogdet(x, w):
    return np.sum(np.linalg.slogdet(x)[1] * w)


def la_slogdet_unpack(x, w):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(sign * logdet * w)


def la_solve(a, b, w):
    return np.sum(np.linalg.solve(a, b) * w)


def la_cholesky(x, w):
    return np.sum(np.linalg.cholesky(x) * w)


def la_inv_chain(x, w):
    return np.sum((np.linalg.inv(x) @ np.swapaxes(x, -1, -2) + np.linalg.det(x)[..., None, None]) * w)


def sh_swapaxes(x, w):
    return np.sum(np.swapaxes(x, 0, -1) * w)


def sh_moveaxis(x, w):
    return np.sum(np.moveaxis(x, 0, -1) * w)


def sh_moveaxis_tuple(x, w):
    return np.sum(np.moveaxis(x, (0, 1), (2, 0)) * w)


def sh_atleast_1d(x, w):
    return np.sum(np.atleast_1d(x) * w)


def sh_atleast_2d(x, w):
    return np.sum(np.atleast_2d(x) * w)


def sh_atleast_3d(x, w):
    return np.sum(np.atleast_3d(x) * w)


def sh_flip(x, w):
    return np.sum(np.flip(x) * w)


def sh_flip_axis(x, w):
    return np.sum(np.flip(x, 1) * w)


def sh_flip_axes(x, w):
    return np.sum(np.flip(x, axis=(0, -1)) * w)


def sh_fliplr(x, w):
    return np.sum(np.fliplr(x) * w)


def sh_flipud(x, w):
    return np.sum(np.flipud(x) * w)


def sh_roll(x, w):
    return np.sum(np.roll(x, 2) * w)


def sh_roll_axis(x, w):
    return np.sum(np.roll(x, -1, axis=1) * w)


def sh_roll_axes(x, w):
    return np.sum(np.roll(x, (1, 2), axis=(0, 1)) * w)


def sh_triu(x, w):
    return np.sum(np.triu(x) * w)


def sh_triu_k(x, w):
    return np.sum(np.triu(x, k=1) * w)


def sh_tril(x, w):
    return np.sum(np.tril(x) * w)


def sh_tril_k(x, w):
    return np.sum(np.tril(x, -1) * w)


def sh_diag(x, w):
    return np.sum(np.diag(x) * w)


def sh_diag_k(x, k, w):
    return np.sum(np.diag(x, k) * w)


def sh_diagonal(x, w):
    return np.sum(np.diagonal(x) * w)


def sh_diagonal_axes(x, w):
    return np.sum(np.diagonal(x, 1, 1, 2) * w)


def sh_diagonal_kw(x, w):
    return np.sum(np.diagonal(x, offset=-1, axis1=2, axis2=0) * w)


def sh_repeat(x, w):
    return np.sum(np.repeat(x, 2) * w)


def sh_repeat_axis(x, w):
    return np.sum(np.repeat(x, 3, axis=1) * w)


def sh_repeat_counts(x, counts, w):
    return np.sum(np.repeat(x, counts, axis=0) * w)


def sh_tile(x, w):
    return np.sum(np.tile(x, 2) * w)


def sh_tile_reps(x, w):
    return np.sum(np.tile(x, (2, 1, 3)) * w)


def sh_diff(x, w):
    return np.sum(np.diff(x) * w)


def sh_diff_n(x, w):
    return np.sum(np.diff(x, 2) * w)


def sh_diff_axis(x, w):
    return np.sum(np.diff(x, n=2, axis=0) * w)


def sh_hstack(x, y, w):
    return np.sum(np.hstack([x, y]) * w)


def sh_hstack3(x, y, w):
    return np.sum(np.hstack((x, y, x * 2.0)) * w)


def sh_vstack(x, y, w):
    return np.sum(np.vstack([x, y]) * w)


def sh_column_stack(x, y, w):
    return np.sum(np.column_stack([x, y]) * w)


def sh_stack_rows(x, w):
    return np.sum((np.hstack(x) + np.vstack(x).sum() + np.column_stack(x).sum()) * w)


def cumprod_flat(x, w):
    return np.sum(np.cumprod(x) * w)


def cumprod_axis(x, w):
    return np.sum(np.cumprod(x, axis=1) * w)


def np_sinc(x, w):
    return np.sum(np.sinc(x) * w)


def np_full(v, w):
    return np.sum(np.full((2, 3), v) * w)


def np_full_int_shape(v, w):
    return np.sum(np.full(4, v * v) * w)


def np_full_int_dtype(v, w):
    return np.sum(np.full((2, 3), v, dtype=int) * w) + v


def np_full_write(v, b, w):
    y = np.full(3, v)
    y[1] = b
    return np.sum(y * w)


def np_full_like(x, v, w):
    return np.sum(np.full_like(x, v) * x * w)


def np_full_like_dtype(x, v, w):
    return np.sum(np.full_like(x, v, dtype=float) * w)


def np_full_like_int(ix, v, w):
    return np.sum(np.full_like(ix, v) * w) + v


def cast_astype_float(x, w):
    return np.sum(x.astype(float) * w)


def cast_astype_float64(x, w):
    return np.sum((x * x).astype(np.float64) * w)


def cast_astype_int(x, w):
    return np.sum(x.astype(int) * w) + np.sum(x * w)


def cast_item(x, w):
    return x.item() * w


def cast_item_index(x, w):
    return (x.item(2) + x.item(-1)) * w


def cast_item_multi(x, w):
    return (x.item(1, 2) + x.item((0, 1))) * w


def cast_np_float64(x, w):
    return np.sum(np.float64(x) * w)


def py_pow(x, y, w):
    return np.sum(pow(x, y) * w)


def py_pow_const(x, w):
    return np.sum((pow(x, 3) + pow(2.0, x)) * w)


def py_max3(x, y, z, w):
    return max(x, y, z * z) * w


def py_min3(x, y, z, w):
    return min(x, 0.3, y * z) * w


def py_max_list(x, y, w):
    return max([x, y, x * y]) * w


def py_min_tuple(x, y, w):
    return min((x, y)) * w


def py_max_list_variable(x, y, w):
    vals = [x, y * y]
    vals.append(x - y)
    return max(vals) * w


def py_max_array(x, w):
    return max(x) * w


def py_min_array(x, w):
    return min(x * 2.0) * w


def math_log_base(x, w):
    return math.log(x, 2.0) * w


def math_log_active_base(x, b, w):
    return math.log(x, b) * w


def kw_reshape(x, w):
    return np.sum(np.reshape(x, shape=(3, 2)) * w)


def kw_reshape_order(x, w):
    return np.sum(np.reshape(x, (3, 2), order="F") * w)


def kw_clip(x, w):
    return np.sum(np.clip(x, min=-0.5, max=0.5) * w)


def kw_clip_upper(x, w):
    return np.sum(np.clip(x, max=0.5) * w)


def kw_clip_active(x, lo, hi, w):
    return np.sum(np.clip(x, min=lo, max=hi) * w)


def max_axes_tuple(x, w):
    return np.sum(np.max(x, axis=(0, 2)) * w)


def min_axes_tuple_keep(x, w):
    return np.sum(np.min(x, axis=(0, 1), keepdims=True) * w)


def mean_axes_tuple_neg(x, w):
    return np.sum(np.mean(x, axis=(-1, 0)) * w)


def avg_all(x, w):
    return np.average(x) * w


def avg_axis(x, w):
    return np.sum(np.average(x, axis=1) * w)


def avg_weights(x, wt, w):
    return np.average(x, weights=wt) * w


def avg_weights_1d(x, wt, w):
    return np.sum(np.average(x, axis=0, weights=wt) * w)


def avg_weights_keep(x, wt, w):
    return np.sum(np.average(x, axis=1, weights=wt, keepdims=True) * w)


def norm_ord(x, ord, w):
    return np.linalg.norm(x, ord) * w


def norm_half(x, w):
    return np.linalg.norm(x, 0.5) * w


def norm_inf(x, w):
    return (np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)) * w


def norm_l1_axis(x, w):
    return np.sum(np.linalg.norm(x, ord=1, axis=1) * w)


def norm_inf_axis_keep(x, w):
    return np.sum(np.linalg.norm(x, np.inf, axis=0, keepdims=True) * w)


def nan_sum(x, w):
    return np.nansum(x) * w


def nan_sum_axis(x, w):
    return np.sum(np.nansum(x, axis=0) * w)


def nan_mean(x, w):
    return np.nanmean(x) * w


def nan_mean_axis(x, w):
    return np.sum(np.nanmean(x, axis=1, keepdims=True) * w)


def inactive_count(x, w):
    return np.sum(x * np.count_nonzero(x > 0) * w) + float(np.allclose(x, 0.0))


def _with_nans(shape):
    x = N(shape)
    x.flat[[1, 4]] = np.nan
    return x


def _cumprod_zeros():
    return np.array([[0.5, 0.0, 1.5, 2.0], [1.2, 0.0, 0.0, 0.7], [0.9, -1.1, 0.6, 0.8]])


NUMPY_API = (
    [case(fn, _wellcond(s)) for fn in (la_inv, la_det, la_inv_chain) for s in [(2, 2), (3, 3), (4, 3, 3)]]
    + [case(fn, _wellcond(s, flip)) for fn in (la_slogdet, la_slogdet_unpack)
       for s, flip in [((3, 3), False), ((3, 3), True), ((4, 2, 2), True)]]
    + [case(la_solve, _wellcond(a), N(b)) for a, b in [
        ((3, 3), (3,)), ((3, 3), (3, 2)), ((4, 3, 3), (4, 3, 2)), ((4, 3, 3), (3,)), ((3, 3), (4, 3, 2))]]
    + [case(la_cholesky, _spd(s)) for s in [(2, 2), (4, 4), (3, 3, 3)]]
    + [case(sh_swapaxes, N(s)) for s in [(2, 3), (2, 3, 4)]]
    + [case(sh_moveaxis, N(s)) for s in [(2, 3), (2, 3, 4)]] + [case(sh_moveaxis_tuple, N((2, 3, 4)))]
    + [case(fn, N(s)) for fn in (sh_atleast_1d, sh_atleast_2d, sh_atleast_3d) for s in [(), (3,), (2, 3)]]
    + [case(sh_flip, N(s)) for s in [(4,), (2, 3)]] + [case(sh_flip_axis, N((2, 3, 4))), case(sh_flip_axes, N((2, 3, 4)))]
    + [case(fn, N(s)) for fn in (sh_fliplr, sh_flipud) for s in [(2, 3), (2, 3, 4)]]
    + [case(sh_roll, N(s)) for s in [(5,), (2, 3)]] + [case(sh_roll_axis, N((2, 3))), case(sh_roll_axes, N((3, 4)))]
    + [case(fn, N(s)) for fn in (sh_triu, sh_triu_k, sh_tril, sh_tril_k) for s in [(4,), (3, 4), (2, 3, 3)]]
    + [case(sh_diag, N(s)) for s in [(3,), (3, 3), (3, 5), (4, 2)]]
    + [case(sh_diag_k, N(s), k) for s, k in [((3,), 1), ((3,), -2), ((3, 5), 1), ((4, 2), -1), ((4, 4), 2)]]
    + [case(sh_diagonal, N(s)) for s in [(3, 3), (3, 4), (2, 3, 4)]]
    + [case(sh_diagonal_axes, N((2, 3, 4))), case(sh_diagonal_kw, N((3, 2, 4)))]
    + [case(sh_repeat, N(s)) for s in [(), (3,), (2, 3)]] + [case(sh_repeat_axis, N((2, 3)))]
    + [case(sh_repeat_counts, N((3, 2)), np.array([1, 0, 2])), case(sh_repeat_counts, N((3,)), np.array([2, 2, 1]))]
    + [case(fn, N(s)) for fn in (sh_tile, sh_tile_reps) for s in [(), (3,), (2, 3)]]
    + [case(sh_diff, N(s)) for s in [(5,), (3, 4)]] + [case(sh_diff_n, N((6,))), case(sh_diff_axis, N((4, 3)))]
    + [case(sh_hstack, N(a), N(b)) for a, b in [((), (3,)), ((2,), (3,)), ((2, 3), (2, 1))]]
    + [case(sh_hstack3, N((2,)), N((3,)))]
    + [case(sh_vstack, N(a), N(b)) for a, b in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (1, 3))]]
    + [case(sh_column_stack, N(a), N(b)) for a, b in [((3,), (3,)), ((3, 2), (3,)), ((), ())]]
    + [case(sh_stack_rows, N((3, 2, 4)))]
    + [case(cumprod_flat, P(s, 0.5, 1.5)) for s in [(), (5,), (2, 3)]]
    + [case(cumprod_axis, A((3, 4), 0.5, 1.5)), case(cumprod_axis, _cumprod_zeros(), id="cumprod_axis[zeros]")]
    + [case(cumprod_flat, _cumprod_zeros(), id="cumprod_flat[zeros]")]
    + [case(np_sinc, N(s)) for s in [(), (5,), (2, 3)]]
    + [case(np_sinc, np.array([0.0, 0.5, -1.3, 2.0]), id="np_sinc[zero]"), case(np_sinc, 0.0, id="np_sinc[0.0]")]
    + [case(np_full, N(s)) for s in [(), (3,), (2, 1)]]
    + [case(np_full_int_shape, N(())), case(np_full_int_dtype, 0.3), case(np_full_write, N(()), N(()))]
    + [case(np_full_like, N(a), N(b)) for a, b in [((3,), ()), ((2, 3), (3,))]]
    + [case(np_full_like_dtype, N((2, 3)), N(())), case(np_full_like_int, np.arange(6).reshape(2, 3), 0.3)]
    + [case(fn, N(s)) for fn in (cast_astype_float, cast_astype_float64) for s in [(3,), (2, 3)]]
    + [case(cast_np_float64, N(s)) for s in [(), (3,), (2, 3)]]
    + [case(cast_astype_int, U(s, 0.1, 0.9) + np.arange(np.prod(s, dtype=int)).reshape(s)) for s in [(3,), (2, 3)]]
    + [case(cast_item, N(s)) for s in [(1,), (1, 1)]]
    + [case(cast_item_index, N(s)) for s in [(4,), (2, 3)]] + [case(cast_item_multi, N((2, 3)))]
    + [case(py_pow, P(a), U(b, -2.0, 2.0)) for a, b in [((), ()), ((3,), (3,)), ((2, 3), ())]]
    + [case(py_pow_const, N(s)) for s in [(), (4,)]]
    + [case(py_max3, 0.3, -0.4, 0.2), case(py_max3, -0.3, 0.4, 0.8), case(py_max3, 0.3, 0.3, 0.1, id="py_max3[tie]")]
    + [case(py_min3, 0.5, -0.4, 0.6), case(py_min3, 0.5, 0.9, 0.6), case(py_min3, 0.1, 0.9, 0.6)]
    + [case(py_max_list, 0.3, -0.4), case(py_max_list, 1.5, 2.0), case(py_min_tuple, 0.3, -0.4)]
    + [case(py_max_list_variable, 0.3, -0.4), case(py_max_list_variable, 0.3, 0.9)]
    + [case(fn, _away_from(np.zeros(5)) + np.arange(5) * 0.0) for fn in (py_max_array, py_min_array)]
    + [case(fn, np.array([0.3, -0.2, 0.3]), id=f"{fn.__name__}[tie]") for fn in (py_max_array, py_min_array)]
    + [case(math_log_base, P()) for _ in range(2)] + [case(math_log_active_base, P(), P((), 1.5, 3.0)) for _ in range(2)]
    + [case(fn, N(s)) for fn in (kw_reshape, kw_reshape_order) for s in [(2, 3), (6,)]]
    + [case(fn, _clip_input(s)) for fn in (kw_clip, kw_clip_upper) for s in [(8,), (3, 4)]]
    + [case(kw_clip_active, _clip_input((2, 3), (-0.4, 0.6)), np.full((2, 1), -0.4), np.full((3,), 0.6))]
    + [case(fn, N((2, 3, 4))) for fn in (max_axes_tuple, min_axes_tuple_keep, mean_axes_tuple_neg)]
    + [case(avg_all, N(s)) for s in [(5,), (2, 3)]] + [case(avg_axis, N((3, 4)))]
    + [case(avg_weights, N(s), P(s)) for s in [(5,), (2, 3)]]
    + [case(avg_weights_1d, N((3, 4)), P((3,))), case(avg_weights_keep, N((3, 4)), P((4,)))]
    + [case(avg_weights_keep, N((2, 3, 4)), P((2, 3, 4)))]
    + [case(norm_ord, A((5,)), o) for o in (1, 3, -2, 0)] + [case(norm_half, A((4,)))]
    + [case(norm_ord, A((3, 4)), o) for o in (1, -1)]
    + [case(norm_inf, A(s)) for s in [(5,), (3, 4)]]
    + [case(norm_l1_axis, A((3, 4))), case(norm_inf_axis_keep, A((3, 4)))]
    + [case(nan_sum, _with_nans(s)) for s in [(5,), (2, 3)]] + [case(nan_sum_axis, _with_nans((3, 4)))]
    + [case(nan_mean, _with_nans(s)) for s in [(5,), (2, 3)]] + [case(nan_mean_axis, _with_nans((3, 4)))]
    + [case(inactive_count, N((5,)))]
)


# ------------------------------------------- remainders, ranges (issue 8, section 4)
def op_mod(x, y, w):
    return np.sum((x % y) * w)


def op_pos(x, w):
    return np.sum(+x * w)


def op_mod_const(x, w):
    return np.sum(((3.0 * x) % 1.0) * w)


def op_mod_augmented(x, y, w):
    x = x * 1.0
    x %= y
    return np.sum(x * w)


def np_mod(x, y, w):
    return np.sum(np.mod(x, y) * w)


def np_remainder(x, y, w):
    return np.sum(np.remainder(x, y) * w)


def np_fmod(x, y, w):
    return np.sum(np.fmod(x, y) * w)


def math_fmod(x, y, w):
    return math.fmod(x, y) * w


def math_remainder(x, y, w):
    return math.remainder(x, y) * w


def np_linspace(a, b, w):
    return np.sum(np.linspace(a, b, 5) * w)


def np_linspace_open(a, b, w):
    return np.sum(np.linspace(a, b, 4, endpoint=False) * w)


def np_linspace_axis(a, b, w):
    return np.sum(np.linspace(a, b, 3, axis=-1) * w)


def np_linspace_int(a, w):
    return np.sum(np.linspace(0, 10.0 * a, 4, dtype=int) * w) + a


def np_arange(a, s, w):
    return np.sum(np.arange(a, a + 2.0, s) * w)


def np_arange_stop(a, w):
    return np.sum(np.arange(a) * w) + a


def _mods(shape_x, shape_y):
    """Operands away from the jumps of x mod y (where x / y is an integer); y's shape broadcasts to x's."""
    y = A(shape_y, 0.5, 1.5)
    q = np.floor(U(shape_x, -3.0, 3.0)) + U(shape_x, 0.2, 0.8)
    return q * y, y


REMAINDERS = (
    [case(fn, *_mods(a, b)) for fn in (op_mod, np_mod, np_remainder, np_fmod) for a, b in [((), ()), ((4,), (4,)),
                                                                                             ((2, 3), ())]]
    + [case(op_mod_const, np.array([0.1, 0.4, 0.55, -0.2])), case(op_mod_const, 0.3), case(op_pos, N((3,)))]
    + [case(op_mod_augmented, *_mods((3,), (3,)))]
    + [case(fn, 2.3, 0.7) for fn in (math_fmod, math_remainder)] + [case(fn, -2.3, 0.9) for fn in (math_fmod, math_remainder)]
    + [case(fn, N(), N()) for fn in (np_linspace, np_linspace_open)]
    + [case(fn, N((3,)), N((3,))) for fn in (np_linspace, np_linspace_axis)]
    + [case(np_linspace, N((2, 3)), N(())), case(np_linspace_int, 0.77)]
    + [case(np_arange, N(), P((), 0.3, 0.6)), case(np_arange_stop, 3.4)]
)

ALL_CASES = (OPERATORS + MATH + NP_UNARY + NP_BINARY + REDUCTIONS + LINALG + SHAPES + INDEXING + MISC + NUMPY_API
             + REMAINDERS)


@pytest.mark.parametrize("fn, args", ALL_CASES)
def test_rule(fn, args):
    seed = sum(map(ord, fn.__name__))
    w = _weight(fn, args, seed)
    wrt = [i for i, a in enumerate(args) if _is_float(a)]
    assert wrt, "a row must have at least one float argument"
    s2sad.check_grad(fn, *args, w, wrt=wrt)
    # the gradient has the argument's type: a float for a float, an array (not a list) for an array
    grads = s2sad.grad(fn, wrt=wrt)(*args, w)
    for i, g in zip(wrt, grads):
        assert type(g) is type(args[i]), f"gradient of argument {i} is a {type(g).__name__}"


def _is_builtin_primitive(obj) -> bool:
    """A primitive of s2sad's own tables (not one a test or user registered)."""
    mod = getattr(obj, "__module__", "") or ""
    return mod in ("math", "builtins") or mod == "numpy" or mod.startswith("numpy.")


def test_every_rule_is_exercised():
    """The table covers every NumPy and math primitive that has a reverse rule."""
    from s2sad.rules.table import RULES

    sources = "\n".join(inspect.getsource(p.values[0]) for p in ALL_CASES)
    missing = []
    for _key, (obj, rule) in RULES._by_object.items():
        mod = getattr(obj, "__module__", "") or ""
        if not rule.reverse or not _is_builtin_primitive(obj):
            continue
        name = getattr(obj, "__name__", "")
        if obj in (builtins.abs, builtins.float, builtins.max, builtins.min, builtins.sum, builtins.pow):
            if not re.search(rf"(?<![\w.]){name}\(", sources):
                missing.append(f"{name}(")
            continue
        elif getattr(np.linalg, name, None) is obj:
            needle = f"np.linalg.{name}("
        elif mod == "math" or getattr(math, name, None) is obj:
            needle = f"math.{name}("
        else:
            needle = f"np.{name}("
        if needle not in sources:
            missing.append(needle)
    for attr in RULES._by_method:
        rule = RULES._by_method[attr]
        if rule.reverse and not attr.startswith("_") and f".{attr}" not in sources:
            missing.append(f".{attr}")
    assert not missing, f"rules without a test row: {missing}"


# ======================================================= user extensions
_ns: dict = {}
exec(  # noqa: S102 - a function whose source inspect cannot read
    "def opaque_softplus(x):\n    return np.log1p(np.exp(x))\n", {"np": np}, _ns
)
opaque_softplus = _ns["opaque_softplus"]
s2sad.register_adjoint(
    opaque_softplus, {"x": "g / (1.0 + np.exp(-x))"}, forward={"x": "x_dot / (1.0 + np.exp(-x))"}
)


def calls_opaque(x, w):
    return np.sum(opaque_softplus(2.0 * x) * w)


def calls_opaque_twice(x, y, w):
    return np.sum((opaque_softplus(x) * opaque_softplus(y)) * w)


@pytest.mark.parametrize("fn, args", [
    case(calls_opaque, N((5,))), case(calls_opaque, N(())), case(calls_opaque_twice, N((2, 3)), N((3,))),
])
def test_register_adjoint(fn, args):
    with pytest.raises(OSError):  # the source really is unavailable
        inspect.getsource(opaque_softplus)
    w = _weight(fn, args, 7)
    s2sad.check_grad(fn, *args, w, wrt=[i for i, a in enumerate(args) if _is_float(a)])


exec(  # noqa: S102
    "def opaque_scaled_softplus(x, beta=1.0):\n    return np.log1p(np.exp(beta * x)) / beta\n", {"np": np}, _ns
)
opaque_scaled_softplus = _ns["opaque_scaled_softplus"]
s2sad.register_adjoint(
    opaque_scaled_softplus,
    {"x": "g / (1.0 + np.exp(-beta * x))", "beta": "unbroadcast(g * (x / (1.0 + np.exp(-beta * x)) - z) / beta, beta)"},
)
exec("def opaque_unregistered(x):\n    return x * x\n", {}, _ns)  # noqa: S102
opaque_unregistered = _ns["opaque_unregistered"]


def calls_scaled_default(x, w):
    return np.sum(opaque_scaled_softplus(x) * w)


def calls_scaled(x, beta, w):
    return np.sum(opaque_scaled_softplus(x, beta) * w)


def calls_scaled_kw(x, beta, w):
    return np.sum(opaque_scaled_softplus(x, beta=beta * beta) * w)


def calls_unregistered(x):
    return opaque_unregistered(x) + 1.0


@pytest.mark.parametrize("fn, args", [
    case(calls_scaled_default, N((4,))), case(calls_scaled, N((4,)), P()), case(calls_scaled, N(()), P()),
    case(calls_scaled_kw, N((2, 3)), P()), case(calls_scaled, N((2, 3)), P((3,))),
])
def test_register_adjoint_with_parameters(fn, args):
    w = _weight(fn, args, 11)
    s2sad.check_grad(fn, *args, w, wrt=[i for i, a in enumerate(args) if _is_float(a)])


def test_unregistered_function_without_source_is_refused():
    with pytest.raises(s2sad.SourceUnavailableError, match="opaque_unregistered"):
        s2sad.grad(calls_unregistered)(1.5)


_ns2: dict = {}
exec("def opaque_double(x):\n    return 2.0 * x\n", {}, _ns2)  # noqa: S102
opaque_double = _ns2["opaque_double"]
s2sad.register_adjoint(opaque_double, {"x": "3.0 * g"})  # deliberately wrong: the true derivative is 2


def uses_wrong_rule(x):
    return opaque_double(x) * 1.0


def test_register_adjoint_rule_is_used():
    """The registered template, right or wrong, is what the gradient uses; check_grad notices a wrong one."""
    assert s2sad.grad(uses_wrong_rule)(1.5) == pytest.approx(3.0)
    with pytest.raises(AssertionError, match="disagrees with central differences"):
        s2sad.check_grad(uses_wrong_rule, 1.5)


def no_rule_user(x):
    y = x * 2.0
    return math.gamma(y)


def no_rule_method(x):
    return np.sum(np.sort(x) * 2.0)


def test_no_rule_error_names_function_and_line():
    first = inspect.getsourcelines(no_rule_user)[1]
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(no_rule_user)(1.5)
    message = str(info.value)
    assert "math.gamma" in message
    assert f"line {first + 2}" in message
    assert __file__ in message or "test_table.py" in message


def test_no_rule_error_numpy_function():
    first = inspect.getsourcelines(no_rule_method)[1]
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(no_rule_method)(np.array([0.3, -0.2, 0.9]))
    message = str(info.value)
    assert "sort" in message
    assert f"line {first + 1}" in message


# ====================================================== forward templates
# s2sad has no forward mode yet, but every rule already carries forward
# (tangent) templates. They are checked here directly: the template, evaluated
# with the primitive's operands, their tangents and the result ``z``, must match
# the central difference of the primitive along those tangents.
import ast  # noqa: E402
import operator  # noqa: E402

import gast  # noqa: E402

from s2sad import runtime  # noqa: E402
from s2sad.rules.table import RULES  # noqa: E402

_OPERATORS = {gast.UAdd: operator.pos, gast.Mod: operator.mod, gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul, gast.Div: operator.truediv,
              gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.USub: operator.neg}


def _rule_of(key):
    if isinstance(key, str):
        return RULES.method(key[1:])
    if isinstance(key, type) and issubclass(key, gast.AST):
        return RULES.operator(key)
    return RULES.lookup(key)


def _call_primitive(key, rule, values):
    """Call the primitive as a user would: the given values by position up to
    the first one left out, the later given ones by name (defaults stay the
    primitive's own)."""
    args, kwargs, by_name = [], {}, False
    for p in rule.params:
        if rule.varargs and p == rule.params[-1]:
            args.extend(values.get(p, ()))
        elif p not in values:
            by_name = True
        elif by_name:
            kwargs[p] = values[p]
        else:
            args.append(values[p])
    if isinstance(key, str):
        self, rest = args[0], args[1:]
        return self.T if key == ".T" else getattr(self, key[1:])(*rest, **kwargs)
    if isinstance(key, type) and issubclass(key, gast.AST):
        return _OPERATORS[key](*args)
    return key(*args, **kwargs)


def _eval_template(expr, env):
    tree = ast.Expression(body=gast.gast_to_ast(expr))
    return eval(compile(ast.fix_missing_locations(tree), "<template>", "eval"), env)  # noqa: S307


def _is_active(v):
    return _is_float(v) or (isinstance(v, (list, tuple)) and len(v) > 0 and all(_is_float(e) for e in v))


def _tangent_like(v, rng):
    if isinstance(v, (list, tuple)):
        return [_tangent_like(e, rng) for e in v]
    t = rng.standard_normal(np.shape(v))
    return float(t) if isinstance(v, float) else t


def _shift(v, t, eps):
    if isinstance(v, (list, tuple)):
        return type(v)(_shift(e, d, eps) for e, d in zip(v, t))
    return v + eps * t


def fwd(key, *positional, id=None, **named):
    rule = _rule_of(key)
    values = dict(zip(rule.params, positional))
    values.update(named)
    name = id or f"{getattr(rule, 'name', key)}[{','.join(_describe(v) for v in values.values())}]"
    base, k = name, 2
    while name in _ids:
        name, k = f"{base}#{k}", k + 1
    _ids.add(name)
    return pytest.param(key, values, id=name)


_MATH_FWD = [fwd(getattr(math, fn.__name__[5:]), make()) for fn, make in _MATH_DOMAIN.items() if fn is not math_chain]
_NP_UNARY_FWD = [fwd(getattr(np, fn.__name__[3:]), make(s)) for fn, make in _NP_UNARY.items() for s in [(), (2, 3)]]

FORWARD = (
    [fwd(op, N(a), N(b)) for op in (gast.Add, gast.Sub, gast.Mult) for a, b in [((), ()), ((2, 1), (3,))]]
    + [fwd(gast.Div, N((2, 3)), A((3,))), fwd(gast.Pow, P((2, 3)), U((3,), -2, 2)), fwd(gast.USub, N((3,)))]
    + [fwd(gast.MatMult, N(a), N(b)) for a, b in [((2, 3), (3, 4)), ((3,), (3,)), ((5, 2, 3), (3,))]]
    + [fwd(builtins.abs, A((4,))), fwd(builtins.float, N()), fwd(builtins.max, 0.3, [-0.2]), fwd(builtins.min, 0.3, [-0.2])]
    + [fwd(builtins.sum, [N((3,)), N((3,))])]
    + _MATH_FWD
    + [fwd(math.pow, P(), U((), -2, 2)), fwd(math.atan2, N(), N()), fwd(math.hypot, N(), N())]
    + [fwd(math.copysign, A(), A())]
    + _NP_UNARY_FWD
    + [fwd(f, N((2, 3)), N((3,))) for f in (np.add, np.subtract, np.multiply, np.logaddexp)]
    + [fwd(f, N((2, 3)), A((3,))) for f in (np.divide, np.true_divide)]
    + [fwd(np.power, P((2, 3)), U((3,), -2, 2)), fwd(np.arctan2, A((2, 3)), A((3,))), fwd(np.hypot, A((2, 3)), A((3,)))]
    + [fwd(f, x, _away_from(x)) for f in (np.maximum, np.minimum) for x in [N((2, 3))]]
    + [fwd(np.where, np.array([True, False, True]), N((2, 3)), N((3,)))]
    + [fwd(np.clip, _clip_input((3, 4), (-0.4, 0.6)), -0.4, 0.6), fwd(np.clip, _clip_input((6,)), None, 0.5)]
    + [fwd(".clip", _clip_input((3, 4), (-0.4, 0.6)), -0.4, 0.6), fwd(".clip", _clip_input((6,)), None, 0.5)]
    + [fwd(f, N((3, 4)), axis=ax, keepdims=kd) for f in (np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.var,
                                                          np.std, np.linalg.norm)
       for ax, kd in [(None, False), (0, False), (-1, True), ((0, 1), False)]]
    + [fwd(np.prod, P((3, 4), 0.5, 1.5), axis=ax, keepdims=kd)
       for ax, kd in [(None, False), (1, True), ((0, 1), False)]]
    + [fwd(np.var, N((3, 4)), axis=0, ddof=1), fwd(np.std, N((3, 4)), axis=1, ddof=1)]
    + [fwd(np.cumsum, N((3, 4)), axis=1), fwd(np.cumsum, N((3, 4)))]
    + [fwd(m, N((3, 4)), axis=ax, keepdims=kd) for m in (".sum", ".mean", ".max", ".min", ".var", ".std")
       for ax, kd in [(None, False), (1, True)]]
    + [fwd(".prod", P((3, 4), 0.5, 1.5), axis=0)]
    + [fwd(f, N(a), N(b)) for f in (np.dot, np.matmul, ".dot") for a, b in [((2, 3), (3, 4)), ((3,), (3,))]]
    + [fwd(np.dot, N((2, 2, 3)), N((4, 3, 5))), fwd(np.inner, N((2, 3)), N((4, 3))), fwd(np.vdot, N((2, 3)), N((3, 2)))]
    + [fwd(np.outer, N((3,)), N((4,))), fwd(np.trace, N((3, 3)))]
    + [fwd(np.tensordot, N((2, 3, 4)), N((3, 4, 5))), fwd(np.tensordot, N((2, 3)), N((3, 4)), 1)]
    + [fwd(np.einsum, "ij,jk->ik", [N((2, 3)), N((3, 4))]), fwd(np.einsum, "ij->i", [N((2, 3))])]
    + [fwd(np.reshape, N((2, 3)), (3, 2)), fwd(np.ravel, N((2, 3))), fwd(np.transpose, N((2, 3, 4)), (1, 2, 0))]
    + [fwd(np.transpose, N((2, 3))), fwd(np.expand_dims, N((2, 3)), 1), fwd(np.squeeze, N((2, 1, 3)))]
    + [fwd(np.broadcast_to, N((3,)), (2, 3)), fwd(np.asarray, N((2, 3))), fwd(np.copy, N((2, 3)))]
    + [fwd(np.concatenate, [N((2, 3)), N((1, 3))]), fwd(np.concatenate, [N((2, 3)), N((2, 1))], 1)]
    + [fwd(np.stack, [N((2, 3)), N((2, 3))], 1), fwd(np.array, [N(()), N(())])]
    + [fwd(".reshape", N((2, 3)), (3, 2)), fwd(".reshape", N((2, 3)), [3, 2]), fwd(".ravel", N((2, 3)))]
    + [fwd(".flatten", N((2, 3))), fwd(".squeeze", N((2, 1, 3))), fwd(".copy", N((2, 3))), fwd(".T", N((2, 3)))]
    + [fwd(".transpose", N((2, 3, 4)), [(2, 0, 1)]), fwd(".transpose", N((2, 3, 4)), [1, 2, 0])]
    + [fwd(".transpose", N((2, 3)), [])]
    + [fwd("._getitem", N((3, 4)), (slice(None), 1)), fwd("._getitem", N((4,)), np.array([0, 0, 2]))]
    + [fwd("._loopitem", N((3, 4)), 1)]
    # the NumPy/builtins API that autograd's and JAX's test suites exercise
    + [fwd(builtins.max, 0.3, [-0.2, 0.5]), fwd(builtins.min, [0.3, -0.2, 0.5], []), fwd(builtins.max, N((4,)), [])]
    + [fwd(builtins.pow, P((2, 3)), U((3,), -2, 2)), fwd(builtins.pow, P(), U((), -2, 2))]
    + [fwd(math.log, P(), P((), 1.5, 3.0)), fwd(math.log, P(), 10)]
    + [fwd(np.sinc, N((2, 3))), fwd(np.sinc, np.array([0.0, 0.4, -1.2])), fwd(np.float64, N((3,)))]
    + [fwd(np.full, (2, 3), N()), fwd(np.full, (2, 3), N((3,))), fwd(np.full, 3, 0.3, int)]
    + [fwd(np.full_like, N((2, 3)), N()), fwd(np.full_like, np.arange(6).reshape(2, 3), 0.3)]
    + [fwd(".astype", N((2, 3)), float), fwd(".astype", U((2, 3), 0.1, 0.9) + np.arange(3), int)]
    + [fwd(".item", N((3, 4)), [5]), fwd(".item", N((1,)), []), fwd(".item", N((3, 4)), [1, 2])]
    + [fwd(np.reshape, N((2, 3)), shape=(3, 2), order="F"), fwd(np.clip, _clip_input((3, 4)), min=-0.5, max=0.5)]
    + [fwd(np.clip, _clip_input((3, 4), (-0.4, 0.6)), min=-0.4, max=0.6, id="numpy.clip[min,max]")]
    + [fwd(np.linalg.norm, A((5,)), o) for o in (1, 3, np.inf, -np.inf)]
    + [fwd(np.linalg.norm, A((3, 4)), o) for o in (1, np.inf)] + [fwd(np.linalg.norm, A((3, 4)), 1, 0)]
    + [fwd(np.nansum, _with_nans((3, 4)), axis=0), fwd(np.nanmean, _with_nans((3, 4))), fwd(np.nanmean, _with_nans((3, 4)), axis=1)]
    + [fwd(np.average, N((3, 4))), fwd(np.average, N((3, 4)), 1, P((4,))), fwd(np.average, N((3, 4)), None, P((3, 4)))]
    + [fwd(np.cumprod, A((3, 4), 0.5, 1.5), axis=1), fwd(np.cumprod, _cumprod_zeros(), 1), fwd(np.cumprod, _cumprod_zeros())]
    + [fwd(f, _wellcond(s)) for f in (np.linalg.inv, np.linalg.det) for s in [(3, 3), (2, 3, 3)]]
    + [fwd(np.linalg.slogdet, _wellcond(s, True)) for s in [(3, 3), (2, 3, 3)]]
    + [fwd(np.linalg.solve, _wellcond(a), N(b)) for a, b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,))]]
    + [fwd(np.linalg.cholesky, _spd(s)) for s in [(3, 3), (2, 4, 4)]]
    + [fwd(np.swapaxes, N((2, 3, 4)), 0, 2), fwd(np.moveaxis, N((2, 3, 4)), 0, -1)]
    + [fwd(f, N((3,))) for f in (np.atleast_1d, np.atleast_2d, np.atleast_3d)]
    + [fwd(np.flip, N((2, 3)), 1), fwd(np.fliplr, N((2, 3))), fwd(np.flipud, N((2, 3))), fwd(np.roll, N((2, 3)), 2)]
    + [fwd(f, N(s), k) for f in (np.triu, np.tril) for s, k in [((3, 4), 1), ((4,), 0)]]
    + [fwd(np.diag, N((3,)), 1), fwd(np.diag, N((3, 4)), -1), fwd(np.diagonal, N((2, 3, 4)), 1, 1, 2)]
    + [fwd(np.repeat, N((2, 3)), 2, 1), fwd(np.tile, N((2, 3)), (2, 1, 2)), fwd(np.diff, N((3, 5)), 2)]
    + [fwd(np.hstack, [N((2, 3)), N((2, 1))]), fwd(np.vstack, [N((3,)), N((2, 3))])]
    + [fwd(np.column_stack, [N((3,)), N((3, 2))])]
    + [fwd(gast.Mod, *_mods((2, 3), (3,))), fwd(np.mod, *_mods((2, 3), ())), fwd(np.fmod, *_mods((4,), (4,)))]
    + [fwd(gast.UAdd, N((3,))), fwd(math.fmod, -2.3, 0.9), fwd(math.remainder, 2.3, 0.7)]
    + [fwd(np.linspace, N(), N(), 5), fwd(np.linspace, N((3,)), N((3,)), 4, False, axis=-1)]
    + [fwd(np.arange, N(), N() + 3.0, P((), 0.3, 0.6))]
)


def _getitem(x, idx):
    return x[idx]


@pytest.mark.parametrize("key, values", FORWARD)
def test_forward_template(key, values):
    rule = _rule_of(key)
    assert set(rule.forward) == set(rule.reverse), f"{rule.name}: reverse and forward differ in parameters"
    # float operands without a template are not differentiable (copysign's sign): they stay fixed
    active = [p for p, v in values.items() if _is_active(v) and p in rule.forward]
    assert active, "a row must have at least one float operand"
    call = (lambda vals: _getitem(vals["x"], vals["idx"])) if key == "._getitem" else (
        (lambda vals: runtime.loop_item(vals["x"], vals["idx"])) if key == "._loopitem" else
        (lambda vals: _call_primitive(key, rule, vals)))
    z = call(values)
    rng = np.random.default_rng(sum(map(ord, rule.name)))
    tangents = {p: _tangent_like(values[p], rng) for p in active}
    env = {"np": np, "math": math, **{h: getattr(runtime, h) for h in runtime.__all__}}
    env.update({p: rule.defaults[p] for p in rule.params if p in rule.defaults})
    env.update(values)
    env["z"] = z
    ours = 0.0
    for p in active:
        env[p + "_dot"] = tangents[p]
        ours = ours + np.asarray(_eval_template(rule.forward[p], env), dtype=float)
    eps = 1e-6
    plus = dict(values, **{p: _shift(values[p], tangents[p], eps) for p in active})
    minus = dict(values, **{p: _shift(values[p], tangents[p], -eps) for p in active})
    numeric = (np.asarray(call(plus), dtype=float) - np.asarray(call(minus), dtype=float)) / (2 * eps)
    assert np.shape(ours) == np.shape(numeric), f"tangent shape {np.shape(ours)}, result shape {np.shape(numeric)}"
    np.testing.assert_allclose(ours, numeric, rtol=1e-5, atol=1e-7 * max(1.0, float(np.max(np.abs(numeric)))))


def test_every_forward_template_is_exercised():
    rows = [p.values for p in FORWARD]
    seen = {id(_rule_of(k)) for k, _ in rows}
    missing = [rule.name for _k, (obj, rule) in RULES._by_object.items()
               if rule.forward and id(rule) not in seen and _is_builtin_primitive(obj)]
    missing += [f".{a}" for a, rule in RULES._by_method.items() if rule.forward and id(rule) not in seen]
    missing += [op.__name__ for op, rule in RULES._by_operator.items() if rule.forward and id(rule) not in seen]
    assert not missing, f"forward templates without a test row: {missing}"


def _positional(rule):
    n = len(rule.params) if rule.positional is None else rule.positional
    return rule.params[: n - 1] if rule.varargs and n == len(rule.params) else rule.params[:n]


def test_positional_parameters_are_numpys():
    """A rule binds a call's positional arguments in the order of its own
    parameters: each must be the parameter NumPy's (or math's) signature puts
    at that position (the operands may be named otherwise), or the rule reads
    an argument as another one: `np.average(x, 0, w, True)` is `returned=True`
    for NumPy and once was `keepdims=True` for s2sad."""
    from s2sad.rules.table import RULES

    P = inspect.Parameter
    checked = 0
    for obj, rule in list(RULES._by_object.values()):
        try:
            real = list(inspect.signature(obj).parameters.values())
        except (TypeError, ValueError):  # ufuncs and C functions: their inputs only, by position
            continue
        pos = [p for p in real if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
        star = any(p.kind == P.VAR_POSITIONAL for p in real)
        for i, name in enumerate(_positional(rule)):
            if i >= len(pos):
                assert star, f"{rule.name}: {name!r} is positional #{i} in the rule, not in {obj.__name__}'s signature"
                continue
            assert i == 0 or name == pos[i].name or pos[i].default is P.empty, (
                f"{rule.name}: positional #{i} is {name!r} in the rule, {pos[i].name!r} for NumPy"
            )
        checked += 1
    assert checked > 50
