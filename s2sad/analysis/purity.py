"""May a user function be run twice in place of once?

The reverse sweep of a caller calls a callee's generated derivative, which
recomputes the callee's forward sweep (checkpointing at call boundaries).
That is right only for a callee that computes the same values the second
time and does nothing else: no random draws, no clocks, no I/O, no changes
to globals, arguments or objects it did not make, no reads of mutable global
containers. :func:`impurity` decides this conservatively, from the callee's
source and, transitively, its own callees: anything not known pure is
impure. Known pure: every rule of the table (a rule is a mathematical
function), inactive declarations made pure (``len``, ``np.floor``; not
``print``), NumPy's functions outside ``numpy.random``, ``math``, and user
functions that are themselves pure.

A callee that is not pure is not re-run: the caller runs it once, through its
split derivative (``build_reverse(..., split=True)``), and keeps the closure
that holds its reverse sweep.
"""

from __future__ import annotations

import inspect
import math
import random
import sys
from typing import Any

import gast
import numpy as np

from ..errors import S2SADError
from ..frontend.parse import parse_function
from ..frontend.varargs import bind_call
from ..ir.core import local_names, walk
from ..rules.table import RULES
from .scope import Scope, is_user_function, spelling
from .statics import hides_method, is_function_value

_cache: dict[Any, str | None] = {}


Statics = tuple[tuple[str, Any], ...]  # parameters bound to the functions passed (analysis.statics)


def _memo(cache: dict[Any, str | None], fn: Any, compute: Any, statics: Statics = ()) -> str | None:
    """``compute()`` once per function (and functions passed to it); a
    recursive call sees None (recursion is refused elsewhere), and a function
    s2sad cannot read is reported by its own build, with its location."""
    key = (getattr(fn, "__func__", fn), statics)
    if key in cache:
        return cache[key]
    cache[key] = None
    try:
        found = compute()
    except S2SADError:
        found = None
    cache[key] = found
    return found


def impurity(fn: Any, statics: Statics = ()) -> str | None:
    """None when ``fn`` may be re-run; else why not (naming the call or
    statement that makes it impure, with its line). ``statics`` binds
    parameters to the functions the call passes (``ode(step, y0)``); a
    parameter called as a function and not bound is not known pure."""
    return _memo(_cache, fn, lambda: _impurity(fn, statics=statics), statics)


_mutation_cache: dict[Any, str | None] = {}


def mutation(fn: Any, statics: Statics = ()) -> str | None:
    """None when ``fn`` (transitively) changes no memory it did not make:
    no globals, no arguments, no state of objects it did not make; else what
    it changes, with the line. Random draws and printing are not counted: they
    change no value a derivative reads."""
    return _memo(_mutation_cache, fn, lambda: _impurity(fn, mutations_only=True, statics=statics), statics)


def _read(fn: Any, statics: Statics = ()) -> tuple[gast.FunctionDef, set[str], set[str], Scope, Any]:
    """A user function's tree, local names, parameters, resolver, and a
    formatter of a node's place (file, line); parameters bound to functions
    (``statics``) are names of the closure, not parameters."""
    pf = parse_function(fn)
    node = pf.node
    bound = {p: v for p, v in statics if not isinstance(v, type)}  # classes: see _objects
    if bound:
        pf.closure = {**pf.closure, **bound}
    params = {a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs} - set(bound)
    params -= _rebound_to_copies(node, params)
    locals_ = local_names(node) - set(bound)

    def where(n: gast.AST) -> str:
        return f"{pf.filename}, line {getattr(n, 'lineno', node.lineno)}"

    return node, locals_, params, Scope(pf, locals_), where


def _rebound_to_copies(node: gast.FunctionDef, params: set[str]) -> set[str]:
    """Parameters whose first use is ``v = v.copy()`` (or ``np.copy(v)``,
    ``np.array(v)``) in the function's own body, outside any branch or loop:
    from there on the name holds an array the function made."""
    rebound: set[str] = set()
    used: set[str] = set()
    for stmt in node.body:
        if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
                and stmt.targets[0].id in params - used and _copies(stmt.value, stmt.targets[0].id)):
            rebound.add(stmt.targets[0].id)
        used |= {n.id for n in walk(stmt) if isinstance(n, gast.Name)}
    return rebound


def _copies(value: gast.expr, of: str) -> bool:
    if not (isinstance(value, gast.Call) and len(value.args) <= 1 and not value.keywords):
        return False
    f = value.func
    if isinstance(f, gast.Attribute) and f.attr == "copy" and isinstance(f.value, gast.Name) and not value.args:
        return f.value.id == of
    return (isinstance(f, gast.Attribute) and f.attr in ("copy", "array") and isinstance(f.value, gast.Name)
            and f.value.id in ("np", "numpy") and len(value.args) == 1
            and isinstance(value.args[0], gast.Name) and value.args[0].id == of)


def _impurity(fn: Any, mutations_only: bool = False, statics: Statics = ()) -> str | None:
    node, locals_, params, resolver, where = _read(fn, statics)

    for n in walk(node):
        if isinstance(n, (gast.Global, gast.Nonlocal)):
            return f"it changes a variable outside itself ({where(n)})"
        if isinstance(n, (gast.Attribute, gast.Subscript)) and isinstance(n.ctx, (gast.Store, gast.Del)):
            base = n.value
            while isinstance(base, (gast.Attribute, gast.Subscript)):
                base = base.value
            if not (isinstance(base, gast.Name) and base.id in locals_ and base.id not in params):
                return f"it changes `{spelling(n.value)}`, which it did not make ({where(n)})"
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in locals_ and not mutations_only:
            ok, obj = resolver.pf.resolve_root(n.id)
            if ok and isinstance(obj, (list, dict, set, bytearray)):
                return f"it reads the global `{n.id}`, a {type(obj).__name__} that may change ({where(n)})"
        if isinstance(n, gast.Call) and not _reads_kwargs(n, node):
            why = _call_impurity(n, resolver, locals_, params, mutations_only, _objects(statics))
            if why is not None:
                return f"{why} ({where(n)})"
    return None


def _reads_kwargs(call: gast.Call, node: gast.FunctionDef) -> bool:
    """``kw.get("key", default)`` on the function's own ``**kw`` (a dict of
    the call's keyword arguments): a read."""
    f = call.func
    return (node.args.kwarg is not None and isinstance(f, gast.Attribute) and f.attr == "get"
            and isinstance(f.value, gast.Name) and f.value.id == node.args.kwarg.id)


MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
                       "fill", "resize", "put", "setfield", "itemset", "add", "discard", "setdefault", "popitem"})


def _objects(statics: Statics) -> dict[str, type]:
    """The parameters known to be objects of a user class, with the class."""
    return {p: v for p, v in statics if isinstance(v, type)}


def _method_of(func: gast.expr, objects: dict[str, type]) -> tuple[Any, str] | None:
    """``self.skip`` where ``self`` is an object of a known class: the class's
    function and the name of its first parameter, when s2sad follows it as
    the build does (pipeline.resolve_methods)."""
    if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id in objects):
        return None
    cls = objects[func.value.id]
    owner = next((k for k in cls.__mro__ if func.attr in vars(k)), None)
    fn = vars(owner).get(func.attr) if owner is not None else None
    if not inspect.isfunction(fn) or hides_method(cls, func.attr):
        return None
    first = next(iter(inspect.signature(fn).parameters), None)
    return (fn, first) if first is not None else None


def _call_impurity(
    call: gast.Call, resolver: Scope, locals_: set[str], params: set[str], mutations_only: bool = False,
    objects: dict[str, type] | None = None,
) -> str | None:
    func = call.func
    method = _method_of(func, objects or {})
    if method is not None:  # a method of an object of a known class: the class's function, with the object
        fn, me = method
        passed = ((me, objects[func.value.id]),)  # type: ignore[index,union-attr]
        why = mutation(fn, passed) if mutations_only else impurity(fn, passed)
        return None if why is None else f"it calls `{spelling(func)}`, which is not pure: {why}"
    if changes_global(func, resolver, arrays_only=mutations_only):
        # (a global list a callee changes: no re-run callee reads one, since
        # reading one makes a callee impure; the caller's own reads are checked there)
        return f"it changes the global `{spelling(func.value)}` (.{func.attr}())"
    if isinstance(func, gast.Attribute) and not resolver.is_global(func):
        # a method of a local value: pure if it has a rule, or only changes a value the callee made
        base = func.value
        while isinstance(base, (gast.Attribute, gast.Subscript)):
            base = base.value
        if func.attr in MUTATORS:
            if isinstance(base, gast.Name) and base.id in params:
                return f"it changes its argument `{base.id}` (.{func.attr}())"
            return None
        if RULES.method(func.attr) is not None or mutations_only:
            return None
        return f"it calls the method .{func.attr}(), which s2sad does not know to be pure"
    ok, obj = resolver.value_of(func)
    if not ok:
        if isinstance(func, gast.Name) and func.id in params:  # a function passed in, and not bound
            return f"it calls `{func.id}`, a function s2sad does not know when it analyses the caller"
        return None  # a call s2sad cannot resolve is refused by the callee's own build
    text = spelling(func)
    if RULES.is_pure(obj):
        return None
    if RULES.is_inactive(obj):  # print: an effect, but it changes no value
        return None if mutations_only else f"it calls `{text}`, which has an effect"
    if is_user_function(obj):
        passed = call_statics(obj, call, resolver)
        why = mutation(obj, passed) if mutations_only else impurity(obj, passed)
        return None if why is None else f"it calls `{text}`, which is not pure: {why}"
    if mutations_only:
        return call_mutation(obj, text)
    owner = getattr(obj, "__self__", None)
    mod = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""
    if mod.startswith("numpy.random") or mod == "random" or isinstance(owner, (np.random.RandomState, np.random.Generator, random.Random)):
        return f"it draws random numbers (`{text}`)"
    if owner is not None and not isinstance(owner, type(sys)) and not _is_numpy_data(owner):
        return f"it calls `{text}`, a method of the object {type(owner).__name__}, which may change its state"
    if (mod == "numpy" or mod.startswith("numpy.")) and not mod.startswith("numpy.random"):
        return None
    if any(obj is b for b in _PURE_BUILTINS):
        return None
    if isinstance(obj, np.ufunc) or (inspect.isbuiltin(obj) and getattr(math, getattr(obj, "__name__", ""), None) is obj):
        return None
    return f"it calls `{text}`, which s2sad does not know to be pure"


def call_statics(callee: Any, call: gast.Call, resolver: Scope) -> Statics:
    """The parameters of ``callee`` this call binds to functions (free names
    that denote functions, e.g. ``ode(step, y0)``, ``ode(np.sin, y0)``)."""
    try:
        bound = bind_call(callee, call, None)
    except Exception:  # a bad call is reported by the callee's build
        return ()
    found = [(p, v.default) for p, v in inspect.signature(callee).parameters.items()
             if p not in bound and is_function_value(v.default)]  # a default function the call leaves
    for p, node in bound.items():
        if isinstance(node, (gast.Name, gast.Attribute)) and resolver.is_global(node):
            ok, value = resolver.value_of(node)
            if ok and is_function_value(value):
                found.append((p, value))
    return tuple(sorted(found, key=lambda pv: pv[0]))


_PURE_BUILTINS = tuple(getattr(__import__("builtins"), n) for n in (
    "list", "tuple", "sorted", "reversed", "enumerate", "zip", "range", "min", "max", "sum", "abs", "float", "int",
    "bool", "len", "isinstance", "str", "repr", "all", "any", "map", "filter", "dict", "set", "frozenset", "slice",
    "divmod", "round", "pow", "hash", "complex"))


def _is_numpy_data(owner: Any) -> bool:
    return isinstance(owner, (np.ndarray, np.generic, float, int, complex, tuple, str))


def call_mutation(obj: Any, text: str) -> str | None:
    """Does calling this library object change memory its caller may read?
    Methods of global objects that are not data may (``model.update()``);
    NumPy functions writing into an argument are the alias analysis' to refuse."""
    owner = getattr(obj, "__self__", None)
    if owner is None or isinstance(owner, type(sys)) or _is_numpy_data(owner):
        return None
    if isinstance(owner, (np.random.RandomState, np.random.Generator, random.Random)):
        return None  # a draw changes the generator, which no derivative reads
    if isinstance(owner, (list, dict, set, bytearray)):
        return None  # a global container: changes_global decides, with who reads it
    return f"it calls `{text}`, a method of the object {type(owner).__name__}, which may change its state"


def changes_global(func: gast.expr, resolver: Scope, arrays_only: bool = False) -> bool:
    """Is ``func`` a changing method (``append``, ``fill``...) of a global
    container or array (not of a module: ``np.sort`` is a function)?"""
    if not (isinstance(func, gast.Attribute) and func.attr in MUTATORS and resolver.is_global(func)):
        return False
    ok, owner = resolver.value_of(func.value)
    return ok and isinstance(owner, (np.ndarray,) if arrays_only else (list, dict, set, bytearray, np.ndarray))


_leak_cache: dict[Any, str | None] = {}


def leak(fn: Any, statics: Statics = ()) -> str | None:
    """None when nothing ``fn`` computes can leave it except through its
    return value; else how it may (naming the change, with its line). A
    callee that is not pure is run once and kept (reverse mode); that is right
    only if no derivative flows out of it another way: into an argument, an
    attribute, a global container or an object's method, where the caller's
    adjoints do not follow it. Changing those with constants (a log entry, a
    counter) is fine; anything else is taken to leak (conservative)."""
    return _memo(_leak_cache, fn, lambda: _leak(fn, statics), statics)


def _leak(fn: Any, statics: Statics = ()) -> str | None:
    node, locals_, params, resolver, where = _read(fn, statics)

    def made_here(base: gast.AST) -> bool:
        while isinstance(base, (gast.Attribute, gast.Subscript)):
            base = base.value
        return isinstance(base, gast.Name) and base.id in locals_ and base.id not in params

    for n in walk(node):
        if isinstance(n, (gast.Global, gast.Nonlocal)):
            return f"it changes a variable outside itself ({where(n)})"
        if isinstance(n, (gast.Attribute, gast.Subscript)) and isinstance(n.ctx, (gast.Store, gast.Del)):
            if not made_here(n.value):
                return f"it changes `{spelling(n.value)}`, which it did not make ({where(n)})"
        if not isinstance(n, gast.Call):
            continue
        constant_args = all(isinstance(a, gast.Constant) for a in [*n.args, *(k.value for k in n.keywords)])
        func = n.func
        if isinstance(func, gast.Attribute) and not resolver.is_global(func):
            if func.attr in MUTATORS and not made_here(func.value) and not constant_args:
                return f"it puts a value into `{spelling(func.value)}` (.{func.attr}()), which it did not make ({where(n)})"
            continue
        ok, obj = resolver.value_of(func)
        if not ok:
            if isinstance(func, gast.Name) and func.id in params:
                return f"it calls `{func.id}`, a function s2sad does not know when it analyses the caller ({where(n)})"
            continue
        if is_user_function(obj):
            why = leak(obj, call_statics(obj, n, resolver))
            if why is not None:
                return f"it calls `{spelling(func)}`, which {why.removeprefix('it ')}"
            continue
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (np.random.RandomState, np.random.Generator, random.Random)) or owner is None:
            continue  # a draw, or a function: its result is what it gives back
        if isinstance(owner, type(sys)) or _is_numpy_data(owner):
            continue
        if isinstance(owner, (list, dict, set, bytearray)) and getattr(obj, "__name__", "") not in MUTATORS:
            continue  # reads a global container
        if not constant_args:
            return f"it passes values to `{spelling(func)}`, a method of the object {type(owner).__name__} ({where(n)})"
    return None

