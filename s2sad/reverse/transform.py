"""Reverse mode as a source transformation.

Input: the SSA core of a function (see :mod:`s2sad.ir.ssa`), the resolved
operation of every assignment, the names that are varied and their kinds.

Output: the statements of one function that runs the forward sweep, then the
reverse sweep, and returns the adjoints of the ``wrt`` arguments.

How it works (docs/design.md, "Reverse mode" and "Loops and the tape"):

* The reverse sweep visits statements backwards. For ``z = f(a, b)`` it takes
  ``z``'s adjoint and adds one *partial adjoint* per operand and pathway:
  the first contribution to ``a_bar`` assigns it, later ones add.
* Adjoints are symbolic until needed: a zero adjoint is never built or added,
  and ``t_bar = z_bar`` is not emitted: ``t`` simply shares ``z_bar`` (the
  copy is made only if ``z_bar`` is about to be rebound).
* A name is only overwritten inside a loop (SSA guarantees it). Where the
  rest of the reverse sweep reads its old value before setting it again, the
  forward sweep pushes the old value before the assignment and the reverse
  sweep pops it back after the assignment's adjoint (decided on the reverse
  sweep as generated, :func:`s2sad.analysis.liveness.kept_restores`): after
  reversing any statement, every value the rest of the reverse sweep reads is
  what it was before that statement ran. A value the loop computes from
  values it never changes is the same in every iteration and is not pushed;
  an item or view ``xs[t]`` of such values and the loops' indices is
  computed again at the top of the reversed iteration instead.
* ``if`` is replayed on the same (saved) condition; ``for`` over a range runs
  ``reversed(range)``; a ``while`` loop and a loop with ``break`` count their
  iterations.
* An adjoint buffer the generated code made, and shares with no other name,
  is added to in place (``x_bar += g``, ``x_bar[i] += g``).

Before and after, for a loop of 100 steps (what ``s2sad show`` prints):

>>> import numpy as np, s2sad
>>> def f(x):
...     for i in range(100):
...         x = x * 0.99 + np.sin(x) * 0.01
...     return x
>>> print(s2sad.source(f), end="")
def df(x, x_bar=1.0):
    # forward sweep
    tape = []
    r1 = range(100)
    for i in r1:
        t2 = x * 0.99
        t3 = np.sin(x) * 0.01
        tape.append(x)
        x = t2 + t3
    value = x
    # reverse sweep
    for i in reversed(r1):
        x = tape.pop()
        t2_bar = x_bar
        x_bar = x_bar * 0.01 * np.cos(x)  # x -> np.sin(x)
        x_bar = x_bar + t2_bar * 0.99  # x -> t2
    return value, x_bar
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..analysis import liveness
from ..analysis.activity import container_op, kind_of_atom, statements
from ..analysis.mutation import Memory, makes_view
from ..analysis.purity import impurity, leak
from ..analysis.resolve import GETITEM, Op
from ..analysis.shapes import ShapeClasses
from ..analysis.statics import statics_of
from ..errors import Location, UnsupportedSyntaxError
from ..frontend.varargs import bind_call
from ..ir.core import assign, const, name, names_in, names_read
from ..ir.kinds import INT, SCALAR, is_array, is_container, maybe_container, tuple_items
from ..ir.naming import Namer
from ..ir.ssa import assigned
from ..rules.table import RULES
from ..rules.templates import as_value, basic_index, instantiate, simplify


class Pop(gast.stmt):
    """Placeholder in the reverse sweep: restore ``name`` from the tape (or,
    for a list that was appended to, drop its last item) if the reverse sweep
    turns out to read it."""

    _fields = ("name",)

    def __init__(self, name: gast.expr, list_item: bool = False, key: Any = None):
        super().__init__()
        self.name = name
        self.list_item = list_item
        self.key = key  # what the forward sweep pushes for it (see ReverseTransform.forward)


@dataclass
class Adjoints:
    """The adjoint of each name: absent (zero) or the expression holding it."""

    of: dict[str, str] = field(default_factory=dict)  # name -> variable holding its adjoint
    # adjoint variables holding a buffer the generated code made and shares
    # with no other name: they may be added to in place
    owned: set[str] = field(default_factory=set)

    def copy(self) -> Adjoints:
        return Adjoints(dict(self.of), set(self.owned))

    def exclusive(self, var: str) -> bool:
        """Is ``var`` an owned buffer that no other name's adjoint shares?"""
        return var in self.owned and sum(h == var for h in self.of.values()) <= 1


class ReverseTransform:
    def __init__(
        self,
        fn: gast.FunctionDef,
        ops: dict[int, Op],
        varied: set[str],
        kinds: dict[str, Any],
        namer: Namer,
        rename: dict[str, str],
        comments: dict[int, str],
        filename: str = "<unknown>",
        callee: Callable[..., tuple[str, str]] | None = None,
        memory: Memory | None = None,
        with_defaults: Callable[[Any, dict[str, Any]], dict[str, Any]] = lambda fn, kinds: kinds,
        shapes: ShapeClasses | None = None,
    ):
        self.fn = fn
        self.shapes = shapes  # names proven to have one shape (analysis.shapes)
        self.filename = filename  # the user's file, for errors
        self.ops = ops
        self.varied = varied
        self.kinds = kinds
        self.namer = namer
        self.rename = rename  # np -> the name numpy has in generated code, helpers likewise
        self.comments = comments
        self.moved: dict[str, str] = {}  # see assign
        self.adj = Adjoints()
        # (fn, wrt, kinds, where, split) -> (name of fn's derivative in this code, its seed's name)
        self.callee = callee
        self.memory = memory  # what may alias what (analysis.mutation)
        self.with_defaults = with_defaults  # a call's argument kinds, with the callee's defaults for the rest
        # calls to impure callees, run once: id(statement) -> (split derivative, its back closure, where)
        self.splits: dict[int, tuple[str, str, Location]] = {}
        self.tape = namer.claim("tape")
        self.uses_tape = False
        self.loop_depth = 0
        self.unused: str | None = None

    # --------------------------------------------------------------- naming
    def bar(self, n: str) -> str:
        return self.namer.adjoint(n)

    def runtime(self, n: str) -> str:
        return self.rename.get(n, n)

    # ------------------------------------------------------------ adjoints
    def release(self, var: str, out: list[gast.stmt], moved: dict[str, str] | None = None) -> None:
        """Before ``var`` is rebound, give every name sharing it its own copy.
        ``moved`` records, for each variable this rebinds, where its value went
        (``{own: copy}``), so an expression built before can be redirected."""
        for n, holder in list(self.adj.of.items()):
            if holder == var and self.bar(n) != var:
                own = self.bar(n)
                self.release(own, out, moved)  # own is about to be rebound in turn
                out.append(assign(own, name(var)))
                self.adj.of[n] = own
                self.adj.owned.discard(own)
                if moved is not None:
                    moved.setdefault(own, "")  # rebound here: its old value is where a copy took it, if any
                    moved.setdefault(var, own)

    def accumulate(self, n: str, expr: gast.expr, out: list[gast.stmt], comment: str = "") -> None:
        """Add a partial adjoint to ``n``'s: the first one assigns, later ones
        add (in place when ``n_bar`` is a buffer of the generated code's own)."""
        if n not in self.varied:
            return
        own = self.bar(n)
        holder = self.adj.of.get(n)
        fresh = False
        if holder is None:
            if isinstance(expr, gast.Name):
                self.adj.of[n] = expr.id
                return
            if (
                self.scatters_into_zeros(n, expr) and self.basic_index(expr.args[2])
                and isinstance(expr.args[0], gast.Name)  # read twice: a name, not an expression to compute twice
            ):  # fmt: skip
                self.scatter_into_zeros(n, expr, out, comment)
                return
            value = expr
            # arithmetic makes a new array, and so does the adjoint of an index read of an array
            # (zeros shaped like it, the read's entries added): later reads of it add in place
            fresh = isinstance(expr, (gast.BinOp, gast.UnaryOp)) or self.scatters_into_zeros(n, expr)
        elif maybe_container(self.kinds.get(n)):
            # a list or tuple (or what may be one): its adjoint is a list, added leaf by leaf
            value = gast.Call(func=name(self.runtime("add_adjoints")), args=[name(holder), expr], keywords=[])
        elif holder == own and self.adj.exclusive(own) and self.kinds.get(n) not in (SCALAR, INT):
            stmt = self.add_in_place(own, expr)
            if comment:
                self.comments[id(stmt)] = comment
            out.append(stmt)
            return
        else:
            value = gast.BinOp(left=name(holder), op=gast.Add(), right=expr)
            fresh = True
        moved = self.moved
        self.release(own, out, moved)
        value = self.redirect(value, {v: c for v, c in moved.items() if v != own})
        stmt = assign(own, value)
        if comment:
            self.comments[id(stmt)] = comment
        out.append(stmt)
        self.adj.of[n] = own
        if fresh and self.kinds.get(n) not in (SCALAR, INT):
            self.adj.owned.add(own)
        else:
            self.adj.owned.discard(own)

    def redirect(self, value: gast.expr, moved: dict[str, str]) -> gast.expr:
        """``value`` reading, instead of each adjoint variable ``release`` just
        rebound, the copy that took its old value (a cascade of copies can
        rebind a variable the expression was built to read)."""
        rebound = {n.id for n in gast.walk(value) if isinstance(n, gast.Name) and n.id in moved}
        if not rebound:
            return value
        missing = {v for v in rebound if not moved[v] or moved[v] == v}
        assert not missing, f"internal: adjoint {sorted(missing)} rebound before it is read"
        value = copy.deepcopy(value)
        for n in gast.walk(value):
            if isinstance(n, gast.Name) and n.id in rebound:
                n.id = moved[n.id]
        return value

    def add_in_place(self, own: str, expr: gast.expr) -> gast.stmt:
        """``own += expr``, or for the adjoint of an index read, a scatter-add
        into ``own`` that touches only the indexed entries."""
        f = expr.func if isinstance(expr, gast.Call) else None
        if isinstance(f, gast.Name) and f.id == self.runtime("getitem_adjoint"):
            g, _x, idx = expr.args
            if self.basic_index(idx):  # no repeated entries: a plain `own[i] += g`
                entry = gast.Subscript(value=name(own), slice=_as_index(idx), ctx=gast.Store())
                return gast.AugAssign(target=entry, op=gast.Add(), value=g)
            call = gast.Call(func=name(self.runtime("add_at")), args=[name(own), idx, g], keywords=[])
            return gast.Expr(value=call)
        return gast.AugAssign(target=name(own, gast.Store), op=gast.Add(), value=expr)

    def scatter_into_zeros(self, n: str, expr: gast.expr, out: list[gast.stmt], comment: str) -> None:
        """``n_bar = np.zeros_like(g, shape=n.shape); n_bar[idx] = g``: the
        adjoint of a basic index read ``n[idx]`` (no entry twice), the first
        one of ``n``: zeros of ``g``'s dtype, then ``g`` where it was read."""
        g, _x, idx = expr.args
        own = self.bar(n)
        self.release(own, out)
        zeros = gast.Call(
            func=gast.Attribute(value=name(self.runtime("np")), attr="zeros_like", ctx=gast.Load()), args=[g],
            keywords=[gast.keyword(arg="shape", value=gast.Attribute(value=name(n), attr="shape", ctx=gast.Load()))],
        )  # fmt: skip
        out.append(assign(own, zeros))
        entry = gast.Subscript(value=name(own), slice=_as_index(idx), ctx=gast.Store())
        stmt = gast.Assign(targets=[entry], value=copy.deepcopy(g), type_comment=None)
        if comment:
            self.comments[id(stmt)] = comment
        out.append(stmt)
        self.adj.of[n] = own
        self.adj.owned.add(own)

    def scatters_into_zeros(self, n: str, expr: gast.expr) -> bool:
        """Is ``expr`` ``getitem_adjoint(g, n, idx)`` of an array ``n`` (by its
        kind): a new buffer of zeros, ``g`` added at ``idx``, that nothing else holds?"""
        f = expr.func if isinstance(expr, gast.Call) else None
        kind = self.kinds.get(n)
        return (
            isinstance(f, gast.Name) and f.id == self.runtime("getitem_adjoint")
            and isinstance(expr.args[1], gast.Name) and expr.args[1].id == n
            and is_array(kind)
        )  # fmt: skip

    def basic_index(self, idx: gast.expr) -> bool:
        """Is this index (as a value) known to select without repeats: ints,
        slices, None and ...? (An integer array may repeat an entry.)"""
        return basic_index(idx, self.kinds)

    def materialize(self, n: str, out: list[gast.stmt]) -> None:
        """Make ``n``'s adjoint live in its own variable (zeros if it is zero)."""
        own = self.bar(n)
        holder = self.adj.of.get(n)
        if holder == own:
            return
        self.release(own, out)
        if holder is None:
            out.append(assign(own, gast.Call(func=name(self.runtime("zeros_like")), args=[name(n)], keywords=[])))
            self.adj.owned.add(own)
        else:
            out.append(assign(own, name(holder)))
            self.adj.owned.discard(own)
        self.adj.of[n] = own

    # ------------------------------------------------------------- sweeps
    def run(self, wrt: list[str], seed: str) -> tuple[list[gast.stmt], list[gast.stmt], gast.expr]:
        """Return (forward sweep, reverse sweep, returned adjoints)."""
        self.plan_counters()
        self.plan_loop_values()
        body = self.fn.body
        assert isinstance(body[-1], gast.Return)
        result = body[-1].value
        self.output = result
        self.seed = seed  # the adjoint a caller passes: of the output's shape only if the caller is right
        if isinstance(result, gast.Name) and result.id in self.varied:
            self.adj.of[result.id] = seed
        reverse = self.block(body[:-1])
        grads = []
        for w in wrt:
            self.materialize(w, reverse)
            grads.append(name(self.bar(w)))
        # a kept callee's closure reads its arguments when the reverse sweep calls it: they
        # must then hold what they held at the call (restored as if the reverse sweep read them)
        kept_args = {
            n for x in statements(body) if id(x) in self.splits
            for a in [*x.value.args, *(k.value for k in x.value.keywords)] for n in names_in(a)
        }  # fmt: skip
        reads = liveness.needed(reverse, restored)
        needed = self.with_viewed(reads | kept_args)
        # an entry written into an array read through a view, or a list's last item, is restored
        # wherever it changes (and the array or list is then read); a name a kept callee reads,
        # wherever it is rebound; any other name, only where the rest of the reverse sweep reads it
        kept = liveness.kept_restores(
            reverse, restored, lambda p: _popped_name(p) in (kept_args if _plain(p) else needed),
            lambda p: _popped_name(p) if _plain(p) else None,
        )
        self.pushed = {p.key for p in _pops(reverse) if id(p) in kept}
        defined = set(wrt) | _params(self.fn)
        self.placeholders: list[str] = []  # (the loops' placeholders for names a path assigned before)
        self.assigned_so_far: set[str] = set()
        forward = self.forward(body[:-1], needed, defined)
        # a name the reverse sweep reads that a path leaves unassigned starts as
        # None (its adjoint's zeros, zeros_like(None), are None, and never added:
        # only a path that assigned it adds to its adjoint); these go first,
        # where they cannot hide a value a path assigned before
        unsure = sorted((needed & self.assigned_so_far) - defined - set(self.placeholders))
        forward = [assign(n, const(None)) for n in self.placeholders + unsure] + forward
        reverse = _resolve_pops(reverse, kept, self.tape)
        self.popped = _popped(reverse)
        self.rewound = _rewound_in_place(reverse)
        if self.uses_tape:
            forward.insert(0, assign(self.tape, gast.List(elts=[], ctx=gast.Load())))
        returned = grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
        return forward, reverse, returned

    def with_viewed(self, needed: set[str]) -> set[str]:
        """A view (``r = y[0]``, ``y.T``, ``a = y``) read by the reverse sweep
        shows whatever ``y`` holds then: ``y`` must be restored too, so each
        write into it is saved and undone in turn. So must any array written
        into that the may-alias analysis says a needed name may see."""
        bases: dict[str, set[str]] = {}
        for s in statements(self.fn.body):
            if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
                continue
            value = s.value
            if isinstance(value, gast.Name) or makes_view(value, self.ops.get(id(s)), self.kinds):
                bases.setdefault(s.targets[0].id, set()).update(names_in(value))
        needed = set(needed)
        memory = self.memory
        grew = True
        while grew:
            more = set().union(*(bases.get(v, set()) for v in needed)) - needed
            if memory is not None:  # a name that may see an array written later (a container, a helper's result)
                more |= set().union(*(memory.observed(v) for v in needed)) - needed
            needed |= more
            grew = bool(more)
        return needed

    def kept_value(self, n: str) -> gast.expr | None:
        """What the forward sweep must keep so that the function's value ``n``
        survives the reverse sweep: a copy where ``n`` may share memory with
        an array (or list) the reverse sweep restores in place, the value
        itself where the sweep only rebinds ``n``; None when ``n`` stays as it is."""
        if self.rewound and self.may_share(n, self.rewound):
            kind = self.kinds.get(n)
            if is_array(kind) and kind.ndim not in (None, 0):  # an array of known ndim >= 1
                fn: gast.expr = gast.Attribute(value=name(self.runtime("np")), attr="copy", ctx=gast.Load())
            else:
                fn = name(self.runtime("snapshot"))
            return gast.Call(func=fn, args=[name(n)], keywords=[])
        if n in self.popped:
            return name(n)
        return None

    def may_share(self, n: str, rewound: set[str]) -> bool:
        """May ``n``'s value be, hold or view one of ``rewound``? Conservative:
        only arithmetic and numbers are known to make new values."""
        sources: dict[str, set[str]] = {}
        for s in statements(self.fn.body):
            if isinstance(s, gast.Assign):
                tgt = s.targets[0]
                if isinstance(tgt, gast.Name):
                    if not self.fresh_value(tgt.id, s):
                        sources.setdefault(tgt.id, set()).update(names_in(s.value))
                elif isinstance(tgt, gast.Subscript) and isinstance(tgt.value, gast.Name):
                    sources.setdefault(tgt.value.id, set()).update(names_in(s.value))  # an item of a list
            elif isinstance(s, gast.Expr) and _list_append(s):
                sources.setdefault(s.value.func.value.id, set()).update(names_in(s.value.args[0]))
        seen: set[str] = set()
        todo = [n]
        while todo:
            m = todo.pop()
            if m in rewound:
                return True
            if m not in seen:
                seen.add(m)
                todo.extend(sources.get(m, ()))
        return False

    def fresh_value(self, z: str, s: gast.Assign) -> bool:
        """Is ``z = ...`` known to make a new value, sharing no memory?"""
        if self.kinds.get(z) in (SCALAR, INT):
            return True
        return isinstance(s.value, (gast.BinOp, gast.UnaryOp, gast.Compare))

    # ----------------------------------------------------- reverse sweep
    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for s in reversed(stmts):
            n0 = len(out)
            self.stmt(s, out)
            for new in out[n0:]:  # the adjoint code of a line points back to that line
                if getattr(new, "lineno", None) is None and getattr(s, "lineno", None) is not None:
                    gast.copy_location(new, s)
        return out

    def stmt(self, s: gast.stmt, out: list[gast.stmt]) -> None:
        if isinstance(s, gast.Assign):
            if isinstance(s.targets[0], gast.Name):
                self.assign(s, out)
            else:
                self.write(s, out)
        elif isinstance(s, gast.If):
            self.if_(s, out)
        elif isinstance(s, gast.For):
            self.for_(s, out)
        elif isinstance(s, gast.While):
            self.while_(s, out)
        elif isinstance(s, gast.Expr) and _list_append(s):
            self.append(s, out)
        # Expr (print), Raise, Break: nothing flows back

    def assign(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        z = s.targets[0].id
        self.moved = {}  # adjoint variables rebound while z's contributions are made: where their values went
        holder = self.adj.of.get(z)
        self.adj.owned.discard(self.bar(z))  # its buffer now flows into the operands' adjoints
        op = self.ops[id(s)]
        if holder is not None:
            operands = set().union(*(names_in(a) for a in op.args.values())) if op.args else set()
            if holder in {self.bar(n) for n in operands} and holder != self.bar(z):
                # an operand's adjoint is about to be rebound: keep z's own copy
                out.append(assign(self.bar(z), name(holder)))
                holder = self.bar(z)
                self.adj.of[z] = holder
            # z stays registered while its contributions are made, so that a
            # release that rebinds its holder copies it first (and redirects)
            self.contributions(z, name(holder), op, out, s)
        self.adj.of.pop(z, None)
        if self.loop_depth:
            if id(s) in self.splits:  # pushed after z: popped before it
                out.append(Pop(name=name(self.splits[id(s)][1]), key=("split", id(s))))
            if id(s) in self.exit_guards:  # every iteration before the last went on
                reset = self.exit_guards[id(s)]
                if reset is not None:
                    out.append(reset)
            elif id(s) not in self.unkept:
                out.append(Pop(name=name(z), key=id(s)))

    def contributions(self, z: str, g: gast.expr, op: Op, out: list[gast.stmt], s: gast.Assign) -> None:
        if op.kind == "copy":
            src = op.args["x"]
            if isinstance(src, gast.Name):
                self.accumulate(src.id, g, out)
            return
        if op.kind == "user":
            self.call_contributions(z, g, op, out, s)
            return
        if op.kind == "tuple":
            self.give(op.args["items"], g, out, z)
            return
        if op.kind == "dict":
            self.dict_contributions(z, g, op.args["items"], out)
            return
        if op.kind != "rule" or op.rule is None:
            return
        plus = container_op(op, self.kinds)
        if plus is not None:
            self.container_contributions(z, g, op, plus[0], out, s)
            return
        rule = op.rule
        # every operand may broadcast, differentiable or not (np.where's condition)
        operand_kinds = [kind_of_atom(a, self.kinds) for a in op.args.values()]
        names = [a.id if isinstance(a, gast.Name) else None for a in op.args.values()]
        for p, template in rule.reverse.items():
            arg = op.args.get(p)
            if arg is None or not (names_in(arg) & self.varied):
                continue
            bindings = dict(op.args)
            bindings["g"] = g
            bindings["z"] = name(z)
            exact = None if isinstance(g, gast.Name) and g.id == getattr(self, "seed", None) else g
            expr = simplify(
                instantiate(template, bindings, self.runtime), self.kinds, operand_kinds, self.kinds.get(z), names,
                adjoint=exact, np_name=self.runtime("np"), shapes=self.shapes, result=z,
            )
            if p == rule.sequence or (rule.varargs and p == rule.params[-1]):
                self.sequence_contributions(arg, expr, z, out)
            elif isinstance(arg, (gast.List, gast.Tuple)):
                # a list where an array is expected (np.sum([a, b])): item k gets entry k
                self.sequence_contributions(arg, expr, z, out)
            elif isinstance(arg, gast.Name):
                if is_container(self.kinds.get(arg.id)) and rule is not GETITEM:  # a list taken as an array
                    expr = gast.Call(func=name(self.runtime("array_adjoint")), args=[expr, name(arg.id)], keywords=[])
                self.accumulate(arg.id, expr, out, comment=f"{arg.id} -> {z}")
            else:
                raise AssertionError(f"core: operand {type(arg).__name__} of {rule.name} is not an atom")

    def dict_contributions(self, z: str, g: gast.expr, d: gast.Dict, out: list[gast.stmt]) -> None:
        """``z = {"W": W, "b": b}``: each value gets its key's entry of
        ``z_bar`` (a dict); a value a later key replaces gets nothing. In
        ``{**x, "k": v}``, ``x`` gets ``z_bar`` with zeros at the later keys."""
        keys = [None if k is None else k.value for k in d.keys]
        for i, (k, item) in enumerate(zip(keys, d.values)):
            if not isinstance(item, gast.Name) or (k is not None and k in keys[i + 1 :]):
                continue
            if k is None:
                later = gast.Tuple(elts=[const(x) for x in keys[i + 1 :] if x is not None], ctx=gast.Load())
                piece: gast.expr = gast.Call(
                    func=name(self.runtime("dict_part")), args=[copy.deepcopy(g), name(item.id), later], keywords=[]
                )
            else:
                piece = gast.Subscript(value=copy.deepcopy(g), slice=const(k), ctx=gast.Load())
            self.accumulate(item.id, piece, out, comment=f"{item.id} -> {z}")

    def container_contributions(
        self, z: str, g: gast.expr, op: Op, how: str, out: list[gast.stmt], s: gast.Assign
    ) -> None:
        """``z = x + y`` joining two lists or tuples: each operand gets its
        part of ``z_bar``; ``z = x * n`` repeating one: ``x`` gets the sum of
        the parts. Where the kinds cannot tell containers from numbers, a
        helper decides when the code runs."""
        x, y = op.args["x"], op.args["y"]
        if how == "unknown" and op.rule is RULES.operator(gast.Mult):
            raise UnsupportedSyntaxError(
                "s2sad cannot tell whether this `*` repeats a list or tuple or multiplies numbers",
                self.location(s),
                "make the count an int (e.g. int(n)), or the list an array (np.asarray(xs))",
            )
        for k, arg in enumerate((x, y)):
            if not (isinstance(arg, gast.Name) and arg.id in self.varied):
                continue
            if how == "repeat":
                if kind_of_atom(arg, self.kinds) == INT:
                    continue
                expr: gast.expr = gast.Call(
                    func=name(self.runtime("repeated_adjoint")), args=[copy.deepcopy(g), name(arg.id)], keywords=[]
                )
            elif how == "concat":
                items = tuple_items(kind_of_atom(x, self.kinds))
                split: gast.expr = (
                    const(len(items)) if items is not None
                    else gast.Call(func=name("len"), args=[copy.deepcopy(x)], keywords=[])
                )
                part = gast.Slice(lower=None, upper=split, step=None) if k == 0 else gast.Slice(lower=split, upper=None, step=None)
                expr = gast.Subscript(value=copy.deepcopy(g), slice=part, ctx=gast.Load())
            else:
                expr = gast.Call(
                    func=name(self.runtime("plus_adjoint")),
                    args=[copy.deepcopy(g), copy.deepcopy(x), copy.deepcopy(y), const(k)],
                    keywords=[],
                )
            self.accumulate(arg.id, expr, out, comment=f"{arg.id} -> {z}")

    def call_contributions(self, z: str, g: gast.expr, op: Op, out: list[gast.stmt], s: gast.Assign) -> None:
        """``z = h(a, b)`` for a user function ``h``: call h's own generated
        derivative (which recomputes h's forward sweep) with ``z``'s adjoint.

        A callee that may not be run twice (random draws, state, effects:
        :mod:`s2sad.analysis.purity`) is run once instead: the forward sweep
        calls its split derivative, ``z, z_back = dh_fwd(a, b)``, and the
        reverse sweep calls the closure it returned, ``z_back(z_bar)``."""
        call = op.args["call"]
        bound = bind_call(op.callee, call, self.location(s))
        wrt = tuple(p for p, node in bound.items() if names_in(node) & self.varied)
        if not wrt:
            return
        kinds = {p: kind_of_atom(node, self.kinds) for p, node in bound.items()}
        statics = statics_of(self.with_defaults(op.callee, kinds))  # nonlinearity=np.tanh left out: the default
        why = impurity(op.callee, statics)
        if why is not None:
            self.refuse_leak(op.callee, s, statics)
            dname, _seed = self.callee(op.callee, wrt, kinds, self.location(s), split=True)
            back = self.namer.back(z)
            self.splits[id(s)] = (dname, back, self.location(s))
            result: gast.expr = gast.Call(func=name(back), args=[copy.deepcopy(g)], keywords=[])
            node = bound[wrt[0]]
            if len(wrt) == 1 and isinstance(node, gast.Name):  # x_bar = z_back(z_bar)
                self.accumulate(node.id, result, out, comment=f"{node.id} -> {z}")
                return
        else:
            dname, seed = self.callee(op.callee, wrt, kinds, self.location(s))
            keywords = list(call.keywords) + [gast.keyword(arg=seed, value=copy.deepcopy(g))]
            dcall = gast.Call(func=name(dname), args=copy.deepcopy(call.args), keywords=copy.deepcopy(keywords))
            result = gast.Subscript(value=dcall, slice=const(1), ctx=gast.Load())
        parts = self.namer.temp("g")
        out.append(assign(parts, result))
        for k, p in enumerate(wrt):
            piece: gast.expr = name(parts)
            if len(wrt) > 1:
                piece = gast.Subscript(value=name(parts), slice=const(k), ctx=gast.Load())
            self.give(bound[p], piece, out, z)  # a list passed as it is built: item k gets entry k

    def refuse_leak(self, callee: Any, s: gast.Assign, statics: tuple[tuple[str, Any], ...] = ()) -> None:
        """A callee run once and kept must pass derivatives out only through
        what it returns: refuse one that puts values where the caller's
        adjoints do not follow them (an argument, a global container)."""
        why = leak(callee, statics)
        if why is not None:
            fname = getattr(callee, "__name__", "the function")
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate this call to {fname} in reverse mode: {fname} is not pure, and "
                f"{why}, so a derivative may leave it other than through what it returns",
                self.location(s),
                f"return the value from {fname} instead of storing it, or use forward mode (s2sad.jvp)",
            )

    def sequence_contributions(self, items: gast.expr, expr: gast.expr, z: str, out: list[gast.stmt]) -> None:
        if isinstance(items, gast.Name):  # a list held in a name: its adjoint is a list
            self.accumulate(items.id, expr, out, comment=f"{items.id} -> {z}")
            return
        parts = self.namer.temp("g")
        out.append(assign(parts, expr))
        self.give(items, name(parts), out, z)  # item k of the literal gets entry k

    def append(self, s: gast.Expr, out: list[gast.stmt]) -> None:
        """``hs.append(h)``: ``h`` receives the last item of ``hs_bar``, and the
        primal list drops its last item again."""
        call = s.value
        hs = call.func.value.id
        item = call.args[0]
        holder = self.adj.of.get(hs)
        if holder is not None:
            own = self.bar(hs)
            shared = holder != own or any(h == own for n, h in self.adj.of.items() if n != hs)
            if shared:  # leave the shared list alone: take a shortened copy
                last = gast.Subscript(value=name(holder), slice=const(-1), ctx=gast.Load())
                piece = self.namer.temp("g")
                out.append(assign(piece, last))
                rest = gast.Slice(lower=None, upper=gast.UnaryOp(op=gast.USub(), operand=const(1)), step=None)
                out.append(assign(own, gast.Subscript(value=name(holder), slice=rest, ctx=gast.Load())))
                self.adj.of[hs] = own
            else:
                piece = self.namer.temp("g")
                pop = gast.Call(func=gast.Attribute(value=name(own), attr="pop", ctx=gast.Load()), args=[], keywords=[])
                out.append(assign(piece, pop))
            self.give(item, name(piece), out, hs)
        out.append(Pop(name=name(hs), list_item=True, key=("append", id(s))))

    def give(self, node: gast.expr, piece: gast.expr, out: list[gast.stmt], z: str) -> None:
        """Route the adjoint ``piece`` of a value written as ``node`` (a name,
        or a list or tuple literal of atoms and such literals) to the names it
        holds: item ``k`` of a literal gets ``piece[k]``. Anything else that
        holds a varied name is an internal error, never a dropped adjoint."""
        if isinstance(node, gast.Name):
            if node.id in self.varied:
                self.accumulate(node.id, piece, out, comment=f"{node.id} -> {z}")
        elif isinstance(node, (gast.List, gast.Tuple)):
            for k, item in enumerate(node.elts):
                if names_in(item) & self.varied:
                    entry = gast.Subscript(value=copy.deepcopy(piece), slice=const(k), ctx=gast.Load())
                    self.give(item, entry, out, z)
        elif names_in(node) & self.varied:
            raise AssertionError(f"core: {type(node).__name__} holding a derivative is not an atom")

    def write(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        """``y[i] = v``: ``v`` receives ``y_bar[i]``; what was overwritten
        received nothing, so ``y_bar[i]`` restarts at zero.

        An index that may select an entry twice (an integer array, or one
        whose kind is unknown) keeps NumPy's buffered semantics: only the
        element of ``v`` whose write survives gets the entry's adjoint
        (``write_adjoint``). ``y[()]`` and ``y[...]`` write all of ``y``:
        ``v`` gets all of ``y_bar`` (a 0-d array's adjoint may be a float)."""
        tgt = s.targets[0]
        y = tgt.value.id
        assert isinstance(s.value, (gast.Name, gast.Constant, gast.Attribute)), "core: writes store atoms"
        holder = self.adj.of.get(y)
        whole = _whole_index(tgt.slice)
        basic = whole or self.basic_index(as_value(tgt.slice))
        if holder is not None:
            v = s.value
            contributed = isinstance(v, gast.Name) and v.id in self.varied
            if contributed:
                assert isinstance(v, gast.Name)
                if not basic:
                    expr = gast.Call(
                        func=name(self.runtime("write_adjoint")),
                        args=[name(holder), as_value(tgt.slice), name(v.id)],
                        keywords=[],
                    )
                else:
                    piece: gast.expr = name(holder)
                    if not whole:
                        piece = gast.Subscript(value=piece, slice=copy.deepcopy(tgt.slice), ctx=gast.Load())
                    if self.kinds.get(v.id) == SCALAR:
                        fn = gast.Attribute(value=name(self.runtime("np")), attr="sum", ctx=gast.Load())
                        expr = gast.Call(func=fn, args=[piece], keywords=[])
                    else:
                        expr = gast.Call(func=name(self.runtime("unbroadcast")), args=[piece, name(v.id)], keywords=[])
                if v.id == y:  # y[idx] = y: y's old value gets its adjoint twice, after the zeroing below
                    deferred = self.namer.claim("g")
                    out.append(assign(deferred, expr))
                else:
                    self.accumulate(v.id, expr, out, comment=f"{v.id} -> {y}[...]")
            holder = self.adj.of[y]
            own = self.bar(y)
            # the contribution above (if any) is a new value, not a view of y_bar
            new_value = not contributed or not basic or self.kinds.get(v.id) == SCALAR
            if whole:
                del self.adj.of[y]  # every entry was overwritten: y's old value gets nothing
                self.adj.owned.discard(own)
            elif holder == own and self.adj.exclusive(own) and new_value:
                # zero the entries in place
                entry = gast.Subscript(value=name(own), slice=copy.deepcopy(tgt.slice), ctx=gast.Store())
                out.append(assign(entry, const(0.0)))
            else:
                self.release(own, out)
                zero = gast.Call(func=name(self.runtime("zero_at")), args=[name(holder), as_value(tgt.slice)], keywords=[])
                out.append(assign(own, zero))
                self.adj.of[y] = own
                self.adj.owned.add(own)  # zero_at returns a new array
            if contributed and v.id == y:
                self.accumulate(y, name(deferred), out, comment=f"{y} -> {y}[...]")
        out.append(Pop(name=copy.deepcopy(tgt), key=("write", id(s))))

    def location(self, s: gast.AST) -> Location:
        return Location(self.filename, getattr(s, "lineno", 0) or 0, getattr(s, "col_offset", 0) or 0)

    def if_(self, s: gast.If, out: list[gast.stmt]) -> None:
        before = self.adj.copy()
        then = self.block(s.body)
        after_then = self.adj
        self.adj = before.copy()
        orelse = self.block(s.orelse)
        after_else = self.adj
        # a name first defined inside the if has no adjoint before it: drop
        # it rather than build zeros for a value the other path never made
        for n in assigned(s.body + s.orelse) - self.defined_outside(s.body + s.orelse):
            after_then.of.pop(n, None)
            after_else.of.pop(n, None)
        # where the branches leave an adjoint in different places, each branch
        # puts it in the name's own variable (which may in turn give a name
        # sharing that variable its own copy: repeat until they agree)
        while True:
            differ = sorted(n for n in set(after_then.of) | set(after_else.of) if after_then.of.get(n) != after_else.of.get(n))
            if not differ:
                break
            for branch, state in ((then, after_then), (orelse, after_else)):
                self.adj = state
                self.materialize(differ[0], branch)
        self.adj = Adjoints(dict(after_then.of), after_then.owned & after_else.owned)
        if not then and not orelse:
            return
        flag = self.exit_tests.get(s.test.id) if isinstance(s.test, gast.Name) else None
        if flag is not None:  # `if go:` after a break point: the iteration that broke off left `flag` set
            if orelse:
                out.append(gast.If(test=name(flag), body=orelse, orelse=then))
            else:
                out.append(gast.If(test=gast.UnaryOp(op=gast.Not(), operand=name(flag)), body=then, orelse=[]))
            return
        out.append(gast.If(test=copy.deepcopy(s.test), body=then or [gast.Pass()], orelse=orelse))

    def loop_entry(self, body: list[gast.stmt], out: list[gast.stmt]) -> dict[str, str]:
        """Give every adjoint the reversed body may touch its own variable,
        so that each reverse iteration starts from the same state."""
        local = assigned(body) - self.defined_outside(body)
        touched = set()
        for sub in statements(body):
            touched |= names_in(sub) & self.varied
        for n in sorted(touched):
            if n not in local or n in self.adj.of:
                self.materialize(n, out)
        return dict(self.adj.of)

    def defined_outside(self, body: list[gast.stmt]) -> set[str]:
        inside = {id(x) for x in statements(body)}
        out = _params(self.fn)
        for st in statements(self.fn.body):
            if id(st) in inside:
                continue
            if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
                out.add(st.targets[0].id)
            elif isinstance(st, gast.For) and isinstance(st.target, gast.Name):
                out.add(st.target.id)
        return out

    def loop_exit(self, entry: dict[str, str], body: list[gast.stmt], owned: set[str] | None = None) -> None:
        """Bring the adjoints back to their state at the start of the reversed
        body, so the next iteration finds them as the code assumes."""
        for n, holder in entry.items():
            if self.adj.of.get(n) != holder:
                self.materialize(n, body)
        for var in sorted((owned or set()) - self.adj.owned):
            if var in entry.values():  # the body assumes it may add to var in place
                body.append(assign(var, gast.Call(func=name(self.runtime("fresh")), args=[name(var)], keywords=[])))
                self.adj.owned.add(var)
        # after the loop (which may run no iteration) a buffer is ours only if
        # it was at the start as well
        self.adj.owned &= owned or set()
        for n in list(self.adj.of):
            if n not in entry:
                del self.adj.of[n]

    def reversed_body(self, s: gast.For | gast.While, out: list[gast.stmt]) -> list[gast.stmt]:
        """The adjoint of one iteration, run as many times as the loop ran.

        A buffer may be added to in place inside the body only if every
        iteration ends with it still the code's own: one that an iteration
        rebinds to a shared value is first tried as not owned at all."""
        entry = self.loop_entry(s.body, out)
        start = self.adj.copy()
        noted = set(self.comments)
        for _ in range(2):
            owned = set(self.adj.owned)
            self.loop_depth += 1
            body = self.block(s.body)
            self.loop_depth -= 1
            lost = {v for v in owned - self.adj.owned if v in entry.values()}
            if not lost:
                break
            self.adj = start.copy()
            self.adj.owned -= lost
            for key in set(self.comments) - noted:  # comments of the discarded attempt
                del self.comments[key]
        self.loop_exit(entry, body, owned)
        return body

    def for_(self, s: gast.For, out: list[gast.stmt]) -> None:
        body = self.reversed_body(s, out)
        if not body:
            return
        body = self.with_recomputed(s, body)
        rng: gast.expr = copy.deepcopy(s.iter)
        if _has_break(s.body):
            count = self.counters[id(s)]
            rng = gast.Subscript(value=rng, slice=gast.Slice(lower=None, upper=name(count), step=None), ctx=gast.Load())
        rev = gast.Call(func=name("reversed"), args=[rng], keywords=[])
        out.append(gast.For(target=copy.deepcopy(s.target), iter=rev, body=body, orelse=[], type_comment=None))
        if self.loop_depth and id(s) in self.counters:
            out.append(Pop(name=name(self.counters[id(s)]), key=("count", id(s))))

    def while_(self, s: gast.While, out: list[gast.stmt]) -> None:
        body = self.reversed_body(s, out)
        if not body:
            return
        body = self.with_recomputed(s, body)
        count = self.counters[id(s)]
        it = gast.Call(func=name("range"), args=[name(count)], keywords=[])
        if self.unused is None:  # the replay's index, read by nothing
            self.unused = self.namer.claim("_")
        out.append(gast.For(target=name(self.unused, gast.Store), iter=it, body=body, orelse=[], type_comment=None))
        if self.loop_depth:
            out.append(Pop(name=name(count), key=("count", id(s))))

    counters: dict[int, str]

    # ----------------------------------------------------- forward sweep
    def forward(self, stmts: list[gast.stmt], needed: set[str], defined: set[str]) -> list[gast.stmt]:
        """The primal statements, with the pushes the reverse sweep relies on."""
        out: list[gast.stmt] = []
        for s in stmts:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                z = s.targets[0].id
                if self.loop_depth and id(s) in self.pushed:
                    self.push(z, out)
                defined.add(z)
                self.assigned_so_far.add(z)
                split = self.splits.get(id(s))
                if split is not None and split[1] in needed:
                    s = self.split_call(s, split[0], split[1], out)
                    defined.add(split[1])
                out.append(s)
            elif isinstance(s, gast.Assign):  # y[i] = v: save what is overwritten
                y = s.targets[0].value.id
                if y in needed:
                    fn = gast.Attribute(value=name(self.runtime("np")), attr="copy", ctx=gast.Load())
                    old = gast.Subscript(value=name(y), slice=copy.deepcopy(s.targets[0].slice), ctx=gast.Load())
                    self.push(gast.Call(func=fn, args=[old], keywords=[]), out)
                out.append(s)
            elif isinstance(s, gast.If):
                # a name defined in one branch is not defined after the other
                in_body, in_else = set(defined), set(defined)
                s.body = self.forward(s.body, needed, in_body)
                s.orelse = self.forward(s.orelse, needed, in_else)
                defined |= in_body & in_else
                out.append(s)
            elif isinstance(s, (gast.For, gast.While)):
                self.forward_loop(s, needed, defined, out)
            else:
                out.append(s)
        return out

    def split_call(self, s: gast.Assign, dname: str, back: str, out: list[gast.stmt]) -> gast.stmt:
        """``z = h(a, b)`` -> ``z, z_back = dh_fwd(a, b)``: h runs once, and
        ``z_back`` keeps what its reverse sweep needs."""
        if self.loop_depth and ("split", id(s)) in self.pushed:
            self.push(back, out)
        call = s.value
        assert isinstance(call, gast.Call)
        fwd = gast.Call(func=name(dname), args=call.args, keywords=call.keywords)
        target = gast.Tuple(elts=[copy.deepcopy(s.targets[0]), name(back, gast.Store)], ctx=gast.Store())
        return gast.copy_location(gast.Assign(targets=[target], value=fwd, type_comment=None), s)

    def push(self, value: str | gast.expr, out: list[gast.stmt]) -> None:
        self.uses_tape = True
        append = gast.Attribute(value=name(self.tape), attr="append", ctx=gast.Load())
        arg = name(value) if isinstance(value, str) else value
        out.append(gast.Expr(value=gast.Call(func=append, args=[arg], keywords=[])))

    def forward_loop(self, s: gast.For | gast.While, needed: set[str], defined: set[str], out: list[gast.stmt]) -> None:
        if self.loop_depth == 0:
            # names first assigned inside the loop (and the iteration counters
            # of loops inside it) start the tape with a placeholder; so does an
            # unkept value the reverse sweep reads that a branch or an inner
            # loop assigns (a path may never assign it)
            inner = list(statements(s.body))
            every = {id(x) for x in s.body}  # (run by every iteration)
            pushed = {x.targets[0].id for x in inner if isinstance(x, gast.Assign) and isinstance(x.targets[0], gast.Name)
                      and (id(x) in self.pushed or (id(x) in self.unkept and id(x) not in every
                                                    and x.targets[0].id in needed))}  # fmt: skip
            pushed |= {self.counters[id(x)] for x in inner if ("count", id(x)) in self.pushed}
            pushed |= {self.splits[id(x)][1] for x in inner if ("split", id(x)) in self.pushed}
            for n in sorted(pushed - defined):
                if n in self.assigned_so_far:  # on some path only: the placeholder must not hide it
                    self.placeholders.append(n)
                else:
                    out.append(assign(n, const(None)))
                defined.add(n)
        counted = isinstance(s, gast.While) or _has_break(s.body)
        if counted:
            count = self.counters[id(s)]
            init = assign(count, const(0))
            if self.loop_depth and ("count", id(s)) in self.pushed:
                self.push(count, out)
            out.append(init)
        self.loop_depth += 1
        s.body = self.forward(s.body, needed, defined)
        self.loop_depth -= 1
        if counted:
            inc = assign(count, gast.BinOp(left=name(count), op=gast.Add(), right=const(1)))
            s.body.insert(0, inc)
        out.append(s)

    def plan_loop_values(self) -> None:
        """The values a loop assigns that the tape need not keep (``unkept``, by
        statement id): one computed from values the loop never changes (the same
        in every iteration, so it still holds when the reverse sweep reads it),
        and an item or view ``xs[t]`` of such values and the loops' own indices,
        computed again at the top of each reversed iteration (``recompute``,
        by the id of the loop whose reversed body starts with it)."""
        self.unkept: set[int] = set()
        self.recompute: dict[int, list[gast.Assign]] = {}
        counts: dict[str, int] = {}
        for x in statements(self.fn.body):
            for n in assigned([x]) if isinstance(x, (gast.Assign, gast.For)) else ():
                if isinstance(x, gast.For) and n not in _target_names(x):
                    continue
                if isinstance(x, gast.Assign) and not (isinstance(x.targets[0], gast.Name) and x.targets[0].id == n):
                    continue
                counts[n] = counts.get(n, 0) + 1
        self.exit_guards: dict[int, gast.stmt | None] = {}
        self.exit_tests: dict[str, str] = {}
        for outer, before in _outer_loops(self.fn.body):
            fixed = _unchanged_in(outer, self.memory, self.kinds)
            self.plan_loop(outer, fixed, counts, [])
            guards, tests = _exit_guards(outer, counts, before)
            self.exit_guards.update(guards)
            self.exit_tests.update(tests)

    def plan_loop(self, loop: gast.For | gast.While, fixed: Callable[..., bool], counts: dict[str, int],
                  indices: list[str]) -> None:
        if isinstance(loop, gast.For) and isinstance(loop.target, gast.Name) and counts.get(loop.target.id) == 1:
            indices = [*indices, loop.target.id]
        reads = [n.id for n in gast.walk(self.fn) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]
        for k, s in enumerate(loop.body):
            for x in statements([s]):
                if isinstance(x, (gast.For, gast.While)):
                    if x is s:
                        self.plan_loop(x, fixed, counts, indices)
                    continue
                if not (isinstance(x, gast.Assign) and isinstance(x.targets[0], gast.Name)):
                    continue
                z = x.targets[0].id
                op = self.ops.get(id(x))
                if op is None or op.kind != "rule" or counts.get(z) != 1 or id(x) in self.splits or not fixed(z, True):
                    continue
                operands = names_in(x.value)
                if all(fixed(n) for n in operands):
                    self.unkept.add(id(x))  # the same value in every iteration
                elif x is s and self.cheap_view(x.value) and all(fixed(n) or n in indices for n in operands):
                    later = [n.id for n in gast.walk(gast.Module(body=loop.body[k + 1:], type_ignores=[]))
                             if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]
                    if reads.count(z) == later.count(z):  # read only after it, in this iteration
                        self.unkept.add(id(x))
                        self.recompute.setdefault(id(loop), []).append(x)

    def cheap_view(self, value: gast.expr) -> bool:
        """Is ``value`` an item or basic-index view ``xs[t]`` (no copy, no call)?"""
        return (
            isinstance(value, gast.Subscript) and type(value.ctx) is gast.Load and isinstance(value.value, gast.Name)
            and self.basic_index(as_value(value.slice))
        )

    def with_recomputed(self, loop: gast.For | gast.While, body: list[gast.stmt]) -> list[gast.stmt]:
        """The reversed body, starting with the views it computes again."""
        reads = set().union(*(names_read(x) for x in body))
        again = [gast.copy_location(assign(x.targets[0].id, copy.deepcopy(x.value)), x)
                 for x in self.recompute.get(id(loop), ()) if x.targets[0].id in reads]
        return again + body

    def plan_counters(self) -> None:
        self.counters = {}
        for s in statements(self.fn.body):
            if isinstance(s, gast.While) or (isinstance(s, gast.For) and _has_break(s.body)):
                self.counters[id(s)] = self.namer.temp("n")


def _params(fn: gast.FunctionDef) -> set[str]:
    return {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}


def _outer_loops(stmts: list[gast.stmt]):
    """The loops of ``stmts`` that no other loop holds, each with the
    statements before it in its block."""
    for k, s in enumerate(stmts):
        if isinstance(s, (gast.For, gast.While)):
            yield s, stmts[:k]
        elif isinstance(s, gast.If):
            yield from _outer_loops(s.body)
            yield from _outer_loops(s.orelse)


def _exit_guards(
    loop: gast.For | gast.While, counts: dict[str, int], before: list[gast.stmt]
) -> tuple[dict[int, gast.stmt | None], dict[str, str]]:
    """The ``go = not stop`` statements of a loop whose body ends with
    ``if stop: break`` and sets ``stop`` only before them (what
    :mod:`s2sad.frontend.exits` makes of ``break``): ``go`` is False only in
    the iteration that breaks off, the last one, so its reverse sweep need
    not keep ``go``. Where the body copies ``stop`` to a flag set only before
    the loop (``flag = stop``), the flag the forward sweep leaves says whether
    the last iteration broke off: the reversed guards test it, and the first
    ``go`` resets it (``flag = False``) for the iterations before; ``go``
    itself is then read by the forward sweep alone (and gives way to a real
    ``break``, :mod:`s2sad.optimize.breaks`). Otherwise the last iteration's
    ``go`` is read, and each sets it ``True`` again.

    Returns id(go statement) -> the statement its reverse sweep makes (None:
    none), and go -> the flag its guards test."""
    last = loop.body[-1] if loop.body else None
    if not (isinstance(last, gast.If) and isinstance(last.test, gast.Name) and not last.orelse
            and len(last.body) == 1 and isinstance(last.body[0], gast.Break)):
        return {}, {}
    stop = last.test.id
    body = loop.body[:-1]
    goes = [
        s for k, s in enumerate(body)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.UnaryOp)
        and isinstance(s.value.op, gast.Not) and isinstance(s.value.operand, gast.Name) and s.value.operand.id == stop
        and counts.get(s.targets[0].id) == 1 and stop not in assigned(body[k + 1:])
    ]  # fmt: skip
    copy_ = _break_flag(loop, stop, counts, before)
    if copy_ is None or not goes:
        return {id(s): assign(s.targets[0].id, const(True)) for s in goes}, {}
    flag = copy_.targets[0].id
    guards: dict[int, gast.stmt | None] = {id(s): None for s in goes}
    guards[id(goes[0])] = assign(flag, const(False))
    guards[id(copy_)] = None  # the flag is read as the loop leaves it: never restored from the tape
    return guards, {s.targets[0].id: flag for s in goes}


def _break_flag(
    loop: gast.For | gast.While, stop: str, counts: dict[str, int], before: list[gast.stmt]
) -> gast.Assign | None:
    """The copy ``C = stop`` of a loop's body (once ``stop`` is set for the
    last time) to a flag ``C`` set elsewhere only before the loop: after the
    loop ``C`` holds the last iteration's ``stop``. None if there is none."""
    body = loop.body[:-1]
    for j, s in enumerate(body):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                and isinstance(s.value, gast.Name) and s.value.id == stop):  # fmt: skip
            continue
        flag = s.targets[0].id
        inits = [b for b in before if isinstance(b, gast.Assign) and isinstance(b.targets[0], gast.Name)
                 and b.targets[0].id == flag]  # fmt: skip
        if (flag != stop and stop not in assigned(body[j + 1:]) and counts.get(flag) == 2 and len(inits) == 1
                and flag not in assigned(body[:j] + body[j + 1:])
                and (not isinstance(loop, gast.For) or flag not in _target_names(loop))):  # fmt: skip
            return s
    return None


def _target_names(s: gast.For) -> set[str]:
    return {s.target.id} if isinstance(s.target, gast.Name) else set()


def _unchanged_in(loop: gast.For | gast.While, memory: Memory | None, kinds: dict[str, Any]) -> Callable[..., bool]:
    """A test: does a name keep its value all through ``loop`` (not assigned in
    it, and no array or list it may share memory with is changed in place)?
    With ``own=True``, for a name assigned in the loop: is it never changed
    in place, nor shares memory with what is?"""
    rebound = assigned(loop.body) | (_target_names(loop) if isinstance(loop, gast.For) else set())
    changed: set[str] = set()
    for x in statements(loop.body):
        if isinstance(x, gast.Assign) and not isinstance(x.targets[0], gast.Name):
            changed |= names_in(x.targets[0].value) if isinstance(x.targets[0], gast.Subscript) else names_in(x)
        elif isinstance(x, gast.Expr) and isinstance(x.value, gast.Call) and isinstance(x.value.func, gast.Attribute):
            changed |= names_in(x.value.func.value)
        elif memory is not None and id(x) in memory.updates and isinstance(x, gast.Assign):
            changed |= names_in(x.targets[0])
        elif isinstance(x, gast.Expr):
            changed |= names_in(x)

    def shares(n: str) -> bool:
        if n in changed:
            return True
        if kinds.get(n) in (SCALAR, INT) or not changed:
            return False
        if memory is None:
            return True
        objs = memory.pts.get(n, set())
        return any(memory.sees(n, memory.pts.get(w, set())) or memory.sees(w, objs) for w in changed)

    def test(n: str, own: bool = False) -> bool:
        return (own or n not in rebound) and not shares(n)

    return test


def _has_break(body: list[gast.stmt]) -> bool:
    for s in body:
        if isinstance(s, gast.Break):
            return True
        if isinstance(s, gast.If) and (_has_break(s.body) or _has_break(s.orelse)):
            return True
    return False


def _whole_index(idx: gast.expr) -> bool:
    """Does the index select all of an array: ``y[()]`` or ``y[...]``?"""
    if isinstance(idx, gast.Tuple):
        return not idx.elts or (len(idx.elts) == 1 and _whole_index(idx.elts[0]))
    return isinstance(idx, gast.Constant) and idx.value is Ellipsis


def _as_index(idx: gast.expr) -> gast.expr:
    """``slice(a, b, None)`` back to ``a:b`` inside a subscript."""
    if isinstance(idx, gast.Tuple):
        return gast.Tuple(elts=[_as_index(e) for e in idx.elts], ctx=gast.Load())
    if isinstance(idx, gast.Call) and isinstance(idx.func, gast.Name) and idx.func.id == "slice":
        parts = [None if isinstance(a, gast.Constant) and a.value is None else a for a in idx.args]
        return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
    return idx


def _list_append(s: gast.Expr) -> bool:
    call = s.value
    return (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr == "append"
        and isinstance(call.func.value, gast.Name)
        and len(call.args) == 1
    )


def _popped_name(p: Pop) -> str:
    return p.name.value.id if isinstance(p.name, gast.Subscript) else p.name.id


def restored(s: gast.stmt) -> str | None:
    """The name a Pop placeholder restores (None for any other statement)."""
    return _popped_name(s) if isinstance(s, Pop) else None


def _popped(stmts: list[gast.stmt]) -> set[str]:
    out = set()
    for s in stmts:
        for node in gast.walk(s):
            if isinstance(node, gast.Assign) and isinstance(node.value, gast.Call):
                f = node.value.func
                if isinstance(f, gast.Attribute) and f.attr == "pop" and isinstance(node.targets[0], gast.Name):
                    out.add(node.targets[0].id)
    return out


def _rewound_in_place(stmts: list[gast.stmt]) -> set[str]:
    """Arrays the reverse sweep restores in place (``y[i] = tape.pop()``) and
    lists it shortens (``hs.pop()``)."""
    out = set()
    for s in stmts:
        for node in gast.walk(s):
            call = getattr(node, "value", None)
            if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and call.func.attr == "pop"):
                continue
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
                base = node.targets[0].value
                if isinstance(base, gast.Name):
                    out.add(base.id)
            elif isinstance(node, gast.Expr) and isinstance(call.func.value, gast.Name):
                out.add(call.func.value.id)
    return out


def _plain(p: Pop) -> bool:
    """Does the Pop restore a whole name (not an entry, not a list's last item)?"""
    return isinstance(p.name, gast.Name) and not p.list_item


def _pops(stmts: list[gast.stmt]) -> list[Pop]:
    return [s for s in statements(stmts) if isinstance(s, Pop)]


def _resolve_pops(stmts: list[gast.stmt], kept: set[int], tape: str) -> list[gast.stmt]:
    """Turn the kept Pops (by id) into ``x = tape.pop()``; drop the rest and what they empty."""
    out: list[gast.stmt] = []
    for s in stmts:
        if isinstance(s, Pop):
            if id(s) in kept and s.list_item:
                drop = gast.Attribute(value=name(s.name.id), attr="pop", ctx=gast.Load())
                out.append(gast.Expr(value=gast.Call(func=drop, args=[], keywords=[])))
            elif id(s) in kept:
                pop = gast.Call(func=gast.Attribute(value=name(tape), attr="pop", ctx=gast.Load()), args=[], keywords=[])
                target = s.name if isinstance(s.name, gast.Subscript) else s.name.id
                if isinstance(target, gast.Subscript):
                    target = copy.deepcopy(target)
                    target.ctx = gast.Store()
                out.append(assign(target, pop))
            continue
        if isinstance(s, gast.If):
            s.body = _resolve_pops(s.body, kept, tape)
            s.orelse = _resolve_pops(s.orelse, kept, tape)
            if not s.body and not s.orelse:
                continue
            if not s.body:
                s.test = gast.UnaryOp(op=gast.Not(), operand=s.test)
                s.body, s.orelse = s.orelse, []
        elif isinstance(s, gast.For):
            s.body = _resolve_pops(s.body, kept, tape)
            if not s.body:
                continue
        out.append(s)
    return out
