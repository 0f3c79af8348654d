"""The runner: generate, load and check programs one after another, each
under a time limit, and sum their outcomes up (:class:`Summary`).
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .grammar import generate
from .oracle import STATUSES, Outcome, check_program, crash_text
from .program import load


class _Timeout(Exception):
    pass


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("disagree", "crash", "invalid")]

    @property
    def ok(self) -> bool:
        return not self.failures()

    def report(self) -> str:
        counts = ", ".join(f"{s} {self.count(s)}" for s in STATUSES)
        settled = sum(o.extrapolated > 0 for o in self.outcomes)
        return f"tried {len(self.outcomes)}: {counts} ({settled} agree only with extrapolated differences)"


def _with_timeout(seconds: float, fn: Any, *args: Any) -> Any:
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        return fn(*args)

    def alarm(_signum: int, _frame: Any) -> None:
        raise _Timeout(f"timed out after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def iter_outcomes(
    count: int, seed: int, points: int = 2, start: int = 0, timeout: float = 10.0, without: frozenset[str] = frozenset()
) -> Iterator[Outcome]:
    """Generate and check programs ``start .. start + count - 1`` of ``seed``."""
    directory = tempfile.mkdtemp(prefix="s2sad_fuzz_")
    try:
        for index in range(start, start + count):
            program = generate(seed, index, without)
            rng = np.random.default_rng([seed, index])
            try:
                module = load(program, directory)
            except Exception as exc:
                yield Outcome(program, "invalid", crash_text(exc))
                continue
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    yield _with_timeout(timeout, check_program, program, module, rng, points)
                except _Timeout as exc:
                    yield Outcome(program, "crash", str(exc))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(
    count: int, seed: int, points: int = 2, start: int = 0, timeout: float = 10.0, without: frozenset[str] = frozenset()
) -> Summary:
    """Generate and check ``count`` programs of ``seed``."""
    return Summary(list(iter_outcomes(count, seed, points, start, timeout, without)))


def format_outcome(o: Outcome) -> str:
    args = ", ".join(
        np.array2string(a, precision=17, separator=", ") if isinstance(a, np.ndarray) else repr(a) for a in o.args
    )
    return (
        f"--- program {o.program.index} of seed {o.program.seed}: {o.status}\n{o.program.display}\n"
        f"at ({args})\n{o.error}\n"
    )
