"""Benchmark s2sad gradients against hand-written NumPy gradients and peers.

    python benchmarks/bench_grad.py [--repeat N] [--quick]

Prints median per-call times of s2sad (and of autograd, JAX and PyTorch when
installed) with ratios to hand-written NumPy gradients, the peak memory of a
long loop's gradient, and s2sad's build (transform + compile) times.
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
import importlib
import inspect
import statistics
import sys
import time
import tracemalloc
from importlib.metadata import version

import numpy

import s2sad


def optional(module_name):
    try:
        return importlib.import_module(module_name)
    except Exception:  # missing or broken: not timed either way
        return None


autograd, anp = optional("autograd"), optional("autograd.numpy")
jax, jnp = optional("jax"), optional("jax.numpy")
torch = optional("torch")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
if torch is not None:
    torch.set_num_threads(1)


# ---------------------------------------------------------------- functions
def primal_functions(np):
    """The benchmarked functions, written once against a NumPy-like module
    ``np``: numpy (for s2sad), autograd.numpy or jax.numpy."""

    def lecture(x1, x2):
        return np.log(x1) + x1 * x2 - np.sin(x2)

    def scalar_loop(x, steps=100):
        for _ in range(steps):
            x = x * 0.99 + np.sin(x) * 0.01
        return x

    def mlp_loss(W1, b1, W2, b2, X, Y):
        h = np.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        logits = logits - np.max(logits, axis=1, keepdims=True)
        logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
        return -np.sum(Y * logp) / X.shape[0]

    def rnn_loss(W, U, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + U @ xs[t])
        return np.sum(h * h)

    def element_dot(x, w):
        s = 0.0
        for i in range(x.shape[0]):
            s = s + x[i] * w[i]
        return s

    return {"lecture": lecture, "scalar_loop": scalar_loop, "mlp_loss": mlp_loss, "rnn_loss": rnn_loss,
            "element_dot": element_dot}


def torch_mlp_loss(W1, b1, W2, b2, X, Y):
    h = torch.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - torch.max(logits, dim=1, keepdim=True).values
    logp = logits - torch.log(torch.sum(torch.exp(logits), dim=1, keepdim=True))
    return -torch.sum(Y * logp) / X.shape[0]


# Hand-written gradients: the baseline of every ratio.
def lecture_grad(x1, x2):
    return 1.0 / x1 + x2, x1 - numpy.cos(x2)


def scalar_loop_grad(x, steps=100):
    dx = 1.0  # forward-mode chain rule: one scalar input needs no tape
    for _ in range(steps):
        dx = dx * (0.99 + numpy.cos(x) * 0.01)
        x = x * 0.99 + numpy.sin(x) * 0.01
    return dx


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


def element_dot_grad(x, w):
    gx, gw = numpy.zeros_like(x), numpy.zeros_like(w)  # the loop, differentiated by hand
    for i in range(x.shape[0]):
        gx[i] = w[i]
        gw[i] = x[i]
    return gx, gw


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    h = numpy.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = numpy.exp(logits - numpy.max(logits, axis=1, keepdims=True))
    p /= numpy.sum(p, axis=1, keepdims=True)
    dlogits = (p * numpy.sum(Y, axis=1, keepdims=True) - Y) / X.shape[0]
    dh = (dlogits @ W2.T) * (1.0 - h * h)
    return X.T @ dh, dh.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


# ---------------------------------------------------------- implementations
# A maker takes (function name, wrt positions, arguments) and returns a
# thunk computing the gradient, with all one-off preparation done outside it.
def s2sad_maker(name, wrt, args):
    g = s2sad.grad(primal_functions(numpy)[name], wrt=wrt)
    return lambda: g(*args)


def autograd_maker(name, wrt, args):
    g = autograd.grad(primal_functions(anp)[name], argnum=wrt)
    return lambda: g(*args)


def jax_maker(jit):
    def make(name, wrt, args):
        g = jax.grad(primal_functions(jnp)[name], argnums=wrt)
        g = jax.jit(g) if jit else g
        jargs = [jnp.asarray(a) if isinstance(a, numpy.ndarray) else a for a in args]
        return lambda: jax.block_until_ready(g(*jargs))

    return make


def torch_maker(name, wrt, args):
    targs = [torch.from_numpy(a) for a in args]
    params = [targs[i].requires_grad_() for i in wrt]
    return lambda: torch.autograd.grad(torch_mlp_loss(*targs), params)


ALL = ("lecture", "scalar_loop", "mlp_loss", "rnn_loss", "element_dot")
IMPLEMENTATIONS = [  # (row name, module or None when missing, maker, cases timed)
    ("s2sad", s2sad, s2sad_maker, ALL),
    ("autograd", autograd, autograd_maker, ALL),
    ("jax.grad", jax, jax_maker(jit=False), ALL),
    ("jax.jit(jax.grad)", jax, jax_maker(jit=True), ALL),
    ("torch.autograd", torch, torch_maker, ("mlp_loss",)),
]


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


def element_args():
    rng = numpy.random.default_rng(2)
    return (rng.standard_normal(1000), rng.standard_normal(1000))


CASES = [  # (label, function name, wrt, arguments, hand-written gradient)
    ("lecture f(x1, x2)", "lecture", (0, 1), (2.0, 5.0), lecture_grad),
    ("scalar loop x100", "scalar_loop", 0, (1.0,), scalar_loop_grad),
    ("MLP softmax-xent", "mlp_loss", (0, 1, 2, 3), mlp_args(), mlp_loss_grad),
    ("RNN 64 hidden x50", "rnn_loss", (0, 1), rnn_args(), rnn_loss_grad),
    ("element loop n=1000", "element_dot", (0, 1), element_args(), element_dot_grad),
]
MEMORY_STEPS = 10_000


# ------------------------------------------------------------------ helpers
def agrees(got, want):
    """Same number of gradients, same shapes, np.allclose values."""
    got, want = ([numpy.asarray(x.detach() if hasattr(x, "detach") else x, dtype=float)
                  for x in (v if isinstance(v, tuple) else (v,))] for v in (got, want))
    return len(got) == len(want) and all(
        g.shape == w.shape and numpy.allclose(g, w, rtol=1e-6, atol=1e-9) for g, w in zip(got, want))


def median_seconds(thunk, repeat, sample_seconds):
    """Median per-call time over ``repeat`` samples of ``number`` calls each."""
    for _ in range(2):  # warm-up: s2sad builds, caches fill, jit compiles
        thunk()
    t0 = time.perf_counter()
    thunk()
    number = max(1, int(sample_seconds / max(time.perf_counter() - t0, 1e-9)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            thunk()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def peak_bytes(thunk):
    """Peak traced Python memory of one call, after a warm-up call."""
    thunk()
    tracemalloc.start()
    try:
        thunk()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fmt_time(seconds):
    return f"{seconds * 1e6:9.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:9.3f} ms"


def error_text(exc):
    return f"error: {type(exc).__name__}: {' '.join(str(exc).split())}"


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
    t_hand = median_seconds(lambda: hand(*args), opts.repeat, opts.sample)
    rows = [(label, "hand-written NumPy", t_hand, 1.0)]
    for impl, module, make, names in IMPLEMENTATIONS:
        if name not in names:
            continue
        if module is None:
            rows.append((label, impl, "not installed", None))
            continue
        try:
            thunk = make(name, wrt, args)
            got = thunk()
        except Exception as exc:
            rows.append((label, impl, error_text(exc), None))
            continue
        if not agrees(got, want):
            if impl == "s2sad":
                sys.exit(f"FATAL: s2sad's gradient of {name} disagrees with the hand-written one\n"
                         f"  s2sad:        {got}\n  hand-written: {want}")
            rows.append((label, impl, "error: gradient disagrees with the hand-written one", None))
            continue
        t = median_seconds(thunk, opts.repeat, opts.sample)
        rows.append((label, impl, t, t / t_hand))
    return rows


def memory_rows(steps):
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


def build_ms(name, wrt, args, repeat):
    """Median milliseconds for s2sad to build one gradient (s2sad.source is uncached)."""
    fn = primal_functions(numpy)[name]
    params = inspect.signature(fn).parameters
    kinds = {p: "array" if isinstance(a, numpy.ndarray) else "scalar" for p, a in zip(params, args)}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        s2sad.source(fn, wrt=wrt, kinds=kinds)
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


# --------------------------------------------------------------------- main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, help="timing samples per row (default 15; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    opts = parser.parse_args()
    opts.repeat = opts.repeat or (5 if opts.quick else 15)
    opts.sample = 0.005 if opts.quick else 0.05  # seconds per timing sample

    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, s2sad {s2sad.__version__}")
    print("threads: " + " ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS)
          + " (set before importing numpy, so timings are single-threaded)"
          + (f"; pinned to CPU {min(os.sched_getaffinity(0))}" if hasattr(os, "sched_getaffinity") else ""))
    peers = [("autograd", autograd), ("jax", jax), ("torch", torch)]
    print("peers: " + ", ".join(f"{n} {version(n) if m else 'not installed'}" for n, m in peers))
    print(f"median of {opts.repeat} samples of >= {opts.sample * 1e3:g} ms each, after warm-up\n")

    header = f"{'case':<20} {'implementation':<20} {'median':>12}  {'vs hand-written':>15}"
    print(header + "\n" + "-" * len(header))
    for i, case in enumerate(CASES):
        if i:
            print()
        for j, (label, impl, t, ratio) in enumerate(time_case(*case, opts)):
            shown = fmt_time(t) if isinstance(t, float) else t
            shown_ratio = f"{ratio:.2f}x" if ratio is not None else ""
            print(f"{label if j == 0 else '':<20} {impl:<20} {shown:>12}  {shown_ratio:>15}", flush=True)

    print(f"\nPeak memory (tracemalloc) of one call, scalar loop x{MEMORY_STEPS}, gradient w.r.t. x")
    header = f"{'implementation':<22} {'peak KB':>10} {'bytes/iter':>11} {'vs primal':>10}"
    print(header + "\n" + "-" * len(header))
    rows = memory_rows(MEMORY_STEPS)
    primal = rows[0][1]
    for impl, peak in rows:
        if isinstance(peak, int):
            print(f"{impl:<22} {peak / 1024:>10.1f} {peak / MEMORY_STEPS:>11.1f} {peak / primal:>9.1f}x")
        else:
            print(f"{impl:<22} {peak}")
    print("(tracemalloc traces Python allocations only: JAX and torch buffers are invisible to it)")

    print("\ns2sad build time (parse + transform + compile, uncached, median)")
    for label, name, wrt, args, _ in CASES:
        ms = guarded(build_ms, name, wrt, args, 3 if opts.quick else 7)
        print(f"  {label:<20} " + (f"{ms:8.2f} ms" if isinstance(ms, float) else ms))


if __name__ == "__main__":
    main()
