"""Benchmark s2sad gradients against hand-written NumPy gradients and peers.

    python benchmarks/bench_grad.py [--repeat N] [--quick] [--only W2,W5]

Prints median per-call times of s2sad (and of autograd, tangent-ad, JAX and
PyTorch when installed) with ratios to hand-written NumPy gradients, for the
workloads W1-W6 of the "hand-written quality and speed" issue (plus an
element-wise loop). All implementations of one workload are timed
interleaved in one process: each round takes one sample of every
implementation, in a rotating order, so that a burst of load on the machine
hits all of them alike. Before timing, s2sad's gradient must equal the
hand-written one to 1e-10 (relative to the gradient's largest entry).

Then: the peak memory (tracemalloc) of one call for the MLP (W3) and a long
scalar loop, and the build time of each workload (the first call of a fresh
gradient, which parses, transforms and compiles, in ms; tangent-ad's first
call and jax.jit's compile for comparison).
"""
# ruff: noqa: E402  (the thread settings must precede the numpy import)

import os

# Single-threaded BLAS and XLA, set before numpy is imported, so that the
# timings compare the AD tools rather than thread pools. XLA still starts
# helper threads, so the process is also pinned to one CPU where possible.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
if hasattr(os, "sched_setaffinity"):  # Linux; threads started later inherit it
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse
import gc
import importlib
import inspect
import statistics
import sys
import time
import tracemalloc
import warnings
from importlib.metadata import version

import numpy

# Benchmark the s2sad of this checkout (the script is run as a file, so its
# folder, not the repository's root, is on sys.path).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import s2sad


def optional(module_name):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module_name)
    except Exception:  # missing or broken: not timed either way
        return None


autograd, anp = optional("autograd"), optional("autograd.numpy")
jax, jnp = optional("jax"), optional("jax.numpy")
torch = optional("torch")
tangent = optional("tangent")  # the tangent-ad package
if jax is not None:
    jax.config.update("jax_enable_x64", True)
if torch is not None:
    torch.set_num_threads(1)


# ---------------------------------------------------------------- functions
def primal_functions(np):
    """The benchmarked functions, written once against a NumPy-like module
    ``np``: numpy (for s2sad and tangent-ad), autograd.numpy or jax.numpy.
    Each call makes new function objects (so a new s2sad build)."""

    def lecture(x1, x2):  # W6
        return np.log(x1) + x1 * x2 - np.sin(x2)

    def scalar_loop(x, steps=100):  # W1
        for _ in range(steps):
            x = x * 0.99 + np.sin(x) * 0.01
        return x

    def rosenbrock(x):  # W2
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def mlp_loss(W1, b1, W2, b2, X, Y):  # W3
        h = np.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        logits = logits - np.max(logits, axis=1, keepdims=True)
        logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
        return -np.sum(Y * logp) / X.shape[0]

    def rnn_loss(W, U, xs, h0):  # W4
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + U @ xs[t])
        return np.sum(h * h)

    def logistic_loss(w, X, y):  # W5
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))

    def element_dot(x, w):
        s = 0.0
        for i in range(x.shape[0]):
            s = s + x[i] * w[i]
        return s

    return {"lecture": lecture, "scalar_loop": scalar_loop, "rosenbrock": rosenbrock, "mlp_loss": mlp_loss,
            "rnn_loss": rnn_loss, "logistic_loss": logistic_loss, "element_dot": element_dot}


def torch_functions():
    """The same functions in PyTorch (``torch`` has no keepdims/axis spelling)."""

    def lecture(x1, x2):
        return torch.log(x1) + x1 * x2 - torch.sin(x2)

    def scalar_loop(x, steps=100):
        for _ in range(steps):
            x = x * 0.99 + torch.sin(x) * 0.01
        return x

    def rosenbrock(x):
        return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def mlp_loss(W1, b1, W2, b2, X, Y):
        h = torch.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        logits = logits - torch.max(logits, dim=1, keepdim=True).values
        logp = logits - torch.log(torch.sum(torch.exp(logits), dim=1, keepdim=True))
        return -torch.sum(Y * logp) / X.shape[0]

    def rnn_loss(W, U, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = torch.tanh(W @ h + U @ xs[t])
        return torch.sum(h * h)

    def logistic_loss(w, X, y):
        z = X @ w
        p = 1.0 / (1.0 + torch.exp(-z))
        return -torch.mean(y * torch.log(p) + (1.0 - y) * torch.log(1.0 - p))

    def element_dot(x, w):
        s = 0.0
        for i in range(x.shape[0]):
            s = s + x[i] * w[i]
        return s

    return {"lecture": lecture, "scalar_loop": scalar_loop, "rosenbrock": rosenbrock, "mlp_loss": mlp_loss,
            "rnn_loss": rnn_loss, "logistic_loss": logistic_loss, "element_dot": element_dot}


# Hand-written gradients: the baseline of every ratio.
def lecture_grad(x1, x2):
    return 1.0 / x1 + x2, x1 - numpy.cos(x2)


def scalar_loop_grad(x, steps=100):
    dx = 1.0  # forward-mode chain rule: one scalar input needs no tape
    for _ in range(steps):
        dx = dx * (0.99 + numpy.cos(x) * 0.01)
        x = x * 0.99 + numpy.sin(x) * 0.01
    return dx


def rosenbrock_grad(x):
    a = x[:-1]
    d = x[1:] - a * a
    g = numpy.zeros_like(x)
    g[1:] = 200.0 * d
    g[:-1] -= 400.0 * d * a + 2.0 * (1.0 - a)
    return g


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    h = numpy.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = numpy.exp(logits - numpy.max(logits, axis=1, keepdims=True))
    p /= numpy.sum(p, axis=1, keepdims=True)
    dlogits = (p * numpy.sum(Y, axis=1, keepdims=True) - Y) / X.shape[0]
    dh = (dlogits @ W2.T) * (1.0 - h * h)
    return X.T @ dh, dh.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


def rnn_loss_grad(W, U, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(numpy.tanh(W @ hs[-1] + U @ xs[t]))
    dh = 2.0 * hs[-1]
    dW, dU = numpy.zeros_like(W), numpy.zeros_like(U)
    for t in reversed(range(xs.shape[0])):
        da = dh * (1.0 - hs[t + 1] ** 2)
        dW += numpy.outer(da, hs[t])
        dU += numpy.outer(da, xs[t])
        dh = W.T @ da
    return dW, dU


def logistic_loss_grad(w, X, y):
    p = 1.0 / (1.0 + numpy.exp(-(X @ w)))
    return X.T @ (p - y) / y.shape[0]


def element_dot_grad(x, w):
    gx, gw = numpy.zeros_like(x), numpy.zeros_like(w)  # the loop, differentiated by hand
    for i in range(x.shape[0]):
        gx[i] = w[i]
        gw[i] = x[i]
    return gx, gw


# ---------------------------------------------------------- implementations
# A maker takes (function name, wrt positions, arguments) and returns a
# thunk computing the gradient, with all one-off preparation done outside it.
def s2sad_maker(name, wrt, args):
    g = s2sad.grad(primal_functions(numpy)[name], wrt=wrt)
    return lambda: g(*args)


def autograd_maker(name, wrt, args):
    g = autograd.grad(primal_functions(anp)[name], argnum=wrt)
    return lambda: g(*args)


def tangent_maker(name, wrt, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = tangent.grad(primal_functions(numpy)[name], wrt=wrt if isinstance(wrt, tuple) else (wrt,), verbose=0)
    return lambda: g(*args)


def jax_maker(jit):
    def make(name, wrt, args):
        g = jax.grad(primal_functions(jnp)[name], argnums=wrt)
        g = jax.jit(g) if jit else g
        jargs = [jnp.asarray(a) if isinstance(a, numpy.ndarray) else a for a in args]
        return lambda: jax.block_until_ready(g(*jargs))

    return make


def torch_maker(name, wrt, args):
    fn = torch_functions()[name]
    targs = [torch.tensor(a, dtype=torch.float64) if isinstance(a, float) else torch.from_numpy(a) for a in args]
    params = [targs[i].requires_grad_() for i in (wrt if isinstance(wrt, tuple) else (wrt,))]
    return lambda: torch.autograd.grad(fn(*targs), params)


ALL = ("lecture", "scalar_loop", "rosenbrock", "mlp_loss", "rnn_loss", "logistic_loss", "element_dot")
IMPLEMENTATIONS = [  # (row name, module or None when missing, maker, cases timed)
    ("s2sad", s2sad, s2sad_maker, ALL),
    ("autograd", autograd, autograd_maker, ALL),
    ("tangent-ad", tangent, tangent_maker, ALL),
    ("jax.grad", jax, jax_maker(jit=False), ALL[:-1]),  # eager jax on a 1000-step element loop: ~10 s a call
    ("jax.jit(jax.grad)", jax, jax_maker(jit=True), ALL),
    ("torch.autograd", torch, torch_maker, ALL),
]


def rosenbrock_args():
    rng = numpy.random.default_rng(3)
    return (rng.uniform(-1.5, 1.5, 1000),)


def mlp_args():
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((256, 784))
    W1 = rng.standard_normal((784, 256)) / numpy.sqrt(784)
    b1 = 0.1 * rng.standard_normal(256)
    W2 = rng.standard_normal((256, 10)) / numpy.sqrt(256)
    b2 = 0.1 * rng.standard_normal(10)
    Y = numpy.eye(10)[rng.integers(0, 10, size=256)]
    return (W1, b1, W2, b2, X, Y)


def rnn_args():
    rng = numpy.random.default_rng(1)
    return (rng.standard_normal((64, 64)) / 8.0, rng.standard_normal((64, 32)) / 6.0,
            rng.standard_normal((50, 32)), rng.standard_normal(64))


def logistic_args():
    rng = numpy.random.default_rng(4)
    X = rng.standard_normal((10000, 20))
    w_true = rng.standard_normal(20) / 2.0
    y = (rng.uniform(size=10000) < 1.0 / (1.0 + numpy.exp(-(X @ w_true)))).astype(float)
    return (0.3 * rng.standard_normal(20), X, y)


def element_args():
    rng = numpy.random.default_rng(2)
    return (rng.standard_normal(1000), rng.standard_normal(1000))


CASES = [  # (label, function name, wrt, arguments, hand-written gradient)
    ("W1 scalar loop x100", "scalar_loop", 0, (1.0,), scalar_loop_grad),
    ("W2 Rosenbrock n=1000", "rosenbrock", 0, rosenbrock_args(), rosenbrock_grad),
    ("W3 MLP softmax-xent", "mlp_loss", (0, 1, 2, 3), mlp_args(), mlp_loss_grad),
    ("W4 RNN 64 hidden x50", "rnn_loss", (0, 1), rnn_args(), rnn_loss_grad),
    ("W5 logistic 10000x20", "logistic_loss", 0, logistic_args(), logistic_loss_grad),
    ("W6 lecture f(x1,x2)", "lecture", (0, 1), (2.0, 5.0), lecture_grad),
    ("element loop n=1000", "element_dot", (0, 1), element_args(), element_dot_grad),
]
MEMORY_STEPS = 10_000
FIRST_CALL_MS = {}  # label -> implementation -> ms of the first call of a fresh gradient (timed in time_case)
S2SAD_TOLERANCE = 1e-10  # s2sad vs hand-written: relative to the gradient's largest entry


# ------------------------------------------------------------------ helpers
def as_arrays(v):
    return [numpy.asarray(x.detach() if hasattr(x, "detach") else x, dtype=float)
            for x in (v if isinstance(v, tuple) else (v,))]


def agrees(got, want, rtol=1e-6, atol=1e-9):
    """Same number of gradients, same shapes, np.allclose values."""
    got, want = as_arrays(got), as_arrays(want)
    return len(got) == len(want) and all(
        g.shape == w.shape and numpy.allclose(g, w, rtol=rtol, atol=atol) for g, w in zip(got, want))


def max_relative_error(got, want):
    """max |got - want| / max(1, max |want|) over all gradients (inf on a shape mismatch)."""
    got, want = as_arrays(got), as_arrays(want)
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
        return float("inf")
    return max(float(numpy.max(numpy.abs(g - w), initial=0.0)) / max(1.0, float(numpy.max(numpy.abs(w), initial=0.0)))
               for g, w in zip(got, want))


def calibrate(thunk, sample_seconds):
    """Calls per sample so that one sample takes about ``sample_seconds``."""
    for _ in range(2):  # warm-up: s2sad builds, caches fill, jit compiles
        thunk()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        thunk()
        best = min(best, time.perf_counter() - t0)
    return max(1, int(sample_seconds / max(best, 1e-9)))


def interleaved_medians(thunks, repeat, sample_seconds):
    """Median per-call seconds of each thunk: ``repeat`` rounds, each taking
    one sample (of a calibrated number of calls) of every thunk, in an order
    that rotates from round to round."""
    numbers = [calibrate(t, sample_seconds) for t in thunks]
    samples = [[] for _ in thunks]
    order = list(range(len(thunks)))
    for r in range(repeat):
        k = r % len(order)
        for i in order[k:] + order[:k]:
            thunk, number = thunks[i], numbers[i]
            t0 = time.perf_counter()
            for _ in range(number):
                thunk()
            samples[i].append((time.perf_counter() - t0) / number)
    return [statistics.median(s) for s in samples]


def peak_bytes(thunk):
    """Peak traced memory (Python objects and NumPy buffers) of one call, after a warm-up call."""
    thunk()
    gc.collect()
    tracemalloc.start()
    try:
        thunk()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fmt_time(seconds):
    return f"{seconds * 1e6:9.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:9.3f} ms"


def error_text(exc):
    text = " ".join(str(exc).split())
    return f"error: {type(exc).__name__}: {text[:70]}"


def guarded(measure, *args):
    """``measure(*args)``, or an "error: ..." message if it raises."""
    try:
        return measure(*args)
    except Exception as exc:
        return error_text(exc)


# -------------------------------------------------------------- measurements
def time_case(label, name, wrt, args, hand, opts):
    """Rows (case, implementation, seconds or message, ratio vs hand-written)."""
    want = hand(*args)
    timed = [("hand-written NumPy", lambda: hand(*args))]
    rows = {}
    for impl, module, make, names in IMPLEMENTATIONS:
        if name not in names or (opts.peers is not None and impl not in opts.peers and impl != "s2sad"):
            continue
        if module is None:
            rows[impl] = "not installed"
            continue
        try:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                thunk = make(name, wrt, args)
                got = thunk()
            FIRST_CALL_MS.setdefault(label, {})[impl] = 1e3 * (time.perf_counter() - t0)
        except Exception as exc:
            rows[impl] = error_text(exc)
            continue
        if impl == "s2sad":
            err = max_relative_error(got, want)
            if not err <= S2SAD_TOLERANCE:
                sys.exit(f"FATAL: s2sad's gradient of {name} differs from the hand-written one by {err:.3g} "
                         f"(relative; allowed {S2SAD_TOLERANCE:g})\n  s2sad:        {got}\n  hand-written: {want}")
        elif not agrees(got, want):
            rows[impl] = "error: gradient disagrees with the hand-written one"
            continue
        timed.append((impl, thunk))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        medians = interleaved_medians([t for _, t in timed], opts.repeat, opts.sample)
    t_hand = medians[0]
    out = []
    for (impl, _), t in zip(timed, medians):
        rows[impl] = t
    for impl in ["hand-written NumPy"] + [i for i, m, _, n in IMPLEMENTATIONS if i in rows]:
        t = rows[impl]
        out.append((label, impl, t, t / t_hand if isinstance(t, float) else None))
    return out


def scalar_loop_memory_rows(steps):
    """(implementation, peak bytes or message) for a ``steps``-step scalar loop."""
    loop = primal_functions(numpy)["scalar_loop"]
    s2sad_grad = s2sad.grad(loop)
    impls = [("primal (no gradient)", lambda: loop(1.0, steps)),
             ("hand-written NumPy", lambda: scalar_loop_grad(1.0, steps)),
             ("s2sad", lambda: s2sad_grad(1.0, steps))]
    if autograd is not None:
        autograd_grad = autograd.grad(primal_functions(anp)["scalar_loop"])
        impls.append(("autograd", lambda: autograd_grad(1.0, steps)))
    return [(impl, guarded(peak_bytes, thunk)) for impl, thunk in impls]


def mlp_memory_rows():
    """(implementation, peak bytes or message) of one gradient of the W3 MLP."""
    args = mlp_args()
    fn = primal_functions(numpy)["mlp_loss"]
    g = s2sad.grad(fn, wrt=(0, 1, 2, 3))
    impls = [("primal (no gradient)", lambda: fn(*args)),
             ("hand-written NumPy", lambda: mlp_loss_grad(*args)),
             ("s2sad", lambda: g(*args))]
    if autograd is not None:
        ag = autograd.grad(primal_functions(anp)["mlp_loss"], argnum=(0, 1, 2, 3))
        impls.append(("autograd", lambda: ag(*args)))
    if tangent is not None:
        impls.append(("tangent-ad", guarded(tangent_maker, "mlp_loss", (0, 1, 2, 3), args)))
    return [(impl, guarded(peak_bytes, thunk) if callable(thunk) else thunk) for impl, thunk in impls]


def first_call_ms(make, name, wrt, args, repeat):
    """Median milliseconds of the first call of a freshly made gradient (build + one run)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make(name, wrt, args)()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def source_ms(name, wrt, args, repeat):
    """Median milliseconds for s2sad.source (parse + transform + codegen, uncached)."""
    fn = primal_functions(numpy)[name]
    params = inspect.signature(fn).parameters
    kinds = {p: "array" if isinstance(a, numpy.ndarray) else "scalar" for p, a in zip(params, args)}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        s2sad.source(fn, wrt=wrt, kinds=kinds)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def print_memory(title, rows, reference):
    print(title)
    header = f"{'implementation':<22} {'peak KiB':>10} {'vs ' + reference:>20}"
    print(header + "\n" + "-" * len(header))
    ref = dict(rows).get(reference)
    for impl, peak in rows:
        if isinstance(peak, int):
            ratio = f"{peak / ref:>19.2f}x" if isinstance(ref, int) else ""
            print(f"{impl:<22} {peak / 1024:>10.1f} {ratio}")
        else:
            print(f"{impl:<22} {peak}")


# --------------------------------------------------------------------- main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, help="timing rounds per workload (default 31; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--only", help="comma-separated workload prefixes, e.g. W2,W5")
    parser.add_argument("--peers", help="comma-separated peer rows to time (default: all installed)")
    opts = parser.parse_args()
    opts.repeat = opts.repeat or (5 if opts.quick else 31)
    opts.sample = 0.005 if opts.quick else 0.02  # seconds per timing sample
    opts.peers = None if opts.peers is None else set(opts.peers.split(","))
    cases = [c for c in CASES if opts.only is None or any(c[0].startswith(p) for p in opts.only.split(","))]

    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, s2sad {s2sad.__version__}")
    print("threads: " + " ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS)
          + " (set before importing numpy, so timings are single-threaded)"
          + (f"; pinned to CPU {min(os.sched_getaffinity(0))}" if hasattr(os, "sched_getaffinity") else ""))
    peers = [("autograd", autograd), ("tangent-ad", tangent), ("jax", jax), ("torch", torch)]
    print("peers: " + ", ".join(f"{n} {version(n) if m else 'not installed'}" for n, m in peers))
    print(f"median of {opts.repeat} interleaved rounds, one sample of >= {opts.sample * 1e3:g} ms per "
          f"implementation per round, after warm-up; s2sad checked against hand-written to {S2SAD_TOLERANCE:g}\n")

    header = f"{'case':<21} {'implementation':<20} {'median':>12}  {'vs hand-written':>15}"
    print(header + "\n" + "-" * len(header))
    for i, case in enumerate(cases):
        if i:
            print()
        for j, (label, impl, t, ratio) in enumerate(time_case(*case, opts)):
            shown = fmt_time(t) if isinstance(t, float) else t
            shown_ratio = f"{ratio:.2f}x" if ratio is not None else ""
            print(f"{label if j == 0 else '':<21} {impl:<20} {shown:>12}  {shown_ratio:>15}", flush=True)

    if opts.only is None or "W3" in opts.only:
        print()
        print_memory("Peak memory (tracemalloc) of one gradient call, W3 MLP", mlp_memory_rows(),
                     "hand-written NumPy")
    if opts.only is None:
        print()
        print_memory(f"Peak memory (tracemalloc) of one call, scalar loop x{MEMORY_STEPS}, gradient w.r.t. x",
                     scalar_loop_memory_rows(MEMORY_STEPS), "primal (no gradient)")
    print("(tracemalloc sees Python objects and NumPy buffers; JAX and torch buffers are invisible to it)")

    print("\nBuild time: first call of a freshly made gradient (build + one call), ms; s2sad: median of 5 fresh")
    print("builds, and s2sad.source alone (parse + transform + codegen); peers: their one first call above")
    names = ["s2sad", "tangent-ad", "jax.jit(jax.grad)", "torch.autograd"]
    header = f"  {'case':<21} {'hand call':>10} {'s2sad.source':>13} {'s2sad':>8}" + "".join(
        f" {n.split('(')[0]:>10}" for n in names[1:])
    print(header + "\n  " + "-" * (len(header) - 2))
    for label, name, wrt, args, hand in cases:
        t_hand = 1e3 * min(timeit_once(hand, args) for _ in range(3))
        src = guarded(source_ms, name, wrt, args, 3 if opts.quick else 5)
        built = guarded(first_call_ms, s2sad_maker, name, wrt, args, 5)
        peers_ms = [FIRST_CALL_MS.get(label, {}).get(n) for n in names[1:]]
        cell = lambda v, w: f" {v:{w}.2f}" if isinstance(v, float) else f" {'-':>{w}}"  # noqa: E731
        print(f"  {label:<21}" + cell(t_hand, 10) + cell(src, 13) + cell(built, 8)
              + "".join(cell(v, 10) for v in peers_ms))


def timeit_once(fn, args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
