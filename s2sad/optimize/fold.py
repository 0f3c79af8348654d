"""Constant folding of the expressions a rule's template leaves once spliced.

Input: any expression (a template instantiated with the call's operands).
Output: the same expression where

* ``a if c else b`` whose test ``c`` compares constants (``base is None``,
  ``ord in (None, 2, 'fro')`` once ``ord`` is bound to a constant) is the
  branch taken;
* ``2 - 1``, ``x ** 1``, ``g * 1``, ``1 * g``, ``g / 1`` are folded.

A test Python cannot evaluate (``1 in 2``) stays as it is. Both modes run
this one pass on every template they splice.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> e = gast.parse("(g * 1 if ord in (None, 2) else g * 2) ** (3 - 2)").body[0].value
>>> e.left.test.left = gast.Constant(value=2, kind=None)
>>> print(unparse(fold_constants(e)).strip())
g
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gast

from ..ir.core import const

_TESTS: dict[type, Callable[[Any, Any], bool]] = {
    gast.Eq: lambda a, b: a == b, gast.NotEq: lambda a, b: a != b,
    gast.Is: lambda a, b: a is b, gast.IsNot: lambda a, b: a is not b,
    gast.In: lambda a, b: a in b, gast.NotIn: lambda a, b: a not in b,
}  # fmt: skip

_UNKNOWN = object()


def fold_constants(expr: gast.expr) -> gast.expr:
    """``expr`` with constant tests and trivial arithmetic folded, inside out."""
    return _FoldConstants().visit(expr)


def fold_tests(expr: gast.expr) -> gast.expr:
    """``expr`` with every ``a if c else b`` whose test compares constants
    replaced by the branch taken (inside out)."""
    return _FoldTests().visit(expr)


class _FoldTests(gast.NodeTransformer):
    def visit_IfExp(self, node: gast.IfExp) -> gast.AST:
        self.generic_visit(node)
        return fold_test(node)


class _FoldConstants(_FoldTests):
    def visit_BinOp(self, node: gast.BinOp) -> gast.AST:
        self.generic_visit(node)
        return fold_arithmetic(node)


def fold_test(node: gast.IfExp) -> gast.expr:
    """The branch taken when the test compares constants, else ``node``."""
    decided = constant_test(node.test)
    if decided is None:
        return node
    return node.body if decided else node.orelse


def constant_test(test: gast.expr) -> bool | None:
    """The value of a one-operator comparison of constants (or tuples of
    them); None when it is not one or Python cannot evaluate it."""
    if not (isinstance(test, gast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _TESTS):
        return None
    left, right = _constant(test.left), _constant(test.comparators[0])
    if left is _UNKNOWN or right is _UNKNOWN:
        return None
    try:
        return bool(_TESTS[type(test.ops[0])](left, right))
    except TypeError:
        return None


def _constant(node: gast.expr) -> Any:
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple):
        items = tuple(_constant(e) for e in node.elts)
        return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
    return _UNKNOWN


def _num(node: gast.AST) -> Any:
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def fold_arithmetic(node: gast.BinOp) -> gast.expr:
    """``2 - 1`` -> ``1``; ``x ** 1``, ``x * 1``, ``1 * x``, ``x / 1`` -> ``x``."""
    left, right = _num(node.left), _num(node.right)
    op = type(node.op)
    if left is not None and right is not None and op in (gast.Add, gast.Sub, gast.Mult):
        value = {gast.Add: left + right, gast.Sub: left - right, gast.Mult: left * right}[op]
        return const(value)
    if op is gast.Pow and right == 1:
        return node.left
    if op is gast.Mult and right == 1:
        return node.left
    if op is gast.Mult and left == 1:
        return node.right
    if op is gast.Div and right == 1:
        return node.left
    return node
