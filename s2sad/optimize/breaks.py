"""Breaks where they happen: a loop left by a flag leaves where the flag is set.

:mod:`s2sad.frontend.exits` turns ``break`` (and a ``return`` inside a loop)
into flags, so that every loop of the core leaves only at the end of its
body, as ``if stop_1: break``, with the rest of the body guarded by
``go = not stop_1``. The transforms need that structure; a reader does not.
This pass gives the generated code back the ``break`` a person writes.

Input: a generated function (either mode, dead code gone). A loop is
rewritten when its body ends with ``if S: break``, holds no other ``break``
or ``continue`` of its own, and a flag is known ``False`` at the top of
every iteration: ``S`` itself, or a copy ``C = S`` made once ``S`` is set
for the last time (``C`` set nowhere else in the loop), when ``False`` just
before the loop — the back edge is taken only when ``S`` is ``False``.

Output: the same function, in which such a loop's body, folded with what
is known of its flags (``not`` of a known flag, a branch on one, a store of
the value a flag holds already), runs the rest of the iteration, folded, at
the end of each branch after which that rest surely breaks off — so the
``break`` stands where the flag is set. Then, inside the rewritten loops,
copies back and forth (``b = a`` after ``a = b``) and assignments no path
reads any more (break-aware liveness) go, and a value copied once is
written where it is copied to. Every rewrite keeps the value of every name
at every point where it is read.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse('''
... def f(x):
...     stop = False
...     while x < 10.0:
...         t = x > 5.0
...         if t:
...             stop_1 = True
...         else:
...             stop_1 = stop
...         go = not stop_1
...         if go:
...             x_1 = x * 2.0
...         else:
...             x_1 = x
...         stop = stop_1
...         x = x_1
...         if stop_1:
...             break
...     return x, stop
... ''').body[0]
>>> print(unparse(restore_breaks(fn)).strip())
def f(x):
    stop = False
    while x < 10.0:
        t = x > 5.0
        if t:
            stop = True
            break
        x = x * 2.0
    return x, stop
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gast

from ..ir.core import clone, const, names_read, names_written, walk
from .dead_code import makes_no_call

_SCOPES = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)
Known = dict[str, bool]  # names whose value is known to be True or False


def restore_breaks(fn: gast.FunctionDef) -> gast.FunctionDef:
    """Rewrite ``fn``'s loops in place (see the module's contract) and return it."""
    if any(isinstance(n, gast.Continue) for n in walk(fn)):
        return fn
    rewritten: list[gast.For | gast.While] = []
    _blocks(fn.body, rewritten)
    if rewritten:
        _sweep(fn, rewritten)
    return fn


def _blocks(stmts: list[gast.stmt], rewritten: list[gast.For | gast.While]) -> None:
    for k, s in enumerate(stmts):
        if isinstance(s, (gast.For, gast.While)):
            _blocks(s.body, rewritten)  # inner loops first: their breaks are their own
            if _rewrite(s, stmts[:k]):
                rewritten.append(s)
        elif isinstance(s, gast.If):
            _blocks(s.body, rewritten)
            _blocks(s.orelse, rewritten)


# ------------------------------------------------------------ the rewrite
def _rewrite(loop: gast.For | gast.While, before: list[gast.stmt]) -> bool:
    body = loop.body
    last = body[-1] if body else None
    if not (isinstance(last, gast.If) and isinstance(last.test, gast.Name) and not last.orelse
            and len(last.body) == 1 and isinstance(last.body[0], gast.Break)):  # fmt: skip
        return False
    stop = last.test.id
    if loop.orelse or any(isinstance(x, (gast.Break, gast.Continue)) for x in _own(body[:-1])):
        return False
    known = {flag: False for flag in _false_at_top(loop, stop, before)}
    if not known:
        return False
    threaded = [False]
    stmts, _ = _thread(body, known, [], threaded)
    if not threaded[0]:
        return False
    loop.body = stmts or [gast.Pass()]
    return True


def _false_at_top(loop: gast.For | gast.While, stop: str, before: list[gast.stmt]) -> list[str]:
    """Flags ``False`` at the top of every iteration: ``stop`` itself, or a
    copy ``C = stop`` made once ``stop`` is set for the last time (``C`` set
    nowhere else in the loop), when ``False`` just before the loop — the
    back edge is taken only when ``stop`` is ``False``."""
    body = loop.body[:-1]
    target = names_written(loop.target) if isinstance(loop, gast.For) else set()
    flags = [stop] if stop not in target else []
    for j, s in enumerate(body):
        pair = _copy(s)
        if pair is None or pair[1] != stop or pair[0] in (stop, *target) or _sets(body[j + 1 :], stop):
            continue
        if sum(pair[0] in names_written(x) for x in body) == 1:
            flags.append(pair[0])
    return [f for f in flags if _false_before(f, before)]


def _false_before(flag: str, before: list[gast.stmt]) -> bool:
    for s in reversed(before):
        if flag in names_written(s):
            return (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
                    and isinstance(s.value, gast.Constant) and s.value.value is False)  # fmt: skip
    return False


def _thread(
    stmts: list[gast.stmt], known: Known, tail: list[gast.stmt], threaded: list[bool]
) -> tuple[list[gast.stmt], Known | None]:
    """``stmts`` (followed, up to the end of the loop body, by ``tail``) with
    the known flags folded in, and each branch after which the rest of the
    body (``stmts``' rest and ``tail``) surely breaks off running that rest,
    folded, itself; and what is known at the end of ``stmts`` (None: no path
    gets there). The branches are rewritten in place."""
    out: list[gast.stmt] = []
    for k, s in enumerate(stmts):
        if not isinstance(s, gast.If):
            more, known_after = _fold([s], known)
            out.extend(more)
            if known_after is None:
                return out, None
            known = known_after
            continue
        s.test = _fold_expr(s.test, known)
        if isinstance(s.test, gast.Constant) and isinstance(s.test.value, bool):
            rest, end = _thread((s.body if s.test.value else s.orelse) + stmts[k + 1 :], known, tail, threaded)
            return out + rest, end
        after = stmts[k + 1 :] + tail
        ends = []
        for field in ("body", "orelse"):
            branch, end = _thread(getattr(s, field), dict(known), after, threaded)
            if end is not None:
                trial, trial_end = _fold(clone(after), dict(end))
                if trial_end is None and not any(isinstance(n, (gast.For, gast.While)) for x in trial for n in walk(x)):
                    branch, end = branch + trial, None  # this path breaks off: it does so here
                    threaded[0] = True
            if end is not None:
                ends.append(end)
            setattr(s, field, branch)
        if not s.body:
            s.body = [gast.Pass()]
        out.append(s)
        if not ends:
            return out, None
        known = _meet(ends)
    return out, known


# ------------------------------------------------------------ folding
def _fold(stmts: list[gast.stmt], known: Known) -> tuple[list[gast.stmt], Known | None]:
    """``stmts`` with the known flags read as constants, branches on a known
    test spliced in, stores of the value a flag already holds dropped; and
    what is known after them (None: they break off)."""
    out: list[gast.stmt] = []
    for s in stmts:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            t = s.targets[0].id
            s.value = _fold_expr(s.value, known)
            v = s.value.value if isinstance(s.value, gast.Constant) and isinstance(s.value.value, bool) else None
            if v is not None and known.get(t) is v:
                continue  # it holds that already
            known.pop(t, None)
            if v is not None:
                known[t] = v
            out.append(s)
        elif isinstance(s, gast.If):
            s.test = _fold_expr(s.test, known)
            if isinstance(s.test, gast.Constant) and isinstance(s.test.value, bool):
                more, end = _fold(s.body if s.test.value else s.orelse, known)
                out.extend(more)
                if end is None:
                    return out, None
                known = end
                continue
            then, k1 = _fold(s.body, dict(known))
            orelse, k2 = _fold(s.orelse, dict(known))
            s.body, s.orelse = then or [gast.Pass()], orelse
            out.append(s)
            ends = [k for k in (k1, k2) if k is not None]
            if not ends:
                return out, None
            known = _meet(ends)
        elif isinstance(s, (gast.For, gast.While)):
            for n in names_written(s):
                known.pop(n, None)
            inner = dict(known)  # what the loop never sets holds all through it
            if isinstance(s, gast.While):
                s.test = _fold_expr(s.test, inner)
            s.body = _fold(s.body, inner)[0] or [gast.Pass()]
            out.append(s)
        elif isinstance(s, gast.Break):
            out.append(s)
            return out, None
        else:
            for n in names_written(s):
                known.pop(n, None)
            out.append(s)
    return out, known


def _fold_expr(e: gast.expr, known: Known) -> gast.expr:
    """``e`` with the known flags it reads as constants, ``not`` of one folded."""
    if not known:
        return e
    if isinstance(e, gast.Name) and isinstance(e.ctx, gast.Load) and e.id in known:
        return gast.copy_location(const(known[e.id]), e)
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.Not):
        inner = _fold_expr(e.operand, known)
        if isinstance(inner, gast.Constant) and isinstance(inner.value, bool):
            return gast.copy_location(const(not inner.value), e)
        e.operand = inner
        return e
    if isinstance(e, gast.BoolOp):  # `a or b` of known flags
        e.values = [_fold_expr(v, known) for v in e.values]
        if all(isinstance(v, gast.Constant) and isinstance(v.value, bool) for v in e.values):
            values = [v.value for v in e.values]
            return gast.copy_location(const(any(values) if isinstance(e.op, gast.Or) else all(values)), e)
        return e
    if isinstance(e, gast.Name) or any(isinstance(n, _SCOPES) for n in walk(e)):
        return e  # (a comprehension or lambda may bind the name anew)
    for node in walk(e):  # a flag read inside a larger expression
        for field, value in gast.iter_fields(node):
            if isinstance(value, gast.Name) and isinstance(value.ctx, gast.Load) and value.id in known:
                setattr(node, field, gast.copy_location(const(known[value.id]), value))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, gast.Name) and isinstance(item.ctx, gast.Load) and item.id in known:
                        value[i] = gast.copy_location(const(known[item.id]), item)
    return e


def _meet(ends: list[Known]) -> Known:
    """What every one of ``ends`` knows alike."""
    first, *others = ends
    return {n: v for n, v in first.items() if all(o.get(n, None) is v for o in others)}


# ------------------------------------------------------------ clean-up
def _sweep(fn: gast.FunctionDef, loops: list[gast.For | gast.While]) -> None:
    """Drop, inside the rewritten loops, copies back (``b = a`` after
    ``a = b``) and assignments no path reads (a break's path reads what is
    read after its loop), then write a value copied once where it is copied to."""
    for loop in loops:
        loop.body = _no_copies_back(loop.body)
    _without_unread(fn, loops)
    reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    for n in walk(fn):
        if isinstance(n, gast.Name):
            counts = reads if isinstance(n.ctx, gast.Load) else writes
            counts[n.id] = counts.get(n.id, 0) + 1
    for loop in loops:
        _coalesce(loop.body, lambda a: reads.get(a) == 1 and writes.get(a) == 1)


def _without_unread(fn: gast.FunctionDef, loops: list[gast.For | gast.While]) -> None:
    while True:
        live: dict[int, set[str]] = {}
        _live(fn.body, set(), set(), live)
        gone = [False]
        for loop in loops:
            loop.body = _without_dead(loop.body, live, gone) or [gast.Pass()]
        if not gone[0]:
            return


def _no_copies_back(stmts: list[gast.stmt]) -> list[gast.stmt]:
    return _copies_back(stmts, {})[0]


def _copies_back(stmts: list[gast.stmt], copies: dict[str, str]) -> tuple[list[gast.stmt], dict[str, str] | None]:
    """``stmts`` without ``b = a`` where ``a = b`` came before and neither was
    set since (``copies``: a -> b of those in force); and the copies in force
    at the end (None where no path gets there)."""
    out: list[gast.stmt] = []
    for s in stmts:
        pair = _copy(s)
        if pair is not None and (pair[0] == pair[1] or copies.get(pair[1]) == pair[0]):
            continue
        if isinstance(s, gast.If):
            s.body, then = _copies_back(s.body, dict(copies))
            s.orelse, orelse = _copies_back(s.orelse, dict(copies))
            s.body = s.body or [gast.Pass()]
            ends = [c for c in (then, orelse) if c is not None]
            out.append(s)
            if not ends:
                return out, None
            copies = {a: b for a, b in ends[0].items() if all(c.get(a) == b for c in ends)}
            continue
        if isinstance(s, gast.Break):
            out.append(s)
            return out, None
        for n in names_written(s):
            copies = {a: b for a, b in copies.items() if n not in (a, b)}
        if pair is not None:
            copies[pair[0]] = pair[1]
        out.append(s)
    return out, copies


def _coalesce(stmts: list[gast.stmt], once: Callable[[str], bool]) -> None:
    """``a = e; ...; b = a`` -> ``b = e; ...`` where ``a`` is set and read
    there alone, and what lies between neither reads nor sets ``b``, sets
    what ``e`` reads, nor leaves the block (``cond_1 = x_1 < 10.0; cond =
    cond_1`` -> ``cond = x_1 < 10.0``)."""
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and isinstance(s, (gast.If, gast.For, gast.While)):
                _coalesce(inner, once)
    j = 0
    while j < len(stmts):
        pair = _copy(stmts[j])
        i = _definition(stmts, j, pair[1]) if pair is not None and once(pair[1]) else None
        if i is None:
            j += 1
            continue
        between = stmts[i + 1 : j]
        b, e = pair[0], stmts[i].value
        touched = set().union(*(names_read(x) | names_written(x) for x in between)) if between else set()
        leaves = any(isinstance(n, (gast.Break, gast.Continue, gast.Return)) for x in between for n in walk(x))
        written = set().union(*(names_written(x) for x in between)) if between else set()
        if b in touched or names_read(e) & written or leaves:
            j += 1
            continue
        stmts[i].targets = [gast.copy_location(gast.Name(id=b, ctx=gast.Store(), annotation=None, type_comment=None),
                                               stmts[i].targets[0])]
        del stmts[j]


def _definition(stmts: list[gast.stmt], j: int, a: str) -> int | None:
    """The index of ``a = e`` before ``j`` in ``stmts`` (a plain assignment)."""
    for i in range(j - 1, -1, -1):
        s = stmts[i]
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name) \
                and s.targets[0].id == a:
            return i
    return None


def _copy(s: gast.stmt) -> tuple[str, str] | None:
    if (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Name)):  # fmt: skip
        return s.targets[0].id, s.value.id
    return None


def _without_dead(stmts: list[gast.stmt], live: dict[int, set[str]], gone: list[bool]) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    for s in stmts:
        if (isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
                and id(s) in live and s.targets[0].id not in live[id(s)] and makes_no_call(s)):  # fmt: skip
            gone[0] = True
            continue
        if isinstance(s, gast.If):
            s.body = _without_dead(s.body, live, gone)
            s.orelse = _without_dead(s.orelse, live, gone)
            if not s.body and not s.orelse and makes_no_call(gast.Expr(value=s.test)):
                gone[0] = True
                continue
            if not s.body:
                s.test, s.body, s.orelse = _negated(s.test), s.orelse, []
        elif isinstance(s, (gast.For, gast.While)):
            s.body = _without_dead(s.body, live, gone) or [gast.Pass()]
        out.append(s)
    return out


def _negated(test: gast.expr) -> gast.expr:
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return gast.copy_location(gast.UnaryOp(op=gast.Not(), operand=test), test)


def _live(stmts: list[gast.stmt], after: set[str], broken: set[str], out: dict[int, set[str]]) -> set[str]:
    """Names read before they are set, from the start of ``stmts`` on, given
    those live after them and those live where a ``break`` leaves (after its
    loop); ``out`` gets, for each assignment, the names live after it."""
    live = set(after)
    for s in reversed(stmts):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name):
            out[id(s)] = set(live)
            live = (live - {s.targets[0].id}) | names_read(s.value)
        elif isinstance(s, gast.If):
            live = _live(s.body, live, broken, out) | _live(s.orelse, live, broken, out) | names_read(s.test)
        elif isinstance(s, (gast.For, gast.While)):
            head = names_read(s.iter if isinstance(s, gast.For) else s.test)
            target = names_written(s.target) if isinstance(s, gast.For) else set()
            if s.orelse:  # (generated code has none: read as a whole, setting nothing)
                live = live | names_read(gast.Module(body=s.orelse, type_ignores=[]))
            inner = live | head
            while True:  # the back edge: what an iteration reads first is live at the end of the one before
                entry = _live(s.body, inner, live, out) - target
                if entry <= inner:
                    break
                inner |= entry
            live = inner | names_read(s.iter if isinstance(s, gast.For) else None)
        elif isinstance(s, gast.AugAssign):
            live = live | names_read(s.value) | names_written(s.target) | names_read(s.target)
        elif isinstance(s, gast.Break):
            live = set(broken)
        elif isinstance(s, gast.Return):
            live = names_read(s.value)
        else:  # a call, a push, a def, a write into an array: read, never counted as setting
            live = live | names_read(s)
    return live


def _own(stmts: list[gast.stmt]) -> Iterator[gast.stmt]:
    """The statements of ``stmts`` and their branches, not inside a loop or def."""
    for s in stmts:
        yield s
        if isinstance(s, gast.If):
            yield from _own(s.body)
            yield from _own(s.orelse)


def _sets(stmts: list[gast.stmt], n: str) -> bool:
    return any(n in names_written(s) for s in stmts)
