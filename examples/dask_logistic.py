"""Logistic regression by gradient descent on a dataset held in chunks by
Dask, computed on a cluster. The gradient is s2sad's generated code, the same
as for NumPy arrays: NumPy hands its calls on dask arrays to dask, so each
step builds a task graph over the chunks, and one ``compute`` runs it on the
workers.

    python examples/dask_logistic.py                   # a local cluster, 2 workers
    python examples/dask_logistic.py --steps 50 --n 1000000
    python examples/dask_logistic.py --scheduler tcp://scheduler:8786
"""

from __future__ import annotations

import argparse

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import s2sad


def loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def data(n: int, d: int, chunk: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """Features and 0/1 labels drawn from a logistic model, in row chunks."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n, d), chunks=(chunk, d))
    w_true = np.linspace(-2.0, 2.0, d)
    y = (rng.random(n, chunks=chunk) < 1.0 / (1.0 + da.exp(-(X @ w_true)))).astype(float)
    return X, y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="gradient steps (default 10)")
    parser.add_argument("--n", type=int, default=20_000, help="rows of data (default 20000)")
    parser.add_argument("--d", type=int, default=10, help="features (default 10)")
    parser.add_argument("--chunk", type=int, default=0, help="rows per chunk (default n / 4)")
    parser.add_argument("--lr", type=float, default=2.0, help="step size (default 2.0)")
    parser.add_argument("--scheduler", default=None, help="address of a running scheduler, e.g. tcp://scheduler:8786")
    args = parser.parse_args(argv)

    # a real cluster by its scheduler's address, else two workers in this process (quick to start)
    cluster = None if args.scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                                       dashboard_address=None)
    with Client(args.scheduler or cluster) as client:
        X, y = data(args.n, args.d, args.chunk or max(args.n // 4, 1))
        X, y = client.persist([X, y])  # drawn once, kept on the workers
        step = s2sad.value_and_grad(loss)
        w = np.zeros(args.d)
        for it in range(args.steps):
            value, g = step(w, X, y)  # lazy: a task graph over the chunks, nothing computed yet
            value, g = dask.compute(value, g)  # run on the workers
            w = w - args.lr * g
            print(f"step {it:3d}  loss {float(value):.6f}")
        print("w =", np.round(w, 3))
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
