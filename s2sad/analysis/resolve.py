"""Decide what each core operation is: which rule differentiates it, and
which of the rule's parameters each operand binds to.

Names are resolved from the function's globals and closure, never from their
spelling: ``np.sin``, ``numpy.sin`` and ``from numpy import sin`` are one
primitive. A call with no rule is refused here, before any code runs.
"""

from __future__ import annotations

import builtins
import inspect
from dataclasses import dataclass, field
from typing import Any

import gast
import numpy as np

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..frontend.generators import collected, is_generator
from ..ir.core import const, walk
from ..rules.operators import REFLECTIVE
from ..rules.table import RULES, Rule
from .purity import impurity
from .scope import Scope, library_file, spelling


@dataclass
class Op:
    """One operation ``z = op(...)`` with its rule and bound operands.

    ``rule`` is None for operations that never carry a derivative (copies are
    ``kind == "copy"``). ``args`` maps each rule parameter to the operand
    expression (an atom, or a list/tuple of atoms for a sequence parameter).
    """

    kind: str  # "copy", "rule", "inactive", "const", "tuple", "dict", "user", "opaque"
    rule: Rule | None = None
    args: dict[str, gast.expr] = field(default_factory=dict)
    callee: Any = None  # the Python function a "user" call calls
    error: Exception | None = None  # why an "opaque" operation cannot carry a derivative
    complex_in: bool = False  # reads a complex constant or global, or makes a complex value from its operands
    real_out: bool = False  # gives a real result even from complex operands (abs, .real, np.angle)


class Resolver(Scope):
    """Resolves each core operation of one function (``pf``) to an :class:`Op`."""

    def op(self, value: gast.expr) -> Op:
        op = self._op(value)
        op.complex_in = self._makes_complex(value)
        op.real_out = self._real_valued(value)
        return op

    def _makes_complex(self, value: gast.expr) -> bool:
        """Does ``value`` bring in a complex number: a complex constant or
        global (``1j``, a complex array, ``np.complex128``), or a cast to a
        complex dtype (``x.astype(complex)``, ``dtype="complex128"``)?"""
        for node in walk(value):
            if isinstance(node, gast.Constant) and isinstance(node.value, complex):
                return True
            if isinstance(node, (gast.Name, gast.Attribute)) and self.is_global(node):
                ok, obj = self.value_of(node)
                if ok and _is_complex_object(obj):
                    return True
        if isinstance(value, gast.Call):
            dtypes = [k.value for k in value.keywords if k.arg == "dtype"]
            if isinstance(value.func, gast.Attribute) and value.func.attr == "astype" and value.args:
                dtypes.append(value.args[0])
            for d in dtypes:
                if isinstance(d, gast.Constant) and isinstance(d.value, str) and _is_complex_object(_dtype_or_none(d.value)):
                    return True
        return False

    def _real_valued(self, value: gast.expr) -> bool:
        if isinstance(value, gast.Attribute):
            return value.attr in ("real", "imag", "shape", "ndim", "size", "dtype")
        if isinstance(value, (gast.Compare, gast.BoolOp)):
            return True
        if isinstance(value, gast.Call):
            if isinstance(value.func, gast.Attribute) and not self.is_global(value.func):
                return False
            ok, obj = self.value_of(value.func)
            return ok and any(obj is f for f in _REAL_OF_COMPLEX())
        return False

    def _op(self, value: gast.expr) -> Op:
        if isinstance(value, gast.Name):
            return Op("inactive") if value.id not in self.locals else Op("copy", args={"x": value})
        if isinstance(value, gast.Constant) or self.is_global(value):
            return Op("const")
        if isinstance(value, gast.BinOp):
            return self._bind(self._operator(value.op, value), [value.left, value.right], [], value)
        if isinstance(value, gast.UnaryOp):
            if isinstance(value.op, gast.Not):
                return Op("inactive")
            return self._bind(self._operator(value.op, value), [value.operand], [], value)
        if isinstance(value, (gast.Compare, gast.BoolOp)):
            return Op("inactive")
        if isinstance(value, gast.Call):
            return self.call(value)
        if isinstance(value, gast.Attribute):
            rule = RULES.method(value.attr)
            if rule is None:
                return self._opaque(self._no_rule(value, f"the attribute .{value.attr}", method=True))
            return self._bind(rule, [value.value], [], value)
        if isinstance(value, gast.Subscript):
            if self.is_global(value.value):
                ok, obj = self.value_of(value.value)
                if ok and not _is_indexable_data(obj):
                    # np.r_[x, y], np.c_[...], np.s_[...]: indexing an object that computes
                    return self._opaque(NoRuleError(
                        f"s2sad has no derivative rule for indexing `{spelling(value.value)}` ({_describe(obj)})",
                        self.pf.location(value),
                        "build the array with np.concatenate, np.stack or np.column_stack instead",
                    ))
            return Op("rule", GETITEM, {"x": value.value, "idx": value.slice})
        if isinstance(value, (gast.Tuple, gast.List)):
            return Op("tuple", args={"items": value})
        if isinstance(value, gast.Dict):
            return Op("dict", args={"items": value})
        raise UnsupportedSyntaxError(f"s2sad cannot differentiate {type(value).__name__}", self.pf.location(value))

    def _operator(self, op: gast.AST, node: gast.AST) -> Rule:
        rule = RULES.operator(type(op))
        if rule is None:
            raise UnsupportedSyntaxError(
                f"s2sad has no rule for the operator {type(op).__name__}", self.pf.location(node)
            )
        return rule

    def call(self, call: gast.Call) -> Op:
        func = call.func
        if any(isinstance(a, gast.Starred) for a in call.args):
            # f(*xs): bound once xs's length is known (pipeline.expand_starred), which refuses it otherwise
            return Op("opaque", error=UnsupportedSyntaxError(
                "s2sad cannot tell which parameters this call's *-expression fills", self.pf.location(call),
                "pass a tuple, or the arguments one by one"))
        if isinstance(func, gast.Attribute) and not self.is_global(func):
            rule = RULES.method(func.attr)
            if rule is None:
                return self._opaque(self._no_rule(call, f"the method .{func.attr}()", method=True))
            return self._bind(rule, [func.value, *call.args], call.keywords, call)
        ok, obj = self.value_of(func)
        if not ok:
            raise UnsupportedSyntaxError(
                f"s2sad cannot tell which function `{spelling(func)}` is",
                self.pf.location(call),
                "call a function defined at module level or imported, by its name",
            )
        self.refuse_reflective(call)
        rule = RULES.lookup(obj)
        if rule is not None:
            return self._bind(rule, list(call.args), call.keywords, call)
        if _is_constant_method(obj) and isinstance(func, gast.Attribute):
            # W.dot(x) on a global array W: the method's rule, with W a constant operand
            rule = RULES.method(func.attr)
            if rule is not None:
                return self._bind(rule, [func.value, *call.args], call.keywords, call)
            return self._opaque(self._no_rule(call, f"the method .{func.attr}()", method=True))
        if RULES.is_inactive(obj):
            return Op("inactive", args={"call": call}, callee=obj)
        if inspect.isfunction(obj) or (inspect.ismethod(obj) and inspect.isfunction(obj.__func__)):
            library = library_file(obj)
            if library is not None:
                return self._opaque(NoRuleError(
                    f"s2sad has no derivative rule for `{spelling(func)}` ({_describe(obj)}), which is library "
                    f"code ({library}); s2sad differentiates only the user's own Python functions",
                    self.pf.location(call),
                    f"register a derivative with s2sad.register_adjoint({spelling(func)}, "
                    f"{{'{_first_parameter(obj)}': 'g * ...'}}), or write the computation in your own code",
                ))
            if is_generator(obj):
                obj = self._collected(obj, call)
            return Op("user", args={"call": call}, callee=obj)
        op = self._opaque(self._no_rule(call, f"`{spelling(func)}` ({_describe(obj)})"))
        op.callee = obj  # a class: its instance's kind is known (activity, analysis.statics)
        return op

    def _collected(self, gen: Any, call: gast.Call) -> Any:
        """A call to a generator function calls its list-returning twin
        (:mod:`frontend.generators`), bound to a fresh name of the closure."""
        twin = collected(gen, self.pf.location(call), impurity(gen))
        base = f"{gen.__name__}_items"
        fresh, k = base, 0
        while fresh in self.locals or (self.pf.resolve_root(fresh)[0] and self.pf.closure.get(fresh) is not twin):
            k += 1
            fresh = f"{base}_{k}"
        self.pf.closure[fresh] = twin
        call.func = gast.Name(id=fresh, ctx=gast.Load(), annotation=None, type_comment=None)
        return twin

    def refuse_reflective(self, call: gast.Call) -> None:
        """``eval``, ``exec``, ``locals()`` and their kind read or change the
        program's own text and names, which s2sad rewrites: refused wherever
        they appear, whatever their arguments."""
        ok, obj = self.value_of(call.func)
        if ok and any(obj is r for r in REFLECTIVE):
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate a call to {spelling(call.func)}(): it reads or runs the program's own "
                "text or names, which s2sad rewrites",
                self.pf.location(call),
                "write the computation out in the function itself",
            )

    def _opaque(self, error: NoRuleError) -> Op:
        """An operation with no rule: fine on constants (its result is one
        too), refused with ``error`` once a varied value flows into it."""
        return Op("opaque", error=error)

    def _bind(self, rule: Rule, args: list[gast.expr], keywords: list[gast.keyword], node: gast.AST) -> Op:
        bound: dict[str, gast.expr] = {}
        params = list(rule.params)
        npos = len(params) if rule.positional is None else rule.positional
        for i, a in enumerate(args):
            if rule.varargs and i >= len(params) - 1 and params[-1] not in bound:
                rest = args[i:]
                bound[params[-1]] = gast.Tuple(elts=list(rest), ctx=gast.Load())
                break
            if i >= npos:
                raise self._bad_args(rule, node, f"takes at most {npos} arguments")
            bound[params[i]] = a
        for kw in keywords:
            if kw.arg not in params:
                raise self._bad_args(rule, node, f"has no parameter {kw.arg!r} that s2sad knows")
            bound[kw.arg] = kw.value
        for p in params:
            if p not in bound:
                if p in rule.defaults:
                    bound[p] = const(rule.defaults[p])
                elif rule.varargs and p == params[-1]:
                    bound[p] = gast.Tuple(elts=[], ctx=gast.Load())
                else:
                    raise self._bad_args(rule, node, f"needs the argument {p!r}")
        for p in ("out",):
            if p in bound and not (isinstance(bound[p], gast.Constant) and bound[p].value is None):
                raise self._bad_args(rule, node, "writes into `out=`, which s2sad cannot differentiate")
        if "dtype" in bound and rule.differentiable and not _reads_result_dtype(rule):
            floating = self._float_dtype(bound["dtype"])
            if floating is False:  # an integer or boolean result: piecewise constant
                return Op("inactive", rule, bound)
            if floating is None:
                return self._opaque(UnsupportedSyntaxError(
                    f"s2sad cannot tell whether the `dtype=` of this call of {rule.name} is a float type: with an "
                    "integer or boolean one the result is piecewise constant",
                    self.pf.location(node),
                    "write the dtype out (`dtype=np.float64`), or leave it out",
                ))
        return Op("rule" if rule.differentiable else "inactive", rule, bound)

    def _float_dtype(self, node: gast.expr) -> bool | None:
        """Is ``node`` None or a floating dtype (``float``, ``np.float32``,
        ``"f8"``)? None when that is not known before the code runs."""
        if isinstance(node, gast.Constant):
            ok, value = True, node.value
        else:
            ok, value = self.value_of(node)
        if not ok:
            return None
        if value is None:
            return True
        try:
            return bool(np.issubdtype(np.dtype(value), np.floating))
        except TypeError:
            return None

    def _bad_args(self, rule: Rule, node: gast.AST, what: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(
            f"s2sad's rule for {rule.name} {what}", self.pf.location(node), "call it with the common arguments"
        )

    def _no_rule(self, node: gast.AST, what: str, method: bool = False) -> NoRuleError:
        attr = node.func.attr if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) else ""
        hint = (
            "s2sad follows a dict through d['k'], d['k'] = v, dict(d, k=v) and loops over d, d.keys(), "
            "d.values(), d.items(): write it with those"
            if attr in _DICT_METHODS
            else "s2sad knows the NumPy array methods listed in its README; call the NumPy function instead "
            "(a method of an object of your own class is followed when s2sad knows the class: an argument, "
            "an item of a list of objects of one class, or an object made in the function)"
            if method
            else "register a derivative with s2sad.register_adjoint(fn, {'x': 'g * ...'}), "
            "or declare it s2sad.register_nondifferentiable(fn) if its result carries no derivative"
        )
        return NoRuleError(f"s2sad has no derivative rule for {what}", self.pf.location(node), hint)


_DICT_METHODS = frozenset({"get", "pop", "popitem", "update", "setdefault", "clear", "fromkeys", "values", "items"})

GETITEM = RULES.add(
    "._getitem", "x, idx", {"x": "getitem_adjoint(g, x, idx)"}, {"x": "x_dot[idx]"}, kind="unknown", name="indexing"
)


# a loop's item where the kinds cannot tell a dict (its keys) from a sequence: analysis/pytrees
LOOP_ITEM = RULES.add(
    "._loopitem", "x, idx", {"x": "loop_item_adjoint(g, x, idx)"}, {"x": "loop_item_tangent(x_dot, x, idx)"},
    kind="unknown", name="a loop's item",
)


def _dtype_or_none(text: str) -> Any:
    try:
        return np.dtype(text)
    except TypeError:
        return None


def _is_complex_object(obj: Any) -> bool:
    """A complex number, array, type or dtype."""
    if isinstance(obj, (complex, np.complexfloating)):
        return True
    if isinstance(obj, np.ndarray):
        return np.iscomplexobj(obj)
    if isinstance(obj, type):
        return issubclass(obj, (complex, np.complexfloating))
    if isinstance(obj, np.dtype):
        return obj.kind == "c"
    return False


def _REAL_OF_COMPLEX() -> tuple[Any, ...]:
    return (builtins.abs, np.abs, np.absolute, np.real, np.imag, np.angle, np.iscomplexobj, np.isrealobj, np.shape,
            np.ndim, np.size)


def _is_indexable_data(obj: Any) -> bool:
    """A global one may index as data (an array, a list, a number...) rather
    than an object whose ``[]`` computes (``np.r_``, ``np.c_``, ``np.s_``)."""
    return isinstance(obj, (np.ndarray, np.generic, list, tuple, dict, str, bytes, int, float, range))


def _is_constant_method(obj: Any) -> bool:
    """A method bound to a global array or number: its result is a constant,
    since globals are never differentiated."""
    owner = getattr(obj, "__self__", None)
    return isinstance(owner, (np.ndarray, np.generic, float, int))


def _first_parameter(fn: Any) -> str:
    try:
        return next(iter(inspect.signature(fn).parameters))
    except (StopIteration, TypeError, ValueError):
        return "x"


def _describe(obj: Any) -> str:
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return f"{mod}.{name}" if mod else str(name)


# runtime helpers whose adjoint or tangent follows the result's dtype (zero for an integer one)
_CASTS = frozenset({"cast_adjoint", "cast_tangent", "fill_adjoint"})


def _reads_result_dtype(rule: Rule) -> bool:
    """Do the rule's templates give an integer result a zero derivative
    themselves (``x.astype(t)``, ``np.linspace(..., dtype=t)``)?"""
    templates = [*rule.reverse.values(), *rule.forward.values()]
    return any(isinstance(n, gast.Name) and n.id in _CASTS for t in templates for n in walk(t))
