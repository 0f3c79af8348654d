"""Put a reverse transform's sweeps into one function: the gradient's
signature (the function's parameters and the seed ``<output>_bar=1.0``),
the closure of a split gradient, and the optional finite checks.

Input: the forward and reverse sweeps of :class:`~s2sad.reverse.transform.ReverseTransform`.
Output: ``FunctionDef`` trees, ready for :mod:`s2sad.optimize` and :mod:`s2sad.codegen`.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> args = gast.parse("def f(x, y): pass").body[0].args
>>> print(unparse(with_parameters(args, "df", [gast.Pass()], "y_bar")).strip())
def df(x, y, y_bar=1.0):
    pass
"""

from __future__ import annotations

import linecache
from typing import Any

import gast
import numpy as np

from ..analysis.shapes import single_assignments
from ..frontend.parse import ParsedFunction
from ..ir.core import name
from ..ir.kinds import is_array, ndim
from ..rules.table import KIND_RULES, RULES


def with_parameters(
    args: gast.arguments, fname: str, body: list[gast.stmt], seed: str, own: bool = True
) -> gast.FunctionDef:
    """``def fname(<the function's parameters>, <seed>=1.0): body``; with
    ``own=False``, ``def fname(<seed>): body`` (the closure of a split
    derivative, which reads the parameters of the function around it)."""
    if not own:
        bare = gast.arguments(
            args=[name(seed, gast.Param)], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[],
        )  # fmt: skip
        return gast.FunctionDef(
            name=fname, args=bare, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
        )
    new_args = gast.arguments(
        args=list(args.args) + [name(seed, gast.Param)],
        posonlyargs=list(args.posonlyargs),
        vararg=None,
        kwonlyargs=list(args.kwonlyargs),
        kw_defaults=list(args.kw_defaults),
        kwarg=None,
        defaults=list(args.defaults) + [gast.Constant(value=1.0, kind=None)],
    )
    return gast.FunctionDef(
        name=fname, args=new_args, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )


def with_finite_checks(stmts: list[gast.stmt], adjoints: set[str], pf: ParsedFunction, checker: str) -> list[gast.stmt]:
    """After each adjoint assignment, a call that raises on a non-finite value."""
    out: list[gast.stmt] = []
    for s in stmts:
        out.append(s)
        if isinstance(s, (gast.If, gast.For)):
            s.body = with_finite_checks(s.body, adjoints, pf, checker)
            s.orelse = with_finite_checks(s.orelse, adjoints, pf, checker)
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in adjoints:
            line = getattr(s, "lineno", None) or pf.node.lineno
            text = linecache.getline(pf.filename, line).strip()
            where = f'File "{pf.filename}", line {line}: {text}'
            call = gast.Call(
                func=name(checker),
                args=[
                    name(s.targets[0].id),
                    gast.Constant(value=s.targets[0].id, kind=None),
                    gast.Constant(value=where, kind=None),
                ],
                keywords=[],
            )
            out.append(gast.copy_location(gast.Expr(value=call), s))
    return out


# ------------------------------------------------------ the gradient-only form
def _operator_rules() -> set[int]:
    ops = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.USub, gast.UAdd)
    return {id(RULES.operator(o)) for o in ops if RULES.operator(o) is not None}


def _ufunc_rules() -> set[int]:
    found = set()
    for attr in dir(np):
        f = getattr(np, attr, None)
        if isinstance(f, np.ufunc) and RULES.lookup(f) is not None:
            found.add(id(RULES.lookup(f)))
    return found


_ELEMENTWISE: set[int] = set()  # rules of the arithmetic operators and NumPy ufuncs, filled on first use


def elementwise_rule(rule: Any) -> bool:
    """Is ``rule`` an arithmetic operator's or a NumPy ufunc's: 0-d operands
    give a 0-d result, and the call has no effect?"""
    if not _ELEMENTWISE:
        _ELEMENTWISE.update(_operator_rules() | _ufunc_rules())
    return id(rule) in _ELEMENTWISE


def full_reduction(op: Any, kinds: dict[str, Any]) -> bool:
    """``np.sum(x)``, ``x.mean()`` ... with ``axis=None, keepdims=False``: a
    0-d result whatever ``x`` is (a method's receiver must be an array)."""
    rule = op.rule
    if rule is None or rule.kind is not KIND_RULES["reduction"]:
        return False
    axis, keepdims = op.args.get("axis"), op.args.get("keepdims")
    if not (isinstance(axis, gast.Constant) and axis.value is None):
        return False
    if not (isinstance(keepdims, gast.Constant) and keepdims.value is False):
        return False
    if rule.name.startswith("."):
        receiver = op.args.get("self")
        kind = kinds.get(receiver.id) if isinstance(receiver, gast.Name) else None
        return is_array(kind)
    return True


def scalar_output(fn: gast.FunctionDef, ops: dict[int, Any], kinds: dict[str, Any]) -> bool:
    """Does the SSA core ``fn`` provably return a 0-d value (what ``grad``
    checks of the value), whatever the argument values of these kinds?

    Proven, conservatively: a parameter of kind ``scalar`` (a float) or
    ``array0``; a float or int constant; a full reduction (see
    :func:`full_reduction`); an arithmetic operator or NumPy ufunc of proven
    0-d operands; ``n = x.shape[k]`` of an array ``x``; ``x[k]`` of a 1-d array
    argument ``x``, ``k`` an int constant; a copy of a proven
    name. Each name on the way must be assigned once, at the top level
    of the body (not in a branch or loop). Anything else is not proven."""
    ret = fn.body[-1]
    if not (isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name)):
        return False
    args = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if isinstance(a, gast.Name)}
    params, top = single_assignments(fn)  # parameters never assigned; names assigned once, at the top level
    seen: dict[str, bool] = {}

    def zero_d(node: gast.expr) -> bool:
        if isinstance(node, gast.Constant):
            return type(node.value) in (int, float)
        if not isinstance(node, gast.Name):
            return False
        n = node.id
        if n in seen:
            return seen[n]
        seen[n] = False  # a cycle proves nothing
        if n in args:
            seen[n] = n in params and ndim(kinds.get(n)) == 0
            return seen[n]
        s = top.get(n)
        op = ops.get(id(s)) if s is not None else None
        seen[n] = op is not None and defines_0d(s.value, op)
        return seen[n]

    def defines_0d(value: gast.expr, op: Any) -> bool:
        if op.kind == "copy":
            return zero_d(value)
        if op.kind == "const":
            return isinstance(value, gast.Constant) and type(value.value) in (int, float)
        if isinstance(value, gast.Subscript):  # x.shape[k], or x[k] of a 1-d array argument x
            if not (isinstance(value.slice, gast.Constant) and type(value.slice.value) is int):
                return False
            if not isinstance(value.value, gast.Name):
                return False
            base = value.value.id
            if base in args:
                return base in params and ndim(kinds.get(base)) == 1
            shape = top[base].value if base in top else None
            return (
                isinstance(shape, gast.Attribute) and shape.attr == "shape" and isinstance(shape.value, gast.Name)
                and is_array(kinds.get(shape.value.id))
            )  # fmt: skip
        if op.kind != "rule":
            return False
        if full_reduction(op, kinds):
            return True
        if elementwise_rule(op.rule) and isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Call)):
            if isinstance(value, gast.Call) and value.keywords:
                return False
            atoms = list(op.args.values())
            return bool(atoms) and all(zero_d(a) for a in atoms)
        return False

    return zero_d(ret.value)


def pure_value(op: Any, kinds: dict[str, Any]) -> bool:
    """May a forward statement computing ``op`` go when nothing reads it?
    Arithmetic, NumPy ufuncs and full reductions have no effect (an error
    they would raise on a value only the function's value needs goes with them)."""
    if op is None or op.kind != "rule" or op.rule is None:
        return False
    return elementwise_rule(op.rule) or full_reduction(op, kinds)
