"""What forward mode resolves beyond reverse mode: the runtime helpers and
tapes that generated code calls, and activity through in-place buffers.

Input: a parsed function (user code or code s2sad generated) and its SSA
core. Output: the :class:`ForwardResolver` the pipeline's prepare stage
resolves calls with, and the varied names of the core (:func:`varied_through_buffers`).

>>> import gast
>>> from s2sad.analysis.resolve import Op
>>> ForwardResolver.__mro__[1].__name__
'Resolver'
"""

from __future__ import annotations

import linecache

import gast

from .. import runtime
from ..analysis.activity import statements, varied_names
from ..analysis.resolve import Op, Resolver
from ..codegen.derivative import Derivative
from ..errors import Location, NoRuleError
from ..frontend.parse import ParsedFunction
from ..ir.core import name, walk
from ..rules.runtime_rules import RUNTIME_RULES
from .transform import pop_receiver


class ForwardResolver(Resolver):
    """The resolver of reverse mode, plus what generated code calls: the
    runtime helpers (rules of :mod:`s2sad.rules.runtime_rules`) and the tape's
    ``.pop()``."""

    def __init__(
        self, pf: ParsedFunction, locals_: set[str], stacks: dict[str, str], origin: Derivative | None = None
    ):
        super().__init__(pf, locals_)
        self.stacks = stacks
        self.origin = origin  # the gradient this code is, when it is one: its lines map to the user's

    def call(self, call: gast.Call) -> Op:
        lst = pop_receiver(call)
        if lst is not None and lst in self.stacks:
            # a paired tape restores an earlier value of the target: its
            # activity is that of the target's other definitions
            if self.stacks[lst] == "paired":
                return Op("inactive")
            return Op("copy", args={"x": name(lst)})
        func = call.func
        if not (isinstance(func, gast.Attribute) and not self.is_global(func)):
            ok, obj = self.value_of(func)
            if ok:
                rule = RUNTIME_RULES.lookup(obj)
                if rule is not None:
                    return self._bind(rule, list(call.args), call.keywords, call)
                if RUNTIME_RULES.is_inactive(obj):
                    return Op("inactive")
                if getattr(obj, "__module__", None) == runtime.__name__:
                    raise self.no_forward_rule(obj.__name__, call)
        return super().call(call)


    def no_forward_rule(self, helper: str, call: gast.Call) -> NoRuleError:
        """Generated code calls a runtime helper forward mode has no rule for:
        named at the user's line the gradient's line comes from, when known."""
        where = self.pf.location(call)
        line = self.origin.user_line(where.lineno) if self.origin is not None else None
        if line is not None and self.origin is not None:
            text = linecache.getline(self.origin.user_file, line)
            where = Location(self.origin.user_file, line, len(text) - len(text.lstrip()))
            return NoRuleError(
                f"s2sad cannot take a second derivative through this line: its gradient calls s2sad's helper "
                f"{helper}, which has no forward rule",
                where,
                "take first derivatives only (grad, jvp) through it, or write the operation with functions whose "
                "rules are listed in the README",
            )
        return NoRuleError(
            f"s2sad has no forward rule for its runtime helper {helper}",
            where,
            "differentiate the original function instead of generated code that calls this helper",
        )


def varied_through_buffers(
    ssa: gast.FunctionDef, wrt: list[str], ops: dict[int, Op], resolver: Resolver, stacks: dict[str, str]
) -> set[str]:
    """The varied names, also through ``add_at(buffer, idx, v)`` (generated
    code's in-place accumulation): ``buffer`` is varied when ``v`` is; and
    through a list's other names (``M = L`` then ``M.append(v)``: both are)."""
    adds = []
    mutated = set(stacks) | {
        s.targets[0].value.id
        for s in statements(ssa.body)
        if isinstance(s, gast.Assign)
        and isinstance(s.targets[0], gast.Subscript)
        and isinstance(s.targets[0].value, gast.Name)
    }
    for s in statements(ssa.body):
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and len(s.value.args) == 3:
            buffer, _, v = s.value.args
            if isinstance(buffer, gast.Name) and resolver.value_of(s.value.func)[1] is runtime.add_at:
                adds.append((buffer.id, {n.id for n in walk(v) if isinstance(n, gast.Name)}))
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name):
            pair = {s.targets[0].id, s.value.id}
            if pair & mutated:
                adds += [(a, {b}) for a, b in (tuple(pair), tuple(pair)[::-1]) if len(pair) == 2]
    seeds = list(wrt)
    while True:
        varied = varied_names(ssa, seeds, ops)
        more = [b for b, vs in adds if vs & varied and b not in varied]
        if not more:
            return varied
        seeds += more
