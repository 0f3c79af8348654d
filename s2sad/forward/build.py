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

from .. import runtime
from ..analysis.activity import statements, varied_names
from ..analysis.resolve import Op, Resolver, refuse_varied_opaque
from ..codegen.emit import compile_function, expr_source, render_function
from ..errors import Location, NoRuleError, UnsupportedSyntaxError
from ..frontend.parse import ParsedFunction, parse_function, parse_source
from ..ir.core import name
from ..pipeline import Derivative, closure_cells, entry_check, front, note_copies, share_defaults
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
    if isinstance(target, Derivative):
        _refuse_kept_calls(target)
    pf, generated = _parse(target)
    stacks: dict[str, str] = {}

    def resolver_for(p: ParsedFunction, names: set[str], ssa: gast.FunctionDef) -> Resolver:
        stacks.update(stack_modes(ssa, generated))
        return ForwardResolver(p, names, stacks)

    f = front(pf, arg_kinds, resolver_for, checks=not generated, list_aliases=True)
    namer, rename, injected, ssa, ops, kinds, resolver = f.namer, f.rename, f.injected, f.ssa, f.ops, f.kinds, f.resolver
    varied = _varied(ssa, list(wrt), ops, resolver, stacks)
    refuse_varied_opaque(ssa, ops, varied, pf.filename, effects=not generated, kinds=kinds)  # generated code: add_at, tapes
    ret = ssa.body[-1]
    callees = {id(d.fn): d for d in getattr(target, "callees", {}).values()}
    called: dict[int, str] = {}
    depends: dict[int, Derivative] = {}

    def callee(fn: Any, cwrt: tuple[str, ...], ckinds: dict[str, Any], where: Location) -> tuple[str, tuple[str, ...]]:
        d = _callee_forward(callees.get(id(fn), fn), cwrt, ckinds, where)
        if id(d) not in called:
            depends[id(d)] = d
            called[id(d)] = namer.claim(d.name)
            injected[called[id(d)]] = d.fn
        return called[id(d)], tangent_parameters(d, len(cwrt))

    transform = ForwardTransform(
        ssa, ops, varied, kinds, namer, rename, stacks, pf.filename,
        resolve=lambda f: resolver.value_of(f)[1], callee=callee,
    )  # fmt: skip
    body, tangent = transform.run(list(wrt))
    comments: dict[int, str] = {}
    note_copies(f, body, comments)
    body = entry_check(f, rename) + body
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
    source = _render(gen, comments)
    filename = f"{GENERATED_PREFIX}: jvp of {pf.node.name} ({pf.filename}:{pf.node.lineno})>"
    values = dict(pf.closure)
    values.update(injected)
    compiled = compile_function(source, fname, filename, pf.globals, values, closure_cells(pf))
    share_defaults(pf, compiled)
    output = ret.value.id if isinstance(ret.value, gast.Name) else "y"
    if isinstance(target, Derivative):  # forward mode over generated code: stale when that code is
        depends[id(target)] = target
    return Derivative(compiled, source, fname, output, filename=filename, user_file=pf.filename,
                      guards=pf.bindings(), depends=tuple(depends.values()))


def _refuse_kept_calls(d: Derivative) -> None:
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
        if hit is None or hit[0] is not fn or not hit[1].valid():  # the entry holds fn, so its id stays its own
            hit = _callee_cache[key] = (fn, build_forward(fn, wrt, kinds))
    return hit[1]


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


def _render(fn: gast.FunctionDef, comments: dict[int, str] | None = None) -> str:
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
