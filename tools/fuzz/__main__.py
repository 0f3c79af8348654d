"""A differential fuzzer: random small numeric programs, s2sad vs central differences.

Run from the repository root: ``python -m tools.fuzz --count 300 --seed 4101``.
"""

from __future__ import annotations

import argparse
import sys

from .coverage import coverage_table
from .program import FEATURES
from .runner import Summary, format_outcome, iter_outcomes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=100, help="how many programs (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="index of the first program")
    p.add_argument("--index", type=int, help="check and show program INDEX only")
    p.add_argument("--points", type=int, default=2, help="random points per program (default 2)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per program (default 10)")
    p.add_argument(
        "--without", default="", metavar="A,B", help=f"statement kinds not to generate, among: {', '.join(FEATURES)}"
    )
    p.add_argument("--all", action="store_true", help="print every failing program, not only the first")
    p.add_argument("--show", action="store_true", help="print every program")
    p.add_argument(
        "--coverage",
        action="store_true",
        help="print README's claimed constructs, the productions writing each, and their counts in this run",
    )
    ns = p.parse_args(argv)
    without = frozenset(w.strip() for w in ns.without.split(",") if w.strip())
    if without - set(FEATURES):
        p.error(f"--without: unknown {', '.join(sorted(without - set(FEATURES)))}; known: {', '.join(FEATURES)}")
    start, count = (ns.index, 1) if ns.index is not None else (ns.start, ns.count)
    summary = Summary()
    for o in iter_outcomes(count, ns.seed, ns.points, start, ns.timeout, without):
        summary.outcomes.append(o)
        if ns.show or ns.index is not None:
            print(format_outcome(o))
    if ns.coverage:
        print(coverage_table(summary.outcomes))
    print(summary.report())
    fails = summary.failures()
    if fails and ns.index is None:
        print(f"failing programs: {', '.join(f'{o.program.index} ({o.status})' for o in fails)}")
        for o in fails if ns.all else fails[:1]:
            print(format_outcome(o))
    refused = [o for o in summary.outcomes if o.status == "refused"]
    if refused and ns.index is None:
        print(f"refused programs: {', '.join(str(o.program.index) for o in refused)}; first: {refused[0].error}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
