"""Newton's method on the Rosenbrock function, with the gradient and the
Hessian s2sad generates (the Hessian by forward mode over the generated
gradient).

    python examples/newton.py
    s2sad show examples/newton.py:rosenbrock --kinds x=array --order 2
"""

import sys

import numpy as np

import s2sad


def rosenbrock(x):
    """sum of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; its minimum is 0 at (1, ..., 1)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def newton(f, x, tol=1e-10, max_iter=50):
    """Newton steps x <- x - H^-1 g, halved while they do not decrease f
    (far from the minimum the quadratic model overshoots); where H is not
    positive definite, H + shift * I, so the step still goes downhill."""
    grad, hess = s2sad.grad(f), s2sad.hessian(f)
    for k in range(max_iter):
        g = grad(x)
        print(f"iter {k:2d}  f = {f(x):.6e}  |grad| = {np.linalg.norm(g):.3e}  x = {np.array2string(x, precision=6)}")
        if np.linalg.norm(g) < tol:
            return x, k
        H = hess(x)
        shift = 0.0
        while np.any(np.linalg.eigvalsh(H + shift * np.eye(len(x))) <= 0):  # not convex here: lean on the gradient
            shift = max(2 * shift, 1e-3 * np.abs(H).max())
        step = np.linalg.solve(H + shift * np.eye(len(x)), g)
        t = 1.0
        while f(x - t * step) > f(x) and t > 1e-8:
            t *= 0.5
        x = x - t * step
    return x, max_iter


def main() -> int:
    x0 = np.array([-1.2, 1.0])  # the classic start, on the far side of the valley
    x, iterations = newton(rosenbrock, x0)
    error = np.max(np.abs(x - 1.0))
    converged = iterations < 50 and error < 1e-8
    print(f"{'converged' if converged else 'DID NOT CONVERGE'} to {np.array2string(x, precision=10)} "
          f"in {iterations} Newton steps (largest error {error:.1e})")  # fmt: skip
    return 0 if converged else 2


if __name__ == "__main__":
    sys.exit(main())
