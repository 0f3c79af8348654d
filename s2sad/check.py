"""Numerical gradient checking: does the generated gradient agree with differences of ``f``?

:func:`check_grad` compares s2sad's gradient with central differences
``(f(θ+εe_i) − f(θ−εe_i)) / 2ε`` entry by entry, and with the random-direction
test ``δᵀ∇f(θ) ≈ (f(θ+εδ) − f(θ−εδ)) / 2ε``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .api import grad
from .arguments import Wrt, bind, resolve_wrt
from .errors import public
from .pytree import children, copy_arrays, is_node, labels, num_entries, ravel, unravel


def numerical_grad(f: Callable[[Any], float], x: Any, eps: float = 1e-6, max_entries: int | None = None,
                   rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of scalar ``f`` at ``x``; returns (indices, values)."""
    arr = ravel(x) if is_node(x) else np.array(x, dtype=float)
    flat = arr.reshape(-1)
    idx = np.arange(flat.size)
    if max_entries is not None and flat.size > max_entries:
        rng = rng or np.random.default_rng(0)
        idx = np.sort(rng.choice(flat.size, max_entries, replace=False))
    out = np.empty(len(idx))
    for k, i in enumerate(idx):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += eps
        minus[i] -= eps
        out[k] = (f(unravel(plus.reshape(arr.shape), x)) - f(unravel(minus.reshape(arr.shape), x))) / (2 * eps)
    return idx, out


def _same_structure(g: Any, x: Any) -> bool:
    if type(x) is dict:
        return type(g) is dict and list(g) == list(x) and all(_same_structure(g[k], x[k]) for k in x)
    if isinstance(x, (tuple, list)):
        return isinstance(g, (tuple, list)) and len(g) == len(x) and all(map(_same_structure, g, x))
    return not isinstance(g, (tuple, list)) and np.shape(g) == np.shape(x)


def _entry(x: Any, i: int) -> Any:
    """Where flat entry ``i`` of ``x``'s leaves is: an index, or a path of item numbers (or keys) then an index."""
    if is_node(x):
        for k, item in zip(labels(x), children(x)):
            n = num_entries(item)
            if i < n:
                return (k, *_entry(item, i))
            i -= n
    return tuple(int(j) for j in np.unravel_index(i, np.shape(x))) if np.ndim(x) else ()


def _shape_text(x: Any) -> str:
    if type(x) is dict:
        return "a dict of " + ", ".join(f"{k!r}: {_shape_text(v)}" for k, v in x.items()) if x else "an empty dict"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of " + ", ".join(_shape_text(e) for e in x) if x else f"an empty {type(x).__name__}"
    return f"of shape {np.shape(x)}"


@public
def check_grad(
    f: Callable[..., Any],
    *args: Any,
    wrt: Wrt = 0,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    max_entries: int = 200,
    **kwargs: Any,
) -> None:
    """Assert that s2sad's gradient of ``f`` at ``args`` matches numerical differences.

    Raises ``AssertionError`` naming the argument and entry that disagree.
    ``f`` is evaluated on copies of the arguments (a function writing into
    one changes only the copy).

    >>> import numpy as np, s2sad
    >>> def f(x):
    ...     return np.sum(np.sin(x) * x)
    >>> s2sad.check_grad(f, np.linspace(0.1, 1.0, 5))
    """
    names, single = resolve_wrt(f, wrt)
    grads = grad(f, wrt=names)(*args, **kwargs)
    rng = np.random.default_rng(seed)
    bound = bind(f, args, kwargs)
    base = dict(bound.arguments)

    def call(arguments: dict[str, Any]) -> float:  # positional and keyword as bound: *args, **kw too
        again = inspect.BoundArguments(bound.signature, {k: copy_arrays(v) for k, v in arguments.items()})  # type: ignore[arg-type]
        return float(f(*again.args, **again.kwargs))

    def call_with(w: str, value: Any) -> float:
        changed = dict(base)
        changed[w] = value
        return call(changed)

    direction_lhs = 0.0
    deltas: dict[str, Any] = {}
    for w, g in zip(names, grads):
        x = base[w]
        if not _same_structure(g, x):
            raise AssertionError(f"gradient w.r.t. {w!r} is {_shape_text(g)}, the argument {_shape_text(x)}")
        idx, num = numerical_grad(lambda v, w=w: call_with(w, v), x, eps, max_entries, rng)
        ours = ravel(g)[idx]
        bad = ~np.isclose(ours, num, rtol=rtol, atol=atol * max(1.0, float(np.max(np.abs(num), initial=0.0))))
        if np.any(bad):
            k = int(np.argmax(bad))
            entry = _entry(x, int(idx[k]))
            raise AssertionError(
                f"gradient w.r.t. {w!r} disagrees with central differences at entry {entry}: "
                f"s2sad {ours[k]!r}, numerical {num[k]!r} (difference {abs(ours[k] - num[k]):.3g}; "
                f"{int(bad.sum())} of {len(idx)} entries checked disagree)"
            )
        delta = rng.standard_normal(ravel(x).shape)
        delta = delta / max(np.linalg.norm(delta), 1e-12)
        deltas[w] = delta
        direction_lhs += float(np.sum(delta * ravel(g)))
    plus, minus = dict(base), dict(base)
    for w, d in deltas.items():
        x = base[w]
        plus[w] = unravel(ravel(x) + eps * d, x)
        minus[w] = unravel(ravel(x) - eps * d, x)
    rhs = (call(plus) - call(minus)) / (2 * eps)
    if not np.isclose(direction_lhs, rhs, rtol=rtol * 10, atol=atol * 10 * max(1.0, abs(rhs))):
        raise AssertionError(
            f"random-direction test failed for {', '.join(names)}: δᵀ∇f = {direction_lhs!r}, "
            f"(f(θ+εδ) − f(θ−εδ))/2ε = {rhs!r}"
        )
