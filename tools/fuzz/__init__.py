"""A differential fuzzer: random small numeric programs, s2sad vs central differences.

:func:`generate` writes a random function as *source text* from the constructs
s2sad supports (README "What it differentiates"): float and small array
arguments, arithmetic with broadcasting, smooth NumPy/``math`` functions,
reductions, matmul, index reads, reassignment, augmented assignment, tuple
swaps, ``if``/``elif``/``else`` and ``a if c else b`` on active conditions,
``for``/``while`` loops with loop-carried values, ``break``/``continue`` and
early ``return``. Each program is written to a file in a temporary directory
and imported, so s2sad reads it with :mod:`inspect` like any user code.

:func:`check_program` differentiates it with respect to every argument at a
few random points and classifies the outcome:

* ``agree``: :func:`s2sad.check_grad` passes at every point checked;
* ``disagree``: it raises ``AssertionError`` and Richardson-extrapolated
  differences confirm it, or the value the derivative returns is not the
  function's value;
* ``refused``: s2sad raises an :class:`~s2sad.S2SADError` while building the
  derivative (the generator should rarely produce those);
* ``crash``: any other exception in the pipeline or in the generated code;
* ``skipped``: no point could be checked (see below);
* ``inconclusive``: check_grad fails but extrapolated differences do not
  settle either (a program too steep for finite differences);
* ``invalid``: the program itself fails to run (a bug of the generator).

Each program is generated twice from one template: the function ``f`` that
s2sad differentiates, and ``f_probe`` whose conditions record their distance
to the branch boundary (``c`` in ``x > c``). A point is resampled when some
condition evaluated on its path is within ``MARGIN`` of its boundary (central
differences would straddle a branch), when the value is not finite, or when it
is larger than ``MAX_VALUE`` (differences lose their accuracy).

Run ``python -m tools.fuzz --count 500 --seed 1`` from the repository root; ``--index K`` checks and
prints program ``K`` of a seed alone; ``--without while,swap`` leaves
statement kinds out (to look past a known bug). A program's text depends only
on the seed and index, but s2sad's output may depend on string hashing: run
with several ``PYTHONHASHSEED`` values, and pin one to reproduce a failure.

The package, by job: :mod:`.program` (shapes, program headers, the
:class:`Program` record, sampling and loading), :mod:`.grammar` (the
productions and library templates, :func:`generate`), :mod:`.oracle`
(:func:`check_program`), :mod:`.runner` (:func:`run`, :class:`Summary`),
:mod:`.coverage` (README's claims against what a run wrote) and
``__main__`` (the command line). It lives outside the ``s2sad`` package: a
developer's tool, not part of what users install.
"""

from .coverage import PY_CLAIMS, claims, constructs, coverage_table
from .grammar import LIBRARY, Generator, generate, render
from .oracle import STATUSES, Outcome, check_program, crash_text
from .program import (
    FEATURES,
    HEADER,
    ISSUE8,
    LONG_NAME,
    MARGIN,
    MAX_VALUE,
    NEW_STATEMENTS,
    PROBE_HELPER,
    PYTREE_HEADER,
    SCALAR,
    SHAPES,
    V2,
    V3,
    M,
    Program,
    Shape,
    Tree,
    copy_args,
    load,
    sample_args,
)
from .runner import Summary, format_outcome, iter_outcomes, run

__all__ = [
    "FEATURES",
    "Generator",
    "HEADER",
    "ISSUE8",
    "LIBRARY",
    "LONG_NAME",
    "M",
    "MARGIN",
    "MAX_VALUE",
    "NEW_STATEMENTS",
    "Outcome",
    "PROBE_HELPER",
    "PYTREE_HEADER",
    "PY_CLAIMS",
    "Program",
    "SCALAR",
    "SHAPES",
    "STATUSES",
    "Shape",
    "Summary",
    "Tree",
    "V2",
    "V3",
    "check_program",
    "claims",
    "constructs",
    "copy_args",
    "coverage_table",
    "crash_text",
    "format_outcome",
    "generate",
    "iter_outcomes",
    "load",
    "render",
    "run",
    "sample_args",
]
