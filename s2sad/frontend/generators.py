"""Generator functions of the user's, collected into lists.

A loop over what a generator function yields (``for a, b in unpack(p)``)
reads every value it yields, in order. When the generator is finite and
pure, computing those values first, into a list, gives the loop the same
values, so :func:`collected` rewrites the generator into a function that
returns that list, and s2sad differentiates it like any helper returning a
list:

    def unpack(p):                      def unpack(p):
        for i in range(2):                  items = []
            yield p[i], p[i + 1]    ->      for i in range(2):
                                                items.append((p[i], p[i + 1]))
                                            return items

Refused: a generator with a ``while`` loop (it may be infinite, and read only
in part), one that uses a value sent to it (``x = yield v``), returns a value,
or is not pure (collecting would move its effects).
"""

from __future__ import annotations

import inspect
from typing import Any

import gast

from ..codegen.emit import compile_function, render_function
from ..errors import Location, UnsupportedSyntaxError
from ..ir.core import clone, walk
from .parse import ParsedFunction, parse_function, register_lifted

_twins: dict[Any, tuple[Any, Any]] = {}  # generator function -> (its code, the list-returning twin)


def collected(fn: Any, where: Location, impure: str | None) -> Any:
    """The list-returning twin of the generator function ``fn`` (built once
    per function and code), or a refusal naming the user's call ``where``.
    ``impure`` is why ``fn`` is not pure (:func:`s2sad.analysis.purity.impurity`),
    or None: the caller decides, since the analyses stand above the front end."""
    hit = _twins.get(fn)
    if hit is not None and hit[0] is fn.__code__:
        return hit[1]
    why = impure
    if why is not None:
        raise UnsupportedSyntaxError(
            f"s2sad cannot differentiate a loop over the generator {fn.__name__}, which is not pure: {why}; "
            "s2sad collects what a generator yields before the loop reads it, which would move its effects",
            where, f"make {fn.__name__} pure, or have it return a list",
        )
    pf = parse_function(fn)
    node = _as_list_function(pf)
    twin = _compile(pf, node)
    _twins[fn] = (fn.__code__, twin)
    return twin


def _as_list_function(pf: ParsedFunction) -> gast.FunctionDef:
    node = clone(pf.node)
    taken = {n.id for n in walk(node) if isinstance(n, gast.Name)}
    items = "items"
    while items in taken:
        items += "_"
    _Collect(items, pf).visit_body(node)
    first = node.body[0]
    start = gast.Assign(targets=[_name(items, gast.Store())], value=gast.List(elts=[], ctx=gast.Load()),
                        type_comment=None)
    node.body.insert(0, gast.copy_location(start, first))
    last = node.body[-1]
    node.body.append(gast.copy_location(gast.Return(value=_name(items)), last))
    return node


def _compile(pf: ParsedFunction, node: gast.FunctionDef) -> Any:
    text = render_function(node, {})
    filename = f"<s2sad: generator {node.name} collected into a list ({pf.filename}:{node.lineno})>"
    fn = pf.fn
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__)) if getattr(fn, "__closure__", None) else {}
    twin = compile_function(text, node.name, filename, pf.globals, dict(pf.closure), cells)
    register_lifted(twin, ParsedFunction(twin, node, pf.filename, pf.globals, pf.closure))
    return twin


def _name(n: str, ctx: Any = None) -> gast.Name:
    return gast.Name(id=n, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


class _Collect:
    """``yield v`` -> ``items.append(v)``; ``yield from xs`` -> a loop
    appending each; ``return`` -> ``return items``; refuses the rest."""

    def __init__(self, items: str, pf: ParsedFunction):
        self.items, self.pf = items, pf

    def refuse(self, node: gast.AST, what: str, hint: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(f"s2sad cannot differentiate a generator {what}", self.pf.location(node), hint)

    def visit_body(self, holder: Any) -> None:
        for field in ("body", "orelse"):
            stmts = getattr(holder, field, None)
            if isinstance(stmts, list):
                setattr(holder, field, [out for s in stmts for out in self.stmt(s)])

    def stmt(self, s: gast.stmt) -> list[gast.stmt]:
        if isinstance(s, gast.While):
            raise self.refuse(s, "with a while loop (it may yield without end)", "loop over a range instead")
        if isinstance(s, (gast.FunctionDef, gast.Lambda)):
            return [s]
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Yield):
            value = s.value.value or gast.Constant(value=None, kind=None)
            return [gast.copy_location(self._append(value), s)]
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.YieldFrom):
            v = self.items + "_v"
            loop = gast.For(target=_name(v, gast.Store()), iter=s.value.value, body=[self._append(_name(v))],
                            orelse=[], type_comment=None)
            for n in walk(loop):
                if isinstance(n, (gast.stmt, gast.expr)):
                    gast.copy_location(n, s)
            return [loop]
        if isinstance(s, gast.Return):
            if s.value is not None:
                raise self.refuse(s, "returning a value", "yield the value instead")
            return [gast.copy_location(gast.Return(value=_name(self.items)), s)]
        headers = [getattr(s, f) for f in ("target", "iter", "test") if getattr(s, f, None) is not None]
        for part in headers if hasattr(s, "body") else [s]:  # a compound statement's body is visited below
            for n in walk(part):
                if isinstance(n, (gast.Yield, gast.YieldFrom, gast.Await)):
                    raise self.refuse(n, "using a value sent to it (x = yield v)", "yield in a statement of its own")
        self.visit_body(s)
        return [s]

    def _append(self, value: gast.expr) -> gast.Expr:
        call = gast.Call(func=gast.Attribute(value=_name(self.items), attr="append", ctx=gast.Load()),
                         args=[value], keywords=[])
        return gast.Expr(value=call)


def is_generator(fn: Any) -> bool:
    """A user generator function (not a generator object, not a coroutine)."""
    return inspect.isgeneratorfunction(getattr(fn, "__func__", fn))
