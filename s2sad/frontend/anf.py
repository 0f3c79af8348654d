"""ANF: every statement becomes ``name = op(atoms)``; the normalizer's one walk.

:class:`Normalizer` walks the user's function once, statement by statement,
and emits core statements. The jobs of that walk live in their own modules
and are mixed in here: :mod:`~s2sad.frontend.desugar` (assignments,
comparisons, conditionals, dicts, comprehensions),
:mod:`~s2sad.frontend.iteration` (``for`` over sequences),
:mod:`~s2sad.frontend.lift` (nested functions, lambdas, partials) and
:mod:`~s2sad.frontend.exits` (break/continue/return flags). They share one
namer, so the fresh names come out in source order (``t1``, ``t2`` ...).
This module holds the walk itself and what makes it ANF: every operand is
evaluated into an atom first. The entry points (fence first, then this walk)
are :func:`s2sad.frontend.normalize.normalize` and ``normalize_lifting``.

Input: any ``FunctionDef`` :mod:`s2sad.frontend.parse` gives that
:func:`s2sad.frontend.fence.check` accepts. What the fence cannot judge
before the walk (a recursive or capturing nested function, a loop over
``zip`` with ``strict=``, ...) is refused here, with the user's line and
the fence's words; so are, as a backstop, the forms the fence refuses.

Output guarantees (the *core*):

* every statement is one of
  - ``name = op`` where ``op`` is an *atom*, ``a <binop> b``, ``<unaryop> a``,
    ``a <cmp> b``, ``f(atoms..., kw=atom...)``, ``a.attr``,
    ``a.method(atoms...)``, ``a[index]``, ``(atoms...)`` or ``[atoms...]``;
  - ``a[index] = atom`` (a write into a local array);
  - ``if atom: ... else: ...``;
  - ``for name in atom: ...`` where the atom is bound to a ``range``;
  - ``while atom: ...`` whose condition name is recomputed at the end of the body;
  - ``break`` (only as ``if flag: break`` at the end of a loop body);
  - ``atom.method(atoms...)`` as an expression statement (e.g. ``lst.append(v)``);
  - ``raise ...`` (kept as written);
  - one ``return atom``, the last statement of the function.
* an atom is a local name, a constant, or a reference to a global
  (``np``, ``np.pi``, ``W``); an index holds atoms, slices of atoms, ``None``
  and ``...``.
* list and tuple literals passed to a call stay inline (``np.stack([a, b])``).
* ``a += b`` is ``a = a + b``; ``a < b < c`` is ``(a < b) and (b < c)``;
  ``and``/``or``/``a if c else b`` become ``if`` statements; tuple targets are
  unpacked one name at a time; ``for x in X`` iterates over ``range(len(X))``;
  ``for i in reversed(r)`` over a range iterates over ``r[::-1]`` (another
  range), over any other sequence by index from ``len(X) - 1`` down.
* ``break``, ``continue`` and early ``return`` become flags that guard the rest
  of the body, so control only leaves a loop at the end of its body.

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(x, y):\\n    return np.log(x) + x * y - np.sin(y)").body[0]
>>> print(unparse(Normalizer(fn, Namer.for_function(fn)).run()).strip())
def f(x, y):
    t1 = np.log(x)
    t2 = x * y
    t3 = t1 + t2
    t4 = np.sin(y)
    y_1 = t3 - t4
    return y_1
"""

from __future__ import annotations

import copy

import gast

from ..errors import UnsupportedSyntaxError
from ..ir.core import KeyRead, assign, clone, const, local_names, locate, name
from ..ir.naming import Namer
from .desugar import Desugar
from .exits import Exits, Loop, has_early_return
from .fence import EXPR_WHAT, expr_hint, expression_refusal, lifted_names, refusal, statement_refusal
from .iteration import Iteration
from .lift import Lifting


class Normalizer(Desugar, Iteration, Lifting, Exits):
    """One walk over the user's tree that emits core statements."""

    def __init__(self, fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>"):
        self.fn = fn
        self.namer = namer
        self.filename = filename
        self.locals = local_names(fn)
        self.ret_flag: str | None = None
        self.ret_value: str | None = None
        self.has_early_return = has_early_return(fn.body)
        self.loops: list[Loop] = []
        # nested functions and lambdas, lifted out: name -> (def, names of the
        # enclosing variables it reads, passed as extra keyword arguments)
        self.lifted: dict[str, tuple[gast.FunctionDef, list[str]]] = {}
        # lifted name -> (parameter, name of the value its default had when the
        # def ran), for defaults that read an enclosing variable
        self.lifted_defaults: dict[str, list[tuple[str, str]]] = {}
        self.nested = lifted_names(fn)
        self.updates: list[tuple[int, int, str, str]] = []  # (line, col, name, op) of each `x op= v`
        self.locals -= lifted_names(fn)

    def refuse(self, node: gast.AST, what: str, hint: str) -> UnsupportedSyntaxError:
        return refusal(node, what, hint, self.filename, self.fn)

    def run(self) -> gast.FunctionDef:
        out = copy.copy(self.fn)
        body: list[gast.stmt] = []
        if self.has_early_return:
            self.ret_flag = self.namer.claim("returned")
            self.ret_value = self.namer.claim("result")
            body.append(gast.copy_location(assign(self.ret_flag, const(False)), self.fn))
            body.append(gast.copy_location(assign(self.ret_value, const(None)), self.fn))
        self.block(self.fn.body, body, top=True)
        if self.has_early_return:
            body.append(gast.copy_location(gast.Return(value=name(self.ret_value)), self.fn))
        elif not body or not isinstance(body[-1], gast.Return):
            body.append(gast.copy_location(gast.Return(value=const(None)), self.fn))
        out.body = body
        return out

    def stmt(self, s: gast.stmt, out: list[gast.stmt]) -> None:
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.refuse(s, *statement_refusal(s))
        n0 = len(out)
        method(s, out)
        for new in out[n0:]:
            locate(new, s)

    def stmt_Pass(self, s: gast.Pass, out: list[gast.stmt]) -> None:
        pass

    def stmt_Expr(self, s: gast.Expr, out: list[gast.stmt]) -> None:
        if isinstance(s.value, gast.Constant):
            return  # docstring or bare constant
        if isinstance(s.value, gast.Call):
            out.append(gast.Expr(value=gast.copy_location(self.call(s.value, out), s.value)))
            return
        if type(s.value).__name__ in EXPR_WHAT:
            raise self.refuse(s.value, EXPR_WHAT[type(s.value).__name__], expr_hint(s.value))
        raise self.refuse(s, "an expression statement that is not a call", "remove it or assign its value to a name")

    def stmt_Assert(self, s: gast.Assert, out: list[gast.stmt]) -> None:
        pass  # a precondition does not change any derivative

    def stmt_Raise(self, s: gast.Raise, out: list[gast.stmt]) -> None:
        out.append(s)

    def stmt_If(self, s: gast.If, out: list[gast.stmt]) -> None:
        test = self.test(s.test, out)
        body: list[gast.stmt] = []
        orelse: list[gast.stmt] = []
        self.block(s.body, body)
        self.block(s.orelse, orelse)
        out.append(gast.If(test=test, body=body, orelse=orelse))

    def global_callee(self, node: gast.expr) -> str | None:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id not in self.locals:
            return node.func.id
        return None

    def atom(self, e: gast.expr, out: list[gast.stmt], into: str | None = None) -> gast.expr:
        """Evaluate ``e`` into an atom, emitting statements into ``out``."""
        if isinstance(e, gast.Name):
            return name(e.id)
        if isinstance(e, gast.Constant):
            return const(e.value)
        if self.global_chain(e):
            return clone(e)
        value = self.expr(e, out)
        if isinstance(value, gast.Constant) and into is None:
            return value  # a folded literal such as -0.2
        t = self.namer.claim(into) if into is not None else self.namer.temp()
        out.append(gast.copy_location(assign(t, value), e))
        return name(t)

    def global_chain(self, e: gast.expr) -> bool:
        while isinstance(e, gast.Attribute):
            e = e.value
        return isinstance(e, gast.Name) and e.id not in self.locals

    def expr(self, e: gast.expr, out: list[gast.stmt], into: str | None = None) -> gast.expr:
        """Evaluate ``e`` into a single core operation whose operands are atoms."""
        method = getattr(self, "expr_" + type(e).__name__, None)
        if isinstance(e, (gast.Name, gast.Constant)) or (isinstance(e, gast.Attribute) and self.global_chain(e)):
            return self.atom(e, out)
        if method is None:
            raise self.refuse(e, *expression_refusal(e))
        return gast.copy_location(method(e, out, into), e)

    def expr_BinOp(self, e: gast.BinOp, out, into=None):
        return gast.BinOp(left=self.atom(e.left, out), op=e.op, right=self.atom(e.right, out))

    def expr_UnaryOp(self, e: gast.UnaryOp, out, into=None):
        if isinstance(e.op, gast.UAdd):
            return self.atom(e.operand, out)
        operand = self.atom(e.operand, out)
        if isinstance(e.op, gast.USub) and isinstance(operand, gast.Constant) and type(operand.value) in (int, float):
            return const(-operand.value)  # a negative literal
        return gast.UnaryOp(op=e.op, operand=operand)

    def test(self, e: gast.expr, out: list[gast.stmt]) -> gast.expr:
        return self.atom(e, out)

    def call(self, e: gast.Call, out: list[gast.stmt]) -> gast.Call:
        for k in e.keywords:
            if k.arg is None:  # (a function's own **kw passed on is expanded by frontend.varargs)
                raise self.refuse(
                    k.value,
                    "a call with **d (a dict of keyword arguments)",
                    "pass the keyword arguments one by one (f(a=..., b=...))",
                )
        func = e.func
        if isinstance(func, gast.Attribute) and not self.global_chain(func):
            func = gast.Attribute(value=self.atom(func.value, out), attr=func.attr, ctx=gast.Load())
        elif isinstance(func, gast.Name) and func.id not in self.locals:
            func = name(func.id)
        elif not self.global_chain(func):
            func = self.atom(func, out)
        args = [  # f(*xs): expanded once the length of xs is known (pipeline.expand_starred)
            gast.copy_location(gast.Starred(value=self.atom(a.value, out), ctx=gast.Load()), a)
            if isinstance(a, gast.Starred)
            else self._arg(a, out)
            for a in e.args
        ]
        kws = [gast.keyword(arg=k.arg, value=self._arg(k.value, out)) for k in e.keywords]
        if isinstance(func, gast.Name) and func.id in self.lifted:
            kws += [gast.keyword(arg=p, value=name(v)) for p, v in self.extra_keywords(func.id, e)]
        return gast.Call(func=func, args=args, keywords=kws)

    def _arg(self, a: gast.expr, out: list[gast.stmt]) -> gast.expr:
        """A call argument: an atom, or one level of list/tuple of atoms (a
        nested list becomes a named list, so every item is an atom). A lambda
        is lifted to a name, like ``f = lambda ...``; a lifted function passed
        as a value must not read the enclosing function's variables (the
        callee would call it without them)."""
        if isinstance(a, (gast.List, gast.Tuple)):
            return type(a)(elts=[self.atom(x, out) for x in a.elts], ctx=gast.Load())
        if isinstance(a, gast.Lambda):
            lifted = self.lift_lambda(a, out)
            self.refuse_capturing(lifted.id, a, "a lambda passed as an argument")
            return lifted
        if isinstance(a, gast.Name) and a.id in self.lifted:
            self.refuse_capturing(a.id, a, f"the nested function {a.id} passed as an argument")
        return self.atom(a, out)

    def expr_Attribute(self, e: gast.Attribute, out, into=None):
        return gast.Attribute(value=self.atom(e.value, out), attr=e.attr, ctx=gast.Load())

    def expr_Subscript(self, e: gast.Subscript, out, into=None):
        ctx = e.ctx if isinstance(e.ctx, KeyRead) else gast.Load()
        return gast.Subscript(value=self.atom(e.value, out), slice=self.index(e.slice, out), ctx=ctx)

    def index(self, idx: gast.expr, out: list[gast.stmt]) -> gast.expr:
        if isinstance(idx, gast.Slice):
            parts = [None if p is None else self.atom(p, out) for p in (idx.lower, idx.upper, idx.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(idx, gast.Tuple):
            return gast.Tuple(elts=[self.index(x, out) for x in idx.elts], ctx=gast.Load())
        return self.atom(idx, out)

    def expr_Tuple(self, e: gast.Tuple, out, into=None):
        return gast.Tuple(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())

    def expr_List(self, e: gast.List, out, into=None):
        return gast.List(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())
