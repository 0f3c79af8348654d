"""Helpers the generated code calls.

Only what the transform cannot decide once, at transform time, lives here:
reducing a broadcast adjoint back to an operand's shape, scattering the
adjoint of an index read, and the adjoints of reductions and shape ops.
Every helper dispatches through NumPy (``np.zeros_like``, ``np.sum``...), so it
works on any array type NumPy can dispatch to, and none converts a value it
does not own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "add_at",
    "fresh",
    "check_finite",
    "zero_at",
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
]


def zeros_like(x: Any) -> Any:
    """A zero adjoint for ``x``: ``0.0`` for a Python number, a list of zero
    adjoints for a tuple or list, else an array."""
    if isinstance(x, (float, int)) and not isinstance(x, np.generic):
        return 0.0
    if isinstance(x, (tuple, list)):
        return [zeros_like(e) for e in x]
    if x is None:  # a placeholder the generated code pushes before a loop's first value
        return None
    return np.zeros_like(x)


def check_finite(value: Any, name: str, where: str) -> None:
    """Raise on the first non-finite adjoint (``grad(f, check_finite=True)``)."""
    if not np.all(np.isfinite(value)):
        raise FloatingPointError(f"s2sad: non-finite adjoint {name} = {value!r}\n  from {where}")


def add_at(buffer: Any, idx: Any, g: Any) -> None:
    """``buffer[idx] += g`` in place, summing repeated indices."""
    if isinstance(buffer, list):
        buffer[idx] = add_adjoints(buffer[idx], g)
    elif _is_basic(idx):
        buffer[idx] += g
    else:
        np.add.at(buffer, idx, g)


def fresh(x: Any) -> Any:
    """A copy of an array the generated code will add to in place."""
    return x.copy() if isinstance(x, np.ndarray) else x


def zero_at(g: Any, idx: Any) -> Any:
    """A copy of adjoint ``g`` with the entries ``idx`` (just overwritten in
    the primal) set to zero."""
    out = np.array(g, dtype=np.result_type(g, float))
    out[idx] = 0.0
    return out


def add_adjoints(a: Any, b: Any) -> Any:
    """Sum two adjoints of a tuple or list (lists of per-item adjoints)."""
    if isinstance(a, list):
        return [add_adjoints(p, q) for p, q in zip(a, b)]
    return a + b


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
    if np.ndim(g) == 0 and isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return np.full_like(x, g)  # keeps x's dtype: a float32 loss gives float32 adjoints
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


def prod_adjoint(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Adjoint of ``np.prod``: the product of the *other* entries (exact with zeros).

    ``axis`` may be None, an int or a tuple of ints: the reduced axes are moved
    last and flattened into one, where exclusive cumulative products from the
    left and from the right give each entry the product of all the others.
    """
    x = np.asanyarray(x)
    nd = x.ndim
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(sorted(a % nd for a in ((axis,) if np.ndim(axis) == 0 else axis)))
    last = list(range(nd - len(axes), nd))
    moved = np.moveaxis(x, axes, last)
    flat = moved.reshape(moved.shape[: nd - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
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
    if isinstance(x, (tuple, list)):
        out_list = zeros_like(x)
        out_list[idx] = g
        return out_list
    out = np.zeros_like(x, dtype=np.result_type(x, g, float))
    if _is_basic(idx):
        out[idx] += g
    else:
        np.add.at(out, idx, g)
    return out


def _is_basic(idx: Any) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def _adjoint_matmul_operand(g: Any, a: Any, b: Any, which: int) -> Any:
    a2 = np.asanyarray(a)
    b2 = np.asanyarray(b)
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


def einsum_adjoint(g: Any, subscripts: str, operands: tuple, which: int) -> Any:
    """Adjoint of ``np.einsum(subscripts, *operands)`` for explicit, diagonal-free subscripts."""
    spec = subscripts.replace(" ", "")
    if "->" not in spec or "." in spec:
        raise ValueError("s2sad: einsum needs explicit '->' output subscripts and no ellipsis")
    ins, out = spec.split("->")
    specs = ins.split(",")
    target = specs[which]
    if len(set(target)) != len(target):
        raise ValueError("s2sad: einsum with a repeated index in one operand (a diagonal) has no rule")
    others = [s for k, s in enumerate(specs) if k != which]
    other_ops = [o for k, o in enumerate(operands) if k != which]
    present = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in target if c in present)
    r = np.einsum(f"{','.join([out, *others])}->{kept}", g, *other_ops)
    if kept != target:
        shape = np.shape(operands[which])
        for pos, c in enumerate(target):
            if c not in present:
                r = np.expand_dims(r, pos)
        r = np.broadcast_to(r, shape)
    return r


def einsum_adjoints(g: Any, subscripts: str, operands: tuple) -> list:
    return [einsum_adjoint(g, subscripts, operands, k) for k in range(len(operands))]


def einsum_tangent(subscripts: str, operands: tuple, tangents: tuple) -> Any:
    """Tangent of ``np.einsum``: the sum over operands of einsum with one tangent."""
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
    if ord not in (None, 2, "fro") or (ord == 2 and axis is not None and np.ndim(axis) > 0):
        raise ValueError(f"s2sad: np.linalg.norm with ord={ord!r} has no rule; use ord=None")
    if ord == 2 and np.ndim(x) == 2 and axis is None:
        raise ValueError("s2sad: the matrix 2-norm (spectral norm) has no rule; use ord=None (Frobenius)")
    return _expand(g, x, axis, keepdims) * x / _expand(z, x, axis, keepdims)


def transpose_adjoint(g: Any, axes: Any = None) -> Any:
    """Adjoint of ``np.transpose(x, axes)``; ``axes`` may also be the varargs of
    ``x.transpose(...)``: ``(1, 0, 2)``, ``((1, 0, 2),)``, ``(None,)``."""
    if isinstance(axes, (tuple, list)) and len(axes) == 1 and (axes[0] is None or np.ndim(axes[0]) == 1):
        axes = axes[0]
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([a % np.ndim(g) for a in axes]))


# The sequence helpers below get either the list literal's items (and return
# one adjoint per item) or, for ``np.stack(x)`` with ``x`` an array, the array
# itself (and return an array adjoint shaped like it).


def concatenate_adjoint(g: Any, arrays: Any, axis: int = 0) -> Any:
    if isinstance(arrays, np.ndarray):  # np.concatenate(x): the rows of x, joined
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
    if isinstance(arrays, np.ndarray):  # np.stack(x) moves x's first axis to `axis`
        return np.moveaxis(g, axis, 0)
    return [np.take(g, k, axis=axis) for k in range(len(arrays))]


def sum_list_adjoint(g: Any, items: Any) -> Any:
    if isinstance(items, np.ndarray):  # builtin sum(x) adds up the rows of x
        return np.zeros_like(items, dtype=np.result_type(items, g, float)) + g
    return [unbroadcast(g, x) for x in items]


def array_adjoint(g: Any, items: Any) -> Any:
    if not isinstance(items, (list, tuple)):  # np.array(x) / np.asarray(x) of an array or a number
        return g
    return [g[k] for k in range(len(items))]


def balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """1 where ``x`` is the selected extremum, 0.5 at ties, 0 elsewhere."""
    return (x == z) / (1.0 + (x == y))


# ------------------------------------------------------------ forward mode
# Tangents of the helpers above where they are not linear in the incoming
# adjoint alone (the forward rules live in s2sad/rules/runtime_rules.py).


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
    x = np.asanyarray(x)
    t = np.broadcast_to(x_dot, x.shape)
    nd = x.ndim
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(sorted(a % nd for a in ((axis,) if np.ndim(axis) == 0 else axis)))
    last = list(range(nd - len(axes), nd))
    moved = np.moveaxis(x, axes, last)
    flat = moved.reshape(moved.shape[: nd - len(axes)] + (-1,))
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
