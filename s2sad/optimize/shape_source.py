"""Read a shape from a value the reverse sweep holds anyway.

Input: the statements of a reverse sweep, the shape classes of the forward
sweep's names (:mod:`s2sad.analysis.shapes`), the names always at hand (the
parameters) and the names that carry a derivative (float arrays, like the
``x`` whose adjoint is built). Output: the same statements, where a value
``x`` is read only for its shape — ``np.full_like(x, g)`` (the adjoint of a
full reduction), ``x.size``, ``x.shape`` — and nothing else in the sweep
reads ``x``, reading it from a name of ``x``'s class that the sweep reads
anyway (or a parameter) instead: ``np.full_like(m, g)``, ``m.size``,
``m.shape``. Then dead code can drop ``x`` and what only it needed (``grad``
of a loss does not compute the loss). ``np.full_like`` takes the dtype of an
``m`` that carries a derivative (never an integer array's) and dispatches to
``m``'s array library.

>>> import gast
>>> from s2sad.analysis.shapes import ShapeClasses
>>> from s2sad.ir.core import unparse
>>> classes = ShapeClasses(); classes.union("t", "p")
>>> body = gast.parse("t_bar = np.full_like(t, g / t.size)\\np_bar = t_bar / p").body
>>> print("".join(unparse(s) for s in borrow_shapes(body, classes, set(), {"t", "p"}, "np")), end="")
t_bar = np.full_like(p, g / p.size)
p_bar = t_bar / p
"""

from __future__ import annotations

import gast

from ..analysis.shapes import ShapeClasses
from ..ir.core import name, walk


def _shape_reads(stmts: list[gast.stmt], np_name: str) -> tuple[dict[int, str], dict[str, int]]:
    """(id of each shape-only read -> the name read, name -> its other reads)."""
    shape_only: dict[int, str] = {}
    for s in stmts:
        for node in walk(s):
            if (
                isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and isinstance(node.func.value, gast.Name) and node.func.value.id == np_name
                and node.func.attr == "full_like" and len(node.args) == 2 and not node.keywords
                and isinstance(node.args[0], gast.Name)
            ):  # fmt: skip
                shape_only[id(node.args[0])] = node.args[0].id
            elif (
                isinstance(node, gast.Attribute) and node.attr in ("size", "shape")
                and isinstance(node.value, gast.Name) and isinstance(node.ctx, gast.Load)
            ):  # fmt: skip
                shape_only[id(node.value)] = node.value.id
    other: dict[str, int] = {}
    for s in stmts:
        for node in walk(s):
            if isinstance(node, gast.Name) and id(node) not in shape_only:
                other[node.id] = other.get(node.id, 0) + 1
    return shape_only, other


def borrow_shapes(
    stmts: list[gast.stmt], classes: ShapeClasses, params: set[str], varied: set[str], np_name: str
) -> list[gast.stmt]:
    """``stmts`` with shape-only reads moved to a held name of the same class (see the module)."""
    shape_only, other = _shape_reads(stmts, np_name)
    held = params | set(other)

    def source(x: str, like: bool) -> str | None:
        if x in other or classes.find(x) is None:
            return None
        for m in classes.members(x):
            if m != x and m in held and (m in varied or not like):
                return m
        return None

    class Borrow(gast.NodeTransformer):
        def visit_Call(self, node: gast.Call) -> gast.AST:
            self.generic_visit(node)
            if id(node.args[0]) in shape_only if node.args else False:
                m = source(shape_only[id(node.args[0])], like=True)
                if m is not None and isinstance(node.func, gast.Attribute) and node.func.attr == "full_like":
                    node.args[0] = name(m)
            return node

        def visit_Attribute(self, node: gast.Attribute) -> gast.AST:
            self.generic_visit(node)
            if id(node.value) in shape_only and node.attr in ("size", "shape"):
                m = source(shape_only[id(node.value)], like=False)
                if m is not None:
                    node.value = name(m)
            return node

    return [Borrow().visit(s) for s in stmts]
