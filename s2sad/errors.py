"""The errors s2sad raises.

Every error a user can provoke is an :class:`S2SADError`. Errors about a place
in the user's source carry a :class:`Location` and print the offending line with
a caret under the construct, followed by a hint on what to do.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a source file: 1-based line, 0-based column."""

    filename: str
    lineno: int
    col: int

    def excerpt(self) -> str:
        line = linecache.getline(self.filename, self.lineno).rstrip("\n")
        if not line:
            return ""
        return f"    {line}\n    {' ' * self.col}^"


class S2SADError(Exception):
    """Base class of every error s2sad raises on purpose."""

    def __init__(self, message: str, location: Location | None = None, hint: str = ""):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.location is not None:
            loc = self.location
            parts.append(f'File "{loc.filename}", line {loc.lineno}, column {loc.col + 1}: {self.message}')
            excerpt = loc.excerpt()
            if excerpt:
                parts.append(excerpt)
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(S2SADError):
    """The function uses a construct s2sad does not differentiate."""


class NoRuleError(S2SADError):
    """A call to a function that has no derivative rule."""


class SourceUnavailableError(S2SADError):
    """The function's source code cannot be read."""


class ArgumentError(S2SADError):
    """`wrt` or the arguments of a call are not what s2sad can differentiate."""


class OutputError(S2SADError):
    """The function's output is not what the requested derivative needs."""


class SharedMemoryError(ArgumentError):
    """Two arguments of a call share memory while the function writes into one
    of them: in Python the write would change the other one too, which the
    derivative (working on its own copy of the written argument) would not see.
    Raised when the derivative is called, before it computes anything."""
