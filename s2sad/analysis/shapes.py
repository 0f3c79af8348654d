"""Which values provably have the same shape (whatever the argument values of
these kinds).

Input: an SSA core function, its resolved operations (:class:`Op` by
statement) and the kinds of its names (:mod:`s2sad.ir.kinds`, with the
broadcast patterns of arrays). Output: :class:`ShapeClasses`, classes of names
whose shapes are equal whenever the code runs, so that an adjoint's shape
question (``unbroadcast(g, x)``: does ``g`` already have ``x``'s shape?) and
"an array like ``x``" (``np.full_like(x, g)``) can be answered from a value
the reverse sweep holds anyway.

Only names that keep one value are taken: a parameter never assigned, and a
name assigned once, at the top level of the body (not in a branch or loop).
Two names share a class only where it is proven:

* a copy ``z = x``;
* an elementwise rule (arithmetic, NumPy ufuncs: rules whose kind is
  ``elementwise``) whose result has the shape of one operand ``a``: every
  other operand is a scalar, or in ``a``'s class, or has no more dims than
  ``a`` and is 1 wherever ``a`` is 1 (both broadcast patterns known);
* basic slices ``x[c:]``, ``x[:-c]``, ``x[a:-b]`` (constants, step 1) of arrays
  of one class, trimming the same total ``c = a + b`` from the first axis
  (their length is ``max(n - c, 0)``); ``x[:]`` is ``x``'s shape.

>>> import gast
>>> from s2sad.analysis.resolve import GETITEM, Op
>>> from s2sad.ir.kinds import array_kind
>>> fn = gast.parse("def f(x):\\n a = x[1:]\\n b = x[:-1]\\n return a").body[0]
>>> ops = {id(s): Op("rule", GETITEM, {"x": s.value.value, "idx": s.value.slice}) for s in fn.body[:2]}
>>> classes = shape_classes(fn, ops, {"x": array_kind(1, frozenset()), "a": array_kind(1), "b": array_kind(1)})
>>> classes.same("a", "b"), classes.same("a", "x")
(True, False)
"""

from __future__ import annotations

from typing import Any

import gast

from ..ir.core import walk
from ..ir.kinds import INT, SCALAR, is_array, ndim, unit_dims
from ..rules.table import KIND_RULES
from .resolve import GETITEM, Op


class ShapeClasses:
    """Union-find over names: :meth:`same` says two names have one shape."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, n: str) -> str | None:
        """The class of ``n`` (None: ``n`` is in none)."""
        if n not in self._parent:
            return None
        root = n
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[n] != root:  # path compression
            self._parent[n], n = root, self._parent[n]
        return root

    def union(self, a: str, b: str) -> None:
        for n in (a, b):
            self._parent.setdefault(n, n)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[rb] = ra  # type: ignore[index]

    def same(self, a: str, b: str) -> bool:
        return a == b or (self.find(a) is not None and self.find(a) == self.find(b))

    def members(self, n: str) -> list[str]:
        """The names of ``n``'s class (``[n]`` when it is in none), in the order they joined."""
        root = self.find(n)
        if root is None:
            return [n]
        return [m for m in self._parent if self.find(m) == root]


def single_assignments(fn: gast.FunctionDef) -> tuple[set[str], dict[str, gast.Assign]]:
    """(parameters never assigned, name -> its one top-level assignment)."""
    count: dict[str, int] = {}
    for node in walk(fn):
        targets: list[gast.AST] = []
        if isinstance(node, gast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (gast.AugAssign, gast.For, gast.comprehension)):
            targets = [node.target]
            if not isinstance(node, gast.AugAssign):
                for n in walk(node.target):
                    if isinstance(n, gast.Name):
                        count[n.id] = 2  # a loop's target: never assigned once
        for t in targets:
            for n in walk(t):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    count[n.id] = count.get(n.id, 0) + 1
    a = fn.args
    params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs if isinstance(p, gast.Name)} - set(count)
    top = {
        s.targets[0].id: s for s in fn.body
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
        and count.get(s.targets[0].id) == 1
    }  # fmt: skip
    return params, top


def shape_classes(fn: gast.FunctionDef, ops: dict[int, Op], kinds: dict[str, Any]) -> ShapeClasses:
    """The classes of names of ``fn`` proven to have one shape (see the module)."""
    classes = ShapeClasses()
    params, top = single_assignments(fn)
    stable = params | set(top)
    slices: dict[tuple[str, int], str] = {}
    for z, s in top.items():
        op = ops.get(id(s))
        if op is None:
            continue
        if op.kind == "copy" and isinstance(op.args.get("x"), gast.Name) and op.args["x"].id in stable:
            if is_array(kinds.get(z)):
                classes.union(op.args["x"].id, z)
        elif op.kind == "rule" and op.rule is GETITEM:
            _slice(z, op, kinds, stable, classes, slices)
        elif op.kind == "rule" and op.rule is not None and op.rule.kind is KIND_RULES["elementwise"]:
            _elementwise(z, op, kinds, stable, classes)
    return classes


def _elementwise(z: str, op: Op, kinds: dict[str, Any], stable: set[str], classes: ShapeClasses) -> None:
    if not is_array(kinds.get(z)):
        return
    atoms = list(op.args.values())
    if not all(isinstance(a, (gast.Name, gast.Constant)) for a in atoms):
        return
    operands: list[tuple[str | None, Any]] = []
    for a in atoms:
        k = kinds.get(a.id) if isinstance(a, gast.Name) else (SCALAR if type(a.value) in (int, float) else None)
        if k is None:
            return  # a shape not known: nothing is proven
        operands.append((a.id if isinstance(a, gast.Name) else None, k))
    for i, (a, ka) in enumerate(operands):
        if a is None or a not in stable or not is_array(ka) or ndim(ka) is None:
            continue
        if all(_fits(b, kb, a, ka, classes) for j, (b, kb) in enumerate(operands) if j != i):
            classes.union(a, z)


def _fits(b: str | None, kb: Any, a: str, ka: Any, classes: ShapeClasses) -> bool:
    """Does broadcasting ``b`` with ``a`` give ``a``'s shape?"""
    if kb == SCALAR or kb == INT or (is_array(kb) and ndim(kb) == 0):
        return True
    if b is not None and classes.same(a, b):
        return True
    ua, ub, na, nb = unit_dims(ka), unit_dims(kb), ndim(ka), ndim(kb)
    if not is_array(kb) or ua is None or ub is None or na is None or nb is None or nb > na:
        return False
    lead = na - nb
    return all(d < lead or d - lead in ub for d in ua)


def _slice(
    z: str, op: Op, kinds: dict[str, Any], stable: set[str], classes: ShapeClasses, slices: dict[tuple[str, int], str]
) -> None:
    x, idx = op.args.get("x"), op.args.get("idx")
    if not (isinstance(x, gast.Name) and x.id in stable and isinstance(idx, gast.Slice)):
        return
    if not (is_array(kinds.get(x.id)) and (ndim(kinds.get(x.id)) or 0) >= 1):
        return
    trimmed = _trimmed(idx)
    if trimmed is None:
        return
    if trimmed == 0:
        classes.union(x.id, z)
        return
    key = (classes.find(x.id) or x.id, trimmed)
    if key in slices:
        classes.union(slices[key], z)
    else:
        slices[key] = z
        classes.union(z, z)


def _int(node: gast.expr | None) -> int | None:
    if node is None:
        return None
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _int(node.operand)
        return -inner if inner is not None else None
    return None


def _trimmed(idx: gast.Slice) -> int | None:
    """``c`` for a slice whose length is ``max(n - c, 0)`` on an axis of length ``n``."""
    if idx.step is not None and _int(idx.step) != 1:
        return None
    lower = 0 if idx.lower is None else _int(idx.lower)
    if lower is None or lower < 0:
        return None
    if idx.upper is None:
        return lower
    upper = _int(idx.upper)
    if upper is None or upper >= 0:  # an absolute end (0 too: x[:0] is empty) is not n - c
        return None
    return lower - upper
