"""The whole pipeline, in order, in one place, for both modes (see
:func:`derive`)::

    prepare    parse -> (specialise *args) -> normalize -> SSA -> resolve ->
               CSE (s2sad.optimize.cse) -> kinds -> may-alias -> refusals -> activity
    transform  reverse (s2sad.reverse) or forward (s2sad.forward), assembled
               into one function
    optimize   in reverse mode, shapes read from held values (s2sad.optimize.shape_source) and
               full-reduction adjoints kept numbers (s2sad.optimize.scalar_fill), by the shape
               classes of s2sad.analysis.shapes; dead code (s2sad.optimize.dead_code); breaks
               where their flag is set (s2sad.optimize.breaks); values read once written where
               they are read, at the top and in blocks (s2sad.optimize.inline); what both
               branches do written once (s2sad.optimize.branches); negated terms
               (s2sad.optimize.negation)
    codegen    number, render, compile (s2sad.codegen.finish)

Both modes share this one module, one cache of the derivatives generated code
calls (:class:`DerivativeCache`, keyed by mode) and the same stages below it;
:mod:`s2sad.reverse` and :mod:`s2sad.forward` stand side by side under it and
import neither it nor each other.

:func:`build_reverse` and :func:`build_forward` return a
:class:`~s2sad.codegen.derivative.Derivative`: the generated source and the
compiled function, specialised to the kinds of the arguments.

>>> import numpy as np
>>> def f(x, y):
...     return np.sin(x) * y
>>> print(build_forward(f, ("x",), {"x": "scalar", "y": "scalar"}).source, end="")
def f_jvp(x, y, x_dot):
    t1 = np.sin(x)
    t1_dot = x_dot * np.cos(x)
    y_1 = t1 * y
    y_1_dot = t1_dot * y
    return y_1, y_1_dot
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import gast
import numpy as np

from . import runtime
from .analysis.activity import infer_kinds, kind_of_atom, statements, varied_names
from .analysis.mutation import Callees, Memory, analyse, called_writes, check_mutations, written_arguments
from .analysis.purity import MUTATORS, call_mutation, changes_global, mutation
from .analysis.pytrees import lower_pytrees
from .analysis.refusals import refuse_varied_opaque
from .analysis.resolve import Resolver
from .analysis.scope import spelling
from .analysis.shapes import ShapeClasses, shape_classes
from .analysis.statics import class_of, hides_method, is_function_value, object_kind, statics_of
from .codegen.derivative import Derivative
from .codegen.emit import compile_function, render_function
from .codegen.entry import entry_check, note_copies
from .codegen.finish import Finish, finish
from .errors import Location, OutputError, UnsupportedSyntaxError
from .forward.generated import jvp_arguments, parse_target, refuse_kept_calls, tangent_parameters
from .forward.resolver import ForwardResolver, varied_through_buffers
from .forward.transform import ForwardTransform, pop_receiver, stack_modes
from .frontend.normalize import normalize_lifting
from .frontend.parse import ParsedFunction, parse_function, register_lifted
from .frontend.varargs import bind_call, shape_of, specialise
from .ir.core import assign, const, dotted, local_names, name, names_in, names_read, names_written, unparse, walk
from .ir.kinds import (
    COMPLEX,
    INT,
    SCALAR,
    Kind,
    array_kind,
    as_kinds,
    dict_kind,
    fn_kind,
    is_container,
    is_function_kind,
    list_kind,
    shape_kind,
    tuple_items,
    tuple_kind,
    without_units,
)
from .ir.naming import Namer
from .ir.ssa import to_ssa
from .lazy import is_lazy
from .optimize.branches import merge_branches
from .optimize.breaks import restore_breaks
from .optimize.cse import eliminate_common_subexpressions
from .optimize.dead_code import eliminate_dead_code, makes_no_call
from .optimize.inline import inline_once_read
from .optimize.negation import fold_negation
from .optimize.scalar_fill import Names, keep_fills_scalar
from .optimize.shape_source import borrow_shapes
from .reverse.assemble import pure_value, scalar_output, with_finite_checks, with_parameters
from .reverse.transform import ReverseTransform
from .rules.templates import RUNTIME_NAMES

Target = Callable[..., Any] | Derivative  # forward mode also differentiates generated code


@dataclass(frozen=True)
class Options:
    """How to build: reverse mode's ``check_finite``, ``split`` and ``has_aux``
    (see :func:`build_reverse`)."""

    check_finite: bool = False
    split: bool = False
    has_aux: bool = False
    gradient_only: bool = False


# ------------------------------------------------------------ the pass order
def derive(mode: str, target: Target, wrt: tuple[str, ...], arg_kinds: dict[str, Any], options: Options) -> Derivative:
    """The one pass order of both modes; ``mode`` is "reverse" or "forward"."""
    prepare, transform = MODES[mode]
    with CACHE.building(mode, target):
        f = prepare(target, wrt, arg_kinds, options)  # parse -> normalize -> SSA -> analyses
        g = transform(f, target, wrt, options)  # reverse or forward transform, assembled into one function
        g.fn = eliminate_dead_code(g.fn, g.removable)  # optimize
        g.fn = _restore_breaks(g.fn, g.finish, g.removable)
        if g.tidy is not None:
            g.fn = g.tidy(g.fn)
        g.fn = _keeping_comments(g.fn, g.finish, merge_branches)
        g.fn = fold_negation(g.fn)
        d = finish(g.fn, f.pf, g.finish)  # codegen
    for key, value in g.record.items():
        setattr(d, key, value)
    return d


def _restore_breaks(fn: gast.FunctionDef, how: Finish, removable: Callable[[gast.Assign], bool]) -> gast.FunctionDef:
    """``fn`` with its loops leaving where their break flag is set
    (:mod:`s2sad.optimize.breaks`), and the flags no longer read gone."""
    if not any(isinstance(n, gast.Break) for n in walk(fn)):
        return fn
    unread = lambda s: removable(s) or isinstance(s.value, gast.Constant)  # noqa: E731
    return _keeping_comments(fn, how, lambda f: eliminate_dead_code(restore_breaks(f), unread))


def _keeping_comments(
    fn: gast.FunctionDef, how: Finish, rewrite: Callable[[gast.FunctionDef], gast.FunctionDef]
) -> gast.FunctionDef:
    """``rewrite(fn)``, and the comments of statements it dropped gone too."""
    before = [n for n in walk(fn) if isinstance(n, gast.stmt)]  # held: no id reused meanwhile
    fn = rewrite(fn)
    kept = {id(n) for n in walk(fn) if isinstance(n, gast.stmt)}
    for s in before:
        if id(s) not in kept:
            how.comments.pop(id(s), None)
            how.leading.pop(id(s), None)
    return fn


def build_reverse(
    fn: Callable[..., Any],
    wrt: tuple[str, ...],
    arg_kinds: dict[str, str | None],
    check_finite: bool = False,
    split: bool = False,
    has_aux: bool = False,
    gradient_only: bool = False,
) -> Derivative:
    """Generate ``d<fn>(args..., <output>_bar=1.0) -> (value, adjoints)``.

    With ``gradient_only`` (what ``grad`` asks for), and when the kinds prove
    that ``fn`` returns a 0-d value (:func:`~s2sad.reverse.assemble.scalar_output`:
    all ``grad`` checks of the value), generate ``d<fn>(args...) -> adjoints``:
    what only the value needs is dropped as dead code. The result's
    ``gradient_only`` says which form was built (not with ``has_aux`` or
    ``split``, nor when the output is not proven 0-d).

    With ``has_aux``, ``fn`` returns a pair ``(loss, aux)``: the derivative
    is the loss's, and ``value`` is the whole pair (aux untouched).

    With ``check_finite``, the generated code checks every adjoint it computes
    and reports the first non-finite one with the user's line it comes from.
    With ``split``, generate ``d<fn>_fwd(args...) -> (value, back)`` instead:
    the forward sweep, run once, returns the reverse sweep as a closure
    ``back(<output>_bar) -> adjoints`` that reads the forward sweep's values
    and tape (how a caller differentiates a callee that may not be run twice)."""
    return derive("reverse", fn, wrt, arg_kinds, Options(check_finite, split, has_aux, gradient_only))


def build_forward(target: Target, wrt: tuple[str, ...], arg_kinds: dict[str, str | None]) -> Derivative:
    """Generate ``<f>_jvp(args..., <wrt>_dot...) -> (value, tangent)``.

    ``target`` is a Python function or a :class:`Derivative` (generated code:
    forward mode over a gradient gives Hessian-vector products, over a jvp
    higher derivatives). The tangent parameters follow ``f``'s own; when
    some of those have defaults or are keyword-only, the tangents are
    keyword-only.

    >>> import numpy as np
    >>> def f(x, y):
    ...     return np.sin(x) * y
    >>> d = build_forward(f, ("x",), {"x": "scalar", "y": "scalar"})
    >>> [float(v) for v in d.fn(0.0, 2.0, 1.0)]
    [0.0, 2.0]
    """
    return derive("forward", target, wrt, arg_kinds, Options())


# ---------------------------------------------------- the derivative cache
class DerivativeCache:
    """The derivatives generated code calls (one per mode, function, wrt and
    argument kinds), rebuilt when stale; and, per thread, the functions being
    built, so that a call back into one is refused as recursion."""

    def __init__(self) -> None:
        self._built: dict[tuple, tuple[Any, Derivative]] = {}
        self._lock = threading.RLock()
        self._local = threading.local()

    def _stack(self) -> list[tuple[str, Any]]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @contextlib.contextmanager
    def building(self, mode: str, target: Target) -> Iterator[None]:
        stack = self._stack()
        stack.append((mode, target.fn if isinstance(target, Derivative) else target))
        try:
            yield
        finally:
            stack.pop()

    def derivative(
        self, mode: str, target: Target, wrt: tuple[str, ...], kinds: dict[str, Any], where: Location,
        split: bool = False,
    ) -> Derivative:
        """The ``mode`` derivative of a function generated code calls."""
        plain = target.fn if isinstance(target, Derivative) else target
        if (mode, plain) in self._stack():
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate the recursive call to {plain.__name__}",
                where,
                "rewrite the recursion as a loop",
            )
        code = getattr(plain, "__code__", None)
        if mode == "reverse":
            key: tuple = (mode, target, code, wrt, tuple(sorted(kinds.items())), split)
            anchor = None
        else:  # a Derivative is not hashable: by id, the entry holding it so that its id stays its own
            key, anchor = (mode, id(target), code, wrt, tuple(sorted(kinds.items()))), target
        with self._lock:
            hit = self._built.get(key)
            if hit is None or hit[0] is not anchor or not hit[1].valid():
                if mode == "reverse":
                    built = build_reverse(target, wrt, kinds, split=split)  # type: ignore[arg-type]
                else:
                    built = build_forward(target, wrt, kinds)
                hit = self._built[key] = (anchor, built)
        return hit[1]


CACHE = DerivativeCache()


# ---------------------------------------------------------------- prepare
def prepare_reverse(fn: Target, wrt: tuple[str, ...], arg_kinds: dict[str, Any], options: Options) -> Front:
    """The SSA core and analyses of a user function, and its varied names;
    refuses what the reverse sweep cannot follow."""
    f = front(parse_function(fn), arg_kinds, has_aux=options.has_aux)  # type: ignore[arg-type]
    varied = varied_names(f.ssa, list(wrt), f.ops)
    refuse_varied_opaque(f.ssa, f.ops, varied, f.pf.filename, kinds=f.kinds)
    refuse_nonlocal_mutation(f.ssa, f.ops, f.resolver, f.pf.filename, f.kinds)
    return dataclasses.replace(f, varied=varied)


def prepare_forward(target: Target, wrt: tuple[str, ...], arg_kinds: dict[str, Any], options: Options) -> Front:
    """The SSA core and analyses of a user function or of generated code
    (read with the helpers and tapes it calls), and its varied names."""
    if isinstance(target, Derivative):
        refuse_kept_calls(target)
    pf, generated = parse_target(target)
    stacks: dict[str, str] = {}

    def resolver_for(p: ParsedFunction, names: set[str], ssa: gast.FunctionDef) -> Resolver:
        stacks.update(stack_modes(ssa, generated))
        return ForwardResolver(p, names, stacks, target if isinstance(target, Derivative) else None)

    f = front(pf, arg_kinds, resolver_for, checks=not generated, list_aliases=True)
    varied = varied_through_buffers(f.ssa, list(wrt), f.ops, f.resolver, stacks)
    # generated code: add_at, tapes
    refuse_varied_opaque(f.ssa, f.ops, varied, pf.filename, effects=not generated, kinds=f.kinds)
    return dataclasses.replace(f, varied=varied, stacks=stacks)


# -------------------------------------------------------------- transform
@dataclass
class Generated:
    """A transform's function, assembled, and what the last stages need."""

    fn: gast.FunctionDef
    finish: Finish  # how codegen numbers, comments and names it
    removable: Callable[[gast.Assign], bool]  # the unread assignments the dead-code pass may drop
    record: dict[str, Any] = field(default_factory=dict)  # the Derivative's fields only the transform knows
    tidy: Callable[[gast.FunctionDef], gast.FunctionDef] | None = None  # after dead code: inlining


def reverse_transform(f: Front, target: Target, wrt: tuple[str, ...], options: Options) -> Generated:
    """Forward sweep + reverse sweep (or the split pair), one function."""
    pf, namer, rename, injected, ssa, kinds = f.pf, f.namer, f.rename, f.injected, f.ssa, f.kinds
    ret = ssa.body[-1]
    output = ret.value.id if isinstance(ret.value, gast.Name) else "y"
    seed = namer.adjoint(output)
    comments: dict[int, str] = {}
    callees: dict[str, Derivative] = {}

    def callee(
        target: Any, cwrt: tuple[str, ...], ckinds: dict[str, Any], where: Location, split: bool = False
    ) -> tuple[str, str]:
        d = CACHE.derivative("reverse", target, cwrt, ckinds, where, split)
        for local, known in callees.items():
            if known is d:
                return local, d.seed
        local = namer.claim(d.name)
        injected[local] = d.fn
        callees[local] = d
        return local, d.seed

    shapes = shape_classes(ssa, f.ops, kinds)
    transform = ReverseTransform(
        ssa, f.ops, f.varied, kinds, namer, rename, comments, pf.filename, callee=callee, memory=f.memory,
        with_defaults=with_defaults, shapes=shapes,
    )  # fmt: skip
    forward, reverse, returned = transform.run(list(wrt), seed)
    scalar = scalar_output(ssa, f.ops, kinds)  # the value is 0-d, and so is the seed (vjp checks it)
    gradient_only = options.gradient_only and not options.split and f.aux is None and scalar
    note_copies(f.copied, forward, comments)
    forward = _entry_check(f) + forward
    value: gast.expr = ret.value if f.aux is None else name(f.aux)
    kept_name = output if f.aux is None else f.aux
    keep = transform.kept_value(kept_name) if isinstance(ret.value, gast.Name) else None
    if keep is not None and not gradient_only:
        # the reverse sweep rewinds `output` (or an array it shares) to an earlier value: keep the result
        kept = namer.claim("value")
        forward.append(assign(kept, keep))
        value = name(kept)
    if options.check_finite:
        reverse = with_finite_checks(reverse, set(namer._adjoints.values()), pf, rename["check_finite"])
    if not options.split:
        before = list(statements(reverse))  # held, so that no id is reused before its comment goes
        reverse = _tidy_reverse(reverse, f, shapes, names_in(returned), gradient_only, scalar)
        for gone in {id(x) for x in before} - {id(x) for x in statements(reverse)}:
            comments.pop(gone, None)
        del before
    leading: dict[int, str] = {}
    if forward:
        leading[id(forward[0])] = "forward sweep"
    if reverse:
        leading[id(reverse[0])] = "reverse sweep"
    if options.split:
        back = namer.claim("back")
        reverse.append(gast.Return(value=returned))
        closure = with_parameters(ssa.args, back, reverse, seed, own=False)
        leading.pop(id(reverse[0]), None)
        leading[id(closure)] = "reverse sweep, run when the caller calls back"
        body = [*forward, closure, gast.Return(value=gast.Tuple(elts=[value, name(back)], ctx=gast.Load()))]
        gen = gast.FunctionDef(
            name=namer.claim("d" + pf.node.name + "_fwd"), args=ssa.args, body=body, decorator_list=[],
            returns=None, type_comment=None, type_params=[],
        )  # fmt: skip
        what = "split gradient"
    elif gradient_only:  # grad: the adjoints alone, and what they need
        body = forward + reverse
        body.append(gast.Return(value=returned))
        gen = with_parameters(ssa.args, namer.claim("d" + pf.node.name), body, seed)
        what = "gradient"
    else:
        body = forward + reverse
        body.append(gast.Return(value=gast.Tuple(elts=[value, returned], ctx=gast.Load())))
        gen = with_parameters(ssa.args, namer.claim("d" + pf.node.name), body, seed)
        what = "gradient"
    record = {
        "output": output, "seed": seed, "callees": callees,
        "kept_calls": [where for _, _, where in transform.splits.values()],
        "output_kind": kinds.get(output) if isinstance(ret.value, gast.Name) else None,
        "gradient_only": gradient_only,
    }  # fmt: skip
    how = Finish(what, injected, comments, leading, namer=namer, closures=True)
    removable = makes_no_call
    if gradient_only:  # the value is not returned: what only it needed goes, calls of pure primitives too
        ops = f.ops

        def removable(s: gast.Assign) -> bool:
            return makes_no_call(s) or pure_value(ops.get(id(s)), kinds)

    reverse_ids = {id(s) for s in reverse}
    tidy = None if options.split else (lambda fn: _inline(fn, f, how, reverse_ids))
    return Generated(gen, how, removable, record, tidy=tidy)


def _tidy_reverse(
    reverse: list[gast.stmt], f: Front, shapes: ShapeClasses, returned: set[str], gradient_only: bool, scalar: bool
) -> list[gast.stmt]:
    """The reverse sweep written as a person would: in ``grad``'s form, shapes
    read from values it holds anyway; where the value is proven 0-d (so is its
    adjoint), full-reduction adjoints kept numbers."""
    if any(op.complex_in for op in f.ops.values()):  # a real adjoint: no complex part to lose
        return reverse
    np_name = f.rename.get("np", "np")
    primal = f.namer.adjoints()  # an adjoint has its name's kind and shape
    if gradient_only:
        params = {a.id for a in f.ssa.args.args + f.ssa.args.kwonlyargs}
        reverse = borrow_shapes(reverse, shapes, params, f.varied, np_name)
    if scalar:
        known = Names(lambda n: f.kinds.get(primal.get(n, n)), lambda n: shapes.find(primal.get(n, n)))
        reverse = keep_fills_scalar(reverse, known, returned, np_name)
    return reverse


def _inline(fn: gast.FunctionDef, f: Front, how: Finish, reverse_ids: set[int]) -> gast.FunctionDef:
    """``fn`` (forward + reverse sweep, dead code gone) with temporaries and
    partial adjoints read once written where they are read (optimize.inline):
    a forward temporary the reverse sweep does not need goes back into the
    user's expression it came from, and is freed as soon as it is used. A
    comment naming an inlined temporary names its expression instead (when short)."""
    if not (fn.body and isinstance(fn.body[-1], gast.Return)):
        return fn
    adjoints = set(f.namer.adjoints())
    pure = frozenset(f.rename.get(h, h) for h in runtime.PURE_HELPERS)
    np_name = f.rename.get("np", "np")
    old = list(fn.body)
    # a forward value stays in the forward sweep: the sweeps are inlined apart
    split = next((k for k, s in enumerate(old) if id(s) in reverse_ids), len(old) - 1)
    forward, reverse = old[:split], old[split:]
    read_later = set().union(*map(names_read, reverse)) if reverse else set()
    forward, inlined = inline_once_read(forward, set(f.namer.temps) - adjoints, read_later, set(), np_name, pure)
    reverse, more = inline_once_read(reverse, adjoints, names_read(fn.body[-1]), adjoints, np_name, pure)
    fn.body = forward + reverse
    inlined.update(more)
    reads: dict[str, int] = {}  # counted once: inlining in one block adds no read outside it
    for n in walk(fn):
        if n.__class__ is gast.Name and isinstance(n.ctx, gast.Load):
            reads[n.id] = reads.get(n.id, 0) + 1

    def nested(fn: gast.FunctionDef) -> gast.FunctionDef:
        _inline_blocks(forward, reads, set(f.namer.temps) - adjoints, set(), np_name, pure, inlined)
        _inline_blocks(reverse, reads, adjoints, adjoints, np_name, pure, inlined)
        return fn

    fn = _keeping_comments(fn, how, nested)
    kept = {id(s) for s in fn.body}
    for k, s in enumerate(old):  # a removed statement's comments: the leading one moves on, its own goes
        if id(s) not in kept:
            how.comments.pop(id(s), None)
            text = how.leading.pop(id(s), None)
            after = next((t for t in old[k + 1 :] if id(t) in kept), None)
            if text is not None and after is not None and id(after) not in how.leading:
                how.leading[id(after)] = text
    shown = {v: _bare(unparse(e).strip()) for v, e in inlined.items() if v in f.namer.temps}
    shown = {v: text for v, text in shown.items() if len(text) <= 24}
    if shown:
        for key, text in how.comments.items():
            how.comments[key] = re.sub(r"\b\w+\b", lambda m: shown.get(m.group(), m.group()), text)
    return fn


def _inline_blocks(
    stmts: list[gast.stmt], reads: dict[str, int], movable: set[str], adjoints: set[str], np_name: str,
    pure: frozenset[str], inlined: dict[str, gast.expr],
) -> None:
    """Inline (as :func:`_inline` does at the top) inside each loop body and
    branch of ``stmts``: a name read outside the block (``reads``: the
    function's reads by name), or read in it before it is set (by the
    iteration before, in a loop), stays."""
    for s in stmts:
        if not isinstance(s, (gast.If, gast.For, gast.While)):
            continue
        for part in ("body", "orelse"):
            block = getattr(s, part)
            if not block:
                continue
            keep = _read_outside(reads, block)
            block, more = inline_once_read(block, movable, keep, adjoints, np_name, pure)
            setattr(s, part, block)
            inlined.update(more)
            _inline_blocks(block, reads, movable, adjoints, np_name, pure, inlined)


def _read_outside(reads: dict[str, int], block: list[gast.stmt]) -> set[str]:
    """Names read outside ``block``, or in it at or before a statement that sets them."""
    inside: dict[str, int] = {}
    for s in block:
        for n in walk(s):
            if n.__class__ is gast.Name and isinstance(n.ctx, gast.Load):
                inside[n.id] = inside.get(n.id, 0) + 1
    out = {v for v, k in reads.items() if k > inside.get(v, 0)}
    seen: set[str] = set()
    for s in block:
        seen |= names_read(s)
        out |= seen & names_written(s)
    return out


def _bare(text: str) -> str:
    """``(a + b)`` -> ``a + b``: an expression shown alone needs no parentheses."""
    if text.startswith("(") and text.endswith(")"):
        try:
            gast.parse(text[1:-1], mode="eval")
            return text[1:-1]
        except SyntaxError:
            pass
    return text


def forward_transform(f: Front, target: Target, wrt: tuple[str, ...], options: Options) -> Generated:
    """Primal and tangent code, interleaved, in one function."""
    pf, namer, rename, injected, ssa, resolver = f.pf, f.namer, f.rename, f.injected, f.ssa, f.resolver
    ret = ssa.body[-1]
    known = {id(d.fn): d for d in getattr(target, "callees", {}).values()}
    called: dict[int, str] = {}
    depends: dict[int, Derivative] = {}

    def callee(fn: Any, cwrt: tuple[str, ...], ckinds: dict[str, Any], where: Location) -> tuple[str, tuple[str, ...]]:
        d = CACHE.derivative("forward", known.get(id(fn), fn), cwrt, ckinds, where)
        if id(d) not in called:
            depends[id(d)] = d
            called[id(d)] = namer.claim(d.name)
            injected[called[id(d)]] = d.fn
        return called[id(d)], tangent_parameters(d, len(cwrt))

    transform = ForwardTransform(
        ssa, f.ops, f.varied, f.kinds, namer, rename, f.stacks, pf.filename,
        resolve=lambda e: resolver.value_of(e)[1], callee=callee,
    )  # fmt: skip
    body, tangent = transform.run(list(wrt))
    comments: dict[int, str] = {}
    note_copies(f.copied, body, comments)
    body = _entry_check(f) + body
    body.append(gast.Return(value=gast.Tuple(elts=[ret.value, tangent], ctx=gast.Load())))
    args = jvp_arguments(ssa.args, [namer.tangent(w) for w in wrt])
    gen = gast.FunctionDef(
        name=namer.claim(pf.node.name + "_jvp"), args=args, body=body, decorator_list=[], returns=None,
        type_comment=None, type_params=[],
    )  # fmt: skip
    if isinstance(target, Derivative):  # forward mode over generated code: stale when that code is
        depends[id(target)] = target
    tangents = transform.tangent_vars

    def unread_tangent(s: gast.Assign) -> bool:  # pops stay: they keep a stack in step
        return s.targets[0].id in tangents and pop_receiver(s.value) is None

    record = {"output": ret.value.id if isinstance(ret.value, gast.Name) else "y", "depends": tuple(depends.values())}
    return Generated(gen, Finish("jvp", injected, comments), unread_tangent, record)


def _entry_check(f: Front) -> list[gast.stmt]:
    at = (f.pf.node.lineno, f.pf.node.col_offset)
    return entry_check(f.ssa.args, f.copied, f.read_globals, f.helpers, f.namer, f.injected, f.rename, at)


MODES: dict[str, tuple[Callable[..., Front], Callable[..., Generated]]] = {
    "reverse": (prepare_reverse, reverse_transform),
    "forward": (prepare_forward, forward_transform),
}


# ------------------------------------------------- prepare: the front half
def _pure(s: gast.Assign, ops: dict) -> bool:
    """May this assignment's value be computed once and shared? (Never a call
    that allocates: its result may be written into.)"""
    kind = ops[id(s)].kind
    if kind == "copy":
        return isinstance(s.value, gast.Name)  # not a value popped off a tape
    return kind in ("rule", "const") or (kind == "inactive" and not isinstance(s.value, gast.Call))


def injected_names(pf: ParsedFunction, namer: Namer) -> tuple[dict[str, str], dict[str, Any]]:
    """Names the generated code needs (numpy, math, runtime helpers), renamed
    where the user's function already uses the name for something else."""
    wanted: dict[str, Any] = {"np": np, "math": math}
    wanted.update({h: getattr(runtime, h) for h in RUNTIME_NAMES})
    rename: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in wanted.items():
        ok, current = pf.resolve_root(key)
        if key in namer.taken and not (ok and current is value):
            chosen = namer.claim("_" + key)
        else:
            namer.taken.add(key)
            chosen = key
        rename[key] = chosen
        values[chosen] = value
    return rename, values


def default_kind(value: Any) -> Kind | None:
    """The kind of a parameter's default value, its arrays' broadcast
    patterns forgotten (a default may be replaced by one of another shape)."""
    return without_units(kind_of_value(value))


def kind_of_value(value: Any) -> Kind | None:
    if is_function_value(value):
        return fn_kind(value)  # a function passed as a value: the derivative is specialised to it
    if isinstance(value, (bool, np.bool_)):
        return INT
    if isinstance(value, (int, np.integer)):
        return INT
    if isinstance(value, (float, np.floating)):
        return SCALAR
    if isinstance(value, (complex, np.complexfloating)) or (isinstance(value, np.ndarray) and np.iscomplexobj(value)):
        return COMPLEX
    if isinstance(value, np.ndarray):
        return shape_kind(value.shape)  # its ndim and broadcast pattern (which dims are 1)
    if isinstance(value, tuple):
        fields = getattr(type(value), "_fields", None)  # a namedtuple: p.W reads a field
        ok = isinstance(fields, tuple) and all(isinstance(f, str) for f in fields)
        return tuple_kind([kind_of_value(v) for v in value], list(fields) if ok else None)
    if type(value) is dict:  # the keys, in insertion order: a different key set is a different derivative
        return dict_kind([(k, kind_of_value(v)) for k, v in value.items()])
    if isinstance(value, list):
        return list_kind([kind_of_value(v) for v in value])
    if is_lazy(value) and hasattr(value, "ndim") and hasattr(value, "dtype"):
        # a dask array: its ndim and dtype are known without computing it
        if value.dtype.kind == "c":
            return COMPLEX
        shape = value.shape  # a dim of unknown length (nan, chunks not computed): the pattern is unknown
        return shape_kind(shape) if all(isinstance(n, (int, np.integer)) for n in shape) else array_kind(value.ndim)
    return object_kind(value)  # an instance of a user class (its methods are followed), else None


_output_kinds: dict[tuple, Any] = {}


def output_kind(fn: Callable[..., Any], arg_kinds: dict[str, Any]) -> Any:
    """The kind a user function returns for these argument kinds (None when
    unknown, or when finding out would recurse)."""
    key = (fn, tuple(sorted(arg_kinds.items())))
    if key in _output_kinds:
        return _output_kinds[key]
    _output_kinds[key] = None  # a recursive call sees "unknown"
    try:
        f = front(parse_function(fn), with_defaults(fn, arg_kinds), checks=False)
        ret = f.ssa.body[-1]
        found = f.kinds.get(ret.value.id) if isinstance(ret.value, gast.Name) else None
    except Exception:  # the derivative's own build reports any problem, with its location
        found = None
    _output_kinds[key] = found
    return found


def with_defaults(fn: Callable[..., Any], arg_kinds: dict[str, Any]) -> dict[str, Any]:
    """A call's argument kinds (flattened, frontend.varargs), with the kinds
    of the defaults of the parameters it leaves out."""
    kinds = dict(arg_kinds)
    for p, v in inspect.signature(fn).parameters.items():
        if p not in kinds and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD):
            kinds[p] = default_kind(v.default)
    return kinds


@dataclass
class Front:
    """What every transform starts from (the prepare stage's result): the SSA core of a function, the
    operation of each assignment, and the kinds of its names."""

    pf: ParsedFunction
    namer: Namer
    rename: dict[str, str]  # np, math, helpers -> their names in generated code
    injected: dict[str, Any]  # names the generated code gets as closure variables
    ssa: gast.FunctionDef
    resolver: Resolver
    ops: dict[int, Any]
    kinds: dict[str, Any]
    memory: Memory | None = None  # what may alias what (analysis/mutation)
    copied: tuple[str, ...] = ()  # array arguments written into: the code works on its own copy of each
    read_globals: tuple[str, ...] = ()  # free names the function reads that may hold arrays
    helpers: tuple[Any, ...] = ()  # the user functions it calls (what they read is checked too)
    aux: str | None = None  # with has_aux: the name of the returned pair (loss, aux); the output is its loss
    varied: set[str] = field(default_factory=set)  # names that depend on a wrt argument (activity)
    stacks: dict[str, str] = field(default_factory=dict)  # forward mode: lists used as stacks (stack_modes)


def front(
    pf: ParsedFunction,
    arg_kinds: dict[str, Kind | str | None],
    resolver_for: Callable[[ParsedFunction, set[str], gast.FunctionDef], Resolver] | None = None,
    checks: bool = True,
    list_aliases: bool = False,
    copied: tuple[str, ...] = (),
    has_aux: bool = False,
) -> Front:
    """Parse tree -> normalize -> SSA -> resolve -> CSE -> checks -> kinds.

    ``resolver_for`` builds the resolver (forward mode's also knows the
    runtime helpers); ``checks`` refuses mutations s2sad cannot follow (off for
    code s2sad generated itself, which writes only into its own buffers);
    ``list_aliases`` allows a list changed under two names (forward mode
    follows it; reverse mode keeps adjoints per name and cannot).

    With ``checks``, an array argument the function writes into (``x[i] =
    v``, ``x += v``) is copied first thing, ``x = x.copy()``: the derivative
    works on its own copy and leaves the caller's array untouched, and the
    adjoint of ``x`` is that of its value on entry (``copied`` lists those
    arguments on the second pass, which builds from the tree with the copies)."""
    arg_kinds = as_kinds(arg_kinds)  # kinds given as text (build_reverse(f, wrt, {"x": "array1"})) are parsed here
    if pf.node.args.vararg is not None or pf.node.args.kwarg is not None:
        star, keys = shape_of(pf.node, arg_kinds)
        pf.node = specialise(pf.node, star, keys, pf.filename)
        pf.specialised = True
    statics = _bind_statics(pf, arg_kinds)
    namer = Namer.for_function(pf.node)
    rename, injected = injected_names(pf, namer)
    normalized = normalize_lifting(pf.node, namer, pf.filename)
    compile_lifted(pf, normalized.lifted)
    ssa = to_ssa(normalized.core, namer)
    aux = _split_aux(ssa, namer, pf) if has_aux else None
    resolver = (resolver_for or (lambda p, names, _: Resolver(p, names)))(pf, local_names(ssa) - statics, ssa)
    ops = {}
    for s in statements(ssa.body):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            ops[id(s)] = resolver.op(s.value)
    arg_kinds = {**arg_kinds, **_function_arguments(ssa, ops, resolver, arg_kinds)}
    for node in walk(ssa):  # eval(...), exec(...) also as statements and inside conditions
        if isinstance(node, gast.Call):
            resolver.refuse_reflective(node)
    # dict loops and namedtuple fields read what the kinds say (before CSE shares reads)
    lower_pytrees(ssa, ops, lambda: infer_kinds(ssa, arg_kinds, ops, output_kind), pf.filename, resolver.value_of,
                  lambda n: rename.get(n, n))
    ssa = eliminate_common_subexpressions(ssa, lambda s: _pure(s, ops), normalized.updates)
    kinds = infer_kinds(ssa, arg_kinds, ops, output_kind)
    while expand_starred(ssa.body, kinds, namer, ops, resolver, pf) | resolve_methods(ssa, kinds, ops, resolver, pf):
        kinds = infer_kinds(ssa, arg_kinds, ops, output_kind)
    if aux is not None and kinds.get(aux) is not None and not is_container(kinds[aux]):
        raise OutputError(
            f"{pf.node.name} is differentiated with has_aux=True, so it must return a pair (loss, aux); "
            f"it returns a {kinds[aux]}",
            pf.location(pf.node),
            "return loss, aux",
        )
    memory = analyse(ssa, ops, kinds, resolver, normalized.updates, namer.user_name, CALLEES)
    if checks and not copied:
        written = written_arguments(ssa, memory, kinds)
        if written:
            return front(with_copies(pf, written), arg_kinds, resolver_for, checks, list_aliases, tuple(written), has_aux)
    if checks:
        refuse_calls_writing_arguments(ssa, ops, kinds, pf.filename)
        check_mutations(ssa, memory, pf.filename, namer.user_name, set(namer.temps), list_aliases)
    ret = ssa.body[-1]
    assert isinstance(ret, gast.Return)
    if isinstance(ret.value, gast.Constant) and ret.value.value is None:
        raise OutputError(
            f"{pf.node.name} returns nothing, so it has no derivative", pf.location(pf.node), "return a value"
        )
    read_globals = _globals_holding_arrays(pf, resolver) if copied else ()
    helpers = tuple({id(op.callee): op.callee for op in ops.values() if op.kind == "user"}.values()) if copied else ()
    return Front(pf, namer, rename, injected, ssa, resolver, ops, kinds, memory, copied, read_globals, helpers, aux)


def _split_aux(ssa: gast.FunctionDef, namer: Namer, pf: ParsedFunction) -> str:
    """``has_aux``: the function returns a pair ``(loss, aux)``. End the core
    with ``loss = pair[0]; return loss``, so that only the loss is
    differentiated (aux passes through untouched, whatever it holds), and
    return the pair's name."""
    ret = ssa.body[-1]
    assert isinstance(ret, gast.Return)
    if not isinstance(ret.value, gast.Name):
        raise OutputError(
            f"{pf.node.name} is differentiated with has_aux=True, so it must return a pair (loss, aux)",
            pf.location(pf.node),
            "return loss, aux",
        )
    loss = namer.claim("loss")
    first = assign(loss, gast.Subscript(value=name(ret.value.id), slice=gast.Constant(value=0, kind=None),
                                        ctx=gast.Load()))
    gast.copy_location(first, ret)
    ssa.body[-1:] = [first, gast.copy_location(gast.Return(value=name(loss)), ret)]
    return ret.value.id


def with_copies(pf: ParsedFunction, params: list[str]) -> ParsedFunction:
    """``pf`` with ``p = p.copy()`` put first in its body for each of ``params``
    (after a docstring), at the ``def``'s line."""
    node = copy.deepcopy(pf.node)
    docstring = node.body and isinstance(node.body[0], gast.Expr) and isinstance(node.body[0].value, gast.Constant)
    at = 1 if docstring else 0
    for p in reversed(params):
        value = gast.Call(func=gast.Attribute(value=name(p), attr="copy", ctx=gast.Load()), args=[], keywords=[])
        stmt = gast.Assign(targets=[name(p, gast.Store)], value=value, type_comment=None)
        for n in walk(stmt):
            n.lineno, n.col_offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
            n.end_lineno, n.end_col_offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        node.body.insert(at, stmt)
    return dataclasses.replace(pf, node=node)


def _globals_holding_arrays(pf: ParsedFunction, resolver: Resolver) -> tuple[str, ...]:
    """Free names the function reads whose value is an array, a list, tuple
    or dict (which may hold one), or an object whose attributes may (``self``
    of a bound method): a written argument must not share memory with them.
    (Globals only its helpers read are not among them.)"""
    found = []
    for n in walk(pf.node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in resolver.locals:
            ok, value = pf.resolve_root(n.id)
            if ok and _may_hold_arrays(value) and n.id not in found:
                found.append(n.id)
    return tuple(found)


def _may_hold_arrays(value: Any) -> bool:
    if isinstance(value, (np.ndarray, list, tuple, dict)):
        return True
    plain = not (inspect.ismodule(value) or inspect.isroutine(value) or inspect.isclass(value))
    return plain and isinstance(getattr(value, "__dict__", None), dict)


def refuse_calls_writing_arguments(
    ssa: gast.FunctionDef, ops: dict[int, Any], kinds: dict[str, Any], filename: str
) -> None:
    """A helper of the user's that writes into an array it was given changes
    the caller's array in Python; its derivative works on its own copy, and
    the caller's derivative reads its arrays as they were. Refused at the call."""
    for s in statements(ssa.body):
        op = ops.get(id(s)) if isinstance(s, gast.Assign) else None
        if op is None or op.kind != "user":
            continue
        hit = called_writes(s.value, op.callee, kinds, CALLEES)
        if hit is not None:
            what = getattr(op.callee, "__name__", "the function")
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate this call to `{what}`: it writes into its argument `{hit[1]}` "
                f"({hit[2]}), which in Python changes the caller's array, a change the derivative cannot follow",
                Location(filename, s.lineno, s.col_offset or 0),
                f"let `{what}` write into its own copy (`{hit[1]} = {hit[1]}.copy()` first) and return the result, "
                "or make the change in the function you differentiate",
            )


def _bind_statics(pf: ParsedFunction, arg_kinds: dict[str, Any]) -> set[str]:
    """Bind each parameter whose kind is a function (:mod:`analysis.statics`)
    to that function, as a name of the closure: calls through it resolve to
    it. The generated code keeps the parameter (the caller passes the same
    function, which the cache key guarantees). Returns the bound names."""
    args = pf.node.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    statics = {p: k.value for p, k in arg_kinds.items() if is_function_kind(k) and p in params}
    try:  # a function default the call leaves out (act=np.tanh) is bound too
        defaults = inspect.signature(pf.fn).parameters.values()
    except (TypeError, ValueError):
        defaults = []  # type: ignore[assignment]
    for v in defaults:
        if v.name in params and v.name not in arg_kinds and is_function_value(v.default):
            statics[v.name] = v.default
    if statics:
        pf.closure = {**pf.closure, **statics}  # a new dict: a lifted function's closure is shared
    return set(statics)


def _function_arguments(
    ssa: gast.FunctionDef, ops: dict[int, Any], resolver: Resolver, known: dict[str, Any]
) -> dict[str, Kind]:
    """Kinds of the free names passed to user functions that denote
    functions (``ode(step, y0)``, a lambda lifted to a name): the callee is
    specialised to them, and its cache key holds them."""
    found: dict[str, Kind] = {}
    for s in statements(ssa.body):
        op = ops.get(id(s))
        if op is None or op.kind != "user":
            continue
        call = op.args["call"]
        for a in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(a, (gast.Name, gast.Attribute)) and resolver.is_global(a):
                text = dotted(a)
                if text in known:
                    continue
                ok, value = resolver.value_of(a)
                if ok and is_function_value(value):
                    found[text] = fn_kind(value)
    return found


def expand_starred(
    body: list[gast.stmt], kinds: dict[str, Any], namer: Namer, ops: dict[int, Any], resolver: Resolver,
    pf: ParsedFunction,
) -> bool:
    """``z = f(a, *xs)`` with ``xs`` a tuple of known length (its kind says
    how many items) -> ``t1 = xs[0]; t2 = xs[1]; z = f(a, t1, t2)``: the
    parameters each value fills are then known. A list, whose length the
    kinds do not give, is refused. Returns whether anything changed."""
    changed = False
    k = 0
    while k < len(body):
        s = body[k]
        for block in (getattr(s, "body", None), getattr(s, "orelse", None)):
            if isinstance(block, list) and not isinstance(s, gast.FunctionDef):
                changed |= expand_starred(block, kinds, namer, ops, resolver, pf)
        call = s.value if isinstance(s, (gast.Assign, gast.Expr)) else None
        if not (isinstance(call, gast.Call) and any(isinstance(a, gast.Starred) for a in call.args)):
            k += 1
            continue
        before: list[gast.stmt] = []
        args: list[gast.expr] = []
        for a in call.args:
            if not isinstance(a, gast.Starred):
                args.append(a)
                continue
            items = tuple_items(kinds.get(a.value.id)) if isinstance(a.value, gast.Name) else None
            if items is None:
                raise UnsupportedSyntaxError(
                    "s2sad cannot tell how many arguments this *-expression passes (the length of "
                    f"`{namer.user_name(a.value.id) if isinstance(a.value, gast.Name) else '...'}` is not known "
                    "when the derivative is built: a list, or a value of unknown kind)",
                    pf.location(a), "pass a tuple (e.g. tuple(xs)), or the arguments one by one",
                )
            for i in range(len(items)):
                t = namer.temp()
                item = gast.copy_location(assign(t, gast.Subscript(value=name(a.value.id), slice=const(i),
                                                                   ctx=gast.Load())), s)
                ops[id(item)] = resolver.op(item.value)
                before.append(item)
                args.append(name(t))
        call.args = args
        if isinstance(s, gast.Assign):
            ops[id(s)] = resolver.op(call)
        body[k:k] = before
        k += len(before) + 1
        changed = True
    return changed


def resolve_methods(
    ssa: gast.FunctionDef, kinds: dict[str, Any], ops: dict[int, Any], resolver: Resolver, pf: ParsedFunction
) -> bool:
    """``z = layer.forward(x)`` where ``layer``'s kind is an object of a user
    class ``Layer`` -> ``z = Layer_forward(layer, x)``: a call to the class's
    own function (a user function, followed), bound to a fresh name of the
    closure and guarded (``Layer.forward = ...`` makes the derivative stale).
    Returns whether anything changed."""
    changed = False
    for s in statements(ssa.body):
        call = s.value if isinstance(s, gast.Assign) else None
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and isinstance(call.func.value, gast.Name) and call.func.value.id in resolver.locals):
            continue
        cls = class_of(kinds.get(call.func.value.id))
        if cls is None:
            continue
        attr = call.func.attr
        owner = next((k for k in cls.__mro__ if attr in vars(k)), None)
        fn = vars(owner).get(attr) if owner is not None else None
        if not inspect.isfunction(fn) or hides_method(cls, attr):
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate the call to .{attr}() of a {cls.__name__}: it is not a plain method "
                "defined in Python, or its objects may hold their own (a static or class method, a property, "
                f"`self.{attr} = ...` in the class's code)",
                pf.location(call), f"call a plain method of {cls.__name__}, or a module-level function",
            )
        pf.guards.append((vars(owner), attr, fn))
        fresh = f"{cls.__name__}_{attr}"
        k = 0
        while fresh in resolver.locals or (resolver.pf.resolve_root(fresh)[0] and pf.closure.get(fresh) is not fn):
            k += 1
            fresh = f"{cls.__name__}_{attr}_{k}"
        pf.closure[fresh] = fn
        call.args = [name(call.func.value.id), *call.args]
        call.func = name(fresh)
        ops[id(s)] = resolver.op(call)
        changed = True
    return changed


def refuse_nonlocal_mutation(
    ssa: gast.FunctionDef, ops: dict[int, Any], resolver: Any, filename: str, kinds: dict[str, Any] | None = None
) -> None:
    """The reverse sweep reads globals (and what re-run callees read) after
    the whole forward sweep: a call that changes memory the function did not
    make — a global array, a global list, an object's state — would make it
    read other values than the forward sweep did. Refused, whatever the
    call's arguments (the alias analysis refuses writes into globals written
    in the function itself; an array argument written is copied first)."""
    for s in statements(ssa.body):
        call = s.value if isinstance(s, (gast.Assign, gast.Expr)) else None
        if not isinstance(call, gast.Call):
            continue
        op = ops.get(id(s))
        why = None
        if op is not None and op.kind == "user":
            why = mutation(op.callee, _call_statics(op, kinds or {}))
            what = getattr(op.callee, "__name__", "the function")
        else:
            func = call.func
            if changes_global(func, resolver, arrays_only=True) or (
                changes_global(func, resolver) and _read_elsewhere(ssa, func.value, resolver)
            ):
                why = f"it changes the global `{spelling(func.value)}` (.{func.attr}())"
            else:
                ok, obj = resolver.value_of(func)
                why = call_mutation(obj, spelling(func)) if ok else None
            what = spelling(call.func)
        if why is not None:
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate this call to {what} in reverse mode: {why}, and the reverse "
                "sweep reads such values after the forward sweep, so it would see the changed ones",
                Location(filename, s.lineno, s.col_offset or 0),
                "make the change outside the function you differentiate, or pass the changing value in as an "
                "argument (forward mode, s2sad.jvp, runs the function once and allows it)",
            )


def _call_statics(op: Any, kinds: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The callee's parameters a user call binds to functions."""
    try:
        bound = bind_call(op.callee, op.args["call"], None)
    except Exception:  # a bad call is reported by the transform, with its location
        return ()
    return statics_of(with_defaults(op.callee, {p: kind_of_atom(node, kinds) for p, node in bound.items()}))


def _read_elsewhere(ssa: gast.FunctionDef, receiver: gast.expr, resolver: Any) -> bool:
    """Does the function read the global ``receiver`` (a list, dict or set it
    changes) other than as the object of a changing method call?"""
    ok, target = resolver.value_of(receiver)
    receivers = set()
    for n in walk(ssa):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr in MUTATORS:
            receivers.add(id(n.func.value))
    for n in walk(ssa):
        if isinstance(n, (gast.Name, gast.Attribute)) and id(n) not in receivers and isinstance(n.ctx, gast.Load):
            found, obj = resolver.value_of(n)
            if found and obj is target:
                return True
    return False


def compile_lifted(pf: ParsedFunction, lifted: dict[str, tuple[gast.FunctionDef, list[str]]]) -> None:
    """Compile each lifted nested function into a Python function the
    generated code calls, and make it visible to the resolver."""
    for fname, (node, _free) in lifted.items():
        text = render_function(node, {})
        filename = f"<s2sad: {fname} lifted from {pf.node.name} ({pf.filename}:{node.lineno})>"
        fn = compile_function(text, fname, filename, pf.globals, dict(pf.closure))
        pf.closure[fname] = fn
        register_lifted(fn, ParsedFunction(fn, node, pf.filename, pf.globals, pf.closure))


# what analysing a call needs of the prepare stage (analysis.mutation stands below this module)
CALLEES = Callees(front, with_defaults, default_kind)
