"""The passes that read shapes from values the reverse sweep holds
(optimize.shape_source), keep full-reduction adjoints numbers
(optimize.scalar_fill) and write single-use partial adjoints where they are
read (optimize.inline), with the shape classes they rest on
(analysis.shapes): each program checked against central differences on
several shapes (unit dims included) and fixed seeds, in grad's form and in
value_and_grad's."""

import gast
import numpy as np
import pytest

import s2sad
from s2sad.analysis.resolve import GETITEM, Op
from s2sad.analysis.shapes import shape_classes
from s2sad.ir.core import unparse
from s2sad.ir.kinds import SCALAR, array_kind
from s2sad.optimize.inline import inline_once_read
from s2sad.optimize.scalar_fill import Names, keep_fills_scalar


def grad_source(fn, *args, wrt=0):
    g = s2sad.grad(fn, wrt=wrt)
    return g.source(*args)


# ----------------------------------------------------------- shape classes
def slices(*indices):
    lines = "".join(f"    a{k} = x[{i}]\n" for k, i in enumerate(indices))
    fn = gast.parse(f"def f(x):\n{lines}    return a0").body[0]
    ops = {id(s): Op("rule", GETITEM, {"x": s.value.value, "idx": s.value.slice}) for s in fn.body[:-1]}
    kinds = {"x": array_kind(1, frozenset()), **{f"a{k}": array_kind(1) for k in range(len(indices))}}
    return shape_classes(fn, ops, kinds)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("1:", ":-1", True),
        ("2:", ":-2", True),
        ("1:-1", "2:", True),
        ("1:-1", ":-2", True),
        (":", "0:", True),
        ("1:", ":-2", False),
        ("1:", "::2", False),
        (":3", "3:", False),
        (":0", ":", False),
        ("-1:", ":1", False),
    ],
)
def test_slices_of_one_array_trimming_the_same_count_have_one_shape(a, b, same):
    classes = slices(a, b)
    assert classes.same("a0", "a1") is same
    sa, sb = (eval(f"np.s_[{t}]") for t in (a, b))
    for n in range(0, 6):  # the claim itself, on arrays of every small length
        x = np.arange(float(n))
        if same:
            assert x[sa].shape == x[sb].shape


def classes_of(fn, *args):
    from s2sad.pipeline import front, kind_of_value, parse_function

    f = front(parse_function(fn), {p: kind_of_value(v) for p, v in zip(fn.__code__.co_varnames, args)})
    return f, shape_classes(f.ssa, f.ops, f.kinds)


def broadcasting(a, b):
    c = a * b
    d = np.exp(c) + 1.0
    return np.sum(d)


@pytest.mark.parametrize(
    "sa, sb, joined",
    [
        ((3, 4), (3, 4), {"a", "b", "c", "d"}),
        ((3, 4), (4,), {"a", "c", "d"}),
        ((3, 4), (3, 1), {"a", "c", "d"}),
        ((3, 1), (1, 4), {"c", "d"}),
        ((1, 4), (3, 4), {"b", "c", "d"}),
        ((), (3,), {"b", "c", "d"}),
    ],
)
def test_elementwise_results_join_the_operand_whose_shape_they_have(sa, sb, joined):
    a, b = np.ones(sa), np.ones(sb)
    f, classes = classes_of(broadcasting, a, b)
    d = [n for n in f.kinds if n.startswith("t") or n in ("c", "d")]
    names = {"a": "a", "b": "b"}
    c_name = next(s.targets[0].id for s in f.ssa.body if isinstance(s, gast.Assign) and "*" in unparse(s.value))
    names["c"] = c_name
    names["d"] = next(
        s.targets[0].id for s in f.ssa.body if isinstance(s, gast.Assign) and "+ 1.0" in unparse(s.value)
    )
    members = {k for k, n in names.items() if classes.same(n, names["c"])}
    assert members == joined, (members, d)
    assert np.broadcast_shapes(np.shape(a), np.shape(b)) == (a * b).shape


def test_names_assigned_in_a_loop_or_twice_join_no_class():
    def looped(x, n):
        for _ in range(n):
            x = x * 2.0
        y = x + 1.0
        return np.sum(y)

    f, classes = classes_of(looped, np.ones(3), 2)
    assert all(classes.find(n) is None for n in f.kinds if n.startswith("x"))


# ---------------------------------------------------------------- programs
def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def fill_meets_broadcast(x, b):
    return np.sum(np.sin(x) * b)  # x (n, k), b (k,): the fill has x's shape, b's does not


def fill_into_matmul(W, v):
    h = np.tanh(W @ v)
    return np.sum(h * h) + 2.0 * np.sum(h)


def two_fills(x, y):
    return np.sum(x * x) + 3.0 * np.mean(np.cos(y))  # fills of two classes


def fill_returned(x):
    return np.sum(x)


def fill_and_axis(x):
    s = np.sum(x * x, axis=0)
    return np.sum(np.exp(s)) + np.sum(x)


def fill_into_slices(x):
    d = x[2:] - 2.0 * x[1:-1] + x[:-2]
    return np.mean(d * d) + np.sum(x[1:] * x[:-1])


def fill_then_loop(x, n):
    t = np.sum(x ** 3)
    for _ in range(n):
        t = t * 0.5 + np.sum(np.sin(x))
    return t


def fill_in_branch(x, c):
    y = np.sum(x * x)
    if c > 0:
        y = y + np.sum(np.exp(x))
    return y


def mismatched_slices(x):
    return np.sum(x[1:] * x[1:]) + np.sum(x[:-2] ** 2) + np.sum(x[2:])


def keepdims_rows(X):
    m = X - np.max(X, axis=1, keepdims=True)
    return np.sum(np.exp(m) * X)


def negated_chain(x, y):
    a = -(x * y)
    b = -(-a / (1.0 + y * y))
    return np.sum(b * a) - np.sum(-b)


RNG = np.random.default_rng(11)


def arr(*shape):
    return RNG.standard_normal(shape) if shape else float(RNG.standard_normal())


CASES = [
    (rosenbrock, lambda n: (arr(n),), 0),
    (logistic, lambda n: (arr(3), arr(n, 3), (RNG.random(n) > 0.5).astype(float)), 0),
    (fill_meets_broadcast, lambda n: (arr(n, 3), arr(3)), (0, 1)),
    (fill_into_matmul, lambda n: (arr(n, 3), arr(3)), (0, 1)),
    (two_fills, lambda n: (arr(n), arr(n + 1)), (0, 1)),
    (fill_returned, lambda n: (arr(n, 2),), 0),
    (fill_and_axis, lambda n: (arr(n, 3),), 0),
    (fill_into_slices, lambda n: (arr(n + 3),), 0),
    (fill_then_loop, lambda n: (arr(n), 3), 0),
    (fill_in_branch, lambda n: (arr(n), 1.0), 0),
    (mismatched_slices, lambda n: (arr(n + 2),), 0),
    (keepdims_rows, lambda n: (arr(n, 4),), 0),
    (negated_chain, lambda n: (arr(n), arr(n)), (0, 1)),
]


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_gradients_agree_with_central_differences(fn, make, wrt, n):
    args = make(n)
    s2sad.check_grad(fn, *args, wrt=wrt)
    value, grads = s2sad.value_and_grad(fn, wrt=wrt)(*args)
    only = s2sad.grad(fn, wrt=wrt)(*args)
    assert value == pytest.approx(fn(*args))
    for a, b in zip(grads if isinstance(wrt, tuple) else (grads,), only if isinstance(wrt, tuple) else (only,)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_unit_dims_change_the_proof_not_the_gradient():
    x, b = arr(1, 3), arr(3)  # a (1, 3) operand: x's shape is b's broadcast, not its own class
    s2sad.check_grad(fill_meets_broadcast, x, b, wrt=(0, 1))
    x, b = arr(4, 1), arr(3)
    s2sad.check_grad(fill_meets_broadcast, x, b, wrt=(0, 1))


# ------------------------------------------------- what the generated code reads
def test_grad_of_a_loss_computes_no_loss_and_builds_no_filled_array():
    src = grad_source(logistic, arr(3), arr(5, 3), arr(5))
    assert "np.log" not in src and "np.mean" not in src and "full" not in src
    src = grad_source(rosenbrock, arr(6))
    assert "np.sum" not in src and "full" not in src and "unbroadcast" not in src
    assert "y_bar * 100.0 * 2 * t2" in src  # the fill value, a number, times the array


def sum_of_product(W, v):
    return np.sum(W @ v)


def test_a_fill_becomes_an_array_before_a_matmul_reads_it():
    W, v = arr(4, 3), arr(3)
    src = grad_source(sum_of_product, W, v, wrt=(0, 1))
    assert "np.full(" in src or "np.full_like(" in src
    s2sad.check_grad(sum_of_product, W, v, wrt=(0, 1))


def test_value_and_grad_form_keeps_the_value():
    src = s2sad.value_and_grad(logistic).source(arr(3), arr(5, 3), arr(5))
    assert "np.mean" in src


# --------------------------------------------------------------- the passes alone
def fill_pass(text, kinds, joined):
    from s2sad.analysis.shapes import ShapeClasses

    classes = ShapeClasses()
    for a, b in joined:
        classes.union(a, b)
    body = gast.parse(text).body
    out = keep_fills_scalar(body, Names(kinds.get, classes.find), {"r"}, "np")
    return "".join(unparse(s) for s in out)


def test_a_fill_meeting_an_array_of_another_class_is_made_an_array_first():
    kinds = {"g": SCALAR, "t": array_kind(1), "b": array_kind(1)}
    out = fill_pass("t_bar = np.full_like(t, g)\nr = t_bar * b", kinds, [("t", "t")])
    assert out.splitlines() == ["t_bar = g", "t_bar = np.full_like(t, t_bar)", "r = t_bar * b"]


def test_a_fill_added_into_stays_a_number_only_with_numbers_and_fills():
    kinds = {"g": SCALAR, "t": array_kind(1), "p": array_kind(1)}
    out = fill_pass("a = np.full_like(t, g)\na += 2.0\na += p\nr = a", kinds, [("t", "p")])
    assert out.splitlines() == ["a = g", "a += 2.0", "a = np.full_like(t, a)", "a += p", "r = a"]


def test_returned_fills_are_arrays():
    kinds = {"g": SCALAR, "t": array_kind(2)}
    out = fill_pass("r = np.full_like(t, g)", kinds, [("t", "t")])
    assert out.splitlines() == ["r = g", "r = np.full_like(t, r)"]


def inline(text, adjoints, returned=()):
    body = gast.parse(text).body
    body, _ = inline_once_read(body, set(adjoints), set(returned), set(adjoints))
    return "".join(unparse(s) for s in body).splitlines()


def test_inline_does_not_move_a_value_past_a_write_into_what_it_reads():
    # an entry restored in place (x[0] = ...) may show through t: a_bar stays where it was computed
    assert inline("a_bar = t * 2\nx[0] = 1.0\nb_bar = a_bar + 1", ["a_bar", "b_bar"]) == [
        "a_bar = t * 2", "x[0] = 1.0", "b_bar = a_bar + 1"
    ]  # fmt: skip
    assert inline("a_bar = t * 2\nt = u\nb_bar = a_bar + 1", ["a_bar", "b_bar"])[0] == "a_bar = t * 2"
    assert inline("a_bar = t.pop()\nc = t.pop()\nb_bar = a_bar + c", ["a_bar", "b_bar"])[0] == "a_bar = t.pop()"


def test_inline_keeps_values_read_twice_in_loops_or_returned():
    assert inline("a_bar = t * 2\nb_bar = a_bar + a_bar", ["a_bar", "b_bar"])[0] == "a_bar = t * 2"
    assert inline("a_bar = t * 2\nfor i in r:\n    b_bar = a_bar", ["a_bar", "b_bar"])[0] == "a_bar = t * 2"
    assert inline("a_bar = t * 2\nb_bar = a_bar", ["a_bar", "b_bar"], ["a_bar"])[0] == "a_bar = t * 2"
    assert inline("a_bar = t * 2\nb_bar = a_bar\na_bar += 1", ["a_bar", "b_bar"])[0] == "a_bar = t * 2"
