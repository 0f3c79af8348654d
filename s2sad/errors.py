"""The errors s2sad raises.

Every error a user can provoke is an :class:`S2SADError`. Errors about a place
in the user's source carry a :class:`Location` and print the offending line with
a caret under the construct, followed by a hint on what to do.

An S2SADError is about the user's code, so the public API (:func:`public`)
shows it with the user's frames only: s2sad's own frames, and the internal
exception it was found through, are left out of the traceback
(``S2SAD_TRACEBACK=full`` keeps everything, for debugging s2sad itself).
"""

from __future__ import annotations

import functools
import linecache
import os
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar


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


class LazyArrayError(S2SADError):
    """A derivative run on dask arrays would need a value computed (a branch,
    ``float()``, ``.item()``...): it is refused rather than computed eagerly."""


# ------------------------------------------------------------ tracebacks
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# where Python's own modules live: a frame there (inspect, importlib) is not the user's
_LIBRARY = tuple(
    {os.path.abspath(p) + os.sep for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]) if p}
)


def _is_own(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE) if not filename.startswith("<") else False


def _is_users(filename: str) -> bool:
    return not _is_own(filename) and not os.path.abspath(filename).startswith(_LIBRARY)


def full_tracebacks() -> bool:
    """``S2SAD_TRACEBACK=full``: show s2sad's frames and chained exceptions too."""
    return os.environ.get("S2SAD_TRACEBACK", "").strip().lower() == "full"


def _without_own_frames(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the frames of s2sad's own modules (generated code, whose
    file names look like ``<s2sad: ...>``, is kept: its lines map to the user's)."""
    kept = []
    while tb is not None:
        if not _is_own(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for t in reversed(kept):
        out = TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def _touches_user_code(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if _is_users(tb.tb_frame.f_code.co_filename):
            return True
        tb = tb.tb_next
    return False


def trim(exc: S2SADError) -> None:
    """Show ``exc`` as the user's error: drop s2sad's frames from its
    traceback, and a chained exception that happened inside s2sad or Python's
    library (``inspect``'s ``OSError`` behind a missing source), so the
    traceback reads as the user's call, then the message. With
    ``S2SAD_TRACEBACK=full`` nothing is dropped and a suppressed internal
    context is shown again."""
    if full_tracebacks():
        if exc.__cause__ is None and exc.__context__ is not None:
            exc.__suppress_context__ = False
        return
    exc.__traceback__ = _without_own_frames(exc.__traceback__)
    cause = exc.__cause__
    if cause is not None and not isinstance(cause, S2SADError) and not _touches_user_code(cause):
        exc.__cause__ = None
        exc.__suppress_context__ = True
    context = exc.__context__
    if context is not None and exc.__cause__ is None and not _touches_user_code(context):
        exc.__suppress_context__ = True
    for chained in (exc.__cause__, None if exc.__suppress_context__ else context):
        if isinstance(chained, S2SADError):
            trim(chained)
        elif chained is not None:  # the user's own exception led to this one: keep it, without s2sad's frames
            chained.__traceback__ = _without_own_frames(chained.__traceback__)
    if exc.message.startswith("internal error") and not getattr(exc, "_s2sad_noted", False):
        exc._s2sad_noted = True  # type: ignore[attr-defined]
        if hasattr(exc, "add_note"):
            exc.add_note("s2sad: this is a bug in s2sad; run with S2SAD_TRACEBACK=full for the whole traceback")


F = TypeVar("F", bound=Callable[..., Any])


def public(fn: F) -> F:
    """Mark ``fn`` as an entry point of the public API: an S2SADError leaving
    it is shown with the user's frames only (see :func:`trim`)."""

    @functools.wraps(fn)
    def entry(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except S2SADError as exc:
            trim(exc)
            raise  # a bare raise adds no frame of this wrapper to the traceback

    return entry  # type: ignore[return-value]
