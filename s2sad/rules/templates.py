"""Splice a rule's template into generated code and tidy the result.

Shared by reverse and forward mode (neither imports the other; both splice
rules through this module): the template's parameter names are
replaced by the call's operands, ``g`` by the incoming adjoint, ``z`` by the
result; then ``unbroadcast`` is dropped where the kinds show the shapes agree,
and trivial arithmetic (``x ** 1``, ``2 - 1``, ``g * 1.0``) and constant
tests are folded (:mod:`s2sad.optimize.fold`).

>>> import gast
>>> from s2sad.codegen.emit import expr_source
>>> t = gast.parse("unbroadcast(g * np.cos(x), x)").body[0].value
>>> e = instantiate(t, {"x": gast.Name(id="a", ctx=gast.Load(), annotation=None, type_comment=None)}, str)
>>> print(expr_source(simplify(e, {"a": "scalar"}, ["scalar"], "scalar")))
(g * np.cos(a))
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import gast

from ..analysis.activity import kind_of_atom
from ..ir.core import const, name
from ..ir.kinds import INT, SCALAR, is_array
from ..optimize.fold import fold_arithmetic, fold_test

RUNTIME_NAMES = frozenset(
    {
        "unbroadcast", "zeros_like", "getitem_adjoint", "reduce_adjoint", "mean_adjoint", "extremum_adjoint",
        "prod_adjoint", "var_adjoint", "matmul_adjoint", "dot_adjoint", "tensordot_adjoint", "einsum_adjoint",
        "einsum_adjoints", "einsum_tangent", "cumsum_adjoint", "norm_adjoint", "transpose_adjoint",
        "concatenate_adjoint", "stack_adjoint", "balanced_eq", "sum_list_adjoint", "array_adjoint", "add_adjoints", "dict_part", "loop_item", "dict_key", "loop_item_adjoint", "loop_item_tangent", "zero_at", "write_adjoint", "snapshot", "laid_out_like", "check_finite", "check_unshared", "add_at", "fresh",
        "broadcast_like", "prod_adjoint_tangent", "einsum_adjoint_tangent", "einsum_adjoints_tangent",
        "copy_of",
        "solve_adjoint", "cholesky_adjoint", "cholesky_tangent", "diagonal_adjoint", "diag_adjoint",
        "repeat_adjoint", "tile_adjoint", "hstack_adjoint", "vstack_adjoint", "column_stack_adjoint", "diff_adjoint",
        "cumprod_adjoint", "cumprod_tangent", "cast_adjoint", "cast_tangent", "fill_adjoint", "item_adjoint",
        "minmax_adjoint", "minmax_tangent", "average_adjoint", "average_weights_adjoint",
        "average_weights_tangent", "norm_ord_adjoint", "norm_adjoint_tangent", "sinc_slope", "linspace_weights",
        "repeated_adjoint", "plus_adjoint", "plus_tangent",
    }
)  # fmt: skip


def basic_index(idx: gast.expr, kinds: dict[str, Any]) -> bool:
    """Is this index (as a value, see :func:`as_value`) known to select
    without repeats: ints, slices, None and ...? (An integer array may
    repeat an entry.)"""
    parts = idx.elts if isinstance(idx, gast.Tuple) else [idx]
    for p in parts:
        if isinstance(p, gast.Constant) and (p.value is None or p.value is Ellipsis):
            continue
        if isinstance(p, gast.Call) and isinstance(p.func, gast.Name) and p.func.id == "slice":
            if all(kind_of_atom(a, kinds) == INT for a in p.args):
                continue
            return False
        if kind_of_atom(p, kinds) != INT:
            return False
    return True


def as_value(index: gast.expr) -> gast.expr:
    """An index (which may hold slices) as an ordinary expression."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else const(None) for p in (index.lower, index.upper, index.step)]
        return gast.Call(func=name("slice"), args=[copy.deepcopy(p) for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[as_value(e) for e in index.elts], ctx=gast.Load())
    return copy.deepcopy(index)


def instantiate(
    template: gast.expr,
    bindings: dict[str, gast.expr],
    rename: Callable[[str], str],
) -> gast.expr:
    """Copy ``template`` with its names replaced: ``bindings`` first, then
    ``rename`` for module and helper names (``np``, ``unbroadcast``)."""
    tree = copy.deepcopy(template)

    class Sub(gast.NodeTransformer):
        def visit_Subscript(self, node: gast.Subscript) -> gast.AST:
            node.value = self.visit(node.value)
            if isinstance(node.slice, gast.Name) and node.slice.id in bindings:
                node.slice = copy.deepcopy(bindings[node.slice.id])
            else:
                node.slice = self.visit(node.slice)
            return node

        def visit_Name(self, node: gast.Name) -> gast.AST:
            if node.id in bindings:
                return as_value(bindings[node.id])
            node.id = rename(node.id)
            return node

    return Sub().visit(tree)


def others_same(x: gast.expr, operand_names: list[str | None]) -> bool:
    """Are all operands the very same name (``y * y``)? Then no broadcasting."""
    return isinstance(x, gast.Name) and len(operand_names) > 1 and all(n == x.id for n in operand_names)


def simplify(
    expr: gast.expr,
    kinds: dict[str, Any],
    operand_kinds: list[Any],
    result_kind: Any,
    operand_names: list[str | None] | None = None,
) -> gast.expr:
    """Drop ``unbroadcast(e, x)`` where shapes agree, fold trivial arithmetic."""
    operand_names = operand_names or []

    class Simp(gast.NodeTransformer):
        def visit_Call(self, node: gast.Call) -> gast.AST:
            self.generic_visit(node)
            f = node.func
            if isinstance(f, gast.Name) and f.id.endswith("unbroadcast") and len(node.args) == 2:
                e, x = node.args
                kx = kind_of_atom(x, kinds)
                others = list(operand_kinds)
                if kx in others:
                    others.remove(kx)
                if kx == SCALAR and result_kind == SCALAR:
                    return e
                if others_same(node.args[1], operand_names):
                    return e
                if is_array(kx) and others and all(k in (SCALAR, INT) for k in others):
                    return e
            return node

        def visit_BinOp(self, node: gast.BinOp) -> gast.AST:
            self.generic_visit(node)
            return fold_arithmetic(node)

        def visit_IfExp(self, node: gast.IfExp) -> gast.AST:
            self.generic_visit(node)
            return fold_test(node)

    return Simp().visit(expr)
