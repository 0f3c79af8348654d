"""Desugaring: assignments, comparisons, conditionals, dicts and comprehensions.

Part of the one walk :class:`s2sad.frontend.anf.Normalizer` makes (the
passes share its namer and its order of fresh names, so they run
interleaved, statement by statement, rather than one after the other).

Input: statements and expressions past :mod:`s2sad.frontend.fence`.

Output guarantees:

* ``a += b`` is ``a = a + b``; ``x[i] += v`` reads ``x[i]`` once into a
  temporary, then writes ``x[i] = t + v``; each augmented assignment to a
  name (or a string key) is recorded in ``updates`` for the alias analysis;
* ``a = b = v`` assigns one atom to each target; ``a, b = b, a`` reads every
  right-hand side before writing a target; other tuple targets are unpacked
  one item at a time (``a = t[0]``);
* ``d["k"] = v`` is ``d = {**d, "k": v}``; ``dict(W=W)`` is ``{"W": W}``;
* ``a < b < c`` is ``(a < b) and (b < c)``; ``and``/``or`` and ``a if c
  else b`` become ``if`` statements (short-circuit kept);
* ``[e for x in xs if c]`` (and a generator expression, ``map``,
  ``filter``) is a loop appending to a fresh list, its names renamed so
  they do not leak.

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(x, y):\\n    x += y\\n    return 0 < x < y").body[0]
>>> print(unparse(normalize(fn, Namer.for_function(fn))).strip())
def f(x, y):
    x = x + y
    t1 = 0 < x
    if t1:
        t1 = x < y
    y_1 = t1
    return y_1
"""

from __future__ import annotations

import gast

from ..ir.core import assign, clone, const, dotted, locate, name, walk
from .fence import DEFAULT_HINT, foreign_write, is_partial

_OPS = {
    gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**", gast.MatMult: "@", gast.Mod: "%",
    gast.FloorDiv: "//", gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>",
}  # fmt: skip


class Desugar:
    """The normalizer's desugaring. Needs of its host: ``namer``, ``locals``,
    ``updates``, ``refuse``, ``stmt``, ``expr``, ``atom``, ``index``,
    ``call``, ``global_callee`` and the lifting methods of
    :class:`s2sad.frontend.lift.Lifting`."""

    def stmt_AnnAssign(self, s: gast.AnnAssign, out: list[gast.stmt]) -> None:
        if s.value is not None:
            self.assign_to(s.target, s.value, out)

    def stmt_Assign(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        if len(s.targets) == 1:
            self.assign_to(s.targets[0], s.value, out)
            return
        a = self.atom(s.value, out)
        for tgt in s.targets:
            self.assign_to(tgt, a, out)

    def stmt_AugAssign(self, s: gast.AugAssign, out: list[gast.stmt]) -> None:
        tgt = s.target
        if isinstance(tgt, gast.Name):
            # `x op= v` is `x = x op v` on numbers, but on an array Python
            # changes the object in place: analysis/mutation checks that no
            # other name or view can tell the difference
            self.updates.append((s.lineno, s.col_offset or 0, tgt.id, _OPS.get(type(s.op), "?")))
        if isinstance(tgt, gast.Name):
            self.assign_to(name(tgt.id, gast.Store), gast.BinOp(left=name(tgt.id), op=s.op, right=s.value), out)
        elif isinstance(tgt, gast.Subscript):
            base = self._local_base(tgt)
            idx = self.index(tgt.slice, out)
            cur = self.namer.temp()
            out.append(assign(cur, gast.Subscript(value=name(base), slice=idx, ctx=gast.Load())))
            val = self.atom(gast.BinOp(left=name(cur), op=s.op, right=s.value), out)
            self._store(base, clone(idx), val, out, s)
        else:
            raise self.refuse(tgt, "an augmented assignment to an attribute", "assign to a local name instead")

    def assign_to(self, tgt: gast.expr, value: gast.expr, out: list[gast.stmt]) -> None:
        if isinstance(tgt, gast.Name) and isinstance(value, gast.Lambda) and tgt.id not in self.locals:
            ret = gast.copy_location(gast.Return(value=value.body), value.body)
            fdef = gast.FunctionDef(
                name=tgt.id,
                args=value.args,
                body=[ret],
                decorator_list=[],
                returns=None,
                type_comment=None,
                type_params=[],
            )
            self.lift(gast.copy_location(fdef, value), out)
            return
        if isinstance(tgt, gast.Name) and is_partial(value) and tgt.id not in self.locals:
            self.lift_partial(tgt.id, value, out)
            return
        if isinstance(tgt, gast.Name):
            out.append(assign(tgt.id, self.expr(value, out)))
        elif isinstance(tgt, (gast.Tuple, gast.List)):
            self.unpack(tgt, value, out)
        elif isinstance(tgt, gast.Subscript):
            base = self._local_base(tgt)
            idx = self.index(tgt.slice, out)
            val = self.atom(value, out)
            self._store(base, idx, val, out, tgt)
        else:
            raise self.refuse(tgt, f"an assignment to {type(tgt).__name__.lower()}", "assign to a local name instead")

    def _store(self, base: str, idx: gast.expr, val: gast.expr, out: list[gast.stmt], at: gast.AST) -> None:
        """``base[idx] = val``. With a constant string key, ``base`` is a dict
        (arrays and lists take no string index): the entry is set as
        ``base = {**base, "k": val}``, a new version of the dict, and the
        change is recorded, so that the alias analysis refuses it where
        another name may see the dict (Python changes it in place)."""
        if isinstance(idx, gast.Constant) and type(idx.value) is str:
            self.updates.append((at.lineno, at.col_offset or 0, base, "[]"))
            entry = gast.Dict(keys=[None, const(idx.value)], values=[name(base), val])
            out.append(gast.copy_location(assign(base, entry), at))
            return
        out.append(assign(gast.Subscript(value=name(base), slice=idx, ctx=gast.Store()), val))

    def unpack(self, tgt: gast.Tuple | gast.List, value: gast.expr, out: list[gast.stmt]) -> None:
        if any(isinstance(e, gast.Starred) for e in tgt.elts):
            raise self.refuse(tgt, "starred unpacking", "unpack into a fixed number of names")
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) != len(tgt.elts):
            raise self.refuse(
                tgt, f"unpacking {len(value.elts)} values into {len(tgt.elts)} names", "unpack into one name per value"
            )
        if isinstance(value, (gast.Tuple, gast.List)):
            # Evaluate every right-hand side before any target is written: a, b = b, a
            vals = []
            stored = {n.id for n in walk(tgt) if isinstance(n, gast.Name)}
            for e in value.elts:
                if not ({n.id for n in walk(e) if isinstance(n, gast.Name)} & stored):
                    vals.append(e)  # the assignments cannot change it: evaluated where it is assigned
                    continue
                a = self.atom(e, out)
                if isinstance(a, gast.Name) and a.id in self.locals and a.id in stored:
                    t = self.namer.temp()
                    out.append(assign(t, a))
                    a = name(t)
                vals.append(a)
            for t_, v in zip(tgt.elts, vals):
                self.assign_to(t_, v, out)
            return
        whole = self.atom(value, out)
        for k, t_ in enumerate(tgt.elts):
            item = gast.Subscript(value=clone(whole), slice=const(k), ctx=gast.Load())
            self.assign_to(t_, item, out)

    def _local_base(self, tgt: gast.Subscript) -> str:
        if not (isinstance(tgt.value, gast.Name) and tgt.value.id in self.locals):
            raise self.refuse(tgt, *foreign_write(tgt, self.locals))
        return tgt.value.id

    def expr_Compare(self, e: gast.Compare, out, into=None):
        if len(e.ops) == 1:
            return gast.Compare(left=self.atom(e.left, out), ops=e.ops, comparators=[self.atom(e.comparators[0], out)])
        # a < b < c  ->  (a < b) and (b < c), with b evaluated once
        left = self.atom(e.left, out)
        rights = [self.atom(c, out) for c in e.comparators]
        lefts = [left, *rights[:-1]]
        parts = [
            gast.Compare(left=clone(lft), ops=[op], comparators=[clone(r)])
            for lft, op, r in zip(lefts, e.ops, rights)
        ]
        return self.expr_BoolOp(gast.BoolOp(op=gast.And(), values=parts), out, into)

    def expr_BoolOp(self, e: gast.BoolOp, out, into=None):
        # `a and b` -> t = a; if t: t = b   (short-circuit kept; a value-preserving copy)
        t = self.namer.temp()
        out.append(gast.copy_location(assign(t, self.expr(e.values[0], out)), e))
        rest = gast.BoolOp(op=e.op, values=e.values[1:]) if len(e.values) > 2 else e.values[1]
        gast.copy_location(rest, e)
        branch: list[gast.stmt] = []
        branch.append(gast.copy_location(assign(t, self.expr(rest, branch)), e))
        test: gast.expr = name(t)
        if isinstance(e.op, gast.Or):
            nt = self.namer.temp()
            out.append(assign(nt, gast.UnaryOp(op=gast.Not(), operand=name(t))))
            test = name(nt)
        out.append(gast.If(test=test, body=branch, orelse=[]))
        return name(t)

    def expr_IfExp(self, e: gast.IfExp, out, into=None):
        test = self.test(e.test, out)
        t = self.namer.temp()
        body: list[gast.stmt] = []
        orelse: list[gast.stmt] = []
        body.append(assign(t, self.expr(e.body, body)))
        orelse.append(assign(t, self.expr(e.orelse, orelse)))
        out.append(gast.If(test=test, body=body, orelse=orelse))
        return name(t)

    def expr_Call(self, e: gast.Call, out, into=None):
        if self.global_callee(e) == "dict" and all(k.arg is not None for k in e.keywords):  # dict(W=W, b=b)
            return self.dict_call(e, out)
        fn = self.global_callee(e)
        if (
            fn == "list"
            and len(e.args) == 1
            and not e.keywords
            and isinstance(e.args[0], gast.Call)
            and self.global_callee(e.args[0]) in ("map", "filter")
        ):
            e, fn = e.args[0], self.global_callee(e.args[0])  # list(map(...)): the list map gives here
        if (
            fn in ("map", "filter")
            and not e.keywords
            and len(e.args) >= 2
            and not any(isinstance(a, gast.Starred) for a in e.args)
        ):
            return self.expr_ListComp(self._mapped(e, fn, out), out, into)
        return self.call(e, out)

    def _mapped(self, e: gast.Call, fn: str, out: list[gast.stmt]) -> gast.ListComp:
        """``map(f, xs, ys)`` -> ``[f(v1, v2) for v1, v2 in zip(xs, ys)]``,
        ``filter(f, xs)`` -> ``[v for v in xs if f(v)]`` (a list: what the
        caller reads of the iterator, every item, in order). A lambda is
        lifted to a name; ``functools.partial(g, a)`` becomes ``g(a, v)``,
        with ``a`` evaluated once, where the partial is made."""
        func, seqs = e.args[0], e.args[1:]
        if fn == "filter" and len(seqs) != 1:
            raise self.refuse(e, "filter with several sequences", "call filter(f, xs)")
        vs = [self.namer.temp("v") for _ in seqs]
        fixed: list[gast.expr] = []
        kws: list[gast.keyword] = []
        if isinstance(func, gast.Lambda):
            func = self.lift_lambda(func, out)
        elif isinstance(func, gast.Call) and dotted(func.func) in ("functools.partial", "partial") and func.args:
            fixed = [self.atom(a, out) for a in func.args[1:] if not isinstance(a, gast.Starred)]
            if len(fixed) != len(func.args) - 1 or any(k.arg is None for k in func.keywords):
                raise self.refuse(func, "a partial with *args or **kwargs", "pass the fixed arguments one by one")
            kws = [gast.keyword(arg=k.arg, value=self.atom(k.value, out)) for k in func.keywords]
            func = func.args[0]
            if isinstance(func, gast.Lambda):
                func = self.lift_lambda(func, out)
        elif not (
            isinstance(func, (gast.Name, gast.Attribute)) or (isinstance(func, gast.Constant) and fn == "filter")
        ):
            func = self.atom(func, out)
        target: gast.expr = (
            name(vs[0], gast.Store)
            if len(vs) == 1
            else gast.Tuple(elts=[name(v, gast.Store) for v in vs], ctx=gast.Store())
        )
        source = seqs[0] if len(seqs) == 1 else gast.Call(func=name("zip"), args=list(seqs), keywords=[])
        if fn == "map":
            elt: gast.expr = gast.Call(func=func, args=[*fixed, *[name(v) for v in vs]], keywords=kws)
            ifs: list[gast.expr] = []
        else:
            elt = name(vs[0])
            keep = (
                name(vs[0])
                if isinstance(func, gast.Constant) and func.value is None
                else gast.Call(func=func, args=[*fixed, name(vs[0])], keywords=kws)
            )
            ifs = [keep]
        gen = gast.comprehension(target=target, iter=source, ifs=ifs, is_async=0)
        comp = gast.ListComp(elt=elt, generators=[gen])
        for node in walk(comp):
            if hasattr(node, "lineno") or isinstance(node, gast.expr):
                gast.copy_location(node, e)
        return comp

    def expr_Dict(self, e: gast.Dict, out, into=None):
        """``{"W": W, "b": b}``: keys must be constants (strings or ints) known
        at transform time; ``{**d, "k": v}`` may unpack one dict, first."""
        keys: list[gast.expr | None] = []
        for i, k in enumerate(e.keys):
            if k is None:
                if i != 0:
                    raise self.refuse(
                        e.values[i],
                        "a dict literal unpacking a dict (**) after its first entry",
                        "put the unpacked dict first: {**d, 'k': v}",
                    )
                keys.append(None)
            elif isinstance(k, gast.Constant) and type(k.value) in (str, int):
                keys.append(const(k.value))
            else:
                raise self.refuse(
                    k,
                    "a dict key that is not a constant string or int",
                    "use constant keys ({'W': W}); s2sad must know the keys when it transforms",
                )
        return gast.Dict(keys=keys, values=[self.atom(v, out) for v in e.values])

    def dict_call(self, e: gast.Call, out: list[gast.stmt]) -> gast.Dict:
        """``dict(W=W, b=b)`` is the literal ``{"W": W, "b": b}``, and
        ``dict(d, k=v)`` (a copy of the dict ``d``) is ``{**d, "k": v}``."""
        if len(e.args) > 1 or any(not isinstance(a, (gast.Name, gast.Dict)) for a in e.args):
            raise self.refuse(
                e,
                "dict(...) of anything but keywords and one dict",
                "write a dict literal {'W': W, 'b': b}, or dict(d, k=v) for a copy of the dict d",
            )
        keys: list[gast.expr | None] = [None] * len(e.args) + [const(k.arg) for k in e.keywords]
        values = list(e.args) + [k.value for k in e.keywords]
        return self.expr_Dict(gast.Dict(keys=keys, values=values), out)

    def expr_ListComp(self, e: gast.ListComp, out, into=None):
        """``[elt for x in xs if c]`` -> a list built by a loop with ``append``.
        The comprehension's own names get fresh names: they do not leak."""
        result = self.namer.temp("items")
        self.locals.add(result)
        out.append(gast.copy_location(assign(result, gast.List(elts=[], ctx=gast.Load())), e))
        elt = clone(e.elt)
        gens = clone(e.generators)
        for gen in gens:
            if getattr(gen, "is_async", 0):
                raise self.refuse(e, "an async comprehension", DEFAULT_HINT)
            for target in [n for n in walk(gen.target) if isinstance(n, gast.Name)]:
                fresh = self.namer.version(target.id)
                self.locals.add(fresh)
                _rename_within([elt, *gens[gens.index(gen) :]], target.id, fresh, skip_iter_of=gen)
        append = gast.Attribute(value=name(result), attr="append", ctx=gast.Load())
        inner: list[gast.stmt] = [gast.Expr(value=gast.Call(func=append, args=[elt], keywords=[]))]
        for gen in reversed(gens):
            for cond in reversed(gen.ifs):
                inner = [gast.copy_location(gast.If(test=cond, body=inner, orelse=[]), e)]
            inner = [
                gast.copy_location(
                    gast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[], type_comment=None), e
                )
            ]
        for stmt in inner:
            locate(stmt, e)
            self.stmt(stmt, out)
        return name(result)

    expr_GeneratorExp = expr_ListComp  # consumed at once by sum(...), np.stack(...)...


def _rename_within(nodes: list[gast.AST], old: str, new: str, skip_iter_of: gast.comprehension) -> None:
    """Rename ``old`` in a comprehension, except in the iterable of the
    generator that binds it (evaluated before the name exists)."""
    for node in nodes:
        parts = [node]
        if node is skip_iter_of:
            parts = [node.target, *node.ifs]
        for part in parts:
            for sub in walk(part):
                if isinstance(sub, gast.Name) and sub.id == old:
                    sub.id = new
