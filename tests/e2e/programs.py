"""A corpus of small, realistic programs, each checked against numerical
gradients by tests/e2e/test_programs.py. Each entry of PROGRAMS is
(function, list of argument tuples, wrt)."""

import math

import numpy as np


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def reuse(x):
    y = x * x
    z = y * x + y
    return z * y


def reassign(x, y):
    z = x * y
    z = z + np.sin(z)
    z = z * x
    return z


def horner(x, c0, c1, c2, c3):
    coeffs = (c3, c2, c1, c0)
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def math_mix(x, y):
    return math.exp(math.sin(x)) * math.sqrt(y) + math.atan2(y, x) - math.hypot(x, y) + math.erf(x / 3)


def piecewise(x):
    if x < -1.0:
        y = -x * x
    elif x < 1.0:
        y = x * 2.0
    else:
        y = np.sqrt(x) + x
    return y * y


def ifexp(x, y):
    z = x * y if x > y else x - y
    return z * z + (y if y > 0 else -y)


def boolean_conditions(x, y):
    s = 0.0
    if x > 0 and y > 0:
        s = s + x * y
    if x < 0 or not y < 1.0:
        s = s + np.sin(x + y)
    return s + x


def scalar_loop(x):
    for i in range(100):
        x = x * 0.99 + np.sin(x) * 0.01
    return x


def loop_with_index(x):
    s = 0.0
    for i in range(1, 6):
        s = s + x ** i / i
    return s


def loop_runtime_bounds(x, n):
    s = x
    for i in range(n, 2 * n, 2):
        s = s * np.cos(s) + i * x
    return s


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def loop_break(x):
    s = 0.0
    for i in range(20):
        s = s + np.sin(x * i)
        if s > 1.5:
            break
        s = s * 1.1
    return s


def loop_continue(x):
    s = x
    for i in range(10):
        if i % 3 == 0:
            continue
        s = s + np.tanh(s * x)
    return s


def early_return(x):
    if x > 2.0:
        return x * x
    y = np.exp(x)
    for i in range(5):
        y = y * 0.5 + x
        if y > 3.0:
            return y * 2.0
    return y


def nested_loops(x):
    s = 0.0
    for i in range(4):
        t = x * i
        for j in range(3):
            t = np.sin(t) + x * j
        s = s + t
    return s


def while_counter(x):
    k = 0
    y = x
    while k < 7:
        y = y * x * 0.5 + 0.1
        k += 1
    return y


def swap(x, y):
    for i in range(3):
        x, y = y, x * y + 0.1
    return x - y


def augmented(x):
    s = x
    s += x * 2
    s *= np.cos(x)
    s -= 1.0
    s /= 1.0 + x * x
    s **= 2
    return s


def array_loss(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h * h) + 0.1 * np.sum(W * W)


def rows_loop(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


def enumerate_zip(a, b):
    s = 0.0
    for i, v in enumerate(a):
        s = s + v * (i + 1)
    for p, q in zip(a, b):
        s = s + p * q
    return s


def rnn_like(W, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def softmax_xent(z, y):
    z = z - np.max(z)
    logp = z - np.log(np.sum(np.exp(z)))
    return -np.sum(y * logp)


def chained_compare(x):
    if 0.0 < x < 1.0:
        return x * x
    return x


def branch_in_loop(x):
    s = 0.0
    for i in range(8):
        if np.sin(x * i) > 0:
            s = s + x * i
        else:
            s = s - x * x
    return s


def while_break(x):
    y = x
    k = 0
    while True:
        y = y * 1.5
        k += 1
        if y > 10.0 or k > 20:
            break
    return y


def unused_outputs(x, y):
    a = np.sin(x)
    b = np.cos(y)  # never reaches the output
    c = a * 2
    return c + 0 * x


def constant_output(x):
    return 3.0


def vector_norm_loop(v):
    for i in range(3):
        v = v / np.linalg.norm(v) + 0.1 * v
    return np.sum(v * np.arange(v.shape[0]))


_R = np.random.default_rng(7)

PROGRAMS = [
    (lecture, [(2.0, 5.0), (0.5, -1.0)], (0, 1)),
    (reuse, [(1.3,), (-0.7,)], 0),
    (reassign, [(0.4, 1.2), (-1.0, 0.3)], (0, 1)),
    (horner, [(0.5, 1.0, -2.0, 0.5, 3.0)], (0, 1, 2, 3, 4)),
    (math_mix, [(0.3, 1.7), (-1.2, 0.4)], (0, 1)),
    (piecewise, [(-2.0,), (0.3,), (2.5,)], 0),
    (ifexp, [(2.0, 1.0), (0.5, 1.5), (0.5, -1.5)], (0, 1)),
    (boolean_conditions, [(0.5, 0.5), (-0.5, 0.5), (0.5, 2.0), (0.3, -0.2)], (0, 1)),
    (scalar_loop, [(0.7,), (-2.0,)], 0),
    (loop_with_index, [(0.9,)], 0),
    (loop_runtime_bounds, [(0.3, 3), (0.1, 0)], 0),
    (newton_sqrt, [(2.0,), (9.0,)], 0),
    (loop_break, [(0.3,), (0.05,)], 0),
    (loop_continue, [(0.4,)], 0),
    (early_return, [(3.0,), (0.1,), (-3.0,)], 0),
    (nested_loops, [(0.4,)], 0),
    (while_counter, [(0.8,)], 0),
    (swap, [(0.3, 0.7)], (0, 1)),
    (augmented, [(0.6,)], 0),
    (array_loss, [(_R.standard_normal((3, 4)), _R.standard_normal(3), _R.standard_normal(4))], (0, 1, 2)),
    (rows_loop, [(_R.standard_normal((5, 3)), _R.standard_normal(3))], (0, 1)),
    (enumerate_zip, [(_R.standard_normal(4), _R.standard_normal(4))], (0, 1)),
    (rnn_like, [(_R.standard_normal((3, 3)) * 0.5, _R.standard_normal(3), _R.standard_normal((4, 3)))], (0, 1, 2)),
    (softmax_xent, [(_R.standard_normal(5), np.eye(5)[2])], 0),
    (chained_compare, [(0.5,), (1.5,), (-0.5,)], 0),
    (branch_in_loop, [(0.7,), (1.9,)], 0),
    (while_break, [(0.5,), (3.0,)], 0),
    (unused_outputs, [(0.5, 0.2)], (0, 1)),
    (constant_output, [(0.5,)], 0),
    (vector_norm_loop, [(_R.standard_normal(4),)], 0),
]


def self_update(x):
    for i in range(4):
        x = x * x * 0.5 + 0.3
        x = np.sin(x)
    return x


def square_loop(x):
    for i in range(3):
        x = x * x
    return x


PROGRAMS += [
    (self_update, [(0.8,)], 0),
    (square_loop, [(1.1,)], 0),
]


def _square(v, scale=2.0):
    return v * v * scale


def _pair(a, b):
    return np.sin(a) * b, a + b


def _deep3(v):
    return np.tanh(v) * 2.0


def _deep2(v):
    return _deep3(v) + _deep3(v * 0.5)


def _deep1(v, w):
    return _deep2(v * w) * w


def helper_calls(x, y):
    u = _square(x) + _square(y, scale=0.5)
    p, q = _pair(u, x)
    return p * q + _square(p)


def call_graph_deep(x, w):
    s = 0.0
    for i in range(3):
        s = s + _deep1(x + i, w)
    return s


def nested_closure(x, w):
    def h(v, k=2.0):
        return np.sin(v * w) * k

    sq = lambda u: u * u * w  # noqa: E731
    s = 0.0
    for i in range(3):
        s = s + h(x + i) + sq(s)
    return s


def closure_sees_update(x):
    a = x * 2.0

    def scaled(v):
        return v * a

    first = scaled(x)
    a = a + 1.0
    return first + scaled(x)


def helper_on_arrays(W, x):
    return np.sum(_square(W @ x, scale=0.3)) + np.sum(_deep2(x))


PROGRAMS += [
    (helper_calls, [(0.3, 0.7), (-0.4, 1.1)], (0, 1)),
    (call_graph_deep, [(0.2, 0.9)], (0, 1)),
    (nested_closure, [(0.3, 0.7)], (0, 1)),
    (closure_sees_update, [(0.6,)], 0),
    (helper_on_arrays, [(_R.standard_normal((3, 4)), _R.standard_normal(4))], (0, 1)),
]


def cumsum_writes(x):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] + x[i] * x[i]
    return np.sum(y * y)


def column_writes(X):
    Y = np.zeros_like(X)
    for j in range(X.shape[1]):
        Y[:, j] = np.tanh(X[:, j] * (j + 1))
    Y[0] += 2.0 * Y[1]
    return np.sum(Y ** 2)


def masked_write(x):
    y = x.copy()
    y[y > 0] = 0.5 * y[y > 0]
    return np.sum(y * y)


def slice_write_broadcast(x, s):
    y = np.ones(5)
    y[1:4] = s
    y[0:2] *= x[0:2]
    return np.sum(np.sin(y) * x)


def rnn_hidden_states(W, U, xs, h0):
    h = h0
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(hs[-1]) + np.sum(sum(hs))


def list_of_scalars(x):
    vals = [x]
    for i in range(4):
        vals.append(np.sin(vals[-1]) * x)
    return sum(vals) + vals[2] * vals[3]


def concat_list(a, b):
    parts = []
    for k in range(3):
        parts.append(a * (k + 1))
    parts.append(b)
    return np.sum(np.concatenate(parts) ** 2)


PROGRAMS += [
    (cumsum_writes, [(np.array([0.3, -0.5, 1.2, 0.7]),)], 0),
    (column_writes, [(_R.standard_normal((3, 4)),)], 0),
    (masked_write, [(np.array([0.3, -0.5, 1.2, 0.7]),)], 0),
    (slice_write_broadcast, [(_R.standard_normal(5), 0.4)], (0, 1)),
    (rnn_hidden_states, [(_R.standard_normal((3, 3)) * 0.5, _R.standard_normal((3, 2)), _R.standard_normal((4, 2)),
                          _R.standard_normal(3))], (0, 1, 2, 3)),
    (list_of_scalars, [(0.7,)], 0),
    (concat_list, [(_R.standard_normal(2), _R.standard_normal(3))], (0, 1)),
]


# ---------------------------------------------------------------- more realistic programs
def logistic_regression(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.dot(w, w)


def softplus_sum(x):
    return np.sum(np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0))


def gaussian_nll(mu, log_sigma, data):
    sigma = np.exp(log_sigma)
    r = (data - mu) / sigma
    return np.sum(0.5 * r * r + log_sigma) + 0.5 * data.shape[0] * math.log(2 * math.pi)


def euler_ode(k, y0):
    y = y0
    dt = 0.05
    for step in range(40):
        y = y + dt * (-k * y + np.sin(step * dt))
    return y


def rk4_step(y, t, h):
    k1 = np.cos(t) * y
    k2 = np.cos(t + h / 2) * (y + h / 2 * k1)
    k3 = np.cos(t + h / 2) * (y + h / 2 * k2)
    k4 = np.cos(t + h) * (y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def rk4_solve(y0, h):
    y = y0
    t = 0.0
    for i in range(10):
        y = rk4_step(y, t, h)
        t = t + h
    return y


def power_iteration(A):
    v = np.ones(A.shape[0])
    for i in range(20):
        v = A @ v
        v = v / np.linalg.norm(v)
    return v @ A @ v


def attention(Q, K, V):
    s = Q @ K.T / np.sqrt(Q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    a = np.exp(s)
    a = a / np.sum(a, axis=1, keepdims=True)
    return np.sum((a @ V) ** 2)


def layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum(np.tanh(gamma * xhat + beta))


def huber(r, delta):
    a = np.abs(r)
    return np.sum(np.where(a < delta, 0.5 * r * r, delta * (a - 0.5 * delta)))


def unrolled_gd(x0, lr):
    x = x0
    for it in range(15):
        g = 4 * x ** 3 - 3 * x + 1
        x = x - lr * g
    return x * x


def particles_energy(pos):
    e = 0.0
    n = pos.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            e = e + 1.0 / r2 - 1.0 / np.sqrt(r2)
    return e


def logsumexp_smoothmax(x, t):
    m = np.max(x)
    return m + t * np.log(np.sum(np.exp((x - m) / t)))


def conv1d_loops(x, k):
    n = x.shape[0] - k.shape[0] + 1
    out = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for j in range(k.shape[0]):
            acc += x[i + j] * k[j]
        out[i] = acc
    return np.sum(np.tanh(out))


def moving_average(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.8 * y[i - 1] + 0.2 * x[i]
    return np.sum(y ** 2)


def trapezoid(a, b):
    n = 50
    h = (b - a) / n
    s = 0.5 * (np.exp(-a * a) + np.exp(-b * b))
    for i in range(1, n):
        xi = a + i * h
        s += np.exp(-xi * xi)
    return s * h


def running_max_penalty(x):
    best = x[0]
    total = 0.0
    for v in x:
        best = np.maximum(best, v)
        total = total + (best - v) ** 2
    return total


def bracket_then_newton(c):
    # the bracket is piecewise constant in c; the Newton steps carry the derivative
    lo, hi = 0.0, 2.0
    for i in range(8):
        mid = 0.5 * (lo + hi)
        if mid * mid > c:
            hi = mid
        else:
            lo = mid
    x = 0.5 * (lo + hi)
    for i in range(6):
        x = x - (x * x - c) / (2 * x)
    return x * c


def matrix_chain(A, B, x):
    y = x
    for i in range(3):
        y = np.tanh(A @ y) + B.T @ y
    return np.linalg.norm(y)


def einsum_bilinear(x, W, y):
    return np.einsum("i,ij,j->", x, W, y) if False else np.sum(np.einsum("ij,j->i", W, y) * x)


def tuple_return_helper(x):
    m, s = _mean_std(x)
    return m * s + np.sum((x - m) ** 2) / s


def _mean_std(v):
    m = np.mean(v)
    return m, np.sqrt(np.mean((v - m) ** 2) + 1e-3)


def clipped_loss(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2 * np.arange(x.shape[0]))


def while_tolerance(x):
    y = x
    n = 0
    while np.abs(y) > 0.01 and n < 100:
        y = y * 0.7 + 0.001 * np.sin(y)
        n += 1
    return y + n * 0.0


PROGRAMS += [
    (logistic_regression, [(_R.standard_normal(3), 0.1, _R.standard_normal((6, 3)), (_R.random(6) > 0.5) * 1.0)],
     (0, 1)),
    (softplus_sum, [(_R.standard_normal(5) + 0.05,)], 0),
    (gaussian_nll, [(0.3, -0.2, _R.standard_normal(7))], (0, 1)),
    (euler_ode, [(0.7, 1.3)], (0, 1)),
    (rk4_solve, [(1.1, 0.1)], (0, 1)),
    (power_iteration, [(np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]]),)], 0),
    (attention, [(_R.standard_normal((3, 4)), _R.standard_normal((5, 4)), _R.standard_normal((5, 2)))], (0, 1, 2)),
    (layer_norm, [(_R.standard_normal((2, 5)), _R.standard_normal(5), _R.standard_normal(5))], (0, 1, 2)),
    (huber, [(np.array([0.3, -1.5, 0.05, 2.2]), 1.0)], (0, 1)),
    (unrolled_gd, [(0.4, 0.05)], (0, 1)),
    (particles_energy, [(np.array([[0.0, 0.1], [1.2, 0.3], [0.4, 1.5], [-0.9, 0.8]]),)], 0),
    (logsumexp_smoothmax, [(_R.standard_normal(6), 0.5)], (0, 1)),
    (conv1d_loops, [(_R.standard_normal(7), _R.standard_normal(3))], (0, 1)),
    (moving_average, [(_R.standard_normal(6),)], 0),
    (trapezoid, [(0.2, 1.7)], (0, 1)),
    (running_max_penalty, [(np.array([0.3, 1.1, 0.2, 1.5, -0.4]),)], 0),
    (bracket_then_newton, [(1.7,)], 0),
    (matrix_chain, [(_R.standard_normal((3, 3)) * 0.5, _R.standard_normal((3, 3)) * 0.3, _R.standard_normal(3))],
     (0, 1, 2)),
    (einsum_bilinear, [(_R.standard_normal(3), _R.standard_normal((3, 4)), _R.standard_normal(4))], (0, 1, 2)),
    (tuple_return_helper, [(_R.standard_normal(5),)], 0),
    (clipped_loss, [(np.array([0.3, -1.5, 0.05, 2.2]), -1.0, 1.0)], (0, 1, 2)),
    (while_tolerance, [(0.9,), (-0.5,)], 0),
]


def comprehensions(x, w):
    ys = [np.sin(x * k) for k in range(4)]
    s = sum(v * v for v in ys if v > -2.0)
    pairs = [a * b for a in ys for b in (w, 2.0 * w)]
    H = np.stack([np.tanh(y) for y in ys])
    return s + sum(pairs) + np.sum(H)


def comprehension_over_rows(X, w):
    scores = [np.dot(row, w) for row in X]
    return np.sum(np.array(scores) ** 2) + sum(np.exp(-s * s) for s in scores)


PROGRAMS += [
    (comprehensions, [(0.4, 0.9)], (0, 1)),
    (comprehension_over_rows, [(_R.standard_normal((4, 3)), _R.standard_normal(3))], (0, 1)),
]


class _Model:
    """A model as a class: bound methods read parameters from self and call
    each other."""

    def __init__(self):
        self.W = np.array([[0.5, -0.2], [0.1, 0.3]])
        self.scale = 0.5

    def act(self, h):
        return np.tanh(h) * self.scale

    def loss(self, x):
        h = self.W @ x
        return np.sum(self.act(h) ** 2)


bound_method_loss = _Model().loss

PROGRAMS += [
    (bound_method_loss, [(np.array([0.3, -0.7]),)], 0),
]
