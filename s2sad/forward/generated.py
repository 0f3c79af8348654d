"""Forward mode over code s2sad generated (a gradient, a jvp): read it back,
refuse what forward mode cannot follow through it, and the signature of a
jvp.

Input: a :class:`~s2sad.codegen.derivative.Derivative` or a function.
Output: its parsed tree with the globals and closure values it was compiled
with (:func:`parse_target`), or a refusal (:func:`refuse_kept_calls`).

>>> from s2sad.codegen.derivative import Derivative
>>> def f_jvp(x, y, x_dot):
...     return x, x_dot
>>> tangent_parameters(Derivative(f_jvp, "", "f_jvp", "y"), 1)
('x_dot',)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gast

from ..codegen.derivative import Derivative
from ..codegen.finish import GENERATED_PREFIX
from ..errors import UnsupportedSyntaxError
from ..frontend.parse import ParsedFunction, parse_function, parse_source
from ..ir.core import name, walk


def parse_generated(d: Derivative) -> ParsedFunction:
    """The tree of generated code, read from its source text, with the
    globals and helpers it was compiled with."""
    fn = d.fn
    node = parse_source(d.source).body[0]
    assert isinstance(node, gast.FunctionDef)
    for sub in walk(node):
        if getattr(sub, "lineno", None) is not None:
            sub.lineno += 1  # compile_function puts the def one line down, inside a factory
    closure: dict[str, Any] = {}
    if fn.__closure__:
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                closure[var] = cell.cell_contents
            except ValueError:
                pass
    return ParsedFunction(fn, node, fn.__code__.co_filename, fn.__globals__, closure)


def parse_target(target: Callable[..., Any] | Derivative) -> tuple[ParsedFunction, bool]:
    """The function's tree, and whether it is code s2sad generated."""
    if isinstance(target, Derivative):
        return parse_generated(target), True
    pf = parse_function(target)
    return pf, pf.filename.startswith(GENERATED_PREFIX)


def refuse_kept_calls(d: Derivative) -> None:
    """Forward mode over a gradient that runs an impure callee once and keeps
    its reverse sweep as a closure (``z, z_back = dh_fwd(a)``): the tangent
    would have to flow through the closure's captured values, which forward
    mode does not follow; and recomputing the callee instead would draw (or
    read, or do) again. Refused at the user's call."""
    todo, seen = [d], set()
    while todo:
        c = todo.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        if c.kept_calls:
            raise UnsupportedSyntaxError(
                "s2sad cannot take a second derivative (hvp, hessian, grad of grad) through this call: the "
                "callee is not pure (random draws, state or effects), so the gradient runs it once and keeps its "
                "reverse sweep as a closure, which forward mode cannot differentiate",
                c.kept_calls[0],
                "draw (or read the state) in the function you differentiate and pass the result in as an "
                "argument of the callee: it is then a constant of the second derivative",
            )
        todo.extend(c.callees.values())


def tangent_parameters(d: Derivative, n: int) -> tuple[str, ...]:
    """The names of the ``n`` tangent parameters of a generated jvp (its last ones)."""
    return tuple(list(inspect.signature(d.fn).parameters)[-n:])


def jvp_arguments(args: gast.arguments, tangents: list[str]) -> gast.arguments:
    """The function's parameters followed by its tangents' (``x_dot``...);
    after parameters with defaults or keyword-only ones, the tangents are
    keyword-only."""
    params = [name(t, gast.Param) for t in tangents]
    by_keyword = bool(args.defaults or args.kwonlyargs)
    return gast.arguments(
        args=list(args.args) + ([] if by_keyword else params),
        posonlyargs=list(args.posonlyargs),
        vararg=None,
        kwonlyargs=list(args.kwonlyargs) + (params if by_keyword else []),
        kw_defaults=list(args.kw_defaults) + ([None] * len(params) if by_keyword else []),
        kwarg=None,
        defaults=list(args.defaults),
    )
