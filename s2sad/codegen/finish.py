"""The last stage of both modes: number, render and compile a generated
function into a :class:`~s2sad.codegen.derivative.Derivative`.

Input: a generated ``FunctionDef`` (already tidied by :mod:`s2sad.optimize`),
the comments to print beside its statements and above its blocks, and the
names its code needs as closure variables. Output: the compiled function,
its source (registered in ``linecache`` under ``<s2sad: <what> of f (file:line)>``)
and, where the source is rendered with one, the map from generated to user
lines. Temporaries are renumbered 1, 2, 3... in order of appearance when a
namer is given.

>>> import gast
>>> from s2sad.frontend.parse import ParsedFunction
>>> fn = gast.parse("def g(x):\\n    t7 = x * 2\\n    return t7").body[0]
>>> pf = ParsedFunction(None, fn, "<doc>", {}, {})
>>> from s2sad.ir.naming import Namer
>>> namer = Namer.for_function(fn); namer.temps.append("t7")
>>> d = finish(fn, pf, Finish(what="example", namer=namer))
>>> print(d.source, end="")
def g(x):
    t1 = x * 2
    return t1
>>> d.fn(3)
6
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import gast

from ..frontend.parse import ParsedFunction
from ..ir.core import walk
from ..ir.naming import Namer
from .derivative import Derivative, closure_cells, share_defaults
from .emit import compile_function, expr_source, quick_source, render_function
from .floats import EntrySpec, float_entry, float_variant

GENERATED_PREFIX = "<s2sad"


@dataclass
class Finish:
    """How to finish one generated function."""

    what: str  # "gradient", "split gradient", "jvp": names the linecache file
    injected: dict[str, Any] = field(default_factory=dict)  # closure variables of the generated code
    comments: dict[int, str] = field(default_factory=dict)  # id(statement) -> comment at its end
    leading: dict[int, str] = field(default_factory=dict)  # id(statement) -> comment line above it
    namer: Namer | None = None  # renumber the temporaries (and keep a generated -> user line map)
    closures: bool = False  # nested defs (a split gradient's ``back``) declare what they rebind nonlocal


def finish(gen: gast.FunctionDef, pf: ParsedFunction, how: Finish) -> Derivative:
    """Number, render and compile ``gen``, built from the user's ``pf``."""
    comments = how.comments
    if how.namer is not None:
        mapping = how.namer.renumber(gen)
        present = {n.id for n in gast.walk(gen) if isinstance(n, gast.Name)}
        issued = set(how.namer.temps)
        for key, text in list(comments.items()):
            words = re.findall(r"\b\w+\b", text)
            if any(w in issued and mapping.get(w) not in present for w in words):
                del comments[key]  # "t4 -> t5" of a temporary the code no longer computes: no pathway to show
                continue
            comments[key] = re.sub(r"\b\w+\b", lambda m: mapping.get(m.group(), m.group()), text)
    if how.closures:
        declare_nonlocals(gen)
    smap: dict[int, int] = {}
    if how.namer is not None:
        source = render_function(gen, comments, leading=how.leading, source_map=smap)
    else:
        source = render_one_line_def(gen, comments)
    filename = f"{GENERATED_PREFIX}: {how.what} of {pf.node.name} ({pf.filename}:{pf.node.lineno})>"
    values = dict(pf.closure)
    values.update(how.injected)
    compiled = compile_function(source, gen.name, filename, pf.globals, values, closure_cells(pf))
    share_defaults(pf, compiled)
    # compile_function puts the def one line down, inside a factory
    smap = {k + 1: v for k, v in smap.items()}
    builder = functools.partial(_float_variant, gen, pf, values, compiled, filename) if how.what == "gradient" else None
    return Derivative(
        compiled, source, gen.name, "y", filename=filename, user_file=pf.filename, source_map=smap,
        guards=pf.bindings(), float_builder=builder,
    )  # fmt: skip


def _float_variant(
    gen: gast.FunctionDef, pf: ParsedFunction, values: dict[str, Any], compiled: Any, filename: str,
    spec: EntrySpec | None = None,
) -> tuple[Any, str] | None:
    """Compile the float variant of ``gen`` (:mod:`s2sad.codegen.floats`), falling back to ``compiled``;
    with ``spec``, its float entry for one call signature."""
    if spec is not None:
        return _float_entry(gen, pf, values, filename, spec)
    taken = {n.id for n in walk(gen) if isinstance(n, gast.Name)} | set(values) | set(pf.globals)
    fallback = gen.name + "_numpy"
    while fallback in taken:
        fallback += "_"
    variant = float_variant(gen, values, pf.globals, fallback)
    if variant is None:
        return None
    source = quick_source(variant)
    name = filename[:-1] + ", float variant>"
    fn = compile_function(source, variant.name, name, pf.globals, {**values, fallback: compiled}, closure_cells(pf))
    share_defaults(pf, fn)
    return fn, source


def _float_entry(
    gen: gast.FunctionDef, pf: ParsedFunction, values: dict[str, Any], filename: str, spec: EntrySpec
) -> tuple[Any, str] | None:
    cells = closure_cells(pf)
    made = float_entry(gen, values, pf.globals, cells, spec)
    if made is None:
        return None
    entry, extra = made
    source = quick_source(entry)
    name = filename[:-1] + ", float entry>"
    fn = compile_function(source, entry.name, name, pf.globals, {**values, **extra}, cells)
    if spec.defaults is not None:  # the parameters the call leaves out: the defaults it was decided for
        fn.__defaults__ = spec.defaults[1][len(spec.defaults[1]) - (len(spec.types) - spec.passed) :]
    return fn, source


def declare_nonlocals(gen: gast.FunctionDef) -> None:
    """A closure ``def back`` of a split derivative rebinds names of the
    forward sweep around it (tape pops, restores): declare them ``nonlocal``
    so they are the forward sweep's, not new locals of ``back``."""
    if not any(isinstance(s, gast.FunctionDef) for s in gen.body):
        return  # no closure (the common case): nothing to declare, no need to walk the body
    params = {a.id for a in gen.args.posonlyargs + gen.args.args + gen.args.kwonlyargs}
    outer = params | {n.id for s in gen.body if not isinstance(s, gast.FunctionDef) for n in walk(s)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}  # fmt: skip
    for s in gen.body:
        if isinstance(s, gast.FunctionDef):
            stored = {n.id for n in walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
            rebound = sorted(stored & outer)
            if rebound:
                s.body.insert(0, gast.Nonlocal(names=rebound))


def render_one_line_def(fn: gast.FunctionDef, comments: dict[int, str] | None = None) -> str:
    """The source of ``fn``, its ``def`` line written out here on one line
    (the unparser wraps a long one)."""
    bare = gast.arguments(args=[], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    stub = gast.FunctionDef(
        name=fn.name, args=bare, body=fn.body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    body = render_function(stub, comments or {}).split("\n", 1)[1]
    args = fn.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [a.id if d is None else f"{a.id}={_default(d)}" for a, d in zip(positional, defaults)]
    if args.posonlyargs:
        params.insert(len(args.posonlyargs), "/")
    if args.kwonlyargs:
        params.append("*")
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            params.append(a.id if d is None else f"{a.id}={_default(d)}")
    return f"def {fn.name}({', '.join(params)}):\n{body}"


def _default(node: gast.expr) -> str:
    if isinstance(node, gast.Constant):
        return repr(node.value)
    return expr_source(node)
