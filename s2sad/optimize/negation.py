"""Fold a negated term into the sum it is added to: ``a + -b * c`` is
``a - b * c``, and ``a += -b / c`` is ``a -= b / c``; a negated product or
quotient takes the sign on its leftmost factor (``-(b * c)`` is ``-b * c``,
which negates a number where ``b`` is one) and ``-(-e)`` is ``e`` (for ``e``
arithmetic: a new value either way).

Input: a generated function (either mode), where such sums come from a
partial adjoint or tangent (``x_bar + -t2_bar * np.sin(x)``) added to
another; the user's own code is in the core's atoms and holds none.
Output: the same function, where each ``a + t`` and ``a += t`` whose term
``t`` is ``-b``, or a product or quotient whose leftmost factor is ``-b``,
subtracts ``t`` without its sign. The rewrites are exact for numbers and
arrays of them: IEEE rounding is symmetric, so ``(-b) * c == -(b * c)`` and
``(-b) / c == -(b / c)`` bit for bit, and ``a + -d == a - d`` (signed zeros
and NaNs included).

>>> import gast
>>> from s2sad.ir.core import unparse
>>> fn = gast.parse("def f(a, b, c):\\n    a = a + -b * c\\n    a += -b / c * 2\\n    return a + -b").body[0]
>>> print(unparse(fold_negation(fn)).strip())
def f(a, b, c):
    a = a - b * c
    a -= b / c * 2
    return a - b
"""

from __future__ import annotations

import gast

from ..ir.core import walk


def fold_negation(fn: gast.FunctionDef) -> gast.FunctionDef:
    """Rewrite ``fn`` in place (see the module's contract) and return it."""
    _Push().visit(fn)
    for node in walk(fn):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add):
            term = without_sign(node.right)
            if term is not None:
                node.op, node.right = gast.Sub(), term
        elif isinstance(node, gast.AugAssign) and isinstance(node.op, gast.Add):
            term = without_sign(node.value)
            if term is not None:
                node.op, node.value = gast.Sub(), term
    return fn


def without_sign(term: gast.expr) -> gast.expr | None:
    """``-b`` -> ``b``; ``-b * c / d`` -> ``b * c / d``; None for any other term."""
    if isinstance(term, gast.UnaryOp) and isinstance(term.op, gast.USub):
        return term.operand
    if isinstance(term, gast.BinOp) and isinstance(term.op, (gast.Mult, gast.Div)):
        left = without_sign(term.left)
        if left is not None:
            return gast.BinOp(left=left, op=term.op, right=term.right)
    return None


class _Push(gast.NodeTransformer):
    """``-(b * c)`` -> ``-b * c``, ``-(-(b * c))`` -> ``b * c``, from the inside out."""

    def visit_UnaryOp(self, node: gast.UnaryOp) -> gast.AST:
        self.generic_visit(node)
        if isinstance(node.op, gast.USub):
            pushed = _negated(node.operand)
            if pushed is not None:
                return pushed
        return node


def _negated(e: gast.expr) -> gast.expr | None:
    """``-e`` with the sign on its leftmost factor (None: no such rewrite)."""
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        # arithmetic makes a new array; `-(-b)` of a name b is no copy of b once it is `b`
        return e.operand if isinstance(e.operand, (gast.BinOp, gast.UnaryOp)) else None
    if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Mult, gast.Div)):
        if isinstance(e.left, gast.UnaryOp) and isinstance(e.left.op, gast.USub):
            left = e.left.operand  # -(-b * c) is b * c, a new value still
        else:
            left = _negated(e.left)
        if left is None:
            left = gast.UnaryOp(op=gast.USub(), operand=e.left)
        return gast.BinOp(left=left, op=e.op, right=e.right)
    return None
