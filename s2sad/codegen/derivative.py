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
    # builds (fn, source) of the same code calling `math` on Python floats, or None (codegen.floats);
    # given an EntrySpec, the float entry of one call signature instead
    float_builder: Callable[..., tuple[Callable[..., Any], str] | None] | None = field(
        default=None, repr=False, compare=False
    )
    _check: Callable[[], bool] | None = field(default=None, init=False, repr=False, compare=False)
    _float: Any = field(default=_UNBOUND, init=False, repr=False, compare=False)

    def valid(self) -> bool:
        """Is every function and module this code (and the code it calls) was
        built from still bound to the same name? A helper redefined (as in a
        notebook) or a global rebound (`act = np.sin`) makes it stale.

        Asked on every call of a gradient, so the guards of this code and of
        all the code it calls are compiled, on first use, into one expression
        of dict and cell reads (:func:`guard_check`)."""
        return self.validity()()

    def validity(self) -> Callable[[], bool]:
        """The function :meth:`valid` calls (for a caller that asks often)."""
        check = self._check
        if check is None:
            check = self._check = guard_check(self.all_guards())
        return check

    def float_variant(self) -> tuple[Callable[..., Any], str] | None:
        """The float variant of this code and its source (built on first use),
        or None: call it only with ``float``, ``int`` and ``bool`` arguments,
        it falls back to :attr:`fn` (see :mod:`s2sad.codegen.floats`)."""
        made = self._float
        if made is _UNBOUND:
            plain = not (self.callees or self.depends or self.kept_calls)
            made = self._float = self.float_builder() if plain and self.float_builder is not None else None
        return made

    def float_entry(self, spec: Any) -> tuple[Callable[..., Any], str] | None:
        """The float variant fused with the call path of one call signature
        (:func:`s2sad.codegen.floats.float_entry`) and its source, or None.
        Built where the float variant is (``spec.guards`` are this code's own)."""
        if self.float_variant() is None:
            return None
        return self.float_builder(spec)  # type: ignore[misc]

    def all_guards(self) -> list[tuple[Any, str | None, Any]]:
        """The guards of this code and of the code it calls, each once."""
        seen: set[int] = set()
        out: dict[tuple[int, Any, int], tuple[Any, str | None, Any]] = {}
        todo: list[Derivative] = [self]
        while todo:
            d = todo.pop()
            if id(d) in seen:
                continue
            seen.add(id(d))
            for where, key, value in d.guards:
                out.setdefault((id(where), key, id(value)), (where, key, value))
            todo.extend(d.callees.values())
            todo.extend(d.depends)
        return list(out.values())

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


def _always() -> bool:
    return True


def guard_check(guards: list[tuple[Any, str | None, Any]]) -> Callable[[], bool]:
    """A function that tells whether every guard still holds: ``(where, key,
    value)`` with ``where`` a dict (``where[key] is value``) or a closure cell
    (``key`` None: ``where.cell_contents is value``), compiled into one
    expression, so that checking costs a few reads.

    >>> g = {"act": abs}
    >>> check = guard_check([(g, "act", abs)])
    >>> check(), g.update(act=round), check()
    (True, None, False)
    """
    if not guards:
        return _always
    values: dict[str, Any] = {}
    tests = []
    for i, (where, key, value) in enumerate(guards):
        values[f"w{i}"], values[f"v{i}"] = where, value
        if key is None:
            tests.append(f"w{i}.cell_contents is v{i}")
        else:
            values[f"k{i}"] = key
            tests.append(f"w{i}[k{i}] is v{i}")
    text = (
        f"def make({', '.join(values)}):\n"
        "    def check():\n"
        "        try:\n"
        f"            return {' and '.join(tests)}\n"
        "        except (KeyError, ValueError):  # a name deleted, a cell emptied\n"
        "            return False\n"
        "    return check\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(text, "<s2sad guards>", "exec"), namespace)  # noqa: S102 - names only, no user text
    return namespace["make"](**values)


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
