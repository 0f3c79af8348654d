"""Lazy arrays (Dask): recognised by duck type, never imported here.

Generated code calls NumPy functions, and NumPy hands a call on a dask array
to dask (``__array_ufunc__``, ``__array_function__``), so a derivative run on
dask arguments builds a task graph chunk by chunk instead of computing. Some
things cannot stay lazy: a branch or ``bool()`` on a value computed from a
dask array, ``float()``, ``.item()``, ``np.asarray``, a NumPy function dask
does not implement (dask computes its arguments and calls NumPy), a runtime
helper that needs the values (e.g. to resolve repeated indices of a write).
Rather than list them, :func:`no_compute` runs the derivative with a dask
scheduler that refuses to compute on the calling thread: whatever would
compute a value raises :class:`~s2sad.errors.LazyArrayError` instead, before
any chunk is computed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .errors import ArgumentError, LazyArrayError, S2SADError
from .runtime import is_lazy

__all__ = ["is_lazy", "has_lazy", "check_lazy_argument", "refuse_lazy", "like_lazy", "no_compute"]




def has_lazy(values: Any) -> bool:
    """Does any of ``values`` (looking into lists, tuples and dicts) hold a dask collection?"""
    for v in values:
        if is_lazy(v):
            return True
        if isinstance(v, (list, tuple)) and has_lazy(v):
            return True
        if isinstance(v, dict) and has_lazy(v.values()):
            return True
    return False


def refuse_lazy(values: Any, what: str) -> None:
    """Refuse dask arguments where s2sad does not run derivatives on them:
    forward mode and the derivatives built on it loop over entries or
    combine tangents with NumPy, which would compute them eagerly."""
    if has_lazy(values):
        raise ArgumentError(
            f"s2sad.{what} does not run on dask arrays; grad, value_and_grad and vjp do (lazily)",
            hint="use s2sad.grad / s2sad.vjp, or pass NumPy arrays (x.compute())",
        )


def check_lazy_argument(name: str, value: Any) -> None:
    """Refuse a dask argument s2sad cannot specialise to: one that is not an
    array, or whose chunk sizes are unknown (its shape holds nan, so shapes
    would compare unequal and sizes divide as nan)."""
    if not (hasattr(value, "ndim") and hasattr(value, "dtype") and hasattr(value, "chunks")):
        raise ArgumentError(
            f"argument {name!r} is a {type(value).__name__}; s2sad differentiates dask arrays, not other "
            "dask collections",
            hint="pass a dask array (e.g. ddf.to_dask_array(lengths=True))",
        )
    if any(isinstance(n, float) and math.isnan(n) for n in value.shape):
        raise ArgumentError(
            f"argument {name!r} is a dask array of unknown chunk sizes (shape {value.shape})",
            hint=f"call {name}.compute_chunk_sizes() first, or build it with known chunks",
        )


def like_lazy(g: Any, x: Any) -> Any:
    """The adjoint ``g`` of argument ``x`` in a call with dask arguments, as a
    dask array: with ``x``'s shape and dtype, and for a dask ``x`` its chunks
    (an adjoint that does not depend on dask data, e.g. of ``np.sum(A * x)``
    with a NumPy ``A``, comes out of the generated code as NumPy). Nothing is
    computed: the adjoint of a float argument is a 0-d dask array."""
    import dask.array as da  # optional: dask is imported only when a call has dask arguments

    lazy_x = is_lazy(x)
    shape = np.shape(x)
    if not is_lazy(g):
        g = np.asarray(g)  # a NumPy array or a number: the generated code made it
        g = da.from_array(g, chunks=x.chunks) if lazy_x and g.shape == shape else da.from_array(g)
    if g.shape != shape:
        if g.ndim != 0:
            raise S2SADError(f"internal error: adjoint of shape {g.shape} for an argument of shape {shape}")
        dtype = np.result_type(getattr(x, "dtype", float), float)
        g = g * (da.ones_like(x, dtype=dtype) if lazy_x else da.ones(shape, dtype=dtype))
    dtype = getattr(x, "dtype", None)
    if dtype is not None and g.dtype != dtype and dtype.kind in "fc":
        g = g.astype(dtype)
    if lazy_x and g.chunks != x.chunks:
        g = g.rechunk(x.chunks)
    return g


_state = threading.local()  # depth of no_compute on this thread
_lock = threading.Lock()
_active = 0  # how many threads are inside no_compute
_saved: Any = None  # the scheduler configured before the first one entered
_had = False  # whether one was configured at all


def _refusing_scheduler(dsk: Any, keys: Any, **kwargs: Any) -> Any:
    """Raise on a thread inside :func:`no_compute`; elsewhere, compute as
    the scheduler configured before would have."""
    if getattr(_state, "depth", 0):
        raise LazyArrayError(
            "s2sad: the derivative needs the value of a dask array here (a branch, bool(), float(), .item() or "
            "np.asarray on a value computed from a dask argument, a write into one, or a NumPy function dask "
            "does not implement), which would compute it eagerly; nothing was computed",
            hint="compute that value outside the function and pass it in as an argument, or call the "
            "derivative with NumPy arrays (x.compute())",
        )
    from dask.base import get_scheduler  # optional: dask is imported only when a call has dask arguments

    if _saved is not None:
        return get_scheduler(scheduler=_saved)(dsk, keys, **kwargs)
    try:
        from distributed import default_client  # optional: a distributed client when there is one

        return default_client().get(dsk, keys, **kwargs)
    except (ImportError, ValueError):
        import dask.threaded  # optional: dask is imported only when a call has dask arguments

        return dask.threaded.get(dsk, keys, **kwargs)


@contextmanager
def no_compute() -> Iterator[None]:
    """Within this block, computing a dask collection on this thread raises
    :class:`LazyArrayError` (other threads compute as before).

    The dask configuration is process-wide: the first thread to enter sets
    the refusing scheduler, the last to leave restores the previous one.
    """
    global _active, _saved, _had
    import dask  # optional: dask is imported only when a call has dask arguments

    with _lock:
        if _active == 0:
            _had = "scheduler" in dask.config.config
            _saved = dask.config.config.get("scheduler")
            dask.config.set(scheduler=_refusing_scheduler)
        _active += 1
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
        with _lock:
            _active -= 1
            if _active == 0:
                if _had:
                    dask.config.set(scheduler=_saved)
                else:
                    dask.config.config.pop("scheduler", None)
                _saved = None
