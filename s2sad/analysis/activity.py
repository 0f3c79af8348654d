"""Activity and kinds of the SSA core's names.

*Varied* names depend, through differentiable operations, on a ``wrt``
argument; only they get adjoints or tangents. Integer and boolean results
(comparisons, ``len``, shapes, indices) are never varied.

*Kinds* say what a name holds, as far as the argument kinds seen at the call
tell (:mod:`s2sad.ir.kinds`): ``scalar`` (a Python or NumPy number),
``array``, ``int`` or ``None`` (unknown). The transforms use them to drop ``unbroadcast`` where the
shapes cannot differ.

Both are fixpoints over the whole function, so loops are handled.
"""

from __future__ import annotations

import builtins
import inspect
import math
import textwrap
from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..frontend.parse import parse_source
from ..frontend.varargs import bind_call
from ..ir.core import dotted, names_in, walk
from ..ir.kinds import (
    ARRAY,
    DICT,
    INT,
    NUMERIC,
    PENDING,
    SCALAR,
    SHAPE,
    TUPLE,
    Kind,
    any_item,
    array_kind,
    as_list,
    dict_entries,
    dict_kind,
    is_array,
    is_container,
    is_dict,
    join,
    list_kind,
    maybe_container,
    nesting,
    tuple_items,
    tuple_kind,
    unit_dims,
)
from ..rules.table import KIND_RULES, RULES
from ..runtime import dict_key
from .resolve import GETITEM, Op
from .statics import class_kind


def statements(stmts: list[gast.stmt]):
    """Every statement, nested ones included, in program order."""
    for s in stmts:
        yield s
        for field_ in ("body", "orelse"):
            yield from statements(getattr(s, field_, []) or [])


def varied_names(fn: gast.FunctionDef, wrt: list[str], ops: dict[int, Op]) -> set[str]:
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for s in statements(fn.body):
            target, inputs = _flow(s, ops)
            if target is None or target in varied:
                continue
            if inputs & varied:
                varied.add(target)
                changed = True
    return varied


def _flow(s: gast.stmt, ops: dict[int, Op]) -> tuple[str | None, set[str]]:
    """The name a statement defines (or mutates) and the names whose
    derivative flows into it."""
    if isinstance(s, gast.Assign):
        tgt = s.targets[0]
        if isinstance(tgt, gast.Subscript):  # x[i] = v: v flows into x
            return tgt.value.id, names_in(s.value)
        op = ops.get(id(s))
        if op is None or op.kind in ("inactive", "const", "opaque"):
            return None, set()
        if op.kind in ("copy", "tuple", "dict"):
            return tgt.id, names_in(s.value)
        if op.kind == "user":
            call = op.args["call"]
            return tgt.id, set().union(set(), *(names_in(a) for a in call.args), *(names_in(k.value) for k in call.keywords))
        assert op.rule is not None
        return tgt.id, set().union(*(names_in(op.args[p]) for p in op.rule.reverse if p in op.args))
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Attribute):
        recv = s.value.func.value
        if isinstance(recv, gast.Name) and s.value.func.attr in ("append", "extend", "insert"):
            return recv.id, names_in(gast.Tuple(elts=list(s.value.args), ctx=gast.Load()))
    return None, set()


CallKind = Callable[[Any, dict[str, Any]], Any]


def infer_kinds(
    fn: gast.FunctionDef, arg_kinds: dict[str, Any], ops: dict[int, Op], call_kind: CallKind | None = None
) -> dict[str, Any]:
    """Kinds of all names: the join over all of a name's definitions (in every
    branch and every loop iteration), a fixpoint; a name whose definitions
    disagree is unknown (None). ``call_kind`` gives
    the kind a user function returns for given argument kinds."""
    assert all(k is None or isinstance(k, Kind) for k in arg_kinds.values()), arg_kinds  # parsed at the boundary
    kinds: dict[str, Any] = dict(arg_kinds)
    pending = PENDING
    body = list(statements(fn.body))  # the tree does not change here: walked once,
    read: dict[int, set[str]] = {}  # and each value's names found once, not once a round
    for s in body:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id not in kinds:
            kinds[s.targets[0].id] = pending
        elif isinstance(s, gast.For) and isinstance(s.target, gast.Name):
            kinds[s.target.id] = _join(kinds.get(s.target.id, pending), INT)  # loops run over ranges
    # A monotone fixpoint: a name's kind only rises (pending -> a kind -> a
    # wider one, as ir.kinds.join orders them -> None, unknown), a bounded
    # number of times since nesting is capped, and at the end
    # every definition's kind, computed from the final kinds, is the name's
    # kind or the name is unknown (a loop-carried name whose kind changes
    # between iterations is unknown).
    changed = True
    while changed:
        changed = False
        for s in body:
            for target, kind in _definitions(s, ops, kinds, call_kind, read):
                if target not in kinds or kind is pending:
                    continue
                kind = _join(kinds[target], kind)
                if kind != kinds[target]:
                    kinds[target] = kind
                    changed = True
    return {n: (None if k is pending else k) for n, k in kinds.items()}



def _definitions(
    s: gast.stmt, ops: dict[int, Op], kinds: dict[str, Any], call_kind: CallKind | None, read: dict[int, set[str]]
):
    """The (name, kind) pairs one statement defines (``PENDING`` for a kind
    that waits on a name not reached yet); ``read`` keeps the names each
    assigned value mentions, by id of the statement."""
    if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
        yield s.target.id, INT
    elif _appended(s) is not None:
        # lst.append(v): lst may hold items of v's kind too
        lst, item = _appended(s)
        k = kinds.get(item.id) if isinstance(item, gast.Name) else kind_of_atom(item, kinds)
        yield lst, (PENDING if k is PENDING else list_kind([k]))
    elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
        names = read.get(id(s))
        if names is None:
            names = read[id(s)] = names_in(s.value)
        if any(kinds.get(n) is PENDING for n in names):
            yield s.targets[0].id, PENDING
        else:
            yield s.targets[0].id, _kind_of(s.value, ops.get(id(s)), kinds, call_kind)


_MAX_NESTING = 4  # containers nested deeper are of unknown items: the fixpoint ends


def _join(old: Any, new: Any) -> Any:
    """The least kind that covers both (None, unknown, covers all); a
    container nested deeper than ``_MAX_NESTING`` widens to ``tuple``
    (items unknown), so every kind rises a bounded number of times."""
    if old is PENDING or old == new:
        joined = new
    elif new is PENDING:
        return old
    else:
        joined = join(old, new)
    if is_container(joined) and nesting(joined) > _MAX_NESTING:
        return TUPLE
    return joined


def kind_of_atom(node: gast.expr, kinds: dict[str, Any]) -> Any:
    if isinstance(node, gast.Constant):
        if isinstance(node.value, float):
            return SCALAR
        return INT  # ints, bools, None, strings: never arrays, never active
    if isinstance(node, gast.Name):
        return kinds.get(node.id)
    if isinstance(node, gast.List):  # a list built where it is passed
        return list_kind([kind_of_atom(e, kinds) for e in node.elts])
    if isinstance(node, gast.Tuple):
        return tuple_kind([kind_of_atom(e, kinds) for e in node.elts])
    if isinstance(node, gast.Attribute):  # a global function passed as a value (np.sin): see pipeline.front
        return kinds.get(dotted(node))
    return None


def _kind_of(value: gast.expr, op: Op | None, kinds: dict[str, Any], call_kind: CallKind | None = None) -> Any:
    if op is None:
        return None
    if op.kind == "copy":
        return kind_of_atom(value, kinds)
    if op.kind == "tuple":
        items = [kind_of_atom(e, kinds) for e in value.elts]
        return list_kind(items) if isinstance(value, gast.List) else tuple_kind(items)
    if op.kind == "dict":
        return literal_dict_kind(op.args["items"], kinds)
    if op.kind == "user":
        found = None
        if call_kind is not None:
            try:
                bound = bind_call(op.callee, value, None)
            except Exception:  # a bad call is reported by the transform, with its location
                return None
            found = call_kind(op.callee, {p: kind_of_atom(a, kinds) for p, a in bound.items()})
        if _returns_tuple(op.callee) and not is_container(found):
            return TUPLE
        return found
    if op.kind == "const":
        return kind_of_atom(value, kinds) if isinstance(value, gast.Constant) else None
    if op.kind == "opaque" and isinstance(op.callee, type):  # Layer(0.5): an object of a user class
        return class_kind(op.callee)
    if op.kind == "inactive":
        if isinstance(value, gast.Attribute) and value.attr == "shape":
            return SHAPE
        if isinstance(value, gast.Subscript) and kind_of_atom(value.value, kinds) == SHAPE:
            return INT
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id == "len":
            return INT
        if op.callee is dict_key:
            return INT  # a dict's key (a string or an int): never active
        if op.callee in (int, bool) or (op.callee is round and len(getattr(value, "args", ())) == 1):
            return INT
        if op.callee is not None:
            return _allocation_kind(op.callee, value, kinds)
        if isinstance(value, (gast.Compare, gast.UnaryOp)):
            operands = [kind_of_atom(a, kinds) for a in _atoms(value)]
            if all(k in (SCALAR, INT) for k in operands):
                return INT
            return ARRAY if any(is_array(k) for k in operands) else None
        return INT if isinstance(value, gast.BoolOp) else None
    if isinstance(value, gast.Subscript):
        return index_kind(kind_of_atom(value.value, kinds), value.slice, kinds)
    if op.kind == "rule" and op.rule is GETITEM:  # a namedtuple's field p.W, read as p[k]
        return index_kind(kind_of_atom(op.args["x"], kinds), op.args["idx"], kinds)
    if op.kind != "rule" or op.rule is None or op.rule.kind is None:
        return None
    arg_kinds = {p: kind_of_atom(a, kinds) for p, a in op.args.items() if p in op.rule.reverse}
    plus = container_op(op, kinds)
    if plus is not None:
        return plus[1]
    consts = {p: a.value for p, a in op.args.items() if isinstance(a, gast.Constant)}
    found = op.rule.kind(arg_kinds, consts)
    if found is None and op.rule.kind is KIND_RULES["elementwise"]:
        return NUMERIC  # arithmetic never makes a list or tuple (`+` and `*` of them are above)
    return found


def literal_dict_kind(value: gast.Dict, kinds: dict[str, Any]) -> Any:
    """The kind of ``{k1: v1, ...}`` or ``{**d, k1: v1, ...}``: a later key
    replaces an earlier value where it stands, as in Python."""
    entries: dict[Any, Any] = {}
    for k, v in zip(value.keys, value.values):
        if k is None:
            unpacked = dict_entries(kind_of_atom(v, kinds))
            if unpacked is None:
                return DICT
            entries.update(unpacked)
        else:
            entries[k.value] = kind_of_atom(v, kinds)
    return dict_kind(list(entries.items()))


def container_op(op: Op, kinds: dict[str, Any]) -> tuple[str, Any] | None:
    """Is ``op`` a ``+`` or ``*`` that may act on lists or tuples? Then
    ("concat", kind) for ``a + b`` of two containers, ("repeat", kind) for
    ``a * n``, ("unknown", None) when the kinds cannot tell whether it is
    arithmetic or not; None when it certainly is arithmetic."""
    if op.kind != "rule" or op.rule is None or op.rule not in (RULES.operator(gast.Add), RULES.operator(gast.Mult)):
        return None
    a, b = (kind_of_atom(op.args[p], kinds) for p in ("x", "y"))
    if op.rule is RULES.operator(gast.Add):
        if is_container(a) and is_container(b):
            ta, tb = tuple_items(a), tuple_items(b)
            if ta is not None and tb is not None:
                return "concat", tuple_kind(ta + tb)
            return "concat", join(as_list(a), as_list(b))
        if maybe_container(a) and maybe_container(b):
            return "unknown", None
        return None
    for seq, n in ((a, b), (b, a)):
        if is_container(seq):
            if n == INT:
                return "repeat", as_list(seq)
            if n is None:
                return "unknown", None
    return None


def _const_int(node: gast.expr) -> Any:
    """The int a constant index holds (None for a None bound), else False."""
    if isinstance(node, gast.Constant) and (node.value is None or type(node.value) is int):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _const_int(node.operand)
        return -inner if isinstance(inner, int) else False
    return False


def _appended(s: gast.stmt) -> tuple[str, gast.expr] | None:
    """(lst, v) for a statement ``lst.append(v)``."""
    if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)):
        return None
    f = s.value.func
    if isinstance(f, gast.Attribute) and f.attr == "append" and isinstance(f.value, gast.Name) and len(s.value.args) == 1:
        return f.value.id, s.value.args[0]
    return None


def _atoms(value: gast.expr) -> list[gast.expr]:
    if isinstance(value, gast.Compare):
        return [value.left, *value.comparators]
    if isinstance(value, gast.UnaryOp):
        return [value.operand]
    return []


def _allocation_kind(fn: Any, call: gast.Call, kinds: dict[str, Any]) -> Any:
    first = kind_of_atom(call.args[0], kinds) if call.args else None
    if fn in (np.zeros_like, np.ones_like, np.empty_like, np.full_like):
        return first if is_array(first) else None
    if fn in (np.zeros, np.ones, np.empty, np.full):
        return array_kind(1) if first == INT else ARRAY
    if fn is np.arange:
        return array_kind(1)
    if fn in (np.eye, np.identity):
        return array_kind(2)
    args = [kind_of_atom(a, kinds) for a in call.args]
    if all(k in (SCALAR, INT) for k in args) and _scalar_in_scalar_out(fn):
        return INT  # never active, never an array
    return ARRAY if any(is_array(k) for k in args) else None


def _scalar_in_scalar_out(fn: Any) -> bool:
    """Does ``fn`` give a non-array for scalar arguments? (Not ``np.linspace``,
    ``np.argsort`` or a user's function declared nondifferentiable.)"""
    if isinstance(fn, np.ufunc) or getattr(fn, "__module__", None) == "math" or fn in vars(math).values():
        return True
    if fn in (np.argmax, np.argmin, np.ndim, np.size, np.any, np.all, np.count_nonzero, np.allclose,
              np.array_equal, np.isscalar, np.round):
        return True
    return any(fn is v for v in vars(builtins).values())


def index_kind(base: Any, index: gast.expr, kinds: dict[str, Any]) -> Any:
    """Kind of ``base[index]`` when ``base``'s ndim (or a container's items) is known."""
    if base == SHAPE:
        return INT
    if is_dict(base):
        entries = dict_entries(base)
        if entries is not None and isinstance(index, gast.Constant):
            return dict(entries).get(index.value)
        return any_item(base)  # a key known only when the code runs: any of the values
    if is_container(base):
        if isinstance(index, gast.Slice):
            items = tuple_items(base)
            lo, hi, step = (None if p is None else _const_int(p) for p in (index.lower, index.upper, index.step))
            if items is not None and all(p is not False for p in (lo, hi, step)):
                return tuple_kind(items[slice(lo, hi, step)])
            return as_list(base)
        items = tuple_items(base)
        k = _const_int(index)
        if items is not None and k is not False and k is not None and -len(items) <= k < len(items):
            return items[k]
        return any_item(base) if kind_of_atom(index, kinds) == INT else None
    if not is_array(base):
        return None
    if base.ndim is None:
        return NUMERIC  # an entry or a part of an array: never a container
    n = base.ndim
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    # the broadcast pattern: the base's dims that remain, in order, and the new ones (None: a unit dim)
    # (a slice with bounds may leave one entry: the dim's pattern is then unknown)
    units = unit_dims(base)
    kept: list[bool | None] | None = [] if units is not None else None
    d = 0  # the base's dim the next part indexes
    for p in parts:
        if isinstance(p, gast.Slice):
            if kept is not None:
                full = p.lower is None and p.upper is None and p.step is None
                kept.append(d in units if full else None)
            d += 1
            continue
        if isinstance(p, gast.Constant) and p.value is None:
            n += 1
            if kept is not None:
                kept.append(True)
        elif isinstance(p, gast.Constant) and p.value is Ellipsis:
            return None
        elif kind_of_atom(p, kinds) == INT:
            n -= 1
            d += 1
        else:
            return NUMERIC  # an array index (fancy indexing) or unknown: an array of unknown ndim, or a number
    if n < 0:
        return None
    if n == 0:
        return SCALAR
    if kept is not None:
        kept += [dim in units for dim in range(d, base.ndim)]  # the dims the index leaves whole
        if None not in kept and len(kept) == n:
            return array_kind(n, frozenset(i for i, unit in enumerate(kept) if unit))
    return array_kind(n)


def _returns_tuple(fn: Any) -> bool:
    """Does ``fn`` end with ``return a, b``? (Its result's adjoint is then a list.)"""
    try:
        tree = parse_source(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    returns = [n for n in walk(tree) if isinstance(n, gast.Return)]
    return bool(returns) and all(isinstance(r.value, (gast.Tuple, gast.List)) for r in returns)
