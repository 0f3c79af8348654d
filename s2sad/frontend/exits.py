"""Exit lowering: ``break``, ``continue`` and early ``return`` become flags.

Part of the one walk :class:`s2sad.frontend.anf.Normalizer` makes (the
passes share its namer and its order of fresh names, so they run
interleaved, statement by statement, rather than one after the other).

Input: statement lists as the user wrote them, past :mod:`s2sad.frontend.fence`.

Output guarantees: control leaves a loop only at the end of its body, as
``if flag: break``; a ``continue`` sets a flag that guards the rest of the
body; a ``return`` before the last statement stores its value and sets
``returned`` (and the break flag of every enclosing loop), and the function
ends with one ``return``. Code after an exit in the same block is dropped.

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(x):\\n    while x > 1:\\n        if x > 5:\\n            break\\n        x = x / 2\\n"
...                   "    return x").body[0]
>>> print(unparse(normalize(fn, Namer.for_function(fn))).strip())
def f(x):
    cond = x > 1
    stop = False
    while cond:
        t1 = x > 5
        if t1:
            stop = True
        go2 = not stop
        if go2:
            x = x / 2
        go3 = not stop
        if go3:
            cond = x > 1
        if stop:
            break
    return x
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from ..ir.core import assign, clone, const, name


@dataclass
class Loop:
    """The flags a loop's break and continue set (None when it has none)."""

    brk: str | None = None
    cont: str | None = None


class Exits:
    """The normalizer's blocks, loops and exits. Needs of its host: ``namer``,
    ``ret_flag``/``ret_value`` (set by ``run`` when the function returns
    early), ``loops``, ``stmt``, ``expr``, ``atom`` and ``iteration``."""

    def block(self, stmts: list[gast.stmt], out: list[gast.stmt], top: bool = False) -> None:
        """Normalize ``stmts`` into ``out``; after a statement that may leave the
        block early (break, continue, return), guard the rest with a flag test."""
        for i, stmt in enumerate(stmts):
            self.stmt(stmt, out)
            if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
                return  # the rest of the block is dead code
            rest = stmts[i + 1 :]
            flag = self._exit_flag_after(stmt)
            if rest and flag is not None:
                guard: list[gast.stmt] = []
                self.block(rest, guard)
                test = self._not(flag, stmt, out)
                out.append(gast.copy_location(gast.If(test=test, body=guard, orelse=[]), rest[0]))
                return

    def _exit_flag_after(self, stmt: gast.stmt) -> str | None:
        """The condition under which control may have left the current block
        inside ``stmt`` (None when it cannot)."""
        flags = []
        if self.ret_flag and has_early_return([stmt]):
            flags.append(self.ret_flag)
        if self.loops and not isinstance(stmt, (gast.For, gast.While)):
            loop = self.loops[-1]
            if _contains(stmt, gast.Break):
                flags.append(loop.brk)
            if _contains(stmt, gast.Continue):
                flags.append(loop.cont)
        flags = [f for f in flags if f]
        if not flags:
            return None
        if len(flags) == 1:
            return flags[0]
        return "|".join(flags)

    def _not(self, flag: str, anchor: gast.AST, out: list[gast.stmt]) -> gast.expr:
        t = self.namer.temp("go")
        parts = flag.split("|")
        expr: gast.expr = name(parts[0])
        for p in parts[1:]:
            expr = gast.BoolOp(op=gast.Or(), values=[expr, name(p)])
        out.append(gast.copy_location(assign(t, gast.UnaryOp(op=gast.Not(), operand=expr)), anchor))
        return name(t)

    def stmt_Return(self, s: gast.Return, out: list[gast.stmt]) -> None:
        value = s.value if s.value is not None else const(None)
        if self.ret_flag is None:
            out.append(gast.Return(value=self.atom(value, out, into="y")))
            return
        out.append(assign(self.ret_value, self.expr(value, out)))
        out.append(assign(self.ret_flag, const(True)))
        for loop in self.loops:
            self._need_flag(loop, "brk")
            out.append(assign(loop.brk, const(True)))

    def stmt_Break(self, s: gast.Break, out: list[gast.stmt]) -> None:
        loop = self.loops[-1]
        self._need_flag(loop, "brk")
        out.append(assign(loop.brk, const(True)))

    def stmt_Continue(self, s: gast.Continue, out: list[gast.stmt]) -> None:
        loop = self.loops[-1]
        self._need_flag(loop, "cont")
        out.append(assign(loop.cont, const(True)))

    def _need_flag(self, loop: Loop, kind: str) -> None:
        if getattr(loop, kind) is None:
            setattr(loop, kind, self.namer.claim("stop" if kind == "brk" else "skip"))

    def stmt_For(self, s: gast.For, out: list[gast.stmt]) -> None:
        if s.orelse:
            raise self.refuse(s, "a for loop with an else clause", "move the else block after the loop")
        loop = self._open_loop(s)
        rng, prologue = self.iteration(s, out)
        index = prologue.pop(0)
        body: list[gast.stmt] = []
        if loop.cont:
            body.append(assign(loop.cont, const(False)))
        self.block(prologue + s.body, body)
        self._close_loop(loop, body, out)
        out.append(gast.For(target=index, iter=rng, body=body, orelse=[], type_comment=None))

    def stmt_While(self, s: gast.While, out: list[gast.stmt]) -> None:
        if s.orelse:
            raise self.refuse(s, "a while loop with an else clause", "move the else block after the loop")
        loop = self._open_loop(s)
        cond = self.namer.claim("cond")
        out.append(assign(cond, self.expr(s.test, out)))
        body: list[gast.stmt] = []
        if loop.cont:
            body.append(assign(loop.cont, const(False)))
        self.block(s.body, body)
        recompute: list[gast.stmt] = []
        recompute.append(assign(cond, self.expr(clone(s.test), recompute)))
        if loop.brk:
            go = self._not(loop.brk, s, body)
            body.append(gast.If(test=go, body=recompute, orelse=[]))
        else:
            body.extend(recompute)
        self._close_loop(loop, body, out)
        out.append(gast.While(test=name(cond), body=body, orelse=[]))

    def _open_loop(self, s: gast.stmt) -> Loop:
        loop = Loop()
        if _contains_own(s.body, gast.Break) or (self.ret_flag and has_early_return(s.body)):
            self._need_flag(loop, "brk")
        if _contains_own(s.body, gast.Continue):
            self._need_flag(loop, "cont")
        self.loops.append(loop)
        return loop

    def _close_loop(self, loop: Loop, body: list[gast.stmt], out: list[gast.stmt]) -> None:
        self.loops.pop()
        if loop.brk:
            out.insert(len(out), assign(loop.brk, const(False)))
            body.append(gast.If(test=name(loop.brk), body=[gast.Break()], orelse=[]))
        if loop.cont:
            out.append(assign(loop.cont, const(False)))


def _contains(node: gast.AST, kind: type) -> bool:
    """Does ``node`` hold a ``kind`` statement that belongs to the enclosing loop?"""
    return _contains_own([node], kind)


def _contains_own(stmts: list[gast.stmt], kind: type) -> bool:
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, gast.If) and (_contains_own(s.body, kind) or _contains_own(s.orelse, kind)):
            return True
    return False


def has_early_return(stmts: list[gast.stmt], top: bool = True) -> bool:
    """Is there a ``return`` anywhere but as the last top-level statement?"""
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Return):
            if not (top and i == len(stmts) - 1):
                return True
        elif isinstance(s, (gast.If, gast.For, gast.While)):
            inner = list(s.body) + list(s.orelse)
            if has_early_return(inner, top=False):
                return True
    return False
