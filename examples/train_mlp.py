"""Train a small MLP on a synthetic data set (two interleaved half moons) with
s2sad's generated gradient, mini-batch SGD with momentum, a text progress bar
over the epochs, and a plot of the loss curve.

    python examples/train_mlp.py                          # 40 epochs, plot to mlp_loss.png
    python examples/train_mlp.py --epochs 5 --out /tmp/loss.png
    s2sad show examples/train_mlp.py:loss --wrt W1,b1,W2,b2 --kinds W1=array,b1=array,W2=array,b2=array,X=array,Y=array

The plot needs matplotlib (``pip install matplotlib``, or
``pip install -e '.[examples]'``); without it the example trains all the same
and says that it saved no plot.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import s2sad


def loss(W1, b1, W2, b2, X, Y):
    """Mean softmax cross-entropy of a one-hidden-layer tanh network."""
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def two_moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy points on each of two interleaved half circles, with one-hot labels."""
    angle = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    X = np.concatenate([upper, lower]) + 0.1 * rng.standard_normal((2 * n, 2))
    labels = np.repeat([0, 1], n)
    return X - X.mean(axis=0), np.eye(2)[labels]


def progress(epoch: int, total: int, value: float, width: int = 30) -> None:
    """One line, redrawn in place: ``epoch  12/60 [######------] loss 0.4321``."""
    done = int(width * epoch / total)
    bar = "#" * done + "-" * (width - done)
    end = "\n" if epoch == total else ""
    print(f"\repoch {epoch:4d}/{total} [{bar}] loss {value:.4f}", end=end, file=sys.stderr, flush=True)


def plot(losses: list[float], path: str) -> bool:
    """Save the loss curve to ``path``; False (and a message) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "matplotlib is not installed, so no plot was saved: pip install matplotlib "
            "(or pip install -e '.[examples]')"
        )
        return False
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.set_title("MLP on two moons, gradient by s2sad")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default="mlp_loss.png", help="where to save the loss curve")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    X, Y = two_moons(200, rng)
    W1, b1 = rng.standard_normal((2, args.hidden)), np.zeros(args.hidden)
    W2, b2 = rng.standard_normal((args.hidden, 2)) / np.sqrt(args.hidden), np.zeros(2)
    params = [W1, b1, W2, b2]
    velocity = [np.zeros_like(p) for p in params]
    step = s2sad.value_and_grad(loss, wrt=("W1", "b1", "W2", "b2"))
    lr, momentum, batch = 0.05, 0.9, 20

    first = float(loss(*params, X, Y))
    losses = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(X))
        for k in range(0, len(X), batch):
            idx = order[k : k + batch]
            _, grads = step(*params, X[idx], Y[idx])
            for i, g in enumerate(grads):
                velocity[i] = momentum * velocity[i] - lr * g
                params[i] = params[i] + velocity[i]
        losses.append(float(loss(*params, X, Y)))
        progress(epoch, args.epochs, losses[-1])
    seconds = time.perf_counter() - start

    W1, b1, W2, b2 = params
    predicted = np.argmax(np.tanh(X @ W1 + b1) @ W2 + b2, axis=1)
    accuracy = float(np.mean(predicted == np.argmax(Y, axis=1)))
    print(f"loss {first:.4f} -> {losses[-1]:.4f} after {args.epochs} epochs ({seconds:.1f} s)")
    print(f"training accuracy {accuracy:.1%}")
    if plot(losses, args.out):
        print(f"loss curve saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
