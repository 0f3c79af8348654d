"""Forward mode as a source transformation.

Input: the SSA core of a function (see :mod:`s2sad.ir.ssa`), the resolved
operation of every assignment, the names that are varied (depend on a
``wrt`` argument) and their kinds; the same inputs as
:class:`s2sad.reverse.transform.ReverseTransform`.

Output: the statements of one function that runs the primal code with,
after every statement, the tangent of what it computed, and the expression
that holds the tangent of the returned value.

How it works (docs/design.md, "Forward mode and higher order"): primal and
tangent, interleaved.

* ``z = f(a, b)`` is followed by ``z_dot = <sum of the forward templates of
  the operands that carry a tangent>``. Tangents are symbolic until needed:
  an operand with a zero tangent contributes nothing, a result with none
  gets none, and a copy ``z = x`` makes ``z`` share ``x``'s tangent without
  any code. A tangent variable that is about to be rebound is first copied
  for every other name that shares it.
* An elementwise op whose only tangent comes from an operand that may be
  smaller than the result (``z = x + y``, tangent on scalar ``x``, ``y`` an
  array) broadcasts it with ``broadcast_like(x_dot, z)``, unless the kinds
  show the shapes agree.
* The tangent of a tuple literal is the tuple of its items' tangents;
  ``t[k]`` with a constant ``k`` picks the item's tangent, or knows it is zero.
* ``if``: both branches are transformed from the same state; at the merge a
  tangent held differently by the branches is put in its own variable in
  each (``zeros_like`` where a branch has none).
* Loops: every varied name the body assigns has its tangent in its own
  variable when an iteration starts and ends, so each iteration starts from
  the same state (``break`` comes last in a body, so the end-of-body copies go
  before it).
* Lists used as stacks (the ``tape`` of a generated gradient): ``L = []``
  gets ``L_dot = []``, ``L.append(v)`` pushes ``v``'s tangent and
  ``x = L.pop()`` pops it. The plan (see :func:`stack_modes`) says whether a
  stack pairs pushes and pops by name (generated tapes: only varied names
  move a tangent) or keeps every entry in lockstep (any other list).
* Writes ``y[i] = v`` into an array the function allocated write ``v``'s
  tangent (or ``0.0``) into ``y``'s own tangent buffer; generated code's
  ``add_at(y, i, v)`` adds into it. A name changed in place always has a
  tangent buffer of its own (``copy_of`` where it would share one).
* ``z = h(a, b)`` for a Python function ``h`` becomes ``z, z_dot = h_jvp(a,
  b, a_dot=...)``, ``h``'s own forward-mode code (built by the pipeline).

>>> import gast
>>> from s2sad.analysis.activity import infer_kinds, statements, varied_names
>>> from s2sad.analysis.resolve import Resolver
>>> from s2sad.frontend.parse import ParsedFunction
>>> from s2sad.ir.naming import Namer
>>> from s2sad.frontend.normalize import normalize
>>> from s2sad.ir.core import local_names, unparse
>>> from s2sad.ir.ssa import to_ssa
>>> import numpy as np
>>> fn = gast.parse("def f(x, y):\\n    return np.log(x) + x * y - np.sin(y)").body[0]
>>> namer = Namer.for_function(fn)
>>> ssa = to_ssa(normalize(fn, namer), namer)
>>> resolver = Resolver(ParsedFunction(None, fn, "<doc>", {"np": np}, {}), local_names(ssa))
>>> ops = {id(s): resolver.op(s.value) for s in statements(ssa.body) if isinstance(s, gast.Assign)}
>>> varied = varied_names(ssa, ["x", "y"], ops)
>>> kinds = infer_kinds(ssa, {"x": SCALAR, "y": SCALAR}, ops)
>>> t = ForwardTransform(ssa, ops, varied, kinds, namer, {})
>>> body, out = t.run(["x", "y"])
>>> print("\\n".join(unparse(s).strip() for s in body))
t1 = np.log(x)
t1_dot = x_dot / x
t2 = x * y
t2_dot = x_dot * y + x * y_dot
t3 = t1 + t2
t3_dot = t1_dot + t2_dot
t4 = np.sin(y)
t4_dot = y_dot * np.cos(y)
y_1 = t3 - t4
y_1_dot = t3_dot - t4_dot
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..analysis.activity import container_op, kind_of_atom
from ..analysis.resolve import Op
from ..errors import Location, NoRuleError, UnsupportedSyntaxError
from ..frontend.varargs import bind_call
from ..ir.core import assign, const, name, names_in, walk
from ..ir.kinds import SCALAR, is_container
from ..ir.naming import Namer
from ..ir.ssa import assigned
from ..optimize.default_keywords import drop_default_keywords
from ..optimize.fold import fold_tests
from ..optimize.negation import without_sign
from ..rules.runtime_rules import LIST_VALUED, RUNTIME_RULES
from ..rules.table import KIND_RULES, RULES, Rule
from ..rules.templates import as_value, basic_index, instantiate, simplify
from ..runtime import add_at

_ADD = RULES.operator(gast.Add)

_ELEMENTWISE = KIND_RULES["elementwise"]


@dataclass
class State:
    """Where each name's tangent is: ``of[n]`` names the variable holding it
    (absent or None: zero); ``items[t]`` lists, for a tuple built from a
    literal, each item's tangent variable and that variable's generation
    when the tuple was built (None: a zero item)."""

    of: dict[str, str | None] = field(default_factory=dict)
    items: dict[str, list[tuple[str, int] | None]] = field(default_factory=dict)

    def copy(self) -> State:
        return State(dict(self.of), {k: list(v) for k, v in self.items.items()})


def pop_receiver(value: gast.expr) -> str | None:
    """``L`` when ``value`` is ``L.pop()``."""
    if (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and value.func.attr == "pop"
        and isinstance(value.func.value, gast.Name)
        and not value.args
        and not value.keywords
    ):
        return value.func.value.id
    return None


def method_call(s: gast.stmt) -> tuple[str, str, list[gast.expr]] | None:
    """``(L, method, args)`` for an expression statement ``L.method(args)``."""
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
        f = s.value.func
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
            return f.value.id, f.attr, list(s.value.args)
    return None


def stack_modes(fn: gast.FunctionDef, generated: bool) -> dict[str, str]:
    """How each list that is pushed onto keeps its tangents in step.

    ``"paired"``: pushes and pops go by name (``tape.append(x)`` ...
    ``x = tape.pop()``), as in a generated gradient's tape, so only names that
    carry a tangent push one. ``"lockstep"``: every entry has a tangent (zero
    where needed), for lists used in any other way."""
    pushed: dict[str, set[str | None]] = {}
    popped: dict[str, set[str]] = {}
    other: set[str] = set()
    receivers: set[int] = set()
    for node in walk(fn):
        if isinstance(node, gast.Expr):
            call = method_call(node)
            if call is not None:
                lst, method, args = call
                receivers.add(id(node.value.func.value))
                if method == "pop" and not args:  # a pop whose value is dropped
                    popped.setdefault(lst, set()).add(None)  # type: ignore[arg-type]
                    continue
                arg = args[0] if method == "append" and len(args) == 1 else None
                # any other method (extend, insert...) makes the list "lockstep",
                # where the transform refuses what it cannot follow
                pushed.setdefault(lst, set()).add(arg.id if isinstance(arg, gast.Name) else None)
        elif isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            lst = pop_receiver(node.value)
            if lst is not None:
                popped.setdefault(lst, set()).add(node.targets[0].id)
                receivers.add(id(node.value.func.value))
    for node in walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and id(node) not in receivers:
            other.add(node.id)
    modes = {}
    for lst in set(pushed) | set(popped):
        names = pushed.get(lst, set())
        paired = generated and lst not in other and None not in names and names == popped.get(lst, set())
        modes[lst] = "paired" if paired else "lockstep"
    return modes


class ForwardTransform:
    def __init__(
        self,
        fn: gast.FunctionDef,
        ops: dict[int, Op],
        varied: set[str],
        kinds: dict[str, Any],
        namer: Namer,
        rename: dict[str, str],
        stacks: dict[str, str] | None = None,
        filename: str = "<unknown>",
        resolve: Callable[[gast.expr], Any] | None = None,
        callee: Callable[..., tuple[str, tuple[str, ...]]] | None = None,
    ):
        self.fn = fn
        # copies: a self-update (see self_update) adds a fresh name to each
        self.ops = dict(ops)
        self.varied = set(varied)
        self.kinds = dict(kinds)
        self.namer = namer
        self.rename = rename  # np -> the name numpy has in generated code, helpers likewise
        self.stacks = stacks if stacks is not None else stack_modes(fn, generated=False)
        self.filename = filename
        self.resolve = resolve or (lambda func: None)  # the object a called name denotes
        # (fn, wrt, kinds, where) -> (name of fn's jvp in this code, its tangent parameters)
        self.callee = callee
        self.mutated = self.written(fn.body)  # names changed in place: their tangents are buffers of their own
        self.state = State()
        self.generation: dict[str, int] = {}
        self.defined: set[str] = set()
        self.tangent_vars: set[str] = set()
        self.loops: list[tuple[list[str], int | None]] = []  # each enclosing loop's carried names, final break

    # --------------------------------------------------------------- naming
    def dot(self, n: str) -> str:
        return self.namer.tangent(n)

    def runtime(self, n: str) -> str:
        return self.rename.get(n, n)

    def helper(self, fname: str, *args: gast.expr) -> gast.Call:
        return gast.Call(func=name(self.runtime(fname)), args=list(args), keywords=[])

    def location(self, s: gast.AST) -> Location:
        return Location(self.filename, getattr(s, "lineno", 0) or 0, getattr(s, "col_offset", 0) or 0)

    # ------------------------------------------------------------ tangents
    def holder(self, atom: gast.expr) -> str | None:
        """The variable holding an atom's tangent, None for a zero tangent. A
        literal holding a varied name is not an atom: see ``literal_tangent``."""
        if isinstance(atom, gast.Name):
            return self.state.of.get(atom.id)
        if any(isinstance(n, gast.Name) and n.id in self.varied for n in walk(atom)):
            raise AssertionError(f"core: {type(atom).__name__} holding a derivative is not an atom")
        return None

    def literal_tangent(self, node: gast.expr) -> gast.expr | None:
        """The tangent of an atom or of a list or tuple literal of them (nested
        too), item by item with zeros where an item has none; None when all
        are zero."""
        if not isinstance(node, (gast.Tuple, gast.List)):
            h = self.holder(node)
            return name(h) if h is not None else None
        tangents = [self.literal_tangent(e) for e in node.elts]
        if all(t is None for t in tangents):
            return None
        elts = [t if t is not None else self.helper("zeros_like", copy.deepcopy(e)) for t, e in zip(tangents, node.elts)]
        return type(node)(elts=elts, ctx=gast.Load())

    def emit(self, var: str, value: gast.expr, out: list[gast.stmt], at: gast.AST | None = None) -> None:
        """``var = value``, where ``value`` was built after ``release(var)``;
        ``at`` is the primal statement it belongs to (for its line)."""
        stmt = assign(var, value)
        if at is not None:
            gast.copy_location(stmt, at)
        out.append(stmt)
        self.tangent_vars.add(var)
        self.generation[var] = self.generation.get(var, 0) + 1

    def release(self, var: str, out: list[gast.stmt], busy: frozenset[str] = frozenset()) -> None:
        """Before ``var`` is rebound, give every other name sharing it a
        variable of its own (a fresh one where its own is being rebound too)."""
        busy = busy | {var}
        for n, h in sorted(self.state.of.items(), key=lambda kv: kv[0]):
            if h != var or self.dot(n) == var:
                continue
            own = self.dot(n)
            if own in busy:
                own = self.namer.temp(f"{n}_dot_")
            else:
                self.release(own, out, busy)
            self.emit(own, name(var), out)
            self.state.of[n] = own
        for items in self.state.items.values():
            for k, item in enumerate(items):
                if item is not None and item[0] == var:
                    items[k] = (item[0], -1)  # the item's value now lives only in the tuple's tangent

    def materialize(self, n: str, out: list[gast.stmt]) -> None:
        """Give ``n``'s tangent its own variable (zeros when it is zero)."""
        own = self.dot(n)
        if self.state.of.get(n) == own:
            return
        self.release(own, out)
        holder = self.state.of.get(n)
        value = name(holder) if holder is not None else self.helper("zeros_like", name(n))
        self.emit(own, value, out)
        self.state.of[n] = own

    def set_tangent(self, z: str, value: gast.expr | None, out: list[gast.stmt], src: gast.AST) -> None:
        """``z``'s tangent is ``value`` (None: zero; a tangent variable: shared)."""
        self.state.items.pop(z, None)
        if value is None:
            self.state.of[z] = None
        elif self.is_tangent_var(value) and z not in self.mutated:
            self.state.of[z] = value.id
        else:
            if z in self.mutated and not self.is_fresh(value):
                value = self.helper("copy_of", value)
            self.emit(self.dot(z), value, out, src)
            self.state.of[z] = self.dot(z)

    def is_fresh(self, value: gast.expr) -> bool:
        """Does ``value`` certainly make a new array (or list), no view or alias?"""
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.List, gast.Tuple)):
            return True
        f = value.func if isinstance(value, gast.Call) else None
        return isinstance(f, gast.Name) and f.id in {self.runtime(h) for h in ("zeros_like", "fresh", "copy_of")}

    def written(self, stmts: list[gast.stmt]) -> set[str]:
        return _written(stmts, self.resolve)

    def is_tangent_var(self, value: gast.expr) -> bool:
        return isinstance(value, gast.Name) and (value.id in self.tangent_vars or value.id in self.params_dot)

    # --------------------------------------------------------------- driver
    def run(self, wrt: list[str]) -> tuple[list[gast.stmt], gast.expr]:
        """Return (statements, tangent of the returned value)."""
        args = self.fn.args
        self.defined = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        self.params_dot = {self.dot(w) for w in wrt}
        for w in wrt:
            self.state.of[w] = self.dot(w)
        body = self.fn.body
        assert isinstance(body[-1], gast.Return)
        out = self.block(body[:-1])
        result = body[-1].value
        holder = self.holder(result)
        tangent = name(holder) if holder is not None else self.helper("zeros_like", copy.deepcopy(result))
        return out, tangent

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for s in stmts:
            self.stmt(s, out)
        return out

    def stmt(self, s: gast.stmt, out: list[gast.stmt]) -> None:
        if isinstance(s, gast.Assign):
            if isinstance(s.targets[0], gast.Name):
                self.assign(s, out)
            else:
                self.write(s, out)
        elif isinstance(s, gast.If):
            self.if_(s, out)
        elif isinstance(s, (gast.For, gast.While)):
            self.loop(s, out)
        elif isinstance(s, gast.Expr):
            self.expr_stmt(s, out)
        else:  # break, raise, pass
            out.append(s)

    # ----------------------------------------------------------- statements
    def assign(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        z = s.targets[0].id
        op = self.ops[id(s)]
        if op.kind in ("rule", "user") and z in self.varied and z in names_in(s.value):
            self.self_update(z, s, op, out)
            return
        self.defined.add(z)
        if op.kind == "user" and z in self.varied and self.user_call(z, op, s, out):
            return
        out.append(s)
        lst = pop_receiver(s.value)
        if lst is not None and lst in self.stacks:
            self.pop(z, lst, out, s)
        elif z in self.stacks and z in self.varied and isinstance(s.value, gast.List):
            self.new_stack(z, s, out)
        elif z not in self.varied:
            self.set_tangent(z, None, out, s)
        elif op.kind == "copy":
            src = op.args["x"]
            if isinstance(src, gast.Name) and src.id in self.varied and {z, src.id} & self.mutated:
                # two names for one list or array changed in place: they share one
                # tangent buffer, so that a change through either is seen by both
                self.materialize(src.id, out)
                self.state.items.pop(src.id, None)
            self.state.of[z] = self.holder(src)
            if isinstance(src, gast.Name) and src.id in self.state.items and z not in self.mutated:
                self.state.items[z] = list(self.state.items[src.id])
            else:
                self.state.items.pop(z, None)
        elif op.kind == "tuple":
            self.tuple_(z, op.args["items"], out, s)
        elif op.kind == "dict":
            self.dict_(z, op.args["items"], out, s)
        elif op.kind == "rule" and op.rule is not None:
            tangent = self.tangent_of(z, op, s)
            if tangent is not None and not self.is_tangent_var(tangent):
                # rebinding z_dot: first move whoever shares it, then rebuild
                # the expression from where the tangents now are
                self.release(self.dot(z), out)
                tangent = self.tangent_of(z, op, s)
            self.set_tangent(z, tangent, out, s)
        else:  # constants, integer-valued results, calls whose operands carry no tangent
            self.set_tangent(z, None, out, s)
        if z in self.state.of and self.state.of[z] is None:
            del self.state.of[z]
        if z in self.stacks and z in self.varied and z not in self.state.of:
            # a list that will be pushed onto or popped from keeps a real
            # tangent list, shared by every name the list goes by
            self.materialize(z, out)

    def self_update(self, z: str, s: gast.Assign, op: Op, out: list[gast.stmt]) -> None:
        """``x = x * c`` (SSA leaves a loop-carried name so where a branch
        redefines it): its tangent needs the old ``x``, so the new value goes
        to a fresh name first, ``x_1 = x * c``, then ``x = x_1``."""
        fresh = self.namer.version(z)
        self.varied.add(fresh)
        self.kinds[fresh] = self.kinds.get(z)
        first = gast.copy_location(assign(fresh, s.value), s)
        self.ops[id(first)] = op
        self.assign(first, out)
        then = gast.copy_location(assign(z, name(fresh)), s)
        self.ops[id(then)] = Op("copy", args={"x": name(fresh)})
        self.assign(then, out)

    def user_call(self, z: str, op: Op, s: gast.Assign, out: list[gast.stmt]) -> bool:
        """``z = h(a, b)`` for a Python function ``h``: ``z, z_dot = h_jvp(a, b,
        a_dot=...)``, h's own forward-mode code, wrt the operands with a
        tangent. False when none has one (the call stays as it is)."""
        call = op.args["call"]
        bound = bind_call(op.callee, call, self.location(s))
        if not self.call_tangents(bound):
            return False
        if self.callee is None:
            raise UnsupportedSyntaxError(
                "s2sad cannot differentiate calls to other Python functions here", self.location(s)
            )
        self.release(self.dot(z), out)
        tangents = self.call_tangents(bound)
        kinds = {p: kind_of_atom(node, self.kinds) for p, node in bound.items()}
        fname, names = self.callee(op.callee, tuple(tangents), kinds, self.location(s))
        keywords = list(call.keywords) + [gast.keyword(arg=k, value=v) for k, v in zip(names, tangents.values())]
        jcall = gast.Call(func=name(fname), args=list(call.args), keywords=keywords)
        both = gast.Tuple(elts=[name(z, gast.Store), name(self.dot(z), gast.Store)], ctx=gast.Store())
        out.append(gast.copy_location(gast.Assign(targets=[both], value=jcall, type_comment=None), s))
        self.tangent_vars.add(self.dot(z))
        self.generation[self.dot(z)] = self.generation.get(self.dot(z), 0) + 1
        self.state.of[z] = self.dot(z)
        self.state.items.pop(z, None)
        if z in self.mutated:
            self.emit(self.dot(z), self.helper("copy_of", name(self.dot(z))), out, s)
        return True

    def call_tangents(self, bound: dict[str, gast.expr]) -> dict[str, gast.expr]:
        """The tangent of each argument of a call that has one."""
        tangents: dict[str, gast.expr] = {}
        for p, node in bound.items():
            tangent = self.literal_tangent(node)
            if tangent is not None:
                tangents[p] = tangent
        return tangents

    def tangent_of(self, z: str, op: Op, s: gast.Assign) -> gast.expr | None:
        """The sum of the forward templates of ``op``'s operands that carry a tangent."""
        rule = op.rule
        assert rule is not None
        picked = self.tuple_item(op, s)
        if picked is not False:
            return picked
        plus = container_op(op, self.kinds)
        if plus is not None:
            return self.container_tangent(plus[0], op, s)
        operand_kinds = [kind_of_atom(op.args[p], self.kinds) for p in rule.reverse if p in op.args]
        terms: list[gast.expr] = []
        for p in rule.reverse:
            arg = op.args.get(p)
            if arg is None or not (names_in(arg) & self.varied):
                continue
            tangent = self.operand_tangent(rule, p, arg)
            if tangent is None:
                continue
            if p not in rule.forward:
                raise NoRuleError(
                    f"s2sad has no forward rule for {rule.name} (its argument {p!r})",
                    self.location(s),
                    "register one with s2sad.register_adjoint(fn, reverse, forward={'x': 'x_dot * ...'})",
                )
            bindings = {"z": name(z)}  # the result, unless a parameter has that name
            bindings.update(op.args)
            bindings[f"{p}_dot"] = tangent
            expr = drop_default_keywords(fold_tests(instantiate(rule.forward[p], bindings, self.runtime)), self.runtime("np"))
            if self.is_zero(expr):
                continue
            terms.append(simplify(expr, self.kinds, operand_kinds, self.kinds.get(z)))
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            if rule.name in LIST_VALUED:
                total = self.helper("add_adjoints", total, term)
            else:
                positive = without_sign(term)
                if positive is not None:
                    total = gast.BinOp(left=total, op=gast.Sub(), right=positive)
                else:
                    total = gast.BinOp(left=total, op=gast.Add(), right=term)
        if self.may_broadcast(rule, op, z, total):
            total = self.helper("broadcast_like", total, name(z))
        return total

    def container_tangent(self, how: str, op: Op, s: gast.Assign) -> gast.expr | None:
        """``x + y`` joining lists or tuples: the list of the items' tangents
        (zeros for an operand without one); ``x * n`` repeating one: its
        tangents repeated. A helper decides where the kinds cannot tell
        containers from numbers."""
        x, y = op.args["x"], op.args["y"]
        hx, hy = self.holder(x), self.holder(y)
        if hx is None and hy is None:
            return None
        if how == "unknown" and op.rule is not _ADD:
            raise UnsupportedSyntaxError(
                "s2sad cannot tell whether this `*` repeats a list or tuple or multiplies numbers",
                self.location(s),
                "make the count an int (e.g. int(n)), or the list an array (np.asarray(xs))",
            )
        if how == "repeat":
            seq, seq_dot, n = (x, hx, y) if is_container(kind_of_atom(x, self.kinds)) else (y, hy, x)
            if seq_dot is None:
                return None
            return gast.BinOp(left=name(seq_dot), op=gast.Mult(), right=copy.deepcopy(n))
        xd = name(hx) if hx is not None else self.helper("zeros_like", copy.deepcopy(x))
        yd = name(hy) if hy is not None else self.helper("zeros_like", copy.deepcopy(y))
        if how == "unknown":
            return self.helper("plus_tangent", xd, yd, copy.deepcopy(x), copy.deepcopy(y))
        # [*x_dot, *y_dot]: the items' tangents, whether they are held in lists or tuples
        elts = [gast.Starred(value=xd, ctx=gast.Load()), gast.Starred(value=yd, ctx=gast.Load())]
        return gast.List(elts=elts, ctx=gast.Load())

    def operand_tangent(self, rule: Rule, p: str, arg: gast.expr) -> gast.expr | None:
        """The expression ``<p>_dot`` stands for, None when it is zero."""
        # a list literal, whether the parameter takes a sequence (np.stack) or an
        # array that NumPy builds from the list (np.sum([a, b])): a list of tangents
        return self.literal_tangent(arg)

    def is_zero(self, expr: gast.expr) -> bool:
        f = expr.func if isinstance(expr, gast.Call) else None
        return isinstance(f, gast.Name) and f.id == self.runtime("zeros_like")

    def may_broadcast(self, rule: Rule, op: Op, z: str, total: gast.expr) -> bool:
        """Can an elementwise op's tangent be smaller than its result? Only if
        an operand that may be larger appears in neither the tangent nor ``z``."""
        seen = names_in(total)
        if rule.kind is not _ELEMENTWISE or self.kinds.get(z) == SCALAR or z in seen:
            return False
        for atom in op.args.values():
            if isinstance(atom, gast.Constant):
                if isinstance(atom.value, (int, float, bool)) or atom.value is None:
                    continue
                return True
            if isinstance(atom, gast.Name):
                holder = self.state.of.get(atom.id)
                if atom.id in seen or (holder is not None and holder in seen):
                    continue
                if self.kinds.get(atom.id) == SCALAR:
                    continue
            return True
        return False

    def tuple_item(self, op: Op, s: gast.Assign) -> gast.expr | None | bool:
        """``c = t[k]`` of a tuple whose item tangents are known: the item's
        tangent (None when zero). False when the general rule applies."""
        if not isinstance(s.value, gast.Subscript):
            return False
        base, idx = op.args.get("x"), op.args.get("idx")
        if not (isinstance(base, gast.Name) and isinstance(idx, gast.Constant) and type(idx.value) is int):
            return False
        if self.holder(base) is None:
            return None
        items = self.state.items.get(base.id)
        if items is None or not -len(items) <= idx.value < len(items):
            return False
        item = items[idx.value]
        if item is None:
            return None
        var, generation = item
        if self.generation.get(var, 0) == generation:
            return name(var)
        return False

    def dict_(self, z: str, d: gast.Dict, out: list[gast.stmt], s: gast.Assign) -> None:
        """The tangent of a dict literal is the dict of its values' tangents
        (zeros where a value carries none): ``{"W": W_dot, "b": b_dot}``."""
        if all(self.holder(e) is None for e in d.values):
            self.set_tangent(z, None, out, s)
            return
        self.release(self.dot(z), out)
        values = [
            name(h) if h is not None else self.helper("zeros_like", copy.deepcopy(e))
            for h, e in ((self.holder(e), e) for e in d.values)
        ]
        self.state.items.pop(z, None)
        self.emit(self.dot(z), gast.Dict(keys=copy.deepcopy(d.keys), values=values), out, s)
        self.state.of[z] = self.dot(z)

    def tuple_(self, z: str, items: gast.Tuple | gast.List, out: list[gast.stmt], s: gast.Assign) -> None:
        holders = [self.holder(e) for e in items.elts]
        if all(h is None for h in holders):
            self.set_tangent(z, None, out, s)
            if z not in self.mutated:
                self.state.items[z] = [None] * len(holders)
            return
        self.release(self.dot(z), out)
        holders = [self.holder(e) for e in items.elts]
        elts = [
            name(h) if h is not None else self.helper("zeros_like", copy.deepcopy(e))
            for h, e in zip(holders, items.elts)
        ]
        self.emit(self.dot(z), type(items)(elts=elts, ctx=gast.Load()), out, s)
        self.state.of[z] = self.dot(z)
        if z not in self.mutated:  # a list changed in place keeps no static item tangents
            self.state.items[z] = [None if h is None else (h, self.generation.get(h, 0)) for h in holders]

    # --------------------------------------------------------------- stacks
    def pop(self, z: str, lst: str, out: list[gast.stmt], s: gast.Assign) -> None:
        self.state.items.pop(z, None)
        if lst not in self.varied:
            self.state.of.pop(z, None)
            return
        pop = gast.Call(
            func=gast.Attribute(value=name(self.stack_var(lst, out)), attr="pop", ctx=gast.Load()),
            args=[],
            keywords=[],
        )
        if z in self.varied:
            self.release(self.dot(z), out)
            self.emit(self.dot(z), pop, out, s)
            self.state.of[z] = self.dot(z)
        elif self.stacks[lst] == "lockstep":
            out.append(gast.Expr(value=pop))

    def expr_stmt(self, s: gast.Expr, out: list[gast.stmt]) -> None:
        out.append(s)
        call = method_call(s)
        if call is None or call[0] not in self.stacks:
            self.call_stmt(s, out)
            return
        if call[0] not in self.varied:
            return
        lst, method, args = call
        if method == "pop" and not args:
            pop = gast.Attribute(value=name(self.stack_var(lst, out)), attr="pop", ctx=gast.Load())
            out.append(gast.copy_location(gast.Expr(value=gast.Call(func=pop, args=[], keywords=[])), s))
            return
        if method != "append" or len(args) != 1:
            raise UnsupportedSyntaxError(
                f"s2sad's forward mode cannot follow .{method}() on a list that holds derivatives",
                self.location(s),
                "build the list with .append() only",
            )
        v = args[0]
        parts = v.elts if isinstance(v, (gast.Tuple, gast.List)) else [v]  # hs.append((a, b)): a tuple of tangents
        if self.stacks[lst] == "paired" and not any(isinstance(e, gast.Name) and e.id in self.varied for e in parts):
            return
        tangent = self.literal_tangent(v)
        value = tangent if tangent is not None else self.helper("zeros_like", copy.deepcopy(v))
        push = gast.Attribute(value=name(self.stack_var(lst, out)), attr="append", ctx=gast.Load())
        out.append(gast.copy_location(gast.Expr(value=gast.Call(func=push, args=[value], keywords=[])), s))

    def stack_var(self, lst: str, out: list[gast.stmt]) -> str:
        """The variable holding list ``lst``'s tangent list (made, all zeros, if
        it had none)."""
        if self.state.of.get(lst) is None:
            self.materialize(lst, out)
        holder = self.state.of[lst]
        assert holder is not None
        self.generation[holder] = self.generation.get(holder, 0) + 1  # it is about to change
        return holder

    def new_stack(self, z: str, s: gast.Assign, out: list[gast.stmt]) -> None:
        """``L = [a, b]`` for a list that will hold values with tangents:
        ``L_dot = [a_dot, b_dot]``, every item's tangent there (zeros if need be)."""
        assert isinstance(s.value, gast.List)
        self.release(self.dot(z), out)
        elts = []
        for e in s.value.elts:
            holder = self.holder(e)
            elts.append(name(holder) if holder is not None else self.helper("zeros_like", copy.deepcopy(e)))
        self.emit(self.dot(z), gast.List(elts=elts, ctx=gast.Load()), out, s)
        self.state.of[z] = self.dot(z)
        self.state.items.pop(z, None)

    def call_stmt(self, s: gast.Expr, out: list[gast.stmt]) -> None:
        """A call made for its effect: ``add_at(buffer, idx, v)`` adds ``v``'s
        tangent into ``buffer``'s; calls that carry no derivative (``print``,
        ``check_finite``) stay as they are; anything else that sees a value
        with a tangent is refused, since its effect cannot be followed."""
        call = s.value
        if not isinstance(call, gast.Call):
            return
        target = self.resolve(call.func)
        if target is add_at and len(call.args) == 3 and not call.keywords:
            self.add_at(call.args, out, s)
            return
        touched = set().union(*(names_in(a) for a in call.args), *(names_in(k.value) for k in call.keywords))
        if not (touched & self.varied) or RULES.is_inactive(target) or RUNTIME_RULES.is_inactive(target):
            return
        raise UnsupportedSyntaxError(
            "s2sad's forward mode cannot follow this call, made for its effect on a value with a derivative",
            self.location(s),
            "assign the call's result to a name instead",
        )

    def add_at(self, args: list[gast.expr], out: list[gast.stmt], s: gast.stmt) -> None:
        buffer, idx, v = args
        holder = self.holder(v)
        if not isinstance(buffer, gast.Name) or holder is None:
            return
        self.own_buffer(buffer.id, out)
        call = self.helper("add_at", name(self.dot(buffer.id)), copy.deepcopy(idx), name(holder))
        out.append(gast.copy_location(gast.Expr(value=call), s))
        self.generation[self.dot(buffer.id)] = self.generation.get(self.dot(buffer.id), 0) + 1

    # ---------------------------------------------------------------- writes
    def write(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        """``y[idx] = v`` into an array the function allocated (the pipeline's
        check_writes has refused the others): the same write into ``y_dot``."""
        target = s.targets[0]
        out.append(s)
        if not isinstance(target, gast.Subscript) or not isinstance(target.value, gast.Name):
            raise UnsupportedSyntaxError("s2sad cannot differentiate this assignment", self.location(s))
        y = target.value.id
        holder = self.holder(s.value)
        if holder is None and self.state.of.get(y) is None:
            return
        self.own_buffer(y, out)
        value: gast.expr = name(holder) if holder is not None else const(0.0)
        if holder is not None and isinstance(s.value, gast.Name) and not basic_index(as_value(target.slice), self.kinds):
            # an index that may repeat an entry: the tangent must keep the entries the value kept
            value = self.helper("laid_out_like", value, name(s.value.id))
        dst = gast.Subscript(value=name(self.dot(y), gast.Load), slice=copy.deepcopy(target.slice), ctx=gast.Store())
        out.append(gast.copy_location(assign(dst, value), s))
        self.generation[self.dot(y)] = self.generation.get(self.dot(y), 0) + 1

    def own_buffer(self, y: str, out: list[gast.stmt]) -> None:
        """Make ``y_dot`` an array the generated code may write into."""
        own = self.dot(y)
        holder = self.state.of.get(y)
        if holder == own:
            return
        self.release(own, out)
        if holder is None:
            value: gast.expr = self.helper("zeros_like", name(y))
        else:
            value = self.helper("copy_of", name(holder))
        self.emit(own, value, out)
        self.state.of[y] = own

    # ----------------------------------------------------------------- if
    def if_(self, s: gast.If, out: list[gast.stmt]) -> None:
        before, defined = self.state.copy(), set(self.defined)
        then = self.block(s.body)
        then_state, then_defined = self.state, self.defined
        self.state, self.defined = before.copy(), set(defined)
        orelse = self.block(s.orelse)
        else_state, else_defined = self.state, self.defined
        branches = [(then, then_state, then_defined), (orelse, else_state, else_defined)]
        if self.loops and self.loops[-1][1] != id(s):
            # a `break` that is not the loop's last statement: the loop's
            # tangents must be where the code after the loop expects them
            for stmts, state, _ in branches:
                if stmts and isinstance(stmts[-1], gast.Break):
                    self.state = state
                    leaving: list[gast.stmt] = []
                    for n in self.loops[-1][0]:
                        self.materialize(n, leaving)
                    stmts[-1:-1] = leaving
        flowing = [b for b in branches if not _leaves(b[0])]
        if len(flowing) == 1:
            self.state, self.defined = flowing[0][1], flowing[0][2]
        elif flowing:
            self.state = self.merge(branches)
            self.defined = then_defined | else_defined
        out.append(gast.If(test=s.test, body=then, orelse=orelse))

    def merge(self, branches: list[tuple[list[gast.stmt], State, set[str]]]) -> State:
        """Make both branches end with every tangent in the same place. A
        branch where a name is not defined at all takes the other's choice."""
        (_, a, _), (_, b, _) = branches
        while True:
            differ = sorted(n for n in set(a.of) | set(b.of) if a.of.get(n) != b.of.get(n))
            if not differ:
                break
            for n in differ:
                for stmts, state, defined in branches:
                    self.state = state
                    if n in defined:
                        self.materialize(n, stmts)
                    else:
                        state.of[n] = self.dot(n)
        merged = State({n: h for n, h in a.of.items() if h is not None})
        for n, items in a.items.items():
            if b.items.get(n) == items:
                merged.items[n] = list(items)
        return merged

    # --------------------------------------------------------------- loops
    def loop(self, s: gast.For | gast.While, out: list[gast.stmt]) -> None:
        carried = sorted((assigned(s.body) | self.written(s.body)) & self.varied)
        for n in carried:
            self.release(self.dot(n), out)
            if n in self.defined:
                self.materialize(n, out)
            else:
                self.state.of[n] = self.dot(n)
            self.state.items.pop(n, None)
            self.generation[self.dot(n)] = self.generation.get(self.dot(n), 0) + 1
        if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
            self.defined.add(s.target.id)
        final = id(s.body[-1]) if s.body and _is_break(s.body[-1]) else None
        self.loops.append((carried, final))
        body = self.block(s.body)
        self.loops.pop()
        tail: list[gast.stmt] = []
        for n in carried:
            self.materialize(n, tail)
        at = len(body) - 1 if body and _is_break(body[-1]) else len(body)
        body[at:at] = tail
        for n in carried:
            self.state.of[n] = self.dot(n)
            self.state.items.pop(n, None)
        s.body = body
        out.append(s)




def _written(stmts: list[gast.stmt], resolve: Callable[[gast.expr], Any]) -> set[str]:
    """Names changed in place anywhere in ``stmts``: arrays written into
    (``y[i] = v``), buffers added into (``add_at(y, i, v)``), lists pushed
    onto or popped from."""
    out = set()
    for s in stmts:
        for node in walk(s):
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
                base = node.targets[0].value
                if isinstance(base, gast.Name):
                    out.add(base.id)
            elif isinstance(node, gast.Assign) and pop_receiver(node.value) is not None:
                out.add(pop_receiver(node.value))  # type: ignore[arg-type]
            elif isinstance(node, gast.Expr) and method_call(node) is not None:
                out.add(method_call(node)[0])  # type: ignore[index]
            elif isinstance(node, gast.Expr) and isinstance(node.value, gast.Call) and node.value.args:
                buffer = node.value.args[0]
                if isinstance(buffer, gast.Name) and resolve(node.value.func) is add_at:
                    out.add(buffer.id)
    return out


def _is_break(s: gast.stmt) -> bool:
    return isinstance(s, gast.If) and len(s.body) == 1 and isinstance(s.body[0], gast.Break) and not s.orelse


def _leaves(stmts: list[gast.stmt]) -> bool:
    """Does this branch end by leaving (break, raise), so it never reaches the merge?"""
    return bool(stmts) and isinstance(stmts[-1], (gast.Break, gast.Raise))
