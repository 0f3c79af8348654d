"""A two-layer MLP with a softmax cross-entropy loss, trained by gradient descent
with s2sad's generated gradient.

    python examples/mlp.py
    s2sad show examples/mlp.py:loss --wrt W1,b1,W2,b2 --kinds X=array,Y=array,W1=array,b1=array,W2=array,b2=array
"""

import numpy as np

import s2sad


def loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    Y = np.eye(2)[labels]
    W1, b1 = rng.standard_normal((2, 16)) * 0.5, np.zeros(16)
    W2, b2 = rng.standard_normal((16, 2)) * 0.5, np.zeros(2)
    step = s2sad.value_and_grad(loss, wrt=("W1", "b1", "W2", "b2"))
    for it in range(301):
        value, (gW1, gb1, gW2, gb2) = step(W1, b1, W2, b2, X, Y)
        W1, b1, W2, b2 = W1 - 0.5 * gW1, b1 - 0.5 * gb1, W2 - 0.5 * gW2, b2 - 0.5 * gb2
        if it % 100 == 0:
            print(f"step {it:3d}  loss {value:.4f}")
