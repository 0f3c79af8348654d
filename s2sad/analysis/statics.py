"""Functions passed as values: arguments whose value is known when the
derivative is specialised.

A parameter that receives a function (``nonlinearity=np.tanh``, ``ode(f,
y0)`` with ``f`` a user function or a lambda) is *static*: its kind is a
function kind (:func:`s2sad.ir.kinds.fn_kind`), which carries the function
itself. The derivative is built with the parameter bound to that function,
as if it were a global name, so ``nonlinearity(x)`` is resolved like ``np.tanh(x)`` (a rule) or ``step(y)``
(a user function, followed). The kind is part of every cache key and
compares by the function's identity: another function gets another
derivative, and a derivative is never reused for a function it was not built
for.

>>> import numpy as np
>>> from s2sad.ir.kinds import fn_kind
>>> k = fn_kind(np.tanh)
>>> k == fn_kind(np.tanh), k == fn_kind(np.sin), k == "fn"
(True, False, False)
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any

import numpy as np

from ..ir.kinds import Kind, is_function_kind, is_object_kind, obj_kind


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
    """The (parameter, function) pairs that ``kinds`` fixes, and (parameter,
    class) for objects of user classes, sorted by name: what a callee's
    analyses are specialised to."""
    found = [(p, k.value) for p, k in kinds.items() if is_function_kind(k)]
    found += [(p, class_of(k)) for p, k in kinds.items() if class_of(k) is not None]
    return tuple(sorted(found, key=lambda pv: pv[0]))


# Objects of the user's classes: their kind names their class by its number,
# ``obj:<k>`` (two classes are two kinds). A method call on a name of such a kind is resolved
# to the class's function, called with the object as its first argument
# (pipeline.resolve_methods); the object's attributes are data.
_classes: dict[int, type] = {}  # k -> class (kept alive: k is never reused)
_numbers: dict[type, int] = {}


def object_kind(value: Any) -> Kind | None:
    """The kind of an instance of a user class, else None (also when the
    instance holds an attribute that hides one of its class's functions)."""
    kind = class_kind(type(value))
    own = getattr(value, "__dict__", None)
    if kind is not None and own and any(callable(getattr(type(value), k, None)) for k in own):
        return None
    return kind


def hides_method(cls: type, attr: str) -> bool:
    """Might an instance of ``cls`` hold its own ``attr``, hiding the class's
    function (``self.forward = ...`` anywhere in the class's code), or look
    attributes up its own way? Conservative: a class whose source s2sad
    cannot read might."""
    if cls.__getattribute__ is not object.__getattribute__ or hasattr(cls, "__getattr__"):
        return True
    for klass in cls.__mro__[:-1]:
        for member in vars(klass).values():  # the class's code: its functions (methods, static, class, properties)
            parts = [getattr(member, n, None) for n in ("__func__", "fget", "fset", "fdel")] + [member]
            for fn in (f for f in parts if inspect.isfunction(f)):
                if _stores(fn, attr):
                    return True
    return False


def _stores(fn: Any, attr: str) -> bool:
    """Does ``fn``'s code store into an attribute ``attr`` (or call
    ``setattr``/``vars``)? True when its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.ctx, (ast.Store, ast.Del)):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("setattr", "vars"):
            return True
    return False


def class_kind(cls: Any) -> Kind | None:
    """The kind of the instances of ``cls`` when it is a user class whose
    instances are made by ``cls(...)`` itself (no custom ``__new__``)."""
    if not isinstance(cls, type) or cls.__module__ in ("builtins", "abc", "typing") or issubclass(
        cls, (int, float, complex, str, bytes, list, tuple, dict, set, frozenset, np.ndarray, np.generic, type)
    ):
        return None
    root = (cls.__module__ or "").split(".")[0]
    if root in ("numpy", "scipy", "s2sad", "gast", "pandas", "sklearn", "torch", "jax", "random", "functools"):
        return None
    if cls.__new__ is not object.__new__:
        return None
    if cls not in _numbers:
        _numbers[cls] = len(_classes)
        _classes[len(_classes)] = cls
    return obj_kind(_numbers[cls])


def class_of(kind: Any) -> type | None:
    """The class an object kind names (None for any other kind)."""
    if is_object_kind(kind):
        return _classes.get(kind.ident)
    return None
