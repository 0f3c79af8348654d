"""Pytrees: nestings of dicts, lists, tuples and namedtuples of floats and
arrays, taken apart leaf by leaf and put back together (JAX's convention:
a dict's derivative is a dict with the same keys, a namedtuple's one of the
same namedtuple type).

>>> from collections import namedtuple
>>> P = namedtuple("P", "W b")
>>> tree = {"p": P(1.0, [2.0, 3.0]), "s": 4.0}
>>> leaves(tree)
[1.0, 2.0, 3.0, 4.0]
>>> unflatten(tree, [10.0, 20.0, 30.0, 40.0])
{'p': P(W=10.0, b=[20.0, 30.0]), 's': 40.0}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def is_node(x: Any) -> bool:
    """Is ``x`` a container (not a leaf)?"""
    return isinstance(x, (tuple, list)) or type(x) is dict


def children(x: Any) -> list[Any]:
    """The items of a container, in order (a dict's values in insertion order)."""
    return list(x.values()) if type(x) is dict else list(x)


def labels(x: Any) -> list[Any]:
    """What names each child: a dict's keys, else item numbers."""
    return list(x) if type(x) is dict else list(range(len(x)))


def rebuild(x: Any, items: list[Any]) -> Any:
    """A container of ``x``'s type (and keys) holding ``items``."""
    if type(x) is dict:
        return dict(zip(x, items))
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return type(x)(*items)
    return type(x)(items)


def leaves(x: Any) -> list[Any]:
    """The leaves of ``x``, depth first, in order."""
    if not is_node(x):
        return [x]
    return [leaf for c in children(x) for leaf in leaves(c)]


def unflatten(x: Any, new: list[Any]) -> Any:
    """``x``'s structure with ``new`` as its leaves (as many as ``x`` has)."""
    it = iter(new)

    def build(node: Any) -> Any:
        if not is_node(node):
            return next(it)
        return rebuild(node, [build(c) for c in children(node)])

    return build(x)


def map_leaves(fn: Callable[..., Any], x: Any, *rest: Any) -> Any:
    """``fn`` applied leaf by leaf to ``x`` and trees of the same structure."""
    flat = [leaves(r) for r in rest]
    return unflatten(x, [fn(leaf, *(f[i] for f in flat)) for i, leaf in enumerate(leaves(x))])


def copy_arrays(x: Any) -> Any:
    """``x`` with each NumPy array leaf copied (containers rebuilt): a function
    that writes into an argument then changes only the copy.

    >>> import numpy as np
    >>> a = np.zeros(2)
    >>> b = copy_arrays({"a": [a, 1.0]})
    >>> b["a"][0] is a, b["a"][1]
    (False, 1.0)
    """
    return map_leaves(lambda v: v.copy() if isinstance(v, np.ndarray) else v, x)


def same_structure(a: Any, b: Any) -> bool:
    """Do ``a`` and ``b`` nest the same containers (keys too), leaf for leaf?
    (A list and a tuple count as the same: adjoints of tuples are lists.)"""
    if type(b) is dict:
        return type(a) is dict and list(a) == list(b) and all(same_structure(a[k], b[k]) for k in b)
    if isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(map(same_structure, a, b))
    return not is_node(a)


def unravel(a: np.ndarray, x: Any) -> Any:
    """The inverse of :func:`ravel`: the vector ``a`` put back into ``x``'s structure, shapes and float leaves.

    >>> unravel(np.array([1.0, 2.0, 3.0]), {"w": np.zeros(2), "b": 0.0})
    {'w': array([1., 2.]), 'b': 3.0}
    """
    if is_node(x):  # a container (a dict, list, tuple, namedtuple): its leaves, in order
        out, start = [], 0
        for item in children(x):
            n = num_entries(item)
            out.append(unravel(a.reshape(-1)[start : start + n], item))
            start += n
        return rebuild(x, out)
    if isinstance(x, (float, int)) and not isinstance(x, np.ndarray):
        return float(a.reshape(-1)[0]) if np.ndim(a) else float(a)
    return a.reshape(np.shape(x))


def num_entries(x: Any) -> int:
    """How many numbers ``x`` holds: its leaves' sizes, summed."""
    if is_node(x):
        return sum(num_entries(e) for e in children(x))
    return int(np.size(x))


def ravel(x: Any) -> np.ndarray:
    """The leaves of ``x`` (a number, an array, or dicts, lists and tuples of them) as one float vector.

    >>> ravel({"w": np.array([1.0, 2.0]), "b": 3.0})
    array([1., 2., 3.])
    """
    if is_node(x):
        parts = [ravel(e) for e in children(x)]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.reshape(np.asarray(x, dtype=float), -1)
