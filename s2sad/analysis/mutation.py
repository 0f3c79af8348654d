"""Which mutations s2sad can differentiate: writes ``y[i] = v``, augmented
assignments ``x += v`` on arrays, and ``lst.append(v)``.

The transforms treat every name as a value: a write ``y[i] = v`` makes a new
version of ``y``, ``x += v`` is differentiated as ``x = x + v``. That is
Python's meaning only when nothing else sees the memory changed. This module
decides it with a *may-alias* analysis over the SSA core, conservative by
construction: what it cannot prove unaliased is aliased.

Memory objects are allocation sites (an array or a list the function makes:
``np.zeros``, ``x.copy()``, arithmetic, a NumPy function known to return new
memory, a list literal), each argument, and ``?`` (a global, or whatever code
s2sad does not know returns: it may alias any argument, any global and any of
the function's objects that escaped into such code). For each name,
:func:`analyse` finds the objects it may refer to (its own, and through the
items of containers): through copies, branch merges and loop-carried names
(fixpoint), containers (literals, ``append``, items read back), views (basic
indexing, ``.T``, ``reshape``, ``np.asarray``, ``astype(copy=False)``...;
fancy indexing copies), and calls (a NumPy function not known to return
new memory may return a view of its arguments; a helper's result may alias
its arguments and ``?``, unless :func:`returns_fresh` proves it new).

A user function's result is a fresh allocation when :func:`returns_fresh`
proves it from the callee's own analysis (recursively through its callees;
a cycle is "not fresh"): every object the returned array may be (or view)
is an array the callee allocated, none is an argument, a global, an item of
an argument, or what unknown code returned, and none is kept where the
caller could see it (put into an argument's or a global container, passed
to unknown code, in a closure). A returned tuple is judged item by item
(disjoint fresh arrays), and reading item ``k`` of it gives that array alone.

:func:`check_mutations` then accepts a write or an in-place update only into
an array the function provably owns (every object it may refer to is an
array allocated here, and the name is not a view or an item), and only when
no *other* name that may see that array, and was made before the change, is
read after it (a flow-sensitive walk that tells the array made in this
iteration of a loop from the ones made in earlier iterations). Writes into
globals or views, a list changed under two names and calls that may change
an array for their effect are refused with a hint. An array argument
written into (``x[i] = v``, ``x += v``: :func:`written_arguments`) is first
given its own copy by the pipeline (``x = x.copy()``), after which it is an
array the function made; a call to a user function that writes into its
argument (:func:`writes_argument`) is refused by the pipeline.

The reverse sweep reads primal values as they were: a name that may see an
array written later gets that array restored (:meth:`Memory.observed`, used
by the reverse transform), so the transform and this analysis agree on what
aliases what.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import gast
import numpy as np

from ..errors import Location, UnsupportedSyntaxError
from ..frontend.parse import parse_function
from ..frontend.varargs import bind_call
from ..ir.core import unparse, walk
from ..ir.kinds import (
    INT,
    NUMERIC,
    SCALAR,
    SHAPE,
    is_array,
    is_container,
    is_list,
    is_tuple,
    maybe_container,
    tuple_items,
)
from ..rules.table import RULES
from ..runtime import dict_key
from .activity import index_kind, kind_of_atom, statements
from .resolve import LOOP_ITEM, Op, Resolver

FOREIGN = "?"  # a global, or what unknown code returns


@dataclass(frozen=True)
class Callees:
    """What analysing a call to a user function needs from the pipeline,
    which stands above this analysis and hands it down (so that this module
    does not import it): its front half run on the callee
    (``front(parsed, kinds, checks=...)``), a call's argument kinds with the
    callee's defaults, and the kind of a value."""

    front: Callable[..., Any]
    with_defaults: Callable[[Any, dict[str, Any]], dict[str, Any]]
    kind_of_value: Callable[[Any], Any]

# NumPy functions whose result is new memory (ufuncs too, without out=)
FRESH_FUNCTIONS = {
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.array, np.copy, np.arange, np.eye, np.identity, np.linspace, np.amax, np.amin, np.max, np.min,
    np.sum, np.mean, np.prod, np.std, np.var, np.average, np.nansum, np.nanmean, np.clip, np.cumsum,
    np.cumprod, np.diff, np.dot, np.inner, np.outer, np.vdot, np.tensordot, np.trace, np.concatenate,
    np.stack, np.hstack, np.vstack, np.column_stack, np.repeat, np.tile, np.roll, np.tril, np.triu,
    np.where, np.sort, np.argsort, np.argmax, np.argmin, np.nonzero, np.count_nonzero, np.all, np.any,
    np.allclose, np.array_equal, np.round, np.around, np.cross, np.kron, np.sinc, np.linalg.inv,
    np.linalg.det, np.linalg.norm, np.linalg.slogdet, np.linalg.solve, np.linalg.cholesky, np.shape,
    np.ndim, np.size, np.isscalar,
}  # fmt: skip
_FRESH_IDS = {id(f) for f in FRESH_FUNCTIONS}


def _diff_may_return_input(call: gast.Call) -> bool:
    """``np.diff(a, n=0)`` returns ``a`` itself: new memory only for an
    order ``n`` known not to be 0."""
    n = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "n"), None)
    return n is not None and not (isinstance(n, gast.Constant) and type(n.value) is int and n.value != 0)


# fresh functions that return (a view of) an argument for some arguments
_FRESH_UNLESS = {id(np.diff): _diff_may_return_input}


def _returns_input(obj: Any, call: gast.Call) -> bool:
    check = _FRESH_UNLESS.get(id(obj))
    return check is not None and check(call)
_FRESH_BUILTINS = {len, range, float, int, bool, abs, round, pow, isinstance, type, sum, complex, str}
_FRESH_METHODS = {
    "copy", "sum", "mean", "max", "min", "prod", "std", "var", "dot", "clip", "flatten", "argmax", "argmin",
    "argsort", "nonzero", "all", "any", "item", "cumsum", "cumprod", "round", "tolist", "astype", "index",
    "count",
}  # fmt: skip
_NO_MEMORY_ATTRS = {"shape", "ndim", "size", "dtype", "nbytes", "itemsize"}


@dataclass
class Memory:
    """What :func:`analyse` found (flow-insensitive: over every definition)."""

    pts: dict[str, set[str]] = field(default_factory=dict)  # name -> objects it may be (or be a view of)
    contents: dict[str, set[str]] = field(default_factory=dict)  # container object -> objects of its items
    partial: set[str] = field(default_factory=set)  # names that may be a view, an item or foreign
    sites: dict[str, str] = field(default_factory=dict)  # object made here -> "array" | "container"
    site_of: dict[int, str] = field(default_factory=dict)  # id(statement) -> the object it makes
    escaped: set[str] = field(default_factory=set)  # objects unknown code may keep
    flows: dict[int, set[str]] = field(default_factory=dict)  # id(def) -> names whose memory it takes
    items_of: dict[int, str] = field(default_factory=dict)  # id(def) -> container it reads an item of
    how: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (relation, source) for messages
    updates: dict[int, tuple[str, str]] = field(default_factory=dict)  # id(x = x op v) -> (user name, op)
    writes: dict[str, list[gast.Assign]] = field(default_factory=dict)  # name written into -> its writes
    names: set[str] = field(default_factory=set)
    extra_sites: dict[int, list[str]] = field(default_factory=dict)  # id(def) -> more objects it makes (tuple items)
    fresh_items: dict[str, dict[int, str]] = field(default_factory=dict)  # tuple object -> index -> fresh item
    precise_items: set[int] = field(default_factory=set)  # id(z = t[k]) reading one item of a helper's tuple
    callee_of: dict[str, str] = field(default_factory=dict)  # name -> the helper whose result it is (messages)
    kinds: dict[str, Any] = field(default_factory=dict)  # the kinds analyse was given (messages)
    dicts: set[str] = field(default_factory=set)  # container objects that are dicts (messages)
    _reach: dict[str, frozenset[str]] = field(default_factory=dict)

    def reach(self, n: str) -> frozenset[str]:
        """The objects ``n`` may refer to, itself or through items."""
        hit = self._reach.get(n)
        if hit is None:
            todo, seen = list(self.pts.get(n, ())), set()
            while todo:
                o = todo.pop()
                if o not in seen:
                    seen.add(o)
                    todo.extend(self.contents.get(o, ()))
            hit = self._reach[n] = frozenset(seen)
        return hit

    def items(self, n: str) -> set[str]:
        out: set[str] = set()
        for o in self.pts.get(n, ()):
            out |= self.contents.get(o, set())
            if o == FOREIGN or o.startswith("arg:"):
                out.add(o)  # an item of an argument (or a global) is the caller's: it is (part of) that object
        return out

    def sees(self, n: str, objects: set[str]) -> bool:
        r = self.reach(n)
        return bool(r & objects) or (FOREIGN in r and bool(objects & self.escaped))

    def owned(self, n: str) -> bool:
        """Is ``n`` always a whole array the function allocated?"""
        p = self.pts.get(n, set())
        return bool(p) and n not in self.partial and all(self.sites.get(o) == "array" for o in p)

    def observed(self, n: str) -> set[str]:
        """Names written into (``y[i] = v``) whose memory ``n`` may see."""
        return {y for y in self.writes if y != n and self.sees(n, self.pts.get(y, set()))}


def analyse(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    kinds: dict[str, Any],
    resolver: Resolver,
    updates: list[tuple[int, int, str, str]] = (),  # type: ignore[assignment]
    user_name: Callable[[str], str] = lambda n: n,
    callees: Callees | None = None,
) -> Memory:
    """The may-alias facts of ``fn`` (see the module docstring). Without
    ``callees``, no user function's result is known to be fresh."""
    m = Memory(kinds=kinds)
    order = list(statements(fn.body))
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    for p in params:
        m.pts[p] = {f"arg:{p}"}
        m.partial.add(p)
    where = {(line, col): (user, op) for line, col, user, op in updates}
    for s in order:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.BinOp):
            hit = where.get((getattr(s, "lineno", None), getattr(s, "col_offset", None)))
            left = s.value.left
            if (
                hit is not None
                and isinstance(left, gast.Name)
                and user_name(left.id) == hit[0] == user_name(s.targets[0].id)
                and kinds.get(left.id) not in (SCALAR, INT)
            ):
                m.updates[id(s)] = hit
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and _dict_update(s) is not None:
            hit = where.get((getattr(s, "lineno", None), getattr(s, "col_offset", None)))
            if hit is not None and hit[1] == "[]" and user_name(_dict_update(s)) == hit[0]:
                m.updates[id(s)] = hit  # d["k"] = v, set as d = {**d, "k": v}: Python changes d in place
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):
            base = s.targets[0].value
            if isinstance(base, gast.Name):
                m.writes.setdefault(base.id, []).append(s)
    m.names = {n.id for n in walk(fn) if isinstance(n, gast.Name)}
    for k, s in enumerate(order):
        m.site_of[id(s)] = f"@{getattr(s, 'lineno', 0)}.{k}"
    a = _Analysis(fn, m, ops, kinds, resolver, callees)
    for _ in range(100):  # monotone over finite sets: a fixpoint is reached
        a.changed = False
        for s in order:
            a.stmt(s)
        if not a.changed:
            break
    m._reach.clear()
    return m


_fresh_cache: dict[tuple, bool | tuple[bool, ...]] = {}
_fresh_busy = threading.local()


def _per_callee(cache: dict, busy: threading.local, fn: Any, arg_kinds: dict[str, Any], compute: Any, default: Any) -> Any:
    """``compute(fn, arg_kinds)`` once per callee (and its code) and argument
    kinds; ``default`` for a recursive call (in this thread), an unhashable
    key, or a callee the analysis cannot read (its own build reports it)."""
    key = (fn, getattr(fn, "__code__", None), tuple(sorted(arg_kinds.items(), key=lambda kv: kv[0])))
    try:
        if key in cache:
            return cache[key]
    except TypeError:
        return default
    keys = getattr(busy, "keys", None)
    if keys is None:
        keys = busy.keys = set()
    if key in keys:
        return default
    keys.add(key)
    try:
        found = compute(fn, arg_kinds)
    except Exception:
        found = default
    finally:
        keys.discard(key)
    cache[key] = found
    return found


def returns_fresh(fn: Any, arg_kinds: dict[str, Any], callees: Callees | None) -> bool | tuple[bool, ...]:
    """Is what the user function ``fn`` returns, called with arguments of
    these kinds, a new array it keeps nowhere (True)? For a tuple, which of
    its items are (a tuple of bools). False whenever it cannot be proven:
    conservative by construction (see the module docstring)."""
    # whatever s2sad cannot analyse, and recursion, is not fresh
    if callees is None:
        return False
    return _per_callee(_fresh_cache, _fresh_busy, fn, arg_kinds, partial(_returns_fresh, callees=callees), False)


def _returns_fresh(fn: Any, arg_kinds: dict[str, Any], callees: Callees) -> bool | tuple[bool, ...]:


    f = callees.front(parse_function(fn), callees.with_defaults(fn, arg_kinds))  # with its checks: a callee s2sad refuses is not fresh
    m, ssa = f.memory, f.ssa
    assert m is not None
    for node in walk(ssa):
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            return False
        if isinstance(node, gast.Assign) and not all(isinstance(t, (gast.Name, gast.Subscript)) for t in node.targets):
            return False  # an attribute set: the object may be kept there
    ret = ssa.body[-1]
    if not (isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name)):
        return False
    # what the caller can reach other than through the result: the arguments,
    # globals, and what escaped into code s2sad does not know, with their items
    visible = {FOREIGN} | set(m.escaped) | {o for ps in m.pts.values() for o in ps if o.startswith("arg:")}
    todo = list(visible)
    while todo:
        for q in m.contents.get(todo.pop(), ()):
            if q not in visible:
                visible.add(q)
                todo.append(q)

    def fresh(objs: set[str] | frozenset[str]) -> bool:
        return bool(objs) and all(m.sites.get(o) == "array" for o in objs) and not objs & visible

    r = ret.value.id
    if is_array(f.kinds.get(r)):
        return fresh(m.reach(r))
    defs: dict[str, list[gast.expr]] = {}
    for st in statements(ssa.body):
        if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
            defs.setdefault(st.targets[0].id, []).append(st.value)

    def item(n: str, k: int, seen: frozenset[str]) -> set[str] | None:
        """The objects item ``k`` of the tuple ``n`` may be; None: not known."""
        if n in seen or not defs.get(n):
            return None
        out: set[str] = set()
        for v in defs[n]:
            if isinstance(v, gast.Tuple) and len(v.elts) > k and not any(isinstance(e, gast.Starred) for e in v.elts):
                e = v.elts[k]
                if not (isinstance(e, gast.Name) and e.id in f.resolver.locals and is_array(f.kinds.get(e.id))):
                    return None
                out |= m.reach(e.id)
            elif isinstance(v, gast.Name) and v.id in f.resolver.locals:
                got = item(v.id, k, seen | {n})
                if got is None:
                    return None
                out |= got
            else:
                return None
        return out

    first = next((v for v in defs.get(r, []) if isinstance(v, gast.Tuple)), None)
    if first is None or not is_tuple(f.kinds.get(r)):
        return False
    parts = [item(r, k, frozenset()) for k in range(len(first.elts))]
    verdict = []
    for k, objs in enumerate(parts):
        others = set().union(*(p or {FOREIGN} for j, p in enumerate(parts) if j != k))
        verdict.append(objs is not None and fresh(objs) and not objs & others)
    return tuple(verdict) if any(verdict) else False


class _Analysis:
    def __init__(
        self, fn: gast.FunctionDef, m: Memory, ops: dict[int, Op], kinds: dict[str, Any], resolver: Resolver,
        callees: Callees | None = None,
    ):
        self.m, self.ops, self.kinds, self.resolver, self.callees = m, ops, kinds, resolver, callees
        self.changed = False
        defs: dict[str, list[gast.expr]] = {}
        for s in statements(fn.body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                defs.setdefault(s.targets[0].id, []).append(s.value)
        # names only ever bound to a list literal: indexing with one copies
        self.lists = {n for n, vs in defs.items() if all(isinstance(v, gast.List) for v in vs)}

    # ------------------------------------------------------------ updating
    def add(self, table: dict[str, set[str]], key: str, objs: set[str] | frozenset[str]) -> None:
        cur = table.setdefault(key, set())
        if not objs <= cur:
            cur |= objs
            self.changed = True
            self.m._reach.clear()

    def mark_partial(self, n: str) -> None:
        if n not in self.m.partial:
            self.m.partial.add(n)
            self.changed = True

    def escape(self, objs: set[str] | frozenset[str]) -> None:
        mine = {o for o in objs if o in self.m.sites}
        if not mine <= self.m.escaped:
            self.m.escaped |= mine
            self.changed = True
            self.m._reach.clear()

    def site(self, s: gast.stmt, z: str, what: str = "array") -> str:
        o = self.m.site_of[id(s)]
        self.m.sites[o] = what
        self.add(self.m.pts, z, {o})
        return o

    def take(self, s: gast.stmt, z: str, names: set[str], objs: set[str] | frozenset[str], relation: str) -> None:
        """``z`` may be (a view of, an item of) ``objs``, which come from ``names``."""
        self.add(self.m.pts, z, objs)
        self.m.flows.setdefault(id(s), set()).update(names)
        self.mark_partial(z)
        if names and z not in self.m.how:
            self.m.how[z] = (relation, sorted(names)[0])

    # ---------------------------------------------------------- atoms
    def local(self, node: gast.expr) -> str | None:
        return node.id if isinstance(node, gast.Name) and node.id in self.resolver.locals else None

    def objs(self, node: gast.expr) -> tuple[set[str], set[str]]:
        """(names, objects reachable) of an operand: a local, a global, a constant."""
        if isinstance(node, gast.Starred):
            node = node.value
        if isinstance(node, gast.Constant):
            return set(), set()
        n = self.local(node)
        if n is not None:
            return {n}, set(self.m.reach(n))
        if isinstance(node, (gast.Tuple, gast.List)):
            names: set[str] = set()
            objs: set[str] = set()
            for e in node.elts:
                a, b = self.objs(e)
                names |= a
                objs |= b
            return names, objs
        if isinstance(node, gast.Slice):
            return set(), set()
        return set(), {FOREIGN}

    def operands(self, call: gast.Call) -> tuple[set[str], set[str]]:
        names: set[str] = set()
        objs: set[str] = set()
        for e in list(call.args) + [k.value for k in call.keywords]:
            a, b = self.objs(e)
            names |= a
            objs |= b
        return names, objs

    # ---------------------------------------------------------- statements
    def stmt(self, s: gast.stmt) -> None:
        m = self.m
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            self.value(s, s.targets[0].id, s.value)
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):
            y = self.local(s.targets[0].value)
            kind = self.kinds.get(y) if y else None
            if y is not None and not is_array(kind):
                _, objs = self.objs(s.value)  # an item of a list: the list now holds v
                for o in m.pts.get(y, set()):
                    self.add(m.contents, o, objs)
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
            call = s.value
            f = call.func
            names, objs = self.operands(call)
            if isinstance(f, gast.Attribute) and self.local(f.value):
                holder = f.value.id
                for o in m.pts.get(holder, set()):
                    self.add(m.contents, o, objs)  # lst.append(v), lst.extend(vs)...
                if names and m.how.get(holder, ("container",))[0] == "container":
                    m.how[holder] = ("container", sorted(names)[0])
                if FOREIGN in m.reach(holder) or any(o.startswith("arg:") for o in m.reach(holder)):
                    self.escape(objs)
                if f.attr != "append":
                    self.escape(objs | set(m.reach(holder)))
            elif not (isinstance(f, gast.Name) and f.id == "print"):
                self.escape(objs)

    def value(self, s: gast.Assign, z: str, v: gast.expr) -> None:
        m, kinds = self.m, self.kinds
        op = self.ops.get(id(s))
        if isinstance(v, gast.Name):
            n = self.local(v)
            if n is None:
                self.take(s, z, set(), {FOREIGN}, "global")
            else:
                self.add(m.pts, z, m.pts.get(n, set()))
                m.flows.setdefault(id(s), set()).add(n)
                if n in m.partial:
                    self.mark_partial(z)
                if z not in m.how:
                    m.how[z] = ("copy", n)
        elif isinstance(v, gast.Constant):
            return
        elif self.resolver.is_global(v):
            self.take(s, z, set(), {FOREIGN}, "global")
        elif isinstance(v, gast.BinOp):
            if id(s) in m.updates:
                x = v.left.id  # type: ignore[attr-defined]
                self.add(m.pts, z, m.pts.get(x, set()))  # in place: the same object
                m.flows.setdefault(id(s), set()).add(x)
                if x in m.partial:
                    self.mark_partial(z)
                if not is_array(kinds.get(x)):  # a list grows in place
                    names, objs = self.objs(v.right)
                    for o in m.pts.get(x, set()):
                        self.add(m.contents, o, objs)
                return
            what = "container" if is_container(kinds.get(z)) else "array"
            o = self.site(s, z, what)
            if not is_array(kinds.get(z)) and kinds.get(z) not in (SCALAR, INT, NUMERIC):  # [y] + [w] holds y and w
                for side in (v.left, v.right):
                    names, objs = self.objs(side)
                    items = set().union(*(m.items(n) for n in names)) if names else set()
                    if FOREIGN in objs:
                        items.add(FOREIGN)
                    self.add(m.contents, o, items)
                    m.flows.setdefault(id(s), set()).update(names)
        elif isinstance(v, (gast.UnaryOp, gast.Compare, gast.BoolOp)):
            self.site(s, z)
        elif isinstance(v, gast.Subscript):
            self.subscript(s, z, v)
        elif isinstance(v, gast.Dict) and id(s) in m.updates:
            x = _updated(s)  # d = {**d, "k": w}: the same dict, now holding w too
            self.add(m.pts, z, m.pts.get(x, set()))
            m.flows.setdefault(id(s), set()).add(x)
            if x in m.partial:
                self.mark_partial(z)
            names, objs = self.objs(gast.Tuple(elts=v.values[1:], ctx=gast.Load()))
            for o in m.pts.get(x, set()):
                self.add(m.contents, o, objs)
        elif isinstance(v, (gast.Tuple, gast.List, gast.Dict)):
            o = self.site(s, z, "container")
            if isinstance(v, gast.Dict):
                m.dicts.add(o)
            names, objs = set(), set()
            for e in (v.values if isinstance(v, gast.Dict) else v.elts):
                a, _ = self.objs(e)
                names |= a
                e0 = e.value if isinstance(e, gast.Starred) else e
                if self.local(e0):
                    objs |= m.pts.get(e0.id, set())  # type: ignore[attr-defined]
                elif not isinstance(e0, gast.Constant):
                    objs.add(FOREIGN)
            self.add(m.contents, o, objs)
            m.flows.setdefault(id(s), set()).update(names)
            if names and z not in m.how:
                m.how[z] = ("container", sorted(names)[0])
        elif isinstance(v, gast.Attribute):
            b = self.local(v.value)
            if v.attr in _NO_MEMORY_ATTRS:
                return
            if b is None:
                self.take(s, z, set(), {FOREIGN}, "global")
            else:
                self.take(s, z, {b}, m.reach(b), "view")
        elif isinstance(v, gast.Call) and op is not None and op.callee is dict_key:
            return  # a dict's key: a string or an int
        elif isinstance(v, gast.Call) and op is not None and op.rule is LOOP_ITEM:
            self.subscript(s, z, gast.Subscript(value=op.args["x"], slice=op.args["idx"], ctx=gast.Load()))
        elif isinstance(v, gast.Call):
            self.call(s, z, v, op)
        else:
            self.take(s, z, set(), {FOREIGN}, "call")

    def fresh_result(self, call: gast.Call, op: Op) -> bool | tuple[bool, ...]:
        try:
            bound = bind_call(op.callee, call, None)
        except Exception:  # a bad call is reported by the transform, with its location
            return False
        return returns_fresh(op.callee, {p: kind_of_atom(a, self.kinds) for p, a in bound.items()}, self.callees)

    def subscript(self, s: gast.Assign, z: str, v: gast.Subscript) -> None:
        m, kinds = self.m, self.kinds
        b = self.local(v.value)
        if b is None:
            self.take(s, z, set(), {FOREIGN}, "global")
            return
        kb = kinds.get(b)
        whole = m.pts.get(b, set())
        k = v.slice.value if isinstance(v.slice, gast.Constant) else None
        tup = next(iter(whole)) if len(whole) == 1 else None
        if tup in m.fresh_items and type(k) is int and k >= 0:
            items = m.fresh_items[tup]
            if k in items:
                self.add(m.pts, z, {items[k]})  # item k of a helper's tuple: its own new array
                m.flows.setdefault(id(s), set()).add(b)
            else:  # another item: not one of the fresh ones (they are disjoint from the others)
                self.take(s, z, {b}, m.items(b) - set(items.values()), "item")
            m.items_of[id(s)] = b
            m.precise_items.add(id(s))
            if b in m.callee_of:
                m.callee_of.setdefault(z, m.callee_of[b])
            return
        if is_array(kb):
            if _advanced(v.slice, kinds, self.lists):
                self.site(s, z)  # fancy indexing copies
            elif index_kind(kb, v.slice, kinds) not in (SCALAR, INT):
                self.take(s, z, {b}, m.pts.get(b, set()), "view")
        elif kb == SHAPE:
            return
        elif is_container(kb) and isinstance(v.slice, gast.Slice):
            o = self.site(s, z, "container")
            self.add(m.contents, o, m.items(b))
            m.flows.setdefault(id(s), set()).add(b)
            m.items_of[id(s)] = b
        elif is_container(kb):
            self.take(s, z, {b}, m.items(b), "item")
            m.items_of[id(s)] = b
            if b in m.callee_of:
                m.callee_of.setdefault(z, m.callee_of[b])
        else:  # not known: a view of b or an item of it
            self.take(s, z, {b}, m.pts.get(b, set()) | m.items(b), "view")

    def call(self, s: gast.Assign, z: str, call: gast.Call, op: Op | None) -> None:
        m = self.m
        names, objs = self.operands(call)
        f = call.func
        copy_kw = next((k.value for k in call.keywords if k.arg == "copy"), None)
        keeps = copy_kw is not None and not (isinstance(copy_kw, gast.Constant) and copy_kw.value is True)
        if any(k.arg == "out" for k in call.keywords):
            self.take(s, z, names, objs, "call")
            return
        if op is not None and op.kind == "user":
            m.callee_of.setdefault(z, getattr(op.callee, "__name__", "the helper"))
            fresh = False if isinstance(f, gast.Attribute) and self.local(f.value) else self.fresh_result(call, op)
            if fresh is True and is_array(self.kinds.get(z)):
                self.site(s, z)  # a new array the helper made and kept nowhere
                self.escape(objs)
                return
            if isinstance(fresh, tuple) and is_container(self.kinds.get(z)):
                o = self.site(s, z, "container")
                items = {k: f"{o}#{k}" for k, ok in enumerate(fresh) if ok}
                for q in items.values():
                    m.sites[q] = "array"
                m.extra_sites[id(s)] = sorted(items.values())
                m.fresh_items[o] = items
                self.add(m.contents, o, set(items.values()))
                if not all(fresh):  # the other items may be (views of) the arguments or globals
                    self.add(m.contents, o, objs | {FOREIGN})
                    m.flows.setdefault(id(s), set()).update(names)
                    if names and z not in m.how:
                        m.how[z] = ("helper", sorted(names)[0])
                self.escape(objs)
                return
            if isinstance(f, gast.Attribute) and self.local(f.value):
                names.add(f.value.id)  # type: ignore[attr-defined]
                objs |= m.reach(f.value.id)  # type: ignore[attr-defined]
            self.take(s, z, names, objs | {FOREIGN}, "helper")
            self.escape(objs)
            return
        if isinstance(f, gast.Attribute) and self.local(f.value):
            b = f.value.id  # type: ignore[attr-defined]
            if f.attr in _FRESH_METHODS and not keeps:
                what = "container" if maybe_container(self.kinds.get(b)) else "array"
                o = self.site(s, z, what if f.attr == "copy" else "array")
                if what == "container":  # lst.copy() holds lst's items
                    self.add(m.contents, o, m.items(b))
                    m.flows.setdefault(id(s), set()).add(b)
                    m.items_of[id(s)] = b
            elif f.attr in _VIEW_METHODS or f.attr == "astype":
                self.take(s, z, {b}, m.pts.get(b, set()), "view")
            elif f.attr == "pop":
                self.take(s, z, {b}, m.items(b), "item")
                m.items_of[id(s)] = b
            else:  # a method s2sad does not know may return (a view of) anything it sees, and keep it
                self.take(s, z, names | {b}, objs | m.reach(b) | {FOREIGN}, "call")
                self.escape(objs | m.reach(b))
            return
        ok, obj = self.resolver.value_of(f)
        fresh = ok and (
            (isinstance(obj, np.ufunc))
            or (id(obj) in _FRESH_IDS and not keeps and not _returns_input(obj, call))
            or any(obj is b for b in _FRESH_BUILTINS)
            or getattr(obj, "__module__", None) == "math"
        )
        if fresh:
            o = self.site(s, z, "container" if is_container(self.kinds.get(z)) else "array")
            if maybe_container(self.kinds.get(z)) and any(obj is b for b in _FRESH_BUILTINS):
                items = set().union(*(m.items(n) for n in names)) if names else set()
                self.add(m.contents, o, items)  # sum(lists, []) holds their items
                m.flows.setdefault(id(s), set()).update(names)
            return
        module = getattr(obj, "__module__", None) or ""
        if ok and (module.split(".")[0] == "numpy" or module == "builtins" or isinstance(obj, type)):
            # known library code: it keeps nothing, but may return (a view of) its arguments
            o = self.site(s, z, "container")
            self.add(m.contents, o, objs)
            self.take(s, z, names, objs, "call")
            return
        self.take(s, z, names, objs | {FOREIGN}, "call")
        self.escape(objs)


def _dict_update(s: gast.Assign) -> str | None:
    """The dict ``d`` of ``z = {**d, ...}``, else None."""
    v = s.value
    if isinstance(v, gast.Dict) and v.keys and v.keys[0] is None and isinstance(v.values[0], gast.Name):
        return v.values[0].id
    return None


def _updated(s: gast.Assign) -> str:
    """The name an in-place update changes: ``x`` in ``x = x + v`` or ``d = {**d, "k": v}``."""
    d = _dict_update(s)
    return d if d is not None else s.value.left.id  # type: ignore[attr-defined]


def _advanced(index: gast.expr, kinds: dict[str, Any], lists: set[str]) -> bool:
    """Is ``y[index]`` fancy indexing (which copies)? Only when a part is
    known to be an array of at least one dimension, or a list literal."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    for p in parts:
        if isinstance(p, gast.Name) and p.id in lists:
            return True
        k = kind_of_atom(p, kinds) if isinstance(p, gast.Name) else None
        if is_array(k) and k.ndim != 0:
            return True
    return False


def check_mutations(
    fn: gast.FunctionDef,
    m: Memory,
    filename: str,
    user_name: Callable[[str], str] = lambda n: n,
    temps: set[str] | frozenset[str] = frozenset(),
    list_aliases: bool = False,
) -> None:
    """Refuse the writes, in-place updates, list changes and effect calls
    s2sad cannot differentiate (see the module docstring)."""
    _Check(fn, m, filename, user_name, temps, list_aliases).run()


Held = frozenset  # of (object, "cur" | "old"): which allocation of an object a name may hold


@dataclass
class _State:
    hold: dict[str, Held] = field(default_factory=dict)
    stale: dict[str, tuple[gast.stmt, str]] = field(default_factory=dict)  # name -> (change, changed name)

    def copy(self) -> _State:
        return _State(dict(self.hold), dict(self.stale))

    def join(self, other: _State) -> _State:
        hold = dict(self.hold)
        for n, h in other.hold.items():
            hold[n] = hold.get(n, Held()) | h
        stale = dict(other.stale)
        stale.update(self.stale)
        return _State(hold, stale)

    def key(self) -> tuple:
        return (frozenset(self.hold.items()), frozenset(self.stale))


class _Check:
    def __init__(self, fn, m: Memory, filename: str, user_name, temps, list_aliases: bool):
        self.fn, self.m, self.filename = fn, m, filename
        self.user_name, self.temps, self.list_aliases = user_name, set(temps), list_aliases
        self.params = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
        self.defs: dict[str, list[gast.Assign]] = {}
        for s in statements(fn.body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                self.defs.setdefault(s.targets[0].id, []).append(s)

    def where(self, s: gast.AST) -> Location:
        return Location(self.filename, getattr(s, "lineno", 0) or 0, getattr(s, "col_offset", 0) or 0)

    # ----------------------------------------------------------- naming
    def shown(self, n: str) -> str:
        """The user's name, or for a temporary the expression it holds."""
        if n in self.temps and len(self.defs.get(n, [])) == 1:
            v = self.defs[n][0].value
            if isinstance(v, gast.Name):
                return self.shown(v.id)
            text = unparse(v).strip()
            for sub in walk(v):
                if isinstance(sub, gast.Name) and sub.id != self.user_name(sub.id):
                    text = text.replace(sub.id, self.user_name(sub.id))
            return text
        return self.user_name(n)

    # ----------------------------------------------------------- walk
    def run(self) -> None:
        self.ownership()
        state = _State()
        for p in self.params:
            state.hold[p] = Held()
        self.block(self.fn.body, state)

    def container(self, n: str) -> str | None:
        """``"list"``, ``"tuple"`` or ``"list or tuple"`` when ``n`` holds one
        (known from its kind, or from what made it), else None."""
        kind = self.m.kinds.get(n)
        if is_list(kind):
            return "list"
        if tuple_items(kind) is not None:
            return "tuple"
        if is_container(kind):
            return "list or tuple"
        made = [self.m.sites.get(o) for o in self.m.pts.get(n, ()) if o != FOREIGN]
        if kind is None and "container" in made:
            return "maybe"  # of unknown kind, and made as a list or tuple somewhere
        return None

    def ownership(self) -> None:
        m = self.m
        for y, writes in m.writes.items():
            if m.pts.get(y, set()) & m.dicts:
                shown = self.user_name(y)
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate a write into the dict `{shown}` with a key that is not a constant "
                    "string: it sets dict entries by constant string keys only",
                    self.where(writes[0]),
                    f"use a string key (`{shown}['k'] = v`), or build a new dict: `{shown} = {{**{shown}, k: v}}` "
                    "with a constant k",
                )
            container = self.container(y)
            if container is not None:  # item writes are differentiated on arrays only
                shown = self.user_name(y)
                what = "which may be a list or tuple" if container == "maybe" else f"a {container}"
                if container == "tuple":
                    hint = f"build a new tuple instead: `{shown} = {shown}[:i] + (v,) + {shown}[i + 1:]`"
                else:
                    hint = (
                        f"build a new list instead (`{shown} = {shown}[:i] + [v] + {shown}[i + 1:]`, or `append` "
                        "the values), or write into an array the function makes (`np.zeros(n)`)"
                    )
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate a write into `{shown}`, {what}: it differentiates writes "
                    "into arrays, not into lists or tuples",
                    self.where(writes[0]),
                    hint,
                )
            if not m.owned(y):
                s = writes[0]
                shown = self.user_name(y)
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate a write into `{shown}`, {self.whose(y)}",
                    self.where(s),
                    f"write into a copy made in the function: `{shown} = {shown}.copy()` (or np.zeros(...)) first",
                )
        for s in statements(self.fn.body):
            hit = m.updates.get(id(s))
            if hit is not None and hit[1] == "[]":
                x = _updated(s)
                if not (m.pts.get(x) and x not in m.partial and all(m.sites.get(o) == "container" for o in m.pts[x])):
                    user = hit[0]
                    raise UnsupportedSyntaxError(
                        f"`{user}[...] = ...` changes a dict in place, and `{user}` {self.whose_dict(x)}",
                        self.where(s),
                        f"build a new dict instead: `{user} = {{**{user}, 'k': v}}` (or a dict literal)",
                    )
            elif hit is not None:
                x = s.value.left.id
                if m.pts.get(x) and not m.owned(x):
                    user, op = hit
                    if self.container(x) not in (None, "tuple"):
                        raise UnsupportedSyntaxError(
                            f"s2sad cannot differentiate `{user} {op}= ...` on a list: it changes the list in place",
                            self.where(s),
                            f"write `{user} = {user} {op} ...` to make a new list (or `{user}.append(v)` for each value)",
                        )
                    whose = self.whose(x)
                    whose = whose[len("which "):] if whose.startswith("which ") else f"is {whose}"
                    raise UnsupportedSyntaxError(
                        f"`{user} {op}= ...` changes an array in place, and `{user}` {whose}",
                        self.where(s),
                        f"write `{user} = {user} {op} ...` to make a new array",
                    )
            if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
                self.effect(s, s.value)
            elif isinstance(s, gast.Assign) and isinstance(s.value, gast.Call):
                for k in s.value.keywords:
                    if k.arg == "out" and not (isinstance(k.value, gast.Constant) and k.value.value is None):
                        raise UnsupportedSyntaxError(
                            "s2sad cannot differentiate a call that writes into `out=`",
                            self.where(s),
                            "drop `out=` and use the result",
                        )

    def whose_dict(self, x: str) -> str:
        """Why ``x`` is not a dict the function made and alone holds."""
        args = sorted(o[4:] for o in self.m.pts.get(x, set()) if o.startswith("arg:"))
        if x in self.params:
            return "is an argument the caller owns"
        if args:
            return f"may be the argument `{args[0]}`, which the caller owns"
        return "may be a dict the function did not make (an item of a container, a global, a helper's result)"

    def whose(self, y: str) -> str:
        """Why ``y`` is not the function's own array: a phrase that follows
        "a write into `y`, " (a noun phrase, or a clause opening with "which")."""
        p = self.m.pts.get(y, set())
        helper = self.m.callee_of.get(y)
        if helper is not None and y not in self.params:
            return (
                f"which may be an argument of `{helper}`, a view of one, a global, or an array `{helper}` keeps: "
                f"s2sad cannot prove `{helper}` returns a new array"
            )
        args = sorted(o[4:] for o in p if o.startswith("arg:"))
        how = self.m.how.get(y)
        if how and how[0] == "item" and how[1] in self.params and args:
            return f"an item of the argument `{self.user_name(how[1])}`, which the caller owns"
        if y in self.params or (args and len(p) == 1 and y not in self.temps):
            return (
                "an argument the caller owns"
                if y in self.params
                else f"the argument `{args[0]}`, which the caller owns"
            )
        if args:
            return f"which may be the argument `{args[0]}` (the caller's array)"
        how = self.m.how.get(y)
        if how and how[0] == "view":
            return f"which may be a view of `{self.shown(how[1])}`"
        if how and how[0] == "item":
            return f"an item of `{self.shown(how[1])}`, which s2sad cannot prove the function owns"
        if how and how[0] == "helper":
            return "what a helper returned, which may be (a view of) its argument or a global"
        if FOREIGN in p:
            return "which may be a global or what code s2sad does not know returned"
        if how and how[0] == "call" and y in self.m.partial:
            return f"which may be a view of `{self.shown(how[1])}` (the function that made it may return one)"
        if how and how[0] == "copy" and y in self.m.partial:
            return f"which may be a view or an item of `{self.shown(how[1])}`"
        return "an array s2sad cannot prove the function owns"

    def effect(self, s: gast.Expr, call: gast.Call) -> None:
        f = call.func
        if isinstance(f, gast.Name) and f.id == "print":
            return
        if isinstance(f, gast.Attribute) and f.attr == "append" and isinstance(f.value, gast.Name):
            return
        seen: list[str] = []
        # the receiver of a method, then the arguments in order: what such a
        # call changes comes first (`lst.extend(...)`, `np.copyto(dst, src)`)
        names = [f.value] if isinstance(f, gast.Attribute) else []
        names += list(call.args) + [k.value for k in call.keywords]
        for e in names:
            e = e.value if isinstance(e, gast.Starred) else e
            if isinstance(e, gast.Name) and e.id in self.m.pts and e.id not in seen:
                r = self.m.reach(e.id)
                if any(self.m.sites.get(o) == "array" or o.startswith("arg:") for o in r):
                    seen.append(e.id)
        if seen:
            if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and self.m.pts.get(f.value.id, set()) & self.m.dicts:
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate `.{f.attr}(...)` on the dict `{self.shown(f.value.id)}`: "
                    "it changes the dict in place",
                    self.where(s),
                    "set entries one by one (`d['k'] = v`), or build a new dict (`{**d, 'k': v}`)",
                )
            n = seen[0]
            shown = self.shown(n)
            if self.container(n) not in (None, "tuple"):
                hint = f"build a new list instead (`{shown} = {shown} + [...]`, or `{shown}.append(v)` for each value)"
            else:
                hint = (
                    f"build a new array instead: write with an index (`{shown}[...] = v`) into an array the "
                    "function made, or use a function that returns a new array"
                )
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate a call made for its effect: it may change `{shown}` in place",
                self.where(s),
                hint,
            )

    def block(self, stmts: list[gast.stmt], state: _State) -> _State:
        for s in stmts:
            state = self.stmt(s, state)
        return state

    def loop(self, s: gast.For | gast.While, state: _State) -> _State:
        head = state
        for _ in range(100):
            inner = head.copy()
            if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
                inner.hold[s.target.id] = Held()
                inner.stale.pop(s.target.id, None)
            end = self.block(s.body, inner)
            if isinstance(s, gast.While):
                self.reads(s.test, end, s)
            new = head.join(end)
            if new.key() == head.key():
                break
            head = new
        return head

    def stmt(self, s: gast.stmt, state: _State) -> _State:
        m = self.m
        if isinstance(s, gast.If):
            self.reads(s.test, state, s)
            a = self.block(s.body, state.copy())
            b = self.block(s.orelse, state.copy())
            return a.join(b)
        if isinstance(s, gast.For):
            self.reads(s.iter, state, s)
            return self.loop(s, state)
        if isinstance(s, gast.While):
            self.reads(s.test, state, s)
            return self.loop(s, state)
        self.reads(s, state, s)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            z = s.targets[0].id
            if id(s) in m.updates:
                x = _updated(s)
                self.change(s, x, state, exempt={x, z}, what="update")
            o = m.site_of.get(id(s))
            held: set = set()
            if o in m.sites and self.allocates(s):
                for q in [o, *m.extra_sites.get(id(s), ())]:
                    for n, h in state.hold.items():  # earlier allocations of this site are now old
                        if (q, "cur") in h:
                            state.hold[n] = (h - {(q, "cur")}) | {(q, "old")}
                    held.add((q, "cur"))
            base = m.items_of.get(id(s))
            drop = (
                set(m.pts.get(base, set())) - set().union(*(m.contents.get(q, set()) for q in m.pts.get(base, ())))
                if base
                else set()
            )
            for n in m.flows.get(id(s), ()):
                held |= {(q, age) for q, age in state.hold.get(n, Held()) if q not in drop}
            if id(s) in m.precise_items:  # one item of a tuple: only what it may be
                held = {(q, age) for q, age in held if q in m.reach(z)}
            state.hold[z] = Held(held)
            state.stale.pop(z, None)
        elif isinstance(s, gast.Assign):  # y[i] = v
            y = s.targets[0].value.id
            self.change(s, y, state, exempt={y}, what="write")
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Attribute):
            b = s.value.func.value
            if isinstance(b, gast.Name) and b.id in m.pts:
                if s.value.func.attr == "append" and not self.list_aliases:
                    self.change(s, b.id, state, exempt={b.id}, what="append")
                mine = state.hold.get(b.id, Held())
                got: set = set()
                for e in list(s.value.args) + [k.value for k in s.value.keywords]:
                    if isinstance(e, gast.Name):
                        got |= state.hold.get(e.id, Held())
                for n, h in list(state.hold.items()):
                    if h & mine or n == b.id:
                        state.hold[n] = h | got
        return state

    def allocates(self, s: gast.Assign) -> bool:
        """Does this definition make a new object (not only take one over)?"""
        return id(s) not in self.m.updates and not isinstance(s.value, gast.Name)

    def victims(self, y: str, state: _State, exempt: set[str]) -> list[str]:
        m = self.m
        objs = set(m.pts.get(y, set()))
        mine = state.hold.get(y, Held())
        pairs = {(o, age) for o, age in mine if o in objs}
        if not pairs:
            pairs = {(o, age) for o in objs for age in ("cur", "old")}
        out = []
        for n, h in state.hold.items():
            if n in exempt:
                continue
            if h & pairs:
                out.append(n)
        if objs & m.escaped:
            out += [n for n in state.hold if n not in exempt and FOREIGN in m.reach(n) and n not in out]
        return out

    def change(self, s: gast.stmt, y: str, state: _State, exempt: set[str], what: str) -> None:
        for n in self.victims(y, state, exempt):
            state.stale.setdefault(n, (s, y, what))

    def reads(self, node: gast.AST, state: _State, at: gast.AST) -> None:
        if not state.stale:
            return
        for sub in walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and sub.id in state.stale:
                self.refuse(sub.id, state.stale[sub.id], at)

    def refuse(self, n: str, change: tuple, read_at: gast.AST) -> None:
        s, y, what = change
        shown, base = self.shown(n), self.user_name(y)
        line = getattr(read_at, "lineno", None)
        later = f" (read at line {line})" if line is not None else ""
        how = self.m.how.get(n, ("copy", y))
        if what == "append":
            raise UnsupportedSyntaxError(
                f"`{base}.append(...)` changes a list that `{shown}` also refers to{later}",
                self.where(s),
                f"build the list under one name (use `{shown}` or `{base}`, not both), or copy it: `list({base})`",
            )
        if what == "update" and self.m.updates[id(s)][1] == "[]":
            user = self.m.updates[id(s)][0]
            raise UnsupportedSyntaxError(
                f"`{user}[...] = ...` changes a dict in place, and `{shown}` also refers to it{later}",
                self.where(s),
                f"build the dict under one name, or give `{shown}` its own copy: `{shown} = dict({user})`",
            )
        if what == "update":
            user, op = self.m.updates[id(s)]
            if how[0] in ("view", "item", "container") or n in self.temps:
                reason = f"a view or a container of `{user}` would see the change: `{shown}`{later}"
            elif how[0] == "copy":
                reason = f"`{shown}` refers to the same array{later}"
            else:
                reason = f"`{shown}` may refer to the same array{later}"
            raise UnsupportedSyntaxError(
                f"`{user} {op}= ...` changes an array in place, and {reason}",
                self.where(s),
                f"write `{user} = {user} {op} ...` to make a new array",
            )
        swap = (
            isinstance(read_at, gast.Assign)
            and isinstance(read_at.targets[0], gast.Subscript)
            and getattr(read_at, "lineno", None) == getattr(s, "lineno", None)
        )
        if swap:
            raise UnsupportedSyntaxError(
                f"`{shown}` is a view of `{base}`, which the write before it on this line changes: "
                "NumPy would copy one row into both",
                self.where(s),
                f"swap with fancy indexing, which copies: `{base}[[i, j]] = {base}[[j, i]]`",
            )
        if how[0] == "view":
            reason = f"`{shown}` is a view of `{base}`, which is written after the view was taken{later}"
            hint = f"take a copy (`{shown}.copy()`) before the write, or read it before the write"
        elif how[0] in ("item", "container"):
            reason = f"`{shown}` holds `{base}`, which is written after it was put there{later}"
            hint = f"put a copy in (`{base}.copy()`), or write before putting it in"
        else:
            reason = f"`{shown}` may refer to the same array as `{base}`, and is read after the write{later}"
            hint = f"give `{shown}` its own copy (`.copy()`), or read it before the write"
        raise UnsupportedSyntaxError(f"s2sad cannot differentiate this write: {reason}", self.where(s), hint)


_VIEW_FUNCTIONS = (
    np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims, np.broadcast_to, np.asarray, np.atleast_1d,
    np.atleast_2d, np.atleast_3d, np.swapaxes, np.moveaxis, np.diagonal, np.flip, np.fliplr, np.flipud,
)  # fmt: skip
_VIEW_METHODS = {"T", "reshape", "ravel", "transpose", "squeeze", "view", "swapaxes", "diagonal"}


def makes_view(value: gast.expr, op: Op | None, kinds: dict) -> bool:
    if op is None:
        return False
    if op.kind == "user" or op.rule is LOOP_ITEM:
        return True  # a function may return (a view of) its argument; a loop's item may be a row
    if op.kind == "const":
        return not isinstance(value, gast.Constant)  # a global array
    if isinstance(value, gast.Subscript):
        base = kinds.get(value.value.id) if isinstance(value.value, gast.Name) else None
        return is_container(base) or _result_not_scalar(value, kinds)
    if isinstance(value, gast.Attribute) and value.attr in _VIEW_METHODS:
        return True
    if isinstance(value, gast.Call):
        f = value.func
        if isinstance(f, gast.Attribute) and f.attr in _VIEW_METHODS and op.kind != "const":
            return True
        if op.rule is not None and any(op.rule is RULES.lookup(v) for v in _VIEW_FUNCTIONS):
            return True
    return False


def _result_not_scalar(value: gast.Subscript, kinds: dict) -> bool:
    base = kinds.get(value.value.id) if isinstance(value.value, gast.Name) else None
    return index_kind(base, value.slice, kinds) not in (SCALAR, INT)


def written_arguments(fn: gast.FunctionDef, m: Memory, kinds: dict[str, Any]) -> list[str]:
    """The array parameters of ``fn`` whose memory it may write into (``x[i] = v``,
    ``x += v``, also through another name): the derivative gives each its own
    copy on entry, so the caller's array is left untouched. Parameters of other
    kinds (a list whose item is written) are not copied: the write stays refused.

    >>> from s2sad.analysis.resolve import Resolver
    >>> from s2sad.ir.kinds import array_kind
    >>> from s2sad.ir.naming import Namer
    >>> from s2sad.frontend.normalize import normalize_lifting
    >>> from s2sad.ir.ssa import to_ssa
    >>> node = gast.parse("def f(x, y):\\n    x[0] = 2.0 * y[1]\\n    return x").body[0]
    >>> namer = Namer.for_function(node)
    >>> ssa = to_ssa(normalize_lifting(node, namer, "<f>").core, namer)
    >>> kinds = {"x": array_kind(1), "y": array_kind(1)}
    >>> written_arguments(ssa, analyse(ssa, {}, kinds, Resolver(None, {"x", "y"})), kinds)
    ['x']
    """
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    changed = list(m.writes)
    for s in statements(fn.body):
        if id(s) in m.updates:
            changed.append(_updated(s))
    hit = {o[4:] for y in changed for o in m.pts.get(y, ()) if o.startswith("arg:")}
    return [p for p in params if p in hit and is_array(kinds.get(p))]


_writes_cache: dict[tuple, tuple[str, str] | None] = {}
_writes_busy = threading.local()


def writes_argument(fn: Any, arg_kinds: dict[str, Any], callees: Callees) -> tuple[str, str] | None:
    """Does the user function ``fn``, called with arguments of these kinds,
    write into the memory of one of its parameters (itself, or through a
    helper it calls)? Then ``(parameter, "file, line N")``; else None. In
    Python such a call changes the caller's array; the callee's derivative
    works on its own copy, so a caller cannot follow the change (refused)."""
    # recursion is refused where the recursive call is built, and a callee
    # s2sad cannot read by its own build
    return _per_callee(_writes_cache, _writes_busy, fn, arg_kinds, partial(_writes_argument, callees=callees), None)


def _writes_argument(fn: Any, arg_kinds: dict[str, Any], callees: Callees) -> tuple[str, str] | None:
    params = inspect.signature(fn).parameters
    kinds = {p: arg_kinds.get(p, callees.kind_of_value(v.default)) for p, v in params.items()}
    pf = parse_function(fn)
    f = callees.front(pf, kinds, checks=False)
    m, ssa = f.memory, f.ssa
    assert m is not None
    changes: list[tuple[str, gast.stmt]] = [(y, s) for y, ws in m.writes.items() for s in ws]
    for s in statements(ssa.body):
        if id(s) in m.updates:
            changes.append((_updated(s), s))
        elif isinstance(s, gast.Assign) and f.ops.get(id(s)) is not None and f.ops[id(s)].kind == "user":
            sub = called_writes(s.value, f.ops[id(s)].callee, f.kinds, callees)
            if sub is not None:
                node = sub[0]
                if isinstance(node, gast.Name):
                    changes.append((node.id, s))
    for y, s in changes:
        for o in sorted(m.pts.get(y, ())):
            kind = kinds.get(o[4:])
            if o.startswith("arg:") and (kind is None or is_array(kind)):  # of unknown kind: it may be an array
                return o[4:], f"{pf.filename}, line {getattr(s, 'lineno', pf.node.lineno)}"
    return None


def called_writes(
    call: gast.expr, callee: Any, kinds: dict[str, Any], callees: Callees
) -> tuple[gast.expr, str, str] | None:
    """For a call of the user function ``callee``: the operand bound to a
    parameter the callee writes into, that parameter, and where the callee
    writes (``"file, line N"``); None when it writes into none."""
    if not isinstance(call, gast.Call):
        return None
    try:
        bound = bind_call(callee, call, None)
    except Exception:  # a bad call is reported by the transform, with its location
        return None
    hit = writes_argument(callee, {p: kind_of_atom(a, kinds) for p, a in bound.items()}, callees)
    if hit is None:
        return None
    p, where = hit
    return bound[p], p, where
