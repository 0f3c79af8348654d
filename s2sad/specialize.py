"""A function's generated derivative, specialised to the kinds of its
arguments (Python float, ndarray of a given ndim, dict of ...): built once per
kind signature and cached, for ``grad`` and for the derivatives built on it
(``hvp``, ``grad(grad(f))``).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from .codegen.derivative import Derivative
from .frontend.varargs import flatten
from .pipeline import build_reverse, kind_of_value

_lock = threading.RLock()
_cache: dict[tuple, Derivative] = {}


def derivative(
    fn: Callable[..., Any],
    wrt: tuple[str, ...],
    bound: inspect.BoundArguments,
    mode: str,
    check_finite: bool = False,
    has_aux: bool = False,
    gradient_only: bool = False,
) -> Derivative:
    """The generated derivative for these arguments' kinds (built once, cached).
    With ``gradient_only`` (``grad``), the adjoints-only form where the kinds
    prove the output is 0-d (``d.gradient_only`` says whether it was built)."""
    kinds = {k: kind_of_value(v) for k, v in flatten(fn, bound.arguments).items()}
    key = (fn, getattr(fn, "__code__", None), wrt, mode, check_finite, has_aux, gradient_only,
           tuple(sorted(kinds.items())))
    with _lock:
        hit = _cache.get(key)
        if hit is None or not hit.valid():
            hit = build_reverse(fn, wrt, kinds, check_finite=check_finite, has_aux=has_aux,
                                gradient_only=gradient_only)
            _cache[key] = hit
    return hit
