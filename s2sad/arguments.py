"""A derivative's arguments: which ones ``wrt`` names, how a call binds to
them, which may be differentiated, and the shape a gradient is given back in.

Shared by every entry point (``grad``, ``jvp``, ``hessian``, ``check_grad``,
``source``, ``graph``, ``export``), so each refuses a bad ``wrt`` or argument
with the same message.

>>> def f(x, y, scale=2.0):
...     return x * y * scale
>>> resolve_wrt(f, (1, "x"))
(('y', 'x'), False)
>>> assumed_kinds(f)
{'x': Kind('scalar'), 'y': Kind('scalar'), 'scale': Kind('scalar')}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import ArgumentError, S2SADError
from .ir.kinds import ARRAY, INT, SCALAR, Kind, is_array, is_dict, list_item, parse_kind, tuple_items
from .pipeline import kind_of_value

Wrt = int | str | Sequence[int | str]


def param_names(fn: Callable[..., Any]) -> list[str]:
    """``fn``'s positional parameters, the ones ``wrt`` may name by position."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the signature of {fn!r}") from None
    return [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def resolve_wrt(fn: Callable[..., Any], wrt: Wrt) -> tuple[tuple[str, ...], bool]:
    """Names of the ``wrt`` arguments, and whether one gradient (not a tuple) is asked."""
    params = param_names(fn)
    single = isinstance(wrt, (int, str))
    items = [wrt] if single else list(wrt)  # type: ignore[list-item]
    if not items:
        raise ArgumentError("wrt is empty: name at least one argument to differentiate with respect to")
    names = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise ArgumentError(f"wrt must be an argument position or name, not {w!r}")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                has = (
                    f"{len(params)} positional arguments ({', '.join(params)})" if params else "no positional arguments"
                )
                raise ArgumentError(f"wrt={w}: {fn.__name__} has {has}")
            names.append(params[w])
        else:
            if w not in params:
                raise ArgumentError(f"wrt={w!r}: {fn.__name__} has no argument {w!r} (it has {', '.join(params)})")
            names.append(w)
    return tuple(names), single


def bind(fn: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    """``fn``'s parameters bound to a call's arguments, defaults applied; a bad call is an ArgumentError."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"bad call of the derivative of {fn.__name__}: {exc}") from None
    bound.apply_defaults()
    return bound


def check_wrt_value(fn_name: str, w: str, value: Any, path: str = "") -> None:
    """Refuse a ``wrt`` argument (or, at ``path`` inside a pytree argument, a
    leaf) that has no gradient, with a hint that fits what it is."""
    kind = kind_of_value(value)
    if kind == SCALAR:
        return
    if isinstance(value, (tuple, list)) and value:
        for k, item in enumerate(value):  # a tuple of floats and arrays: its gradient is a tuple alike
            check_wrt_value(fn_name, w, item, f"{path}[{k}]")
        return
    if type(value) is dict and value:
        if is_dict(kind) and kind.keys is not None:
            for k, item in value.items():  # a dict of floats and arrays: its gradient is a dict, same keys
                check_wrt_value(fn_name, w, item, f"{path}[{k!r}]")
            return
        raise ArgumentError(
            f"cannot differentiate {fn_name} with respect to {w!r}{path}: a dict whose keys are not all strings "
            "or ints (or are strings with one of , ( ) [ ] : = or a quote)",
            hint="key the dict by plain strings or ints",
        )
    if is_array(kind) and np.issubdtype(value.dtype, np.inexact):
        return
    what = type(value).__name__
    if isinstance(value, np.ndarray):
        what = f"an array of dtype {value.dtype}"
    if isinstance(value, (int, np.integer, bool, np.bool_)) or (
        isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.inexact)
    ):
        hint = "pass a float or a float array (e.g. 3.0 rather than 3, or x.astype(float))"
    else:
        hint = (
            "pass a float, a float array, or a dict, list, tuple or namedtuple of them (nested); "
            "an empty container has no gradient"
        )
    where = f"{w!r}" if not path else f"{w!r}: its item {w}{path}"
    raise ArgumentError(
        f"cannot differentiate {fn_name} with respect to {where} is {what}"
        if path
        else f"cannot differentiate {fn_name} with respect to {where}: it is {what}",
        hint=hint,
    )


def shape_like(g: Any, x: Any) -> Any:
    """Give the adjoint the argument's type: a float for a float."""
    if x.__class__ is float:
        return float(g)
    if isinstance(x, dict):  # a dict's gradient: a dict with its keys (JAX's convention)
        return {k: shape_like(g[k], v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):  # a namedtuple's: the same namedtuple type
        return type(x)(*map(shape_like, g, x))
    if isinstance(x, (tuple, list)):
        return type(x)(map(shape_like, g, x))
    if isinstance(x, np.ndarray) and not isinstance(g, np.ndarray):
        g = np.full(x.shape, g, dtype=x.dtype)  # a 0-d array argument gets a 0-d array gradient
    if isinstance(x, np.ndarray) and getattr(g, "dtype", x.dtype) != x.dtype and x.dtype.kind in "fc":
        g = np.asarray(g).astype(x.dtype)
    if isinstance(x, np.ndarray) and np.shape(g) != x.shape:
        if np.ndim(g) != 0:
            raise S2SADError(f"internal error: adjoint of shape {np.shape(g)} for an argument of shape {x.shape}")
        g = np.full(x.shape, g, dtype=np.result_type(x.dtype, float))
    return g


KIND_NAMES = "scalar, array, arrayN (an array of N dimensions, e.g. array2), int, list[KIND], any"


def _is_kind(text: str | None) -> bool:
    """Is ``text`` a kind a user may give: scalar, int, array(N), ? (any), or
    a tuple or list of these?"""
    if text is None:
        return True
    try:
        return _user_kind(parse_kind(text))
    except ValueError:
        return False


def _user_kind(kind: Kind | None) -> bool:
    if kind is None or kind in (SCALAR, INT) or is_array(kind):
        return True
    items = tuple_items(kind)
    if items is not None:
        return all(map(_user_kind, items))
    is_list, item = list_item(kind)
    return is_list and _user_kind(item)


def check_kinds(fn: Callable[..., Any], kinds: dict[str, str | None]) -> None:
    """Refuse ``kinds`` naming an argument ``fn`` does not have, or a kind
    s2sad does not know: either would silently leave the code unspecialised."""
    params = list(inspect.signature(fn).parameters)
    for name, kind in kinds.items():
        if name not in params:
            raise ArgumentError(
                f"kinds {name}={kind or 'any'}: {fn.__name__} has no argument {name!r} "
                f"(its arguments: {', '.join(params) or 'none'}; kinds: {KIND_NAMES})"
            )
        if not _is_kind(kind):
            raise ArgumentError(
                f"kinds {name}={kind}: {kind!r} is not a kind; use one of {KIND_NAMES} "
                f"(arguments of {fn.__name__}: {', '.join(params)})"
            )


def assumed_kinds(fn: Callable[..., Any]) -> dict[str, Kind | None]:
    """The kinds ``source``, ``graph`` and ``export`` specialise to when given
    no arguments: a default's kind, ``array`` for an ``np.ndarray`` annotation,
    ``int`` for ``int``, else ``scalar``."""
    out: dict[str, Kind | None] = {}
    for p in inspect.signature(fn).parameters.values():
        ann = p.annotation
        text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
        if p.default is not p.empty:
            out[p.name] = kind_of_value(p.default)
        elif "ndarray" in str(text) or "Array" in str(text):
            out[p.name] = ARRAY
        elif ann in (int, "int"):
            out[p.name] = INT
        else:
            out[p.name] = SCALAR
    return out
