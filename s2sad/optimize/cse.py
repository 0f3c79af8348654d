"""Common subexpressions: compute a pure operation once.

Input: the SSA core and the resolved operation of each assignment.
Output: the same core where a pure operation (arithmetic, a NumPy function
with a rule, ``x.shape``, a read ``x[i]``) that repeats an earlier one in the
same block, on operands not reassigned or written in between, is dropped and
its name replaced by the earlier result. A new value that may be changed in
place later (written ``y[i] = v``, updated ``y += v``, appended to) is never
shared: two arrays that are equal now stop being equal once one is changed.
Nor is a copy ``t = a`` of an array that is updated (``t += v`` becomes
``t_1 = t + v`` in the core, while Python changes ``a`` too): two names of
one array must stay two names for the alias analysis, which runs on this
pass's output. (Copies of an array written by index may be shared: a write
changes the one object under every name, in the core as in Python.) Fewer temporaries means fewer values
on the tape and adjoints that see a value used twice (``x[i] * x[i]``).

>>> import gast
>>> from s2sad.ir.naming import Namer
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse("def f(x, i):\\n    return x[i] * x[i] + x.shape[0]").body[0]
>>> core = normalize(fn, Namer.for_function(fn))
>>> print(unparse(eliminate_common_subexpressions(core, lambda s: True)).strip())
def f(x, i):
    t1 = x[i]
    t3 = t1 * t1
    t4 = x.shape
    t5 = t4[0]
    y = t3 + t5
    return y
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import gast

from ..ir.core import names_in, walk
from ..ir.ssa import rename


def _key(value: gast.expr) -> str:
    return gast.dump(value)


def eliminate_common_subexpressions(
    fn: gast.FunctionDef,
    pure: Callable[[gast.Assign], bool],
    updates: Iterable[tuple[int, int, str, str]] = (),
) -> gast.FunctionDef:
    """Remove repeated pure assignments (see the module docstring); ``pure``
    says which assignments may be shared; ``updates`` locates the in-place
    updates ``x op= v`` (line, column, name, op), as normalize records them."""
    written, updated = changed_in_place(fn, updates)
    counts: dict[str, int] = {a.id: 1 for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    for node in walk(fn):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            counts[node.targets[0].id] = counts.get(node.targets[0].id, 0) + 1
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            counts[node.target.id] = counts.get(node.target.id, 0) + 2

    def shareable(s: gast.Assign) -> bool:
        # only names assigned once (not loop-carried, not merged after an if),
        # and never bare constants: nothing to gain there
        return (
            counts.get(s.targets[0].id) == 1
            and not isinstance(s.value, gast.Constant)
            and s.targets[0].id not in updated
            and (isinstance(s.value, gast.Name) or s.targets[0].id not in written)
            and pure(s)
        )

    replaced: dict[str, str] = {}
    fn.body = _block(fn.body, shareable, replaced)
    for old, new in replaced.items():
        rename(fn.body, old, new)
    return fn


def changed_in_place(
    fn: gast.FunctionDef, updates: Iterable[tuple[int, int, str, str]] = ()
) -> tuple[set[str], set[str]]:
    """Names whose array may be changed in place: ``(written, updated)``.
    Written: bases of writes ``y[i] = v`` and receivers of method calls made
    for their effect (``lst.append(v)``); updated: both sides of an update
    ``z = x op v`` (or ``d = {**d, "k": v}``) recorded in ``updates``. Both
    are closed over copies ``a = b`` (either way: the two names hold one
    object). Conservative: the kind of a name is not known yet, so a float
    counts too.

    >>> fn = gast.parse("def f(x):\\n    a = x * 1.0\\n    t = a\\n    t[0] = 1.0\\n    return a").body[0]
    >>> [sorted(names) for names in changed_in_place(fn)]
    [['a', 't'], []]
    """
    where = {(line, col) for line, col, _name, _op in updates}
    written: set[str] = set()
    updated: set[str] = set()
    copies: list[tuple[str, str]] = []
    for node in walk(fn):
        if isinstance(node, gast.Assign):
            t = node.targets[0]
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                written.add(t.value.id)
            elif isinstance(t, gast.Name) and isinstance(node.value, gast.Name):
                copies.append((t.id, node.value.id))
            elif isinstance(t, gast.Name) and (getattr(node, "lineno", None), getattr(node, "col_offset", None)) in where:
                v = node.value  # x = x op v, or d = {**d, "k": v} for d["k"] = v
                if isinstance(v, gast.BinOp) and isinstance(v.left, gast.Name):
                    updated |= {t.id, v.left.id}
                elif isinstance(v, gast.Dict):
                    updated |= {t.id} | {e.id for k, e in zip(v.keys, v.values) if k is None and isinstance(e, gast.Name)}
        elif isinstance(node, gast.Expr) and isinstance(node.value, gast.Call):
            f = node.value.func
            if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
                written.add(f.value.id)
    for names in (written, updated):
        grew = True
        while grew:
            grew = False
            for a, b in copies:
                if (a in names) != (b in names):
                    names |= {a, b}
                    grew = True
    return written, updated


def _block(stmts: list[gast.stmt], pure: Callable[[gast.Assign], bool], replaced: dict[str, str]) -> list[gast.stmt]:
    seen: dict[str, tuple[str, set[str]]] = {}
    out: list[gast.stmt] = []
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            for old, new in replaced.items():  # earlier replacements, so keys match
                rename([s], old, new)
            target = s.targets[0].id
            key = _key(s.value)
            hit = seen.get(key)
            _invalidate(seen, target)
            if hit is not None and pure(s) and target not in names_in(s.value):
                replaced[target] = hit[0]
                continue
            if pure(s) and target not in names_in(s.value):
                seen[key] = (target, names_in(s.value))
            out.append(s)
            continue
        if isinstance(s, gast.Assign):  # y[i] = v changes what reads of y give
            _invalidate(seen, s.targets[0].value.id)
        elif isinstance(s, gast.Expr):
            for n in names_in(s):
                _invalidate(seen, n)
        elif isinstance(s, (gast.If, gast.For, gast.While)):
            for field in ("body", "orelse"):
                setattr(s, field, _block(getattr(s, field), pure, replaced))
            for n in _assigned_or_written(s):
                _invalidate(seen, n)
        out.append(s)
    return out


def _invalidate(seen: dict[str, tuple[str, set[str]]], name: str) -> None:
    for key in [k for k, (tgt, uses) in seen.items() if name in uses or tgt == name]:
        del seen[key]


def _assigned_or_written(s: gast.stmt) -> set[str]:
    out = set()
    for node in walk(s):
        if isinstance(node, gast.Assign):
            t = node.targets[0]
            out.add(t.id if isinstance(t, gast.Name) else t.value.id)
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            out.add(node.target.id)
        elif isinstance(node, gast.Expr):
            out |= names_in(node)
    return out
