"""Forward rules for the s2sad runtime itself: the helpers generated gradients call.

Forward mode over a generated gradient (``hvp``, ``hessian``) meets calls
such as ``unbroadcast(t1_bar, x)`` or ``matmul_adjoint(t1_bar, W, x, 0)``.
Each row here gives their tangents, in the same template language as
:mod:`s2sad.rules.numpy`. Most helpers are linear in the incoming adjoint,
called ``v`` here (``g`` and ``z`` are the transforms' own names for the
result's adjoint and the result; a parameter called ``z`` hides the result
in forward templates): their tangent is the same helper applied
to ``v_dot``. The rest get their exact rule, with a helper of
:mod:`s2sad.runtime` where needed (``prod_adjoint_tangent``).

A template of the form ``A if which == 1 else zeros_like(...)`` folds at
transform time when ``which`` is a constant (it always is in generated
code); a contribution that folds to ``zeros_like(...)`` is a symbolic zero.

These rules live in their own table, ``RUNTIME_RULES``, which only forward
mode consults: reverse mode over generated code (``grad`` of a gradient) is
not supported, and the reverse table's coverage test expects every one of
its rows to be a NumPy or ``math`` primitive. So each row's ``reverse``
entries only mark the parameters a derivative flows through (the analyses
read them); their template is ``None``.

>>> from s2sad import runtime
>>> rule = RUNTIME_RULES.lookup(runtime.unbroadcast)
>>> rule.params, sorted(rule.forward)
(('v', 'x'), ['v'])
"""

from __future__ import annotations

import builtins

from .. import runtime as rt
from ..ir.kinds import TUPLE, Kind, is_container
from .table import INTEGER_VALUED, NO_VALUE, PIECEWISE_CONSTANT, SHAPE_ONLY, RuleTable

RUNTIME_RULES = RuleTable()

# names of rules whose result is a list of per-item adjoints: their tangent
# contributions add up with add_adjoints, not `+` (which would concatenate)
LIST_VALUED: set[str] = set()


def _tuple_kind(kinds: dict, consts: dict) -> Kind:
    return TUPLE


def add(key, signature: str, forward: dict[str, str], kind="unknown", sequence: str | None = None, lists=False):
    rule = RUNTIME_RULES.add(
        key, signature, reverse=dict.fromkeys(forward, "None"), forward=forward,
        kind=_tuple_kind if lists else kind, sequence=sequence,
    )
    if lists:
        LIST_VALUED.add(rule.name)
    return rule


def _which(param: str, nonzero_when: int, call: str) -> str:
    """The tangent of a bilinear ``*_adjoint(v, a, b, ..., which)`` along one
    operand: nonzero only for the ``which`` whose result reads that operand."""
    return f"{call} if which == {nonzero_when} else zeros_like({param}_dot)"


# ----------------------------------------------------- linear in the adjoint
def _like_x(kinds: dict, consts: dict):
    """The kind of ``x``: an adjoint has its primal's shape (never a container here)."""
    k = kinds.get("x")
    return None if is_container(k) else k


add(rt.unbroadcast, "v, x", {"v": "unbroadcast(v_dot, x)"}, kind=_like_x)
add(rt.fresh, "x", {"x": "fresh(x_dot)"})
add(rt.copy_of, "t", {"t": "copy_of(t_dot)"})
add(rt.broadcast_like, "t, like", {"t": "broadcast_like(t_dot, like)"})
add(rt.zero_at, "v, idx", {"v": "zero_at(v_dot, idx)"})
add(rt.write_adjoint, "v, idx, x", {"v": "write_adjoint(v_dot, idx, x)"})
add(rt.snapshot, "x", {"x": "snapshot(x_dot)"})
add(rt.laid_out_like, "t, v", {"t": "laid_out_like(t_dot, v)"})
add(rt.getitem_adjoint, "v, x, idx", {"v": "getitem_adjoint(v_dot, x, idx)"})
add(rt.reduce_adjoint, "v, x, axis=None, keepdims=False", {"v": "reduce_adjoint(v_dot, x, axis, keepdims)"})
add(rt.mean_adjoint, "v, x, axis=None, keepdims=False", {"v": "mean_adjoint(v_dot, x, axis, keepdims)"})
# the routing mask is piecewise constant in x and m: zero derivative almost everywhere
add(rt.extremum_adjoint, "v, x, m, axis=None, keepdims=False",
    {"v": "extremum_adjoint(v_dot, x, m, axis, keepdims)"})
add(rt.cumsum_adjoint, "v, x, axis=None", {"v": "cumsum_adjoint(v_dot, x, axis)"})
add(rt.transpose_adjoint, "v, axes=None", {"v": "transpose_adjoint(v_dot, axes)"})
add(rt.concatenate_adjoint, "v, arrays, axis=0", {"v": "concatenate_adjoint(v_dot, arrays, axis)"}, lists=True)
add(rt.stack_adjoint, "v, arrays, axis=0", {"v": "stack_adjoint(v_dot, arrays, axis)"}, lists=True)
add(rt.sum_list_adjoint, "v, items", {"v": "sum_list_adjoint(v_dot, items)"}, lists=True)
add(rt.array_adjoint, "v, items", {"v": "array_adjoint(v_dot, items)"}, lists=True)
# adjoints of the shape, fill and cast rules: linear in v, the other operands give shapes,
# dtypes, or (minmax_adjoint) a selection that is piecewise constant
add(rt.diagonal_adjoint, "v, x, offset=0, axis1=0, axis2=1", {"v": "diagonal_adjoint(v_dot, x, offset, axis1, axis2)"})
add(rt.diag_adjoint, "v, x, k=0", {"v": "diag_adjoint(v_dot, x, k)"})
add(rt.repeat_adjoint, "v, x, repeats, axis=None", {"v": "repeat_adjoint(v_dot, x, repeats, axis)"})
add(rt.tile_adjoint, "v, x, reps", {"v": "tile_adjoint(v_dot, x, reps)"})
add(rt.diff_adjoint, "v, n=1, axis=-1", {"v": "diff_adjoint(v_dot, n, axis)"})
for _fn in (rt.hstack_adjoint, rt.vstack_adjoint, rt.column_stack_adjoint):
    add(_fn, "v, arrays", {"v": f"{_fn.__name__}(v_dot, arrays)"}, lists=True)
add(rt.item_adjoint, "v, x, args=()", {"v": "item_adjoint(v_dot, x, args)"})
add(rt.cast_adjoint, "v, z", {"v": "cast_adjoint(v_dot, z)"})
add(rt.cast_tangent, "t, z", {"t": "cast_tangent(t_dot, z)"})
add(rt.fill_adjoint, "v, fill_value, z", {"v": "fill_adjoint(v_dot, fill_value, z)"})
add(rt.minmax_adjoint, "v, z, x, rest, which", {"v": "minmax_adjoint(v_dot, z, x, rest, which)"})
# the tangent of builtin max/min: linear in the items' tangents t (a list for several items)
add(rt.minmax_tangent, "t, z, x, rest, which", {"t": "minmax_tangent(t_dot, z, x, rest, which)"}, sequence="t")
add(rt.add_adjoints, "a, b", {"a": "a_dot", "b": "b_dot"}, lists=True)
add(rt.repeated_adjoint, "v, x", {"v": "repeated_adjoint(v_dot, x)"}, lists=True)
add(rt.dict_part, "v, d, replaced", {"v": "dict_part(v_dot, d, replaced)"}, lists=True)
add(rt.loop_item, "seq, i", {"seq": "loop_item_tangent(seq_dot, seq, i)"})
add(rt.loop_item_adjoint, "v, seq, i", {"v": "loop_item_adjoint(v_dot, seq, i)"})
add(rt.loop_item_tangent, "t, seq, i", {"t": "loop_item_tangent(t_dot, seq, i)"})
# linear in (x_dot, y_dot) together: the same helper on their tangents (the two
# contributions add leaf by leaf, since they may be lists)
LIST_VALUED.add(add(rt.plus_tangent, "x_dot, y_dot, x, y",
                    {"x_dot": "plus_tangent(x_dot_dot, zeros_like(y_dot), x, y)",
                     "y_dot": "plus_tangent(zeros_like(x_dot), y_dot_dot, x, y)"}).name)
add(rt.plus_adjoint, "v, x, y, which", {"v": "plus_adjoint(v_dot, x, y, which)"}, kind="unknown")

# ------------------------------------------------------ also reading values
add(rt.prod_adjoint, "v, x, axis=None, keepdims=False",
    {"v": "prod_adjoint(v_dot, x, axis, keepdims)", "x": "prod_adjoint_tangent(v, x, x_dot, axis, keepdims)"})
# var_adjoint is linear in x as well: E(v) * 2 (x - mean x) / (n - ddof)
add(rt.var_adjoint, "v, x, axis=None, ddof=0, keepdims=False",
    {"v": "var_adjoint(v_dot, x, axis, ddof, keepdims)", "x": "var_adjoint(v, x_dot, axis, ddof, keepdims)"})
# norm_adjoint = E(v) * x / E(n), with n the norm
add(rt.norm_adjoint, "v, x, n, ord=None, axis=None, keepdims=False",
    {"v": "norm_adjoint(v_dot, x, n, ord, axis, keepdims)", "x": "norm_adjoint_tangent(v, x, x_dot, n, ord, axis, keepdims)",
     "n": "-norm_adjoint(v * n_dot / n, x, n, ord, axis, keepdims)"})
# norm_adjoint's tangent along x: norm_adjoint(v, t, n), linear in v and t
add(rt.norm_adjoint_tangent, "v, x, t, n, ord=None, axis=None, keepdims=False",
    {"v": "norm_adjoint_tangent(v_dot, x, t, n, ord, axis, keepdims)",
     "t": "norm_adjoint_tangent(v, x, t_dot, n, ord, axis, keepdims)",
     "n": "-norm_adjoint_tangent(v * n_dot / n, x, t, n, ord, axis, keepdims)"})
for _fn in (rt.matmul_adjoint, rt.dot_adjoint):
    _name = _fn.__name__
    add(_fn, "v, a, b, which", {
        "v": f"{_name}(v_dot, a, b, which)",
        "a": _which("a", 1, f"{_name}(v, a_dot, b, 1)"),
        "b": _which("b", 0, f"{_name}(v, a, b_dot, 0)"),
    })
add(rt.tensordot_adjoint, "v, a, b, axes, which", {
    "v": "tensordot_adjoint(v_dot, a, b, axes, which)",
    "a": _which("a", 1, "tensordot_adjoint(v, a_dot, b, axes, 1)"),
    "b": _which("b", 0, "tensordot_adjoint(v, a, b_dot, axes, 0)"),
})
add(rt.einsum_adjoint, "v, subscripts, operands, which", {
    "v": "einsum_adjoint(v_dot, subscripts, operands, which)",
    "operands": "einsum_adjoint_tangent(v, subscripts, operands, operands_dot, which)",
}, sequence="operands")
add(rt.einsum_adjoints, "v, subscripts, operands", {
    "v": "einsum_adjoints(v_dot, subscripts, operands)",
    "operands": "einsum_adjoints_tangent(v, subscripts, operands, operands_dot)",
}, sequence="operands", lists=True)

# values that carry no derivative: fresh zeros, the tie-splitting mask, the
# finiteness check (a statement); add_at(buffer, idx, v), which adds in place,
# is a statement the transform follows itself (see ForwardTransform.add_at)
RUNTIME_RULES.inactive(rt.zeros_like, rt.linspace_weights, reason=SHAPE_ONLY)
RUNTIME_RULES.inactive(rt.dict_key, reason=NO_VALUE)  # a dict's key: a string or an int
RUNTIME_RULES.inactive(rt.balanced_eq, reason=PIECEWISE_CONSTANT)
RUNTIME_RULES.inactive(rt.check_finite, reason=NO_VALUE)
RUNTIME_RULES.inactive(rt.check_unshared, reason=NO_VALUE)
# generated code spells an index it passes around as slice(a, b, c)
RUNTIME_RULES.inactive(builtins.slice, reason=INTEGER_VALUED)
