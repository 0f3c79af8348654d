"""Which array writes ``y[i] = v`` s2sad can differentiate.

A write is accepted when ``y`` is an array the function itself allocated
(``np.zeros``, ``np.empty``, ``np.array``, ``.copy()``...): then no caller's
data changes and no other name shares its memory. Writes into arguments, or
into anything that may be a view of another array, are refused with a hint.
A basic slice of ``y`` (a view) taken before a write and used after it is
refused too, since its value would silently follow the write.
"""

from __future__ import annotations

from typing import Any

import gast
import numpy as np

from ..errors import Location, UnsupportedSyntaxError
from .activity import statements
from .resolve import Op, Resolver

ALLOCATORS = {
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.array, np.copy, np.arange, np.eye, np.identity, np.linspace,
}  # fmt: skip


def check_writes(fn: gast.FunctionDef, ops: dict[int, Op], resolver: Resolver, filename: str) -> set[str]:
    """Refuse writes s2sad cannot differentiate; return the names written into."""
    defs: dict[str, list[gast.Assign]] = {}
    order = list(statements(fn.body))
    for s in order:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            defs.setdefault(s.targets[0].id, []).append(s)
    written: set[str] = set()
    params = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    for s in order:
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)):
            continue
        y = s.targets[0].value.id
        where = Location(filename, s.lineno, s.col_offset or 0)
        if y in params or not defs.get(y) or not all(_allocates(d.value, resolver) for d in defs[y]):
            whose = "an argument the caller owns" if y in params else "an array s2sad cannot prove the function owns"
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate a write into `{y}`, {whose}",
                where,
                f"write into a copy made in the function: `{y} = {y}.copy()` (or np.zeros(...)) before writing",
            )
        written.add(y)
    _check_views(order, written, filename)
    return written


def _allocates(value: gast.expr, resolver: Resolver) -> bool:
    if not isinstance(value, gast.Call):
        return False
    func = value.func
    if isinstance(func, gast.Attribute) and not resolver.is_global(func):
        return func.attr == "copy"
    ok, obj = resolver.value_of(func)
    return ok and any(obj is a for a in ALLOCATORS)


def _is_view(index: gast.expr) -> bool:
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    return any(isinstance(p, gast.Slice) or (isinstance(p, gast.Constant) and p.value in (None, Ellipsis)) for p in parts)


def _check_views(order: list[Any], written: set[str], filename: str) -> None:
    views: dict[str, tuple[str, int]] = {}  # view name -> (array, position)
    writes: dict[str, list[int]] = {}
    for pos, s in enumerate(order):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):
            writes.setdefault(s.targets[0].value.id, []).append(pos)
        elif isinstance(s, gast.Assign) and isinstance(s.value, gast.Subscript):
            base = s.value.value
            if isinstance(base, gast.Name) and base.id in written and _is_view(s.value.slice):
                views[s.targets[0].id] = (base.id, pos)
        elif isinstance(s, gast.Assign) and isinstance(s.value, gast.Name) and s.value.id in written:
            views[s.targets[0].id] = (s.value.id, pos)  # another name for the same array
    for pos, s in enumerate(order):
        if isinstance(s, (gast.If, gast.For, gast.While)):
            continue
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in views:
                array, made = views[n.id]
                if any(made < w < pos for w in writes.get(array, [])):
                    raise UnsupportedSyntaxError(
                        f"`{n.id}` is a view of `{array}`, which is written after the view was taken",
                        Location(filename, getattr(s, "lineno", 0), getattr(s, "col_offset", 0) or 0),
                        f"take a copy: `{n.id} = {array}[...].copy()`, or read it after the write",
                    )
