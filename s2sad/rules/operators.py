"""Rules for Python's operators, its builtins and the ``math`` module.

One row per primitive: signature, reverse templates, forward templates.
``unbroadcast(e, x)`` sums a broadcast adjoint back to ``x``'s shape; the
transform drops it where the kinds of the operands show it is not needed.
"""

from __future__ import annotations

import builtins
import math

import gast

from .table import BOOLEAN_VALUED, INTEGER_VALUED, NO_VALUE, PIECEWISE_CONSTANT, RULES, SHAPE_ONLY

add = RULES.add

# ---------------------------------------------------------------- operators
add(gast.Add, "x, y", {"x": "unbroadcast(g, x)", "y": "unbroadcast(g, y)"}, {"x": "x_dot", "y": "y_dot"})
add(gast.Sub, "x, y", {"x": "unbroadcast(g, x)", "y": "unbroadcast(-g, y)"}, {"x": "x_dot", "y": "-y_dot"})
add(gast.Mult, "x, y", {"x": "unbroadcast(g * y, x)", "y": "unbroadcast(g * x, y)"}, {"x": "x_dot * y", "y": "x * y_dot"})
add(gast.Div, "x, y", {"x": "unbroadcast(g / y, x)", "y": "unbroadcast(-g * z / y, y)"}, {"x": "x_dot / y", "y": "-y_dot * z / y"})
add(
    gast.Pow,
    "x, y",
    {"x": "unbroadcast(g * y * x ** (y - 1), x)", "y": "unbroadcast(g * z * np.log(np.where(x == 0, 1.0, x)), y)"},
    {"x": "x_dot * y * x ** (y - 1)", "y": "y_dot * z * np.log(np.where(x == 0, 1.0, x))"},
)
add(
    gast.MatMult,
    "x, y",
    {"x": "matmul_adjoint(g, x, y, 0)", "y": "matmul_adjoint(g, x, y, 1)"},
    {"x": "x_dot @ y", "y": "x @ y_dot"},
    kind="matmul",
)
add(gast.USub, "x", {"x": "-g"}, {"x": "-x_dot"})
add(gast.UAdd, "x", {"x": "g"}, {"x": "x_dot"})
# x % y = x - y * (x // y), with x // y piecewise constant (Python's and NumPy's % agree)
add(gast.Mod, "x, y", {"x": "unbroadcast(g, x)", "y": "unbroadcast(-g * (x // y), y)"},
    {"x": "x_dot", "y": "-y_dot * (x // y)"})
add(gast.FloorDiv, "x, y", kind="int", reason=PIECEWISE_CONSTANT)
for _op in (gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift, gast.RShift):
    add(_op, "x, y", kind="int", reason=INTEGER_VALUED)
for _op in (gast.Not, gast.Invert):  # unary: ~mask
    add(_op, "x", kind="int", reason=BOOLEAN_VALUED)
# comparisons are never differentiable: the transform treats every Compare as inactive

# ----------------------------------------------------------------- builtins
add(builtins.abs, "x", {"x": "g * np.sign(x)"}, {"x": "x_dot * np.sign(x)"})
add(builtins.float, "x", {"x": "g"}, {"x": "x_dot"}, kind="scalar")
# max(a, b, ...) or max(items): the selected item gets g (split evenly among ties); x is the
# first argument, or the iterable when it is the only one
for _fn in (builtins.max, builtins.min):
    add(_fn, "x, *rest", {"x": "minmax_adjoint(g, z, x, rest, 0)", "rest": "minmax_adjoint(g, z, x, rest, 1)"},
        {"x": "minmax_tangent(x_dot, z, x, rest, 0)", "rest": "minmax_tangent(rest_dot, z, x, rest, 1)"},
        sequence="x", kind="unknown")
add(builtins.pow, "base, exp",  # pow(x, y, mod) is refused: the rule takes two arguments
    {"base": "unbroadcast(g * exp * base ** (exp - 1), base)",
     "exp": "unbroadcast(g * z * np.log(np.where(base == 0, 1.0, base)), exp)"},
    {"base": "base_dot * exp * base ** (exp - 1)", "exp": "exp_dot * z * np.log(np.where(base == 0, 1.0, base))"})
add(builtins.sum, "items", {"items": "sum_list_adjoint(g, items)"}, {"items": "sum(items_dot)"},
    sequence="items", kind="unknown")
# enumerate and zip are not declared: `for` over them is rewritten into a loop over a range before
# this table is read, and any other use of them on a value with a derivative is refused
RULES.inactive(builtins.int, builtins.round, reason=PIECEWISE_CONSTANT)
RULES.inactive(builtins.len, reason=SHAPE_ONLY)
RULES.inactive(builtins.range, reason=INTEGER_VALUED)
RULES.inactive(builtins.bool, builtins.isinstance, builtins.callable, reason=BOOLEAN_VALUED)
RULES.inactive(builtins.type, builtins.id, reason=NO_VALUE)
RULES.inactive(builtins.print, reason=NO_VALUE, pure=False)  # an effect: printing twice is not printing once

# --------------------------------------------------------------------- math
_MATH = {
    "sin": "g * math.cos(x)",
    "cos": "-g * math.sin(x)",
    "tan": "g / math.cos(x) ** 2",
    "exp": "g * z",
    "log1p": "g / (1.0 + x)",
    "log2": "g / (x * math.log(2.0))",
    "log10": "g / (x * math.log(10.0))",
    "expm1": "g * (z + 1.0)",
    "sqrt": "g / (2.0 * z)",
    "tanh": "g * (1.0 - z * z)",
    "sinh": "g * math.cosh(x)",
    "cosh": "g * math.sinh(x)",
    "asin": "g / math.sqrt(1.0 - x * x)",
    "acos": "-g / math.sqrt(1.0 - x * x)",
    "atan": "g / (1.0 + x * x)",
    "asinh": "g / math.sqrt(x * x + 1.0)",
    "acosh": "g / math.sqrt(x * x - 1.0)",
    "atanh": "g / (1.0 - x * x)",
    "fabs": "g * math.copysign(1.0, x)",
    "erf": "g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)",
    "erfc": "-g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)",
}
for _name, _rev in _MATH.items():
    # every reverse rule above is linear in g with g written once: its forward
    # rule is the same expression in x_dot
    _fwd = _rev.replace("g * ", "x_dot * ", 1).replace("g / ", "x_dot / ", 1).replace("-g", "-x_dot", 1)
    add(getattr(math, _name), "x", {"x": _rev}, {"x": _fwd}, kind="scalar")

# math.log(x) or math.log(x, base)
add(math.log, "x, base=None", {"x": "g / x if base is None else g / (x * math.log(base))",
                                "base": "-g * z / (base * math.log(base))"},
    {"x": "x_dot / x if base is None else x_dot / (x * math.log(base))", "base": "-base_dot * z / (base * math.log(base))"},
    kind="scalar")
add(math.pow, "x, y", {"x": "g * y * x ** (y - 1)", "y": "g * z * math.log(x) if x > 0 else 0.0"},
    {"x": "x_dot * y * x ** (y - 1)", "y": "y_dot * z * math.log(x) if x > 0 else 0.0"}, kind="scalar")
add(math.atan2, "y, x", {"y": "g * x / (x * x + y * y)", "x": "-g * y / (x * x + y * y)"},
    {"y": "y_dot * x / (x * x + y * y)", "x": "-x_dot * y / (x * x + y * y)"}, kind="scalar")
add(math.hypot, "x, y", {"x": "g * x / z", "y": "g * y / z"}, {"x": "x_dot * x / z", "y": "y_dot * y / z"},
    kind="scalar")
add(math.copysign, "x, y", {"x": "g * math.copysign(1.0, x) * math.copysign(1.0, y)"},
    {"x": "x_dot * math.copysign(1.0, x) * math.copysign(1.0, y)"}, kind="scalar")
# fmod(x, y) = x - y * trunc(x / y); remainder(x, y) = x - y * n, n the nearest integer to x / y:
# the quotient ((x - z) / y, an integer up to rounding) is piecewise constant
add(math.fmod, "x, y", {"x": "g", "y": "-g * round((x - z) / y)"}, {"x": "x_dot", "y": "-y_dot * round((x - z) / y)"},
    kind="scalar")
add(math.remainder, "x, y", {"x": "g", "y": "-g * round((x - z) / y)"},
    {"x": "x_dot", "y": "-y_dot * round((x - z) / y)"}, kind="scalar")
RULES.inactive(math.floor, math.ceil, math.trunc, reason=PIECEWISE_CONSTANT)
RULES.inactive(math.isnan, math.isinf, math.isfinite, math.isclose, reason=BOOLEAN_VALUED)
RULES.inactive(math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt, reason=INTEGER_VALUED)

# a dict's keys (loops over d.values(), d.items(), d.keys() are rewritten by normalization)
RULES.inactive(".keys", reason=NO_VALUE)

# reflective calls: what they compute depends on the program's own text or names,
# which s2sad rewrites (SSA renames, new temporaries): refused wherever they appear
REFLECTIVE = (builtins.eval, builtins.exec, builtins.compile, builtins.locals, builtins.globals, builtins.vars,
              builtins.dir, builtins.__import__, builtins.setattr, builtins.delattr, builtins.breakpoint,
              builtins.input, builtins.open)
