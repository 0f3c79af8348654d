"""Derivatives on dask arrays: the generated code, unchanged, builds a lazy
task graph (NumPy dispatches to dask); the gradient is a dask array in the
input's chunks and equals the NumPy gradient once computed. What would need a
value (a branch on dask data, float(), a scatter-add) is refused, not computed."""

import os
import re
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import s2sad  # noqa: E402
from s2sad.lazy import no_compute  # noqa: E402
from s2sad.pipeline import kind_of_value  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------- functions
def logistic(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


class Counting:
    """A dask scheduler that counts the graphs it is asked to compute."""

    def __init__(self):
        self.calls = 0

    def __call__(self, dsk, keys, **kwargs):
        self.calls += 1
        return dask.get(dsk, keys, **kwargs)


@pytest.fixture
def counting():
    """Every dask computation in the test goes through a counter: a gradient
    call that computes anything (the guard failing to refuse) shows up."""
    c = Counting()
    with dask.config.set(scheduler=c):
        yield c


def _logistic_data(rng, n=120, d=4):
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ np.arange(1.0, d + 1.0)))).astype(float)
    w = rng.standard_normal(d) * 0.3
    return w, X, y


def _mlp_data(rng, n=90, d=3, k=8, c=4):
    X = rng.standard_normal((n, d))
    Y = np.eye(c)[rng.integers(0, c, n)]
    return (rng.standard_normal((d, k)) * 0.5, rng.standard_normal(k) * 0.1, rng.standard_normal((k, c)) * 0.5,
            rng.standard_normal(c) * 0.1, X, Y)


# ------------------------------------------------------------------- kinds
def test_a_dask_array_has_an_array_kind_without_being_computed(counting):
    x = da.ones((6, 4), chunks=(3, 2))
    assert kind_of_value(x) == "array2"
    assert kind_of_value(x[0]) == "array1"
    assert kind_of_value(da.ones(3, dtype=complex)) == "complex"
    assert counting.calls == 0


def test_the_generated_code_is_the_numpy_code(rng):
    w, X, y = _logistic_data(rng)
    g = s2sad.grad(logistic)
    lazy = (da.from_array(w), da.from_array(X, chunks=(30, 4)), da.from_array(y, chunks=30))
    assert g.source(*lazy) == g.source(w, X, y)


# --------------------------------------------------------------- gradients
def test_logistic_gradient_is_lazy_in_the_inputs_chunks(rng, counting):
    w, X, y = _logistic_data(rng)
    wd, Xd, yd = da.from_array(w, chunks=2), da.from_array(X, chunks=(30, 4)), da.from_array(y, chunks=30)
    gw, gX = s2sad.grad(logistic, wrt=(0, 1))(wd, Xd, yd)
    assert counting.calls == 0
    assert isinstance(gw, da.Array) and isinstance(gX, da.Array)
    assert gw.chunks == wd.chunks and gX.chunks == Xd.chunks
    ew, eX = s2sad.grad(logistic, wrt=(0, 1))(w, X, y)
    assert np.allclose(gw.compute(), ew, rtol=1e-12, atol=0)
    assert np.allclose(gX.compute(), eX, rtol=1e-12, atol=1e-300)
    assert counting.calls == 2


def test_value_and_grad_on_numpy_weights_and_dask_data(rng, counting):
    w, X, y = _logistic_data(rng)
    Xd, yd = da.from_array(X, chunks=(40, 4)), da.from_array(y, chunks=40)
    value, g = s2sad.value_and_grad(logistic)(w, Xd, yd)
    assert counting.calls == 0
    assert isinstance(value, da.Array) and isinstance(g, da.Array)  # they depend on the data: lazy too
    value, g = dask.compute(value, g)
    ev, eg = s2sad.value_and_grad(logistic)(w, X, y)
    assert np.allclose(value, ev, rtol=1e-12) and np.allclose(g, eg, rtol=1e-12, atol=0)
    assert g.dtype == w.dtype


def test_mlp_gradient_with_dask_parameters_rechunked_like_them(rng, counting):
    W1, b1, W2, b2, X, Y = _mlp_data(rng)
    chunks = [(2, 4), 4, (4, 2), 2, (30, 3), (30, 4)]
    lazy = [da.from_array(a, chunks=c) for a, c in zip((W1, b1, W2, b2, X, Y), chunks)]
    grads = s2sad.grad(mlp, wrt=(0, 1, 2, 3))(*lazy)
    assert counting.calls == 0
    expected = s2sad.grad(mlp, wrt=(0, 1, 2, 3))(W1, b1, W2, b2, X, Y)
    for g, p, e in zip(grads, lazy, expected):
        assert isinstance(g, da.Array)
        assert g.chunks == p.chunks
        assert np.allclose(g.compute(), e, rtol=1e-12, atol=1e-15)


def test_rosenbrock_gradient(rng, counting):
    x = rng.standard_normal(11)
    xd = da.from_array(x, chunks=4)
    g = s2sad.grad(rosenbrock)(xd)
    assert counting.calls == 0
    assert isinstance(g, da.Array) and g.chunks == xd.chunks
    assert np.allclose(g.compute(), s2sad.grad(rosenbrock)(x), rtol=1e-12, atol=0)


def _loop_reads(x):
    s = x[0] * x[1] + x[0] ** 2
    for i in range(4):
        s = s + x[i] * x[i + 1] * s * 0.1
    return s + np.sum(x)


def test_index_reads_in_a_loop_accumulate_in_place_into_a_dask_adjoint(rng, counting):
    # the reverse sweep writes x_bar[i] += ... into its own buffer: on dask that
    # changes the array object, so the buffer must be one nobody else holds
    x = rng.standard_normal(6)
    g = s2sad.grad(_loop_reads)(da.from_array(x, chunks=3))
    assert "x_bar[i] +=" in s2sad.grad(_loop_reads).source(x)
    assert counting.calls == 0 and g.chunks == ((3, 3),)
    assert np.allclose(g.compute(), s2sad.grad(_loop_reads)(x), rtol=1e-12, atol=0)


def _layers(ps, X):
    h = X
    for W, b in ps:
        h = np.tanh(h @ W + b)
    return np.sum(h**2)


def test_a_list_of_dask_parameters_gets_a_list_of_dask_adjoints(rng, counting):
    ps = [(rng.standard_normal((3, 4)), rng.standard_normal(4)), (rng.standard_normal((4, 2)), rng.standard_normal(2))]
    X = rng.standard_normal((10, 3))
    lazy = [(da.from_array(W, chunks=2), da.from_array(b, chunks=2)) for W, b in ps]
    g = s2sad.grad(_layers)(lazy, da.from_array(X, chunks=(5, 3)))
    assert counting.calls == 0
    assert isinstance(g, list) and all(isinstance(t, tuple) for t in g)
    for gl, el, pl in zip(g, s2sad.grad(_layers)(ps, X), lazy):
        for a, e, p in zip(gl, el, pl):
            assert isinstance(a, da.Array) and a.chunks == p.chunks
            assert np.allclose(a.compute(), e, rtol=1e-12, atol=0)


def test_an_adjoint_made_from_numpy_data_becomes_a_dask_array_in_the_chunks(rng):
    def f(x, A):
        return np.sum(A * x)

    A = rng.standard_normal(6)
    g = s2sad.grad(f)(da.ones(6, chunks=2), A)  # x_bar = A: NumPy in the generated code
    assert isinstance(g, da.Array) and g.chunks == ((2, 2, 2),)
    assert np.array_equal(g.compute(), A)


def test_float32_dask_argument_gets_a_float32_gradient(rng):
    x = rng.standard_normal(10).astype(np.float32)
    g = s2sad.grad(rosenbrock)(da.from_array(x, chunks=5))
    assert g.dtype == np.float32
    assert np.allclose(g.compute(), s2sad.grad(rosenbrock)(x), rtol=1e-5)


def test_float_argument_with_dask_data_gets_a_lazy_scalar(rng):
    def f(a, x):
        return a * np.sum(x**2)

    x = rng.standard_normal(6)
    g = s2sad.grad(f)(2.0, da.from_array(x, chunks=3))
    assert isinstance(g, da.Array) and g.ndim == 0
    assert np.isclose(g.compute(), np.sum(x**2), rtol=1e-12)


def test_vjp_on_dask(rng):
    def f(x):
        return np.sin(x) * x

    x = rng.standard_normal(8)
    u = rng.standard_normal(8)
    value, g = s2sad.vjp(f)(da.from_array(x, chunks=4), da.from_array(u, chunks=4))
    assert isinstance(g, da.Array) and g.chunks == ((4, 4),)
    assert np.allclose(g.compute(), s2sad.vjp(f)(x, u)[1], rtol=1e-12)


def test_a_branch_on_an_int_argument_is_fine(rng):
    def f(x, n):
        if n > 2:
            return np.sum(x * n)
        return np.sum(x)

    g = s2sad.grad(f)(da.from_array(rng.standard_normal(4), chunks=2), 3)
    assert np.allclose(g.compute(), 3.0)


def test_on_a_local_cluster_with_two_workers(rng):
    distributed = pytest.importorskip("distributed")
    w, X, y = _logistic_data(rng, n=400, d=5)
    Xd, yd = da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            g = s2sad.grad(logistic, wrt=(0, 1))(da.from_array(w), Xd, yd)
            assert all(isinstance(a, da.Array) for a in g)
            gw, gX = client.compute(g, sync=True)  # on the workers
    ew, eX = s2sad.grad(logistic, wrt=(0, 1))(w, X, y)
    assert np.allclose(gw, ew, rtol=1e-12, atol=0)
    assert np.allclose(gX, eX, rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------- refusals
def _branch(x):
    if np.sum(x) > 0:
        return np.sum(x**2)
    return np.sum(x)


def _loop(x):
    s = np.sum(x**2)
    while s > 1.0:
        s = s / 2.0
    return s


def _to_float(x):
    return float(np.sum(x)) * 2.0


def _fancy(x):
    return np.sum(x[np.array([0, 0, 3])] ** 2)


def _mask(x):
    return np.sum(x[x > 0] ** 2)


def _builtin_max(x):
    return max(np.sum(x), 1.0)


def _repeated_write(x):
    y = x * 1.0
    y[np.array([0, 0, 2])] = x[1:4]
    return np.sum(y * x)


def _slice_write(x):
    y = x * 1.0
    y[1:3] = x[0]
    return np.sum(y**2)


@pytest.mark.parametrize("fn", [_branch, _loop, _to_float, _fancy, _mask, _builtin_max, _repeated_write, _slice_write])
def test_what_needs_a_value_is_refused_and_nothing_computed(fn, rng, counting):
    x = da.from_array(rng.standard_normal(8) + 0.5, chunks=4)
    with warnings.catch_warnings(), pytest.raises(s2sad.LazyArrayError) as info:
        warnings.simplefilter("ignore", FutureWarning)  # dask's own, before it computes (e.g. np.copy)
        s2sad.grad(fn)(x)
    assert counting.calls == 0
    assert "dask" in str(info.value) and "hint:" in str(info.value)
    assert float(x.sum().compute()) == pytest.approx(float(np.sum(x.compute())))  # computing works again


def test_check_finite_needs_values_and_is_refused(rng, counting):
    x = da.from_array(rng.random(4) + 0.1, chunks=2)
    with pytest.raises(s2sad.LazyArrayError):
        s2sad.grad(rosenbrock, check_finite=True)(x)
    assert counting.calls == 0


def test_the_refusal_names_the_users_line(rng):
    x = da.from_array(rng.standard_normal(4), chunks=2)
    with pytest.raises(s2sad.LazyArrayError) as info:
        s2sad.grad(_branch)(x)
    notes = getattr(info.value, "__notes__", [])
    line = _branch.__code__.co_firstlineno + 1
    assert any(re.search(rf"test_lazy.py:{line}\b", n) for n in notes), notes


def test_forward_mode_family_is_refused_on_dask(rng):
    x = da.from_array(rng.standard_normal(4), chunks=2)
    for make in (s2sad.jvp, s2sad.hessian):
        with pytest.raises(s2sad.ArgumentError, match="dask"):
            make(rosenbrock)(x, x) if make is s2sad.jvp else make(rosenbrock)(x)


def test_unknown_chunk_sizes_are_refused(rng):
    x = da.from_array(rng.standard_normal(6), chunks=3)
    unknown = x[x > 0]
    with pytest.raises(s2sad.ArgumentError, match="compute_chunk_sizes"):
        s2sad.grad(rosenbrock)(unknown)


def test_the_guard_leaves_the_configuration_and_other_threads_alone():
    before = dict(dask.config.config)
    x = da.ones(4, chunks=2)
    seen = []
    with no_compute():
        t = threading.Thread(target=lambda: seen.append(float(x.sum().compute())))
        t.start()
        t.join()
        with pytest.raises(s2sad.LazyArrayError):
            x.sum().compute()
    assert seen == [4.0]
    assert dask.config.config.get("scheduler") == before.get("scheduler")
    assert ("scheduler" in dask.config.config) == ("scheduler" in before)


# ----------------------------------------------------------------- example
def test_the_dask_example_runs_and_the_loss_decreases():
    pytest.importorskip("distributed")
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "dask_logistic.py"), "--steps", "6", "--n", "4000"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert out.returncode == 0, out.stderr
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", out.stdout)]
    assert len(losses) == 6, out.stdout
    assert losses[-1] < losses[0]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
