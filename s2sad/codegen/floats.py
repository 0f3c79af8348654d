"""The float variant of a generated function: the same code calling ``math``
where NumPy's ufuncs would run on Python floats (ten times slower there).

Input: a generated ``FunctionDef`` (as :mod:`s2sad.codegen.finish` renders
it) and the names injected into it. Output: the variant's ``FunctionDef``, or
None when the code does something the variant cannot prove the same.

The variant is only ever called with arguments that are all exactly
``float``, ``int`` or ``bool`` (the call path checks their types,
:mod:`s2sad.api`). It is built only when every value of the code then is one
too: its names are its parameters and locals, its calls are ``math``
functions, NumPy functions with an exact ``math`` counterpart (rewritten to
it), a few builtins and its own tapes (``tape.append``, ``tape.pop``), and a
power's exponent is a number. Python floats compute what NumPy's float64
scalars compute (IEEE arithmetic; ``math`` and NumPy call the same libm, to
an ulp), except where NumPy would warn: ``math`` raises (``log(-1.0)``,
``exp(1000.0)``), Python raises on a division by zero, and a Python float
overflows to ``inf`` silently. So the variant falls back to the NumPy code
when anything raises or a result is not finite, and the call's result,
exception and warnings are NumPy's. Its code has no side effects (the calls
above are pure), so running the NumPy code after it changes nothing.

>>> import gast, math, numpy as np
>>> fn = gast.parse("def df(x, y_bar=1.0):\\n    t1 = np.sin(x)\\n    x_bar = y_bar * np.cos(x)\\n"
...                 "    return t1, x_bar").body[0]
>>> from s2sad.codegen.emit import render_function
>>> print(render_function(float_variant(fn, {"np": np, "math": math}, {}, "df_numpy"), {}), end="")
def df(x, y_bar=1.0):
    try:
        t1 = math.sin(x)
        x_bar = y_bar * math.cos(x)
        if (t1 + x_bar) * 0.0 == 0.0:
            return t1, x_bar
    except Exception:
        pass
    return df_numpy(x, y_bar)
"""

from __future__ import annotations

import math
import types
from typing import Any

import gast
import numpy as np

from .emit import copy_tree

# NumPy functions whose ``math`` namesake computes the same on a float (the
# same bits, but tanh: NumPy has its own, up to 2 ulp apart), or raises where
# NumPy returns nan or inf with a warning
MATH_OF_NUMPY = {
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
    "exp": "exp", "expm1": "expm1", "log": "log", "log10": "log10", "log2": "log2", "log1p": "log1p",
    "sqrt": "sqrt", "fabs": "fabs", "absolute": "fabs",
}  # fmt: skip
# builtins whose results on numbers are numbers (or ranges and iterators of ints)
BUILTINS = frozenset({"abs", "min", "max", "float", "int", "bool", "range", "reversed", "len"})
_STATEMENTS = (gast.Assign, gast.AugAssign, gast.If, gast.While, gast.For, gast.Expr, gast.Return,
               gast.Break, gast.Continue, gast.Pass)  # fmt: skip
_EXPRESSIONS = (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.BoolOp, gast.Compare, gast.IfExp,
                gast.Tuple, gast.List, gast.Call, gast.Attribute)  # fmt: skip
_CONTEXTS = (gast.Load, gast.Store, gast.operator, gast.unaryop, gast.boolop, gast.cmpop, gast.keyword)


class _Refused(Exception):
    """The code does something the float variant does not prove the same."""


def float_variant(
    gen: gast.FunctionDef, injected: dict[str, Any], user_globals: dict[str, Any], fallback: str
) -> gast.FunctionDef | None:
    """The float variant of ``gen``, falling back to ``fallback(params...)``; None when not proven."""
    modules = {k: v for k, v in injected.items() if v is np or v is math}
    math_name = next((k for k, v in modules.items() if v is math), None)
    if math_name is None or not gen.body or not isinstance(gen.body[-1], gast.Return):
        return None
    variant = copy_tree(gen)
    try:
        _Rewrite(variant, modules, math_name, user_globals).run()
        check = _finite_check(variant.body[-1])
    except _Refused:
        return None
    # the NumPy code is called with the arguments as they came: a parameter the code rebinds
    # (a loop's `x = ...`, an adjoint `x_bar = ...`) is kept under another name first
    stored = {n.id for n in gast.walk(variant) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    taken = stored | {n.id for n in gast.walk(variant) if isinstance(n, gast.Name)} | set(injected) | {fallback}
    kept: dict[str, str] = {}
    for a in variant.args.posonlyargs + variant.args.args + variant.args.kwonlyargs:
        if a.id in stored:
            kept[a.id] = a.id + "_arg"
            while kept[a.id] in taken:
                kept[a.id] += "_"
            taken.add(kept[a.id])

    def passed(a: gast.Name) -> gast.Name:
        return gast.Name(id=kept.get(a.id, a.id), ctx=gast.Load(), annotation=None, type_comment=None)

    call = gast.Call(
        func=gast.Name(id=fallback, ctx=gast.Load(), annotation=None, type_comment=None),
        args=[passed(a) for a in variant.args.posonlyargs + variant.args.args],
        keywords=[gast.keyword(arg=a.id, value=passed(a)) for a in variant.args.kwonlyargs],
    )
    saves: list[gast.stmt] = [
        gast.Assign(targets=[gast.Name(id=new, ctx=gast.Store(), annotation=None, type_comment=None)],
                    value=gast.Name(id=old, ctx=gast.Load(), annotation=None, type_comment=None), type_comment=None)
        for old, new in kept.items()
    ]  # fmt: skip
    ret = variant.body[-1]
    if check is not None:
        variant.body[-1] = gast.If(test=check, body=[ret], orelse=[])
    handler = gast.ExceptHandler(type=gast.Name(id="Exception", ctx=gast.Load(), annotation=None,
                                                type_comment=None), name=None, body=[gast.Pass()])  # fmt: skip
    guarded = gast.Try(body=variant.body, handlers=[handler], orelse=[], finalbody=[])
    variant.body = [*saves, guarded, gast.Return(value=call)]
    return variant


def _finite_check(ret: gast.Return) -> gast.expr | None:
    """``(a + b + ...) * 0.0 == 0.0`` over the names the function returns:
    true when all are finite (a sum that overflows sends a finite result to
    the NumPy code too, which is only slower), false on inf and nan, and a
    TypeError (so the NumPy code) for anything but a number."""
    leaves: list[str] = []

    def collect(e: gast.expr) -> None:
        if isinstance(e, gast.Tuple):
            for item in e.elts:
                collect(item)
        elif isinstance(e, gast.Name):
            leaves.append(e.id)
        elif not (isinstance(e, gast.Constant) and (e.value is None or type(e.value) in (int, float))):
            raise _Refused

    collect(ret.value)
    if not leaves:
        return None
    total: gast.expr = gast.Name(id=leaves[0], ctx=gast.Load(), annotation=None, type_comment=None)
    for n in list(dict.fromkeys(leaves))[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                                                        type_comment=None))  # fmt: skip
    zero = gast.BinOp(left=total, op=gast.Mult(), right=gast.Constant(value=0.0, kind=None))
    return gast.Compare(left=zero, ops=[gast.Eq()], comparators=[gast.Constant(value=0.0, kind=None)])


class _Rewrite:
    """Check every statement and expression of the variant; rewrite NumPy calls to ``math``."""

    def __init__(self, fn: gast.FunctionDef, modules: dict[str, Any], math_name: str, user_globals: dict) -> None:
        self.fn, self.modules, self.math_name, self.user_globals = fn, modules, math_name, user_globals
        args = fn.args
        if args.vararg is not None or args.kwarg is not None:
            raise _Refused
        self.locals = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        self.tapes: set[str] = set()
        for node in gast.walk(fn):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                self.locals.add(node.id)
        for node in gast.walk(fn):  # a tape: a local only ever assigned an empty list
            if isinstance(node, gast.Assign) and isinstance(node.value, gast.List) and not node.value.elts:
                self.tapes.update(t.id for t in node.targets if isinstance(t, gast.Name))
        for node in gast.walk(fn):
            if isinstance(node, (gast.Assign, gast.AugAssign)):
                for t in node.targets if isinstance(node, gast.Assign) else [node.target]:
                    if isinstance(t, gast.Name) and t.id in self.tapes and not (
                        isinstance(node, gast.Assign) and isinstance(node.value, gast.List) and not node.value.elts
                    ):
                        self.tapes.discard(t.id)
        self.tapes -= {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        if self.modules.keys() & self.locals:
            raise _Refused

    def run(self) -> None:
        for d in self.fn.args.defaults + [d for d in self.fn.args.kw_defaults if d is not None]:
            if not (isinstance(d, gast.Constant) and type(d.value) in (int, float, bool)):
                raise _Refused  # a default the call path does not see (it checks the passed arguments' types)
        self.block(self.fn.body)

    def block(self, stmts: list[gast.stmt]) -> None:
        for s in stmts:
            if not isinstance(s, _STATEMENTS):
                raise _Refused
            for field in s._fields:
                value = getattr(s, field)
                if isinstance(value, list) and value and isinstance(value[0], gast.stmt):
                    self.block(value)
                elif field == "orelse":
                    continue
                elif isinstance(value, list):
                    setattr(s, field, [self.expr(v) for v in value])
                elif isinstance(value, gast.AST):
                    setattr(s, field, self.expr(value))
                elif value is not None and field not in ("type_comment",):
                    raise _Refused

    def expr(self, e: gast.AST) -> gast.AST:
        if isinstance(e, _CONTEXTS):
            if isinstance(e, gast.keyword):
                raise _Refused
            return e
        if not isinstance(e, _EXPRESSIONS):
            raise _Refused
        if isinstance(e, gast.Name):
            if isinstance(e.ctx, gast.Load) and e.id not in self.locals:
                raise _Refused  # a global or a module: its value may be of any type
            return e
        if isinstance(e, gast.Constant):
            if not (e.value is None or type(e.value) in (int, float, bool)):
                raise _Refused
            return e
        if isinstance(e, gast.Attribute):
            return self.attribute(e)
        if isinstance(e, gast.Call):
            return self.call(e)
        if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Pow):
            return self.power(e)
        if isinstance(e, gast.List) and e.elts:
            raise _Refused
        for field in e._fields:
            value = getattr(e, field)
            if isinstance(value, list):
                setattr(e, field, [self.expr(v) for v in value])
            elif isinstance(value, gast.AST):
                setattr(e, field, self.expr(value))
        return e

    def attribute(self, e: gast.Attribute) -> gast.AST:
        """``np.pi``, ``math.e``: a module's float constant."""
        if isinstance(e.value, gast.Name) and e.value.id in self.modules:
            value = getattr(self.modules[e.value.id], e.attr, None)
            if type(value) is float:
                return gast.Constant(value=value, kind=None)
        raise _Refused

    def call(self, e: gast.Call) -> gast.AST:
        if e.keywords or any(isinstance(a, gast.Starred) for a in e.args):
            raise _Refused
        e.args = [self.expr(a) for a in e.args]
        f = e.func
        if isinstance(f, gast.Name):
            shadowed = f.id in self.locals or f.id in self.user_globals
            if f.id in BUILTINS and not shadowed and f.id not in self.modules:
                return e
            raise _Refused
        if not (isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name)):
            raise _Refused
        owner = f.value.id
        if owner in self.tapes and (f.attr, len(e.args)) in (("append", 1), ("pop", 0)):
            return e
        module = self.modules.get(owner)
        if module is math and isinstance(getattr(math, f.attr, None), types.BuiltinFunctionType):
            return e
        if module is np and f.attr in MATH_OF_NUMPY and len(e.args) == 1:
            f.value.id = self.math_name
            f.attr = MATH_OF_NUMPY[f.attr]
            return e
        raise _Refused

    def power(self, e: gast.BinOp) -> gast.AST:
        """``a ** 3`` stays (on a float or an int, Python's power is NumPy's, or
        raises); ``a ** 0.5`` becomes ``math.pow(a, 0.5)``, which raises where
        Python's power of a negative float would make a complex number."""
        e.left = self.expr(e.left)
        exponent = e.right
        negated = isinstance(exponent, gast.UnaryOp) and isinstance(exponent.op, (gast.USub, gast.UAdd))
        number = exponent.operand if negated else exponent
        if not (isinstance(number, gast.Constant) and type(number.value) in (int, float)):
            raise _Refused
        if type(number.value) is int:
            return e
        pow_ = gast.Attribute(
            value=gast.Name(id=self.math_name, ctx=gast.Load(), annotation=None, type_comment=None),
            attr="pow", ctx=gast.Load(),
        )  # fmt: skip
        return gast.Call(func=pow_, args=[e.left, exponent], keywords=[])

