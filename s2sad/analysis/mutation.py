"""Which mutations s2sad can differentiate: writes ``y[i] = v`` and
augmented assignments ``x += v`` on arrays.

A write is accepted when ``y`` is an array the function itself allocated
(``np.zeros``, ``np.empty``, ``np.array``, ``.copy()``...): then no caller's
data changes and no other name shares its memory. Writes into arguments, or
into anything that may be a view of another array, are refused with a hint.
A basic slice of ``y`` (a view) taken before a write and used after it is
refused too, since its value would silently follow the write.

``x += v`` is differentiated as ``x = x + v``. On an array, Python changes the
object in place instead, which differs when another name, a view or a
container shares it: such updates are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..errors import Location, UnsupportedSyntaxError
from ..rules.table import is_container
from .activity import statements
from .resolve import Op, Resolver

ALLOCATORS = {
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.array, np.copy, np.arange, np.eye, np.identity, np.linspace,
}  # fmt: skip


def check_writes(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    resolver: Resolver,
    filename: str,
    user_name: Callable[[str], str] = lambda n: n,
) -> set[str]:
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
        if not _owned(y, defs, ops, resolver, params, set()):
            whose = "an argument the caller owns" if y in params else "an array s2sad cannot prove the function owns"
            shown = user_name(y)
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate a write into `{shown}`, {whose}",
                where,
                f"write into a copy made in the function: `{shown} = {shown}.copy()` (or np.zeros(...)) first",
            )
        written.add(y)
    _check_views(order, written, filename)
    return written


def _owned(y: str, defs: dict, ops: dict, resolver: Resolver, params: set[str], seen: set[str]) -> bool:
    """Does every value ``y`` may hold come from an array the function made
    (an allocation, arithmetic, a NumPy function that returns a new array),
    never an argument, a global or a view?"""
    if y in params:
        return False
    if y in seen:
        return True  # a loop-carried name: its other definitions decide
    seen.add(y)
    if not defs.get(y):
        return False
    for d in defs[y]:
        value, op = d.value, ops.get(id(d))
        if isinstance(value, (gast.BinOp, gast.UnaryOp)):
            continue
        if isinstance(value, gast.Name):
            if _owned(value.id, defs, ops, resolver, params, seen):
                continue
            return False
        if isinstance(value, gast.Call) and (
            _allocates(value, resolver) or (op is not None and op.kind == "rule" and not makes_view(value, op, {}))
        ):
            continue
        return False
    return True


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


_VIEW_FUNCTIONS = (
    np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims, np.broadcast_to, np.asarray, np.atleast_1d,
    np.atleast_2d, np.atleast_3d, np.swapaxes, np.moveaxis, np.diagonal, np.flip, np.fliplr, np.flipud,
)  # fmt: skip
_VIEW_METHODS = {"T", "reshape", "ravel", "transpose", "squeeze", "view", "swapaxes", "diagonal"}


def check_updates(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    kinds: dict[str, Any],
    updates: list[tuple[int, int, str, str]],
    filename: str,
    user_name: Callable[[str], str] = lambda n: n,
) -> None:
    """Refuse ``x op= v`` on an array that another name, a view or a container
    shares. (SSA versions of ``x`` itself are one name to the user.)"""
    where = {(line, col): (user, op) for line, col, user, op in updates}
    order = list(statements(fn.body))
    group = _copy_groups(order)
    defs = {s.targets[0].id: s for s in order if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
    for s in order:
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.BinOp)):
            continue
        hit = where.get((getattr(s, "lineno", None), getattr(s, "col_offset", None)))
        left = s.value.left
        if hit is None or not isinstance(left, gast.Name) or kinds.get(left.id) in ("scalar", "int"):
            continue
        p, q = left.id, s.targets[0].id
        members = {m for m in group if group[m] == group.get(p, p)} | {p}
        same = {m for m in members if user_name(m) == user_name(p)}
        reason = _shared(p, q, members, order, defs, ops, kinds, same, _Later(fn, s))
        if reason:
            user, op = hit
            raise UnsupportedSyntaxError(
                f"`{user} {op}= ...` changes an array in place, and {reason}",
                Location(filename, s.lineno, s.col_offset or 0),
                f"write `{user} = {user} {op} ...` to make a new array",
            )


def check_list_mutations(fn: gast.FunctionDef, filename: str) -> None:
    """Refuse ``M.append(v)`` when another name holds the same list (``M = L``):
    the adjoints are kept per name, so the other name would miss the item."""
    order = list(statements(fn.body))
    group = _copy_groups(order)
    made = {t.targets[0].id: k for k, t in enumerate(order) if _is_copy(t)}
    for q, s in enumerate(order):
        if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)):
            continue
        f = s.value.func
        if not (isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name)):
            continue
        p = f.value.id
        members = {m for m in group if group[m] == group.get(p, p)} - {p}
        for other in sorted(members):
            if made.get(other, -1) > q and made.get(p, -1) < q:
                continue  # `other` takes the list over after this change (ys = items)
            if any(other in _names(t) for t in order[q + 1 :] if not _is_copy(t)):
                raise UnsupportedSyntaxError(
                    f"`{p}.{f.attr}(...)` changes a list that `{other}` also refers to",
                    Location(filename, s.lineno, s.col_offset or 0),
                    f"build the list under one name (use `{other}` or `{p}`, not both)",
                )


def _is_copy(s: Any) -> bool:
    return isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name)


def _copy_groups(order: list[Any]) -> dict[str, str]:
    """Names joined by plain copies ``a = b``: they may hold one object."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for s in order:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name):
            parent[find(s.targets[0].id)] = find(s.value.id)
    return {n: find(n) for n in set(parent) | set(parent.values())}


class _Later:
    """Is a name read after a given statement runs? Later in program order,
    or anywhere in a loop around that statement when defined outside it."""

    def __init__(self, fn: gast.FunctionDef, at: gast.stmt):
        self.order = list(statements(fn.body))
        self.pos = {id(t): k for k, t in enumerate(self.order)}
        self.at = self.pos[id(at)]
        self.loops = [t for t in self.order if isinstance(t, (gast.For, gast.While)) and _inside(at, t)]

    def read_after(self, n: str) -> bool:
        if any(n in _loads(t) for t in self.order[self.at + 1 :]):
            return True
        for loop in self.loops:  # a value made before the loop, read again next iteration
            inside = {id(t) for t in statements(loop.body)}
            made_inside = any(
                isinstance(t, gast.Assign) and isinstance(t.targets[0], gast.Name) and t.targets[0].id == n
                for t in statements(loop.body)
            )
            if not made_inside and any(n in _loads(t) for t in self.order if id(t) in inside):
                return True
        return False


def _inside(s: gast.stmt, loop: gast.stmt) -> bool:
    return any(t is s for t in statements(loop.body))


def _loads(node: gast.AST) -> set[str]:
    if isinstance(node, (gast.If, gast.For, gast.While)):
        test = node.test if not isinstance(node, gast.For) else node.iter
        return {n.id for n in gast.walk(test) if isinstance(n, gast.Name)}
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _shared(
    p: str,
    q: str,
    members: set[str],
    order: list[Any],
    defs: dict,
    ops: dict,
    kinds: dict,
    same: set[str],
    later: _Later,
) -> str:
    for m in members:
        d = defs.get(m)
        if d is not None and makes_view(d.value, ops.get(id(d)), kinds):
            return f"`{m}` may be a view of another array"
    for s in order:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name):
            continue  # the copies that built the group
        for node in gast.walk(s):
            if not (isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in members):
                continue
            if node.id not in (p, q) and node.id not in same:
                return f"`{node.id}` refers to the same array"
        if p in _names(s) and _views_or_stores(s, p, ops, kinds):
            held = s.targets[0].id if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) else None
            if held is None or later.read_after(held):  # a view used only before the change is harmless
                return f"a view or a container of `{p}` would see the change"
    return ""


def _names(node: gast.AST) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def makes_view(value: gast.expr, op: Op | None, kinds: dict) -> bool:
    if op is None:
        return False
    if op.kind == "user":
        return True  # a function may return (a view of) its argument
    if op.kind == "const":
        return not isinstance(value, gast.Constant)  # a global array
    if isinstance(value, gast.Subscript):
        base = kinds.get(value.value.id) if isinstance(value.value, gast.Name) else None
        return is_container(base) or _result_not_scalar(value, kinds)
    if isinstance(value, gast.Attribute) and value.attr in _VIEW_METHODS:
        return True
    if isinstance(value, gast.Call):
        f = value.func
        if isinstance(f, gast.Attribute) and f.attr in _VIEW_METHODS and op.kind != "const":
            return True
        if op.rule is not None and any(op.rule is RULES_lookup(v) for v in _VIEW_FUNCTIONS):
            return True
    return False


def RULES_lookup(fn: Any) -> Any:  # noqa: N802 - a small indirection for the view table
    from ..rules.table import RULES

    return RULES.lookup(fn)


def _result_not_scalar(value: gast.Subscript, kinds: dict) -> bool:
    from .activity import _index_kind

    base = kinds.get(value.value.id) if isinstance(value.value, gast.Name) else None
    return _index_kind(base, value.slice, kinds) not in ("scalar", "int")


def _views_or_stores(s: Any, p: str, ops: dict, kinds: dict) -> bool:
    """Does statement ``s`` keep a reference to ``p``'s object (a view of it,
    a list or tuple holding it, a call that may keep it)?"""
    if isinstance(s, gast.Expr):
        return True  # lst.append(p) and the like
    if not isinstance(s, gast.Assign):
        return False
    if isinstance(s.targets[0], gast.Subscript):
        return False  # y[i] = p copies p into y
    value = s.value
    if isinstance(value, (gast.Tuple, gast.List)):
        return any(isinstance(e, gast.Name) and e.id == p for e in value.elts)
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and value.value.id == p:
        return _result_not_scalar(value, kinds)
    if isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name) and value.value.id == p:
        return value.attr in _VIEW_METHODS
    if isinstance(value, gast.Call):
        return makes_view(value, ops.get(id(s)), kinds)
    return False
