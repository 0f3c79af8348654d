"""A least-squares fit with SciPy's optimizers and s2sad's generated gradient.

The model y = a * exp(-b * t) + c is fitted to noisy samples of known
parameters, first with BFGS (``jac=s2sad.grad(fun)``), then with L-BFGS-B
taking the value and the gradient from one call (``jac=True`` and
``s2sad.value_and_grad``).

    pip install scipy          # or: pip install -e '.[examples]'
    python examples/fit_scipy.py
    s2sad show examples/fit_scipy.py:residual_loss --kinds p=array,t=array,y=array
"""

import sys

import numpy as np

import s2sad

TRUE = np.array([2.5, 1.3, 0.5])  # a, b, c


def residual_loss(p, t, y):
    """Half the sum of squared residuals of the model a * exp(-b t) + c."""
    model = p[0] * np.exp(-p[1] * t) + p[2]
    r = model - y
    return 0.5 * np.sum(r * r)


def data(seed: int = 0, n: int = 60, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 4.0, n)
    y = TRUE[0] * np.exp(-TRUE[1] * t) + TRUE[2] + noise * rng.standard_normal(n)
    return t, y


def main() -> int:
    try:
        from scipy.optimize import minimize
    except ImportError:
        print("this example needs SciPy: pip install scipy (or pip install -e '.[examples]')", file=sys.stderr)
        return 1
    t, y = data()
    x0 = np.array([1.0, 0.5, 0.0])
    fun = lambda p: residual_loss(p, t, y)  # noqa: E731 - what SciPy calls
    jac = s2sad.grad(residual_loss)  # the gradient with respect to p, as generated Python code
    ok = True
    bfgs = minimize(fun, x0, jac=lambda p: jac(p, t, y), method="BFGS")
    vg = s2sad.value_and_grad(residual_loss)
    lbfgs = minimize(lambda p: vg(p, t, y), x0, jac=True, method="L-BFGS-B")
    for name, res in (("BFGS", bfgs), ("L-BFGS-B, value_and_grad", lbfgs)):
        err = np.max(np.abs(res.x - TRUE))
        print(f"{name:26s} a, b, c = {np.array2string(res.x, precision=4)}  loss {res.fun:.2e}  "
              f"{res.nit} iterations, {res.njev if hasattr(res, 'njev') else res.nfev} gradients")  # fmt: skip
        print(f"{'':26s} known     {np.array2string(TRUE, precision=4)}  largest error {err:.1e}")
        ok = ok and res.success and err < 0.05
    print("converged to the known parameters" if ok else "DID NOT CONVERGE")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
