"""What both branches of an ``if`` do alike is written once.

Input: a generated function (either mode). Output: the same function where
a statement both branches of an ``if`` begin with is written once before
it (when it sets nothing the test reads), and one both end with once after
it; repeated until neither branch starts or ends like the other. The
statements must be the same code, and plain: assignments, array writes and
calls (an ``if``, a loop, a ``break`` stays where it is). The reverse sweep
of a loop left by ``break`` starts each branch with the same copies.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse('''
... def f(stop, x_bar, y_bar):
...     if stop:
...         x_1_bar = x_bar
...         y_2_bar = y_bar
...     else:
...         x_1_bar = x_bar
...         y_2_bar = y_bar + x_1_bar * 0.1
...     return y_2_bar
... ''').body[0]
>>> print(unparse(merge_branches(fn)).strip())
def f(stop, x_bar, y_bar):
    x_1_bar = x_bar
    if stop:
        y_2_bar = y_bar
    else:
        y_2_bar = y_bar + x_1_bar * 0.1
    return y_2_bar
"""

from __future__ import annotations

import gast

from ..ir.core import names_read, names_written, unparse, walk

_PLAIN = (gast.Assign, gast.AugAssign, gast.Expr)


def merge_branches(fn: gast.FunctionDef) -> gast.FunctionDef:
    """Rewrite ``fn`` in place (see the module's contract) and return it."""
    fn.body = _block(fn.body)
    return fn


def _block(stmts: list[gast.stmt]) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and isinstance(s, (gast.If, gast.For, gast.While, gast.FunctionDef)) and inner:
                setattr(s, field, _block(inner))
        if isinstance(s, gast.If) and s.orelse:
            before, after = _merged(s)
            out.extend(before)
            out.append(s)
            out.extend(after)
        else:
            out.append(s)
    return out


def _merged(s: gast.If) -> tuple[list[gast.stmt], list[gast.stmt]]:
    """What ``s``'s branches begin and end with alike (taken out of them)."""
    before: list[gast.stmt] = []
    test = names_read(s.test)
    while not _calls(s.test) and len(s.body) > 1 and len(s.orelse) > 1 and _same(s.body[0], s.orelse[0]):
        if names_written(s.body[0]) & test or _writes_into(s.body[0]) & test:
            break
        before.append(s.body.pop(0))
        s.orelse.pop(0)
    after: list[gast.stmt] = []
    while len(s.body) > 1 and len(s.orelse) > 1 and _same(s.body[-1], s.orelse[-1]):
        after.insert(0, s.body.pop())
        s.orelse.pop()
    return before, after


def _same(a: gast.stmt, b: gast.stmt) -> bool:
    return isinstance(a, _PLAIN) and type(a) is type(b) and unparse(a) == unparse(b)


def _writes_into(s: gast.stmt) -> set[str]:
    """Names whose value ``s`` may change in place (an array write, a call)."""
    if isinstance(s, gast.Assign) and all(isinstance(t, gast.Name) for t in s.targets) and not _calls(s.value):
        return set()
    return names_read(s)


def _calls(e: gast.expr) -> bool:
    return any(isinstance(n, gast.Call) for n in walk(e))
