"""Rules for NumPy: elementwise functions, reductions, linear algebra, shapes.

Each row: the NumPy function, its signature, reverse templates (adjoint
contribution per differentiable parameter, in ``g``, ``z`` and the
parameters) and forward templates (tangent contribution of ``<param>_dot``).
Method forms (``x.sum()``) are keyed by ``".name"`` and take the array as
``self``.
"""

from __future__ import annotations

import numpy as np

from ..ir.kinds import ARRAY, TUPLE, array_kind
from .table import BOOLEAN_VALUED, INTEGER_VALUED, KIND_RULES, PIECEWISE_CONSTANT, RULES, SHAPE_ONLY

add = RULES.add

# ------------------------------------------------------------- elementwise
_UNARY = {
    np.sin: "g * np.cos(x)",
    np.cos: "-g * np.sin(x)",
    np.tan: "g / np.cos(x) ** 2",
    np.arcsin: "g / np.sqrt(1.0 - x * x)",
    np.arccos: "-g / np.sqrt(1.0 - x * x)",
    np.arctan: "g / (1.0 + x * x)",
    np.sinh: "g * np.cosh(x)",
    np.cosh: "g * np.sinh(x)",
    np.tanh: "g * (1.0 - z * z)",
    np.arcsinh: "g / np.sqrt(x * x + 1.0)",
    np.arccosh: "g / np.sqrt(x * x - 1.0)",
    np.arctanh: "g / (1.0 - x * x)",
    np.exp: "g * z",
    np.expm1: "g * (z + 1.0)",
    np.exp2: "g * z * np.log(2.0)",
    np.log: "g / x",
    np.log1p: "g / (1.0 + x)",
    np.log2: "g / (x * np.log(2.0))",
    np.log10: "g / (x * np.log(10.0))",
    np.sqrt: "g / (2.0 * z)",
    np.cbrt: "g / (3.0 * z * z)",
    np.square: "g * 2.0 * x",
    np.abs: "g * np.sign(x)",
    np.fabs: "g * np.sign(x)",
    np.negative: "-g",
    np.reciprocal: "-g * z * z",
    np.positive: "g",
}
for _fn, _rev in _UNARY.items():
    # each reverse rule is linear in g, written once: the forward rule is the
    # same expression in x_dot
    _fwd = _rev.replace("g * ", "x_dot * ", 1).replace("g / ", "x_dot / ", 1).replace("-g", "-x_dot", 1)
    if _rev == "g":
        _fwd = "x_dot"
    add(_fn, "x", {"x": _rev}, {"x": _fwd})
add(np.absolute, "x", {"x": "g * np.sign(x)"}, {"x": "x_dot * np.sign(x)"})
# sinc(x) = sin(pi x) / (pi x); its derivative (cos(pi x) - sinc(x)) / x is 0 at x = 0
add(np.sinc, "x", {"x": "g * sinc_slope(x)"}, {"x": "x_dot * sinc_slope(x)"})
add(np.float64, "x", {"x": "g"}, {"x": "x_dot"})  # a cast (np.float64(x) of an array is an array)

_BINARY = {
    np.add: ({"x": "unbroadcast(g, x)", "y": "unbroadcast(g, y)"}, {"x": "x_dot", "y": "y_dot"}),
    np.subtract: ({"x": "unbroadcast(g, x)", "y": "unbroadcast(-g, y)"}, {"x": "x_dot", "y": "-y_dot"}),
    np.multiply: ({"x": "unbroadcast(g * y, x)", "y": "unbroadcast(g * x, y)"}, {"x": "x_dot * y", "y": "x * y_dot"}),
    np.divide: ({"x": "unbroadcast(g / y, x)", "y": "unbroadcast(-g * z / y, y)"}, {"x": "x_dot / y", "y": "-y_dot * z / y"}),
    np.true_divide: ({"x": "unbroadcast(g / y, x)", "y": "unbroadcast(-g * z / y, y)"}, {"x": "x_dot / y", "y": "-y_dot * z / y"}),
    np.power: (
        {"x": "unbroadcast(g * y * x ** (y - 1), x)", "y": "unbroadcast(g * z * np.log(np.where(x == 0, 1.0, x)), y)"},
        {"x": "x_dot * y * x ** (y - 1)", "y": "y_dot * z * np.log(np.where(x == 0, 1.0, x))"},
    ),
    np.arctan2: (
        {"x": "unbroadcast(g * y / (x * x + y * y), x)", "y": "unbroadcast(-g * x / (x * x + y * y), y)"},
        {"x": "x_dot * y / (x * x + y * y)", "y": "-y_dot * x / (x * x + y * y)"},
    ),
    np.hypot: ({"x": "unbroadcast(g * x / z, x)", "y": "unbroadcast(g * y / z, y)"}, {"x": "x_dot * x / z", "y": "y_dot * y / z"}),
    np.maximum: (
        {"x": "unbroadcast(g * balanced_eq(x, z, y), x)", "y": "unbroadcast(g * balanced_eq(y, z, x), y)"},
        {"x": "x_dot * balanced_eq(x, z, y)", "y": "y_dot * balanced_eq(y, z, x)"},
    ),
    np.minimum: (
        {"x": "unbroadcast(g * balanced_eq(x, z, y), x)", "y": "unbroadcast(g * balanced_eq(y, z, x), y)"},
        {"x": "x_dot * balanced_eq(x, z, y)", "y": "y_dot * balanced_eq(y, z, x)"},
    ),
    np.logaddexp: (
        {"x": "unbroadcast(g * np.exp(x - z), x)", "y": "unbroadcast(g * np.exp(y - z), y)"},
        {"x": "x_dot * np.exp(x - z)", "y": "y_dot * np.exp(y - z)"},
    ),
}
for _fn, (_rev, _fwd) in _BINARY.items():
    add(_fn, "x, y", _rev, _fwd)
# np.arctan2 is arctan2(y, x) in NumPy's own words; the names above are positional.

add(np.where, "condition, x, y",
    {"x": "unbroadcast(np.where(condition, g, 0.0), x)", "y": "unbroadcast(np.where(condition, 0.0, g), y)"},
    {"x": "np.where(condition, x_dot, 0.0)", "y": "np.where(condition, 0.0, y_dot)"},
    kind="array")  # always an ndarray, shaped by the condition too: never a scalar even if x and y are
# x passes through where the result is x itself; this also covers a bound of None (one-sided clip)
# (NumPy >= 2.1 also names the bounds min and max)
add(np.clip, "x, a_min=None, a_max=None, out=None, *, min=None, max=None",
    {"x": "unbroadcast(g * (z == x), x)",
     "a_min": "unbroadcast(g * (x < a_min), a_min)", "a_max": "unbroadcast(g * (x > a_max), a_max)",
     "min": "unbroadcast(g * (x < min), min)", "max": "unbroadcast(g * (x > max), max)"},
    {"x": "x_dot * (z == x)", "a_min": "a_min_dot * (x < a_min)", "a_max": "a_max_dot * (x > a_max)",
     "min": "min_dot * (x < min)", "max": "max_dot * (x > max)"})
# x mod y = x - y * floor(x / y); fmod(x, y) = x - y * trunc(x / y): the quotient is piecewise constant
# (np.remainder is np.mod)
add(np.mod, "x, y", {"x": "unbroadcast(g, x)", "y": "unbroadcast(-g * np.floor_divide(x, y), y)"},
    {"x": "x_dot", "y": "-y_dot * np.floor_divide(x, y)"})
add(np.fmod, "x, y", {"x": "unbroadcast(g, x)", "y": "unbroadcast(-g * np.round((x - z) / y), y)"},
    {"x": "x_dot", "y": "-y_dot * np.round((x - z) / y)"})
# linspace(start, stop, num) = start + (stop - start) * t, with t = linspace(0, 1, num) along `axis`
_T = "linspace_weights(num, endpoint, axis, z)"
add(np.linspace, "start, stop, num=50, endpoint=True, *, dtype=None, axis=0",
    {"start": f"unbroadcast(np.sum(cast_adjoint(g, z) * (1.0 - {_T}), axis=axis), start)",
     "stop": f"unbroadcast(np.sum(cast_adjoint(g, z) * {_T}, axis=axis), stop)"},
    {"start": f"cast_tangent(np.expand_dims(start_dot, axis) * (1.0 - {_T}), z)",
     "stop": f"cast_tangent(np.expand_dims(stop_dot, axis) * {_T}, z)"}, kind="array")
# arange(start, stop, step) = start + step * [0, 1, ...]: its length is piecewise constant; with one
# bound it is arange(stop), a constant (the value of start is then the stop)
add(np.arange, "start, stop=None, step=None, *, dtype=None",
    {"start": "np.sum(cast_adjoint(g, z)) if stop is not None else zeros_like(start)",
     "step": "np.sum(cast_adjoint(g, z) * np.arange(np.size(z)))"},
    {"start": "cast_tangent(start_dot * np.ones_like(z), z) if stop is not None else zeros_like(z)",
     "step": "cast_tangent(step_dot * np.arange(np.size(z)), z)"},
    kind=lambda kinds, consts: array_kind(1))
RULES.inactive(np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.floor_divide,
               np.heaviside, reason=PIECEWISE_CONSTANT)
RULES.inactive(np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero, np.flatnonzero, np.argwhere,
               np.searchsorted, np.digitize, np.bincount, reason=INTEGER_VALUED)
RULES.inactive(np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.signbit,
               np.greater, np.less, np.equal, np.not_equal, np.greater_equal, np.less_equal,
               np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.any, np.all,
               np.allclose, np.isclose, np.array_equal, np.array_equiv, np.isscalar, np.iscomplexobj, np.isrealobj,
               reason=BOOLEAN_VALUED)
# allocations: the values are fixed (zeros, ones, the identity) or garbage; the arguments give shapes
RULES.inactive(np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like,
               np.empty_like, np.eye, np.identity, np.result_type, np.dtype, np.finfo, np.iinfo,
               reason=SHAPE_ONLY)
# np.full / np.full_like carry the derivative of fill_value (none when the result is an integer array)
add(np.full, "shape, fill_value, dtype=None, order='C'", {"fill_value": "fill_adjoint(g, fill_value, z)"},
    {"fill_value": "cast_tangent(fill_value_dot, z)"}, kind="array")
add(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None",
    {"fill_value": "fill_adjoint(g, fill_value, z)"}, {"fill_value": "cast_tangent(fill_value_dot, z)"}, kind="array")
RULES.inactive(".argmax", ".argmin", ".argsort", ".nonzero", reason=INTEGER_VALUED)
RULES.inactive(".any", ".all", reason=BOOLEAN_VALUED)

# ---------------------------------------------------------------- reductions
_RED = "x, axis=None, dtype=None, out=None, keepdims=False"
add(np.sum, _RED, {"x": "reduce_adjoint(g, x, axis, keepdims)"}, {"x": "np.sum(x_dot, axis=axis, keepdims=keepdims)"},
    kind="reduction")
add(np.mean, _RED, {"x": "mean_adjoint(g, x, axis, keepdims)"}, {"x": "np.mean(x_dot, axis=axis, keepdims=keepdims)"},
    kind="reduction")
add(np.prod, _RED, {"x": "prod_adjoint(g, x, axis, keepdims)"},
    {"x": "np.sum(prod_adjoint(1.0, x, axis, True) * x_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
_EXT = "x, axis=None, out=None, keepdims=False"
for _fn in (np.max, np.min, np.amax, np.amin):
    add(_fn, _EXT, {"x": "extremum_adjoint(g, x, z, axis, keepdims)"},
        {"x": "np.sum(extremum_adjoint(np.ones_like(z), x, z, axis, keepdims) * x_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
_VAR = "x, axis=None, dtype=None, out=None, ddof=0, keepdims=False"
add(np.var, _VAR, {"x": "var_adjoint(g, x, axis, ddof, keepdims)"},
    {"x": "np.sum(var_adjoint(1.0, x, axis, ddof, True) * x_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
add(np.std, _VAR, {"x": "var_adjoint(g / (2.0 * z), x, axis, ddof, keepdims)"},
    {"x": "np.sum(var_adjoint(1.0, x, axis, ddof, True) * x_dot, axis=axis, keepdims=keepdims) / (2.0 * z)"},
    kind="reduction")
# the 2-norm and Frobenius norm by norm_adjoint; other vector p-norms and the matrix 1/inf-norms by norm_ord_adjoint
add(np.linalg.norm, "x, ord=None, axis=None, keepdims=False",
    {"x": "norm_adjoint(g, x, z, ord, axis, keepdims) if ord in (None, 2, 'fro') "
          "else norm_ord_adjoint(g, x, z, ord, axis, keepdims)"},
    {"x": "np.sum(norm_adjoint(np.ones_like(z), x, z, ord, axis, keepdims) * x_dot, axis=axis, keepdims=keepdims) "
          "if ord in (None, 2, 'fro') "
          "else np.sum(norm_ord_adjoint(np.ones_like(z), x, z, ord, axis, keepdims) * x_dot, axis=axis, keepdims=keepdims)"},
    kind="reduction")
_NAN = "x, axis=None, dtype=None, out=None, keepdims=False"
add(np.nansum, _NAN, {"x": "np.where(np.isnan(x), 0.0, reduce_adjoint(g, x, axis, keepdims))"},
    {"x": "np.nansum(np.where(np.isnan(x), 0.0, x_dot), axis=axis, keepdims=keepdims)"}, kind="reduction")
add(np.nanmean, _NAN,
    {"x": "np.where(np.isnan(x), 0.0, reduce_adjoint(g, x, axis, keepdims)) / np.sum(~np.isnan(x), axis=axis, keepdims=True)"},
    {"x": "np.nanmean(np.where(np.isnan(x), np.nan, x_dot), axis=axis, keepdims=keepdims)"}, kind="reduction")
# returned=True (a tuple) is refused: the rule does not name it, and takes keepdims by keyword only
# (NumPy's fourth positional parameter is `returned`)
add(np.average, "x, axis=None, weights=None, *, keepdims=False",
    {"x": "average_adjoint(g, x, axis, weights, keepdims)",
     "weights": "average_weights_adjoint(g, x, z, axis, weights, keepdims)"},
    {"x": "np.average(x_dot, axis, weights, keepdims=keepdims)",
     "weights": "average_weights_tangent(weights_dot, x, z, axis, weights, keepdims)"}, kind="reduction")
add(np.cumprod, "x, axis=None", {"x": "cumprod_adjoint(g, x, z, axis)"}, {"x": "cumprod_tangent(x_dot, x, z, axis)"},
    kind="array")
add(np.cumsum, "x, axis=None", {"x": "cumsum_adjoint(g, x, axis)"},
    {"x": "np.cumsum(x_dot, axis)"}, kind="array")

# ------------------------------------------------------------ linear algebra
add(np.dot, "x, y", {"x": "dot_adjoint(g, x, y, 0)", "y": "dot_adjoint(g, x, y, 1)"},
    {"x": "np.dot(x_dot, y)", "y": "np.dot(x, y_dot)"}, kind="dot")
add(np.matmul, "x, y", {"x": "matmul_adjoint(g, x, y, 0)", "y": "matmul_adjoint(g, x, y, 1)"},
    {"x": "np.matmul(x_dot, y)", "y": "np.matmul(x, y_dot)"}, kind="matmul")
add(np.inner, "x, y", {"x": "tensordot_adjoint(g, x, y, ([-1], [-1]), 0)", "y": "tensordot_adjoint(g, x, y, ([-1], [-1]), 1)"},
    {"x": "np.inner(x_dot, y)", "y": "np.inner(x, y_dot)"}, kind="unknown")
add(np.vdot, "x, y", {"x": "np.reshape(g * np.ravel(y), np.shape(x))", "y": "np.reshape(g * np.ravel(x), np.shape(y))"},
    {"x": "np.vdot(x_dot, y)", "y": "np.vdot(x, y_dot)"}, kind="scalar")
add(np.outer, "x, y", {"x": "np.reshape(np.dot(g, np.ravel(y)), np.shape(x))", "y": "np.reshape(np.dot(np.ravel(x), g), np.shape(y))"},
    {"x": "np.outer(x_dot, y)", "y": "np.outer(x, y_dot)"}, kind="array")
add(np.tensordot, "x, y, axes=2", {"x": "tensordot_adjoint(g, x, y, axes, 0)", "y": "tensordot_adjoint(g, x, y, axes, 1)"},
    {"x": "np.tensordot(x_dot, y, axes)", "y": "np.tensordot(x, y_dot, axes)"}, kind="unknown")
add(np.einsum, "subscripts, *operands", {"operands": "einsum_adjoints(g, subscripts, operands)"},
    {"operands": "einsum_tangent(subscripts, operands, operands_dot)"}, kind="unknown", sequence="operands")
add(np.trace, "x", {"x": "g * np.eye(np.shape(x)[0], np.shape(x)[1])"}, {"x": "np.trace(x_dot)"}, kind="scalar")
# np.linalg on (stacks of) square matrices: inv(a)' = -inv(a) a' inv(a), det' = det tr(inv(a) a')
add(np.linalg.inv, "a", {"a": "-np.swapaxes(z, -1, -2) @ g @ np.swapaxes(z, -1, -2)"}, {"a": "-z @ a_dot @ z"},
    kind="array")
add(np.linalg.det, "a", {"a": "np.expand_dims(g * z, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"},
    {"a": "z * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)"}, kind="unknown")
# slogdet returns (sign, logabsdet): g is the list of their adjoints; the sign is piecewise constant
add(np.linalg.slogdet, "a", {"a": "np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"},
    {"a": "(np.zeros(np.shape(z[0])), np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1))"},
    kind=lambda kinds, consts: TUPLE)
add(np.linalg.solve, "a, b", {"a": "solve_adjoint(g, a, b, z, 0)", "b": "solve_adjoint(g, a, b, z, 1)"},
    {"a": "-np.linalg.solve(a, a_dot @ z) if np.ndim(b) > 1 else -np.linalg.solve(a, a_dot @ z[..., None])[..., 0]",
     "b": "np.linalg.solve(a, b_dot)"}, kind="array")
# cholesky reads only the lower triangle of a (upper=True is refused: the rule does not name it)
add(np.linalg.cholesky, "a", {"a": "cholesky_adjoint(g, z)"}, {"a": "cholesky_tangent(a_dot, z)"}, kind="array")

# ------------------------------------------------------------------- shapes
# NumPy >= 2.1 names the shape `shape` (older ones `newshape`)
add(np.reshape, "x, shape=None, order='C', *, newshape=None, copy=None",
    {"x": "np.reshape(g, np.shape(x)) if order == 'C' else np.reshape(g, np.shape(x), order=order)"},
    {"x": "np.reshape(x_dot, np.shape(z)) if order == 'C' else np.reshape(x_dot, np.shape(z), order=order)"},
    kind="array")
add(np.ravel, "x", {"x": "np.reshape(g, np.shape(x))"}, {"x": "np.ravel(x_dot)"}, kind="array")
add(np.transpose, "x, axes=None", {"x": "transpose_adjoint(g, axes)"}, {"x": "np.transpose(x_dot, axes)"},
    kind=lambda kinds, consts: KIND_RULES["transpose"](kinds, consts) if consts.get("axes", 0) is None else ARRAY)
add(np.expand_dims, "x, axis", {"x": "np.reshape(g, np.shape(x))"}, {"x": "np.expand_dims(x_dot, axis)"}, kind="array")
add(np.squeeze, "x, axis=None", {"x": "np.reshape(g, np.shape(x))"}, {"x": "np.squeeze(x_dot, axis)"}, kind="unknown")
add(np.broadcast_to, "x, shape", {"x": "unbroadcast(g, x)"}, {"x": "np.broadcast_to(x_dot, shape)"}, kind="array")
add(np.concatenate, "arrays, axis=0", {"arrays": "concatenate_adjoint(g, arrays, axis)"},
    {"arrays": "np.concatenate(arrays_dot, axis)"}, kind="array", sequence="arrays")
add(np.stack, "arrays, axis=0", {"arrays": "stack_adjoint(g, arrays, axis)"},
    {"arrays": "np.stack(arrays_dot, axis)"}, kind="array", sequence="arrays")
add(np.array, "items", {"items": "array_adjoint(g, items)"}, {"items": "np.array(items_dot)"},
    kind="array", sequence="items")
# like np.array: np.asarray([a, b]) must send each item its adjoint
add(np.asarray, "x", {"x": "array_adjoint(g, x)"}, {"x": "np.asarray(x_dot)"}, kind="array", sequence="x")
add(np.copy, "x", {"x": "g"}, {"x": "np.copy(x_dot)"}, kind="array")
add(np.swapaxes, "x, axis1, axis2", {"x": "np.swapaxes(g, axis1, axis2)"}, {"x": "np.swapaxes(x_dot, axis1, axis2)"},
    kind="array")
add(np.moveaxis, "x, source, destination", {"x": "np.moveaxis(g, destination, source)"},
    {"x": "np.moveaxis(x_dot, source, destination)"}, kind="array")
for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):  # one argument (several give a list: refused)
    add(_fn, "x", {"x": "np.reshape(g, np.shape(x))"}, {"x": f"np.{_fn.__name__}(x_dot)"}, kind="array")
add(np.flip, "x, axis=None", {"x": "np.flip(g, axis)"}, {"x": "np.flip(x_dot, axis)"}, kind="array")
add(np.fliplr, "x", {"x": "np.fliplr(g)"}, {"x": "np.fliplr(x_dot)"}, kind="array")
add(np.flipud, "x", {"x": "np.flipud(g)"}, {"x": "np.flipud(x_dot)"}, kind="array")
add(np.roll, "x, shift, axis=None", {"x": "np.roll(g, np.negative(shift), axis)"}, {"x": "np.roll(x_dot, shift, axis)"},
    kind="array")
# a 1-D x is broadcast to rows first: its adjoint sums them
add(np.triu, "x, k=0", {"x": "np.triu(g, k) if np.ndim(x) > 1 else np.sum(np.triu(g, k), axis=0)"},
    {"x": "np.triu(x_dot, k)"}, kind="array")
add(np.tril, "x, k=0", {"x": "np.tril(g, k) if np.ndim(x) > 1 else np.sum(np.tril(g, k), axis=0)"},
    {"x": "np.tril(x_dot, k)"}, kind="array")
add(np.diag, "x, k=0", {"x": "diag_adjoint(g, x, k)"}, {"x": "np.diag(x_dot, k)"}, kind="array")
add(np.diagonal, "x, offset=0, axis1=0, axis2=1", {"x": "diagonal_adjoint(g, x, offset, axis1, axis2)"},
    {"x": "np.diagonal(x_dot, offset, axis1, axis2)"}, kind="array")
add(np.repeat, "x, repeats, axis=None", {"x": "repeat_adjoint(g, x, repeats, axis)"},
    {"x": "np.repeat(x_dot, repeats, axis)"}, kind="array")
add(np.tile, "x, reps", {"x": "tile_adjoint(g, x, reps)"}, {"x": "np.tile(x_dot, reps)"}, kind="array")
add(np.diff, "x, n=1, axis=-1", {"x": "diff_adjoint(g, n, axis)"}, {"x": "np.diff(x_dot, n, axis)"}, kind="array")
for _fn in (np.hstack, np.vstack, np.column_stack):
    add(_fn, "arrays", {"arrays": f"{_fn.__name__}_adjoint(g, arrays)"}, {"arrays": f"np.{_fn.__name__}(arrays_dot)"},
        kind="array", sequence="arrays")

# -------------------------------------------------------------- method forms
add(".sum", "self, axis=None, dtype=None, out=None, keepdims=False", {"self": "reduce_adjoint(g, self, axis, keepdims)"},
    {"self": "np.sum(self_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
add(".mean", "self, axis=None, dtype=None, out=None, keepdims=False", {"self": "mean_adjoint(g, self, axis, keepdims)"},
    {"self": "np.mean(self_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
add(".prod", "self, axis=None, dtype=None, out=None, keepdims=False", {"self": "prod_adjoint(g, self, axis, keepdims)"},
    {"self": "np.sum(prod_adjoint(1.0, self, axis, True) * self_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
for _m in (".max", ".min"):
    add(_m, "self, axis=None, out=None, keepdims=False", {"self": "extremum_adjoint(g, self, z, axis, keepdims)"},
        {"self": "np.sum(extremum_adjoint(np.ones_like(z), self, z, axis, keepdims) * self_dot, axis=axis, keepdims=keepdims)"},
        kind="reduction")
add(".var", "self, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    {"self": "var_adjoint(g, self, axis, ddof, keepdims)"},
    {"self": "np.sum(var_adjoint(1.0, self, axis, ddof, True) * self_dot, axis=axis, keepdims=keepdims)"}, kind="reduction")
add(".std", "self, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    {"self": "var_adjoint(g / (2.0 * z), self, axis, ddof, keepdims)"},
    {"self": "np.sum(var_adjoint(1.0, self, axis, ddof, True) * self_dot, axis=axis, keepdims=keepdims) / (2.0 * z)"},
    kind="reduction")
add(".dot", "self, y", {"self": "dot_adjoint(g, self, y, 0)", "y": "dot_adjoint(g, self, y, 1)"},
    {"self": "np.dot(self_dot, y)", "y": "np.dot(self, y_dot)"}, kind="dot")
add(".reshape", "self, *shape", {"self": "np.reshape(g, np.shape(self))"}, {"self": "np.reshape(self_dot, np.shape(z))"},
    kind="array")
add(".ravel", "self", {"self": "np.reshape(g, np.shape(self))"}, {"self": "np.ravel(self_dot)"}, kind="array")
add(".flatten", "self", {"self": "np.reshape(g, np.shape(self))"}, {"self": "np.ravel(self_dot)"}, kind="array")
add(".squeeze", "self, axis=None", {"self": "np.reshape(g, np.shape(self))"}, {"self": "np.squeeze(self_dot, axis)"},
    kind="unknown")
# x.transpose(1, 0, 2) and x.transpose((1, 0, 2)) both work: axes may hold one tuple
add(".transpose", "self, *axes", {"self": "transpose_adjoint(g, axes or None)"},
    {"self": "np.transpose(self_dot, axes[0] if len(axes) == 1 else (axes or None))"}, kind="array")
add(".copy", "self", {"self": "g"}, {"self": "np.copy(self_dot)"}, kind="unknown")
add(".T", "self", {"self": "np.transpose(g)"}, {"self": "np.transpose(self_dot)"}, kind="transpose")
# ndarray.clip names its bounds min and max (np.clip's are a_min, a_max)
add(".clip", "self, min=None, max=None",
    {"self": "unbroadcast(g * (z == self), self)",
     "min": "unbroadcast(g * (self < min), min)", "max": "unbroadcast(g * (self > max), max)"},
    {"self": "self_dot * (z == self)", "min": "min_dot * (self < min)", "max": "max_dot * (self > max)"},
    kind="unknown")
# a cast: the identity to a float type, zero derivative to an integer or boolean one
add(".astype", "self, dtype, order='K', casting='unsafe', subok=True, copy=True", {"self": "cast_adjoint(g, z)"},
    {"self": "cast_tangent(self_dot, z)"})
add(".item", "self, *args", {"self": "item_adjoint(g, self, args)"}, {"self": "np.asarray(self_dot).item(*args)"},
    kind="scalar")
RULES.inactive(".shape", ".ndim", ".size", ".dtype", reason=SHAPE_ONLY)
