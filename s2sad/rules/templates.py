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

import re
from collections.abc import Callable
from typing import Any

import gast

from ..analysis.activity import kind_of_atom
from ..analysis.shapes import ShapeClasses
from ..ir.core import clone, const, name
from ..ir.kinds import INT, SCALAR, is_array, ndim, unit_dims
from ..optimize.fold import fold_arithmetic, fold_test
from .table import RULES, elementwise_call

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
        return gast.Call(func=name("slice"), args=[clone(p) for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[as_value(e) for e in index.elts], ctx=gast.Load())
    return clone(index)


def instantiate(
    template: gast.expr,
    bindings: dict[str, gast.expr],
    rename: Callable[[str], str],
) -> gast.expr:
    """Copy ``template`` with its names replaced: ``bindings`` first, then
    ``rename`` for module and helper names (``np``, ``unbroadcast``)."""
    return _Substitute(bindings, rename).visit(clone(template))


class _Substitute(gast.NodeTransformer):
    """What :func:`instantiate` does to its copy of a template (one class,
    not one a call: making a class costs more than the copy)."""

    def __init__(self, bindings: dict[str, gast.expr], rename: Callable[[str], str]):
        self.bindings = bindings
        self.rename = rename

    def visit_Subscript(self, node: gast.Subscript) -> gast.AST:
        node.value = self.visit(node.value)
        if isinstance(node.slice, gast.Name) and node.slice.id in self.bindings:
            node.slice = clone(self.bindings[node.slice.id])
        else:
            node.slice = self.visit(node.slice)
        return node

    def visit_Name(self, node: gast.Name) -> gast.AST:
        if node.id in self.bindings:
            return as_value(self.bindings[node.id])
        node.id = self.rename(node.id)
        return node


def others_same(x: gast.expr, operand_names: list[str | None]) -> bool:
    """Are all operands the very same name (``y * y``)? Then no broadcasting."""
    return isinstance(x, gast.Name) and len(operand_names) > 1 and all(n == x.id for n in operand_names)


def simplify(
    expr: gast.expr,
    kinds: dict[str, Any],
    operand_kinds: list[Any],
    result_kind: Any,
    operand_names: list[str | None] | None = None,
    adjoint: gast.expr | None = None,
    np_name: str | None = None,
    shapes: ShapeClasses | None = None,
    result: str | None = None,
) -> gast.expr:
    """Drop ``unbroadcast(e, x)`` where shapes agree, fold trivial arithmetic.

    ``adjoint`` is the expression bound to ``g`` when it is known to have the
    result's shape (the adjoint of a name always has the name's shape; the
    seed a caller passes may not); ``np_name`` the name NumPy has in the
    generated code (None: no NumPy call is written). Then, with the broadcast patterns
    (:mod:`s2sad.ir.kinds`) of the operands known, ``unbroadcast`` becomes
    the sums it does, and ``matmul_adjoint``, ``reduce_adjoint`` and
    ``mean_adjoint`` the expressions they evaluate (:func:`specialise`).
    With ``shapes`` (:mod:`s2sad.analysis.shapes`) and the ``result``'s name,
    ``unbroadcast(e, x)`` also goes where ``e`` is proven to have ``x``'s shape.
    """
    operand_names = operand_names or []
    g_kind = (lambda node: None) if adjoint is None else _adjoint_kind(adjoint, result_kind)
    g_class = None if adjoint is None or shapes is None or result is None else shapes.find(result)

    return _Simplify(kinds, operand_kinds, result_kind, operand_names, g_kind, np_name, shapes, adjoint, g_class).visit(
        expr
    )


class _Simplify(gast.NodeTransformer):
    """What :func:`simplify` does, inside out."""

    def __init__(
        self, kinds: dict[str, Any], operand_kinds: list[Any], result_kind: Any, operand_names: list[str | None],
        g_kind: Callable[[gast.expr], Any], np_name: str | None, shapes: ShapeClasses | None = None,
        adjoint: gast.expr | None = None, g_class: str | None = None,
    ):  # fmt: skip
        self.kinds, self.operand_kinds, self.result_kind = kinds, operand_kinds, result_kind
        self.operand_names, self.g_kind, self.np_name = operand_names, g_kind, np_name
        self.shapes, self.adjoint, self.g_class = shapes, adjoint, g_class

    def visit_Call(self, node: gast.Call) -> gast.AST:
        self.generic_visit(node)
        kinds, result_kind = self.kinds, self.result_kind
        f = node.func
        if isinstance(f, gast.Name) and f.id.endswith("unbroadcast") and len(node.args) == 2:
            e, x = node.args
            kx = kind_of_atom(x, kinds)
            others = list(self.operand_kinds)
            if kx in others:
                others.remove(kx)
            if kx == SCALAR and result_kind == SCALAR:
                return e
            if others_same(node.args[1], self.operand_names):
                return e
            if is_array(kx) and others and all(k in (SCALAR, INT) for k in others):
                return e
            shapes = self.shapes
            if shapes is not None and isinstance(x, gast.Name) and shapes.find(x.id) is not None:
                if expr_class(e, kinds, self.g_kind, shapes, self.adjoint, self.g_class) == shapes.find(x.id):
                    return e
        if isinstance(f, gast.Name):
            g_kind = self.g_kind
            found = specialise(node, _helper_name(f.id), kinds, lambda e: expr_kind(e, kinds, g_kind), self.np_name)
            if found is not None:
                return found
        return node

    def visit_BinOp(self, node: gast.BinOp) -> gast.AST:
        self.generic_visit(node)
        return fold_arithmetic(node)

    def visit_IfExp(self, node: gast.IfExp) -> gast.AST:
        self.generic_visit(node)
        return fold_test(node)


def _helper_name(id_: str) -> str:
    """A runtime helper's own name, from the name the generated code calls it by
    (``_unbroadcast`` where the user's module has an ``unbroadcast`` of its own)."""
    m = re.fullmatch(r"_*([a-z_]+?)(?:_[0-9]+)?", id_)
    return m.group(1) if m else id_


def _adjoint_kind(adjoint: gast.expr, result_kind: Any) -> Callable[[gast.expr], Any]:
    def kind(node: gast.expr) -> Any:
        if isinstance(adjoint, gast.Name) and isinstance(node, gast.Name) and node.id == adjoint.id:
            return result_kind
        return None

    return kind


def expr_kind(node: gast.expr, kinds: dict[str, Any], g_kind: Callable[[gast.expr], Any]) -> Any:
    """The kind of an instantiated template's sub-expression, where its shape
    is certain: names (``g`` by ``g_kind``), constants, arithmetic and
    NumPy's elementwise functions of them; None (unknown) for anything else."""
    if isinstance(node, gast.Name):
        found = g_kind(node)
        return found if found is not None else kinds.get(node.id)
    if isinstance(node, gast.Constant):
        return kind_of_atom(node, kinds)
    if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
        parts = [node.left, node.right]
    elif isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        parts = [node.operand]
    elif isinstance(node, gast.Compare):
        parts = [node.left, *node.comparators]
    elif elementwise_call(node):
        parts = list(node.args)
    else:
        return None
    found = [expr_kind(p, kinds, g_kind) for p in parts]
    if any(k is None or not (k in (SCALAR, INT) or is_array(k)) for k in found):
        return None
    return RULES.operator(gast.Add).kind(dict(enumerate(found)), {})


def expr_class(
    node: gast.expr, kinds: dict[str, Any], g_kind: Callable[[gast.expr], Any], shapes: ShapeClasses,
    adjoint: gast.expr | None, g_class: str | None,
) -> str | None:  # fmt: skip
    """The shape class (:class:`ShapeClasses`) of an instantiated template's
    sub-expression, where it is proven: a name's (the adjoint ``g``'s is its
    result's, ``g_class``), a negation's, an elementwise NumPy function's of
    one operand, and arithmetic's where the operands are one class or scalars."""
    if isinstance(node, gast.Name):
        if isinstance(adjoint, gast.Name) and node.id == adjoint.id:
            return g_class
        return shapes.find(node.id)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return expr_class(node.operand, kinds, g_kind, shapes, adjoint, g_class)
    if elementwise_call(node):
        return expr_class(node.args[0], kinds, g_kind, shapes, adjoint, g_class)
    if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
        found = set()
        for part in (node.left, node.right):
            if expr_kind(part, kinds, g_kind) in (SCALAR, INT):
                continue
            found.add(expr_class(part, kinds, g_kind, shapes, adjoint, g_class))
        return found.pop() if len(found) == 1 else None
    return None


def _np(np_name: str, fn: str, args: list[gast.expr], **keywords: Any) -> gast.Call:
    kws = [gast.keyword(arg=k, value=v if isinstance(v, gast.AST) else const(v)) for k, v in keywords.items()]
    return gast.Call(func=gast.Attribute(value=name(np_name), attr=fn, ctx=gast.Load()), args=args, keywords=kws)


def _axes(dims: list[int]) -> Any:
    return dims[0] if len(dims) == 1 else gast.Tuple(elts=[const(d) for d in dims], ctx=gast.Load())


def _attr(node: gast.expr, attr: str) -> gast.expr:
    return gast.Attribute(value=clone(node), attr=attr, ctx=gast.Load())


def _const_arg(node: gast.expr) -> tuple[bool, Any]:
    """(True, value) for a constant int, bool or None argument."""
    if isinstance(node, gast.Constant) and (node.value is None or type(node.value) in (int, bool)):
        return True, node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        ok, v = _const_arg(node.operand)
        return (True, -v) if ok and type(v) is int else (False, None)
    return False, None


def specialise(
    call: gast.Call, helper: str, kinds: dict[str, Any], kind_of: Callable[[gast.expr], Any], np_name: str | None
) -> gast.expr | None:
    """The expression a runtime helper evaluates, where the kinds know its
    answer (None: keep the call). ``kind_of`` gives the kind of an argument
    expression where its shape is certain.

    * ``unbroadcast(e, x)``: ``np.sum(e)`` for a scalar ``x``; for an array
      ``x`` of known pattern and an ``e`` of known ndim, the sum over the
      leading dims ``e`` has beyond ``x`` and, keeping them, over ``x``'s
      unit dims (nothing when there are none: ``e`` has ``x``'s shape).
    * ``matmul_adjoint``/``dot_adjoint`` of operands of ndim 1 or 2:
      ``g @ B.T``, ``A.T @ g``, ``np.outer(g, b)``, ``g @ A``, ``B @ g``...
    * ``reduce_adjoint``/``mean_adjoint`` of an array of known ndim over a
      constant axis: ``np.full_like`` (a full reduction) or ``np.broadcast_to``.
    """
    args = call.args
    if call.keywords:
        return None
    if np_name is None:  # only what needs no NumPy call: 2-D by 2-D and 1-D by 1-D products
        if helper not in ("matmul_adjoint", "dot_adjoint") or len(args) != 4:
            return None
        found = _matmul_adjoint(*args, kinds, kind_of, "np", dot=helper == "dot_adjoint")
        return found if isinstance(found, gast.BinOp) else None
    if helper == "unbroadcast" and len(args) == 2:
        return _unbroadcast(args[0], args[1], kinds, kind_of, np_name)
    if helper in ("matmul_adjoint", "dot_adjoint") and len(args) == 4:
        return _matmul_adjoint(*args, kinds, kind_of, np_name, dot=helper == "dot_adjoint")
    if helper in ("reduce_adjoint", "mean_adjoint") and len(args) == 4:
        return _reduce_adjoint(*args, kinds, np_name, mean=helper == "mean_adjoint")
    return None


def _unbroadcast(
    e: gast.expr, x: gast.expr, kinds: dict[str, Any], kind_of: Callable[[gast.expr], Any], np_name: str
) -> gast.expr | None:
    kx = kind_of_atom(x, kinds)
    ke = kind_of(e)
    if kx == SCALAR:
        # the helper sums everything (np.sum of a Python float is a NumPy float, a float too)
        return e if ke == SCALAR else _np(np_name, "sum", [e])
    units_x = unit_dims(kx)
    if not (is_array(kx) and units_x is not None and is_array(ke) and ke.ndim is not None):
        return None
    lead = ke.ndim - kx.ndim
    if lead < 0:
        return None  # cannot happen with e of the result's shape; keep the helper
    units_e = unit_dims(ke)
    out = e
    if lead:
        out = _np(np_name, "sum", [out], axis=_axes(list(range(lead))))
    keep = [d for d in sorted(units_x) if units_e is None or d + lead not in units_e]
    if keep:  # x's unit dims where e's may be longer (summing a dim of length 1 changes nothing)
        out = _np(np_name, "sum", [out], axis=_axes(keep), keepdims=True)
    return out


def _matmul_adjoint(
    g: gast.expr, a: gast.expr, b: gast.expr, which: gast.expr, kinds: dict[str, Any],
    kind_of: Callable[[gast.expr], Any], np_name: str, dot: bool = False,
) -> gast.expr | None:  # fmt: skip
    ok, k = _const_arg(which)
    if not ok or k not in (0, 1):
        return None
    na, nb = ndim(kind_of_atom(a, kinds)), ndim(kind_of_atom(b, kinds))
    na = na if is_array(kind_of_atom(a, kinds)) else None
    nb = nb if is_array(kind_of_atom(b, kinds)) else None
    if na is None or nb is None:
        return None
    g = clone(g)

    def mm(left: gast.expr, right: gast.expr) -> gast.expr:
        return gast.BinOp(left=left, op=gast.MatMult(), right=right)

    if na == 2 and nb == 2:  # what the helper computes, whatever g is
        return mm(g, _attr(b, "T")) if k == 0 else mm(_attr(a, "T"), g)
    if na == 1 and nb == 1:
        return gast.BinOp(left=g, op=gast.Mult(), right=clone(b if k == 0 else a))
    kg = kind_of(g)
    if not (is_array(kg) and kg.ndim == 1):  # the result of (m, k) @ (k,) or (k,) @ (k, n)
        return None  # g's ndim is not certain (a seed a caller passes): keep the helper
    if na == 2 and nb == 1:  # (m, k) @ (k,) -> (m,)
        return _np(np_name, "outer", [g, clone(b)]) if k == 0 else mm(g, clone(a))
    if na == 1 and nb == 2:  # (k,) @ (k, n) -> (n,)
        return mm(clone(b), g) if k == 0 else _np(np_name, "outer", [clone(a), g])
    return None


def _reduce_adjoint(
    g: gast.expr, x: gast.expr, axis: gast.expr, keepdims: gast.expr, kinds: dict[str, Any], np_name: str,
    mean: bool = False,
) -> gast.expr | None:  # fmt: skip
    kx = kind_of_atom(x, kinds)
    ok_axis, ax = _const_arg(axis)
    ok_keep, keep = _const_arg(keepdims)
    if not (is_array(kx) and kx.ndim is not None and kx.ndim >= 1 and ok_axis and ok_keep and type(keep) is bool):
        return None
    n = kx.ndim
    if ax is not None and not (type(ax) is int and -n <= ax < n):
        return None
    g = clone(g)
    shape = _attr(x, "shape")
    if ax is None or n == 1:
        count: gast.expr = _attr(x, "size")
    else:
        count = gast.Subscript(value=shape, slice=const(ax % n), ctx=gast.Load())
    if mean:
        g = gast.BinOp(left=g, op=gast.Div(), right=count)
    if (ax is None or n == 1) and not keep:
        # the adjoint of a full reduction, a number: an array like x holding it (x's dtype, as the helper;
        # x is a float array: an int array carries a derivative only into a cast, whose adjoint is zero)
        return _np(np_name, "full_like", [clone(x), g])
    if not keep:
        g = _np(np_name, "expand_dims", [g, const(ax % n)])
    return _np(np_name, "broadcast_to", [g, clone(shape)])
