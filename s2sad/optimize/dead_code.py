"""Dead code: drop generated assignments nobody reads.

Input: a generated function (either mode) and which assignments the mode
lets this pass drop. Output: the same function without assignments to names
that are never read and that ``removable`` accepts; a body emptied becomes
``pass``. Repeated until nothing changes.

Reverse mode drops any assignment whose value makes no call (flags that a
``continue`` set at the end of a body, copies a merge made for a path that
ends the function); forward mode drops the tangents nothing reads (the
tangent of a value that does not reach the output), keeping pops, which
keep a stack in step.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse("def f(x):\\n    a = x * 2\\n    b = a + 1\\n    c = np.sin(x)\\n    return a").body[0]
>>> print(unparse(eliminate_dead_code(fn)).strip())
def f(x):
    a = x * 2
    c = np.sin(x)
    return a
"""

from __future__ import annotations

from collections.abc import Callable

import gast

from ..ir.core import names_read, walk


def makes_no_call(s: gast.Assign) -> bool:
    """May this assignment go when its target is unread? (A call may have an effect.)"""
    return not any(isinstance(n, gast.Call) for n in walk(s.value))


def eliminate_dead_code(
    fn: gast.FunctionDef, removable: Callable[[gast.Assign], bool] = makes_no_call
) -> gast.FunctionDef:
    while True:
        read = names_read(fn)
        removed = [False]
        fn.body = _block(fn.body, read, removed, removable)
        if not removed[0]:
            return fn


def _block(
    stmts: list[gast.stmt], read: set[str], removed: list[bool], removable: Callable[[gast.Assign], bool]
) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    for s in stmts:
        if (
            isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id not in read
            and removable(s)
        ):
            removed[0] = True
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(s, (gast.If, gast.For, gast.While, gast.FunctionDef)):
                kept = _block(inner, read, removed, removable)
                setattr(s, field, kept or ([gast.Pass()] if field == "body" else []))
        out.append(s)
    return out
