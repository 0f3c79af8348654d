"""Liveness: which names are read later, in the structured core and in a
reverse sweep.

Input: statements of the core (straight-line code, ``if``, ``for`` and
``while``, no jumps other than a loop's closing ``if stop: break``).
Output: :func:`live_after` gives the names live after each ``if`` and loop
(for a loop: also those an iteration reads before setting them), which
:mod:`s2sad.ir.ssa` uses to merge only what is read; :func:`needed` gives the
names a reverse sweep reads, through the tests and ranges that must replay
to restore them.

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
    while True:
        more = _reads(reverse, found, restored)
        if more <= found:
            return found
        found |= more


def holds_code(stmts: list[gast.stmt], found: set[str], restored: Restores) -> bool:
    """Does ``stmts`` hold real code, or a restore of a needed name?"""
    for s in stmts:
        name = restored(s)
        if name is not None:
            if name in found:
                return True
        elif isinstance(s, (gast.If, gast.For)):
            if holds_code(s.body, found, restored) or holds_code(s.orelse, found, restored):
                return True
        elif not isinstance(s, gast.Pass):
            return True
    return False


def _reads(stmts: list[gast.stmt], found: set[str], restored: Restores) -> set[str]:
    out: set[str] = set()
    for s in stmts:
        if restored(s) is not None:
            continue
        if isinstance(s, gast.If):
            if holds_code(s.body, found, restored) or holds_code(s.orelse, found, restored):
                out |= names_read(s.test) | _reads(s.body, found, restored) | _reads(s.orelse, found, restored)
        elif isinstance(s, gast.For):
            if holds_code(s.body, found, restored):
                out |= names_read(s.iter) | _reads(s.body, found, restored)
        else:
            out |= names_read(s)
    return out
