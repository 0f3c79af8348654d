"""Rename the core so that each name is assigned by one statement.

Input: the core of :mod:`s2sad.frontend.anf`.

Output guarantees:

* in straight-line code every name is assigned once: a reassigned user name
  gets versions ``x``, ``x_1``, ``x_2``...;
* after an ``if``, a name that a branch changed has one version, assigned at
  the end of each branch (the branch's last definition is renamed to it, or a
  copy ``x_2 = x_1`` closes the branch);
* a name a loop changes (*loop-carried*) keeps its pre-loop version, which the
  last definition in the body writes again; every other name a loop body
  assigns is assigned once per iteration.

So a name is only ever overwritten by a later iteration of a loop, and the
reverse sweep needs to save values only inside loops.

>>> import gast
>>> from s2sad.ir.naming import Namer
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse("def f(x):\\n    x = x * 2\\n    for i in range(3):\\n        x = np.sin(x) + 1\\n    return x").body[0]
>>> namer = Namer.for_function(fn)
>>> print(unparse(to_ssa(normalize(fn, namer), namer)).strip())
def f(x):
    x_1 = x * 2
    r1 = range(3)
    for i in r1:
        t2 = np.sin(x_1)
        x_1 = t2 + 1
    return x_1
"""

from __future__ import annotations

import gast

from ..analysis.liveness import live_after
from .core import clone, walk
from .naming import Namer


def rename(stmts: list[gast.stmt], old: str, new: str) -> None:
    """Replace every occurrence of the name ``old`` by ``new`` in place."""
    for s in stmts:
        for node in walk(s):
            if isinstance(node, gast.Name) and node.id == old:
                node.id = new


def assigned(stmts: list[gast.stmt]) -> set[str]:
    """Names assigned anywhere in ``stmts`` (loop targets included)."""
    out: set[str] = set()
    for s in stmts:
        for node in walk(s):
            if isinstance(node, gast.Assign):
                for t in node.targets:
                    if isinstance(t, gast.Name):
                        out.add(t.id)
            elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
                out.add(node.target.id)
    return out


def _assigned_by_statements(stmts: list[gast.stmt]) -> set[str]:
    return {
        t.id
        for s in stmts
        for node in walk(s)
        if isinstance(node, gast.Assign)
        for t in node.targets
        if isinstance(t, gast.Name)
    }


class SSA:
    def __init__(self, namer: Namer, params: list[str], live_after: dict[int, set[str]] | None = None):
        self.namer = namer
        self.seen: set[str] = set(params)
        # id(if) -> names read after it; id(loop) -> names read after it or
        # read by an iteration before the iteration sets them
        self.live_after = live_after or {}

    def define(self, user: str, env: dict[str, str]) -> str:
        if user not in self.seen:
            self.seen.add(user)
            env[user] = user
            return user
        version = self.namer.version(user)
        env[user] = version
        return version

    def load(self, node: gast.AST, env: dict[str, str]) -> None:
        for sub in walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and sub.id in env:
                sub.id = env[sub.id]

    def block(self, stmts: list[gast.stmt], env: dict[str, str]) -> tuple[list[gast.stmt], set[str]]:
        """Rename ``stmts``; return them and the versions they define."""
        out: list[gast.stmt] = []
        defined: set[str] = set()
        for s in stmts:
            defined |= self.stmt(s, env, out)
        return out, defined

    def stmt(self, s: gast.stmt, env: dict[str, str], out: list[gast.stmt]) -> set[str]:
        if isinstance(s, gast.Assign):
            self.load(s.value, env)
            tgt = s.targets[0]
            if isinstance(tgt, gast.Name):
                tgt.id = self.define(tgt.id, env)
                out.append(s)
                return {tgt.id}
            self.load(tgt, env)  # a write into an array: its name and index are reads
            out.append(s)
            return set()
        if isinstance(s, gast.If):
            return self.if_(s, env, out)
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s, env, out)
        self.load(s, env)
        out.append(s)
        return set()

    def if_(self, s: gast.If, env: dict[str, str], out: list[gast.stmt]) -> set[str]:
        self.load(s.test, env)
        env_then, env_else = dict(env), dict(env)
        s.body, def_then = self.block(s.body, env_then)
        s.orelse, def_else = self.block(s.orelse, env_else)
        defined = def_then | def_else
        live = self.live_after.get(id(s))
        for user in sorted(set(env_then) | set(env_else)):
            v_then, v_else = env_then.get(user), env_else.get(user)
            if v_then == v_else:
                env[user] = v_then  # type: ignore[assignment]
                continue
            if v_then is None or v_else is None or (live is not None and user not in live):
                # not read after the if (or defined on one path only): no merge,
                # so no copy of a value that may not exist on the other path
                env[user] = (v_then if v_then in def_then else v_else) or v_then or v_else  # type: ignore[assignment]
                continue
            merged = v_then if v_then in def_then else v_else if v_else in def_else else self.namer.version(user)
            for branch, version, defs in ((s.body, v_then, def_then), (s.orelse, v_else, def_else)):
                if version == merged:
                    continue
                if version in defs:
                    rename(branch, version, merged)
                else:
                    branch.append(gast.copy_location(_copy(merged, version), s))
            env[user] = merged
            defined.add(merged)
        out.append(s)
        return defined

    def loop(self, s: gast.For | gast.While, env: dict[str, str], out: list[gast.stmt]) -> set[str]:
        if isinstance(s, gast.For):
            self.load(s.iter, env)
        else:
            self.load(s.test, env)
        # a loop index is bound afresh each iteration: it is not carried, unless
        # it had a value before the loop (a loop that runs no iteration keeps
        # that value, as Python does; then the body's last index is copied back)
        indices = {n.target.id for n in walk(s) if isinstance(n, gast.For) and isinstance(n.target, gast.Name)}
        fresh = {u for u in indices if u not in env}
        body_assigned = (assigned(s.body) | assigned([s])) - (fresh - _assigned_by_statements(s.body))
        live = self.live_after.get(id(s))
        carried = {u: env[u] for u in sorted(body_assigned) if u in env and (live is None or u in live)}
        inner = dict(env)
        defined: set[str] = set()
        if isinstance(s, gast.For):
            assert isinstance(s.target, gast.Name)
            s.target.id = self.define(s.target.id, inner)
            defined.add(s.target.id)
        body, defs = self.block(s.body, inner)
        defined |= defs
        for user, head in carried.items():
            last = inner[user]
            if last == head:
                continue
            if last in defs and not _reads_at_def(body, last, head):
                rename(body, last, head)
            else:
                # before the body's closing `if stop: break`, so a break carries it out too
                at = len(body) - 1 if body and _is_break_test(body[-1]) else len(body)
                body.insert(at, gast.copy_location(_copy(head, last), s))
            inner[user] = head
        s.body = body
        env.update(inner)
        out.append(s)
        return defined


def _reads_at_def(stmts: list[gast.stmt], target: str, read: str) -> bool:
    """Does the statement defining ``target`` read ``read``? (Then it cannot be
    renamed to ``read``: the reverse sweep needs both values at once.)"""
    for s in stmts:  # every definition: a merged name has one in each branch
        for node in walk(s):
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) and node.targets[0].id == target:
                if any(isinstance(n, gast.Name) and n.id == read for n in walk(node.value)):
                    return True
    return False


def _is_break_test(s: gast.stmt) -> bool:
    return isinstance(s, gast.If) and len(s.body) == 1 and isinstance(s.body[0], gast.Break) and not s.orelse


def _copy(target: str, source: str) -> gast.Assign:
    return gast.Assign(
        targets=[gast.Name(id=target, ctx=gast.Store(), annotation=None, type_comment=None)],
        value=gast.Name(id=source, ctx=gast.Load(), annotation=None, type_comment=None),
        type_comment=None,
    )


def to_ssa(fn: gast.FunctionDef, namer: Namer) -> gast.FunctionDef:
    """Return ``fn`` (core form) renamed as described in the module docstring."""
    fn = clone(fn)
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    env = {p: p for p in params}
    fn.body, _ = SSA(namer, params, live_after(fn.body)).block(fn.body, env)
    return fn
