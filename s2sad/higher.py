"""Derivatives of derivatives: ``grad(grad(f))`` to any order.

The first derivative is s2sad's generated gradient (reverse mode); each
further one is forward mode applied to the code of the previous one: the
generated code uses only constructs s2sad differentiates, so the same
machinery applies again. Every level but the last must be a scalar (the
gradient with respect to one float argument); the last may be with respect to
any arguments (one forward pass per entry of an array).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .arguments import resolve_wrt
from .codegen.derivative import Derivative
from .errors import ArgumentError, OutputError, public
from .forward.generated import tangent_parameters
from .frontend.varargs import flatten
from .ir.kinds import SCALAR
from .lazy import refuse_lazy
from .pipeline import build_forward, kind_of_value
from .specialize import derivative

_lock = threading.RLock()
_cache: dict[tuple, list[Derivative]] = {}


class Higher:
    """``grad(inner, wrt)`` where ``inner`` is itself a derivative s2sad made.

    >>> import s2sad
    >>> def f(x):
    ...     return x ** 4
    >>> d3 = s2sad.grad(s2sad.grad(s2sad.grad(f)))
    >>> d3(2.0)
    48.0
    """

    def __init__(self, base: Callable[..., Any], chain: list[tuple[str, ...]], single: bool):
        self.fn = base
        self.chain = chain  # wrt names of each level, the first the gradient's
        self.single = single
        self.__name__ = f"d{len(chain)}_{getattr(base, '__name__', 'f')}"
        self.__doc__ = f"Derivative of order {len(chain)} of {getattr(base, '__name__', 'f')}."

    @public
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        refuse_lazy(bound.arguments.values(), "grad of a gradient")
        for level in self.chain[:-1]:
            if len(level) != 1 or kind_of_value(bound.arguments[level[0]]) != SCALAR:
                raise OutputError(
                    f"the derivative of {self.fn.__name__} w.r.t. {', '.join(level)} is not a scalar, so it has no "
                    "gradient",
                    hint="differentiate again only derivatives w.r.t. one float argument; "
                    "use s2sad.hessian or s2sad.jacobian for arrays",
                )
        chain = self._derivatives(bound)
        last = chain[-1]
        outer = self.chain[-1]
        fixed = flatten(bound.signature, bound.arguments)  # *args as args_0, ... (frontend.varargs)
        seed = chain[0].seed
        fixed[seed] = 1.0
        for d in chain[1:-1]:
            fixed[tangent_parameters(d, 1)[0]] = 1.0
        names = tangent_parameters(last, len(outer))
        grads = []
        for w in outer:
            x = bound.arguments[w]
            entries = []
            for j in range(int(np.size(x))):
                tangents = {n: _unit(bound.arguments[v], j) if v == w else _zero(bound.arguments[v])
                            for n, v in zip(names, outer)}  # fmt: skip
                out = last.fn(**fixed, **tangents)
                for _ in range(len(self.chain)):
                    out = out[1]
                if np.ndim(out) != 0:
                    raise OutputError(f"the derivative of {self.fn.__name__} is not a scalar, so it has no gradient")
                entries.append(out)
            grads.append(float(entries[0]) if np.ndim(x) == 0 else np.reshape(np.array(entries, dtype=float), np.shape(x)))
        return grads[0] if self.single else tuple(grads)

    def _derivatives(self, bound: inspect.BoundArguments) -> list[Derivative]:
        kinds = {k: kind_of_value(v) for k, v in flatten(bound.signature, bound.arguments).items()}
        key = (self.fn, getattr(self.fn, "__code__", None), tuple(self.chain), tuple(sorted(kinds.items())))
        with _lock:
            hit = _cache.get(key)
            if hit is None or not all(d.valid() for d in hit):
                chain = [derivative(self.fn, self.chain[0], bound, "grad")]
                kinds[chain[0].seed] = SCALAR
                for level in self.chain[1:]:
                    d = build_forward(chain[-1], level, dict(kinds))
                    for n, w in zip(tangent_parameters(d, len(level)), level):
                        kinds[n] = kinds[w]
                    chain.append(d)
                hit = _cache[key] = chain
        return hit


def _unit(x: Any, j: int) -> Any:
    if np.ndim(x) == 0:
        return 1.0
    e = np.zeros(np.shape(x))
    e.flat[j] = 1.0
    return e


def _zero(x: Any) -> Any:
    return 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x))


def nest(inner: Any, wrt: Any) -> Higher:
    """``grad(inner, wrt)`` for a derivative ``inner`` made by s2sad."""
    names, single = resolve_wrt(inner.fn, wrt)
    if getattr(inner, "mode", "grad") != "grad":
        raise ArgumentError("grad of a value_and_grad or vjp: differentiate s2sad.grad(f) instead")
    chain = list(inner.chain) if isinstance(inner, Higher) else [inner.wrt]
    return Higher(inner.fn, chain + [names], single)
