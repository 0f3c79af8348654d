"""Helpers the generated code calls.

Only what the transform cannot decide once, at transform time, lives here:
reducing a broadcast adjoint back to an operand's shape, scattering the
adjoint of an index read, and the adjoints of reductions and shape ops.
Every helper dispatches through NumPy (``np.zeros_like``, ``np.sum``...), so it
works on any array type NumPy can dispatch to, and none converts a value it
does not own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def is_lazy(value: Any) -> bool:
    """Is ``value`` a dask collection (it has a task graph)? By duck type, so
    dask is never imported here.

    >>> is_lazy(np.ones(3)), is_lazy(1.0)
    (False, False)
    """
    return hasattr(type(value), "__dask_graph__")


# helpers that only compute a value from their arguments (no effect, no argument changed):
# the optimizer may move a call of one (s2sad.optimize.inline)
PURE_HELPERS = frozenset(
    {"unbroadcast", "zeros_like", "getitem_adjoint", "reduce_adjoint", "mean_adjoint", "extremum_adjoint",
     "matmul_adjoint", "dot_adjoint"}
)  # fmt: skip

__all__ = [
    "add_at",
    "fresh",
    "check_finite",
    "check_unshared",
    "zero_at",
    "write_adjoint",
    "snapshot",
    "laid_out_like",
    "add_adjoints",
    "unbroadcast",
    "zeros_like",
    "getitem_adjoint",
    "reduce_adjoint",
    "mean_adjoint",
    "extremum_adjoint",
    "prod_adjoint",
    "var_adjoint",
    "matmul_adjoint",
    "dot_adjoint",
    "tensordot_adjoint",
    "einsum_adjoint",
    "norm_adjoint",
    "einsum_adjoints",
    "einsum_tangent",
    "cumsum_adjoint",
    "transpose_adjoint",
    "concatenate_adjoint",
    "stack_adjoint",
    "balanced_eq",
    "sum_list_adjoint",
    "array_adjoint",
    "broadcast_like",
    "prod_adjoint_tangent",
    "einsum_adjoint_tangent",
    "einsum_adjoints_tangent",
    "copy_of",
    "solve_adjoint",
    "cholesky_adjoint",
    "cholesky_tangent",
    "diagonal_adjoint",
    "diag_adjoint",
    "repeat_adjoint",
    "tile_adjoint",
    "hstack_adjoint",
    "vstack_adjoint",
    "column_stack_adjoint",
    "diff_adjoint",
    "cumprod_adjoint",
    "cumprod_tangent",
    "cast_adjoint",
    "cast_tangent",
    "fill_adjoint",
    "item_adjoint",
    "minmax_adjoint",
    "minmax_tangent",
    "average_adjoint",
    "average_weights_adjoint",
    "average_weights_tangent",
    "norm_ord_adjoint",
    "norm_adjoint_tangent",
    "svd_norm_adjoint",
    "sinc_slope",
    "linspace_weights",
    "repeated_adjoint",
    "plus_adjoint",
    "plus_tangent",
    "dict_part",
    "loop_item",
    "dict_key",
    "loop_item_adjoint",
    "loop_item_tangent",
]


def zeros_like(x: Any) -> Any:
    """A zero adjoint for ``x``: ``0.0`` for a Python number, a list of zero
    adjoints for a tuple or list, else an array."""
    if isinstance(x, (float, int)) and not isinstance(x, np.generic):
        return 0.0
    if isinstance(x, (tuple, list)):
        return [zeros_like(e) for e in x]
    if isinstance(x, dict):  # a dict's adjoint is a dict with the same keys
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, str):  # a key or a label: never differentiated
        return 0.0
    if x is None:  # a placeholder the generated code pushes before a loop's first value
        return None
    return np.zeros_like(x)


def check_finite(value: Any, name: str, where: str) -> None:
    """Raise on the first non-finite adjoint (``grad(f, check_finite=True)``).
    A container's adjoint is checked leaf by leaf; ``None`` is the adjoint of
    a placeholder (a value the path taken never computed): nothing to check."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            check_finite(item, name, where)
        return
    if isinstance(value, dict):
        for item in value.values():
            check_finite(item, name, where)
        return
    if not np.all(np.isfinite(value)):
        raise FloatingPointError(f"s2sad: non-finite adjoint {name} = {value!r}\n  from {where}")


def check_unshared(written: str, read_globals: str = "", helpers: tuple = (), /, **values: Any) -> None:
    """Refuse a call whose written argument shares memory with another value.

    ``written`` names (comma-separated) the arguments the function writes
    into; the derivative works on its own copy of each (the caller's array is
    left untouched), which is Python's meaning only when no other argument,
    no array inside a list or tuple argument, no global the function reads
    (``read_globals``) and no global the user functions it calls
    (``helpers``) may read is that memory. ``values`` are those arguments and
    globals, by name. Raises :class:`s2sad.errors.SharedMemoryError`.

    >>> x = np.ones(4)
    >>> check_unshared("x", "", (), x=x, y=x[2:])
    Traceback (most recent call last):
    ...
    s2sad.errors.SharedMemoryError: s2sad: the arguments `x` and `y` share memory, ...
    hint: ...
    """
    from .errors import SharedMemoryError  # in the helper itself: export copies its source, this line included

    gl = set(filter(None, (n.strip() for n in read_globals.split(","))))
    others = [(shown, b, "argument" if n not in gl else "read") for n, v in values.items() for shown, b in _arrays_in(v, n)]
    others += [(shown, b, "read") for shown, b in _read_by(helpers)]
    for w in filter(None, (n.strip() for n in written.split(","))):
        a = values.get(w)
        if not isinstance(a, np.ndarray):
            continue
        for shown, b, how in others:
            if shown == w or not _shares(a, b):
                continue
            joint = (f"the argument `{w}` and `{shown}` (which the function reads)" if how == "read"
                     else f"the arguments `{w}` and `{shown}`")
            raise SharedMemoryError(
                f"s2sad: {joint} share memory, and the function writes into `{w}`: in Python the write "
                f"would change `{shown}` too, while the derivative writes into its own copy of `{w}` and "
                "leaves the caller's array untouched, so its result would not be the function's",
                None,
                f"pass a copy of one of them (e.g. `{w}.copy()`), so that each has memory of its own",
            )


_LIBRARIES = {"numpy", "scipy", "s2sad", "math", "builtins", "functools", "statistics"}


def _read_by(helpers: tuple) -> list[tuple[str, Any]]:
    """The arrays the functions ``helpers`` (and the user functions they
    name) may read: globals their code names, closure variables and the
    attributes of a bound method's object, each named for a message.
    Conservative: every global a function's code names counts as read."""
    out: list[tuple[str, Any]] = []
    todo, seen = list(helpers), set()
    while todo and len(seen) < 200:
        fn = todo.pop()
        module = getattr(fn, "__module__", None) or ""
        if id(fn) in seen or module.split(".")[0] in _LIBRARIES:
            continue
        seen.add(id(fn))
        owner = getattr(fn, "__self__", None)
        fn = getattr(fn, "__func__", fn)
        code, space = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
        if code is None or not isinstance(space, dict):
            continue
        where = getattr(fn, "__qualname__", "a helper")
        if owner is not None:
            out += _arrays_in(owner, f"{where.split('.')[0]} object")
        names: set[str] = set()
        codes = [code]
        while codes:
            c = codes.pop()
            names.update(c.co_names)
            codes += [k for k in c.co_consts if hasattr(k, "co_names")]
        cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
        found = [(n, space[n]) for n in sorted(names) if n in space]
        for n, cell in cells.items():
            try:
                found.append((n, cell.cell_contents))
            except ValueError:  # an empty cell
                pass
        for n, v in found:
            if getattr(v, "__code__", None) is not None or hasattr(getattr(v, "__func__", None), "__code__"):
                todo.append(v)  # a user function (or method) it calls
            elif isinstance(v, (np.ndarray, list, tuple, dict)):
                out += _arrays_in(v, f"{n}, read by {where}")
    return out


def _arrays_in(v: Any, shown: str, depth: int = 0) -> list[tuple[str, Any]]:
    """The arrays ``v`` holds (itself, items of lists, tuples and dicts,
    attributes of an object such as ``self``), with how to name each; a few
    levels deep (cycles end there)."""
    if isinstance(v, np.ndarray):
        return [(shown, v)]
    out: list[tuple[str, Any]] = []
    if depth > 4:
        return out
    if isinstance(v, (list, tuple)):
        for k, e in enumerate(v):
            out += _arrays_in(e, f"{shown}[{k}]", depth + 1)
    elif isinstance(v, dict):
        for k, e in v.items():
            out += _arrays_in(e, f"{shown}[{k!r}]", depth + 1)
    elif depth == 0 and isinstance(getattr(v, "__dict__", None), dict) and not isinstance(v, type):
        for k, e in vars(v).items():  # an object the function reads (self.W): its attributes
            out += _arrays_in(e, f"{shown}.{k}", depth + 1)
    return out


def _shares(a: np.ndarray, b: np.ndarray) -> bool:
    """Do ``a`` and ``b`` share memory? Exact for simple layouts; a problem
    too hard to decide quickly counts as shared (conservative)."""
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10_000))
    except _TOO_HARD:
        return True


_TOO_HARD = getattr(np, "exceptions", np).TooHardError


def add_at(buffer: Any, idx: Any, g: Any) -> None:
    """``buffer[idx] += g`` in place, summing repeated indices."""
    if isinstance(buffer, (list, dict)):
        buffer[idx] = add_adjoints(buffer[idx], g)
    elif _is_basic(idx):
        buffer[idx] += g
    elif is_lazy(buffer):
        _refuse_lazy_scatter()
    else:
        np.add.at(buffer, idx, g)


def fresh(x: Any) -> Any:
    """A copy of an array the generated code will add to in place (a dask
    array too: its ``y[i] += v`` changes the array object, seen by every name
    bound to it)."""
    if isinstance(x, np.ndarray):
        return x.copy()
    return x.copy() if is_lazy(x) else x


def zero_at(g: Any, idx: Any) -> Any:
    """A copy of adjoint ``g`` with the entries ``idx`` (just overwritten in
    the primal) set to zero."""
    out = np.array(g, dtype=np.result_type(g, float))
    out[idx] = 0.0
    return out


def write_adjoint(g: Any, idx: Any, v: Any) -> Any:
    """The adjoint of ``v`` in the write ``y[idx] = v``, given ``y``'s adjoint
    ``g``, for an index that may select an entry twice (an integer array).

    NumPy buffers such a write: an entry written twice keeps one value (the
    last in NumPy's iteration order), so only that element of ``v`` (as
    broadcast to the selection) receives the entry's adjoint. The order is
    NumPy's own: the same write, made with ``v``'s element numbers in ``v``'s
    memory layout, tells which element each entry kept."""
    g = np.asarray(g)
    v_shape = np.shape(v)
    size = int(np.prod(v_shape, dtype=np.intp))
    labels = np.empty_like(v, dtype=np.intp) if isinstance(v, np.ndarray) else np.empty(v_shape, dtype=np.intp)
    labels[...] = np.arange(size, dtype=np.intp).reshape(v_shape)
    owner = np.empty_like(g, dtype=np.intp)
    owner[...] = -1
    owner[idx] = labels
    kept = owner >= 0
    if np.iscomplexobj(g):
        out = np.zeros(size, dtype=g.dtype)
        np.add.at(out, owner[kept], g[kept])
    else:
        out = np.bincount(owner[kept], weights=g[kept], minlength=size).astype(np.result_type(g, float), copy=False)
    if isinstance(v, np.ndarray) or v_shape:  # an array, or a list taken as one
        return out.reshape(v_shape)
    return out[0]


def laid_out_like(t: Any, v: Any) -> Any:
    """Tangent ``t`` in the memory layout of ``v``, for the write
    ``y_dot[idx] = t`` that follows ``y[idx] = v``: NumPy's order of a write
    whose index repeats an entry follows the layouts, and the tangent must
    keep the same entries as the value."""
    if not (isinstance(t, np.ndarray) and isinstance(v, np.ndarray)) or t.shape != v.shape:
        return t
    if t.strides == v.strides or (t.flags.c_contiguous and v.flags.c_contiguous):
        return t
    out = np.empty_like(v, dtype=t.dtype)
    out[...] = t
    return out


def snapshot(x: Any) -> Any:
    """A copy of a value the reverse sweep will change in place (an array it
    restores), array by array through tuples and lists."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, (tuple, list)):
        return type(x)(snapshot(e) for e in x)
    if isinstance(x, dict):
        return {k: snapshot(v) for k, v in x.items()}
    return x.copy() if is_lazy(x) else x


def add_adjoints(a: Any, b: Any) -> Any:
    """Sum two adjoints leaf by leaf: those of a tuple or list are lists of
    per-item adjoints (never joined with ``+``, which would concatenate), and
    those of a dict are dicts with its keys."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            raise ValueError(f"s2sad: adjoints of dicts with keys {list(a)} and {list(b)} added")
        return {k: add_adjoints(v, b[k]) for k, v in a.items()}
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            raise ValueError(f"s2sad: adjoints of containers of lengths {len(a)} and {len(b)} added")
        return [add_adjoints(p, q) for p, q in zip(a, b)]
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return np.add(a, b)  # a list taken as an array
    return a + b


def repeated_adjoint(g: Any, x: Any) -> Any:
    """Adjoint of ``x * n`` (``x`` a list or tuple repeated ``n`` times):
    the adjoints of the copies, added leaf by leaf."""
    n = len(x)
    out = zeros_like(x)
    for k in range(0, len(g), n) if n else ():
        out = add_adjoints(out, g[k : k + n])
    return out


def plus_tangent(x_dot: Any, y_dot: Any, x: Any, y: Any) -> Any:
    """Tangent of ``x + y`` where the kinds could not tell whether ``+``
    joins two lists or tuples, or adds numbers or arrays."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return [*x_dot, *y_dot]
    return x_dot + y_dot


def plus_adjoint(g: Any, x: Any, y: Any, which: int) -> Any:
    """Adjoint of operand ``which`` of ``x + y`` where the kinds could not
    tell whether ``+`` joins two lists or tuples, or adds numbers or arrays."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return g[: len(x)] if which == 0 else g[len(x) :]
    operand = y if which else x
    g = unbroadcast(g, operand)
    return array_adjoint(g, operand) if isinstance(operand, (list, tuple)) else g


def unbroadcast(g: Any, x: Any) -> Any:
    """Sum ``g`` down to the shape of ``x`` (the adjoint of broadcasting)."""
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, (n, m) in enumerate(zip(shape, np.shape(g))) if n == 1 and m != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def _expand(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast the adjoint of a reduction back over the reduced axes."""
    shape = np.shape(x)
    if np.ndim(g) == 0:
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return np.full_like(x, g)  # keeps x's dtype: a float32 loss gives float32 adjoints
        if is_lazy(x):  # a dask array in x's chunks, not a NumPy one of x's shape
            return g * np.ones_like(x, dtype=x.dtype if x.dtype.kind == "f" else np.result_type(x.dtype, float))
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = tuple(sorted(a % len(shape) for a in axes))
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def reduce_adjoint(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.sum(x, axis, keepdims=...)``."""
    return _expand(g, x, axis, keepdims)


def _count(x: Any, axis: Any) -> int:
    shape = np.shape(x)
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def mean_adjoint(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _expand(g, x, axis, keepdims) / _count(x, axis)


def extremum_adjoint(g: Any, x: Any, z: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of max/min: routed to the arg-extremum, split evenly among ties."""
    zx = _expand(z, x, axis, keepdims)
    mask = x == zx
    counts = np.sum(mask, axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * mask / counts


def _reduced_last(x: Any, axis: Any) -> tuple[tuple, list, Any, Any]:
    """The reduced ``axes`` moved ``last`` and flattened into one: (axes,
    their new places, the moved array, the flattened one)."""
    nd = x.ndim
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(sorted(a % nd for a in ((axis,) if np.ndim(axis) == 0 else axis)))
    last = list(range(nd - len(axes), nd))
    moved = np.moveaxis(x, axes, last)
    return axes, last, moved, moved.reshape(moved.shape[: nd - len(axes)] + (-1,))


def prod_adjoint(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.prod``: the product of the *other* entries (exact with zeros).

    ``axis`` may be None, an int or a tuple of ints: the reduced axes are moved
    last and flattened into one, where exclusive cumulative products from the
    left and from the right give each entry the product of all the others.
    """
    x = _array(x)
    axes, last, moved, flat = _reduced_last(x, axis)
    ones = np.ones_like(flat[..., :1])
    left = np.concatenate([ones, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = np.concatenate([np.flip(np.cumprod(np.flip(flat[..., 1:], -1), axis=-1), -1), ones], axis=-1)
    others = np.moveaxis(np.reshape(left * right, moved.shape), last, axes)
    return others * _expand(g, x, axis, keepdims)


def var_adjoint(g: Any, x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    n = _count(x, axis)
    mean = np.mean(x, axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * 2.0 * (x - mean) / (n - ddof)


def getitem_adjoint(g: Any, x: Any, idx: Any) -> Any:
    """Adjoint of ``x[idx]``: ``g`` scattered into zeros shaped like ``x``."""
    if isinstance(x, (tuple, list, dict)):  # an item of a container, a value of a dict
        out_list = zeros_like(x)
        out_list[idx] = g
        return out_list
    out = np.zeros_like(x, dtype=np.result_type(x, g, float))
    if _is_basic(idx):
        out[idx] += g
    elif is_lazy(out):
        _refuse_lazy_scatter()
    else:
        np.add.at(out, idx, g)
    return out


def _array(x: Any) -> Any:
    """``x`` as an array: an array of any library NumPy dispatches to as it is
    (``np.asanyarray`` would compute a dask array), a list or number converted."""
    return x if hasattr(type(x), "__array_function__") else np.asanyarray(x)


def _refuse_lazy_scatter() -> None:
    from .errors import LazyArrayError  # in the helper itself: export copies its source, this line included

    raise LazyArrayError(
        "s2sad: the adjoint of an index read with an integer array or a mask scatter-adds into a dask array "
        "(np.add.at), which dask does not do lazily",
        hint="index with ints and slices, or call the derivative with NumPy arrays (x.compute())",
    )


def _is_basic(idx: Any) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def _adjoint_matmul_operand(g: Any, a: Any, b: Any, which: int) -> Any:
    a2 = _array(a)
    b2 = _array(b)
    if a2.ndim == 1 and b2.ndim == 1:
        return g * (b2 if which == 0 else a2)
    if a2.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
        if which == 0:
            return unbroadcast(np.matmul(b2, g[..., None])[..., 0], a2)
        return unbroadcast(a2[:, None] * g[..., None, :], b2)
    if b2.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
        if which == 0:
            return unbroadcast(g[..., :, None] * b2, a2)
        return unbroadcast(np.matmul(g[..., None, :], a2)[..., 0, :], b2)
    if which == 0:
        return unbroadcast(np.matmul(g, np.swapaxes(b2, -1, -2)), a2)
    return unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g), b2)


def matmul_adjoint(g: Any, a: Any, b: Any, which: int) -> Any:
    """Adjoint of ``a @ b`` with respect to operand ``which`` (0 or 1)."""
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        return g @ b.T if which == 0 else a.T @ g
    return _adjoint_matmul_operand(g, a, b, which)


def dot_adjoint(g: Any, a: Any, b: Any, which: int) -> Any:
    """Adjoint of ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        other = b if which == 0 else a
        return unbroadcast(g * other, a if which == 0 else b)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul_adjoint(g, a, b, which)
    # general N-d dot: sum over last axis of a and second-to-last of b
    return tensordot_adjoint(g, a, b, ([np.ndim(a) - 1], [np.ndim(b) - 2]), which)


def tensordot_adjoint(g: Any, a: Any, b: Any, axes: Any, which: int) -> Any:
    """Adjoint of ``np.tensordot(a, b, axes)`` (and of ``np.inner``, which
    multiplies when an operand is a scalar)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * (b if which == 0 else a), a if which == 0 else b)
    if np.ndim(axes) == 0:
        ax_a = list(range(na - axes, na))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = ([axes[0]] if np.ndim(axes[0]) == 0 else list(axes[0])), (
            [axes[1]] if np.ndim(axes[1]) == 0 else list(axes[1])
        )
        ax_a = [x % na for x in ax_a]
        ax_b = [x % nb for x in ax_b]
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    g_free_a = list(range(len(free_a)))
    g_free_b = list(range(len(free_a), len(free_a) + len(free_b)))
    if which == 0:
        # contract g's b-part with b's free axes; result axes: free_a..., then ax_b order
        r = np.tensordot(g, b, (g_free_b, free_b))
        # r has axes free_a + ax_b(in b order of remaining) -> need a's order
        remaining_b = [i for i in range(nb) if i not in free_b]
        src = free_a + [ax_a[ax_b.index(i)] for i in remaining_b]
        return np.transpose(r, np.argsort(src))
    r = np.tensordot(a, g, (free_a, g_free_a))
    remaining_a = [i for i in range(na) if i not in free_a]
    src = [ax_b[ax_a.index(i)] for i in remaining_a] + free_b
    return np.transpose(r, np.argsort(src))


def einsum_explicit(subscripts: Any, operands: tuple) -> tuple[list[str], str]:
    """The input and output subscripts of ``np.einsum(subscripts, *operands)``
    with the implicit output and any ``...`` spelled out as letters."""
    from .errors import NoRuleError  # in the helper itself: export copies its source, this line included

    if not isinstance(subscripts, str):
        raise NoRuleError(
            "s2sad differentiates np.einsum with subscripts given as a string, not in the interleaved form",
            hint="write the subscripts as a string: np.einsum('ij,jk->ik', a, b)",
        )
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    specs = ins.split(",")
    used = set(spec) - set(".,->")
    spare = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    width = max((np.ndim(op) - len(s.replace("...", "")) for s, op in zip(specs, operands) if "..." in s), default=0)
    ell = "".join(next(spare) for _ in range(width))
    specs = [s.replace("...", ell[len(ell) - (np.ndim(op) - len(s.replace("...", ""))):]) if "..." in s else s
             for s, op in zip(specs, operands)]
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit: the broadcast axes, then the letters seen once, in order
        letters = "".join(specs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return specs, out


def einsum_adjoint(g: Any, subscripts: Any, operands: tuple, which: int) -> Any:
    """Adjoint of ``np.einsum(subscripts, *operands)`` with respect to one
    operand, for any subscripts: implicit output, ``...``, a repeated index in
    one operand (a diagonal, a trace) and axes broadcast against each other."""
    specs, out = einsum_explicit(subscripts, operands)
    sizes: dict[str, int] = {}
    for s, op in zip(specs, operands):
        for c, n in zip(s, np.shape(op)):
            sizes[c] = max(sizes.get(c, 1), n)
    target = specs[which]
    unique = "".join(dict.fromkeys(target))  # each index once, in order
    others = [s for k, s in enumerate(specs) if k != which]
    other_ops = [o for k, o in enumerate(operands) if k != which]
    present = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in unique if c in present)
    r = np.einsum(f"{','.join([out, *others])}->{kept}", g, *other_ops)
    for pos, c in enumerate(unique):  # an index summed away: the adjoint is constant along it
        if c not in present:
            r = np.expand_dims(r, pos)
    r = np.broadcast_to(r, tuple(sizes[c] for c in unique))
    if unique != target:  # a diagonal: r goes on it, zeros elsewhere
        full = np.zeros(tuple(sizes[c] for c in target), dtype=np.result_type(r))
        grids = np.ix_(*(np.arange(sizes[c]) for c in unique))
        full[tuple(grids[unique.index(c)] for c in target)] = r
        r = full
    shape = np.shape(operands[which])
    if np.shape(r) != shape:  # an axis of length 1 broadcast against the others
        axes = tuple(k for k, n in enumerate(shape) if n == 1 and np.shape(r)[k] != 1)
        r = np.sum(r, axis=axes, keepdims=True)
    return np.array(r) if isinstance(r, np.ndarray) and not r.flags.writeable else r


def einsum_adjoints(g: Any, subscripts: str, operands: tuple) -> list:
    return [einsum_adjoint(g, subscripts, operands, k) for k in range(len(operands))]


def einsum_tangent(subscripts: str, operands: tuple, tangents: tuple) -> Any:
    """Tangent of ``np.einsum``: the sum over operands of einsum with one tangent."""
    einsum_explicit(subscripts, operands)  # refuses subscripts that are not a string
    total = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        ops = list(operands)
        ops[k] = t
        term = np.einsum(subscripts, *ops)
        total = term if total is None else total + term
    return total


def cumsum_adjoint(g: Any, x: Any, axis: Any = None) -> Any:
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def norm_adjoint(g: Any, x: Any, z: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.linalg.norm`` for the 2-norm / Frobenius norm."""
    if _spectral_axes(x, ord, axis) is not None:
        return svd_norm_adjoint(g, x, ord, _spectral_axes(x, ord, axis), keepdims)
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    return _expand(g, x, axis, keepdims) * x / _expand(z, x, axis, keepdims)


def _spectral_axes(x: Any, ord: Any, axis: Any) -> tuple | None:
    """The two axes of a matrix 2-norm (``ord=2`` over a matrix), else None."""
    if ord != 2 or isinstance(ord, str):
        return None
    if axis is None:
        return (0, 1) if np.ndim(x) == 2 else None
    return tuple(axis) if np.ndim(axis) > 0 and len(axis) == 2 else None


def svd_norm_adjoint(g: Any, x: Any, ord: Any, axes: tuple, keepdims: bool = False) -> Any:
    """Adjoint of the matrix norms of ``np.linalg.norm`` read off the singular
    value decomposition over ``axes``: the largest singular value (``ord=2``,
    adjoint u1 v1^T), the smallest (``ord=-2``) and their sum (``'nuc'``,
    adjoint U V^T). Where singular values tie, or one is zero for ``'nuc'``,
    the norm has no derivative and this is one of its subgradients."""
    xm = np.moveaxis(x, axes, (-2, -1))
    u, s, vt = np.linalg.svd(xm, full_matrices=False)
    if ord == "nuc":
        d = u @ vt
    elif ord == 2:
        d = u[..., :, :1] @ vt[..., :1, :]
    else:
        d = u[..., :, -1:] @ vt[..., -1:, :]
    gm = np.moveaxis(_expand(g, x, axes, keepdims), axes, (-2, -1))
    return np.moveaxis(gm * d, (-2, -1), axes)


def norm_adjoint_tangent(v: Any, x: Any, t: Any, n: Any, ord: Any = None, axis: Any = None,
                         keepdims: bool = False) -> Any:
    """Tangent of ``norm_adjoint`` along ``x``'s tangent ``t``, for the 2-norm
    and Frobenius norm (where the adjoint v x / n is linear in x)."""
    if _spectral_axes(x, ord, axis) is not None:
        from .errors import NoRuleError  # in the helper itself: export copies its source, this line included

        raise NoRuleError(
            "s2sad has no second derivative of the matrix 2-norm (the spectral norm)",
            hint="differentiate it once (grad, jvp), or use the Frobenius norm (ord=None) for higher orders",
        )
    return norm_adjoint(v, t, n, ord, axis, keepdims)


def transpose_adjoint(g: Any, axes: Any = None) -> Any:
    """Adjoint of ``np.transpose(x, axes)``; ``axes`` may also be the varargs of
    ``x.transpose(...)``: ``(1, 0, 2)``, ``((1, 0, 2),)``, ``(None,)``."""
    if isinstance(axes, (tuple, list)) and len(axes) == 1 and (axes[0] is None or np.ndim(axes[0]) == 1):
        axes = axes[0]
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([a % np.ndim(g) for a in axes]))


def _is_array(x: Any) -> bool:
    """An array (NumPy's or dask's), not a list or tuple of items."""
    return isinstance(x, np.ndarray) or is_lazy(x)


# The sequence helpers below get either the list literal's items (and return
# one adjoint per item) or, for ``np.stack(x)`` with ``x`` an array, the array
# itself (and return an array adjoint shaped like it).


def concatenate_adjoint(g: Any, arrays: Any, axis: int = 0) -> Any:
    if _is_array(arrays):  # np.concatenate(x): the rows of x, joined
        if axis is None:
            return np.reshape(g, arrays.shape)
        return np.stack(np.split(g, len(arrays), axis=axis))
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        parts = np.split(g, np.cumsum(sizes)[:-1])
        return [np.reshape(p, np.shape(a)) for p, a in zip(parts, arrays)]
    sizes = [np.shape(a)[axis] for a in arrays]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


def stack_adjoint(g: Any, arrays: Any, axis: int = 0) -> Any:
    if _is_array(arrays):  # np.stack(x) moves x's first axis to `axis`
        return np.moveaxis(g, axis, 0)
    return [np.take(g, k, axis=axis) for k in range(len(arrays))]


def sum_list_adjoint(g: Any, items: Any) -> Any:
    if _is_array(items):  # builtin sum(x) adds up the rows of x
        return np.zeros_like(items, dtype=np.result_type(items, g, float)) + g
    return [unbroadcast(g, x) for x in items]


def array_adjoint(g: Any, items: Any) -> Any:
    if not isinstance(items, (list, tuple)):  # np.array(x) / np.asarray(x) of an array or a number
        return g
    return [array_adjoint(g[k], items[k]) for k in range(len(items))]


def dict_part(g: Any, d: Any, replaced: tuple) -> Any:
    """Adjoint of the dict ``d`` unpacked first into ``{**d, k1: v1, ...}``:
    its entries' adjoints, zero where a later key ``replaced`` its value."""
    return {k: zeros_like(v) if k in replaced else g[k] for k, v in d.items()}


def dict_key(d: Any, i: int) -> Any:
    """The ``i``-th key of the dict ``d`` (insertion order): what the ``i``-th
    iteration of ``for k in d`` gives."""
    return [*d][i]


def loop_item(seq: Any, i: int) -> Any:
    """Item ``i`` of what a ``for`` loop walks, where the kinds could not tell
    a dict from a sequence: a dict (any mapping) gives its ``i``-th key, as
    Python's iteration over it does; anything else ``seq[i]``."""
    return [*seq][i] if isinstance(seq, Mapping) else seq[i]


def loop_item_adjoint(g: Any, seq: Any, i: int) -> Any:
    """Adjoint of ``loop_item(seq, i)``: a key carries none back to the dict."""
    return zeros_like(seq) if isinstance(seq, Mapping) else getitem_adjoint(g, seq, i)


def loop_item_tangent(t: Any, seq: Any, i: int) -> Any:
    """Tangent of ``loop_item(seq, i)`` from ``seq``'s tangent ``t`` (zero for a key)."""
    return 0.0 if isinstance(seq, Mapping) else t[i]


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """1 where ``x`` is the selected extremum, 0.5 at ties, 0 elsewhere."""
    return (x == z) / (1.0 + (x == y))


# ------------------------------------------------------------ forward mode
# Tangents of the helpers above where they are not linear in the incoming
# adjoint alone (the forward rules live in s2sad/rules/runtime_rules.py).


def copy_of(t: Any) -> Any:
    """A tangent the generated code may change in place (``add_at``, writes,
    ``.append``): arrays and lists are copied, numbers returned as they are."""
    if isinstance(t, np.ndarray):
        return t.copy()
    if isinstance(t, list):
        return list(t)
    if isinstance(t, dict):
        return dict(t)
    return t.copy() if is_lazy(t) else t


def broadcast_like(t: Any, z: Any) -> Any:
    """The tangent ``t`` of one operand, given the shape of the result ``z``
    it contributes to (the tangent of broadcasting)."""
    if np.shape(t) == np.shape(z):
        return t
    return t + np.zeros_like(z)


def _exclusive_cumprod_tangent(f: Any, t: Any) -> tuple[Any, Any]:
    """Products of the entries before each one along the last axis, and their
    tangents along ``t``."""
    acc = np.ones(f.shape[:-1], dtype=np.result_type(f, t, float))
    dacc = np.zeros_like(acc)
    lefts, dlefts = [], []
    for k in range(f.shape[-1]):
        lefts.append(acc)
        dlefts.append(dacc)
        acc, dacc = acc * f[..., k], dacc * f[..., k] + acc * t[..., k]
    if not lefts:
        return f, t
    return np.stack(lefts, -1), np.stack(dlefts, -1)


def prod_adjoint_tangent(g: Any, x: Any, x_dot: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Tangent of ``prod_adjoint(g, x, axis, keepdims)`` along ``x_dot``: the
    product of the other entries, differentiated (exact with zeros)."""
    x = _array(x)
    t = np.broadcast_to(x_dot, x.shape)
    axes, last, moved, flat = _reduced_last(x, axis)
    tflat = np.moveaxis(t, axes, last).reshape(flat.shape)
    left, dleft = _exclusive_cumprod_tangent(flat, tflat)
    right, dright = _exclusive_cumprod_tangent(np.flip(flat, -1), np.flip(tflat, -1))
    right, dright = np.flip(right, -1), np.flip(dright, -1)
    others = np.moveaxis(np.reshape(dleft * right + left * dright, moved.shape), last, axes)
    return others * _expand(g, x, axis, keepdims)


def einsum_adjoint_tangent(g: Any, subscripts: str, operands: tuple, tangents: tuple, which: int) -> Any:
    """Tangent of ``einsum_adjoint(g, subscripts, operands, which)`` along the
    operands' ``tangents`` (None for a zero tangent)."""
    total = None
    for k, t in enumerate(tangents):
        if t is None or k == which:
            continue
        ops = list(operands)
        ops[k] = t
        term = einsum_adjoint(g, subscripts, tuple(ops), which)
        total = term if total is None else total + term
    return zeros_like(operands[which]) if total is None else total


def einsum_adjoints_tangent(g: Any, subscripts: str, operands: tuple, tangents: tuple) -> list:
    return [einsum_adjoint_tangent(g, subscripts, operands, tangents, k) for k in range(len(operands))]


# -------------------------------------------- linear algebra, shapes, casts
# Adjoints (and a few tangents) of the rules added for the NumPy API that
# autograd's and JAX's test suites exercise: np.linalg, diag/diagonal, repeat,
# tile, the hstack family, cumprod, fills and casts, builtin max/min.


def _mT(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


def solve_adjoint(g: Any, a: Any, b: Any, z: Any, which: int) -> Any:
    """Adjoint of ``z = np.linalg.solve(a, b)`` for ``a`` (which=0) or ``b``
    (which=1); a 1-D ``b`` is one vector, as NumPy treats it."""
    vec = np.ndim(b) == 1
    gb = np.linalg.solve(_mT(a), g[..., None] if vec else g)  # A^-T g
    if which == 1:
        return unbroadcast(gb[..., 0] if vec else gb, b)
    return unbroadcast(-gb @ _mT(z[..., None] if vec else z), a)


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return np.tril(x) - 0.5 * np.eye(np.shape(x)[-1]) * x


def cholesky_adjoint(g: Any, L: Any) -> Any:
    """Adjoint of ``L = np.linalg.cholesky(a)``. NumPy reads only the lower
    triangle of ``a``: the adjoint lives there (an entry below the diagonal
    stands for itself and its mirror)."""
    p = _phi(_mT(L) @ g)
    s = np.linalg.solve(_mT(L), _mT(np.linalg.solve(_mT(L), _mT(p))))  # L^-T P L^-1
    return _phi(s + _mT(s))


def cholesky_tangent(a_dot: Any, L: Any) -> Any:
    """Tangent of ``np.linalg.cholesky(a)`` along ``a_dot`` (its lower triangle, mirrored)."""
    sym = np.tril(a_dot) + _mT(np.tril(a_dot, -1))
    x = np.linalg.solve(L, _mT(np.linalg.solve(L, _mT(sym))))  # L^-1 S L^-T
    return L @ _phi(x)


def diagonal_adjoint(g: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Adjoint of ``np.diagonal(x, offset, axis1, axis2)``: ``g`` (diagonal
    last) written back on that diagonal of zeros shaped like ``x``."""
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g, float))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diag_adjoint(g: Any, x: Any, k: int = 0) -> Any:
    """Adjoint of ``np.diag(x, k)``: reads the diagonal back (1-D ``x``) or
    writes it (2-D ``x``)."""
    if np.ndim(x) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, x, k)


def repeat_adjoint(g: Any, x: Any, repeats: Any, axis: Any = None) -> Any:
    """Adjoint of ``np.repeat(x, repeats, axis)``: each entry gets the sum of its copies."""
    shape = np.shape(x)
    if axis is None:
        n = int(np.prod(shape))
        out = np.zeros(n, dtype=np.result_type(g, float))
        np.add.at(out, np.repeat(np.arange(n), repeats), np.ravel(g))
        return np.reshape(out, shape)
    axis = axis % len(shape)
    moved = np.moveaxis(g, axis, 0)
    out = np.zeros((shape[axis],) + moved.shape[1:], dtype=np.result_type(g, float))
    np.add.at(out, np.repeat(np.arange(shape[axis]), repeats), moved)
    return np.moveaxis(out, 0, axis)


def tile_adjoint(g: Any, x: Any, reps: Any) -> Any:
    """Adjoint of ``np.tile(x, reps)``: the sum of the tiles."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(x)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    g = np.reshape(g, [v for r, s in zip(reps, full) for v in (r, s)])
    return np.reshape(np.sum(g, axis=tuple(range(0, 2 * d, 2))), shape)


def _split_items(g: Any, arrays: Any, shapes: list, axis: int) -> Any:
    """``g`` split along ``axis`` into pieces as long as ``shapes`` say, each
    reshaped like its item; stacked again when ``arrays`` is one array."""
    parts = np.split(g, np.cumsum([s[axis] for s in shapes])[:-1], axis=axis)
    pieces = [np.reshape(p, np.shape(a)) for p, a in zip(parts, arrays)]
    return np.stack(pieces) if _is_array(arrays) else pieces


def hstack_adjoint(g: Any, arrays: Any) -> Any:
    shapes = [np.shape(np.atleast_1d(a)) for a in arrays]
    return _split_items(g, arrays, shapes, 0 if len(shapes[0]) == 1 else 1)


def vstack_adjoint(g: Any, arrays: Any) -> Any:
    return _split_items(g, arrays, [np.shape(np.atleast_2d(a)) for a in arrays], 0)


def column_stack_adjoint(g: Any, arrays: Any) -> Any:
    shapes = [np.shape(a) if np.ndim(a) >= 2 else (max(np.size(a), 1), 1) for a in arrays]
    return _split_items(g, arrays, shapes, 1)


def diff_adjoint(g: Any, n: int = 1, axis: int = -1) -> Any:
    """Adjoint of ``np.diff(x, n, axis)``."""
    for _ in range(n):
        g = -np.diff(g, axis=axis, prepend=0.0, append=0.0)
    return g


def _cumprod_others(x: Any) -> Any:
    """``C[..., i, j]``: the product of ``x[..., k]`` over ``k <= j``, ``k != i``
    (zero for ``j < i``): the Jacobian of a cumulative product along the last
    axis, exact when entries are zero."""
    n = x.shape[-1]
    xs = np.array(np.broadcast_to(x[..., None, :], x.shape[:-1] + (n, n)), dtype=np.result_type(x, float))
    xs[..., np.arange(n), np.arange(n)] = 1.0
    return np.triu(np.cumprod(xs, axis=-1))


def cumprod_adjoint(g: Any, x: Any, z: Any, axis: Any = None) -> Any:
    """Adjoint of ``z = np.cumprod(x, axis)``."""
    x = _array(x)
    if axis is None:
        return np.reshape(cumprod_adjoint(np.ravel(g), np.ravel(x), z, 0), x.shape)
    if np.all(x != 0):
        return np.flip(np.cumsum(np.flip(g * z, axis), axis), axis) / x
    xm, gm = np.moveaxis(x, axis, -1), np.moveaxis(np.broadcast_to(g, x.shape), axis, -1)
    return np.moveaxis((_cumprod_others(xm) @ gm[..., None])[..., 0], -1, axis)


def cumprod_tangent(x_dot: Any, x: Any, z: Any, axis: Any = None) -> Any:
    """Tangent of ``z = np.cumprod(x, axis)`` along ``x_dot``."""
    x = _array(x)
    t = np.broadcast_to(x_dot, x.shape)
    if axis is None:
        return cumprod_tangent(np.ravel(t), np.ravel(x), z, 0)
    if np.all(x != 0):
        return z * np.cumsum(t / x, axis)
    xm, tm = np.moveaxis(x, axis, -1), np.moveaxis(t, axis, -1)
    return np.moveaxis((tm[..., None, :] @ _cumprod_others(xm))[..., 0, :], -1, axis)


def _is_float_result(z: Any) -> bool:
    return np.issubdtype(np.result_type(z), np.inexact)


def cast_adjoint(g: Any, z: Any) -> Any:
    """Adjoint of a cast (``x.astype(t)``) whose result is ``z``: ``g`` for a
    float type, zero for an integer or boolean one (piecewise constant)."""
    if not _is_float_result(z):
        return np.zeros_like(z, dtype=float)
    return np.real(g) if np.iscomplexobj(g) and not np.iscomplexobj(z) else g


def cast_tangent(t: Any, z: Any) -> Any:
    """Tangent of a cast whose result is ``z``."""
    return broadcast_like(t, z) if _is_float_result(z) else np.zeros_like(z, dtype=float)


def linspace_weights(num: int, endpoint: bool, axis: int, z: Any) -> Any:
    """The weights ``t`` of ``z = np.linspace(start, stop, num, endpoint, axis=axis)
    = start + (stop - start) * t``, shaped to broadcast against ``z``."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    shape = [1] * np.ndim(z)
    shape[axis] = np.size(t)
    return np.reshape(t, shape)


def fill_adjoint(g: Any, fill_value: Any, z: Any) -> Any:
    """Adjoint of ``np.full(shape, fill_value)`` / ``np.full_like(a, fill_value)``
    for ``fill_value``: the sum of ``g`` over the entries it filled (zero when
    ``z`` has an integer dtype, where the fill is rounded)."""
    return unbroadcast(cast_adjoint(g, z), fill_value)


def item_adjoint(g: Any, x: Any, args: Any = ()) -> Any:
    """Adjoint of ``x.item(*args)``: ``g`` at the entry read."""
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g, float))
    index = args[0] if len(args) == 1 else tuple(args)
    if isinstance(index, tuple) and index:
        out[index] = g
    else:
        out.flat[index or 0] = g
    return out


def _extremum_items(z: Any, x: Any, rest: Any) -> tuple[list, bool]:
    """For builtin ``max``/``min``: the weight of each item (1 for the one
    selected, split evenly among ties), and whether ``x`` was the iterable."""
    seq = len(rest) == 0
    items = list(x) if seq else [x, *rest]
    eq = [float(np.all(item == z)) for item in items]
    count = sum(eq) or 1.0  # no item equals z only when z is nan
    return [e / count for e in eq], seq


def minmax_adjoint(g: Any, z: Any, x: Any, rest: Any, which: int) -> Any:
    """Adjoint of builtin ``max(x, *rest)`` / ``min``: for ``x`` (which=0) or
    the list of ``rest`` (which=1). ``max(items)`` with no ``rest`` selects
    among the items of ``x`` (a list gets a list, an array an array)."""
    weights, seq = _extremum_items(z, x, rest)
    if which == 1:
        return [g * w for w in weights[1:]]
    if not seq:
        return g * weights[0]
    if isinstance(x, np.ndarray):
        return np.reshape(weights, (-1,) + (1,) * (x.ndim - 1)) * np.asarray(g)
    return [g * w for w in weights]


def minmax_tangent(t: Any, z: Any, x: Any, rest: Any, which: int) -> Any:
    """Tangent of builtin ``max``/``min`` along the tangent ``t`` of ``x``
    (which=0) or of ``rest`` (which=1, a list)."""
    weights, seq = _extremum_items(z, x, rest)
    if which == 1:
        return sum(w * d for w, d in zip(weights[1:], t))
    if not seq:
        return weights[0] * t
    return sum(w * d for w, d in zip(weights, t))


def _average_weights(x: Any, axis: Any, weights: Any) -> Any:
    """``weights`` as ``np.average`` broadcasts them: like ``x``, or 1-D along ``axis``."""
    w = _array(weights)
    if w.shape != np.shape(x):
        w = np.swapaxes(np.broadcast_to(w, (np.ndim(x) - 1) * (1,) + w.shape), -1, axis)
    return np.broadcast_to(w, np.shape(x))


def average_adjoint(g: Any, x: Any, axis: Any = None, weights: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.average(x, axis, weights)`` for ``x``."""
    if weights is None:
        return mean_adjoint(g, x, axis, keepdims)
    w = _average_weights(x, axis, weights)
    return _expand(g, x, axis, keepdims) * w / np.sum(w, axis=axis, keepdims=True)


def average_weights_adjoint(g: Any, x: Any, z: Any, axis: Any, weights: Any, keepdims: bool = False) -> Any:
    """Adjoint of ``z = np.average(x, axis, weights)`` for ``weights``."""
    w = _average_weights(x, axis, weights)
    full = _expand(g, x, axis, keepdims) * (x - _expand(z, x, axis, keepdims)) / np.sum(w, axis=axis, keepdims=True)
    if np.shape(weights) == np.shape(x):
        return full
    return np.sum(full, axis=tuple(i for i in range(np.ndim(x)) if i != axis % np.ndim(x)))


def average_weights_tangent(t: Any, x: Any, z: Any, axis: Any, weights: Any, keepdims: bool = False) -> Any:
    """Tangent of ``z = np.average(x, axis, weights)`` along the weights' tangent ``t``."""
    w, dw = _average_weights(x, axis, weights), _average_weights(x, axis, t)
    spread = (x - _expand(z, x, axis, keepdims)) * dw
    return np.sum(spread, axis=axis, keepdims=keepdims) / np.sum(w, axis=axis, keepdims=keepdims)


def norm_ord_adjoint(g: Any, x: Any, z: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.linalg.norm(x, ord, axis)`` for the orders ``norm_adjoint``
    does not take: vector p-norms (1, inf, -inf, 0, any number) and the
    matrix 1- and inf-norms (max column / row sum, and their min). Ties of a
    max or min split the adjoint evenly."""
    nd = np.ndim(x)
    axes = tuple(range(nd)) if axis is None else ((axis,) if np.ndim(axis) == 0 else tuple(axis))
    axes = tuple(a % nd for a in axes)
    if len(axes) == 2 and ord in (1, -1, np.inf, -np.inf):
        # sum |x| over one axis, then the max (min) over the other
        summed, picked = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        mask = sums == _expand(z, sums, axes, keepdims)
        return _expand(g, x, axes, keepdims) * np.sign(x) * mask / np.sum(mask, axis=picked, keepdims=True)
    if len(axes) == 2 and ord in (2, -2, "nuc"):
        return svd_norm_adjoint(g, x, ord, axes, keepdims)
    if len(axes) != 1 or isinstance(ord, str):
        raise ValueError(f"s2sad: np.linalg.norm with ord={ord!r} on a matrix has no rule; use ord=None")
    a = axes[0]
    if ord == 0:  # the number of nonzero entries
        return np.zeros_like(x, dtype=float)
    if ord in (np.inf, -np.inf):
        mask = np.abs(x) == _expand(z, x, a, keepdims)
        return _expand(g, x, a, keepdims) * np.sign(x) * mask / np.sum(mask, axis=a, keepdims=True)
    p = float(ord)
    return _expand(g, x, a, keepdims) * np.sign(x) * (np.abs(x) / _expand(z, x, a, keepdims)) ** (p - 1.0)


def sinc_slope(x: Any) -> Any:
    """The derivative of ``np.sinc``: ``(cos(pi x) - sinc(x)) / x``, 0 at 0.
    (A helper rather than an inline ``np.where``: differentiating that again
    would give 0 for the second derivative at 0, which is ``-pi**2 / 3``.)"""
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, (np.cos(np.pi * safe) - np.sinc(safe)) / safe)
