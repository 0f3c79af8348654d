"""Build time of s2sad derivatives: parse -> normalize -> SSA -> analyses ->
transform -> optimize -> codegen/compile, per workload of bench_grad.py.

    python benchmarks/bench_build.py [--repeat N] [--only W2,W5] [--mode reverse|forward] [--top K] [--cpu]

For each workload (W1-W6 and the element loop of benchmarks/bench_grad.py),
builds the derivative ``grad`` builds (reverse mode, gradient-only form,
kinds from the benchmark's arguments) ``--repeat`` times from fresh function
objects (nothing cached) and prints the median and the least build time in
ms (the least is the steadier figure on a loaded machine); then the
passes that cost most, each by its own time (a pass called inside another,
such as the kind inference inside the pytree lowering, counts for itself
only), summed over the workload's builds and divided by their number, in
ms per build. Figures only: the machine's load moves them.
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_grad  # noqa: E402
import numpy  # noqa: E402

from s2sad import pipeline  # noqa: E402
from s2sad.arguments import bind, resolve_wrt  # noqa: E402
from s2sad.codegen import finish  # noqa: E402
from s2sad.forward.transform import ForwardTransform  # noqa: E402
from s2sad.frontend.varargs import flatten  # noqa: E402
from s2sad.reverse.transform import ReverseTransform  # noqa: E402

# (module, attribute, label): the passes timed, each by its own time
PASSES = [
    (pipeline, "parse_function", "parse"),
    (pipeline, "normalize_lifting", "normalize"),
    (pipeline, "compile_lifted", "compile lifted defs"),
    (pipeline, "to_ssa", "SSA"),
    (pipeline, "lower_pytrees", "pytrees"),
    (pipeline, "eliminate_common_subexpressions", "CSE"),
    (pipeline, "infer_kinds", "kinds"),
    (pipeline, "analyse", "may-alias"),
    (pipeline, "written_arguments", "written arguments"),
    (pipeline, "refuse_calls_writing_arguments", "refusals: calls"),
    (pipeline, "check_mutations", "refusals: mutations"),
    (pipeline, "varied_names", "activity"),
    (pipeline, "refuse_varied_opaque", "refusals: opaque"),
    (pipeline, "refuse_nonlocal_mutation", "refusals: nonlocal"),
    (ReverseTransform, "run", "reverse transform"),
    (ForwardTransform, "run", "forward transform"),
    (pipeline, "shape_classes", "shape classes"),
    (pipeline, "scalar_output", "0-d proof"),
    (pipeline, "borrow_shapes", "shape source"),
    (pipeline, "keep_fills_scalar", "scalar fills"),
    (pipeline, "eliminate_dead_code", "dead code"),
    (pipeline, "inline_once_read", "inline"),
    (pipeline, "fold_negation", "negation"),
    (finish, "render_function", "codegen: render"),
    (finish, "compile_function", "codegen: compile"),
    (pipeline, "finish", "codegen: other"),
]


clock_now = time.perf_counter


class PassClock:
    """Wraps each pass; a pass's own time excludes the passes it calls."""

    def __init__(self):
        self.own = defaultdict(float)
        self.stack = []
        self.saved = []

    def wrap(self, owner, attr, label):
        original = getattr(owner, attr)
        self.saved.append((owner, attr, original))
        clock = self

        def timed(*args, **kwargs):
            clock.stack.append(0.0)
            t0 = clock_now()
            try:
                return original(*args, **kwargs)
            finally:
                spent = clock_now() - t0
                inner = clock.stack.pop()
                clock.own[label] += spent - inner
                if clock.stack:
                    clock.stack[-1] += spent

        setattr(owner, attr, timed)

    def __enter__(self):
        for owner, attr, label in PASSES:
            self.wrap(owner, attr, label)
        return self

    def __exit__(self, *exc):
        for owner, attr, original in reversed(self.saved):
            setattr(owner, attr, original)


def build(name, wrt, args, mode):
    fn = bench_grad.primal_functions(numpy)[name]  # a new function object: nothing cached
    names, _ = resolve_wrt(fn, wrt)
    bound = bind(fn, args, {})
    bound.apply_defaults()
    kinds = {k: pipeline.kind_of_value(v) for k, v in flatten(fn, bound.arguments).items()}
    if mode == "forward":
        return pipeline.build_forward(fn, names, kinds)
    return pipeline.build_reverse(fn, names, kinds, gradient_only=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=11, help="fresh builds per workload (median)")
    parser.add_argument("--only", default="", help="comma-separated label prefixes, e.g. W2,W5")
    parser.add_argument("--mode", default="reverse", choices=("reverse", "forward"))
    parser.add_argument("--top", type=int, default=6, help="passes listed per workload")
    parser.add_argument("--cpu", action="store_true",
                        help="time the process's CPU time (time.process_time), not the wall clock: "
                             "steadier when other processes share the machine")
    opts = parser.parse_args()
    wanted = [w for w in opts.only.split(",") if w]
    cases = [c for c in bench_grad.CASES if not wanted or any(c[0].startswith(w) for w in wanted)]
    warnings.simplefilter("ignore")
    global clock_now
    clock_now = time.process_time if opts.cpu else time.perf_counter
    for _label, name, wrt, args, _hand in cases:  # warm up: imports, rule tables
        build(name, wrt, args, opts.mode)
    print(f"Build time ({opts.mode} mode{', gradient-only form' if opts.mode == 'reverse' else ''}), "
          f"{'CPU time' if opts.cpu else 'wall clock'}, median and least of {opts.repeat} fresh builds, ms;\nthen the top passes by own time, ms per build")
    totals = defaultdict(float)
    for label, name, wrt, args, _hand in cases:
        times = []
        for _ in range(opts.repeat):
            t0 = clock_now()
            build(name, wrt, args, opts.mode)
            times.append(clock_now() - t0)
        with PassClock() as clock:
            t0 = clock_now()
            for _ in range(opts.repeat):
                build(name, wrt, args, opts.mode)
            timed = clock_now() - t0
        clock.own["(unattributed)"] = timed - sum(clock.own.values())
        ranked = sorted(clock.own.items(), key=lambda kv: -kv[1])
        top = ", ".join(f"{k} {1e3 * v / opts.repeat:.1f}" for k, v in ranked[: opts.top])
        print(f"  {label:<22} {1e3 * statistics.median(times):7.1f} {1e3 * min(times):7.1f}   {top}")
        for k, v in clock.own.items():
            totals[k] += v / opts.repeat
    print("All workloads, ms per build of each, summed:")
    for k, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<24} {1e3 * v:7.1f}")


if __name__ == "__main__":
    main()
