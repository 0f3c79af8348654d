"""Dead code: drop generated assignments nobody reads.

Input: a generated function. Output: the same function without assignments
to names that are never read, when computing the value has no effect (no
call): flags that a ``continue`` set at the end of a body, copies a merge
made for a path that ends the function. Repeated until nothing changes.

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

import gast

from ..ir.core import names_read


def eliminate_dead_code(fn: gast.FunctionDef) -> gast.FunctionDef:
    while True:
        read = names_read(fn)
        removed = [False]
        fn.body = _block(fn.body, read, removed)
        if not removed[0]:
            return fn


def _block(stmts: list[gast.stmt], read: set[str], removed: list[bool]) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    for s in stmts:
        if (
            isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id not in read
            and not any(isinstance(n, gast.Call) for n in gast.walk(s.value))
        ):
            removed[0] = True
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(s, (gast.If, gast.For, gast.While, gast.FunctionDef)):
                kept = _block(inner, read, removed)
                setattr(s, field, kept or ([gast.Pass()] if field == "body" else []))
        out.append(s)
    return out
