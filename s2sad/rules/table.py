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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import public
from ..frontend.parse import parse_source

Kind = str | None  # "scalar", "array" or "array<ndim>", "numeric", "int" (never active), containers (below), None (unknown)


def is_array(kind: Kind) -> bool:
    return kind is not None and kind.startswith("array")


# Containers (lists and tuples) are pytrees: their adjoints and tangents are
# lists of the items' adjoints, added leaf by leaf. Their kinds say what the
# items are, as far as known:
#   "tuple"               a list or tuple whose items are unknown
#   "tuple(k1,k2,...)"    a fixed sequence of items of kinds k1, k2, ... ("?": unknown)
#   "list[k]"             any number of items, each of kind k ("list[]": none seen)
#   "tuple(W=k1,b=k2)"    a namedtuple: the items' field names ride along (``p.W``)
#   "dict('W':k1,'b':k2)" a dict whose keys (constant strings or ints, in
#                         insertion order) hold values of kinds k1, k2
#   "dict"                a dict whose keys are unknown
# "numeric" is a number or an array, certainly not a container. Dicts are
# pytrees too: their adjoints and tangents are dicts with the same keys.


def is_container(kind: Kind) -> bool:
    return kind is not None and (
        kind == "tuple" or kind.startswith("tuple(") or kind.startswith("list[") or is_dict(kind)
    )


def is_dict(kind: Kind) -> bool:
    return kind is not None and (kind == "dict" or kind.startswith("dict("))


_PLAIN_KEY = re.compile(r"[^,()\[\]:'\"\\=]*")


def key_text(key: Any) -> str | None:
    """How a dict key is written in a kind (None: a key kinds cannot spell,
    which makes the dict's kind unknown)."""
    if type(key) is int:
        return str(key)
    if type(key) is str and _PLAIN_KEY.fullmatch(key):
        return repr(key)
    return None


def dict_kind(entries: list[tuple[Any, Kind]]) -> str:
    """The kind of a dict with these (key, value kind) entries, in order."""
    texts = [key_text(k) for k, _ in entries]
    if any(t is None for t in texts):
        return "dict"
    return "dict(" + ",".join(f"{t}:{_t(k)}" for t, (_, k) in zip(texts, entries)) + ")"


def dict_entries(kind: Kind) -> list[tuple[Any, Kind]] | None:
    """The (key, value kind) entries of a ``dict(...)`` kind, in order (None: unknown keys)."""
    if kind is None or not kind.startswith("dict("):
        return None
    inner = kind[len("dict(") : -1]
    if inner == "":
        return []
    out: list[tuple[Any, Kind]] = []
    for part in _split(inner):
        key, _, value = part.partition(":")
        out.append((key[1:-1] if key.startswith("'") else int(key), _k(value)))
    return out


def maybe_container(kind: Kind) -> bool:
    """Could a value of this kind be a list or tuple? (Unknown kinds could.)"""
    return kind is None or is_container(kind)


def _split(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return parts


def _k(text: str) -> Kind:
    return None if text == "?" else text


def _t(kind: Kind) -> str:
    return "?" if kind is None else kind


def tuple_kind(items: list[Kind], fields: list[str] | None = None) -> str:
    """``tuple(k1,k2)``; with ``fields`` (a namedtuple's), ``tuple(W=k1,b=k2)``."""
    if fields is not None and len(fields) == len(items):
        return "tuple(" + ",".join(f"{f}={_t(k)}" for f, k in zip(fields, items)) + ")"
    return "tuple(" + ",".join(_t(k) for k in items) + ")"


_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")


def tuple_fields(kind: Kind) -> list[str] | None:
    """The field names of a namedtuple's ``tuple(W=...,b=...)`` kind, else None."""
    if kind is None or not kind.startswith("tuple(") or kind == "tuple()":
        return None
    names = [_FIELD.match(p) for p in _split(kind[len("tuple(") : -1])]
    return [m.group(1) for m in names] if all(names) else None  # type: ignore[union-attr]


def list_kind(items: list[Kind]) -> str:
    item = _BOTTOM
    for k in items:
        item = join(item, k)
    return "list[" + ("" if item is _BOTTOM else _t(item)) + "]"


def tuple_items(kind: Kind) -> list[Kind] | None:
    """The item kinds of a ``tuple(...)`` kind, else None."""
    if kind is None or not kind.startswith("tuple("):
        return None
    inner = kind[len("tuple(") : -1]
    return [] if inner == "" else [_k(_unfield(p)) for p in _split(inner)]


def _unfield(part: str) -> str:
    m = _FIELD.match(part)
    return part[m.end() :] if m else part


def list_item(kind: Kind) -> tuple[bool, Kind]:
    """(True, item kind) for a ``list[...]`` kind (item None: unknown or none seen)."""
    if kind is None or not kind.startswith("list["):
        return False, None
    inner = kind[len("list[") : -1]
    return True, (None if inner in ("", "?") else inner)


def any_item(kind: Kind) -> Kind:
    """The kind every item of a container kind has (None: unknown); for a
    dict, every value."""
    entries = dict_entries(kind)
    if entries is not None:
        out_: Kind = _BOTTOM
        for _, k in entries:
            out_ = join(out_, k)
        return None if out_ is _BOTTOM else out_
    items = tuple_items(kind)
    if items is not None:
        out: Kind = _BOTTOM
        for k in items:
            out = join(out, k)
        return None if out is _BOTTOM else out
    return list_item(kind)[1]


def as_list(kind: Kind) -> Kind:
    """A container kind as ``list[k]`` (any length, items joined)."""
    items = tuple_items(kind)
    if items is not None:
        return list_kind(items)
    if kind is not None and kind.startswith("list["):
        return kind
    return "tuple"


_BOTTOM: Any = "<none>"


def join(a: Kind, b: Kind) -> Kind:
    """What a name holds when it is defined as ``a`` in one place and ``b`` in another."""
    if a is _BOTTOM:
        return b
    if b is _BOTTOM or a == b:
        return a
    if a is None or b is None:
        return None
    if is_dict(a) or is_dict(b):
        if not (is_dict(a) and is_dict(b)):
            return None
        da, db = dict_entries(a), dict_entries(b)
        if da is not None and db is not None and [k for k, _ in da] == [k for k, _ in db]:
            return dict_kind([(k, join(x, y)) for (k, x), (_, y) in zip(da, db)])
        return "dict"
    if is_container(a) or is_container(b):
        if not (is_container(a) and is_container(b)):
            return None
        ta, tb = tuple_items(a), tuple_items(b)
        if ta is not None and tb is not None and len(ta) == len(tb):
            fa = tuple_fields(a)
            return tuple_kind([join(x, y) for x, y in zip(ta, tb)], fa if fa == tuple_fields(b) else None)
        if (a.startswith("list[") or ta is not None) and (b.startswith("list[") or tb is not None):
            la, lb = list_item(as_list(a)), list_item(as_list(b))
            empty_a, empty_b = as_list(a) == "list[]", as_list(b) == "list[]"
            if empty_a or empty_b:
                return as_list(b) if empty_a else as_list(a)
            return "list[" + _t(join(la[1], lb[1])) + "]"
        return "tuple"
    if is_array(a) and is_array(b):
        return "array"
    if all(k in ("scalar", "int", "numeric") or is_array(k) for k in (a, b)):
        return "numeric"
    return None


def ndim(kind: Kind) -> int | None:
    """The number of dimensions a kind implies, when known (0 for scalars)."""
    if kind == "scalar":
        return 0
    if kind is not None and kind.startswith("array") and kind[5:].isdigit():
        return int(kind[5:])
    return None


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
    kind: Callable[[dict[str, Kind], dict[str, Any]], Kind] | None = None
    sequence: str | None = None
    varargs: bool = False
    reason: str | None = None  # a rule with no reverse template: why it carries no derivative

    @property
    def differentiable(self) -> bool:
        return bool(self.reverse)


def _parse_params(signature: str) -> tuple[tuple[str, ...], dict[str, Any], bool]:
    params: list[str] = []
    defaults: dict[str, Any] = {}
    varargs = False
    for part in [p.strip() for p in signature.split(",") if p.strip()]:
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
    return tuple(params), defaults, varargs


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
        kind: Callable[[dict[str, Kind], dict[str, Any]], Kind] | str | None = "elementwise",
        sequence: str | None = None,
        name: str | None = None,
        reason: str | None = None,
    ) -> Rule:
        params, defaults, varargs = _parse_params(signature)
        if not reverse and reason not in REASONS:
            raise ValueError(f"rule for {name or _display_name(key)} has no derivative and no reason why")
        rule = Rule(
            name=name or _display_name(key),
            params=params,
            defaults=defaults,
            reverse={p: _template(t) for p, t in (reverse or {}).items()},
            forward={p: _template(t) for p, t in (forward or {}).items()},
            kind=_KINDS[kind] if isinstance(kind, str) else kind,
            sequence=sequence,
            varargs=varargs,
            reason=reason,
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
                self._by_method[key[1:]] = Rule(name=key, params=("self",), kind=_KINDS["int"], reason=reason)
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


def _elementwise(kinds: dict[str, Kind], consts: dict[str, Any]) -> Kind:
    vals = [k for k in kinds.values() if k != "int"]
    if any(is_array(k) for k in vals):
        dims = [ndim(k) for k in vals]
        return "array" if None in dims else f"array{max(d for d in dims if d is not None)}"
    if not vals and kinds:
        return "int"
    if vals and all(k == "scalar" for k in vals):
        return "scalar"
    if all(k in ("scalar", "int") for k in kinds.values()) and kinds:
        return "scalar"
    return None


def _reduction(kinds: dict[str, Kind], consts: dict[str, Any]) -> Kind:
    """A full reduction (no axis, no keepdims) of anything is a scalar."""
    if consts.get("axis", 0) is None and consts.get("keepdims", True) is False:
        return "scalar"
    n = ndim(kinds.get("x", kinds.get("self")))
    if n is None or "axis" not in consts or "keepdims" not in consts:
        return "array"  # axis or keepdims computed at run time: the result's ndim is not known
    if consts.get("keepdims") is True:
        return f"array{n}"
    axis = consts["axis"]
    if isinstance(axis, int) and n >= 1:
        return "scalar" if n == 1 else f"array{n - 1}"
    return "array"


def _matmul(kinds: dict[str, Kind], consts: dict[str, Any]) -> Kind:
    a, b = (ndim(k) for k in list(kinds.values())[:2]) if len(kinds) >= 2 else (None, None)
    if a is None or b is None:
        return "array"
    if a == 1 and b == 1:
        return "scalar"
    return f"array{max(a, b) - (a == 1) - (b == 1)}" if a >= 1 and b >= 1 else "array"


_KINDS: dict[str, Callable[[dict[str, Kind], dict[str, Any]], Kind]] = {
    "elementwise": _elementwise,
    "reduction": _reduction,
    "matmul": _matmul,
    "scalar": lambda kinds, consts: "scalar",
    "array": lambda kinds, consts: "array",
    "int": lambda kinds, consts: "int",
    "unknown": lambda kinds, consts: None,
}

RULES = RuleTable()


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
