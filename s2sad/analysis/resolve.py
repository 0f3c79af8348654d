"""Decide what each core operation is: which rule differentiates it, and
which of the rule's parameters each operand binds to.

Names are resolved from the function's globals and closure, never from their
spelling: ``np.sin``, ``numpy.sin`` and ``from numpy import sin`` are one
primitive. A call with no rule is refused here, before any code runs.
"""

from __future__ import annotations

import functools
import inspect
import os
import site
import sysconfig
import types
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import Location, NoRuleError, UnsupportedSyntaxError
from ..frontend.generators import collected, is_generator
from ..frontend.parse import ParsedFunction
from ..ir.kinds import COMPLEX
from ..ir.normalize import const
from ..rules.table import RULES, Rule

# modules whose functions are not rebound: their attributes need no guard (ParsedFunction.guards)
_FIXED_MODULES = frozenset({"numpy", "math", "scipy", "builtins", "s2sad"})


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


class Resolver:
    def __init__(self, pf: ParsedFunction, locals_: set[str]):
        self.pf = pf
        self.locals = locals_

    def value_of(self, node: gast.expr) -> tuple[bool, Any]:
        """The object a global reference (``np``, ``np.linalg.norm``) denotes."""
        if isinstance(node, gast.Name):
            if node.id in self.locals:
                return False, None
            return self.pf.resolve_root(node.id)
        if isinstance(node, gast.Attribute):
            ok, base = self.value_of(node.value)
            if ok and hasattr(base, node.attr):
                value = getattr(base, node.attr)
                if isinstance(base, types.ModuleType) and base.__name__.partition(".")[0] not in _FIXED_MODULES \
                        and callable(value):
                    self.pf.guards.append((vars(base), node.attr, value))  # `mylib.act = np.sin` makes it stale
                return True, value
        return False, None

    def is_global(self, node: gast.expr) -> bool:
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.locals

    def op(self, value: gast.expr) -> Op:
        op = self._op(value)
        op.complex_in = self._makes_complex(value)
        op.real_out = self._real_valued(value)
        return op

    def _makes_complex(self, value: gast.expr) -> bool:
        """Does ``value`` bring in a complex number: a complex constant or
        global (``1j``, a complex array, ``np.complex128``), or a cast to a
        complex dtype (``x.astype(complex)``, ``dtype="complex128"``)?"""
        for node in gast.walk(value):
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
                        f"s2sad has no derivative rule for indexing `{_text(value.value)}` ({_describe(obj)})",
                        self.pf.location(value),
                        "build the array with np.concatenate, np.stack or np.column_stack instead",
                    ))
            return Op("rule", _GETITEM, {"x": value.value, "idx": value.slice})
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
                f"s2sad cannot tell which function `{_text(func)}` is",
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
                    f"s2sad has no derivative rule for `{_text(func)}` ({_describe(obj)}), which is library "
                    f"code ({library}); s2sad differentiates only the user's own Python functions",
                    self.pf.location(call),
                    f"register a derivative with s2sad.register_adjoint({_text(func)}, "
                    f"{{'{_first_parameter(obj)}': 'g * ...'}}), or write the computation in your own code",
                ))
            if is_generator(obj):
                obj = self._collected(obj, call)
            return Op("user", args={"call": call}, callee=obj)
        op = self._opaque(self._no_rule(call, f"`{_text(func)}` ({_describe(obj)})"))
        op.callee = obj  # a class: its instance's kind is known (activity, analysis.statics)
        return op

    def _collected(self, gen: Any, call: gast.Call) -> Any:
        """A call to a generator function calls its list-returning twin
        (:mod:`frontend.generators`), bound to a fresh name of the closure."""
        twin = collected(gen, self.pf.location(call))
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
        from ..rules.operators import REFLECTIVE

        ok, obj = self.value_of(call.func)
        if ok and any(obj is r for r in REFLECTIVE):
            raise UnsupportedSyntaxError(
                f"s2sad cannot differentiate a call to {_text(call.func)}(): it reads or runs the program's own "
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
        for i, a in enumerate(args):
            if rule.varargs and i >= len(params) - 1 and params[-1] not in bound:
                rest = args[i:]
                bound[params[-1]] = gast.Tuple(elts=list(rest), ctx=gast.Load())
                break
            if i >= len(params):
                raise self._bad_args(rule, node, f"takes at most {len(params)} arguments")
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
        return Op("rule" if rule.differentiable else "inactive", rule, bound)

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

_GETITEM = RULES.add(
    "._getitem", "x, idx", {"x": "getitem_adjoint(g, x, idx)"}, {"x": "x_dot[idx]"}, kind="unknown", name="indexing"
)


# a loop's item where the kinds cannot tell a dict (its keys) from a sequence: analysis/pytrees
_LOOP_ITEM = RULES.add(
    "._loopitem", "x, idx", {"x": "loop_item_adjoint(g, x, idx)"}, {"x": "loop_item_tangent(x_dot, x, idx)"},
    kind="unknown", name="a loop's item",
)


def bind_call(callee: Any, call: gast.Call, where: Any) -> dict[str, gast.expr]:
    """Bind a call's operand nodes to the callee's parameter names."""
    import inspect

    from ..errors import UnsupportedSyntaxError
    from ..frontend.varargs import flatten

    sig = inspect.signature(callee)
    if any(isinstance(a, gast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise UnsupportedSyntaxError(  # pipeline.expand_starred expands *xs of known length first
            f"s2sad cannot tell which parameters of {callee.__name__} this call's *xs or **d fill",
            where, "pass a tuple (its length is then known) or the arguments one by one",
        )
    try:
        bound = sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        raise UnsupportedSyntaxError(f"bad call of {callee.__name__}: {exc}", where, "fix the call") from None
    return flatten(callee, bound.arguments)  # *args as args_0, args_1...; **kw by key (frontend.varargs)


def refuse_varied_opaque(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    varied: set[str],
    filename: str,
    effects: bool = True,
    kinds: dict[str, Any] | None = None,
) -> None:
    """Raise the stored error of the first operation with no rule that a
    varied value reaches; refuse calls made for an effect on a varied value
    (``lst.extend(xs)``, ``np.copyto(y, x)``) except ``lst.append(v)``; and
    refuse a complex value meeting a varied one (the rules are real-only)."""
    from .activity import statements

    complex_names = {n for n, k in (kinds or {}).items() if k == COMPLEX}
    changed = True
    while changed:  # names that may hold a complex value
        changed = False
        for s in statements(fn.body):
            op = ops.get(id(s))
            if op is None or op.real_out or not isinstance(s, gast.Assign):
                continue
            tgt = s.targets[0]
            target = tgt.id if isinstance(tgt, gast.Name) else tgt.value.id if isinstance(tgt, gast.Subscript) else None
            if target is None or target in complex_names:
                continue
            if op.complex_in or _names_of(s.value) & complex_names:
                complex_names.add(target)
                changed = True
    for s in statements(fn.body):
        op = ops.get(id(s))
        if (op is not None and isinstance(s, gast.Assign) and _names_of(s.value) & varied
                and (op.complex_in or _names_of(s.value) & complex_names)):
            raise NoRuleError(
                "s2sad cannot differentiate complex arithmetic: a complex value meets a value that carries a "
                "derivative here (s2sad's rules are for real numbers)",
                Location(filename, s.lineno, s.col_offset or 0),
                "split the computation into real and imaginary parts with real arrays",
            )
    for s in statements(fn.body):
        op = ops.get(id(s))
        if op is not None and op.kind == "opaque" and {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)} & varied:
            assert op.error is not None
            raise op.error
        if effects and op is not None and op.kind == "rule" and op.rule is not None:
            for p, arg in op.args.items():
                if p in op.rule.reverse or p not in _STRUCTURAL_PARAMS:
                    continue
                if {n.id for n in gast.walk(arg) if isinstance(n, gast.Name)} & varied:
                    raise UnsupportedSyntaxError(
                        f"s2sad cannot differentiate with respect to the argument `{p}` of {op.rule.name}, "
                        "which depends on a value that carries a derivative",
                        Location(filename, s.lineno, s.col_offset or 0),
                        f"pass a constant `{p}`"
                        + (" (the subscripts as a string)" if op.rule.name.endswith("einsum") else ""),
                    )
        if effects and isinstance(s, gast.Expr) and _effect_on_varied(s, varied):
            raise UnsupportedSyntaxError(
                "s2sad cannot differentiate a call made for its effect on a value that carries a derivative",
                Location(filename, s.lineno, s.col_offset or 0),
                "build a new value instead (lists: only `append` is followed)",
            )


def _names_of(node: gast.AST) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


# parameters that pick the formula (einsum's subscripts, norm's order, var's
# ddof) and that a value carrying a derivative may reach while the rule
# would silently give it none (others, like copysign's sign, are piecewise
# constant; axes and shapes cannot be floats)
_STRUCTURAL_PARAMS = frozenset({"subscripts", "ord", "ddof"})


def _effect_on_varied(s: gast.Expr, varied: set[str]) -> bool:
    call = s.value
    if not isinstance(call, gast.Call):
        return False
    f = call.func
    if isinstance(f, gast.Attribute) and f.attr == "append" and isinstance(f.value, gast.Name) and len(call.args) == 1:
        return False  # followed by the transforms
    if isinstance(f, gast.Name) and f.id == "print":
        return False
    return bool({n.id for n in gast.walk(call) if isinstance(n, gast.Name)} & varied)


def _is_user_function(obj: Any) -> bool:
    """A Python function s2sad reads and differentiates itself: not one of
    the standard library's or an installed library's own (those need a rule:
    s2sad does not follow their internals). Decided by where the code lives,
    so a user's module named like a standard one (``test.py``) is still read."""
    fn = obj.__func__ if inspect.ismethod(obj) else obj
    if not inspect.isfunction(fn):
        return False
    root = (getattr(fn, "__module__", None) or "").split(".")[0]
    return root not in _LIBRARIES and library_file(fn) is None


_LIBRARIES = frozenset({"numpy", "scipy", "s2sad", "gast", "astor", "pandas", "sklearn", "torch", "jax"})


def _dtype_or_none(text: str) -> Any:
    import numpy as np

    try:
        return np.dtype(text)
    except TypeError:
        return None


def _is_complex_object(obj: Any) -> bool:
    """A complex number, array, type or dtype."""
    import numpy as np

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
    import builtins

    import numpy as np

    return (builtins.abs, np.abs, np.absolute, np.real, np.imag, np.angle, np.iscomplexobj, np.isrealobj, np.shape,
            np.ndim, np.size)


def _is_indexable_data(obj: Any) -> bool:
    """A global one may index as data (an array, a list, a number...) rather
    than an object whose ``[]`` computes (``np.r_``, ``np.c_``, ``np.s_``)."""
    import numpy as np

    return isinstance(obj, (np.ndarray, np.generic, list, tuple, dict, str, bytes, int, float, range))


def _is_constant_method(obj: Any) -> bool:
    """A method bound to a global array or number: its result is a constant,
    since globals are never differentiated."""
    import numpy as np

    owner = getattr(obj, "__self__", None)
    return isinstance(owner, (np.ndarray, np.generic, float, int))


def _first_parameter(fn: Any) -> str:
    try:
        return next(iter(inspect.signature(fn).parameters))
    except (StopIteration, TypeError, ValueError):
        return "x"


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    try:
        dirs |= set(site.getsitepackages()) | {site.getusersitepackages()}
    except AttributeError:  # a virtualenv's old site module
        pass
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs if d)


def library_file(fn: Any) -> str | None:
    """The file of ``fn`` when it is library code (the standard library or an
    installed package, not the user's own files), else None. s2sad does not
    follow calls into library code: the constructs found there (try, with,
    *args, C calls) are the library's, not the user's, to rewrite."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    filename = getattr(code, "co_filename", "")
    if not filename or filename.startswith("<"):
        return None
    return filename if os.path.realpath(filename).startswith(_library_dirs()) else None


def _text(node: gast.expr) -> str:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f"{_text(node.value)}.{node.attr}"
    return type(node).__name__


def _describe(obj: Any) -> str:
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return f"{mod}.{name}" if mod else str(name)
