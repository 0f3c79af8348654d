"""Write a partial adjoint read once where it is read, and a copied adjoint
under the name it is a copy of.

Input: the top-level statements of a reverse sweep, in order, and the
adjoint variables the transform made (only these move: the user's names
and the forward sweep stay as they are). Output: the same statements where

* ``v = e`` of an adjoint ``v`` read exactly once afterwards, by a later
  top-level statement, is substituted there (where the line stays short
  enough to read) and the assignment goes;
* ``v = w`` (a copy) of an adjoint ``v`` has ``w`` read in its place,

provided nothing between the assignment and the reads rebinds or changes
in place any name ``e`` (or ``w``) reads, or ``v``: only plain assignments
to other names may stand between. Loops and branches are not crossed, so a
value is computed as often as before, in the same order relative to
everything that could change it.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> body = gast.parse("a_bar = g\\nb_bar = a_bar * 2 * x\\nc_bar = -b_bar\\nc_bar += a_bar * y").body
>>> adjoints = {"a_bar", "b_bar", "c_bar"}
>>> body, inlined = inline_once_read(body, adjoints, set(), adjoints)
>>> print("".join(unparse(s) for s in body), end="")
c_bar = -(g * 2 * x)
c_bar += g * y
"""

from __future__ import annotations

import gast

from ..ir.core import clone, names_read, walk


def _touched(s: gast.stmt, np_name: str) -> set[str]:
    """Names ``s`` may rebind or change in place (conservative: a statement
    other than an assignment, or one calling anything but NumPy's
    functions such as ``np.sum``, may change whatever it reads)."""
    out = set()
    for node in walk(s):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            out.add(node.id)
    if isinstance(s, (gast.Assign, gast.AugAssign)):
        targets = s.targets if isinstance(s, gast.Assign) else [s.target]
        for t in targets:  # an entry set, or added to in place: the array it is in changes
            while isinstance(t, (gast.Subscript, gast.Attribute)):
                t = t.value
            if isinstance(t, gast.Name):
                out.add(t.id)
        if any(isinstance(n, gast.Call) and not _numpy(n, np_name) for n in walk(s.value)):
            out |= names_read(s.value)  # a helper, a method, a callee's derivative: not known to change nothing
    else:
        out |= names_read(s)
    return out


def _rebinds_only(s: gast.stmt, adjoints: set[str], np_name: str, pure: frozenset[str]) -> bool:
    """Does ``s`` only bind names, or add in place to an adjoint (a buffer of
    the generated code's own, no view of anything), calling nothing that could
    change an array? An entry written in place (a value restored from the
    tape) may show through a view an expression reads; a user's function may
    write into a global array."""
    if isinstance(s, gast.Assign):
        ok = all(isinstance(t, gast.Name) for t in s.targets)
    else:
        ok = isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name) and s.target.id in adjoints
    return ok and _calls_only(s, np_name, pure)


# NumPy functions that write into an argument
_WRITES = frozenset({"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"})


def _numpy(call: gast.Call, np_name: str) -> bool:
    """Is ``call`` one of NumPy's own functions that change nothing (``np.sum``)?"""
    f = call.func
    return (
        isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and f.value.id == np_name
        and f.attr not in _WRITES
    )  # fmt: skip


def _calls_only(node: gast.AST, np_name: str, pure: frozenset[str]) -> bool:
    """Does ``node`` call nothing but NumPy's functions and the ``pure`` helpers?"""
    return all(
        _numpy(n, np_name) or (isinstance(n.func, gast.Name) and n.func.id in pure)
        for n in walk(node) if isinstance(n, gast.Call)
    )  # fmt: skip


def _loads(node: gast.AST, v: str) -> list[gast.Name]:
    return [n for n in walk(node) if isinstance(n, gast.Name) and n.id == v and isinstance(n.ctx, gast.Load)]


def inline_once_read(
    stmts: list[gast.stmt], movable: set[str], keep: set[str], adjoints: set[str] = frozenset(),
    np_name: str = "np", pure: frozenset[str] = frozenset(), width: int = 80,
) -> tuple[list[gast.stmt], dict[str, gast.expr]]:
    """``stmts`` with the ``movable`` names read once (and copies) inlined,
    none of ``keep`` (see the module); and what each inlined name stood for.
    ``adjoints`` are names whose in-place adds may stand between (buffers of
    the generated code's own). Only expressions calling NumPy's functions and
    the ``pure`` helpers move, and only where the line they go to stays
    within ``width``."""
    stmts = list(stmts)
    inlined: dict[str, gast.expr] = {}
    facts = _Facts(adjoints, np_name, pure)
    i = 0
    while i < len(stmts):
        if not _inline_at(stmts, i, movable, keep, facts, width, inlined):
            i += 1
    return stmts, inlined


class _Facts:
    """What the pass asks of each statement, read once (and again after the
    statement changes): the names it loads (their nodes), the names it may
    change, whether it only binds names, and its length as one line."""

    def __init__(self, adjoints: set[str], np_name: str, pure: frozenset[str]):
        self.adjoints, self.np_name, self.pure = adjoints, np_name, pure
        self._of: dict[int, tuple[gast.stmt, dict[str, list[gast.Name]], set[str], bool]] = {}
        self._length: dict[int, tuple[gast.AST, int]] = {}

    def of(self, s: gast.stmt) -> tuple[dict[str, list[gast.Name]], set[str], bool]:
        found = self._of.get(id(s))
        if found is None or found[0] is not s:
            loads: dict[str, list[gast.Name]] = {}
            for n in walk(s):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                    loads.setdefault(n.id, []).append(n)
            found = (
                s, loads, _touched(s, self.np_name), _rebinds_only(s, self.adjoints, self.np_name, self.pure)
            )  # fmt: skip
            self._of[id(s)] = found
        return found[1], found[2], found[3]

    def length(self, node: gast.AST) -> int:
        found = self._length.get(id(node))
        if found is None or found[0] is not node:
            found = self._length[id(node)] = (node, _length(node))
        return found[1]

    def changed(self, s: gast.stmt, length: int) -> None:
        self._of.pop(id(s), None)
        self._length[id(s)] = (s, length)


def _inline_at(
    stmts: list[gast.stmt], i: int, movable: set[str], keep: set[str], facts: _Facts, width: int,
    inlined: dict[str, gast.expr],
) -> bool:
    """Inline ``stmts[i]`` where it is read, if it may be (then it goes)."""
    s = stmts[i]
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)):
        return False
    v = s.targets[0].id
    if v not in movable or v in keep:
        return False
    e = s.value
    if not _calls_only(e, facts.np_name, facts.pure):
        return False  # a call with an effect would move past others
    later = stmts[i + 1 :]
    reads: list[tuple[int, list[gast.Name]]] = []
    for j, t in enumerate(later):
        loads, touched, _ = facts.of(t)
        if v in touched:
            return False
        if v in loads:
            if not isinstance(t, (gast.Assign, gast.AugAssign, gast.Return)):
                return False  # read in a loop, a branch or a call statement: not moved there
            reads.append((j, loads[v]))
    if not reads:
        return False
    last = reads[-1][0]
    deps = names_read(e)
    for t in later[:last]:
        _, touched, rebinds_only = facts.of(t)
        if touched & deps or not rebinds_only:
            return False
    if isinstance(e, gast.Name):
        for j, found in reads:
            for node in found:
                node.id = e.id
            facts.changed(later[j], facts.length(later[j]) - len(v) + len(e.id))
    else:
        if len(reads) != 1 or len(reads[0][1]) != 1:
            return False
        use = later[last]
        length = facts.length(use) - len(v) + facts.length(e) + 2  # with the parentheses it may need
        if length > width:
            return False  # a line too long to read: the value keeps its name
        _replace(use, reads[0][1][0], e)
        facts.changed(use, length)
    inlined[v] = e
    del stmts[i]
    return True


def _length(node: gast.AST) -> int:
    """About the length of ``node``'s source on one line (a readability bound
    needs no exact figure, and rendering every candidate would cost more than
    the rest of the pass)."""
    if isinstance(node, gast.Name):
        return len(node.id)
    if isinstance(node, gast.Constant):
        return len(repr(node.value))
    if isinstance(node, gast.Attribute):
        return _length(node.value) + 1 + len(node.attr)
    total, parts = 0, 0
    for child in gast.iter_child_nodes(node):
        if isinstance(child, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)):
            continue
        total += _length(child)
        parts += 1
    if isinstance(node, gast.keyword):
        return total + len(node.arg or "**") + 1
    return total + 3 * max(parts - 1, 0) + 2  # an operator or ", " between parts, brackets or "= "


def _replace(stmt: gast.stmt, old: gast.Name, new: gast.expr) -> None:
    for parent in walk(stmt):
        for field, value in gast.iter_fields(parent):
            if value is old:
                setattr(parent, field, clone(new))
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = clone(new)
                        return
