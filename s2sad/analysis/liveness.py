"""Liveness: which names are read later, in the structured core and in a
reverse sweep.

Input: statements of the core (straight-line code, ``if``, ``for`` and
``while``, no jumps other than a loop's closing ``if stop: break``).
Output: :func:`live_after` gives the names live after each ``if`` and loop
(for a loop: also those an iteration reads before setting them), which
:mod:`s2sad.ir.ssa` uses to merge only what is read; :func:`needed` gives the
names a reverse sweep reads, through the tests and ranges that must replay
to restore them; :func:`kept_restores` which of its restores from the tape
are read before the name is set again (the others, and their pushes, go).

>>> import gast
>>> body = gast.parse("if c:\\n    x = a\\nelse:\\n    x = b\\ny = x + z").body
>>> out = {}
>>> sorted(live_before(body, set(), out)), sorted(out[id(body[0])])
(['a', 'b', 'c', 'z'], ['x', 'z'])
"""

from __future__ import annotations

from collections.abc import Callable

import gast

from ..ir.core import names_read


class _Reads:
    """``names_read``, remembered by node for the length of one analysis
    (its fixpoints read the same statements round after round; the trees do
    not change meanwhile). The sets it returns are shared: not to be changed."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[gast.AST, set[str]]] = {}

    def __call__(self, node: gast.AST) -> set[str]:
        hit = self._known.get(id(node))
        if hit is None or hit[0] is not node:
            hit = self._known[id(node)] = (node, names_read(node))
        return hit[1]


def live_after(stmts: list[gast.stmt]) -> dict[int, set[str]]:
    """id(if or loop) -> the names live after it (for a loop, also those an
    iteration reads before it sets them)."""
    out: dict[int, set[str]] = {}
    live_before(stmts, set(), out)
    return out


def live_before(stmts: list[gast.stmt], after: set[str], out: dict[int, set[str]]) -> set[str]:
    """Names read before being assigned, from the start of ``stmts`` on (given
    those live after them); records the names live after each ``if`` and loop in ``out``."""
    live = set(after)
    for s in reversed(stmts):
        if isinstance(s, gast.If):
            out[id(s)] = set(live)
            live = live_before(s.body, live, out) | live_before(s.orelse, live, out) | names_read(s.test)
        elif isinstance(s, (gast.For, gast.While)):
            head = names_read(s.iter) if isinstance(s, gast.For) else names_read(s.test)
            inner = live | head
            for _ in range(2):  # the back edge: what the body reads is live at its end too
                entry = live_before(s.body, inner, out)
                if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
                    entry = entry - {s.target.id}
                inner |= entry
            out[id(s)] = set(inner)  # live after the loop, or read by an iteration before being set
            live = inner
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            live = (live - {s.targets[0].id}) | names_read(s.value)
        else:
            live = live | names_read(s)
    return live


# ``restored(s)``: for a placeholder that restores a name from the tape (a
# reverse sweep's Pop), that name; None for any other statement
Restores = Callable[[gast.stmt], "str | None"]


def needed(reverse: list[gast.stmt], restored: Restores) -> set[str]:
    """Names a reverse sweep reads: by its own code, and by the branch tests
    and loop ranges that must replay to restore a value it reads (fixpoint).
    A restore placeholder reads nothing, and keeps its block only when the
    name it restores is needed.

    >>> import gast
    >>> sweep = gast.parse("for i in reversed(r):\\n    x_bar = g * w").body
    >>> sorted(needed(sweep, lambda s: None))
    ['g', 'r', 'reversed', 'w']
    """
    found: set[str] = set()
    reads = _Reads()
    while True:
        more = _reads(reverse, found, restored, reads)
        if more <= found:
            return found
        found |= more


def holds_code(stmts: list[gast.stmt], found: set[str], restored: Restores) -> bool:
    """Does ``stmts`` hold real code, or a restore of a needed name?"""
    return _holds_where(stmts, lambda s: restored(s) in found, restored)


def _reads(stmts: list[gast.stmt], found: set[str], restored: Restores, reads: _Reads) -> set[str]:
    out: set[str] = set()
    for s in stmts:
        if restored(s) is not None:
            continue
        if isinstance(s, gast.If):
            if holds_code(s.body, found, restored) or holds_code(s.orelse, found, restored):
                out |= reads(s.test) | _reads(s.body, found, restored, reads) | _reads(s.orelse, found, restored, reads)
        elif isinstance(s, gast.For):
            if holds_code(s.body, found, restored):
                out |= reads(s.iter) | _reads(s.body, found, restored, reads)
        else:
            out |= reads(s)
    return out


def kept_restores(
    reverse: list[gast.stmt], restored: Restores, forced: Callable[[gast.stmt], bool], kills: Restores
) -> set[int]:
    """The restore placeholders of a reverse sweep worth keeping (their ids):
    those whose name the rest of the sweep reads before setting it again
    (flow-sensitive, around each loop's back edge), and those ``forced``
    keeps. ``kills(s)`` is the name a kept restore sets afresh (None when it
    only changes part of a value, as ``y[i] = tape.pop()`` does: that reads ``y``). A branch or
    loop that holds no code and no kept restore is not emitted, so its test
    or range is not read (fixpoint).

    >>> import gast
    >>> sweep = gast.parse("a = x * w\\nfor i in reversed(r):\\n    b = x * g\\n    x = POP\\n    w = POP").body
    >>> is_pop = lambda s: s.targets[0].id if isinstance(s, gast.Assign) and getattr(s.value, "id", "") == "POP" else None
    >>> kept = kept_restores(sweep, is_pop, lambda s: False, is_pop)
    >>> [s.targets[0].id for s in sweep[1].body if id(s) in kept]
    ['x']
    """
    kept: set[int] = set()
    reads = _Reads()
    while True:
        found = set(kept)
        _live_before(reverse, set(), kept, found, restored, forced, kills, reads)
        if found <= kept:
            return kept
        kept |= found


def _live_before(
    stmts: list[gast.stmt],
    after: set[str],
    kept: set[int],
    found: set[int],
    restored: Restores,
    forced: Callable[[gast.stmt], bool],
    kills: Restores,
    reads: _Reads,
) -> set[str]:
    live = set(after)
    for s in reversed(stmts):
        restores = restored(s)
        if restores is not None:
            if restores in live or forced(s):
                found.add(id(s))
            killed = kills(s)
            if id(s) in kept and killed is not None:
                live.discard(killed)
            elif id(s) in kept:  # y[i] = tape.pop() writes into what y holds then: a read of y
                live.add(restores)
            continue
        if isinstance(s, gast.If):
            if _holds(s.body, kept, restored) or _holds(s.orelse, kept, restored):
                args = (kept, found, restored, forced, kills, reads)
                live = _live_before(s.body, live, *args) | _live_before(s.orelse, live, *args) | reads(s.test)
        elif isinstance(s, gast.For):
            if _holds(s.body, kept, restored):
                inner = set(live)
                while True:  # the back edge: what an iteration reads is live at the end of the one before
                    entry = _live_before(s.body, inner, kept, found, restored, forced, kills, reads)
                    if isinstance(s.target, gast.Name):
                        entry.discard(s.target.id)
                    if entry <= inner:
                        break
                    inner |= entry
                live = inner | reads(s.iter)
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            live = (live - {s.targets[0].id}) | reads(s.value)
        elif isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            live = live | {s.target.id} | reads(s.value)
        else:
            live = live | reads(s)
    return live


def _holds(stmts: list[gast.stmt], kept: set[int], restored: Restores) -> bool:
    """Does ``stmts`` hold real code, or a kept restore?"""
    return _holds_where(stmts, lambda s: id(s) in kept, restored)


def _holds_where(stmts: list[gast.stmt], keeps: Callable[[gast.stmt], bool], restored: Restores) -> bool:
    """Does ``stmts`` hold real code, or a restore ``keeps`` accepts?"""
    for s in stmts:
        if restored(s) is not None:
            if keeps(s):
                return True
        elif isinstance(s, (gast.If, gast.For)):
            if _holds_where(s.body, keeps, restored) or _holds_where(s.orelse, keeps, restored):
                return True
        elif not isinstance(s, gast.Pass):
            return True
    return False
