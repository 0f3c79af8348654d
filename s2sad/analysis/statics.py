"""Functions passed as values: arguments whose value is known when the
derivative is specialised.

A parameter that receives a function (``nonlinearity=np.tanh``, ``ode(f,
y0)`` with ``f`` a user function or a lambda) is *static*: its kind is a
:class:`FnKind`, which carries the function itself. The derivative is built
with the parameter bound to that function, as if it were a global name, so
``nonlinearity(x)`` is resolved like ``np.tanh(x)`` (a rule) or ``step(y)``
(a user function, followed). The kind is part of every cache key and
compares by the function's identity: another function gets another
derivative, and a derivative is never reused for a function it was not built
for.

>>> import numpy as np
>>> k = FnKind.of(np.tanh)
>>> k == FnKind.of(np.tanh), k == FnKind.of(np.sin), k == "fn"
(True, False, False)
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np


class FnKind(str):
    """The kind of a value that is a function: the string ``"fn"`` (so the
    kind algebra, which works on strings, treats it as an opaque non-numeric
    kind) carrying the function, equal only to the kind of the same object."""

    value: Any

    @classmethod
    def of(cls, value: Any) -> FnKind:
        k = cls("fn")
        k.value = value
        return k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FnKind) and other.value is self.value

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("fn", id(self.value)))

    def __repr__(self) -> str:
        return f"fn({getattr(self.value, '__qualname__', None) or self.value!r})"

    def __reduce__(self) -> Any:  # pragma: no cover - kinds are never pickled
        raise TypeError("a function kind is not picklable")


def is_function_value(value: Any) -> bool:
    """A value s2sad specialises on when passed as an argument: a Python
    function or bound method, a NumPy ufunc or function, a builtin function,
    a ``functools.partial`` (not a class, not an array)."""
    if isinstance(value, (np.ndarray, np.generic, type)):
        return False
    return (
        inspect.isfunction(value)
        or inspect.ismethod(value)
        or inspect.isbuiltin(value)
        or isinstance(value, (np.ufunc, functools.partial))
        or type(value).__name__ == "_ArrayFunctionDispatcher"  # np.sum, np.dot... (NumPy >= 1.25)
    )


def statics_of(kinds: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (parameter, function) pairs that ``kinds`` fixes, sorted by name:
    what a callee's analyses are specialised to."""
    return tuple(sorted((p, k.value) for p, k in kinds.items() if isinstance(k, FnKind)))
