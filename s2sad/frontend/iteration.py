"""Iteration: every ``for`` loop walks a ``range``.

Part of the one walk :class:`s2sad.frontend.anf.Normalizer` makes (the
passes share its namer and its order of fresh names, so they run
interleaved, statement by statement, rather than one after the other).

Input: ``for target in iterable`` past :mod:`s2sad.frontend.fence`, where
the iterable is ``range(...)``, a sequence, ``enumerate``/``zip`` of those
(``zip(*xs)`` too, when the target says how many), ``reversed(...)`` or a
dict view (``d.keys()``, ``d.values()``, ``d.items()``).

Output guarantees: ``for i in r`` with ``r`` an atom bound to a range, and
the statements binding ``target`` at the top of the body (``x = xs[i]``,
read through :class:`s2sad.ir.core.KeyRead` so a dict gives its keys); the
sequence is the object the loop started with, even if the body rebinds its
name; ``reversed`` over a range is the range ``r[::-1]``, over anything
else a walk by index from ``len(xs) - 1`` down.

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(xs):\\n    s = 0.0\\n    for x in xs:\\n        s = s + x\\n    return s").body[0]
>>> print(unparse(normalize(fn, Namer.for_function(fn))).strip())
def f(xs):
    s = 0.0
    n2 = len(xs)
    r3 = range(n2)
    for i1 in r3:
        x = xs[i1]
        s = s + x
    return s
"""

from __future__ import annotations

import gast

from ..ir.core import KeyRead, assign, clone, const, name, walk

_DICT_VIEWS = ("keys", "values", "items")


# builtins returning iterators s2sad does not read as sequences
_ITERATORS = frozenset({"iter", "enumerate", "zip", "reversed", "range"})


class Iteration:
    """The normalizer's loop headers. Needs of its host: ``fn``, ``namer``,
    ``locals``, ``refuse``, ``atom``, ``unpack``, ``global_callee`` and
    ``global_chain``."""

    def iteration(self, s: gast.For, out: list[gast.stmt]) -> tuple[gast.Name, list[gast.stmt]]:
        """Turn ``for target in iterable`` into ``for i in r`` (``r`` a range)
        plus the statements that bind ``target`` at the top of the body.
        Returns the range atom and [index name, *binding statements]."""
        it = s.iter
        fn = self.global_callee(it)
        if fn == "range":
            args = [self.atom(a, out) for a in it.args]
            r = self.namer.temp("r")
            out.append(assign(r, gast.Call(func=name("range"), args=args, keywords=[])))
            if isinstance(s.target, gast.Name):
                return name(r), [name(s.target.id, gast.Store)]
            raise self.refuse(s.target, "unpacking a range index", "use a single loop variable")
        if fn in ("enumerate", "zip"):
            seqs: list[gast.expr] = []
            idx = self.namer.temp("i")
            if (
                fn == "enumerate"
                and isinstance(s.target, gast.Tuple)
                and len(s.target.elts) == 2
                and isinstance(s.target.elts[0], gast.Name)
            ):
                # for i, x in enumerate(...): i is the loop's own index (with
                # a start, i = index + start)
                seq, start = self._enumerated(it)
                if start is None:
                    idx = s.target.elts[0].id
                item = self._item(seq, s, idx, seqs, out)
                binds = [gast.Assign(targets=[s.target.elts[1]], value=item, type_comment=None)]
                if start is not None:
                    count = _plus(idx, self.atom(start, out))
                    binds.insert(0, gast.Assign(targets=[s.target.elts[0]], value=count, type_comment=None))
            else:
                item = self._item(it, s, idx, seqs, out)
                binds = [gast.Assign(targets=[s.target], value=item, type_comment=None)]
            if not seqs:
                raise self.refuse(it, f"iterating over {fn}() of nothing", "give it a sequence")
            r = self._range_len(seqs, out)
            return name(r), [name(idx, gast.Store), *binds]
        if fn == "reversed" and len(it.args) == 1 and not it.keywords:
            return self._reversed(s, it.args[0], out)
        if fn in _ITERATORS:
            raise self.refuse(it, f"iterating over {fn}(...)", "iterate over range(...), enumerate, zip, or an array")
        idx = self.namer.temp("i")
        seqs: list[gast.expr] = []
        item = self._item(it, s, idx, seqs, out)
        r = self._range_len(seqs, out)
        return name(r), [name(idx, gast.Store), gast.Assign(targets=[s.target], value=item, type_comment=None)]

    def _item(self, it: gast.expr, s: gast.For, idx: str, seqs: list[gast.expr], out: list[gast.stmt]) -> gast.expr:
        """The item at index ``idx`` of what ``it`` iterates over, where ``it``
        may nest ``zip(...)`` and ``enumerate(...)``; the sequences whose
        lengths bound the loop are added to ``seqs``."""
        fn = self.global_callee(it)
        if fn == "zip" and not it.keywords and len(it.args) == 1 and isinstance(it.args[0], gast.Starred):
            it = self._unzip(it, s, out)
        if fn == "zip" and not it.keywords and not any(isinstance(a, gast.Starred) for a in it.args):
            elts = [self._item(a, s, idx, seqs, out) for a in it.args]
            return gast.Tuple(elts=elts, ctx=gast.Load())
        if fn == "enumerate":
            seq, start = self._enumerated(it)
            inner = self._item(seq, s, idx, seqs, out)
            count = name(idx) if start is None else _plus(idx, self.atom(start, out))
            return gast.Tuple(elts=[count, inner], ctx=gast.Load())
        if fn in _ITERATORS and fn != "range":
            raise self.refuse(it, f"iterating over {fn}(...)", "iterate over range(...), enumerate, zip, or an array")
        how = "iter"
        if (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Attribute)
            and it.func.attr in _DICT_VIEWS
            and not it.args
            and not it.keywords
            and not self.global_chain(it.func)
        ):
            how, it = it.func.attr, it.func.value  # d.items(): walk d's keys, read its values
        seq = self._iterated(self.atom(it, out), s, out)
        seqs.append(seq)
        key = gast.Subscript(value=clone(seq), slice=name(idx), ctx=KeyRead(how))
        if how == "values":
            return gast.Subscript(value=clone(seq), slice=key, ctx=gast.Load())
        if how == "items":
            value = gast.Subscript(value=clone(seq), slice=clone(key), ctx=gast.Load())
            return gast.Tuple(elts=[key, value], ctx=gast.Load())
        return key

    def _enumerated(self, it: gast.Call) -> tuple[gast.expr, gast.expr | None]:
        """The sequence and the start (None for none) of ``enumerate(xs)``,
        ``enumerate(xs, k)`` or ``enumerate(xs, start=k)``."""
        args = list(it.args)
        keywords = list(it.keywords)
        if len(args) == 1 and len(keywords) == 1 and keywords[0].arg == "start":
            args.append(keywords.pop().value)
        if not 1 <= len(args) <= 2 or keywords or any(isinstance(a, gast.Starred) for a in args):
            raise self.refuse(it, "this call of enumerate", "write `for i, x in enumerate(xs)` or `enumerate(xs, start=k)`")
        return args[0], (args[1] if len(args) == 2 else None)

    def _unzip(self, it: gast.Call, s: gast.For, out: list[gast.stmt]) -> gast.Call:
        """``for a, b in zip(*pairs)``: the target says how many sequences
        ``pairs`` holds, so ``s1, s2 = pairs; for a, b in zip(s1, s2)``
        (Python raises, as the loop would, if it holds another number)."""
        if not (isinstance(s.target, gast.Tuple) and all(isinstance(e, gast.Name) for e in s.target.elts)):
            raise self.refuse(
                it,
                "zip(*xs) into a single loop variable",
                "unpack the loop variable (for a, b in zip(*pairs)), so its length is known",
            )
        src = self.atom(it.args[0].value, out)
        parts = [self.namer.temp("s") for _ in s.target.elts]
        for p in parts:
            self.locals.add(p)
        unpack = gast.Tuple(elts=[name(p, gast.Store) for p in parts], ctx=gast.Store())
        self.unpack(unpack, src, out)
        return gast.Call(func=name("zip"), args=[name(p) for p in parts], keywords=[])

    def _reversed(self, s: gast.For, seq: gast.expr, out: list[gast.stmt]) -> tuple[gast.Name, list[gast.stmt]]:
        """``for t in reversed(seq)``: a range is reversed by slicing it
        (``r[::-1]`` is a range); any other sequence is read backwards by index."""
        backwards = gast.Slice(lower=None, upper=None, step=const(-1))
        if self._is_range(seq) and isinstance(s.target, gast.Name):
            src = self.atom(seq, out)
            r = self.namer.temp("r")
            out.append(assign(r, gast.Subscript(value=src, slice=backwards, ctx=gast.Load())))
            return name(r), [name(s.target.id, gast.Store)]
        src = self.atom(seq, out)
        n = self.namer.temp("n")
        out.append(assign(n, gast.Call(func=name("len"), args=[clone(src)], keywords=[])))
        last = self.namer.temp("n")
        out.append(assign(last, gast.BinOp(left=name(n), op=gast.Sub(), right=const(1))))
        r = self.namer.temp("r")
        out.append(assign(r, gast.Call(func=name("range"), args=[name(last), const(-1), const(-1)], keywords=[])))
        idx = self.namer.temp("i")
        item = gast.Subscript(value=clone(src), slice=name(idx), ctx=gast.Load())
        return name(r), [name(idx, gast.Store), gast.Assign(targets=[s.target], value=item, type_comment=None)]

    def _is_range(self, node: gast.expr, seen: frozenset[str] = frozenset()) -> bool:
        """Is ``node`` certainly a range: ``range(...)``, a slice of one, or a
        local name only ever assigned such a value?"""
        if self.global_callee(node) == "range":
            return True
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            return self._is_range(node.value, seen)
        if not isinstance(node, gast.Name) or node.id not in self.locals or node.id in seen:
            return False
        values = []
        for sub in walk(self.fn):
            if isinstance(sub, gast.Assign):
                if any(isinstance(t, gast.Name) and t.id == node.id for t in sub.targets):
                    values.append(sub.value)
                elif any(node.id in {n.id for n in walk(t) if isinstance(n, gast.Name)} for t in sub.targets):
                    return False  # unpacked into, or written through
            elif isinstance(sub, (gast.AugAssign, gast.AnnAssign, gast.For)) and node.id in {
                n.id for n in walk(sub.target) if isinstance(n, gast.Name)
            }:
                return False
        params = {a.id for a in self.fn.args.posonlyargs + self.fn.args.args + self.fn.args.kwonlyargs}
        if node.id in params or not values:
            return False
        return all(self._is_range(v, seen | {node.id}) for v in values)

    def _iterated(self, seq: gast.expr, loop: gast.For, out: list[gast.stmt]) -> gast.expr:
        """The sequence a for loop walks: Python keeps the object the loop
        started with, even if the body rebinds the name, so keep it too."""
        if isinstance(seq, gast.Name) and any(
            isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id == seq.id for n in walk(loop)
        ):
            kept = self.namer.temp("seq")
            self.locals.add(kept)
            out.append(assign(kept, name(seq.id)))
            return name(kept)
        return seq

    def _range_len(self, seqs: list[gast.expr], out: list[gast.stmt]) -> str:
        lens = []
        for q in seqs:
            n = self.namer.temp("n")
            out.append(assign(n, gast.Call(func=name("len"), args=[clone(q)], keywords=[])))
            lens.append(name(n))
        if len(lens) > 1:
            n = self.namer.temp("n")
            out.append(assign(n, gast.Call(func=name("min"), args=lens, keywords=[])))
            lens = [name(n)]
        r = self.namer.temp("r")
        out.append(assign(r, gast.Call(func=name("range"), args=lens, keywords=[])))
        return r


def _plus(idx: str, start: gast.expr) -> gast.expr:
    """``idx + start``: the count ``enumerate`` gives with a start."""
    return gast.BinOp(left=name(idx), op=gast.Add(), right=start)
