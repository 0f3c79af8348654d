"""The float variant of a generated function: the same code calling ``math``
where NumPy's ufuncs would run on Python floats (ten times slower there).

Input: a generated ``FunctionDef`` (as :mod:`s2sad.codegen.finish` renders
it) and the names injected into it. Output: the variant's ``FunctionDef``, or
None when the code does something the variant cannot prove the same; or, for
one call signature of ``grad``/``value_and_grad`` (:class:`EntrySpec`), its
float entry (:func:`float_entry`): the same rewritten code with the call
path's work inlined (the argument types tested, the validity check, the seed
folded to 1.0, the result returned in the form the call returns it).

The variant is only ever called with arguments that are all exactly
``float``, ``int`` or ``bool`` (the call path checks their types,
:mod:`s2sad.api`). It is built only when every value of the code then is one
too: its names are its parameters and locals, its calls are ``math``
functions, NumPy functions with an exact ``math`` counterpart (rewritten to
it), a few builtins and its own tapes (``tape.append``, ``tape.pop``), and a
power's exponent is a number. Python floats compute what NumPy's float64
scalars compute (IEEE arithmetic; ``math`` and NumPy call the same libm,
or NumPy its own SIMD code, within the few ulp it documents), except where NumPy would warn: ``math`` raises (``log(-1.0)``,
``exp(1000.0)``), Python raises on a division by zero, and a Python float
overflows to ``inf`` silently. So the variant falls back to the NumPy code
when anything raises or a result is not finite, and the call's result,
exception and warnings are NumPy's. Its code has no side effects (the calls
above are pure), so running the NumPy code after it changes nothing.

>>> import gast, math, numpy as np
>>> fn = gast.parse("def df(x, y_bar=1.0):\\n    t1 = np.sin(x)\\n    x_bar = y_bar * np.cos(x)\\n"
...                 "    return t1, x_bar").body[0]
>>> from s2sad.codegen.emit import render_function
>>> print(render_function(float_variant(fn, {"np": np, "math": math}, {}, "df_numpy"), {}), end="")
def df(x, y_bar=1.0):
    try:
        t1 = math.sin(x)
        x_bar = y_bar * math.cos(x)
        if (t1 + x_bar) * 0.0 == 0.0:
            return t1, x_bar
    except Exception:
        pass
    return df_numpy(x, y_bar)
"""

from __future__ import annotations

import dataclasses
import math
import types
from typing import Any

import gast
import numpy as np

# NumPy functions whose ``math`` namesake computes the same on a float, or
# raises where NumPy returns nan or inf with a warning: the same bits where
# NumPy calls the C library; within the 4 ulp NumPy documents for its own SIMD
# loops where it has them (tanh; most of these on CPUs with AVX-512)
MATH_OF_NUMPY = {
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
    "exp": "exp", "expm1": "expm1", "log": "log", "log10": "log10", "log2": "log2", "log1p": "log1p",
    "sqrt": "sqrt", "fabs": "fabs", "absolute": "fabs",
}  # fmt: skip
# builtins whose results on numbers are numbers (or ranges and iterators of ints)
BUILTINS = frozenset({"abs", "min", "max", "float", "int", "bool", "range", "reversed", "len"})
_STATEMENTS = (gast.Assign, gast.AugAssign, gast.If, gast.While, gast.For, gast.Expr, gast.Return,
               gast.Break, gast.Continue, gast.Pass)  # fmt: skip
_EXPRESSIONS = (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.BoolOp, gast.Compare, gast.IfExp,
                gast.Tuple, gast.List, gast.Call, gast.Attribute)  # fmt: skip
_CONTEXTS = (gast.Load, gast.Store, gast.operator, gast.unaryop, gast.boolop, gast.cmpop, gast.keyword)


class _Refused(Exception):
    """The code does something the float variant does not prove the same."""


def float_variant(
    gen: gast.FunctionDef, injected: dict[str, Any], user_globals: dict[str, Any], fallback: str
) -> gast.FunctionDef | None:
    """The float variant of ``gen``, falling back to ``fallback(params...)``; None when not proven."""
    modules = {k: v for k, v in injected.items() if v is np or v is math}
    math_name = next((k for k, v in modules.items() if v is math), None)
    if math_name is None or not gen.body or not isinstance(gen.body[-1], gast.Return):
        return None
    variant = _copy(gen)
    try:
        _Rewrite(variant, modules, math_name, user_globals).run()
        check = _finite_check(variant.body[-1])
    except _Refused:
        return None
    # the NumPy code is called with the arguments as they came: a parameter the code rebinds
    # (a loop's `x = ...`, an adjoint `x_bar = ...`) is kept under another name first
    stored = {n.id for n in gast.walk(variant) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    taken = stored | {n.id for n in gast.walk(variant) if isinstance(n, gast.Name)} | set(injected) | {fallback}
    kept: dict[str, str] = {}
    for a in variant.args.posonlyargs + variant.args.args + variant.args.kwonlyargs:
        if a.id in stored:
            kept[a.id] = a.id + "_arg"
            while kept[a.id] in taken:
                kept[a.id] += "_"
            taken.add(kept[a.id])

    def passed(a: gast.Name) -> gast.Name:
        return gast.Name(id=kept.get(a.id, a.id), ctx=gast.Load(), annotation=None, type_comment=None)

    call = gast.Call(
        func=gast.Name(id=fallback, ctx=gast.Load(), annotation=None, type_comment=None),
        args=[passed(a) for a in variant.args.posonlyargs + variant.args.args],
        keywords=[gast.keyword(arg=a.id, value=passed(a)) for a in variant.args.kwonlyargs],
    )
    saves: list[gast.stmt] = [
        gast.Assign(targets=[gast.Name(id=new, ctx=gast.Store(), annotation=None, type_comment=None)],
                    value=gast.Name(id=old, ctx=gast.Load(), annotation=None, type_comment=None), type_comment=None)
        for old, new in kept.items()
    ]  # fmt: skip
    ret = variant.body[-1]
    if check is not None:
        variant.body[-1] = gast.If(test=check, body=[ret], orelse=[])
    handler = gast.ExceptHandler(type=gast.Name(id="Exception", ctx=gast.Load(), annotation=None,
                                                type_comment=None), name=None, body=[gast.Pass()])  # fmt: skip
    guarded = gast.Try(body=variant.body, handlers=[handler], orelse=[], finalbody=[])
    variant.body = [*saves, guarded, gast.Return(value=call)]
    return variant


def _copy(node: Any) -> Any:
    """A copy of a gast tree (five times faster than :func:`s2sad.codegen.emit.copy_tree`'s two conversions)."""
    if isinstance(node, list):
        return [_copy(n) for n in node]
    if isinstance(node, gast.AST):
        new = node.__class__.__new__(node.__class__)
        for f in node._fields:
            setattr(new, f, _copy(getattr(node, f)))
        for a in node._attributes:
            if hasattr(node, a):
                setattr(new, a, getattr(node, a))
        return new
    return node


def _finite_check(ret: gast.Return) -> gast.expr | None:
    """``(a + b + ...) * 0.0 == 0.0`` over the names the function returns:
    true when all are finite (a sum that overflows sends a finite result to
    the NumPy code too, which is only slower), false on inf and nan, and a
    TypeError (so the NumPy code) for anything but a number."""
    leaves: list[str] = []

    def collect(e: gast.expr) -> None:
        if isinstance(e, gast.Tuple):
            for item in e.elts:
                collect(item)
        elif isinstance(e, gast.Name):
            leaves.append(e.id)
        elif not (isinstance(e, gast.Constant) and (e.value is None or type(e.value) in (int, float))):
            raise _Refused

    collect(ret.value)
    if not leaves:
        return None
    total: gast.expr = gast.Name(id=leaves[0], ctx=gast.Load(), annotation=None, type_comment=None)
    for n in list(dict.fromkeys(leaves))[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                                                        type_comment=None))  # fmt: skip
    zero = gast.BinOp(left=total, op=gast.Mult(), right=gast.Constant(value=0.0, kind=None))
    return gast.Compare(left=zero, ops=[gast.Eq()], comparators=[gast.Constant(value=0.0, kind=None)])


class _Rewrite:
    """Check every statement and expression of the variant; rewrite NumPy calls to ``math``."""

    def __init__(self, fn: gast.FunctionDef, modules: dict[str, Any], math_name: str, user_globals: dict) -> None:
        self.fn, self.modules, self.math_name, self.user_globals = fn, modules, math_name, user_globals
        args = fn.args
        if args.vararg is not None or args.kwarg is not None:
            raise _Refused
        self.locals = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        self.tapes: set[str] = set()
        for node in gast.walk(fn):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                self.locals.add(node.id)
        for node in gast.walk(fn):  # a tape: a local only ever assigned an empty list
            if isinstance(node, gast.Assign) and isinstance(node.value, gast.List) and not node.value.elts:
                self.tapes.update(t.id for t in node.targets if isinstance(t, gast.Name))
        for node in gast.walk(fn):
            if isinstance(node, (gast.Assign, gast.AugAssign)):
                for t in node.targets if isinstance(node, gast.Assign) else [node.target]:
                    if isinstance(t, gast.Name) and t.id in self.tapes and not (
                        isinstance(node, gast.Assign) and isinstance(node.value, gast.List) and not node.value.elts
                    ):
                        self.tapes.discard(t.id)
        self.tapes -= {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
        if self.modules.keys() & self.locals:
            raise _Refused

    def run(self) -> None:
        for d in self.fn.args.defaults + [d for d in self.fn.args.kw_defaults if d is not None]:
            if not (isinstance(d, gast.Constant) and type(d.value) in (int, float, bool)):
                raise _Refused  # a default the call path does not see (it checks the passed arguments' types)
        self.block(self.fn.body)

    def block(self, stmts: list[gast.stmt]) -> None:
        for s in stmts:
            if not isinstance(s, _STATEMENTS):
                raise _Refused
            for field in s._fields:
                value = getattr(s, field)
                if isinstance(value, list) and value and isinstance(value[0], gast.stmt):
                    self.block(value)
                elif field == "orelse":
                    continue
                elif isinstance(value, list):
                    setattr(s, field, [self.expr(v) for v in value])
                elif isinstance(value, gast.AST):
                    setattr(s, field, self.expr(value))
                elif value is not None and field not in ("type_comment",):
                    raise _Refused

    def expr(self, e: gast.AST) -> gast.AST:
        if isinstance(e, _CONTEXTS):
            if isinstance(e, gast.keyword):
                raise _Refused
            return e
        if not isinstance(e, _EXPRESSIONS):
            raise _Refused
        if isinstance(e, gast.Name):
            if isinstance(e.ctx, gast.Load) and e.id not in self.locals:
                raise _Refused  # a global or a module: its value may be of any type
            return e
        if isinstance(e, gast.Constant):
            if not (e.value is None or type(e.value) in (int, float, bool)):
                raise _Refused
            return e
        if isinstance(e, gast.Attribute):
            return self.attribute(e)
        if isinstance(e, gast.Call):
            return self.call(e)
        if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Pow):
            return self.power(e)
        if isinstance(e, gast.List) and e.elts:
            raise _Refused
        for field in e._fields:
            value = getattr(e, field)
            if isinstance(value, list):
                setattr(e, field, [self.expr(v) for v in value])
            elif isinstance(value, gast.AST):
                setattr(e, field, self.expr(value))
        return e

    def attribute(self, e: gast.Attribute) -> gast.AST:
        """``np.pi``, ``math.e``: a module's float constant."""
        if isinstance(e.value, gast.Name) and e.value.id in self.modules:
            value = getattr(self.modules[e.value.id], e.attr, None)
            if type(value) is float:
                return gast.Constant(value=value, kind=None)
        raise _Refused

    def call(self, e: gast.Call) -> gast.AST:
        if e.keywords or any(isinstance(a, gast.Starred) for a in e.args):
            raise _Refused
        e.args = [self.expr(a) for a in e.args]
        f = e.func
        if isinstance(f, gast.Name):
            shadowed = f.id in self.locals or f.id in self.user_globals
            if f.id in BUILTINS and not shadowed and f.id not in self.modules:
                return e
            raise _Refused
        if not (isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name)):
            raise _Refused
        owner = f.value.id
        if owner in self.tapes and (f.attr, len(e.args)) in (("append", 1), ("pop", 0)):
            return e
        module = self.modules.get(owner)
        if module is math and isinstance(getattr(math, f.attr, None), types.BuiltinFunctionType):
            return e
        if module is np and f.attr in MATH_OF_NUMPY and len(e.args) == 1:
            f.value.id = self.math_name
            f.attr = MATH_OF_NUMPY[f.attr]
            return e
        raise _Refused

    def power(self, e: gast.BinOp) -> gast.AST:
        """``a ** 3`` stays (on a float or an int, Python's power is NumPy's, or
        raises); ``a ** 0.5`` becomes ``math.pow(a, 0.5)``, which raises where
        Python's power of a negative float would make a complex number."""
        e.left = self.expr(e.left)
        exponent = e.right
        negated = isinstance(exponent, gast.UnaryOp) and isinstance(exponent.op, (gast.USub, gast.UAdd))
        number = exponent.operand if negated else exponent
        if not (isinstance(number, gast.Constant) and type(number.value) in (int, float)):
            raise _Refused
        if type(number.value) is int:
            return e
        pow_ = gast.Attribute(
            value=gast.Name(id=self.math_name, ctx=gast.Load(), annotation=None, type_comment=None),
            attr="pow", ctx=gast.Load(),
        )  # fmt: skip
        return gast.Call(func=pow_, args=[e.left, exponent], keywords=[])



# ------------------------------------------------------------ the float entry
# What ``math`` returns a float for, always (or raises): the counterparts above and ``pow``
FLOAT_MATH = frozenset(MATH_OF_NUMPY.values()) | {"pow"}


@dataclasses.dataclass(frozen=True)
class EntrySpec:
    """What a call of one argument-type signature needs from its float entry
    (decided by :mod:`s2sad.api` when it first saw the signature)."""

    types: tuple[type, ...]  # of the user function's parameters the call fills: passed, then defaults
    passed: int  # how many of them the call passes
    positions: tuple[int, ...]  # the wrt parameters
    single: bool  # one gradient, not a tuple of them
    with_value: bool  # return (value, gradients) (value_and_grad), else the gradients (grad)
    seed: str  # the generated code's seed parameter, its last
    gradient_only: bool  # the generated code returns the gradients alone
    guards: tuple[tuple[Any, str | None, Any], ...] = ()  # what the code's validity check tests
    defaults: tuple[Any, tuple] | None = None  # (fn, the defaults tuple the call used): fn.__defaults__ is it
    fallback: Any = dataclasses.field(default=None, compare=False)  # called with the passed arguments when anything fails
    # when given, the entry first tests the passed arguments' types, and calls this with them when they differ
    dispatch: Any = dataclasses.field(default=None, compare=False)


def float_entry(
    gen: gast.FunctionDef, injected: dict[str, Any], user_globals: dict[str, Any], cells: dict[str, Any],
    spec: EntrySpec,
) -> tuple[gast.FunctionDef, dict[str, Any]] | None:
    """The float variant of ``gen`` fused with what the call path does
    around it, for one call signature: the validity check (inlined, first),
    the seed folded to 1.0 (``1.0 * a`` is ``a`` bit for bit when ``a`` is a
    float), and the result in the form ``grad`` (or ``value_and_grad``)
    returns it, a float argument's gradient a float. Anything else
    (a guard that fails, an exception, a non-finite result) calls
    ``spec.fallback`` with the arguments as passed. Returns the function and
    the names it needs besides ``injected``; None when not proven.

    >>> import math, numpy as np
    >>> fn = gast.parse("def df(x, y, y_bar=1.0):\\n    t1_bar = -y_bar\\n    x_bar = t1_bar * np.cos(x)\\n"
    ...                 "    y_bar_1 = y_bar * x\\n    return x_bar, y_bar_1").body[0]
    >>> spec = EntrySpec((float, float), 2, (0, 1), False, False, "y_bar", True, fallback=print)
    >>> made, names = float_entry(fn, {"np": np, "math": math}, {}, {}, spec)
    >>> from s2sad.codegen.emit import render_function
    >>> print(render_function(made, {}), end="")
    def df(x, y):
        try:
            x_bar = -1.0 * cos_(x)
            y_bar_1 = x
            if (x_bar + y_bar_1) * 0.0 == 0.0:
                return x_bar, y_bar_1
        except Exception_:
            pass
        return fallback(x, y)
    """
    modules = {k: v for k, v in injected.items() if v is np or v is math}
    math_name = next((k for k, v in modules.items() if v is math), None)
    if math_name is None or not gen.body or not isinstance(gen.body[-1], gast.Return):
        return None
    fn = _copy(gen)
    args = fn.args
    params = args.args
    if (
        args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg
        or not params or params[-1].id != spec.seed or len(params) - 1 != len(spec.types)
        or not args.defaults or not _is_constant(args.defaults[-1], 1.0)
        or not 0 < spec.passed <= len(spec.types)
    ):  # fmt: skip
        return None
    try:
        _Rewrite(fn, modules, math_name, user_globals).run()
    except _Refused:
        return None
    names = [a.id for a in params[:-1]]
    args.args, args.defaults = params[:-1], []  # the defaults: the call's own (float_entry's caller sets them)
    ret = fn.body.pop()
    body: list[gast.stmt] = [gast.Assign(targets=[_name(spec.seed, gast.Store())],
                                         value=gast.Constant(value=1.0, kind=None), type_comment=None)]
    body += fn.body
    floats = _float_names(body, dict(zip(names, spec.types)), math_name)
    body, ret = _propagate_constants(body, ret, set(names), floats, math_name)
    try:
        check = _finite_check(ret)
    except _Refused:
        return None
    # the result, as the call path returns it
    if spec.gradient_only:
        if spec.with_value:
            return None
        value, grads = None, ret.value
    elif isinstance(ret.value, gast.Tuple) and len(ret.value.elts) == 2:
        value, grads = ret.value.elts
    else:
        return None
    k = len(spec.positions)
    if k == 1:
        items = [grads]
    elif isinstance(grads, gast.Tuple) and len(grads.elts) == k:
        items = list(grads.elts)
    else:
        return None
    if any(p >= spec.passed for p in spec.positions):
        return None
    seen = [n for s in [*body, ret] for n in gast.walk(s) if isinstance(n, gast.Name)]
    taken = {n.id for n in seen} | set(injected) | set(names) | {spec.seed}
    stored = {n.id for n in seen if isinstance(n.ctx, gast.Store)}
    extra: dict[str, Any] = {}

    def fresh(base: str) -> str:
        new = base
        while new in taken:
            new += "_"
        taken.add(new)
        return new

    def inject(base: str, value: Any) -> str:
        new = fresh(base)
        extra[new] = value
        return new

    to_float = None
    typed = []
    for item, p in zip(items, spec.positions):
        if spec.types[p] is float and not _is_float(item, floats, math_name):
            to_float = to_float or inject("float_", float)
            item = gast.Call(func=_name(to_float), args=[item], keywords=[])
        typed.append(item)
    out: gast.expr = typed[0] if spec.single else gast.Tuple(elts=typed, ctx=gast.Load())
    if spec.with_value:
        out = gast.Tuple(elts=[value, out], ctx=gast.Load())
    # the validity check, inlined: a guard on one of the user's closure cells reads the cell itself
    tests: list[gast.expr] = []
    for where, key, bound in spec.guards:
        v = _name(inject("guard", bound))
        if key is None:
            own = next((n for n, c in cells.items() if c is where), None)
            if own is not None and own in injected and own not in stored and own not in names:
                tests.append(_is(_name(own), v))
            else:
                tests.append(_is(gast.Attribute(value=_name(inject("cell", where)), attr="cell_contents",
                                                ctx=gast.Load()), v))  # fmt: skip
        else:
            at = gast.Constant(value=key, kind=None) if type(key) is str else _name(inject("key", key))
            tests.append(_is(gast.Subscript(value=_name(inject("scope", where)), slice=at, ctx=gast.Load()), v))
    if spec.defaults is not None:
        owner, used = spec.defaults
        tests.append(_is(gast.Attribute(value=_name(inject("fn", owner)), attr="__defaults__", ctx=gast.Load()),
                         _name(inject("defaults", used))))  # fmt: skip
    inner: list[gast.stmt] = body + [gast.If(test=check, body=[gast.Return(value=out)], orelse=[])
                                     if check is not None else gast.Return(value=out)]  # fmt: skip
    if tests:
        test = tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.And(), values=tests)
        inner = [gast.If(test=test, body=inner, orelse=[])]
    handler = gast.ExceptHandler(type=_name(inject("Exception_", Exception)), name=None, body=[gast.Pass()])
    saves: list[gast.stmt] = []
    passed = []
    for n in names[: spec.passed]:
        if n in stored:
            kept = fresh(n + "_arg")
            saves.append(gast.Assign(targets=[_name(kept, gast.Store())], value=_name(n), type_comment=None))
            n = kept
        passed.append(_name(n))
    call = gast.Call(func=_name(inject("fallback", spec.fallback)), args=passed, keywords=[])
    fn.body = [*saves, gast.Try(body=inner, handlers=[handler], orelse=[], finalbody=[]), gast.Return(value=call)]
    functions: dict[str, str] = {}  # math.cos -> cos_, a closure variable: one attribute read less a call

    class Direct(gast.NodeTransformer):
        def visit_Attribute(self, node: gast.Attribute) -> gast.AST:
            if isinstance(node.value, gast.Name) and node.value.id == math_name and isinstance(node.ctx, gast.Load):
                return _name(functions.get(node.attr) or functions.setdefault(
                    node.attr, inject(node.attr + "_", getattr(math, node.attr))))  # fmt: skip
            return self.generic_visit(node)

    fn.body = [Direct().visit(s) for s in fn.body]
    if spec.dispatch is not None:  # x.__class__ is float_ and ...: else dispatch(x, ...)
        classes: dict[type, str] = {}
        same = [
            _is(gast.Attribute(value=_name(n), attr="__class__", ctx=gast.Load()),
                _name(classes.get(t) or classes.setdefault(t, inject(t.__name__ + "_", t))))
            for n, t in zip(names, spec.types[: spec.passed])
        ]  # fmt: skip
        other = gast.Call(func=_name(inject("dispatch", spec.dispatch)), args=[_name(n) for n in names[: spec.passed]],
                          keywords=[])  # fmt: skip
        test = gast.UnaryOp(op=gast.Not(), operand=same[0] if len(same) == 1 else gast.BoolOp(op=gast.And(),
                                                                                              values=same))
        fn.body.insert(0, gast.If(test=test, body=[gast.Return(value=other)], orelse=[]))
    return fn, extra


def _name(n: str, ctx: gast.expr_context | None = None) -> gast.Name:
    return gast.Name(id=n, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def _is(a: gast.expr, b: gast.expr) -> gast.Compare:
    return gast.Compare(left=a, ops=[gast.Is()], comparators=[b])


def _is_constant(e: gast.AST, value: float) -> bool:
    return isinstance(e, gast.Constant) and type(e.value) is float and e.value == value


def _is_float(e: gast.AST, floats: set[str], math_name: str) -> bool:
    """Is ``e`` a float whenever it does not raise, the names in ``floats``
    being floats? (Values of the float variant are numbers, its tapes, ranges
    and their iterators: ``a / b`` is a float or raises, so is a float plus,
    minus, times, modulo a number or to a constant power.)"""
    if isinstance(e, gast.Constant):
        return type(e.value) is float
    if isinstance(e, gast.Name):
        return e.id in floats
    if isinstance(e, gast.UnaryOp):
        return isinstance(e.op, (gast.USub, gast.UAdd)) and _is_float(e.operand, floats, math_name)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Div):
            return True
        if isinstance(e.op, gast.Pow):
            return _is_float(e.left, floats, math_name)
        return isinstance(e.op, (gast.Add, gast.Sub, gast.Mult, gast.Mod, gast.FloorDiv)) and (
            _is_float(e.left, floats, math_name) or _is_float(e.right, floats, math_name)
        )
    if isinstance(e, gast.IfExp):
        return _is_float(e.body, floats, math_name) and _is_float(e.orelse, floats, math_name)
    if isinstance(e, gast.Call):
        f = e.func
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and f.value.id == math_name:
            return f.attr in FLOAT_MATH
        return isinstance(f, gast.Name) and f.id == "float"  # the builtin: _Rewrite refused a shadowed one
    return False


def _float_names(body: list[gast.stmt], params: dict[str, type], math_name: str) -> set[str]:
    """The names that hold a float all along: a parameter of type float, or
    a local, every assignment of which stores a float (the greatest such set)."""
    stores: dict[str, list[gast.expr | None]] = {}
    for s in body:
        for node in gast.walk(s):
            if isinstance(node, gast.Assign):
                for t in node.targets:
                    if isinstance(t, gast.Name):
                        stores.setdefault(t.id, []).append(node.value)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                stores.setdefault(node.target.id, []).append(
                    gast.BinOp(left=_name(node.target.id), op=node.op, right=node.value))
    counted = {id(t) for s in body for node in gast.walk(s) if isinstance(node, gast.Assign)
               for t in node.targets} | {id(node.target) for s in body for node in gast.walk(s)
                                         if isinstance(node, gast.AugAssign)}  # fmt: skip
    for s in body:  # any other store (a loop's target, an unpacking): not known
        for node in gast.walk(s):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store) and id(node) not in counted:
                stores.setdefault(node.id, []).append(None)
    floats = {n for n, t in params.items() if t is float} | (set(stores) - set(params))
    changed = True
    while changed:
        changed = False
        for n in list(floats):
            if any(v is None or not _is_float(v, floats, math_name) for v in stores.get(n, ())):
                floats.discard(n)
                changed = True
    return floats


def _propagate_constants(
    body: list[gast.stmt], ret: gast.Return, params: set[str], floats: set[str], math_name: str
) -> tuple[list[gast.stmt], gast.Return]:
    """Put a float constant assigned once (at the top level, before any use)
    where its name is read, and fold ``1.0 * a``, ``a * 1.0``, ``a / 1.0`` to
    ``a`` for a float ``a`` and ``-c`` of a constant: exact, bit for bit."""
    count: dict[str, int] = {}
    for s in [*body, ret]:
        for node in gast.walk(s):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                count[node.id] = count.get(node.id, 0) + 1
    out: list[gast.stmt] = []
    known: dict[str, float] = {}
    for s in body:
        s = _Fold(known, floats, math_name).visit(s)
        if (
            isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Constant) and type(s.value.value) is float
            and count.get(s.targets[0].id) == 1 and s.targets[0].id not in params
            and not any(isinstance(n, gast.Name) and n.id == s.targets[0].id for e in out for n in gast.walk(e))
        ):  # fmt: skip
            known[s.targets[0].id] = s.value.value
            continue
        out.append(s)
    ret = _Fold(known, floats, math_name).visit(ret)
    return out, ret


class _Fold(gast.NodeTransformer):
    """Constants put where their names are read, and the exact folds of :func:`_propagate_constants`."""

    def __init__(self, known: dict[str, float], floats: set[str], math_name: str) -> None:
        self.known, self.floats, self.math_name = known, floats, math_name

    def visit_Name(self, node: gast.Name) -> gast.AST:
        if isinstance(node.ctx, gast.Load) and node.id in self.known:
            return gast.Constant(value=self.known[node.id], kind=None)
        return node

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.AST:
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant) and type(
            node.operand.value) is float:  # fmt: skip
            return gast.Constant(value=-node.operand.value, kind=None)
        return node

    def visit_BinOp(self, node: gast.BinOp) -> gast.AST:
        self.generic_visit(node)
        one_left, one_right = _is_constant(node.left, 1.0), _is_constant(node.right, 1.0)
        if isinstance(node.op, gast.Mult) and one_left and _is_float(node.right, self.floats, self.math_name):
            return node.right
        if isinstance(node.op, (gast.Mult, gast.Div)) and one_right and _is_float(node.left, self.floats,
                                                                                 self.math_name):  # fmt: skip
            return node.left
        return node
