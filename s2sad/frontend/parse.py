"""Read a Python function's source into a gast ``FunctionDef``.

The only place that calls ``gast.parse``. Line numbers and columns of the
returned tree are those of the real file, so errors and source maps point at
the user's own lines.
"""

from __future__ import annotations

import inspect
import linecache
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import Location, SourceUnavailableError
from ..ir.core import clone, walk


@dataclass
class ParsedFunction:
    """A function's tree and the namespace its free names live in."""

    fn: Callable[..., Any]
    node: gast.FunctionDef
    filename: str
    globals: dict[str, Any]
    closure: dict[str, Any]
    # what each free name that names code (a function, a module) resolved to, with where it lives
    # (a globals dict and the name, or a closure cell and None): a derivative built from this tree
    # is stale once one of them is rebound (a helper redefined, `act = np.sin`), see Derivative.valid
    guards: list[tuple[Any, str | None, Any]] = field(default_factory=list)
    # the tree was rewritten to a fixed signature (*args, **kw: frontend.varargs); the
    # generated code's defaults are then its own
    specialised: bool = False

    def bindings(self) -> tuple[tuple[Any, str | None, Any], ...]:
        """The guards, each place once."""
        return tuple({(id(where), key): (where, key, value) for where, key, value in self.guards}.values())

    def location(self, node: gast.AST) -> Location:
        return Location(self.filename, getattr(node, "lineno", self.node.lineno), getattr(node, "col_offset", 0))

    def resolve_root(self, name: str) -> tuple[bool, Any]:
        """Look a free name up as Python would: closure, globals, builtins."""
        if name in self.closure:
            value = self.closure[name]
            code = getattr(self.fn, "__code__", None)
            cells = getattr(self.fn, "__closure__", None)
            if cells and code is not None and name in code.co_freevars and _is_code(value):
                self.guards.append((cells[code.co_freevars.index(name)], None, value))
            return True, value
        if name in self.globals:
            value = self.globals[name]
            if _is_code(value):
                self.guards.append((self.globals, name, value))
            return True, value
        builtins = self.globals.get("__builtins__", __builtins__)
        if isinstance(builtins, dict):
            if name in builtins:
                return True, builtins[name]
        elif hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None


def _is_code(value: Any) -> bool:
    """Is ``value`` something the transform reads at build time (a callable, a
    module), rather than data the generated code reads when it runs?"""
    return callable(value) or isinstance(value, types.ModuleType)


def parse_source(text: str) -> gast.Module:
    """Parse source text into a gast module."""
    return gast.parse(text)


_LIFTED: dict[Any, ParsedFunction] = {}


def register_lifted(fn: Callable[..., Any], parsed: ParsedFunction) -> None:
    """Remember the tree of a function s2sad compiled from a nested def or a
    lambda, so that differentiating it reads that tree (with the user's own
    file and lines) rather than generated text."""
    _LIFTED[fn] = parsed


def lifted(fn: Any) -> ParsedFunction | None:
    """The tree :func:`register_lifted` remembers for ``fn``, or None for a
    function the user wrote (or one s2sad generated from a template)."""
    return _LIFTED.get(fn)


def parse_function(fn: Callable[..., Any]) -> ParsedFunction:
    """Parse ``fn`` and return its ``FunctionDef`` with real line numbers."""
    if fn in _LIFTED:
        known = _LIFTED[fn]
        return ParsedFunction(fn, clone(known.node), known.filename, known.globals, known.closure)
    if inspect.ismethod(fn) and inspect.isfunction(fn.__func__):
        return _parse_bound_method(fn)
    if not inspect.isfunction(fn):
        raise SourceUnavailableError(
            f"cannot differentiate {fn!r}: it is not a Python function defined in source",
            hint="s2sad transforms Python source; built-ins and C functions need a rule "
            "(see s2sad.register_adjoint)",
        )
    code = fn.__code__
    filename = code.co_filename
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):  # inspect's own error says less than this one
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__!r} (defined in {filename})",
            hint="define the function in a file or a notebook cell; code typed at a bare "
            "REPL has no source to read",
        ) from None
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip())
    try:
        module = parse_source(text)
    except SyntaxError:  # a lambda inside a statement that spans more lines
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__!r} on its own (line {first} of {filename})",
            hint="define the function with `def` (or a lambda on a line of its own)",
        ) from None
    node = module.body[0]
    if not isinstance(node, gast.FunctionDef) or fn.__name__ == "<lambda>":
        node = _lambda_to_def(_the_lambda(module, fn, first, indent), fn)
    for sub in walk(node):
        if hasattr(sub, "lineno") and sub.lineno is not None:
            sub.lineno += first - 1
            sub.col_offset = (sub.col_offset or 0) + indent
            if getattr(sub, "end_lineno", None) is not None:
                sub.end_lineno += first - 1
    node.decorator_list = []
    if not linecache.getline(filename, 1):
        linecache.updatecache(filename, fn.__globals__)
    closure: dict[str, Any] = {}
    if fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:
                pass
    return ParsedFunction(fn, node, filename, fn.__globals__, closure)


def _parse_bound_method(method: Any) -> ParsedFunction:
    """A bound method: its function, with ``self`` a constant of the closure
    (``self.W`` is data, ``self.helper(x)`` a call to another bound method)."""
    pf = parse_function(method.__func__)
    args = pf.node.args
    params = args.posonlyargs + args.args
    if not params:
        raise SourceUnavailableError(f"cannot differentiate {method!r}: its function takes no self")
    me = params[0].id
    if args.posonlyargs:
        args.posonlyargs = args.posonlyargs[1:]
    else:
        args.args = args.args[1:]
    closure = dict(pf.closure)
    closure[me] = method.__self__
    return ParsedFunction(method, pf.node, pf.filename, pf.globals, closure)


def _the_lambda(module: gast.Module, fn: Any, first: int, indent: int) -> gast.Lambda:
    """The lambda in ``module`` that compiled to ``fn``: the only one, or the
    one whose body holds the first position of ``fn``'s code."""
    lambdas = [n for n in walk(module) if isinstance(n, gast.Lambda)]
    if len(lambdas) == 1:
        return lambdas[0]
    positions = [  # where the body's instructions come from (RESUME and the like say 0:0)
        (line, col)
        for line, _, col, end in fn.__code__.co_positions()
        if line is not None and col is not None and end is not None and (col, end) != (0, 0)
    ]
    if lambdas and positions:
        line, col = min(positions)
        at = (line - first + 1, col - indent)
        found = [
            lam for lam in lambdas
            if (lam.body.lineno, lam.body.col_offset) <= at <= (lam.body.end_lineno, lam.body.end_col_offset)
        ]  # fmt: skip
        inner = [lam for lam in found if not any(other is not lam and _within(other, lam) for other in found)]
        if len(inner) == 1:
            return inner[0]
    raise SourceUnavailableError(
        f"cannot tell which lambda on line {first} is {fn.__qualname__!r}",
        hint="define the function with `def`, or put the lambda on a line of its own",
    )


def _within(inner: gast.Lambda, outer: gast.Lambda) -> bool:
    return any(n is inner for n in walk(outer.body))


def _lambda_to_def(lam: gast.Lambda, fn: Callable[..., Any]) -> gast.FunctionDef:
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    name = fn.__name__ if fn.__name__.isidentifier() else "lambda_"
    node = gast.FunctionDef(
        name=name, args=lam.args, body=[ret], decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    return gast.copy_location(node, lam)
