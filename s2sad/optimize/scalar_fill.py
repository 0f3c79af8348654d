"""Keep the adjoint of a full reduction a number while only elementwise
arithmetic reads it.

The adjoint of ``y = np.sum(x)`` is an array like ``x`` filled with
``y_bar``; a person writes ``y_bar * 2 * x`` rather than building that array
and multiplying it. Elementwise arithmetic commutes with filling: where every
array an expression reads has one shape (one class of
:mod:`s2sad.analysis.shapes`), reading the fill value in place of the filled
array gives the same entries and the same shape.

Input: the top-level statements of a reverse sweep (straight-line, in
order), and what is known of each name: its kind and its shape class
(:class:`Names`). Output: the same statements where

* ``v = np.full_like(m, s)`` of a number ``s`` (the reduction's adjoint)
  becomes ``v = s``, and ``v`` a *fill* of ``m``'s class;
* an expression of elementwise arithmetic (operators, NumPy ufuncs of one
  argument) of fills, numbers and arrays all of one class ``C`` stays as it
  is: it is an array of class ``C`` when it reads one, else a fill of ``C``;
* anything else that reads a fill (a call, a subscript, a loop, an ``if``,
  the returned adjoints) first turns it into the array it stands for:
  ``v = np.full_like(m, v)`` just before.

>>> import gast
>>> from s2sad.analysis.shapes import ShapeClasses
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.kinds import SCALAR, array_kind
>>> classes = ShapeClasses(); classes.union("t", "p")
>>> kinds = {"g": SCALAR, "t": array_kind(1), "p": array_kind(1)}
>>> body = gast.parse("t_bar = np.full_like(t, g)\\np_bar = t_bar * 2 * p\\nq = f(t_bar)").body
>>> out = keep_fills_scalar(body, Names(kinds.get, classes.find), set(), "np")
>>> print("".join(unparse(s) for s in out), end="")
t_bar = g
p_bar = t_bar * 2 * p
t_bar = np.full_like(t, t_bar)
q = f(t_bar)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gast

from ..ir.core import assign, name, names_read, names_written
from ..ir.kinds import INT, SCALAR, is_array
from ..rules.table import elementwise_call


@dataclass(frozen=True)
class Names:
    """What the pass knows of a name: ``kind(n)`` (None: not known) and
    ``shape_class(n)`` (None: in no class)."""

    kind: Callable[[str], Any]
    shape_class: Callable[[str], str | None]


@dataclass
class _Fill:
    shape_class: str
    source: gast.expr  # the array whose shape and dtype the filled array takes: np.full_like(source, v)


_BAD = object()  # an expression the pass does not reason about


def keep_fills_scalar(stmts: list[gast.stmt], names: Names, returned: set[str], np_name: str) -> list[gast.stmt]:
    """``stmts`` with full-reduction adjoints kept as numbers (see the module)."""
    fills: dict[str, _Fill] = {}
    out: list[gast.stmt] = []

    def materialize(v: str) -> None:
        source = fills.pop(v).source
        full_like = gast.Attribute(value=name(np_name), attr="full_like", ctx=gast.Load())
        out.append(assign(v, gast.Call(func=full_like, args=[source, name(v)], keywords=[])))

    for s in stmts:
        made = _made_fill(s, names, np_name, fills)
        if made is not None:
            v, fill, value = made
            s.value = value  # the statement keeps its identity (and its comment)
            fills[v] = fill
            out.append(s)
            continue
        read = [v for v in sorted(names_read(s)) if v in fills]
        target = _target(s)
        if not read and target not in fills:
            for v in names_written(s):
                fills.pop(v, None)
            out.append(s)
            continue
        shape = _shape(s.value, names, fills, np_name) if target is not None else _BAD
        aug = isinstance(s, gast.AugAssign)
        if shape is not _BAD and aug and target in fills:
            # a number changed by a number or a fill of its class stays a number
            if shape[0] == "array" or shape[1] not in (None, fills[target].shape_class):
                shape = _BAD
        if shape is _BAD:
            for v in read:
                materialize(v)
            if aug and target in fills:
                materialize(target)
            for v in names_written(s):
                fills.pop(v, None)
        elif not aug:
            if shape[0] == "fill":  # elementwise arithmetic of fills (and numbers): a fill
                first = fills[read[0]]
                fills[target] = _Fill(shape[1], first.source)
            else:  # an array of the fills' class (or a number): what it was
                fills.pop(target, None)
        # else: `a op= fill` adds a number where it added an array of it, the same entries
        out.append(s)
    for v in sorted(returned & set(fills)):
        materialize(v)
    return out


def _target(s: gast.stmt) -> str | None:
    if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
        return s.targets[0].id
    if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name) and not isinstance(s.op, gast.MatMult):
        return s.target.id
    return None


def _is_np(node: gast.expr, np_name: str, attr: str) -> bool:
    return (
        isinstance(node, gast.Attribute) and node.attr == attr
        and isinstance(node.value, gast.Name) and node.value.id == np_name
    )  # fmt: skip


def _made_fill(
    s: gast.stmt, names: Names, np_name: str, fills: dict[str, _Fill]
) -> tuple[str, _Fill, gast.expr] | None:
    """``v = np.full_like(m, s)`` of a number ``s`` and an ``m`` with a shape
    class: (v, the fill, s)."""
    if not (isinstance(s, gast.Assign) and _target(s) is not None and isinstance(s.value, gast.Call)):
        return None
    call = s.value
    if call.keywords or len(call.args) != 2:
        return None
    source, value = call.args
    if not _is_np(call.func, np_name, "full_like"):
        return None
    if not isinstance(source, gast.Name) or names.shape_class(source.id) is None:
        return None
    if _shape(value, names, fills, np_name) != ("number", None):
        return None
    return _target(s), _Fill(names.shape_class(source.id), source), value


def _shape(node: gast.expr, names: Names, fills: dict[str, _Fill], np_name: str) -> Any:
    """("number", None), ("fill", C) or ("array", C) for elementwise arithmetic
    of numbers, fills and arrays of one class C; _BAD for anything else."""
    if isinstance(node, gast.Constant):
        return ("number", None) if type(node.value) in (int, float) else _BAD
    if isinstance(node, gast.Name):
        if node.id in fills:
            return ("fill", fills[node.id].shape_class)
        kind = names.kind(node.id)
        if kind == SCALAR or kind == INT:
            return ("number", None)
        c = names.shape_class(node.id)
        return ("array", c) if c is not None and is_array(kind) else _BAD
    if isinstance(node, gast.Attribute) and node.attr == "size" and isinstance(node.value, gast.Name):
        return ("number", None) if is_array(names.kind(node.value.id)) else _BAD
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _shape(node.operand, names, fills, np_name)
    if isinstance(node, gast.Call):
        if not elementwise_call(node, np_name):
            return _BAD
        parts = [node.args[0]]
    elif isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
        parts = [node.left, node.right]
    else:
        return _BAD
    found = [_shape(p, names, fills, np_name) for p in parts]
    if any(f is _BAD for f in found):
        return _BAD
    classes = {c for _, c in found if c is not None}
    if len(classes) > 1:
        return _BAD
    if not classes:
        return ("number", None)
    return ("array" if any(k == "array" for k, _ in found) else "fill", classes.pop())
