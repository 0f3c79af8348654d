"""What a derivative that copies the arrays it writes into runs first, in
both modes.

Input: the generated statements, the parameters the function writes into
(``copied``, each copied first thing, ``x = x.copy()``), the free names it
reads that may hold arrays and the user functions it calls. Output: the
``check_unshared(...)`` statement that refuses, at run time, a call whose
arguments share memory (:func:`s2sad.runtime.check_unshared`), and a comment
on each copy.

>>> import gast
>>> args = gast.parse("def f(x, y): pass").body[0].args
>>> from s2sad.ir.naming import Namer
>>> from s2sad.ir.core import unparse
>>> [s] = entry_check(args, ("x",), (), (), Namer(), {}, {}, (3, 0))
>>> print(unparse(s).strip())
check_unshared('x', '', x=x, y=y)
"""

from __future__ import annotations

from typing import Any

import gast

from ..ir.core import name
from ..ir.naming import Namer

COPY_NOTE = "s2sad: the caller's {} is left untouched"


def entry_check(
    args: gast.arguments,
    copied: tuple[str, ...],
    read_globals: tuple[str, ...],
    helpers: tuple[Any, ...],
    namer: Namer,
    injected: dict[str, Any],
    rename: dict[str, str],
    at: tuple[int, int],
) -> list[gast.stmt]:
    """``check_unshared("x", "G", helpers, x=x, y=y, G=G)``: the statement a
    derivative that copies written arguments runs first; nothing when it
    copies none. ``helpers`` (when the function calls user functions) is a
    tuple of them, given to the generated code as a closure variable (added
    to ``injected``)."""
    if not copied:
        return []
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    keywords = [gast.keyword(arg=n, value=name(n)) for n in params + list(read_globals)]
    positional: list[gast.expr] = [gast.Constant(value=", ".join(names), kind=None) for names in (copied, read_globals)]
    if helpers:
        held = namer.claim("helpers")
        injected[held] = helpers
        positional.append(name(held))
    call = gast.Call(func=name(rename.get("check_unshared", "check_unshared")), args=positional, keywords=keywords)
    stmt = gast.Expr(value=call)
    stmt.lineno, stmt.col_offset = at  # type: ignore[attr-defined]
    return [stmt]


def note_copies(copied: tuple[str, ...], body: list[gast.stmt], comments: dict[int, str]) -> None:
    """Mark the copies of written arguments in the generated code."""
    for s in body:
        v = s.value if isinstance(s, gast.Assign) else None
        if (
            isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and v.func.attr == "copy"
            and isinstance(v.func.value, gast.Name)
            and v.func.value.id in copied
        ):
            comments[id(s)] = COPY_NOTE.format(v.func.value.id)
