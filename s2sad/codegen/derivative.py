"""The record every build returns, whatever the mode, and what a compiled
derivative shares with the user's function (its closure cells, its default
values).

Input: a generated function compiled by :mod:`s2sad.codegen.finish`.
Output: a :class:`Derivative`, which knows whether the bindings it was built
from still hold (:meth:`Derivative.valid`).

>>> d = Derivative(fn=abs, source="def f(x):\\n    return x\\n", name="f", output="y")
>>> d.valid(), d.full_source() == d.source
(True, True)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Location
from ..frontend.parse import ParsedFunction, lifted
from ..ir.kinds import Kind

_UNBOUND = object()


@dataclass
class Derivative:
    """A generated function, its source, and the derivatives of the user
    functions it calls."""

    fn: Callable[..., Any]
    source: str
    name: str
    output: str
    seed: str = "y_bar"
    callees: dict[str, Derivative] = field(default_factory=dict)  # name in this code -> callee
    filename: str = ""  # the generated code's (linecache) file name
    user_file: str = ""
    source_map: dict[int, int] = field(default_factory=dict)  # generated line -> user line
    output_kind: Kind | None = None  # a tuple's when the function returns several values
    gradient_only: bool = False  # returns the adjoints alone, the output proven 0-d (pipeline.build_reverse)
    guards: tuple[tuple[Any, str | None, Any], ...] = ()  # free names resolved at build time (ParsedFunction.guards)
    depends: tuple[Derivative, ...] = ()  # other generated code this code calls (forward mode's callees)

    def valid(self) -> bool:
        """Is every function and module this code (and the code it calls) was
        built from still bound to the same name? A helper redefined (as in a
        notebook) or a global rebound (`act = np.sin`) makes it stale."""
        for where, key, value in self.guards:
            if key is None:
                try:
                    current = where.cell_contents
                except ValueError:
                    return False
            else:
                current = where.get(key, _UNBOUND)
            if current is not value:
                return False
        for c in self.callees.values():
            if not c.valid():
                return False
        for d in self.depends:
            if not d.valid():
                return False
        return True

    # calls to impure callees this code runs once, keeping their reverse sweeps as closures
    kept_calls: list[Location] = field(default_factory=list)

    def user_line(self, generated_line: int) -> int | None:
        return self.source_map.get(generated_line)

    def full_source(self) -> str:
        """This derivative's source, preceded by those of its callees (each
        under the name this code calls it by)."""
        seen: dict[int, str] = {}
        self._collect(seen, self.name)
        return "\n".join(seen.values())

    def _collect(self, seen: dict[int, str], as_name: str) -> None:
        for local, c in self.callees.items():
            c._collect(seen, local)
        if id(self) not in seen:
            seen[id(self)] = self.source.replace(f"def {self.name}(", f"def {as_name}(", 1)


def share_defaults(pf: ParsedFunction, compiled: Any) -> None:
    """Give the generated function the user function's own default values
    (the objects Python evaluated where the ``def`` stands), not its default
    expressions evaluated again: a global rebound since, or an array default
    changed in place, is then what a call without that argument uses."""
    fn = pf.fn
    if lifted(fn) is not None or pf.filename.startswith("<s2sad") or not inspect.isfunction(getattr(fn, "__func__", fn)):
        return
    if pf.specialised:
        return  # *args or **kw expanded: the parameters are not the function's own
    own = getattr(fn, "__defaults__", None) or ()
    current = compiled.__defaults__ or ()
    if own and len(current) >= len(own):
        compiled.__defaults__ = tuple(own) + tuple(current[len(own) :])
    kw = getattr(fn, "__kwdefaults__", None) or {}
    if kw and compiled.__kwdefaults__:
        compiled.__kwdefaults__.update({k: v for k, v in kw.items() if k in compiled.__kwdefaults__})


def closure_cells(pf: ParsedFunction) -> dict[str, Any]:
    """The user's own closure cells, by name."""
    fn = pf.fn
    if not getattr(fn, "__closure__", None):
        return {}
    return dict(zip(fn.__code__.co_freevars, fn.__closure__))
