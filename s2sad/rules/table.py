"""The rule table and the public API to extend it.

A rule is data: the primitive's parameter list, and for each differentiable
parameter a reverse template (an expression in ``g``, the adjoint of the
result ``z``, and the parameters) and a forward template (linear in
``<param>_dot``). Templates are Python expressions; the transform splices them
in with the call's own operands. Helpers from :mod:`s2sad.runtime` and the
names ``np`` and ``math`` may appear in them.

>>> import math
>>> r = RULES.lookup(math.sin)
>>> r.params, sorted(r.reverse)
(('x',), ['x'])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import public
from ..frontend.parse import parse_source
from ..ir.kinds import ARRAY, INT, SCALAR, Kind, array_kind, is_array, ndim, unit_dims

# a rule's kind function: the kind of the result from the operands' kinds and the constant arguments
KindRule = Callable[[dict[str, Kind | None], dict[str, Any]], Kind | None]

def _template(text: str) -> gast.expr:
    node = parse_source(text).body[0]
    assert isinstance(node, gast.Expr), text
    return node.value


@dataclass
class Rule:
    """The derivative of one primitive.

    ``reverse[p]`` is the contribution of the result's adjoint ``g`` to the
    adjoint of parameter ``p``; ``forward[p]`` the contribution of ``p_dot``
    to the result's tangent. Parameters missing from ``reverse`` are not
    differentiable (axes, shapes, flags). ``sequence`` names a parameter that
    takes a list of values (``np.stack([a, b])``): its reverse template gives
    the list of adjoints, one per item.
    """

    name: str
    params: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    reverse: dict[str, gast.expr] = field(default_factory=dict)
    forward: dict[str, gast.expr] = field(default_factory=dict)
    kind: KindRule | None = None
    sequence: str | None = None
    varargs: bool = False
    reason: str | None = None  # a rule with no reverse template: why it carries no derivative
    positional: int | None = None  # how many parameters may be passed by position (None: all)

    @property
    def differentiable(self) -> bool:
        return bool(self.reverse)


def _parse_params(signature: str) -> tuple[tuple[str, ...], dict[str, Any], bool, int | None]:
    """The parameters, their defaults, whether the last takes ``*args``, and
    how many may be passed by position (None: all; a bare ``*`` ends them,
    as in the function's own signature, so that a positional argument
    NumPy reads as another parameter is never bound to a later one)."""
    params: list[str] = []
    defaults: dict[str, Any] = {}
    varargs = False
    positional: int | None = None
    for part in [p.strip() for p in signature.split(",") if p.strip()]:
        if part == "*":
            positional = len(params)
            continue
        if part.startswith("*"):
            varargs = True
            params.append(part[1:])
            continue
        if "=" in part:
            key, value = part.split("=", 1)
            defaults[key.strip()] = eval(value, {})  # noqa: S307 - literal defaults in our own table
            params.append(key.strip())
        else:
            params.append(part)
    return tuple(params), defaults, varargs, positional


class RuleTable:
    """Rules keyed by the primitive object, by method name, or by operator."""

    def __init__(self) -> None:
        self._by_object: dict[int, tuple[Any, Rule]] = {}
        self._by_method: dict[str, Rule] = {}
        self._by_operator: dict[type, Rule] = {}
        self._inactive: dict[int, Any] = {}
        self._reasons: dict[int, tuple[str, bool]] = {}
        self._method_reasons: dict[str, str] = {}

    def add(
        self,
        key: Any,
        signature: str,
        reverse: dict[str, str] | None = None,
        forward: dict[str, str] | None = None,
        kind: KindRule | str | None = "elementwise",
        sequence: str | None = None,
        name: str | None = None,
        reason: str | None = None,
    ) -> Rule:
        params, defaults, varargs, positional = _parse_params(signature)
        if not reverse and reason not in REASONS:
            raise ValueError(f"rule for {name or _display_name(key)} has no derivative and no reason why")
        rule = Rule(
            name=name or _display_name(key),
            params=params,
            defaults=defaults,
            reverse={p: _template(t) for p, t in (reverse or {}).items()},
            forward={p: _template(t) for p, t in (forward or {}).items()},
            kind=KIND_RULES[kind] if isinstance(kind, str) else kind,
            sequence=sequence,
            varargs=varargs,
            reason=reason,
            positional=positional,
        )
        unknown = (set(rule.reverse) | set(rule.forward)) - set(params)
        if unknown:
            raise ValueError(f"rule for {rule.name}: templates name unknown parameters {sorted(unknown)}")
        if isinstance(key, str) and key.startswith("."):
            self._by_method[key[1:]] = rule
        elif isinstance(key, type) and issubclass(key, gast.AST):
            self._by_operator[key] = rule
        else:
            self._by_object[id(key)] = (key, rule)
            self._inactive.pop(id(key), None)
        return rule

    def inactive(self, *keys: Any, reason: str, pure: bool = True) -> None:
        """Declare primitives whose results never carry a derivative, and why.

        ``reason`` must be one of :data:`REASONS` (or, for a user's
        declaration, :data:`USER_DECLARED`): a function is declared inactive
        only when its result is piecewise constant, integer- or boolean-valued,
        or depends on its arguments' shapes alone. ``pure`` says whether two
        calls with the same arguments give the same result and do nothing
        else (``print`` is not pure): only pure calls may be recomputed."""
        if reason not in REASONS and reason != USER_DECLARED:
            raise ValueError(f"inactive declaration without a known reason: {reason!r}")
        for key in keys:
            if isinstance(key, str) and key.startswith("."):
                self._by_method[key[1:]] = Rule(name=key, params=("self",), kind=KIND_RULES["int"], reason=reason)
                self._method_reasons[key[1:]] = reason
            else:
                self._inactive[id(key)] = key
                self._reasons[id(key)] = (reason, pure)

    def inactive_reason(self, obj: Any) -> str | None:
        """Why ``obj`` is declared inactive (None when it is not)."""
        if isinstance(obj, str) and obj.startswith("."):
            return self._method_reasons.get(obj[1:])
        return self._reasons[id(obj)][0] if self.is_inactive(obj) else None

    def is_pure(self, obj: Any) -> bool:
        """Does ``obj`` compute the same result from the same arguments, with
        no effect? True for every rule (a rule is a mathematical function) and
        for inactive declarations made pure."""
        if self.lookup(obj) is not None:
            return True
        return self.is_inactive(obj) and self._reasons[id(obj)][1]

    def lookup(self, obj: Any) -> Rule | None:
        entry = self._by_object.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def is_inactive(self, obj: Any) -> bool:
        return self._inactive.get(id(obj), _MISSING) is obj

    def method(self, attr: str) -> Rule | None:
        return self._by_method.get(attr)

    def operator(self, op: type) -> Rule | None:
        return self._by_operator.get(op)


_MISSING = object()

# why a primitive may be declared inactive: each is a reason its derivative is
# zero wherever it exists (almost everywhere), whatever its float arguments
PIECEWISE_CONSTANT = "piecewise constant (floor, sign, round: a step function of its arguments)"
INTEGER_VALUED = "integer-valued (indices, counts, lengths)"
BOOLEAN_VALUED = "boolean-valued (comparisons, tests)"
SHAPE_ONLY = "depends only on shapes, sizes or dtypes of its arguments, not on their values"
NO_VALUE = "returns no number (None, a type, an iterator over indices)"
REASONS = (PIECEWISE_CONSTANT, INTEGER_VALUED, BOOLEAN_VALUED, SHAPE_ONLY, NO_VALUE)
USER_DECLARED = "declared nondifferentiable by the user (s2sad.register_nondifferentiable)"


def _display_name(key: Any) -> str:
    if isinstance(key, type) and issubclass(key, gast.AST):
        return key.__name__
    mod = getattr(key, "__module__", None) or ""
    name = getattr(key, "__qualname__", None) or getattr(key, "__name__", None) or repr(key)
    if isinstance(key, str):
        return key
    return f"{mod}.{name}" if mod and mod != "builtins" else name


def broadcast_units(operands: list[Kind | None]) -> frozenset[int] | None:
    """The broadcast pattern of the result of broadcasting these operands
    together (None unless every operand's shape is known: a scalar, or an
    array of known ndim and pattern). A dimension of the result is 1 exactly
    when it is 1 in every operand that has it (a dimension not 1 in one
    operand is that operand's length, which is not 1)."""
    patterns = []
    for k in operands:
        if k == INT or k == SCALAR:
            continue  # no dims
        units = unit_dims(k)
        if units is None:
            return None
        patterns.append((k.ndim, units))
    n = max((m for m, _ in patterns), default=0)
    return frozenset(
        d for d in range(n) if all(d - (n - m) in units for m, units in patterns if d >= n - m)
    )


def _elementwise(kinds: dict[str, Kind | None], consts: dict[str, Any]) -> Kind | None:
    vals = [k for k in kinds.values() if k != INT]
    if any(is_array(k) for k in vals):
        dims = [ndim(k) for k in vals]
        if None in dims:
            return ARRAY
        return array_kind(max(d for d in dims if d is not None), broadcast_units(vals))
    if not vals and kinds:
        return INT
    if vals and all(k == SCALAR for k in vals):
        return SCALAR
    if all(k in (SCALAR, INT) for k in kinds.values()) and kinds:
        return SCALAR
    return None


def _normal_axes(axis: Any, n: int) -> frozenset[int] | None:
    """An int or tuple-of-ints axis as a set of dims in 0..n-1 (None: not such an axis)."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not all(type(a) is int and -n <= a < n for a in axes):
        return None
    return frozenset(a % n for a in axes)


def _reduction(kinds: dict[str, Kind | None], consts: dict[str, Any]) -> Kind | None:
    """A full reduction (no axis, no keepdims) of anything is a scalar."""
    if consts.get("axis", 0) is None and consts.get("keepdims", True) is False:
        return SCALAR
    x = kinds.get("x", kinds.get("self"))
    n = ndim(x)
    if n is None or "axis" not in consts or "keepdims" not in consts:
        return ARRAY  # axis or keepdims computed at run time: the result's ndim is not known
    units = unit_dims(x)
    axes = _normal_axes(consts["axis"], n) if n >= 1 else None
    if consts.get("keepdims") is True:
        if consts["axis"] is None:
            return array_kind(n, frozenset(range(n)))
        # the reduced dims become 1 (a reduced dim of length 0 too: np.sum keeps it as 1)
        return array_kind(n, None if units is None or axes is None else units | axes)
    axis = consts["axis"]
    if isinstance(axis, int) and n >= 1:
        if n == 1:
            return SCALAR
        kept = None if units is None or axes is None else [d for d in range(n) if d not in axes]
        return array_kind(n - 1, None if kept is None else frozenset(i for i, d in enumerate(kept) if d in units))
    return ARRAY


def _matmul(kinds: dict[str, Kind | None], consts: dict[str, Any]) -> Kind | None:
    ka, kb = list(kinds.values())[:2] if len(kinds) >= 2 else (None, None)
    a, b = ndim(ka), ndim(kb)
    if a is None or b is None:
        return ARRAY
    if a == 1 and b == 1:
        return SCALAR
    if not (a >= 1 and b >= 1):
        return ARRAY
    ua, ub = unit_dims(ka), unit_dims(kb)
    units = None
    if a <= 2 and b <= 2 and ua is not None and ub is not None:
        # (m, k) @ (k, n) -> (m, n); (m, k) @ (k,) -> (m,); (k,) @ (k, n) -> (n,)
        dims = ([0 in ua] if a == 2 else []) + ([1 in ub] if b == 2 else [])
        units = frozenset(i for i, unit in enumerate(dims) if unit)
    return array_kind(max(a, b) - (a == 1) - (b == 1), units)


def _dot(kinds: dict[str, Kind | None], consts: dict[str, Any]) -> Kind | None:
    """``np.dot`` is ``@`` for operands of ndim 1 or 2, ``*`` with a scalar."""
    ka, kb = list(kinds.values())[:2] if len(kinds) >= 2 else (None, None)
    a, b = ndim(ka), ndim(kb)
    if a is not None and b is not None and 1 <= a <= 2 and 1 <= b <= 2:
        return _matmul(kinds, consts)
    return None


def _transpose(kinds: dict[str, Kind | None], consts: dict[str, Any]) -> Kind | None:
    """``x.T`` and ``np.transpose(x)`` (no axes): the dims reversed."""
    if consts.get("axes", None) is not None:
        return ARRAY
    x = kinds.get("x", kinds.get("self"))
    n = ndim(x)
    if not is_array(x) or n is None:
        return ARRAY
    units = unit_dims(x)
    return array_kind(n, None if units is None else frozenset(n - 1 - d for d in units))


# the function giving a rule's result kind, by the name rows use (kind="elementwise")
KIND_RULES: dict[str, KindRule] = {
    "elementwise": _elementwise,
    "reduction": _reduction,
    "matmul": _matmul,
    "dot": _dot,
    "transpose": _transpose,
    "scalar": lambda kinds, consts: SCALAR,
    "array": lambda kinds, consts: ARRAY,
    "int": lambda kinds, consts: INT,
    "unknown": lambda kinds, consts: None,
}

RULES = RuleTable()

# NumPy functions that act entry by entry: the result has the broadcast shape of the arguments
ELEMENTWISE_NUMPY = frozenset(
    {"sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
     "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "square", "sign", "abs", "fabs",
     "negative", "reciprocal"}
)  # fmt: skip


def elementwise_call(node: gast.expr, np_name: str | None = None) -> bool:
    """Is ``node`` ``np.f(a)`` of one of :data:`ELEMENTWISE_NUMPY`, with no
    keyword? ``np_name``: the name NumPy has (None: any name ending in ``np``,
    as generated code spells it)."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)):
        return False
    module = node.func.value
    return (
        isinstance(module, gast.Name)
        and (module.id == np_name if np_name is not None else module.id.endswith("np"))
        and node.func.attr in ELEMENTWISE_NUMPY and len(node.args) == 1 and not node.keywords
    )  # fmt: skip


@public
def register_adjoint(
    fn: Callable[..., Any],
    reverse: dict[str, str],
    forward: dict[str, str] | None = None,
    signature: str | None = None,
) -> Callable[..., Any]:
    """Teach s2sad the derivative of ``fn``, a function it cannot read.

    ``reverse`` maps each differentiable parameter to an expression for its
    adjoint contribution, in terms of ``g`` (the adjoint of the result), ``z``
    (the result) and the parameters; ``forward`` maps each parameter to its
    contribution to the result's tangent, in terms of ``<param>_dot``. The
    names ``np`` and ``math`` and the helpers of :mod:`s2sad.runtime` (such as
    ``unbroadcast``) may be used. Returns ``fn``.

    >>> import numpy as np, s2sad
    >>> def softplus(x):
    ...     return np.logaddexp(0.0, x)
    >>> _ = s2sad.register_adjoint(softplus, {"x": "g / (1 + np.exp(-x))"},
    ...                            forward={"x": "x_dot / (1 + np.exp(-x))"})
    """
    if signature is None:
        sig = inspect.signature(fn)
        parts = []
        for p in sig.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                parts.append("*" + p.name)
            elif p.default is not p.empty:
                parts.append(f"{p.name}={p.default!r}")
            else:
                parts.append(p.name)
        signature = ", ".join(parts)
    RULES.add(fn, signature, reverse=reverse, forward=forward, kind="unknown")
    return fn


@public
def register_nondifferentiable(*fns: Any) -> None:
    """Declare functions whose results carry no derivative (e.g. integer-valued).

    They are taken to be pure: a callee that calls them may be recomputed."""
    RULES.inactive(*fns, reason=USER_DECLARED)
