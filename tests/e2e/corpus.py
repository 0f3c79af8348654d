# ruff: noqa: B006, B007, B008, B023, E731, F841
"""A judge's corpus: programs written in the style of the peers' test suites
(google/tangent's small numeric functions, autograd's examples rewritten as plain
NumPy) and adversarial programs mixing constructs the fuzzer may not combine.

Each entry of CORPUS is (function, list of argument tuples, wrt). Every program
must either agree with central differences (reverse mode) and with itself in
forward mode (jvp = <grad, v>), or be refused with an S2SADError whose message
contains the fragment listed in REFUSED (tests/e2e/test_corpus.py)."""

import math

import numpy as np

R = np.random.default_rng(1234)


def _r(*shape):
    return R.standard_normal(shape)


# ---------------------------------------------------------------------------
# tangent-style small functions (own versions)
# ---------------------------------------------------------------------------


def t_identity(a):
    return a


def t_neg(a):
    return -a


def t_sum_of_array_of_list(x):
    return np.sum(np.array([x[0], x[1] * 2.0, x[2]]))


def t_overwrite_after_reduce(x):
    x = np.sum(x)
    x = x * x
    return x


def t_plus_int(a):
    return a + 1


def t_fma(a, b, c):
    return a * b + c


def _mul(a, b):
    return a * b


def _add(a, b):
    return a + b


def t_fma_calls(a, b, c):
    return _add(_mul(a, b), c)


def t_gradname(a):
    a_bar = a * a
    da = a_bar * a
    return da


def t_binops(a):
    return a * 3.0 + 3.0 * a + a * a + a / 3.0 + 3.0 / a + a / a - (a - 3.0) + (3.0 - a) - (a - a) + a + a


def t_nested_if(a):
    if a > 0:
        if a < 10:
            a = a * a
    else:
        a = 3.0 * a
    return a


def t_many_branches(a):
    if a * a / 3.0 > 0:
        b = 3.0
    else:
        b = 4.0
    a = a * b
    if a < b - a * b:
        a = a * a
    elif a > b + 3.0 * a:
        if a / 2.0 < 0:
            a = a / b
        else:
            a = a * b
    else:
        a = -a
    return a


def t_list_with_ints(a):
    b = [1, a * a, 2]
    return np.sum(b)


def t_list_with_product(x):
    b = [1, x[0] * x[1] * x[2], 3]
    return np.sum(b)


def t_subscript_read(x):
    return x[0] * x[1]


def t_write_after_copy(x):
    x = x.copy()
    a = x[0]
    b = x[1]
    x[0] = a * b
    return np.sum(x)


def t_write_of_squares(x):
    x = x.copy()
    y = x**2.0
    x[0] = y[1] * y[2]
    return np.sum(x * y)


def t_serial_for(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    for i in range(n + 1):
        a = a * 0.9
    return a


def t_serial_if_for(a, n):
    if a > 0:
        a = a * a
    a = 2.0 * a
    for i in range(n):
        a = a * a
    return a


def t_iter_pow_from_int(a):
    out = 1
    for i in range(3):
        out = out * a
    return out


def t_cond_iterpower(a):
    for i in range(3):
        if a < 20:
            a = a * a
    return a


def t_nested_loops_pow(a):
    for i in range(2):
        for j in range(2):
            a = a * a * a
    return a


def t_logistic(inp, label, W, b):
    h1 = np.dot(inp, W) + b
    pred = 0.5 * (np.tanh(h1) + 1)
    probs = pred * label + (1 - pred) * (1 - label)
    return -np.sum(np.log(probs))


def t_call_in_branch(a, b):
    if a > b:
        o = _mul(a, b)
    else:
        o = _mul(b, a)
    return o


def t_nested_def_loop(a, n):
    def f(a, m):
        return a * m

    for i in range(n):
        a = f(a, a)
    return a


def t_tuple_arg(abc):
    a, b, c = abc
    return a * b + c


def t_pack_index(a, b, c, i):
    x = a, b, c
    return x[i]


def t_polar(a, b):
    r = np.sqrt(a**2.0 + b**2.0)
    th = np.arctan2(b, a)
    return r * th


def t_listcomp(a):
    return np.sum([v * 3 for v in a])


def t_while_abs(a):
    while np.abs(a) > 0.1:
        a = a * 0.5
    return a


def t_copy_loop(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y * y)


def t_rows_from_vector(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h * h)


def t_rnn_writes(inputs, W):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.dot(inputs[t], W) + h[t]
    return np.sum(np.tanh(h[1:]))


def t_augassign(a):
    x = a * a
    x *= x
    return x


def t_bilinear(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)


def t_pow_active_exp(a, b):
    a = a**b
    return a


def t_chain_mults(a):
    b = a
    b = a * a
    c = b * b
    d = c * c
    return d


def t_extended_slice(x):
    return np.sum(x[::2, np.newaxis] ** 2)


# ---------------------------------------------------------------------------
# autograd-style examples, plain NumPy
# ---------------------------------------------------------------------------


def _logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _mlp_predict(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - _logsumexp(outputs, 1)


def ag_neural_net(params, inputs, targets):
    log_prior = -0.5 * sum(np.sum(W**2) + np.sum(b**2) for W, b in params)
    log_lik = np.sum(_mlp_predict(params, inputs) * targets)
    return -(log_prior + log_lik)


def _sigmoid(x):
    return 0.5 * (np.tanh(x) + 1.0)


def _cat_mul(weights, a, b):
    cat = np.concatenate((a, b, np.ones((a.shape[0], 1))), axis=1)
    return np.dot(cat, weights)


def ag_rnn(change, predict, init, inputs):
    # inputs: (T, N, D); hidden state (N, H)
    n = inputs.shape[1]
    hidden = np.repeat(init, n, axis=0)
    outs = []
    for t in range(inputs.shape[0]):
        hidden = np.tanh(_cat_mul(change, inputs[t], hidden))
        out = _cat_mul(predict, hidden, np.zeros((n, 0)))
        outs.append(out - _logsumexp(out, 1))
    loglik = 0.0
    for t in range(len(outs) - 1):
        loglik = loglik + np.sum(outs[t] * inputs[t + 1])
    return -loglik


def ag_lstm(Wi, Wf, Wo, Wc, predict, inputs):
    n = inputs.shape[1]
    H = Wi.shape[1]
    hidden = np.zeros((n, H))
    cells = np.zeros((n, H))
    total = 0.0
    for t in range(inputs.shape[0]):
        x = inputs[t]
        ig = _sigmoid(_cat_mul(Wi, x, hidden))
        fg = _sigmoid(_cat_mul(Wf, x, hidden))
        og = _sigmoid(_cat_mul(Wo, x, hidden))
        cc = np.tanh(_cat_mul(Wc, x, hidden))
        cells = cells * fg + ig * cc
        hidden = og * np.tanh(cells)
        out = np.dot(hidden, predict)
        total = total + np.sum(out - _logsumexp(out, 1))
    return total


def _rbf(x, xp, log_ls, log_var):
    d = (x[:, None, :] - xp[None, :, :]) / np.exp(log_ls)
    return np.exp(log_var) * np.exp(-0.5 * np.sum(d**2, axis=2))


def ag_gp_marginal(params, X, y):
    mean, log_noise, log_ls, log_var = params[0], params[1], params[2], params[3]
    K = _rbf(X, X, log_ls, log_var) + (np.exp(log_noise) + 1e-6) * np.eye(len(y))
    r = y - mean
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, r)
    return -0.5 * np.dot(r, alpha) - np.sum(np.log(np.diag(L))) - 0.5 * len(y) * np.log(2 * np.pi)


def ag_gp_slogdet(params, X, y):
    K = _rbf(X, X, params[0], params[1]) + 0.1 * np.eye(X.shape[0])
    sign, logdet = np.linalg.slogdet(K)
    return np.dot(y, np.linalg.solve(K, y)) + logdet


def _diag_gauss_logpdf(x, mu, log_std):
    return np.sum(-0.5 * ((x - mu) / np.exp(log_std)) ** 2 - log_std - 0.5 * np.log(2 * np.pi), axis=-1)


def ag_mixture_logprob(log_weights, means, log_stds, X):
    # X (N, D), means (K, D)
    lw = log_weights - _logsumexp(log_weights, 0)
    comps = np.stack([_diag_gauss_logpdf(X, means[k], log_stds[k]) for k in range(means.shape[0])], axis=1)
    return np.sum(_logsumexp(comps + lw, 1))


def ag_variational(var_params, eps):
    # black-box VI with the reparametrization trick; eps passed in (no random draws inside)
    D = var_params.shape[0] // 2
    mean, log_std = var_params[:D], var_params[D:]
    samples = eps * np.exp(log_std) + mean
    logp = -0.5 * np.sum(samples**2, axis=1) - np.sum(np.sin(samples), axis=1)
    entropy = 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)
    return -(np.mean(logp) + entropy)


def _conv2d_valid(img, k):
    # img (H, W), k (a, b): explicit loops over the kernel, broadcasting over the image
    a, b = k.shape
    H = img.shape[0] - a + 1
    W = img.shape[1] - b + 1
    out = np.zeros((H, W))
    for i in range(a):
        for j in range(b):
            out = out + k[i, j] * img[i : i + H, j : j + W]
    return out


def ag_convnet(kernels, W, img, target):
    hs = [np.tanh(_conv2d_valid(img, k)) for k in kernels]
    pooled = np.stack([np.max(h.reshape(2, 2, 2, 2), axis=(1, 3)).ravel() for h in hs])
    logits = np.dot(pooled.ravel(), W)
    return -np.sum((logits - _logsumexp(logits, 0)) * target)


def ag_logistic_regression(w, X, t):
    preds = _sigmoid(np.dot(X, w))
    probs = preds * t + (1 - preds) * (1 - t)
    return -np.sum(np.log(probs))


def ag_tanh_derivs(x):
    y = np.exp(-2.0 * x)
    return np.sum((1.0 - y) / (1.0 + y))


def ag_softmax_ce(W, X, labels):
    logits = X @ W
    logits = logits - logits.max(axis=1, keepdims=True)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(lp[np.arange(X.shape[0]), labels])


def ag_batchnorm(gamma, beta, X):
    mu = X.mean(axis=0)
    var = X.var(axis=0)
    Xh = (X - mu) / np.sqrt(var + 1e-5)
    out = gamma * Xh + beta
    return np.sum(out**3)


def ag_ode_euler(theta, y0):
    y = y0
    dt = 0.1
    for _ in range(10):
        y = y + dt * np.tanh(theta @ y)
    return np.sum(y**2)


def ag_fluid_like(v):
    # a roll-based stencil (autograd's fluidsim in miniature)
    for _ in range(3):
        lap = np.roll(v, 1, axis=0) + np.roll(v, -1, axis=0) + np.roll(v, 1, axis=1) + np.roll(v, -1, axis=1) - 4 * v
        v = v + 0.1 * lap
    return np.sum(v**2 * np.arange(v.size).reshape(v.shape))


def ag_rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def ag_gmm_em_step(means, X):
    d = np.sum((X[:, None, :] - means[None]) ** 2, axis=2)
    r = np.exp(-d - _logsumexp(-d, 1))
    new = (r.T @ X) / r.sum(axis=0)[:, None]
    return np.sum((new - means) ** 2)


def ag_ppca(W, X):
    C = W @ W.T + np.eye(X.shape[1])
    sign, ld = np.linalg.slogdet(C)
    Ci = np.linalg.inv(C)
    return 0.5 * X.shape[0] * ld + 0.5 * np.trace(X @ Ci @ X.T)


# ---------------------------------------------------------------------------
# adversarial programs
# ---------------------------------------------------------------------------

G = np.array([0.5, -1.0, 2.0])  # a global array, mutated between calls by the test
GS = 2.0


def _pairs_sum(pairs):
    s = 0.0
    for a, b in pairs:
        s = s + a * b
    return s


def x_list_of_tuples_to_helper(x, y):
    pairs = [(x, y), (y, x * x), (np.sin(x), 2.0)]
    return _pairs_sum(pairs)


def x_tuple_of_tuples_iter(x):
    t = ((x, 1.0), (2.0, x))
    s = 0.0
    for p in t:
        s = s + p[0] * p[1] + p[0]
    return s


def x_alias_hops_write(x):
    a = np.zeros(3)
    b = a
    c = b
    c[0] = x
    return np.sum(a * x)


def x_alias_hops_write_unread(x):
    a = np.zeros(3)
    b = a
    c = b
    c[1] = x * x
    return np.sum(c) + x


def x_int_to_float(x, n):
    k = n
    k = k * 1.5
    return x * k + x * n


def x_int_arg_mul(x, n):
    return np.sum(x * n + n**2 * x)


def x_mod_float(x):
    return (x % 1.3) * x + np.mod(x, 0.7)


def x_mod_array(x):
    return np.sum(x % 0.8 * x)


def x_break_with_writes(x):
    y = np.zeros(5)
    for i in range(5):
        if x[i] > 1.5:
            break
        y[i] = x[i] * x[i]
    return np.sum(y)


def x_list_item_augassign(x):
    hs = [x, 2.0 * x]
    hs[0] += x * x
    hs[1] *= x
    return hs[0] + hs[1]


def x_list_item_augassign_array(x):
    hs = [x * 1.0, x * 2.0]
    hs[0] += np.sin(x)
    return np.sum(hs[0] * hs[1])


def x_list_slices(x):
    xs = [x, x * 2.0, x * 3.0, x * 4.0]
    ys = xs[1:3]
    zs = xs[::-1]
    return ys[0] * zs[0] + sum(xs[::2])


def x_negative_step(x):
    return np.sum(x[::-1] * x + x[-1::-2].sum())


def x_reverse_write(x):
    y = np.zeros(4)
    y[::-1] = x * x
    return np.sum(y * np.arange(4.0))


def x_where_scalar_branches(x):
    return np.sum(np.where(x > 0, x * x, 0.0) + np.where(x < 0.5, 1.0, x))


def x_where_scalar_both(x):
    y = np.where(x > 0, 2.0, -1.0)
    return np.sum(y * x)


def x_broadcast_ones(a, b):
    # a (3, 1), b (1, 4)
    return np.sum(a * b + a**2)


def x_keepdims(X):
    m = X.sum(axis=1, keepdims=True)
    s = np.max(X, axis=0, keepdims=True)
    return np.sum(X / m * s)


def x_zero_d(x):
    y = np.array(x)
    z = y * y
    return float(z) + np.sum(z)


def x_zero_d_arg(x):
    return x * x + np.sin(x)


def x_float64_arg(x):
    return x**3 + np.exp(x)


def x_bool_mask(x):
    m = x > 0.2
    return np.sum(x[m] ** 2) + np.sum(x * m)


def x_bool_mask_write(x):
    y = x.copy()
    y[y < 0] = 0.0
    return np.sum(y * x)


def x_while_float_cond(x):
    t = 0.0
    while t < 1.0:
        x = x * np.cos(t)
        t = t + 0.3
    return x


def x_while_active_cond(x):
    n = 0
    while x < 10.0 and n < 20:
        x = x * 1.7 + 0.1
        n += 1
    return x


def _make_scale(a):
    def scale(v):
        return v * a

    return scale


def x_closure_returned(x, y):
    def make(a):
        def inner(v):
            return v * a + a

        return inner

    f = make(y)
    return f(x) * x


def x_closure_module_factory(x, y):
    f = _make_scale(y)
    return f(x)


def x_default_array(x, w=np.array([1.0, 2.0, 3.0])):
    return np.sum(x * w)


def x_default_array_wrt(x, w=np.array([1.0, 2.0, 3.0])):
    return np.sum(x * w**2)


def x_global_array(x):
    return np.sum(G * x * x)


def x_global_scalar(x):
    return x * GS


def x_kinds_cache(x):
    return np.sum(x * x) + np.sum(np.sin(x))


def x_mixed_tuple_loop(x):
    acc = x
    for c, w in [(1, 0.5), (2, 1.5), (3, -0.5)]:
        acc = acc * w + c
    return acc


def x_enumerate_list(x):
    s = 0.0
    for i, v in enumerate([x, x * x, np.cos(x)]):
        s = s + i * v
    return s


def x_zip_arrays(X, w):
    s = 0.0
    for row, wi in zip(X, w):
        s = s + np.dot(row, row) * wi
    return s


def x_list_append_in_loop_then_stack(x):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h * 1.1 + i)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def x_hs_last(x):
    hs = [x]
    for i in range(3):
        hs.append(hs[-1] * hs[-1] * 0.5)
    return hs[-1] + hs[-2]


def x_continue_writes(x):
    y = np.zeros(4)
    for i in range(4):
        if i % 2 == 1:
            continue
        y[i] = np.exp(x[i])
    return np.sum(y * y)


def x_early_return_in_loop(x):
    for i in range(4):
        x = x * 1.5
        if x > 3.0:
            return x * x
    return -x


def x_nested_closure_reads_changed(x):
    a = 2.0

    def f(v):
        return v * a

    y = f(x)
    a = 3.0
    return y + f(x)


def x_augassign_array_new(x):
    y = x * 2.0
    y += x
    y *= x
    y -= 1.0
    y /= 2.0
    return np.sum(y)


def x_swap(x, y):
    for i in range(3):
        x, y = y * 0.5, x + y
    return x * y


def x_fancy_repeat_write(x):
    y = np.zeros(3)
    y[[0, 0, 2]] += x
    return np.sum(y * y)


def x_fancy_repeat_set(x):
    y = np.zeros(3)
    y[[0, 0, 2]] = x
    return np.sum(y * y)


def x_2d_column_write(X):
    Y = np.ones((3, 3))
    Y[:, 1] = X[:, 0] * X[:, 2]
    return np.sum(Y * X)


def x_int_division(x, n):
    return x / n + x // 1.0 + n // 2 * x


def x_abs_max_min(x, y):
    return max(x, y, 0.3) * min(abs(x), y) + abs(x - y)


def x_chained_cmp(x):
    if -1.0 < x < 1.0:
        return x**3
    return x


def x_ifexp_arrays(x):
    y = x * 2.0 if np.sum(x) > 0 else x * -1.0
    return np.sum(y * x)


def x_reduce_axis_tuple(X):
    return np.sum(np.mean(X**2, axis=(0, 2)) * np.arange(1.0, 4.0))


def x_einsum_trace(A, B):
    return np.einsum("ij,jk->ik", A, B).sum() + np.einsum("ii->", A @ B)


def x_outer_reshape(x):
    M = np.outer(x, x).reshape(-1)
    return np.sum(M[::3] * M[1::3])


def x_cumsum_diff(x):
    return np.sum(np.cumsum(x) * np.diff(np.concatenate([[0.0], x])))


def x_scalar_array_mix(x, a):
    # a Python float mixed into a 1-d array, then reduced twice
    y = x * a + a
    return np.sum(y) * a


def x_tuple_return_helper(x):
    def stats(v):
        return np.mean(v), np.std(v)

    m, s = stats(x)
    return m * s


def x_list_arg_grad(ps):
    return ps[0] * ps[1] + np.sum(ps[2] ** 2)


def x_nested_list_arg(ps):
    (W, b), c = ps
    return np.sum(W * b) + c * c


def x_loop_over_list_arg(ws):
    s = 0.0
    for w in ws:
        s = s * 0.5 + w * w
    return s


def x_range_from_shape(x):
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        s = s * 0.9 + x[i]
    return s


def x_sorted_by_argsort(x):
    idx = np.argsort(x)
    return np.sum(x[idx] * np.arange(x.size))


def x_clip_minmax(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2 + np.maximum(x, 0.0) * x)


def x_pow_int_arg(x, n):
    return x**n + n**x


def x_math_on_numpy_scalar(x):
    y = np.sum(x)
    return math.exp(math.sin(y)) + math.sqrt(y * y + 1.0)


def x_float_cast(x):
    return float(np.sum(x)) * np.sum(x)


def x_item_loop(x):
    s = 0.0
    for i in range(x.size):
        s = s + x[i].item() * x[i]
    return s


def x_empty_then_fill(x):
    y = np.empty(3)
    y[0] = x
    y[1] = x * x
    y[2] = 1.0
    return np.sum(np.exp(y))


def x_view_read_after_write(x):
    y = np.zeros(3)
    v = y[1:]
    y[1] = x
    return np.sum(v) * x


def x_list_alias_append(x):
    a = []
    b = a
    b.append(x)
    return a[0] * x


def x_write_into_arg(x):
    x[0] = 1.0
    return np.sum(x)


def x_aug_on_arg(x):
    x += 1.0
    return np.sum(x * x)


def x_list_repeat(x):
    xs = [x] * 3
    return sum(xs) * x


def x_tuple_concat(x, y):
    t = (x,) + (y, x * y)
    return t[0] * t[2] + t[1]


def x_modulo_index(x):
    s = 0.0
    for i in range(6):
        s = s + x[i % 3] * (i + 1)
    return s


def x_double_write_same_entry(x):
    y = np.zeros(2)
    y[0] = x
    y[0] = y[0] * x
    return np.sum(y)


def x_write_in_loop_read_prev(x):
    y = np.zeros(5)
    y[0] = x
    for i in range(1, 5):
        y[i] = np.sin(y[i - 1]) + x
    return np.sum(y)


def x_zero_d_write(x):
    y = np.zeros(())
    y[()] = x * 3.0
    return float(y) * x


def x_bool_arith(x):
    return (x > 0) * x + (x < 0) * x * x


def x_np_float64_in_list(x):
    xs = [np.float64(x), x * 2.0]
    return np.prod(np.array(xs))


def x_linspace_active(a, b):
    return np.sum(np.linspace(a, b, 5) ** 2)


def x_helper_mutual(x):
    return _h1(x, 3)


def _h1(x, n):
    if n == 0:
        return x
    return _h2(x * 1.1, n)


def _h2(x, n):
    return np.sin(x) + x


def x_lambda_bound(x):
    sq = lambda v: v * v
    return sq(x) + sq(x + 1.0)


def x_star_mul_list_int_arg(x, n):
    xs = [x] * n
    return sum(xs)


def x_sum_genexpr_filter(xs):
    return sum(v * v for v in xs if v > 0)


# --- adversarial, second batch: aliasing, views, kinds


def y_asarray_write(x):
    y = np.asarray(x)
    y[0] = 0.0
    return np.sum(y * x)


def y_atleast_write(x):
    y = np.atleast_1d(x)
    y[0] = 0.0
    return np.sum(y * x)


def y_astype_nocopy_write(x):
    y = x.astype(float, copy=False)
    y[0] = 0.0
    return np.sum(y * x)


def y_ellipsis_view_write(x):
    y = x[...]
    y[0] = 0.0
    return np.sum(y * x)


def y_empty_tuple_view_write(x):
    y = x[()]
    y[0] = 0.0
    return np.sum(y * x)


def y_reshape_view_write(x):
    z = x * 1.0
    y = z.reshape(-1)
    y[0] = 5.0
    return np.sum(z * x)


def y_ravel_view_write(x):
    z = x * 1.0
    y = np.ravel(z)
    y[0] = 5.0
    return np.sum(z * x)


def y_T_view_write(x):
    z = x * 1.0
    y = z.T
    y[0, 1] = 5.0
    return np.sum(z * x)


def y_view_method(x):
    z = x * 1.0
    y = z.view()
    y[0] = 5.0
    return np.sum(z * x)


def y_alias_arg_aug(x):
    y = x
    y += 1.0
    return np.sum(y * y)


def y_slice_arg_write(x):
    y = x[:]
    y[0] = 2.0
    return np.sum(y * y)


def y_list_item_write_owned(x):
    hs = [x * 1.0, x * 2.0]
    y = hs[0]
    y[0] = 3.0
    return np.sum(hs[0] * x)


def y_overlap_self_copy(x):
    y = x * 1.0
    y[1:3] = y[0:2]
    return np.sum(y * y * np.arange(1.0, 5.0))


def y_self_fancy(x):
    y = x * 1.0
    y[[0, 1]] = y[[1, 0]] * 2.0
    return np.sum(y * np.arange(1.0, 5.0))


def y_slice_aug(x):
    y = x * 1.0
    y[1:] += y[:-1]
    return np.sum(y * np.arange(1.0, 5.0))


def y_reverse_aug(x):
    y = x * 1.0
    y[::-1] += x
    return np.sum(y * y * np.arange(1.0, 5.0))


def y_self_reverse_assign(x):
    y = x * 1.0
    y[:] = y[::-1]
    return np.sum(y * np.arange(1.0, 5.0))


def y_entry_times_self_loop(x):
    y = x * 1.0
    for i in range(3):
        y[i + 1] = y[i + 1] * y[i]
    return np.sum(y)


def y_int_then_float_kind(x, n):
    return x * n


def y_bool_truthiness(x):
    if x:
        return x * 2.0
    return x


def y_count_times(x):
    return np.sum(x > 0) * np.sum(x)


def y_len_shape(x):
    return len(x) * np.sum(x) + x.shape[0] * x[0] + x.size * x[1]


def y_zero_iter_loop(x, n):
    s = x
    for i in range(n):
        s = s * x
    return s


def y_loop_var_after(x):
    for i in range(3):
        x = x * 1.1
    return x * i


def y_while_true_break(x):
    n = 0
    while True:
        x = np.sin(x) + 0.5
        n += 1
        if n >= 4:
            break
    return x


def y_nested_default_reads(x):
    a = x * 2.0

    def f(v, s=a):
        return v * s

    return f(x)


def y_kw_order(x, y):
    def f(a, b=1.0, c=2.0):
        return a * b - c

    return f(c=x, a=y, b=x * y)


def y_array_of_scalars_2d(x, y):
    M = np.array([[x, y], [y * y, x]])
    return np.linalg.det(M) + np.sum(M @ M)


def y_array_of_arrays(a, b):
    M = np.array([a, b * 2.0])
    return np.sum(M.T @ M)


def y_stack_axis1(a, b):
    return np.sum(np.stack([a, b], axis=1) ** 2 * np.arange(1.0, 3.0))


def y_zip_shifted(x):
    hs = [x, x * x, np.sin(x), x + 1.0]
    s = 0.0
    for a, b in zip(hs, hs[1:]):
        s = s + a * b
    return s


def y_neg_pow(x):
    return (-x) ** 3 + x**2 + np.power(x, 3) + x**0.5 * 0.0 + abs(x) ** 1.5


def y_np_power_intarr(x):
    n = np.array([1, 2, 3])
    return np.sum(x**n + np.power(x, n))


def y_int_times_x(x):
    return int(x) * x + round(x) * x + math.floor(x) * x


def y_dot_orders(x, M):
    return np.dot(x, M) @ np.dot(M, x) + x @ M @ x


def y_sum_list_arrays(x):
    hs = [x, x * 2.0, np.cos(x)]
    return np.sum(sum(hs)) + max([np.sum(h) for h in hs])


def y_where_float(x):
    return np.where(x > 0, x, 0.0) * x


def y_newaxis_broadcast(x):
    return np.sum(x[:, None] * x[None, :] + x[..., None] - x.reshape(-1, 1))


def y_axis_neg(X):
    return np.sum(np.sum(X, axis=-1, keepdims=True) * X) + np.sum(np.mean(X, -2))


def y_0d_ops(x):
    z = np.sum(x * 0.0 + 1.0) * x[0]
    w = np.array(z)[()]
    return w * z


def y_reassign_not_mutate(x):
    y = x
    y = y + 1.0
    return np.sum(x * y)


def y_flatten_write(x):
    y = x.flatten()
    y[0] = 0.0
    return np.sum(y * x.ravel())


def y_copy_then_view_write(x):
    y = x.copy()
    v = y[1:]
    v2 = v
    v2[0] = 3.0
    return np.sum(y)


def _ident(v):
    return v


def y_helper_returns_arg_write(x):
    y = x * 1.0
    z = _ident(y)
    z[0] = 0.0
    return np.sum(y * x)


def _fill(v, a):
    v = v.copy()
    v[0] = a
    return v


def y_helper_local_copy_write(x, a):
    return np.sum(_fill(x, a) ** 2)


def _sum_pairs(ps):
    out = []
    for p, q in ps:
        out.append(p * q)
    return out


def y_helper_list_of_tuples(x, y):
    outs = _sum_pairs([(x, y), (y, y), (x, 2.0)])
    return outs[0] + outs[1] * outs[2]


def y_dict_param(x):
    return x * 2.0


def y_tuple_of_tuple_arg(t):
    (a, b), c = t
    return a * b * c


def y_list_in_tuple_arg(t):
    xs, w = t
    return sum(xs) * w


def y_xs_times_n(x, n):
    xs = [x, 2.0 * x] * n
    return sum(xs)


def y_accumulate_into_list_item(x):
    acc = [0.0, 0.0]
    for i in range(3):
        acc[i % 2] = acc[i % 2] + x * i
    return acc[0] * acc[1] + acc[1]


def y_list_setitem(x):
    hs = [x, x]
    hs[1] = x * x
    return hs[0] * hs[1]


def y_tuple_swap_loop(x, y):
    a, b = x, y
    for i in range(4):
        a, b = b, a * b * 0.5
    return a + b


def y_cond_on_int_mod(x, n):
    if n % 2 == 0:
        return x * 2.0
    return x * 3.0


def y_mod_active_divisor(x, y):
    return x % y + np.fmod(x, y) + math.fmod(x, y) + np.remainder(x, y)


def y_negative_mod(x):
    return (-x) % 1.0 * x


def y_float_int_compare(x, n):
    s = 0.0
    i = 0
    while i < n:
        s = s + x**i
        i += 1
    return s


def y_global_changed_closure(x):
    return x * _SCALE2[0]


_SCALE2 = [2.0]


def y_min_max_arrays(x):
    return np.max(x) * np.min(x) + np.amax(x**2) + x.max() - x.min()


def y_nested_list_comp(X):
    return sum(sum(v * v for v in row) for row in X)


def y_prod_with_zero(x):
    return np.prod(x) + np.sum(np.cumprod(x))


def y_std_var(x):
    return np.std(x) * np.var(x, ddof=1)


def y_triu_diag(A):
    return np.sum(np.triu(A) * np.diag(np.diag(A))) + np.trace(A @ A)


def y_solve_inv(A, b):
    return np.sum(np.linalg.solve(A, b)) + np.sum(np.linalg.inv(A))


def y_norms(x, A):
    return np.linalg.norm(x) + np.linalg.norm(A) + np.linalg.norm(x, 1) + np.linalg.norm(A, 2)


# --- adversarial, third batch: chained writes, unpacking, globals

_act = np.tanh


def _helper(v):
    return v * 2.0


def z_global_fn_alias(x):
    return np.sum(_act(x))


def z_global_helper(x):
    return _helper(x) * x


def z_chained_subscript_write(x):
    y = np.zeros((2, 2))
    y[0][1] = x
    return np.sum(y * y) + y[0, 1]


def z_slice_then_index_write(x):
    y = np.zeros(4)
    y[1:3][0] = x
    return np.sum(y * y)


def z_mask_then_index_write(x):
    y = np.ones(3)
    y[y > 0][0] = x
    return np.sum(y) * x


def z_fancy_then_index_write(x):
    y = np.ones(3)
    y[[0, 1]][0] = x
    return np.sum(y) * x


def z_list_of_arrays_item_write(x):
    hs = [np.zeros(2), np.zeros(2)]
    hs[0][1] = x
    return np.sum(hs[0]) * x


def z_chained_assign(x):
    a = b = np.zeros(3)
    a[0] = x
    return np.sum(b) * x


def z_rebind_then_write(x):
    y = np.zeros(3)
    z = y
    y = y + 1.0
    z[0] = x
    return np.sum(z * y)


def z_prev_in_loop(x):
    y = np.zeros(3)
    s = 0.0
    for i in range(3):
        prev = y
        y[i] = x * (i + 1)
        s = s + np.sum(prev)
    return s


def z_list_holds_then_write(x):
    y = np.zeros(3)
    ys = [y]
    y[0] = x
    return ys[0][0] * x


def z_T_write(x):
    y = np.zeros((2, 2))
    y.T[0] = x
    return np.sum(y * np.arange(4.0).reshape(2, 2))


def z_unpack_rows(X):
    a, b = X
    return np.sum(a * b)


def z_unpack_vector(x):
    a, b = x
    return a * b * b


def z_loop_unpack_rows(X):
    s = 0.0
    for a, b in X:
        s = s + a * b
    return s


def z_paired_fancy(X):
    return np.sum(X[[0, 1], [1, 2]] ** 2) + np.sum(X[1:, [0, 2]] ** 3)


def z_paired_fancy_write(X):
    Y = np.zeros((2, 3))
    Y[[0, 1], [1, 2]] = X[0, :2] * X[1, 1:]
    Y[1:, [0, 2]] = X[0, 0]
    return np.sum(Y * X)


def z_mask_aug(X):
    Y = X * 1.0
    Y[Y > 0] *= 2.0
    return np.sum(Y * X)


def z_fancy_sub_repeat(x):
    y = x * 1.0
    y[[0, 0, 1]] -= x[:3] ** 2
    return np.sum(y * y)


def z_runtime_equal_index(x, i, j):
    y = x * 1.0
    y[i] = y[j] * 3.0
    return np.sum(y * y)


def z_bool_list_mask(x):
    return np.sum(x[[True, False, True]] ** 2)


def z_np_newaxis_mix(x):
    return np.sum(x[None] * x[np.newaxis, :, None] + x[1:-1:2].sum())


def z_reversed_range(x):
    s = 0.0
    for i in range(10, 0, -3):
        s = s * x + i
    return s


def z_iter_T(X):
    s = 0.0
    for col in X.T:
        s = s + np.prod(col)
    return s


def z_iter_reversed_rows(X):
    s = 1.0
    for row in X[::-1]:
        s = s * np.sum(row) + 1.0
    return s


def z_shadow_builtins(x):
    sum = 0.0
    for v in [x, x * x]:
        sum = sum + v
    abs = sum * 2.0
    return abs


def z_shadow_np_name(x):
    exp = np.exp(x)
    log = np.log(exp + 1.0)
    return np.sum(exp * log)


def z_positional_axis(X):
    return np.sum(X.sum(0) * X.mean(1).sum()) + np.sum(np.max(X, 0))


def z_norm_axis(X):
    return np.sum(np.linalg.norm(X, axis=1))


def z_math_pow_negexp(x):
    return math.pow(x, 2.5) + x**-1 + x**-2.0


def z_unpack_star(x):
    a, *rest = [x, x * 2, x * 3]
    return a * sum(rest)


def _push(hs, v):
    hs.append(v)
    return hs


def z_helper_appends(x):
    hs = [x]
    hs = _push(hs, x * x)
    return hs[0] * hs[1]


def _last(hs):
    return hs[-1]


def z_helper_reads_list_in_loop(x):
    hs = [x]
    for i in range(3):
        hs.append(np.sin(_last(hs)) * x)
    return _last(hs)


def z_nested_returns(x):
    for i in range(3):
        for j in range(3):
            if x * (i + j) > 2.0:
                return x * i * j
    return x


def z_closure_loop_var(x):
    fs = 0.0
    for k in range(3):

        def g(v):
            return v * k

        fs = fs + g(x)
    return fs


def z_int_kind_change(x, n):
    k = 0
    for i in range(n):
        k = k + x
    return k


def z_float_accum_int_start(x):
    s = 0
    for v in x:
        s += v
    return s * s


def z_empty_list_sum(x):
    hs = []
    return sum(hs) + x


def z_mod_int_array(x):
    idx = np.arange(6) % 3
    return np.sum(x[idx] * np.arange(6.0))


def z_float_mod_int(x):
    return x % 2 + (x * 3) % 1


def z_divmod(x):
    q = x // 0.7
    r = x - q * 0.7
    return r * x


def z_where_three_kinds(x, c):
    return np.sum(np.where(x > c, x, c) * x)


def z_where_2d_bcast(X, b):
    return np.sum(np.where(X > 0, X, b[None, :]) ** 2)


def z_bcast_size1_both(a, b):
    # a (3,1,2), b (1,4,1)
    return np.sum(np.exp(a - b) * b)


def z_keepdims_var(X):
    return np.sum((X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True) * X)


def z_0d_from_sum_index(x):
    s = np.sum(x)
    return np.array([s, s * s])[1] + np.reshape(s, (1,))[0]


def z_np_float64_mix(x):
    a = np.float64(2.0)
    return a * x + np.float64(x) * x


def z_y_is_x_write(x):
    y = x if x[0] > 100 else x * 1.0
    y[0] = 0.0
    return np.sum(y)


def _mlp_params():
    return [(_r(3, 4) * 0.5, _r(4) * 0.1), (_r(4, 2) * 0.5, _r(2) * 0.1)]


_T = np.eye(2)[[0, 1, 1, 0, 1]]
_SEQ = np.abs(_r(4, 2, 3))
_GPX = _r(5, 2)
_IMG = _r(6, 6)

_RB = np.random.default_rng(7)


def v(shape):
    return _RB.standard_normal(shape)


_A = v((3, 3)) + 3 * np.eye(3)
x4 = np.array([0.3, -0.8, 1.2, 0.5])

CORPUS = [
    # tangent-style
    (t_identity, [(0.7,)], 0),
    (t_neg, [(0.7,)], 0),
    (t_sum_of_array_of_list, [(_r(3),)], 0),
    (t_overwrite_after_reduce, [(_r(4),)], 0),
    (t_plus_int, [(0.3,)], 0),
    (t_fma, [(0.3, -1.2, 0.5)], (0, 1, 2)),
    (t_fma_calls, [(0.3, -1.2, 0.5)], (0, 1, 2)),
    (t_gradname, [(1.3,)], 0),
    (t_binops, [(1.3,), (-0.6,)], 0),
    (t_nested_if, [(2.0,), (-1.0,), (12.0,)], 0),
    (t_many_branches, [(0.5,), (-0.3,), (2.0,), (-5.0,)], 0),
    (t_list_with_ints, [(0.8,)], 0),
    (t_list_with_product, [(_r(3),)], 0),
    (t_subscript_read, [(_r(3),)], 0),
    (t_write_after_copy, [(_r(3),)], 0),
    (t_write_of_squares, [(_r(3),)], 0),
    (t_serial_for, [(0.9, 2)], 0),
    (t_serial_if_for, [(0.9, 2), (-0.7, 2)], 0),
    (t_iter_pow_from_int, [(1.2,)], 0),
    (t_cond_iterpower, [(1.5,), (3.0,)], 0),
    (t_nested_loops_pow, [(1.01,)], 0),
    (t_logistic, [(_r(5, 3), np.array([0.0, 1.0, 1.0, 0.0, 1.0]), _r(3), 0.1)], (2, 3)),
    (t_call_in_branch, [(1.0, 0.5), (0.5, 1.0)], (0, 1)),
    (t_nested_def_loop, [(0.9, 2)], 0),
    (t_tuple_arg, [((0.3, 1.2, -0.4),)], 0),
    (t_pack_index, [(0.3, 1.2, -0.4, 1)], (0, 1, 2)),
    (t_polar, [(0.3, 1.2), (-0.5, -0.4)], (0, 1)),
    (t_listcomp, [(_r(4),)], 0),
    (t_while_abs, [(3.0,), (-0.05,)], 0),
    (t_copy_loop, [(_r(4),)], 0),
    (t_rows_from_vector, [(_r(4),)], 0),
    (t_rnn_writes, [(_r(3, 2), _r(2, 3))], (0, 1)),
    (t_augassign, [(0.8,)], 0),
    (t_bilinear, [(_r(3), _r(2), _r(2, 4), _r(3, 4), _r(4))], (0, 1, 2, 3, 4)),
    (t_pow_active_exp, [(1.3, 2.2)], (0, 1)),
    (t_chain_mults, [(0.9,)], 0),
    (t_extended_slice, [(_r(5),)], 0),
    # autograd-style
    (ag_neural_net, [(_mlp_params(), _r(5, 3), _T)], 0),
    (ag_rnn, [(_r(7, 3) * 0.5, _r(4, 3) * 0.5, _r(1, 3), _SEQ)], (0, 1, 2)),
    (ag_lstm, [(_r(7, 3) * 0.5, _r(7, 3) * 0.5, _r(7, 3) * 0.5, _r(7, 3) * 0.5, _r(3, 2), _SEQ)], (0, 1, 2, 3, 4)),
    (ag_gp_marginal, [(np.array([0.1, -1.0, 0.2, 0.3]), _GPX, _r(5))], 0),
    (ag_gp_slogdet, [(np.array([0.2, 0.1]), _GPX, _r(5))], 0),
    (ag_mixture_logprob, [(_r(3), _r(3, 2), _r(3, 2) * 0.3, _r(6, 2))], (0, 1, 2)),
    (ag_variational, [(_r(4) * 0.3, _r(7, 2))], 0),
    (ag_convnet, [([_r(2, 2), _r(2, 2)], _r(8, 3) * 0.3, _r(5, 5), np.array([0.0, 1.0, 0.0]))], (0, 1)),
    (ag_logistic_regression, [(_r(3), _r(6, 3), np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0]))], 0),
    (ag_tanh_derivs, [(_r(4),)], 0),
    (ag_softmax_ce, [(_r(3, 4), _r(5, 3), np.array([0, 3, 1, 1, 2]))], 0),
    (ag_batchnorm, [(_r(3), _r(3), _r(6, 3))], (0, 1, 2)),
    (ag_ode_euler, [(_r(3, 3) * 0.5, _r(3))], (0, 1)),
    (ag_fluid_like, [(_r(4, 4),)], 0),
    (ag_rosenbrock, [(_r(5) * 0.5,)], 0),
    (ag_gmm_em_step, [(_r(3, 2), _r(7, 2))], 0),
    (ag_ppca, [(_r(3, 2) * 0.5, _r(6, 3))], 0),
    # adversarial
    (x_list_of_tuples_to_helper, [(0.4, -1.3)], (0, 1)),
    (x_tuple_of_tuples_iter, [(0.4,)], 0),
    (x_alias_hops_write, [(0.4,)], 0),
    (x_alias_hops_write_unread, [(0.4,)], 0),
    (x_int_to_float, [(0.4, 3)], 0),
    (x_int_arg_mul, [(_r(3), 3)], 0),
    (x_mod_float, [(2.2,), (-0.45,)], 0),
    (x_mod_array, [(np.array([0.3, 1.1, -0.5, 2.5]),)], 0),
    (x_break_with_writes, [(np.array([0.3, 1.1, -0.5, 2.5, 0.1]),), (np.array([0.3, 0.1, -0.5, 0.5, 0.1]),)], 0),
    (x_list_item_augassign, [(0.7,)], 0),
    (x_list_item_augassign_array, [(_r(3),)], 0),
    (x_list_slices, [(0.7,)], 0),
    (x_negative_step, [(_r(5),)], 0),
    (x_reverse_write, [(_r(4),)], 0),
    (x_where_scalar_branches, [(np.array([0.3, -1.1, 0.7, 2.0]),)], 0),
    (x_where_scalar_both, [(np.array([0.3, -1.1, 0.7, 2.0]),)], 0),
    (x_broadcast_ones, [(_r(3, 1), _r(1, 4))], (0, 1)),
    (x_keepdims, [(np.abs(_r(3, 4)) + 0.5,)], 0),
    (x_zero_d, [(0.7,), (np.array(0.7),)], 0),
    (x_zero_d_arg, [(np.array(0.7),)], 0),
    (x_float64_arg, [(np.float64(0.7),)], 0),
    (x_bool_mask, [(np.array([0.3, -1.1, 0.7, 2.0]),)], 0),
    (x_bool_mask_write, [(np.array([0.3, -1.1, 0.7, 2.0]),)], 0),
    (x_while_float_cond, [(0.7,)], 0),
    (x_while_active_cond, [(0.7,), (11.0,)], 0),
    (x_closure_returned, [(0.7, 1.3)], (0, 1)),
    (x_closure_module_factory, [(0.7, 1.3)], (0, 1)),
    (x_default_array, [(_r(3),)], 0),
    (x_default_array_wrt, [(_r(3), np.array([0.5, 1.0, -2.0]))], (0, 1)),
    (x_global_array, [(_r(3),)], 0),
    (x_global_scalar, [(0.4,)], 0),
    (x_kinds_cache, [(0.3,), (_r(3),), (_r(2, 2),), (0.8,)], 0),
    (x_mixed_tuple_loop, [(0.4,)], 0),
    (x_enumerate_list, [(0.4,)], 0),
    (x_zip_arrays, [(_r(3, 2), _r(3))], (0, 1)),
    (x_list_append_in_loop_then_stack, [(_r(3),)], 0),
    (x_hs_last, [(0.9,)], 0),
    (x_continue_writes, [(_r(4),)], 0),
    (x_early_return_in_loop, [(0.5,), (-0.5,), (2.5,)], 0),
    (x_nested_closure_reads_changed, [(0.4,)], 0),
    (x_augassign_array_new, [(_r(3),)], 0),
    (x_swap, [(0.4, 0.9)], (0, 1)),
    (x_fancy_repeat_write, [(_r(3),)], 0),
    (x_fancy_repeat_set, [(_r(3),)], 0),
    (x_2d_column_write, [(_r(3, 3),)], 0),
    (x_int_division, [(2.3, 3)], 0),
    (x_abs_max_min, [(0.9, 0.5), (-0.2, 0.7)], (0, 1)),
    (x_chained_cmp, [(0.5,), (1.5,)], 0),
    (x_ifexp_arrays, [(_r(3) + 1,), (_r(3) - 2,)], 0),
    (x_reduce_axis_tuple, [(_r(2, 3, 4),)], 0),
    (x_einsum_trace, [(_r(3, 3), _r(3, 3))], (0, 1)),
    (x_outer_reshape, [(_r(3),)], 0),
    (x_cumsum_diff, [(_r(4),)], 0),
    (x_scalar_array_mix, [(_r(3), 0.7)], (0, 1)),
    (x_tuple_return_helper, [(_r(4),)], 0),
    (x_list_arg_grad, [([0.3, 0.9, _r(3)],)], 0),
    (x_nested_list_arg, [(((_r(2, 2), _r(2)), 0.5),)], 0),
    (x_loop_over_list_arg, [([0.3, -0.2, 0.8],)], 0),
    (x_range_from_shape, [(_r(4),)], 0),
    (x_sorted_by_argsort, [(_r(5),)], 0),
    (x_clip_minmax, [(np.array([0.3, -1.1, 0.7, 2.0, -0.2]),)], 0),
    (x_pow_int_arg, [(1.3, 3)], 0),
    (x_math_on_numpy_scalar, [(_r(3),)], 0),
    (x_float_cast, [(_r(3),)], 0),
    (x_item_loop, [(_r(3),)], 0),
    (x_empty_then_fill, [(0.4,)], 0),
    (x_view_read_after_write, [(0.4,)], 0),
    (x_list_alias_append, [(0.4,)], 0),
    (x_write_into_arg, [(_r(3),)], 0),
    (x_aug_on_arg, [(_r(3),)], 0),
    (x_list_repeat, [(0.4,)], 0),
    (x_tuple_concat, [(0.4, 1.2)], (0, 1)),
    (x_modulo_index, [(_r(3),)], 0),
    (x_double_write_same_entry, [(0.4,)], 0),
    (x_write_in_loop_read_prev, [(0.4,)], 0),
    (x_zero_d_write, [(0.4,)], 0),
    (x_bool_arith, [(0.4,), (-0.4,)], 0),
    (x_np_float64_in_list, [(0.4,)], 0),
    (x_linspace_active, [(0.4, 1.5)], (0, 1)),
    (x_helper_mutual, [(0.4,)], 0),
    (x_lambda_bound, [(0.4,)], 0),
    (x_star_mul_list_int_arg, [(0.4, 3)], 0),
    (x_sum_genexpr_filter, [([0.3, -0.2, 0.8],)], 0),
    # second batch
    (y_asarray_write, [(v(3),)], 0),
    (y_atleast_write, [(v(3),)], 0),
    (y_astype_nocopy_write, [(v(3),)], 0),
    (y_ellipsis_view_write, [(v(3),)], 0),
    (y_empty_tuple_view_write, [(v(3),)], 0),
    (y_reshape_view_write, [(v(3),)], 0),
    (y_ravel_view_write, [(v(3),)], 0),
    (y_T_view_write, [(v((2, 2)),)], 0),
    (y_view_method, [(v(3),)], 0),
    (y_alias_arg_aug, [(v(3),)], 0),
    (y_slice_arg_write, [(v(3),)], 0),
    (y_list_item_write_owned, [(v(3),)], 0),
    (y_overlap_self_copy, [(x4,)], 0),
    (y_self_fancy, [(x4,)], 0),
    (y_slice_aug, [(x4,)], 0),
    (y_reverse_aug, [(x4,)], 0),
    (y_self_reverse_assign, [(x4,)], 0),
    (y_entry_times_self_loop, [(x4,)], 0),
    (y_int_then_float_kind, [(0.3, 2), (0.3, 2.5), (0.7, 2), (np.float64(0.3), 2.5)], 0),
    (y_bool_truthiness, [(0.3,), (-0.3,)], 0),
    (y_count_times, [(x4,)], 0),
    (y_len_shape, [(x4,)], 0),
    (y_zero_iter_loop, [(0.4, 0), (0.4, 2)], 0),
    (y_loop_var_after, [(0.4,)], 0),
    (y_while_true_break, [(0.4,)], 0),
    (y_nested_default_reads, [(0.4,)], 0),
    (y_kw_order, [(0.4, 1.3)], (0, 1)),
    (y_array_of_scalars_2d, [(0.4, 1.3)], (0, 1)),
    (y_array_of_arrays, [(v(3), v(3))], (0, 1)),
    (y_stack_axis1, [(v(3), v(3))], (0, 1)),
    (y_zip_shifted, [(0.4,)], 0),
    (y_neg_pow, [(0.4,)], 0),
    (y_np_power_intarr, [(np.abs(v(3)) + 0.2,)], 0),
    (y_int_times_x, [(1.4,)], 0),
    (y_dot_orders, [(v(3), _A)], (0, 1)),
    (y_sum_list_arrays, [(v(3),)], 0),
    (y_where_float, [(0.4,), (-0.4,)], 0),
    (y_newaxis_broadcast, [(v(3),)], 0),
    (y_axis_neg, [(v((2, 3)),)], 0),
    (y_0d_ops, [(v(3),)], 0),
    (y_reassign_not_mutate, [(v(3),)], 0),
    (y_flatten_write, [(v((2, 2)),)], 0),
    (y_copy_then_view_write, [(v(3),)], 0),
    (y_helper_returns_arg_write, [(v(3),)], 0),
    (y_helper_local_copy_write, [(v(3), 0.5)], (0, 1)),
    (y_helper_list_of_tuples, [(0.4, 1.3)], (0, 1)),
    (y_tuple_of_tuple_arg, [(((0.4, 1.3), 0.7),)], 0),
    (y_list_in_tuple_arg, [(([0.4, 1.3], 0.7),)], 0),
    (y_xs_times_n, [(0.4, 3)], 0),
    (y_accumulate_into_list_item, [(0.4,)], 0),
    (y_list_setitem, [(0.4,)], 0),
    (y_tuple_swap_loop, [(0.4, 1.3)], (0, 1)),
    (y_cond_on_int_mod, [(0.4, 2), (0.4, 3)], 0),
    (y_mod_active_divisor, [(2.3, 0.9), (-2.3, 0.9)], (0, 1)),
    (y_negative_mod, [(0.4,)], 0),
    (y_float_int_compare, [(0.4, 3), (0.4, 2.5)], 0),
    (y_global_changed_closure, [(0.4,)], 0),
    (y_min_max_arrays, [(x4,)], 0),
    (y_nested_list_comp, [(v((2, 3)),)], 0),
    (y_prod_with_zero, [(x4,), (np.array([0.3, 0.0, 1.2, 0.5]),)], 0),
    (y_std_var, [(x4,)], 0),
    (y_triu_diag, [(v((3, 3)),)], 0),
    (y_solve_inv, [(_A, v(3))], (0, 1)),
    (y_norms, [(v(3), v((3, 3)))], (0, 1)),
    # third batch
    (z_global_fn_alias, [(v(3),)], 0),
    (z_global_helper, [(0.3,)], 0),
    (z_chained_subscript_write, [(0.4,)], 0),
    (z_slice_then_index_write, [(0.4,)], 0),
    (z_mask_then_index_write, [(0.4,)], 0),
    (z_fancy_then_index_write, [(0.4,)], 0),
    (z_list_of_arrays_item_write, [(0.4,)], 0),
    (z_chained_assign, [(0.4,)], 0),
    (z_rebind_then_write, [(0.4,)], 0),
    (z_prev_in_loop, [(0.4,)], 0),
    (z_list_holds_then_write, [(0.4,)], 0),
    (z_T_write, [(0.4,)], 0),
    (z_unpack_rows, [(v((2, 3)),)], 0),
    (z_unpack_vector, [(v(2),)], 0),
    (z_loop_unpack_rows, [(v((3, 2)),)], 0),
    (z_paired_fancy, [(v((2, 3)),)], 0),
    (z_paired_fancy_write, [(v((2, 3)),)], 0),
    (z_mask_aug, [(v((2, 3)),)], 0),
    (z_fancy_sub_repeat, [(x4,)], 0),
    (z_runtime_equal_index, [(x4, 1, 1), (x4, 1, 2)], 0),
    (z_bool_list_mask, [(v(3),)], 0),
    (z_np_newaxis_mix, [(v(5),)], 0),
    (z_reversed_range, [(0.4,)], 0),
    (z_iter_T, [(v((2, 3)),)], 0),
    (z_iter_reversed_rows, [(v((3, 2)),)], 0),
    (z_shadow_builtins, [(0.4,)], 0),
    (z_shadow_np_name, [(v(3),)], 0),
    (z_positional_axis, [(v((2, 3)),)], 0),
    (z_norm_axis, [(v((2, 3)),)], 0),
    (z_math_pow_negexp, [(0.4,)], 0),
    (z_unpack_star, [(0.4,)], 0),
    (z_helper_appends, [(0.4,)], 0),
    (z_helper_reads_list_in_loop, [(0.4,)], 0),
    (z_nested_returns, [(0.4,), (1.5,)], 0),
    (z_closure_loop_var, [(0.4,)], 0),
    (z_int_kind_change, [(0.4, 0), (0.4, 3)], 0),
    (z_float_accum_int_start, [(v(3),)], 0),
    (z_empty_list_sum, [(0.4,)], 0),
    (z_mod_int_array, [(v(3),)], 0),
    (z_float_mod_int, [(0.45,)], 0),
    (z_divmod, [(1.6,)], 0),
    (z_where_three_kinds, [(x4, 0.1)], (0, 1)),
    (z_where_2d_bcast, [(v((2, 3)), v(3))], (0, 1)),
    (z_bcast_size1_both, [(v((3, 1, 2)), v((1, 4, 1)))], (0, 1)),
    (z_keepdims_var, [(v((2, 3)),)], 0),
    (z_0d_from_sum_index, [(v(3),)], 0),
    (z_np_float64_mix, [(0.4,), (np.float64(0.4),)], 0),
    (z_y_is_x_write, [(v(3),)], 0),
]
