"""Pytrees in the SSA core: what dict loops and namedtuple fields read.

Input: the SSA core, the operation of each assignment, and a function that
infers the kinds of its names. A loop's read of item ``i`` of what it walks
(``k = seq[i]``, marked by :class:`s2sad.ir.core.KeyRead`) and a field
read ``z = p.W`` are not decided by normalization, which does not know kinds.

Output guarantees (the core is changed in place):

* over a dict (its kind says so, or the loop walks ``d.keys()``,
  ``d.values()``, ``d.items()``), the read is the ``i``-th key,
  ``k = dict_key(d, i)`` (``[*d][i]``): a constant-valued (inactive) operation, as Python's
  iteration over a dict gives its keys in insertion order;
* where the kinds cannot tell (a value of unknown kind), the read is
  ``loop_item(seq, i)``, which decides when the code runs (a key of a
  mapping, else ``seq[i]``), with its own adjoint;
* ``p.W`` on a namedtuple (its kind names the fields) reads item
  ``p[<index of W>]``: its operation is indexing, so its adjoint is the
  namedtuple's list of item adjoints with ``W``'s filled in;
* ``d.copy()`` of a dict is the dict ``{**d}`` (its operation; the code
  still calls ``d.copy()``);
* no :class:`KeyRead` context is left in the core.

A ``.items()`` (``.keys()``, ``.values()``) loop over a value whose kind is
known and is not a dict is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gast

from ..errors import Location, UnsupportedSyntaxError
from ..ir.core import KeyRead, const, walk
from ..ir.core import name as _name
from ..ir.kinds import DICT, is_dict, tuple_fields
from ..runtime import dict_key
from .activity import kind_of_atom, statements
from .resolve import GETITEM, LOOP_ITEM, Op


def lower_pytrees(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    infer: Callable[[], dict[str, Any]],
    filename: str,
    value_of: Callable[[gast.expr], tuple[bool, Any]] = lambda node: (False, None),
    runtime: Callable[[str], str] = lambda n: n,
) -> dict[str, Any]:
    """Rewrite dict key reads and namedtuple field reads (see the module
    docstring); return the kinds of the rewritten core. ``value_of`` gives
    the object a global name denotes (a global dict is walked by its keys)."""
    kinds = infer()
    # fields first (a field read may reveal a nested namedtuple: a few rounds), then the
    # loops' reads, with what the fields tell of the kinds of what the loops walk
    for fields in (True, False):
        for _ in range(16):
            changed = False
            for s in statements(fn.body):
                if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                    if fields == isinstance(s.value, gast.Attribute):
                        changed |= _lower(s, ops, kinds, filename, value_of, runtime)
            if changed:
                kinds = infer()
            if not changed or not fields:
                break
    for node in walk(fn):
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, KeyRead):
            node.ctx = gast.Load()
    return kinds


def _lower(
    s: gast.Assign, ops: dict[int, Op], kinds: dict[str, Any], filename: str,
    value_of: Callable[[gast.expr], tuple[bool, Any]],
    runtime: Callable[[str], str],
) -> bool:
    v = s.value
    if isinstance(v, gast.Subscript) and isinstance(v.ctx, KeyRead):
        base = kind_of_atom(v.value, kinds)
        how = v.ctx.how
        if base is None:
            found, obj = value_of(v.value)
            if found and isinstance(obj, Mapping):
                base = DICT
            elif not found and how == "iter" and isinstance(v.value, gast.Name):
                # the kinds cannot tell a dict from a sequence: decide when the code runs
                s.value = gast.Call(func=_name(runtime("loop_item")), args=[v.value, v.slice], keywords=[])
                ops[id(s)] = Op("rule", LOOP_ITEM, {"x": v.value, "idx": v.slice})
                return True
        if is_dict(base) or how != "iter":
            if base is not None and not is_dict(base):
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate a loop over .{how}() of a value that is not a dict",
                    Location(filename, getattr(s, "lineno", 0) or 0, getattr(s, "col_offset", 0) or 0),
                    f"loop over a dict's .{how}(), or over the sequence itself",
                )
            s.value = gast.Call(func=_name(runtime("dict_key")), args=[v.value, v.slice], keywords=[])
            ops[id(s)] = Op("inactive", callee=dict_key)  # a key: a string or an int, never differentiated
            return True
        return False
    f = v.func if isinstance(v, gast.Call) else None
    if (
        isinstance(f, gast.Attribute) and f.attr == "copy" and not v.args and not v.keywords
        and isinstance(f.value, gast.Name) and is_dict(kinds.get(f.value.id))
        and getattr(ops.get(id(s)), "kind", None) != "dict"
    ):  # d.copy() of a dict: the dict {**d}, whose adjoint and tangent are dicts
        ops[id(s)] = Op("dict", args={"items": gast.Dict(keys=[None], values=[f.value])})
        return True
    if isinstance(v, gast.Attribute) and isinstance(v.value, gast.Name):
        fields = tuple_fields(kinds.get(v.value.id))
        op = ops.get(id(s))
        if fields is not None and v.attr in fields and (op is None or op.rule is not GETITEM):
            ops[id(s)] = Op("rule", GETITEM, {"x": v.value, "idx": const(fields.index(v.attr))})
            return True
    return False
