"""Writes ``y[idx] = v`` and ``y[idx] op= v`` into local arrays, by brute force:
every kind of index (repeated, negative, 2-d, boolean, slice, Ellipsis, made
at run time) with every operator and values ``v`` of scalar, full and
broadcast shape, in both modes, against central differences. NumPy buffers
a write whose index repeats an entry: the entry keeps one value (the last
written), and ``y[idx] += v`` adds once per distinct entry.

Also: the value returned by a derivative whose reverse sweep restores a
written array in place is the function's value (issue 8, section 6)."""

import importlib.util
import itertools

import numpy as np
import pytest

import s2sad
from s2sad.runtime import write_adjoint

# name -> (shape of y, index as written in the source, shape it selects)
INDICES = {
    "repeated": ((4,), "[0, 0, 2]", (3,)),
    "repeated_negative": ((4,), "[-1, 3, 1, 1]", (4,)),
    "run_time": ((4,), "np.arange(4) // 2", (4,)),
    "run_time_2d": ((4,), "np.array([[0, 1], [1, 0]])", (2, 2)),
    "pairs": ((3, 4), "[0, 0, 2], [1, 1, -1]", (3,)),
    "rows": ((3, 4), "[0, 0]", (2, 4)),
    "columns": ((3, 4), ":, [1, 1, 3]", (3, 3)),
    "int_and_list": ((3, 4), "1, [2, 2]", (2,)),
    "ellipsis_list": ((3, 4), "..., [0, 0]", (3, 2)),
    "mask": ((4,), "np.array([True, False, True, True])", (3,)),
    "slice": ((4,), "1:3", (2,)),
    "negative": ((4,), "-1", ()),
    "ellipsis": ((3,), "...", (3,)),
    "column": ((3, 4), ":, 2", (3,)),
}
OPS = ["=", "+=", "-=", "*="]


def _program(index: str, op: str, value: str) -> str | None:
    yshape, idx, sel = INDICES[index]
    size = int(np.prod(yshape))
    if value == "scalar":
        v = "np.sin(x[0]) * 2.0"
    elif value == "full":
        n = int(np.prod(sel))
        v = f"np.sin(x[:{n}]).reshape({sel!r}) * 2.0" if sel else "np.sin(x[0])"
    else:  # broadcast along the selection's first axis
        if len(sel) < 2:
            return None
        v = f"np.sin(x[:{int(np.prod(sel[1:]))}]).reshape({sel[1:]!r})"
    name = f"{index}_{OPS.index(op)}_{value}"
    return (
        f"def {name}(x):\n"
        f"    y = np.cos(x[:{size}]).reshape({yshape!r}) + 0.5\n"
        f"    y = y.copy()\n"
        f"    y[{idx}] {op} {v}\n"
        f"    return np.sum(y * np.arange(1.0, {size + 1}.0).reshape({yshape!r}) * y)\n"
    )


SOURCES = [
    s for s in (_program(i, op, v) for i, op, v in itertools.product(INDICES, OPS, ["scalar", "full", "broadcast"])) if s
]


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    path = tmp_path_factory.mktemp("writes") / "write_programs.py"
    path.write_text("import numpy as np\n\n\n" + "\n\n".join(SOURCES))
    spec = importlib.util.spec_from_file_location("write_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


X = np.linspace(0.3, 1.7, 12)


@pytest.mark.parametrize("source", SOURCES, ids=[s.split("(")[0][4:] for s in SOURCES])
def test_write_both_modes(programs, source):
    fn = getattr(programs, source.split("(")[0][4:])
    s2sad.check_grad(fn, X)
    g = s2sad.grad(fn)(X)
    d = np.random.default_rng(0).standard_normal(X.shape)
    _, t = s2sad.jvp(fn)(X, d)
    assert t == pytest.approx(float(g @ d), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", ["repeated_1_full", "pairs_3_full", "rows_0_broadcast", "run_time_2_scalar"])
def test_write_hessian(programs, name):
    fn = getattr(programs, name)
    h = s2sad.hessian(fn)(X)
    g = s2sad.grad(fn)
    eps = 1e-5
    numerical = np.array([(g(X + eps * e) - g(X - eps * e)) / (2 * eps) for e in np.eye(X.size)])
    np.testing.assert_allclose(h, numerical, atol=1e-5)


def test_repeated_index_reproducers():
    def add(x):
        y = np.zeros(2)
        y[[0, 0]] += x
        return y[0]

    def assign(x):
        y = np.zeros(2)
        y[[0, 0]] = x
        return np.sum(y)

    assert s2sad.grad(add)(1.0) == 1.0
    assert s2sad.jvp(add)(1.0, 1.0)[1] == 1.0
    np.testing.assert_array_equal(s2sad.grad(assign)(np.array([5.0, 7.0])), [0.0, 1.0])
    np.testing.assert_array_equal(s2sad.jvp(assign)(np.array([5.0, 7.0]), np.array([1.0, 10.0]))[1], 10.0)


def test_index_passed_in():
    def f(x, idx):
        y = np.zeros(3)
        y[idx] += x * x
        return np.sum(y * np.array([1.0, 2.0, 3.0]))

    x = np.array([0.5, -1.0, 2.0, 0.7])
    for idx in (np.array([2, 0, 2, 1]), [1, 1, 1, 0], np.array([0, 1, 2, 0])):
        s2sad.check_grad(f, x, idx)
        g = s2sad.grad(f)(x, idx)
        assert s2sad.jvp(f)(x, idx, np.ones(4))[1] == pytest.approx(np.sum(g))


def test_repeated_writes_in_a_loop():
    def f(x):
        y = np.ones(3)
        for i in range(3):
            y[[i, i, 0]] *= x[i] + y[[2, 1, 0]]
        return np.sum(y * y)

    s2sad.check_grad(f, np.array([0.3, -0.8, 1.1]))


def _probed_adjoint(shape, idx, v, g, order):
    """The adjoint of v in `y[idx] = v`, found by writing each unit vector."""
    out = np.zeros(np.shape(v))
    for k in range(out.size):
        y = np.zeros(shape, order=order)
        if isinstance(v, np.ndarray):
            e = np.zeros_like(v)  # keeps v's memory layout
            e.flat[k] = 1.0
            y[idx] = e
        else:
            y[idx] = 1.0
        out.flat[k] = np.sum(y * g)
    return out if isinstance(v, np.ndarray) else out[()]


@pytest.mark.parametrize("order", ["C", "F"])
def test_write_adjoint_follows_numpy_order(order):
    # NumPy's order of a repeated write depends on the memory layout of the
    # index and the value: F-ordered 2-d index and value write column by column
    rng = np.random.default_rng(1)
    square = np.array([[0, 1], [1, 0]])
    cases = [
        ((4,), [0, 0, 1], (3,)), ((4,), [0, 0, 1], ()), ((4,), square, (2, 2)), ((4,), square, (2,)),
        ((3, 4), ([0, 0, 2], [1, 1, -1]), (3,)), ((3, 4), ([0, 0], slice(None)), (2, 4)),
        ((3, 4), (slice(1, None), [0, 0, 3]), (2, 3)), ((3, 4), (square, 0), (2, 2)),
        ((3, 4), (square, slice(1, None)), (2, 2, 3)), ((2, 3, 4), ([0, 0], slice(None), [1, 1]), (2, 3)),
        ((3, 4), np.array([[True, False, True, False]] * 3), (6,)),
    ]  # fmt: skip
    for shape, idx, vshape in cases:
        parts = idx if isinstance(idx, tuple) else (idx,)
        parts = tuple(np.asarray(p, order=order) if isinstance(p, (list, np.ndarray)) else p for p in parts)
        idx = parts if isinstance(idx, tuple) else parts[0]
        v = np.asarray(rng.standard_normal(vshape), order=order) if vshape else float(rng.standard_normal())
        for g_order in "CF":
            g = np.asarray(rng.standard_normal(shape), order=g_order)
            got = write_adjoint(g, idx, v)
            assert np.shape(got) == np.shape(v)
            np.testing.assert_allclose(got, _probed_adjoint(shape, idx, v, g, g_order))
    # the case where the layout decides: C order keeps 12 in entry 1, F order 11
    y = np.zeros(2)
    v = np.asarray([[10.0, 11.0], [12.0, 13.0]], order=order)
    y[np.asarray(square, order=order)] = v
    g = np.array([0.0, 1.0])
    kept = write_adjoint(g, np.asarray(square, order=order), v)
    assert kept[v == y[1]] == 1.0 and np.sum(kept) == 1.0


# ------------------------------------------------ the value of a derivative


def written_in_loop(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * 2 + np.sum(y)
    return y


def written_then_aliased(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * 2 + np.sum(y)
    r = y
    return r


def written_then_viewed(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] = x[i % 3] * 2 + np.sum(y)
    return y.reshape(2, 2)


def written_then_sliced(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] = x[i % 3] * 2 + np.sum(y)
    return y[1:]


def written_straight(x):
    y = np.zeros(3)
    y[0] = x[0] * 2
    y[1] = y[0] * x[1]
    return y


def written_repeated(x):
    y = np.zeros(3)
    for i in range(3):
        y[[i, i, 0]] += x * (i + 1)
    return y


def written_then_scaled(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * 2 + np.sum(y)
    return y * 2.0


@pytest.mark.parametrize(
    "fn",
    [written_in_loop, written_then_aliased, written_then_viewed, written_then_sliced, written_straight,
     written_repeated, written_then_scaled],
)  # fmt: skip
def test_vjp_value_survives_restores(fn):
    x = np.array([1.0, 2.0, 3.0])
    want = fn(x)
    value, x_bar = s2sad.vjp(fn)(x, np.ones(np.shape(want)))
    np.testing.assert_allclose(value, want)
    eps = 1e-6
    jac = np.moveaxis(np.array([(fn(x + eps * e) - fn(x - eps * e)) / (2 * eps) for e in np.eye(3)]), 0, -1)
    np.testing.assert_allclose(x_bar, np.tensordot(np.ones(np.shape(want)), jac, np.ndim(want)), atol=1e-6)
    np.testing.assert_allclose(s2sad.jacobian(fn)(x), jac, atol=1e-6)
    value, _ = s2sad.jvp(fn)(x, np.ones(3))
    np.testing.assert_allclose(value, want)


def test_vjp_value_in_a_tuple_survives_restores():
    def f(x):
        y = np.zeros(3)
        for i in range(3):
            y[i] = x[i] * 2 + np.sum(y)
        return y, np.sum(y)

    value, x_bar = s2sad.vjp(f)(np.array([1.0, 2.0, 3.0]), [np.ones(3), 1.0])
    np.testing.assert_allclose(value[0], [2.0, 6.0, 14.0])
    assert value[1] == 22.0
    # y = (2 x0, 2 x0 + 2 x1, 4 x0 + 2 x1 + 2 x2): both adjoints see d sum(y) = (8, 4, 2)
    np.testing.assert_allclose(x_bar, [16.0, 8.0, 4.0])


def zero_d_written_in_loop(x):
    y = np.zeros(())
    for _ in range(3):
        y[()] = y * x + 1
    return y


def zero_d_written_whole(x):
    y = np.zeros(())
    for _ in range(3):
        y[...] = y * x + 1
    return y


def zero_d_then_scaled(x):
    y = np.zeros(())
    for _ in range(3):
        y[()] = y * x + 1
    t = y * 2.0
    return t


@pytest.mark.parametrize("fn,scale", [(zero_d_written_in_loop, 1), (zero_d_written_whole, 1), (zero_d_then_scaled, 2)])
def test_zero_d_array_written_in_loop(fn, scale):
    # y = x^2 + x + 1 after three steps, from x = 2: 7, slope 5, curvature 2
    assert s2sad.vjp(fn)(2.0, 1.0) == (7.0 * scale, 5.0 * scale)
    assert s2sad.value_and_grad(fn)(2.0) == (7.0 * scale, 5.0 * scale)
    assert s2sad.jvp(fn)(2.0, 1.0) == (7.0 * scale, 5.0 * scale)
    assert s2sad.grad(s2sad.grad(fn))(2.0) == pytest.approx(2.0 * scale)
    s2sad.check_grad(fn, 2.0)


def test_repeated_write_follows_the_value_layout_in_both_modes():
    # F-ordered index and value write column by column: entry 1 keeps X[0, 1]
    def f(X, idx):
        y = np.zeros(2)
        y[idx] = X * 1.0
        return np.sum(y * np.array([1.0, 10.0]))

    idx = np.asfortranarray(np.array([[0, 1], [1, 0]]))
    X = np.asfortranarray(np.arange(4.0).reshape(2, 2) + 1.0)
    want = np.zeros((2, 2))
    want[1, 1], want[0, 1] = 1.0, 10.0
    np.testing.assert_array_equal(s2sad.grad(f)(X, idx), want)
    direction = np.array([[1.0, 2.0], [3.0, 4.0]])  # C order, unlike X
    assert s2sad.jvp(f)(X, idx, direction)[1] == np.sum(want * direction)
