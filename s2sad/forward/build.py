"""Forward mode, end to end: parse -> normalize -> SSA -> resolve + analyses
-> :class:`~s2sad.forward.transform.ForwardTransform` -> codegen.

:func:`build_forward` takes a user's function, or a :class:`Derivative`
s2sad generated (a gradient, a jvp): forward mode over a gradient gives
Hessian-vector products, over a jvp higher derivatives. Generated code is
read from its own source text, with the runtime helpers it was compiled with.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import gast

from .. import pipeline, runtime
from ..analysis.activity import infer_kinds, statements, varied_names
from ..analysis.resolve import Op, Resolver
from ..codegen.emit import compile_function, expr_source, render_function
from ..errors import Location, NoRuleError, OutputError, UnsupportedSyntaxError
from ..frontend.parse import ParsedFunction, parse_function, parse_source
from ..ir.naming import Namer
from ..ir.normalize import Normalizer, local_names, name
from ..ir.ssa import to_ssa
from ..pipeline import Derivative, _injected
from ..rules.runtime_rules import RUNTIME_RULES
from .transform import ForwardTransform, pop_receiver, stack_modes

GENERATED_PREFIX = "<s2sad"


class ForwardResolver(Resolver):
    """The resolver of reverse mode, plus what generated code calls: the
    runtime helpers (rules of :mod:`s2sad.rules.runtime_rules`) and the tape's
    ``.pop()``."""

    def __init__(self, pf: ParsedFunction, locals_: set[str], stacks: dict[str, str]):
        super().__init__(pf, locals_)
        self.stacks = stacks

    def call(self, call: gast.Call) -> Op:
        lst = pop_receiver(call)
        if lst is not None and lst in self.stacks:
            # a paired tape restores an earlier value of the target: its
            # activity is that of the target's other definitions
            if self.stacks[lst] == "paired":
                return Op("inactive")
            return Op("copy", args={"x": name(lst)})
        func = call.func
        if not (isinstance(func, gast.Attribute) and not self.is_global(func)):
            ok, obj = self.value_of(func)
            if ok:
                rule = RUNTIME_RULES.lookup(obj)
                if rule is not None:
                    return self._bind(rule, list(call.args), call.keywords, call)
                if RUNTIME_RULES.is_inactive(obj):
                    return Op("inactive")
                if getattr(obj, "__module__", None) == runtime.__name__:
                    raise NoRuleError(
                        f"s2sad has no forward rule for its runtime helper {obj.__name__}",
                        self.pf.location(call),
                        "differentiate the original function instead of generated code that calls this helper",
                    )
        return super().call(call)


def parse_generated(d: Derivative) -> ParsedFunction:
    """The tree of generated code, read from its source text, with the
    globals and helpers it was compiled with."""
    fn = d.fn
    node = parse_source(d.source).body[0]
    assert isinstance(node, gast.FunctionDef)
    for sub in gast.walk(node):
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


def _parse(target: Callable[..., Any] | Derivative) -> tuple[ParsedFunction, bool]:
    """The function's tree, and whether it is code s2sad generated."""
    if isinstance(target, Derivative):
        return parse_generated(target), True
    pf = parse_function(target)
    return pf, pf.filename.startswith(GENERATED_PREFIX)


_building = threading.local()
_callee_cache: dict[tuple, tuple[Any, Derivative]] = {}
_callee_lock = threading.RLock()


def build_forward(
    target: Callable[..., Any] | Derivative, wrt: tuple[str, ...], arg_kinds: dict[str, str | None]
) -> Derivative:
    """Generate ``<f>_jvp(args..., <wrt>_dot...) -> (value, tangent)``.

    ``target`` is a Python function or a :class:`Derivative` (generated code).
    The tangent parameters follow ``f``'s own; when some of those have
    defaults or are keyword-only, the tangents are keyword-only.

    >>> import numpy as np
    >>> def f(x, y):
    ...     return np.sin(x) * y
    >>> d = build_forward(f, ("x",), {"x": "scalar", "y": "scalar"})
    >>> print(d.source, end="")
    def f_jvp(x, y, x_dot):
        t1 = np.sin(x)
        t1_dot = x_dot * np.cos(x)
        y_1 = t1 * y
        y_1_dot = t1_dot * y
        return y_1, y_1_dot
    >>> [float(v) for v in d.fn(0.0, 2.0, 1.0)]
    [0.0, 2.0]
    """
    stack = getattr(_building, "stack", None)
    if stack is None:
        stack = _building.stack = []
    stack.append(target.fn if isinstance(target, Derivative) else target)
    try:
        return _build_forward(target, wrt, arg_kinds)
    finally:
        stack.pop()


def _build_forward(
    target: Callable[..., Any] | Derivative, wrt: tuple[str, ...], arg_kinds: dict[str, str | None]
) -> Derivative:
    pf, generated = _parse(target)
    namer = Namer.for_function(pf.node)
    rename, injected = _injected(pf, namer)
    normalizer = Normalizer(pf.node, namer, pf.filename)
    core = normalizer.run()
    _lift(pf, normalizer)
    _private_loop_targets(core.body, namer)
    ssa = to_ssa(core, namer)
    stacks = stack_modes(ssa, generated)
    resolver = ForwardResolver(pf, local_names(ssa), stacks)
    ops = {}
    for s in statements(ssa.body):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            ops[id(s)] = resolver.op(s.value)
    if not generated:  # generated code writes only into buffers of its own
        _check_writes(ssa, ops, resolver, pf.filename)
    varied = _varied(ssa, list(wrt), ops, resolver, stacks)
    kinds = _kinds(ssa, arg_kinds, ops)
    if not generated:
        _check_shared_updates(ssa, ops, kinds, normalizer, pf)
    ret = ssa.body[-1]
    assert isinstance(ret, gast.Return)
    if isinstance(ret.value, gast.Constant) and ret.value.value is None:
        raise OutputError(
            f"{pf.node.name} returns nothing, so it has no derivative", pf.location(pf.node), "return a value"
        )
    callees = {id(d.fn): d for d in getattr(target, "callees", {}).values()}
    called: dict[int, str] = {}

    def callee(fn: Any, cwrt: tuple[str, ...], ckinds: dict[str, Any], where: Location) -> tuple[str, tuple[str, ...]]:
        d = _callee_forward(callees.get(id(fn), fn), cwrt, ckinds, where)
        if id(d) not in called:
            called[id(d)] = namer.claim(d.name)
            injected[called[id(d)]] = d.fn
        return called[id(d)], tangent_parameters(d, len(cwrt))

    transform = ForwardTransform(
        ssa, ops, varied, kinds, namer, rename, stacks, pf.filename,
        resolve=lambda f: resolver.value_of(f)[1], callee=callee,
    )  # fmt: skip
    body, tangent = transform.run(list(wrt))
    body.append(gast.Return(value=gast.Tuple(elts=[ret.value, tangent], ctx=gast.Load())))
    args = ssa.args
    tangents = [name(namer.tangent(w), gast.Param) for w in wrt]
    # after parameters with defaults or keyword-only ones, the tangents are keyword-only
    by_keyword = bool(args.defaults or args.kwonlyargs)
    new_args = gast.arguments(
        args=list(args.args) + ([] if by_keyword else tangents),
        posonlyargs=list(args.posonlyargs),
        vararg=None,
        kwonlyargs=list(args.kwonlyargs) + (tangents if by_keyword else []),
        kw_defaults=list(args.kw_defaults) + ([None] * len(tangents) if by_keyword else []),
        kwarg=None,
        defaults=list(args.defaults),
    )
    fname = namer.claim(pf.node.name + "_jvp")
    gen = gast.FunctionDef(
        name=fname, args=new_args, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    source = _render(gen)
    filename = f"{GENERATED_PREFIX}: jvp of {pf.node.name} ({pf.filename}:{pf.node.lineno})>"
    values = dict(pf.closure)
    values.update(injected)
    compiled = compile_function(source, fname, filename, pf.globals, values, _cells(pf))
    output = ret.value.id if isinstance(ret.value, gast.Name) else "y"
    result = Derivative(compiled, source, fname, output)
    if hasattr(result, "filename"):
        result.filename = filename
    return result


def _kinds(ssa: gast.FunctionDef, arg_kinds: dict[str, str | None], ops: dict[int, Op]) -> dict[str, Any]:
    """The kinds analysis, told the kinds of what user functions return where
    the pipeline can say."""
    output_kind = getattr(pipeline, "output_kind", None)
    if output_kind is not None and len(inspect.signature(infer_kinds).parameters) > 3:
        return infer_kinds(ssa, arg_kinds, ops, output_kind)
    return infer_kinds(ssa, arg_kinds, ops)


def tangent_parameters(d: Derivative, n: int) -> tuple[str, ...]:
    """The names of the ``n`` tangent parameters of a generated jvp (its last ones)."""
    return tuple(list(inspect.signature(d.fn).parameters)[-n:])


def _callee_forward(
    fn: Callable[..., Any] | Derivative, wrt: tuple[str, ...], kinds: dict[str, Any], where: Location
) -> Derivative:
    """The jvp of a function the code calls (built once per wrt and kinds)."""
    plain = fn.fn if isinstance(fn, Derivative) else fn
    if plain in getattr(_building, "stack", []):
        raise UnsupportedSyntaxError(
            f"s2sad cannot differentiate the recursive call to {plain.__name__}",
            where,
            "rewrite the recursion as a loop",
        )
    key = (id(fn), getattr(plain, "__code__", None), wrt, tuple(sorted(kinds.items())))
    with _callee_lock:
        hit = _callee_cache.get(key)
        if hit is None or hit[0] is not fn:  # the entry holds fn, so its id stays its own
            hit = _callee_cache[key] = (fn, build_forward(fn, wrt, kinds))
    return hit[1]


def _lift(pf: ParsedFunction, normalizer: Normalizer) -> None:
    """Compile the nested functions and lambdas normalize lifted out, as
    reverse mode does, so that calls to them resolve."""
    lifted = getattr(normalizer, "lifted", None)
    if not lifted:
        return
    compile_lifted = getattr(pipeline, "_compile_lifted", None)
    if compile_lifted is None:  # pragma: no cover - depends on the pipeline's version
        raise UnsupportedSyntaxError(
            "s2sad's forward mode cannot differentiate nested functions or lambdas yet",
            pf.location(pf.node),
            "define the helper at module level",
        )
    compile_lifted(pf, lifted)


def _check_shared_updates(
    ssa: gast.FunctionDef, ops: dict[int, Op], kinds: dict[str, Any], normalizer: Normalizer, pf: ParsedFunction
) -> None:
    """Reverse mode's refusal of ``x += v`` on an array another name shares
    (normalize makes it ``x = x + v``, which the other name would not see)."""
    try:
        from ..analysis.mutation import check_updates
    except ImportError:  # pragma: no cover - older trees check in the pipeline
        check = getattr(pipeline, "_check_shared_updates", None)
        updates = getattr(normalizer, "shared_updates", None)
        if check is not None and updates is not None:
            check(ssa, kinds, updates, pf)
        return
    check_updates(ssa, ops, kinds, getattr(normalizer, "updates", []), pf.filename)


def _varied(
    ssa: gast.FunctionDef, wrt: list[str], ops: dict[int, Op], resolver: Resolver, stacks: dict[str, str]
) -> set[str]:
    """The varied names, also through ``add_at(buffer, idx, v)`` (generated
    code's in-place accumulation): ``buffer`` is varied when ``v`` is; and
    through a list's other names (``M = L`` then ``M.append(v)``: both are)."""
    adds = []
    mutated = set(stacks) | {
        s.targets[0].value.id
        for s in statements(ssa.body)
        if isinstance(s, gast.Assign)
        and isinstance(s.targets[0], gast.Subscript)
        and isinstance(s.targets[0].value, gast.Name)
    }
    for s in statements(ssa.body):
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and len(s.value.args) == 3:
            buffer, _, v = s.value.args
            if isinstance(buffer, gast.Name) and resolver.value_of(s.value.func)[1] is runtime.add_at:
                adds.append((buffer.id, {n.id for n in gast.walk(v) if isinstance(n, gast.Name)}))
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name):
            pair = {s.targets[0].id, s.value.id}
            if pair & mutated:
                adds += [(a, {b}) for a, b in (tuple(pair), tuple(pair)[::-1]) if len(pair) == 2]
    seeds = list(wrt)
    while True:
        varied = varied_names(ssa, seeds, ops)
        more = [b for b, vs in adds if vs & varied and b not in varied]
        if not more:
            return varied
        seeds += more


def _private_loop_targets(body: list[gast.stmt], namer: Namer) -> None:
    """Give a ``for`` loop's target a name of its own when nothing reads it
    after the loop. (Two loops over ``i`` in the two branches of different
    ``if`` statements, as a generated gradient with an early return has,
    otherwise lead SSA to copy an ``i`` that one path never defined.)"""
    loops: list[tuple[gast.For, list[gast.stmt]]] = []  # each loop, and what runs after it

    def walk(stmts: list[gast.stmt], after: list[gast.stmt]) -> None:
        for k, s in enumerate(stmts):
            rest = stmts[k + 1 :] + after
            if isinstance(s, gast.For):
                loops.append((s, rest))
                walk(s.body, rest + [s])  # an enclosing loop runs its body again
            elif isinstance(s, gast.While):
                walk(s.body, rest + [s])
            elif isinstance(s, gast.If):
                walk(s.body, rest)
                walk(s.orelse, rest)

    walk(body, [])
    stores: dict[str, int] = {}
    for s in body:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                stores[n.id] = stores.get(n.id, 0) + 1
    for loop, after in loops:
        target = loop.target
        if not isinstance(target, gast.Name) or stores.get(target.id, 0) < 2:
            continue  # a name bound once needs no name of its own
        outside = {id(n) for n in gast.walk(loop)}
        read_after = any(
            isinstance(n, gast.Name) and n.id == target.id and isinstance(n.ctx, gast.Load) and id(n) not in outside
            for s in after
            for n in gast.walk(s)
        )
        if not read_after:
            old, fresh = target.id, namer.version(target.id)
            for n in gast.walk(loop):
                if isinstance(n, gast.Name) and n.id == old:
                    n.id = fresh


def _render(fn: gast.FunctionDef) -> str:
    """The source of ``fn``, its ``def`` line written out here on one line
    (the unparser wraps a long one)."""
    bare = gast.arguments(args=[], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    stub = gast.FunctionDef(
        name=fn.name, args=bare, body=fn.body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    body = render_function(stub, {}).split("\n", 1)[1]
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


def _check_writes(ssa: gast.FunctionDef, ops: dict[int, Op], resolver: Resolver, filename: str) -> None:
    """The reverse pipeline's check of array writes, where it exists."""
    try:
        from ..analysis.mutation import check_writes
    except ImportError:  # pragma: no cover - older trees refuse writes in the transform
        return
    check_writes(ssa, ops, resolver, filename)


def _cells(pf: ParsedFunction) -> dict[str, Any]:
    """The user's own closure cells, by name (shared, so later changes are seen)."""
    fn = pf.fn
    if not getattr(fn, "__closure__", None):
        return {}
    return dict(zip(fn.__code__.co_freevars, fn.__closure__))
