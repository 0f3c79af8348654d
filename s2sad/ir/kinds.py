"""Kinds: what a name holds, as far as the argument kinds seen at a call tell.

A kind is a small frozen (hashable) value: derivatives are cached by the
kinds of their arguments, and the analyses specialise the generated code to
them. Inside the package kinds are :class:`Kind` objects (or ``None``:
unknown); text appears only at the boundary, where a user writes a kind
(``--kinds W=array2``, ``source(kinds=...)``): :func:`parse_kind` reads it and
``str`` writes it back, in the same spelling.

The kinds, by ``base``:

=============  ==============================================================
``scalar``     a Python or NumPy float
``int``        an int, bool, None or string: never an array, never active
``numeric``    a number or an array, certainly not a container
``complex``    a complex number or array (refused where it meets a derivative)
``array``      an ndarray; ``ndim`` when known (``array2``)
``shape``      an array's ``.shape`` (its items are ints)
``tuple``      a list or tuple of fixed length: ``items`` (``tuple(k1,k2)``),
               with ``fields`` for a namedtuple (``tuple(W=k1,b=k2)``);
               ``items`` None: unknown items (``tuple``)
``list``       any number of items of one kind: ``items`` is ``(item,)``
               (``list[k]``, ``list[?]`` when the item is unknown) or ``()``
               when none was seen (``list[]``)
``dict``       a dict with ``keys`` (constant strings or ints, in insertion
               order) holding ``items`` (``dict('W':k1,'b':k2)``); ``keys``
               None: unknown keys (``dict``)
``obj``        an object of a user class, numbered ``ident`` (``obj:0``)
``fn``         a function passed as a value, ``value``; equal only to the
               kind of the same function (``fn``)
=============  ==============================================================

A kind equals its own spelling (``array_kind(2) == "array2"``), so code at
the boundary may compare with text; inside the package compare with the
named kinds (``SCALAR``, ``INT``...) or the predicates below.

Containers (lists, tuples, dicts) are pytrees: their adjoints and tangents
have the same structure, added leaf by leaf. ``?`` spells an unknown item.

>>> k = parse_kind("tuple(W=array2,b=list[scalar])")
>>> k.fields, tuple_items(k)[1], str(k)
(('W', 'b'), Kind('list[scalar]'), 'tuple(W=array2,b=list[scalar])')
>>> str(join(parse_kind("array1"), SCALAR)), ndim(parse_kind("array3"))
('numeric', 3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class Kind:
    """One kind (see the module's docstring for the bases and their fields).

    ``unit_dims`` is an array's broadcast pattern: the set of its
    dimensions of length 1, every other dimension being known *not* to be
    of length 1 (``frozenset()``: no dimension is 1); None when not known.
    It does not change with a batch size, so the code may be specialised
    to it (:func:`s2sad.rules.templates.simplify` drops or inlines
    ``unbroadcast``). It is part of the kind's identity (the derivative
    cache key) but not of its spelling: ``array2`` read from text means an
    unknown pattern, the conservative reading.

    >>> array_kind(2) == parse_kind("array2"), hash(ARRAY) == hash(Kind("array"))
    (True, True)
    """

    base: str
    ndim: int | None = None
    items: tuple[Kind | None, ...] | None = None
    fields: tuple[str, ...] | None = None
    keys: tuple[str | int, ...] | None = None
    ident: int | None = None
    value: Any = field(default=None, repr=False)  # a fn kind's function (compared by ident, its id)
    unit_dims: frozenset[int] | None = None

    def _key(self) -> tuple:
        return (self.base, self.ndim, self.items, self.fields, self.keys, self.ident, self.unit_dims)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, Kind):
            return self._key() == other._key()
        if isinstance(other, str):  # at the boundary a kind equals its spelling (a fn kind equals no text)
            return self.base != "fn" and str(self) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # equal to its spelling, so hashed as it; a fn kind by its function's identity
        return hash(("fn", self.ident)) if self.base == "fn" else hash(str(self))

    def __str__(self) -> str:
        text = self.__dict__.get("_text")
        if text is None:
            text = _spell(self)
            object.__setattr__(self, "_text", text)
        return text

    def __repr__(self) -> str:
        if self.base == "fn":
            return f"fn({getattr(self.value, '__qualname__', None) or self.value!r})"
        if self.unit_dims is not None:
            return f"Kind({str(self)!r}, unit_dims={tuple(sorted(self.unit_dims))})"
        return f"Kind({str(self)!r})"

    def __reduce__(self) -> Any:
        if self.base == "fn":
            raise TypeError("a function kind is not picklable")
        if self.unit_dims is not None:
            return (array_kind, (self.ndim, self.unit_dims))
        return (parse_kind, (str(self),))

    @staticmethod
    def parse(text: str) -> Kind | None:
        """The kind ``text`` spells (None for ``?``); ValueError if none."""
        return parse_kind(text)


def _spell(k: Kind) -> str:
    if k.base == "array":
        return "array" if k.ndim is None else f"array{k.ndim}"
    if k.base == "tuple" and k.items is not None:
        if k.fields is not None:
            return "tuple(" + ",".join(f"{f}={_t(i)}" for f, i in zip(k.fields, k.items)) + ")"
        return "tuple(" + ",".join(_t(i) for i in k.items) + ")"
    if k.base == "list":
        return "list[" + ("" if not k.items else _t(k.items[0])) + "]"
    if k.base == "dict" and k.keys is not None:
        return "dict(" + ",".join(f"{key_text(key)}:{_t(i)}" for key, i in zip(k.keys, k.items or ())) + ")"
    if k.base == "obj":
        return f"obj:{k.ident}"
    return _SENTINEL_TEXT.get(k.base, k.base)


def _t(kind: Kind | None) -> str:
    return "?" if kind is None else str(kind)


SCALAR = Kind("scalar")
INT = Kind("int")
NUMERIC = Kind("numeric")
COMPLEX = Kind("complex")
SHAPE = Kind("shape")
ARRAY = Kind("array")  # of unknown ndim
TUPLE = Kind("tuple")  # a list or tuple of unknown items
DICT = Kind("dict")  # a dict of unknown keys
EMPTY_LIST = Kind("list", items=())
# not kinds of values: marks of the analyses' fixpoints
PENDING = Kind("pending")  # not known yet: a fixpoint round has not reached it
BOTTOM = Kind("bottom")  # no definition seen yet: join(BOTTOM, k) is k
_SENTINEL_TEXT = {"pending": "<pending>", "bottom": "<none>"}


def array_kind(n: int | None, unit_dims: frozenset[int] | None = None) -> Kind:
    """``array<n>`` (``array`` when n is None), with the broadcast pattern
    ``unit_dims`` (the dimensions of length 1; None: not known).

    >>> k = array_kind(2, frozenset({1}))
    >>> k == array_kind(2), str(k), unit_dims(k)
    (False, 'array2', frozenset({1}))
    """
    if n is None:
        return ARRAY
    if unit_dims is None:
        return _ARRAYS[n] if 0 <= n < len(_ARRAYS) else Kind("array", ndim=n)
    if not unit_dims and 0 <= n < len(_FULL):
        return _FULL[n]
    key = (n, unit_dims)
    found = _PATTERNS.get(key)
    if found is None:
        assert all(0 <= d < n for d in unit_dims), (n, unit_dims)
        found = _PATTERNS[key] = Kind("array", ndim=n, unit_dims=frozenset(unit_dims))
    return found


_ARRAYS = tuple(Kind("array", ndim=n) for n in range(33))  # made once: kind_of_value runs on every call
_FULL = tuple(Kind("array", ndim=n, unit_dims=frozenset()) for n in range(33))  # no dimension of length 1
_PATTERNS: dict[tuple[int, frozenset[int]], Kind] = {}


def shape_kind(shape: tuple[int, ...]) -> Kind:
    """The kind of an array of this shape: its ndim and broadcast pattern."""
    if 1 not in shape:
        n = len(shape)
        return _FULL[n] if n < len(_FULL) else array_kind(n, frozenset())
    return array_kind(len(shape), frozenset(i for i, d in enumerate(shape) if d == 1))


def unit_dims(kind: Kind | None) -> frozenset[int] | None:
    """An array kind's broadcast pattern (the dimensions of length 1, all
    others not 1); ``frozenset()`` for a scalar; None when not known."""
    if kind == SCALAR:
        return frozenset()
    if not is_array(kind) or kind.ndim is None:
        return None
    return kind.unit_dims


def without_units(kind: Kind | None) -> Kind | None:
    """``kind`` with every broadcast pattern in it forgotten (for kinds that
    must hold for values other than the one they were read from)."""
    if kind is None:
        return None
    if is_array(kind):
        return array_kind(kind.ndim) if kind.unit_dims is not None else kind
    if kind.items:
        items = tuple(without_units(k) for k in kind.items)
        if items != kind.items:
            return Kind(kind.base, kind.ndim, items, kind.fields, kind.keys, kind.ident, kind.value)
    return kind


def fn_kind(value: Any) -> Kind:
    """The kind of a function passed as a value: the derivative is specialised to it."""
    return Kind("fn", ident=id(value), value=value)


def obj_kind(number: int) -> Kind:
    """The kind of the objects of the user class numbered ``number`` (analysis.statics)."""
    return Kind("obj", ident=number)


def is_function_kind(kind: Any) -> bool:
    return isinstance(kind, Kind) and kind.base == "fn"


def is_array(kind: Kind | None) -> bool:
    return kind is not None and kind.base == "array"


def ndim(kind: Kind | None) -> int | None:
    """The number of dimensions a kind implies, when known (0 for scalars)."""
    if kind == SCALAR:
        return 0
    return kind.ndim if is_array(kind) else None


def is_number(kind: Kind | None) -> bool:
    """A float, int, number-or-array or array: what arithmetic joins to ``numeric``."""
    return kind is not None and (kind.base in ("scalar", "int", "numeric") or is_array(kind))


def is_tuple(kind: Kind | None) -> bool:
    """A list or tuple of fixed length, its items known or not (``tuple``, ``tuple(...)``)."""
    return kind is not None and kind.base == "tuple"


def is_object_kind(kind: Any) -> bool:
    """The kind of an object of a user class (``obj:<k>``)."""
    return isinstance(kind, Kind) and kind.base == "obj"


def is_container(kind: Kind | None) -> bool:
    return kind is not None and kind.base in ("tuple", "list", "dict")


def is_dict(kind: Kind | None) -> bool:
    return kind is not None and kind.base == "dict"


def is_list(kind: Kind | None) -> bool:
    return kind is not None and kind.base == "list"


def maybe_container(kind: Kind | None) -> bool:
    """Could a value of this kind be a list or tuple? (Unknown kinds could.)"""
    return kind is None or is_container(kind)


_PLAIN_KEY = re.compile(r"[^,()\[\]:'\"\\=]*")


def key_text(key: Any) -> str | None:
    """How a dict key is written in a kind (None: a key kinds cannot spell,
    which makes the dict's kind unknown)."""
    if type(key) is int:
        return str(key)
    if type(key) is str and _PLAIN_KEY.fullmatch(key):
        return repr(key)
    return None


def dict_kind(entries: list[tuple[Any, Kind | None]]) -> Kind:
    """The kind of a dict with these (key, value kind) entries, in order."""
    if any(key_text(k) is None for k, _ in entries):
        return DICT
    return Kind("dict", keys=tuple(k for k, _ in entries), items=tuple(v for _, v in entries))


def dict_entries(kind: Kind | None) -> list[tuple[Any, Kind | None]] | None:
    """The (key, value kind) entries of a ``dict(...)`` kind, in order (None: unknown keys)."""
    if not is_dict(kind) or kind.keys is None:
        return None
    return list(zip(kind.keys, kind.items or ()))


def tuple_kind(items: list[Kind | None], fields: list[str] | None = None) -> Kind:
    """``tuple(k1,k2)``; with ``fields`` (a namedtuple's), ``tuple(W=k1,b=k2)``."""
    named = tuple(fields) if fields is not None and len(fields) == len(items) and items else None
    return Kind("tuple", items=tuple(items), fields=named)


def tuple_items(kind: Kind | None) -> list[Kind | None] | None:
    """The item kinds of a ``tuple(...)`` kind, else None."""
    if not is_tuple(kind) or kind.items is None:
        return None
    return list(kind.items)


def tuple_fields(kind: Kind | None) -> list[str] | None:
    """The field names of a namedtuple's ``tuple(W=...,b=...)`` kind, else None."""
    if not is_tuple(kind) or kind.fields is None:
        return None
    return list(kind.fields)


def list_kind(items: list[Kind | None]) -> Kind:
    """``list[k]`` with ``k`` the join of the items' kinds (``list[]``: no items)."""
    item: Kind | None = BOTTOM
    for k in items:
        item = join(item, k)
    return EMPTY_LIST if item is BOTTOM else Kind("list", items=(item,))


def list_item(kind: Kind | None) -> tuple[bool, Kind | None]:
    """(True, item kind) for a ``list[...]`` kind (item None: unknown or none seen)."""
    if not is_list(kind):
        return False, None
    return True, (kind.items[0] if kind.items else None)


def any_item(kind: Kind | None) -> Kind | None:
    """The kind every item of a container kind has (None: unknown); for a
    dict, every value."""
    if is_dict(kind) or tuple_items(kind) is not None:
        values = kind.items if kind.items is not None else ()
        out: Kind | None = BOTTOM
        for k in values:
            out = join(out, k)
        return None if out is BOTTOM or (is_dict(kind) and kind.keys is None) else out
    return list_item(kind)[1]


def as_list(kind: Kind | None) -> Kind:
    """A container kind as ``list[k]`` (any length, items joined)."""
    items = tuple_items(kind)
    if items is not None:
        return list_kind(items)
    if is_list(kind):
        return kind
    return TUPLE


def join(a: Kind | None, b: Kind | None) -> Kind | None:
    """What a name holds when it is defined as ``a`` in one place and ``b`` in another.

    >>> [str(join(parse_kind(x), parse_kind(y))) for x, y in
    ...  [("array1", "array2"), ("list[]", "tuple(scalar)"), ("dict('a':int)", "dict('a':scalar)")]]
    ['array', 'list[scalar]', "dict('a':numeric)"]
    """
    if a is BOTTOM:
        return b
    if b is BOTTOM or a == b:
        return a
    if a is None or b is None:
        return None
    if is_dict(a) or is_dict(b):
        return _join_dicts(a, b)
    if is_container(a) or is_container(b):
        return _join_sequences(a, b)
    if is_array(a) and is_array(b):
        return array_kind(a.ndim) if a.ndim == b.ndim else ARRAY  # broadcast patterns differ
    if is_number(a) and is_number(b):
        return NUMERIC
    return None


def _join_dicts(a: Kind, b: Kind) -> Kind | None:
    if not (is_dict(a) and is_dict(b)):
        return None
    da, db = dict_entries(a), dict_entries(b)
    if da is not None and db is not None and [k for k, _ in da] == [k for k, _ in db]:
        return dict_kind([(k, join(x, y)) for (k, x), (_, y) in zip(da, db)])
    return DICT


def _join_sequences(a: Kind, b: Kind) -> Kind | None:
    if not (is_container(a) and is_container(b)):
        return None
    ta, tb = tuple_items(a), tuple_items(b)
    if ta is not None and tb is not None and len(ta) == len(tb):
        fa = tuple_fields(a)
        return tuple_kind([join(x, y) for x, y in zip(ta, tb)], fa if fa == tuple_fields(b) else None)
    if (is_list(a) or ta is not None) and (is_list(b) or tb is not None):
        la, lb = as_list(a), as_list(b)
        if la == EMPTY_LIST or lb == EMPTY_LIST:
            return lb if la == EMPTY_LIST else la
        return Kind("list", items=(join(list_item(la)[1], list_item(lb)[1]),))
    return TUPLE


def nesting(kind: Kind | None) -> int:
    """How deeply containers nest in a kind (``list[tuple(scalar)]``: 2;
    ``tuple`` and ``dict`` of unknown items: 0)."""
    if not is_container(kind) or kind.items is None:
        return 0
    return 1 + max((nesting(k) for k in kind.items), default=0)


# ---------------------------------------------------------------- parsing

_ARRAY = re.compile(r"array([0-9]+)")
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_NAMED = {k.base: k for k in (SCALAR, INT, NUMERIC, COMPLEX, SHAPE, ARRAY, TUPLE, DICT)}


def parse_kind(text: str) -> Kind | None:
    """The kind ``text`` spells, as ``str`` writes it (``?``: None, unknown).

    >>> parse_kind("dict('W':array2,1:?)")
    Kind("dict('W':array2,1:?)")
    >>> parse_kind("tuple(")
    Traceback (most recent call last):
    ...
    ValueError: 'tuple(' is not a kind
    """
    try:
        return _parse(text)
    except (ValueError, IndexError, SyntaxError):
        raise ValueError(f"{text!r} is not a kind") from None


def as_kind(kind: Kind | str | None) -> Kind | None:
    """A kind given as a :class:`Kind`, None or its text (the boundary's)."""
    return parse_kind(kind) if isinstance(kind, str) else kind


def as_kinds(kinds: dict[str, Any]) -> dict[str, Any]:
    """Argument kinds with every text parsed (what the public API accepts)."""
    return {name: as_kind(k) for name, k in kinds.items()}


def _parse(text: str) -> Kind | None:
    if text == "?":
        return None
    if text in _NAMED:
        return _NAMED[text]
    m = _ARRAY.fullmatch(text)
    if m:
        return array_kind(int(m.group(1)))
    if text.startswith("obj:") and text[4:].isdigit():
        return obj_kind(int(text[4:]))
    if text.startswith("list[") and text.endswith("]"):
        inner = text[len("list[") : -1]
        return EMPTY_LIST if inner == "" else Kind("list", items=(_parse(inner),))
    if text.startswith("tuple(") and text.endswith(")"):
        return _parse_tuple(text[len("tuple(") : -1])
    if text.startswith("dict(") and text.endswith(")"):
        return _parse_dict(text[len("dict(") : -1])
    raise ValueError(text)


def _parse_tuple(inner: str) -> Kind:
    parts = _split(inner) if inner else []
    named = [_FIELD.match(p) for p in parts]
    items = [_parse(p[m.end() :] if m else p) for p, m in zip(parts, named)]
    fields = [m.group(1) for m in named] if parts and all(named) else None  # type: ignore[union-attr]
    return tuple_kind(items, fields)


def _parse_dict(inner: str) -> Kind:
    entries: list[tuple[Any, Kind | None]] = []
    for part in _split(inner) if inner else []:
        key, sep, value = part.partition(":")
        if not sep:
            raise ValueError(part)
        parsed = key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else int(key)
        if key_text(parsed) != key:
            raise ValueError(key)
        entries.append((parsed, _parse(value)))
    return dict_kind(entries)


def _split(inner: str) -> list[str]:
    """The parts of ``k1,k2,...`` at the commas outside brackets."""
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
