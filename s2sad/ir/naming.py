"""Every generated name is decided here.

Rules (docs/design.md, "Reverse mode"): SSA versions keep the user's name (``z``, ``z_1``,
``z_2``), fresh temporaries are short (``t1``, ``t2``), the adjoint of ``v`` is
``v_bar`` and its tangent ``v_dot``. A name is never handed out twice and never
collides with a name the user's function mentions.

>>> n = Namer({"x", "t1"})
>>> n.temp(), n.version("x"), n.version("x"), n.adjoint("x")
('t2', 'x_1', 'x_2', 'x_bar')
"""

from __future__ import annotations

import re

import gast

from .core import walk


class Namer:
    """Hands out fresh, readable names that avoid ``taken``."""

    def __init__(self, taken: set[str] | None = None):
        self.taken: set[str] = set(taken or ())
        self._temps = 0
        self.temps: list[str] = []
        self.origin: dict[str, str] = {}  # SSA version -> the name it versions
        self._adjoints: dict[str, str] = {}
        self._tangents: dict[str, str] = {}
        self._backs: dict[str, str] = {}

    @classmethod
    def for_function(cls, node: gast.AST) -> Namer:
        return cls({n.id for n in walk(node) if isinstance(n, gast.Name)} | _arg_names(node))

    def claim(self, name: str) -> str:
        """Reserve ``name`` exactly, or the first free ``name_k``."""
        if name not in self.taken:
            self.taken.add(name)
            return name
        return self.version(name)

    def temp(self, prefix: str = "t") -> str:
        while True:
            self._temps += 1
            name = f"{prefix}{self._temps}"
            if name not in self.taken:
                self.taken.add(name)
                self.temps.append(name)
                return name

    def renumber(self, node: gast.AST) -> dict[str, str]:
        """Number the temporaries of ``node`` 1, 2, 3... in order of first
        appearance (passes leave gaps), their adjoints and tangents alike."""
        issued = set(self.temps)
        derived = {v: k for k, v in {**self._adjoints, **self._tangents, **self._backs}.items() if k in issued}
        order: list[str] = []
        for sub in _in_source_order(node):
            if isinstance(sub, gast.Name):
                base = derived.get(sub.id, sub.id)
                if base in issued and base not in order:
                    order.append(base)
        fixed = self.taken - issued - set(derived)
        mapping: dict[str, str] = {}
        k = 0
        for old in order:
            prefix = re.sub(r"\d+$", "", old)
            while True:
                k += 1
                new = f"{prefix}{k}"
                if new not in fixed:
                    break
            mapping[old] = new
        for der, base in derived.items():
            if base in mapping:
                mapping[der] = mapping[base] + der[len(base):]
        for sub in walk(node):
            if isinstance(sub, gast.Name) and sub.id in mapping:
                sub.id = mapping[sub.id]
        return mapping

    def version(self, name: str) -> str:
        """A new SSA version of a user's name: x -> x_1, x_1 -> x_2."""
        base = re.sub(r"_\d+$", "", name) or name
        k = 1
        while f"{base}_{k}" in self.taken:
            k += 1
        fresh = f"{base}_{k}"
        self.taken.add(fresh)
        self.origin[fresh] = self.origin.get(name, name)
        return fresh

    def user_name(self, name: str) -> str:
        """The user's name an SSA version stands for (``x_2`` -> ``x``)."""
        return self.origin.get(name, name)

    def adjoint(self, name: str) -> str:
        if name not in self._adjoints:
            self._adjoints[name] = self._derived(name, "bar")
        return self._adjoints[name]

    def adjoints(self) -> dict[str, str]:
        """Each adjoint variable issued so far -> the name it is the adjoint of."""
        return {v: k for k, v in self._adjoints.items()}

    def tangent(self, name: str) -> str:
        if name not in self._tangents:
            self._tangents[name] = self._derived(name, "dot")
        return self._tangents[name]

    def back(self, name: str) -> str:
        """The closure that runs the reverse sweep of the call that made ``name``."""
        if name not in self._backs:
            self._backs[name] = self._derived(name, "back")
        return self._backs[name]

    def _derived(self, name: str, suffix: str) -> str:
        cand = f"{name}_{suffix}"
        k = 1
        while cand in self.taken:
            k += 1
            cand = f"{name}_{suffix}{k}"
        self.taken.add(cand)
        return cand


def _in_source_order(node: gast.AST):
    """Nodes in the order a reader meets them (statements top to bottom)."""
    if isinstance(node, gast.stmt) and not isinstance(node, (gast.FunctionDef, gast.If, gast.For, gast.While)):
        if isinstance(node, gast.Assign):
            yield from walk(node.value)
            for t in node.targets:
                yield from walk(t)
        else:
            yield from walk(node)
        return
    for _field, value in gast.iter_fields(node):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, gast.AST):
                if isinstance(item, gast.stmt):
                    yield from _in_source_order(item)
                else:
                    yield from walk(item)


def _arg_names(node: gast.AST) -> set[str]:
    if isinstance(node, gast.FunctionDef):
        a = node.args
        return {x.id for x in a.posonlyargs + a.args + a.kwonlyargs if isinstance(x, gast.Name)}
    return set()
