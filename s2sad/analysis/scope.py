"""What a name in a user function denotes, and whose code a function is.

Names are resolved from the function's globals and closure, never from their
spelling: ``np.sin``, ``numpy.sin`` and ``from numpy import sin`` are one
object. Library code (the standard library, installed packages) is told from
the user's own by where its file lives. Shared by the resolver, the purity and
mutation analyses, which must not import one another.

>>> import math
>>> is_user_function(math.sqrt), is_user_function(spelling)
(False, False)
>>> import gast
>>> spelling(gast.parse("np.linalg.norm").body[0].value)
'np.linalg.norm'
"""

from __future__ import annotations

import functools
import inspect
import os
import site
import sysconfig
import types
from typing import Any

import gast

from ..frontend.parse import ParsedFunction

# modules whose functions are not rebound: their attributes need no guard (ParsedFunction.guards)
_FIXED_MODULES = frozenset({"numpy", "math", "scipy", "builtins", "s2sad"})


class Scope:
    """What the global names of one function (``pf``) denote; ``locals_`` are its own names."""

    def __init__(self, pf: ParsedFunction, locals_: set[str]):
        self.pf = pf
        self.locals = locals_

    def value_of(self, node: gast.expr) -> tuple[bool, Any]:
        """The object a global reference (``np``, ``np.linalg.norm``) denotes."""
        if isinstance(node, gast.Name):
            if node.id in self.locals:
                return False, None
            return self.pf.resolve_root(node.id)
        if isinstance(node, gast.Attribute):
            ok, base = self.value_of(node.value)
            if ok and hasattr(base, node.attr):
                value = getattr(base, node.attr)
                if (
                    isinstance(base, types.ModuleType)
                    and base.__name__.partition(".")[0] not in _FIXED_MODULES
                    and callable(value)
                ):
                    self.pf.guards.append((vars(base), node.attr, value))  # `mylib.act = np.sin` makes it stale
                return True, value
        return False, None

    def is_global(self, node: gast.expr) -> bool:
        while isinstance(node, gast.Attribute):
            node = node.value
        return isinstance(node, gast.Name) and node.id not in self.locals


def is_user_function(obj: Any) -> bool:
    """A Python function s2sad reads and differentiates itself: not one of
    the standard library's or an installed library's own (those need a rule:
    s2sad does not follow their internals). Decided by where the code lives,
    so a user's module named like a standard one (``test.py``) is still read."""
    fn = obj.__func__ if inspect.ismethod(obj) else obj
    if not inspect.isfunction(fn):
        return False
    root = (getattr(fn, "__module__", None) or "").split(".")[0]
    return root not in _LIBRARIES and library_file(fn) is None


_LIBRARIES = frozenset({"numpy", "scipy", "s2sad", "gast", "astor", "pandas", "sklearn", "torch", "jax"})


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    try:
        dirs |= set(site.getsitepackages()) | {site.getusersitepackages()}
    except AttributeError:  # a virtualenv's old site module
        pass
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs if d)


def library_file(fn: Any) -> str | None:
    """The file of ``fn`` when it is library code (the standard library or an
    installed package, not the user's own files), else None. s2sad does not
    follow calls into library code: the constructs found there (try, with,
    *args, C calls) are the library's, not the user's, to rewrite."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    filename = getattr(code, "co_filename", "")
    if not filename or filename.startswith("<"):
        return None
    return filename if os.path.realpath(filename).startswith(_library_dirs()) else None


def spelling(node: gast.expr) -> str:
    """How a message names a callee: ``np.linalg.norm``, or the node's type for any other expression."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f"{spelling(node.value)}.{node.attr}"
    return type(node).__name__
