"""A small recurrent network written as users write it: a loop, a list of
hidden states, a helper function, an in-place write. s2sad differentiates it
as it is, and the gradient is checked against central differences.

    python examples/rnn.py
    s2sad show examples/rnn.py:loss --wrt W,U --kinds W=array2,U=array2,xs=array2,h0=array1,targets=array1
"""

import numpy as np

import s2sad


def cell(W, U, h, x):
    return np.tanh(W @ h + U @ x)


def loss(W, U, xs, h0, targets):
    h = h0
    states = []
    for t in range(xs.shape[0]):
        h = cell(W, U, h, xs[t])
        states.append(h)
    H = np.stack(states)
    scores = np.zeros(xs.shape[0])
    for t, state in enumerate(states):
        scores[t] = np.sum(state) / state.shape[0]
    return np.mean((scores - targets) ** 2) + 1e-3 * np.sum(H * H)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    W = rng.standard_normal((8, 8)) * 0.4
    U = rng.standard_normal((8, 3)) * 0.4
    xs = rng.standard_normal((12, 3))
    h0 = np.zeros(8)
    targets = np.sin(np.arange(12) / 3.0) * 0.5
    step = s2sad.value_and_grad(loss, wrt=("W", "U"))
    for it in range(201):
        value, (gW, gU) = step(W, U, xs, h0, targets)
        W, U = W - 0.5 * gW, U - 0.5 * gU
        if it % 50 == 0:
            print(f"step {it:3d}  loss {value:.5f}")
    s2sad.check_grad(loss, W, U, xs, h0, targets, wrt=("W", "U"))
    print("gradient matches central differences")
