"""The derivative family built on forward mode: ``jvp``, ``jacobian``,
``hvp`` and ``hessian``.

* :func:`jvp` runs the forward-mode code (primal and tangent interleaved).
* :func:`jacobian` takes one ``jvp`` per input entry when the input is the
  smaller side, else one ``vjp`` per output entry.
* :func:`hvp` and :func:`hessian` are forward-over-reverse: forward mode
  applied to the *generated gradient* of ``f``, whose source s2sad reads like
  any other function (its runtime helpers and its tape have forward rules).

Like ``grad``, each builds its code once per kind signature of the arguments
(Python float, ndarray of a given ndim...) and caches it.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .api import vjp
from .arguments import Wrt, bind, check_wrt_value, resolve_wrt, shape_like
from .codegen.derivative import Derivative
from .errors import ArgumentError, OutputError, public
from .forward.generated import tangent_parameters
from .frontend.varargs import flatten
from .ir.kinds import SCALAR
from .lazy import refuse_lazy
from .pipeline import build_forward, kind_of_value
from .pytree import children, copy_arrays, is_node, leaves, rebuild, unflatten
from .specialize import derivative

_lock = threading.RLock()
_cache: dict[tuple, Any] = {}


# --------------------------------------------------------------- building
def _kinds(bound: inspect.BoundArguments) -> dict[str, str | None]:
    return {k: kind_of_value(v) for k, v in flatten(bound.signature, bound.arguments).items()}


def _key(kinds: dict[str, str | None]) -> tuple:
    return tuple(sorted(kinds.items(), key=lambda kv: kv[0]))


def forward_derivative(fn: Callable[..., Any], wrt: tuple[str, ...], bound: inspect.BoundArguments) -> Derivative:
    """The generated jvp of ``fn`` for these arguments' kinds (built once, cached)."""
    kinds = _kinds(bound)
    key = ("jvp", fn, getattr(fn, "__code__", None), wrt, _key(kinds))
    with _lock:
        hit = _cache.get(key)
        if hit is None or not hit.valid():
            hit = _cache[key] = build_forward(fn, wrt, kinds)
    return hit


def hvp_derivative(fn: Callable[..., Any], wrt: tuple[str, ...], bound: inspect.BoundArguments) -> Derivative:
    """Forward mode over ``fn``'s generated gradient: ``dfn_jvp(args..., seed,
    <wrt>_dot...) -> ((value, grads), (value_dot, grads_dot))``."""
    grad = derivative(fn, wrt, bound, "grad")
    kinds = _kinds(bound)
    kinds[_seed_name(grad)] = SCALAR
    key = ("hvp", id(grad), wrt, _key(kinds))
    with _lock:
        hit = _cache.get(key)
        if hit is None or hit[0] is not grad:
            hit = _cache[key] = (grad, build_forward(grad, wrt, kinds))  # holds grad: its id stays unique
    return hit[1]


def _by_name(d: Derivative, tangents: list[Any]) -> dict[str, Any]:
    """Tangents as keyword arguments of the generated jvp ``d``."""
    return dict(zip(tangent_parameters(d, len(tangents)), tangents))


def _seed_name(d: Derivative) -> str:
    seed = getattr(d, "seed", None)
    if seed:
        return seed
    return list(inspect.signature(d.fn).parameters)[-1]


# ------------------------------------------------------------- arguments
def _primal_args(fn: Callable[..., Any], wrt: tuple[str, ...], args: tuple) -> inspect.BoundArguments:
    bound = bind(fn, args, {})
    refuse_lazy(bound.arguments.values(), "jvp, jacobian, hvp and hessian")
    for w in wrt:
        value = bound.arguments[w]
        check_wrt_value(fn.__name__, w, value)
    return bound


def _tangent_for(fn_name: str, w: str, x: Any, t: Any) -> Any:
    """Check a tangent (direction) against its argument and give it the argument's type."""
    if type(x) is dict:
        if type(t) is not dict or set(t) != set(x):  # the same keys, in any order (as in JAX)
            raise ArgumentError(f"the tangent for {w!r} of {fn_name} must be a dict with the keys {list(x)}, like {w!r}")
        return {k: _tangent_for(fn_name, w, xi, t[k]) for k, xi in x.items()}
    if isinstance(x, (tuple, list)):
        if not isinstance(t, (tuple, list)) or len(t) != len(x):
            raise ArgumentError(f"the tangent for {w!r} of {fn_name} must be a sequence of {len(x)} items, like {w!r}")
        return rebuild(x, [_tangent_for(fn_name, w, xi, ti) for xi, ti in zip(x, t)])
    if isinstance(x, np.ndarray):
        t = np.asarray(t, dtype=np.result_type(x.dtype, float))
        if t.shape != x.shape:
            raise ArgumentError(f"the tangent for {w!r} of {fn_name} has shape {t.shape}; {w!r} has shape {x.shape}")
        return t
    if np.ndim(t) != 0:
        raise ArgumentError(f"the tangent for {w!r} of {fn_name} must be a number, like {w!r}")
    return float(t) if x.__class__ is float else t


def _like(t: Any, value: Any) -> Any:
    """Give a tangent its primal's type and shape (a float for a float)."""
    if type(value) is dict:
        return {k: _like(t[k] if type(t) is dict else t, v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        items = t if isinstance(t, (tuple, list)) else [t] * len(value)
        return rebuild(value, [_like(ti, vi) for ti, vi in zip(items, value)])
    if value.__class__ is float:
        return float(t)
    if isinstance(value, np.ndarray) and np.shape(t) != value.shape:
        return np.zeros(value.shape, dtype=np.result_type(value.dtype, float)) + t
    return t


def _unit(x: Any, j: int) -> Any:
    """The ``j``-th unit direction in the space of ``x`` (a pytree: its
    leaves' entries, in order)."""
    if is_node(x):
        out, start = [], 0
        for leaf in leaves(x):
            n = int(np.size(leaf))
            out.append(_unit(leaf, j - start) if start <= j < start + n else _zero(leaf))
            start += n
        return unflatten(x, out)
    if isinstance(x, np.ndarray):
        e = np.zeros(x.shape, dtype=np.result_type(x.dtype, float))
        e.flat[j] = 1.0
        return e
    return 1.0


def _zero(x: Any) -> Any:
    if is_node(x):
        return unflatten(x, [_zero(leaf) for leaf in leaves(x)])
    return np.zeros(x.shape, dtype=np.result_type(x.dtype, float)) if isinstance(x, np.ndarray) else 0.0


def _size(x: Any) -> int:
    if is_node(x):
        return sum(_size(c) for c in children(x))
    return int(np.size(x))


def _per_leaf(x: Any, flat: list[Any], out_shape: tuple) -> Any:
    """Derivatives along every entry of ``x``'s leaves (``flat``, one per
    entry, in order; each shaped ``out_shape``), assembled leaf by leaf into
    ``x``'s structure: a leaf's block has shape ``out_shape + leaf.shape``."""
    blocks, start = [], 0
    for leaf in leaves(x):
        n = int(np.size(leaf))
        blocks.append(_assemble(flat[start : start + n], out_shape, np.shape(leaf)))
        start += n
    return unflatten(x, blocks)


def _assemble(columns: list[Any], out_shape: tuple, in_shape: tuple) -> Any:
    """Stack derivative columns (one per input entry) into ``out_shape + in_shape``."""
    if not out_shape and not in_shape:
        return float(columns[0]) if isinstance(columns[0], (float, np.floating)) else columns[0]
    stacked = np.stack([np.asarray(c, dtype=float) for c in columns], axis=-1)
    return stacked.reshape(out_shape + in_shape)


# ---------------------------------------------------------------- the API
@public
def jvp(fn: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """Jacobian-vector product by forward mode: ``jvp(f)(*args, tangents)
    -> (value, tangent_out)``.

    ``tangents`` is the direction: one float or array per ``wrt`` argument,
    shaped like it (a tuple of them when ``wrt`` is a tuple). The tangent out
    is the directional derivative of ``f``'s value, shaped like the value.

    >>> import numpy as np, s2sad.derivatives as d
    >>> def f(x, y):
    ...     return np.sin(x) * y
    >>> value, tangent = d.jvp(f)(0.0, 3.0, 1.0)
    >>> float(value), float(tangent)
    (0.0, 3.0)
    >>> value, tangent = d.jvp(f, wrt=(0, 1))(0.0, 3.0, (1.0, 1.0))
    >>> float(tangent)
    3.0
    """
    names, single = resolve_wrt(fn, wrt)

    @public
    def run(*args: Any) -> tuple[Any, Any]:
        if not args:
            raise ArgumentError("jvp(f) is called with f's arguments followed by the tangents")
        bound = _primal_args(fn, names, args[:-1])
        directions = (args[-1],) if single else tuple(args[-1])
        if len(directions) != len(names):
            raise ArgumentError(f"jvp of {fn.__name__} needs {len(names)} tangents (one per wrt argument)")
        tangents = [_tangent_for(fn.__name__, w, bound.arguments[w], t) for w, t in zip(names, directions)]
        d = forward_derivative(fn, names, bound)
        value, tangent = d.fn(*bound.args, **bound.kwargs, **_by_name(d, tangents))
        return value, _like(tangent, value)

    run.__doc__ = f"Jacobian-vector product of {fn.__name__}: (*args, tangents) -> (value, tangent)."
    run.wrt = names  # type: ignore[attr-defined]
    return run


@public
def jacobian(fn: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """The Jacobian of ``f``: ``jacobian(f)(*args)`` has shape
    ``out.shape + x.shape`` (a tuple of those when ``wrt`` is a tuple).

    Forward mode (one jvp per entry of ``x``) when ``x`` has fewer entries
    than the output, else reverse mode (one vjp per entry of the output).

    >>> import numpy as np, s2sad.derivatives as d
    >>> def f(x):
    ...     return np.array([x[0] * x[1], np.sin(x[0])])
    >>> d.jacobian(f)(np.array([0.0, 2.0])).tolist()
    [[2.0, 0.0], [1.0, 0.0]]
    """
    names, single = resolve_wrt(fn, wrt)

    @public
    def run(*args: Any) -> Any:
        bound = _primal_args(fn, names, args)
        # the output's shape, from a call on copies: a function writing into an argument changes only them
        value = fn(*copy_arrays(bound.args), **copy_arrays(bound.kwargs))
        jacs = tuple(_jacobian_one(fn, w, bound, value) for w in names)
        return jacs[0] if single else jacs

    run.__doc__ = f"Jacobian of {fn.__name__}."
    return run


def _jacobian_one(fn: Callable[..., Any], w: str, bound: inspect.BoundArguments, value: Any) -> Any:
    x = bound.arguments[w]
    if is_node(value):
        raise OutputError(
            f"{fn.__name__} returns a {type(value).__name__}; jacobian needs one array or float output",
            hint="take the jacobian of a function that returns one of the items",
        )
    n_in, n_out = _size(x), _size(value)
    in_shape, out_shape = np.shape(x) if not is_node(x) else (), np.shape(value)
    if n_in < n_out:
        d = forward_derivative(fn, (w,), bound)
        columns = [d.fn(*bound.args, **bound.kwargs, **_by_name(d, [_unit(x, j)]))[1] for j in range(n_in)]
        columns = [_like(c, value) for c in columns]
        if is_node(x):  # a pytree argument: a pytree of Jacobian blocks, one per leaf
            return _per_leaf(x, columns, out_shape)
        return _assemble(columns, out_shape, in_shape)
    back = vjp(fn, wrt=w)
    rows = [back(*bound.args, _unit(np.asarray(value) if out_shape else value, i))[1] for i in range(n_out)]
    if not out_shape:
        return rows[0]
    if is_node(x):
        parts = [leaves(r) for r in rows]
        return unflatten(x, [
            np.stack([np.asarray(p[k], dtype=float) for p in parts], axis=0).reshape(out_shape + np.shape(leaf))
            for k, leaf in enumerate(leaves(x))
        ])  # fmt: skip
    stacked = np.stack([np.asarray(r, dtype=float) for r in rows], axis=0)
    return stacked.reshape(out_shape + in_shape)


def _hvp_columns(fn: Callable[..., Any], names: tuple[str, ...], bound: inspect.BoundArguments, directions: list[Any]):
    d = hvp_derivative(fn, names, bound)
    (value, _), (_, grads_dot) = d.fn(*bound.args, 1.0, **bound.kwargs, **_by_name(d, directions))
    if np.ndim(value) != 0:
        raise OutputError(
            f"{fn.__name__} returns a value of shape {np.shape(value)}; hvp and hessian need a scalar output",
            hint="use s2sad.jacobian for non-scalar outputs",
        )
    parts = (grads_dot,) if len(names) == 1 else tuple(grads_dot)
    return tuple(shape_like(_like(p, bound.arguments[w]), bound.arguments[w]) for p, w in zip(parts, names))


@public
def hvp(fn: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """Hessian-vector product by forward-over-reverse: ``hvp(f)(*args, v)``
    is the derivative of ``grad(f)`` along ``v``, shaped like the gradient.

    ``v`` has the shape of the ``wrt`` argument (a tuple of them when
    ``wrt`` is a tuple). ``f`` must return a scalar.

    >>> import numpy as np, s2sad.derivatives as d
    >>> def f(x):
    ...     return np.sum(x ** 3)
    >>> d.hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 0.0])).tolist()
    [6.0, 0.0]
    """
    names, single = resolve_wrt(fn, wrt)

    @public
    def run(*args: Any) -> Any:
        if not args:
            raise ArgumentError("hvp(f) is called with f's arguments followed by the vector")
        bound = _primal_args(fn, names, args[:-1])
        vs = (args[-1],) if single else tuple(args[-1])
        if len(vs) != len(names):
            raise ArgumentError(f"hvp of {fn.__name__} needs {len(names)} vectors (one per wrt argument)")
        directions = [_tangent_for(fn.__name__, w, bound.arguments[w], v) for w, v in zip(names, vs)]
        out = _hvp_columns(fn, names, bound, directions)
        return out[0] if single else out

    run.__doc__ = f"Hessian-vector product of {fn.__name__}: (*args, v) -> H @ v."
    return run


def _hessian_block(columns: list[Any], xa: Any, xb: Any) -> Any:
    """The block of second derivatives of ``xa`` (rows) and ``xb`` (one
    column per entry of its leaves): for pytrees, a pytree shaped like
    ``xa`` of pytrees shaped like ``xb`` of arrays ``la.shape + lb.shape``."""
    if not is_node(xa) and not is_node(xb):
        return _assemble(columns, np.shape(xa), np.shape(xb))
    per_a = [leaves(c) for c in columns]  # per column, xa's leaves
    rows = []
    for k, la in enumerate(leaves(xa)):
        rows.append(_per_leaf(xb, [p[k] for p in per_a], np.shape(la)) if is_node(xb)
                    else _assemble([p[k] for p in per_a], np.shape(la), np.shape(xb)))
    return unflatten(xa, rows)


@public
def hessian(fn: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """The Hessian of a scalar ``f`` by forward-over-reverse (one Hessian-vector
    product per entry of the input): shape ``x.shape + x.shape``; for a tuple
    ``wrt``, a tuple of tuples of blocks ``H[a][b]`` of shape
    ``x_a.shape + x_b.shape``.

    >>> import numpy as np, s2sad.derivatives as d
    >>> def f(x, y):
    ...     return x * x * y
    >>> d.hessian(f)(3.0, 2.0)
    4.0
    >>> d.hessian(f, wrt=(0, 1))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    names, single = resolve_wrt(fn, wrt)

    @public
    def run(*args: Any) -> Any:
        bound = _primal_args(fn, names, args)
        xs = [bound.arguments[w] for w in names]
        blocks: list[list[Any]] = [[None] * len(names) for _ in names]
        for b, xb in enumerate(xs):
            columns = []
            for j in range(_size(xb)):
                directions = [_unit(x, j) if k == b else _zero(x) for k, x in enumerate(xs)]
                columns.append(_hvp_columns(fn, names, bound, directions))
            for a, xa in enumerate(xs):
                blocks[a][b] = _hessian_block([c[a] for c in columns], xa, xb)
        if single:
            return blocks[0][0]
        return tuple(tuple(row) for row in blocks)

    run.__doc__ = f"Hessian of {fn.__name__}."
    return run
