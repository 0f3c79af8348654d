"""Refusals that need to know which values carry a derivative.

Run once activity is known (:func:`~s2sad.analysis.activity.varied_names`):
an operation with no rule is fine on constants and refused only when a varied
value reaches it; a complex value may not meet a varied one (the rules are
real-only); a call made for its effect on a varied value is refused (except
``lst.append(v)``, which the transforms follow).

>>> import gast, numpy as np
>>> from s2sad.analysis.resolve import Resolver
>>> from s2sad.frontend.parse import ParsedFunction
>>> fn = gast.parse("def f(x):\\n    y = np.c_[x, x]\\n    return y").body[0]
>>> resolver = Resolver(ParsedFunction(None, fn, "<doc>", {"np": np}, {}), {"x", "y"})
>>> ops = {id(s): resolver.op(s.value) for s in fn.body if isinstance(s, gast.Assign)}
>>> refuse_varied_opaque(fn, ops, set(), "<doc>")  # nothing varied: a constant
>>> refuse_varied_opaque(fn, ops, {"x"}, "<doc>")
Traceback (most recent call last):
...
s2sad.errors.NoRuleError: ...
"""

from __future__ import annotations

from typing import Any

import gast

from ..errors import Location, NoRuleError, UnsupportedSyntaxError
from ..ir.core import names_in, walk
from .activity import statements
from .resolve import Op


def refuse_varied_opaque(
    fn: gast.FunctionDef,
    ops: dict[int, Op],
    varied: set[str],
    filename: str,
    effects: bool = True,
    kinds: dict[str, Any] | None = None,
) -> None:
    """Raise the stored error of the first operation with no rule that a
    varied value reaches; refuse calls made for an effect on a varied value
    (``lst.extend(xs)``, ``np.copyto(y, x)``) except ``lst.append(v)``; and
    refuse a complex value meeting a varied one (the rules are real-only)."""
    complex_names = {n for n, k in (kinds or {}).items() if k == "complex"}
    changed = True
    while changed:  # names that may hold a complex value
        changed = False
        for s in statements(fn.body):
            op = ops.get(id(s))
            if op is None or op.real_out or not isinstance(s, gast.Assign):
                continue
            tgt = s.targets[0]
            target = tgt.id if isinstance(tgt, gast.Name) else tgt.value.id if isinstance(tgt, gast.Subscript) else None
            if target is None or target in complex_names:
                continue
            if op.complex_in or names_in(s.value) & complex_names:
                complex_names.add(target)
                changed = True
    for s in statements(fn.body):
        op = ops.get(id(s))
        if (
            op is not None
            and isinstance(s, gast.Assign)
            and names_in(s.value) & varied
            and (op.complex_in or names_in(s.value) & complex_names)
        ):
            raise NoRuleError(
                "s2sad cannot differentiate complex arithmetic: a complex value meets a value that carries a "
                "derivative here (s2sad's rules are for real numbers)",
                Location(filename, s.lineno, s.col_offset or 0),
                "split the computation into real and imaginary parts with real arrays",
            )
    for s in statements(fn.body):
        op = ops.get(id(s))
        if (
            op is not None
            and op.kind == "opaque"
            and {n.id for n in walk(s.value) if isinstance(n, gast.Name)} & varied
        ):
            assert op.error is not None
            raise op.error
        if effects and op is not None and op.kind == "rule" and op.rule is not None:
            for p, arg in op.args.items():
                if p in op.rule.reverse or p not in _STRUCTURAL_PARAMS:
                    continue
                if {n.id for n in walk(arg) if isinstance(n, gast.Name)} & varied:
                    raise UnsupportedSyntaxError(
                        f"s2sad cannot differentiate with respect to the argument `{p}` of {op.rule.name}, "
                        "which depends on a value that carries a derivative",
                        Location(filename, s.lineno, s.col_offset or 0),
                        f"pass a constant `{p}`"
                        + (" (the subscripts as a string)" if op.rule.name.endswith("einsum") else ""),
                    )
        if effects and isinstance(s, gast.Expr) and _effect_on_varied(s, varied):
            raise UnsupportedSyntaxError(
                "s2sad cannot differentiate a call made for its effect on a value that carries a derivative",
                Location(filename, s.lineno, s.col_offset or 0),
                "build a new value instead (lists: only `append` is followed)",
            )


# parameters that pick the formula (einsum's subscripts, norm's order, var's
# ddof) and that a value carrying a derivative may reach while the rule
# would silently give it none (others, like copysign's sign, are piecewise
# constant; axes and shapes cannot be floats)
_STRUCTURAL_PARAMS = frozenset({"subscripts", "ord", "ddof"})


def _effect_on_varied(s: gast.Expr, varied: set[str]) -> bool:
    call = s.value
    if not isinstance(call, gast.Call):
        return False
    f = call.func
    if isinstance(f, gast.Attribute) and f.attr == "append" and isinstance(f.value, gast.Name) and len(call.args) == 1:
        return False  # followed by the transforms
    if isinstance(f, gast.Name) and f.id == "print":
        return False
    return bool({n.id for n in walk(call) if isinstance(n, gast.Name)} & varied)
