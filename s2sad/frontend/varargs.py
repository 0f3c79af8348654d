"""``*args`` and ``**kwargs``: specialised to the call's shape.

A derivative is specialised to the kinds of the arguments of a call; for a
function taking ``*args`` or ``**kw`` those include how many values ``*args``
receives and which keys ``**kw`` receives. :func:`flatten` names each of them
as a parameter of its own (``args_0``, ``args_1``; a key ``a`` of ``**kw`` is
the keyword-only parameter ``a``), and :func:`specialise` rewrites the
function's tree to that fixed signature, so the rest of the pipeline sees a
plain function:

    def cm(W, *args):                 def cm(W, args_0, args_1):
        ...                     ->        args = (args_0, args_1)
                                          ...

``kw["a"]`` and ``kw.get("a", d)`` read the parameter ``a``; ``g(**kw)``
passes ``a=a``; any other use of ``kw`` (a dict) is refused. The derivative
is called with the call's own arguments, positional and keyword, unchanged.

>>> import gast
>>> from s2sad.codegen.emit import render_function
>>> fn = gast.parse("def f(x, *xs, **kw):\\n    return x * kw['s'] + sum(xs)").body[0]
>>> print(render_function(specialise(fn, ["xs_0", "xs_1"], ["s"], "<doc>"), {}), end="")
def f(x, xs_0, xs_1, *, s):
    xs = xs_0, xs_1
    return x * s + sum(xs)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import gast

from ..errors import Location, UnsupportedSyntaxError
from ..ir.core import clone, name, walk


def flatten(fn: Any, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` of ``fn`` (a function or its signature; a parameter ->
    value mapping, as ``Signature.bind``
    gives, where ``*args`` maps to a tuple and ``**kw`` to a dict) with the
    values of ``*args`` as ``args_0, args_1, ...`` and those of ``**kw`` by
    their keys."""
    try:
        params = (fn if isinstance(fn, inspect.Signature) else inspect.signature(fn)).parameters
    except (TypeError, ValueError):
        return dict(arguments)
    out: dict[str, Any] = {}
    for p, value in arguments.items():
        kind = params[p].kind if p in params else None
        if kind is inspect.Parameter.VAR_POSITIONAL:
            out.update({f"{p}_{i}": v for i, v in enumerate(value)})
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[p] = value
    return out


def shape_of(fn: gast.FunctionDef, names: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The names of ``*args``'s values and ``**kw``'s keys among ``names``
    (a flattened mapping), in order."""
    args = fn.args
    own = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    star: list[str] = []
    if args.vararg is not None:
        while f"{args.vararg.id}_{len(star)}" in names:
            star.append(f"{args.vararg.id}_{len(star)}")
    keys = [k for k in names if k not in own and k not in star] if args.kwarg is not None else []
    return star, keys


def specialise(fn: gast.FunctionDef, star: list[str], keys: list[str], filename: str) -> gast.FunctionDef:
    """``fn`` with ``*args`` replaced by the positional parameters ``star``
    and ``**kw`` by the keyword-only parameters ``keys`` (see the module
    docstring). Refuses a key or name that would clash with the function's
    own names, and a use of ``**kw`` other than reading a key or passing it on."""
    fn = clone(fn)
    args = fn.args
    body_names = {n.id for n in walk(fn) if isinstance(n, gast.Name)}
    if args.vararg is not None:
        vname = args.vararg.id
        for s in star:
            if s in body_names:
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate {fn.name} with *{vname}: it also uses the name {s}",
                    _where(fn, filename), f"rename {s}",
                )
        if star:
            args.defaults = []  # every positional parameter is given when *args receives values
        args.args = list(args.args) + [gast.Name(id=s, ctx=gast.Param(), annotation=None, type_comment=None)
                                       for s in star]
        pack = gast.Assign(
            targets=[gast.Name(id=vname, ctx=gast.Store(), annotation=None, type_comment=None)],
            value=gast.Tuple(elts=[name(s) for s in star], ctx=gast.Load()), type_comment=None,
        )
        fn.body.insert(0, gast.copy_location(pack, fn.body[0]))
        args.vararg = None
    if args.kwarg is not None:
        kname = args.kwarg.id
        own = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        for k in keys:
            if not k.isidentifier() or k in body_names or k in own:
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate {fn.name} with **{kname} receiving the key {k!r}: the function "
                    f"also uses the name {k}", _where(fn, filename), f"rename {fn.name}'s own {k}",
                )
        reads = _KwargsReads(kname, keys, filename)
        fn.body = [reads.visit(st) for st in fn.body]
        args.kwonlyargs = list(args.kwonlyargs) + [
            gast.Name(id=k, ctx=gast.Param(), annotation=None, type_comment=None) for k in keys
        ]
        args.kw_defaults = list(args.kw_defaults) + [None] * len(keys)
        args.kwarg = None
    return fn


def _where(node: gast.AST, filename: str) -> Location:
    return Location(filename, getattr(node, "lineno", 1) or 1, getattr(node, "col_offset", 0) or 0)


class _KwargsReads(gast.NodeTransformer):
    """``kw["a"]`` -> ``a``; ``kw.get("a", d)`` -> ``a`` (or ``d`` for a key
    not passed); ``g(**kw)`` -> ``g(a=a, ...)``; any other ``kw`` refused."""

    def __init__(self, kname: str, keys: list[str], filename: str):
        self.kname, self.keys, self.filename = kname, keys, filename

    def _is_kw(self, node: gast.AST) -> bool:
        return isinstance(node, gast.Name) and node.id == self.kname

    def visit_Subscript(self, node: gast.Subscript) -> Any:
        if self._is_kw(node.value) and isinstance(node.ctx, gast.Load):
            key = node.slice
            if isinstance(key, gast.Constant) and key.value in self.keys:
                return gast.copy_location(name(key.value), node)
            if isinstance(key, gast.Constant) and isinstance(key.value, str):
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate `{self.kname}[{key.value!r}]`: the call passes no key {key.value!r}",
                    _where(node, self.filename), f"pass {key.value}=... or use {self.kname}.get({key.value!r}, default)",
                )
        return self.generic_visit(node)

    def visit_Call(self, node: gast.Call) -> Any:
        f = node.func
        if (isinstance(f, gast.Attribute) and self._is_kw(f.value) and f.attr == "get" and not node.keywords
                and 1 <= len(node.args) <= 2 and isinstance(node.args[0], gast.Constant)):
            key = node.args[0].value
            if key in self.keys:
                return gast.copy_location(name(key), node)
            default = node.args[1] if len(node.args) == 2 else gast.Constant(value=None, kind=None)
            return self.visit(default)
        self.generic_visit(node)
        spread = [k for k in node.keywords if k.arg is None and self._is_kw(k.value)]
        if spread:
            node.keywords = [k for k in node.keywords if k not in spread] + [
                gast.keyword(arg=k, value=name(k)) for k in self.keys
            ]
        return node

    def visit_keyword(self, node: gast.keyword) -> Any:
        if node.arg is None and self._is_kw(node.value):
            return node  # g(**kw): handled by visit_Call
        return self.generic_visit(node)

    def visit_Name(self, node: gast.Name) -> Any:
        if node.id == self.kname:
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate this use of **{self.kname}: it reads the keyword arguments only as "
                f"{self.kname}['key'], {self.kname}.get('key', default) or passes them on with **{self.kname}",
                _where(node, self.filename), "read each keyword argument by its key",
            )
        return node


def bind_call(callee: Any, call: gast.Call, where: Any) -> dict[str, gast.expr]:
    """Bind a call's operand nodes to the callee's parameter names."""
    sig = inspect.signature(callee)
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise UnsupportedSyntaxError(  # pipeline.expand_starred expands *xs of known length first
            f"s2sad cannot tell which parameters of {callee.__name__} this call's *xs or **d fill",
            where, "pass a tuple (its length is then known) or the arguments one by one",
        )
    try:
        bound = sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        raise UnsupportedSyntaxError(f"bad call of {callee.__name__}: {exc}", where, "fix the call") from None
    return flatten(callee, bound.arguments)  # *args as args_0, args_1...; **kw by key (frontend.varargs)
