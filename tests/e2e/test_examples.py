"""The examples a user runs as they are (examples/fit_scipy.py,
train_mlp.py, newton.py): each in a subprocess, small, checked for
convergence in what it prints."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)  # this checkout's s2sad, whatever is installed
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def needs(module: str) -> None:
    """CI installs the `test` extra: there a missing module is a failure, elsewhere a skip."""
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed, and CI installs it (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed (pip install -e '.[examples]')")


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", os.path.join(ROOT, "examples", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _vectors(text: str, key: str) -> list[np.ndarray]:
    return [np.array(m.split(), dtype=float) for m in re.findall(key + r"\s*\[([^\]]*)\]", text)]


def test_fit_scipy_finds_the_known_parameters_with_both_optimizers():
    needs("scipy")
    from scipy.optimize import minimize

    out = run("examples/fit_scipy.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "converged to the known parameters" in out.stdout
    fit = load("fit_scipy")
    fitted = _vectors(out.stdout, "a, b, c =")
    assert len(fitted) == 2  # BFGS and L-BFGS-B
    # the same least-squares problem, with SciPy's own finite-difference gradient: the same optimum
    t, y = fit.data()
    reference = minimize(lambda p: fit.residual_loss(p, t, y), np.array([1.0, 0.5, 0.0]), method="BFGS").x
    for p in fitted:
        np.testing.assert_allclose(p, reference, atol=2e-3)
        np.testing.assert_allclose(p, fit.TRUE, atol=0.05)


def test_train_mlp_lowers_the_loss_and_saves_the_plot(tmp_path):
    needs("matplotlib")
    plot = tmp_path / "loss.png"
    out = run("examples/train_mlp.py", "--epochs", "3", "--out", str(plot))
    assert out.returncode == 0, out.stdout + out.stderr
    first, last = map(float, re.search(r"loss (\S+) -> (\S+) after 3 epochs", out.stdout).groups())
    assert last < 0.5 * first
    assert "epoch    3/3 [" in out.stderr  # the progress bar reached its end
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert f"saved to {plot}" in out.stdout


def test_train_mlp_runs_without_matplotlib_and_says_so(tmp_path):
    plot = tmp_path / "loss.png"
    hide = (
        "import runpy, sys; sys.modules['matplotlib'] = None; "  # import matplotlib now raises ImportError
        f"sys.argv = ['train_mlp.py', '--epochs', '1', '--out', {str(plot)!r}]; "
        "runpy.run_path('examples/train_mlp.py', run_name='__main__')"
    )
    out = run("-c", hide)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "matplotlib is not installed, so no plot was saved" in out.stdout
    assert "pip install" in out.stdout
    assert not plot.exists()


def test_newton_converges_on_rosenbrock():
    out = run("examples/newton.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "converged" in out.stdout and "DID NOT" not in out.stdout
    values = [float(v) for v in re.findall(r"f = (\S+)", out.stdout)]
    xs = _vectors(out.stdout, "x =")
    assert len(values) > 2 and values[-1] < 1e-12 * values[0]
    assert all(b <= a for a, b in zip(values, values[1:]))  # the safeguarded steps never go uphill
    np.testing.assert_allclose(xs[-1], np.ones_like(xs[-1]), atol=1e-6)
    # Newton's quadratic convergence near the minimum: the gradient's norm is about squared per step
    grads = [float(v) for v in re.findall(r"\|grad\| = (\S+)", out.stdout)]
    tail = [g for g in grads if 0 < g < 1e-2]
    assert len(tail) >= 2 and tail[1] < 10 * tail[0] ** 1.5
