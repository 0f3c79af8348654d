"""The public API as a user calls it."""

import numpy as np
import pytest

import s2sad


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loss(W, b, x):
    return np.sum(np.tanh(W @ x + b) ** 2)


def saxpy(abc, x, y):
    a, b, c = abc
    return np.sum(a * x + b * y * c)


def test_grad_first_argument_by_default():
    assert s2sad.grad(lecture)(2.0, 5.0) == pytest.approx(1 / 2 + 5)


@pytest.mark.parametrize("wrt", [(0, 1), ("x1", "x2"), (0, "x2"), (-2, -1)])
def test_grad_wrt_forms(wrt):
    g = s2sad.grad(lecture, wrt=wrt)(2.0, 5.0)
    assert isinstance(g, tuple) and len(g) == 2
    assert g == pytest.approx((5.5, 2 - np.cos(5.0)))


def test_single_name_gives_single_gradient():
    g = s2sad.grad(lecture, wrt="x2")(2.0, 5.0)
    assert isinstance(g, float)
    assert g == pytest.approx(2 - np.cos(5.0))


def test_decorator_forms():
    @s2sad.grad
    def f(x):
        return x * x

    @s2sad.grad(wrt="y")
    def h(x, y):
        return x * y * y

    assert f(3.0) == pytest.approx(6.0)
    assert h(2.0, 3.0) == pytest.approx(12.0)


def test_value_and_grad():
    value, grads = s2sad.value_and_grad(lecture, wrt=(0, 1))(2.0, 5.0)
    assert value == pytest.approx(lecture(2.0, 5.0))
    assert grads == pytest.approx((5.5, 2 - np.cos(5.0)))


def test_gradients_have_argument_shape_and_dtype():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal(4).astype(np.float32)
    gW, gb = s2sad.grad(loss, wrt=("W", "b"))(W, b, x)
    assert gW.shape == W.shape and gW.dtype == np.float32
    assert gb.shape == b.shape and gb.dtype == np.float32


def test_float_argument_gives_python_float():
    assert type(s2sad.grad(lecture)(2.0, 5.0)) is float


def test_tuple_argument_gets_tuple_gradient():
    g = s2sad.grad(saxpy)((2.0, np.ones(3), 3.0), np.arange(3.0), np.ones(3))
    assert isinstance(g, tuple)
    assert g[0] == pytest.approx(3.0)
    np.testing.assert_allclose(g[1], 3.0 * np.ones(3))
    assert g[2] == pytest.approx(3.0)


def test_vjp_for_vector_output():
    def f(x):
        return np.sin(x) * x

    x = np.linspace(0.1, 1.0, 4)
    u = np.array([1.0, -2.0, 0.5, 3.0])
    value, g = s2sad.vjp(f)(x, u)
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(g, u * (np.cos(x) * x + np.sin(x)))


def test_source_is_text_and_attribute():
    text = s2sad.source(lecture, wrt=(0, 1))
    assert text.startswith("def dlecture(x1, x2, y_bar=1.0):")
    assert "# reverse sweep" in text
    assert s2sad.grad(lecture).source(2.0, 5.0).startswith("def dlecture(")


def test_keyword_arguments_in_call():
    g = s2sad.grad(lecture, wrt="x1")(x2=5.0, x1=2.0)
    assert g == pytest.approx(5.5)


def test_check_grad_reports_argument_and_entry():
    def wrong(x):
        return np.sum(x * x)

    s2sad.register_adjoint(_bad_square, {"x": "g * 3.0 * x"})

    def uses_bad(x):
        return np.sum(_bad_square(x))

    with pytest.raises(AssertionError, match=r"gradient w.r.t. 'x' disagrees .* entry \(np.int64\(0\),\)|entry \(0,\)"):
        s2sad.check_grad(uses_bad, np.array([0.5, 1.5]))
    s2sad.check_grad(wrong, np.array([0.5, 1.5]))


def _bad_square(x):
    return x * x


def two_outputs(x):
    return np.sin(x), x * x


def test_tuple_output_select_one_or_weight_by_vjp():
    assert s2sad.grad(lambda x: two_outputs(x)[1])(0.5) == pytest.approx(1.0)
    (_, _), g = s2sad.vjp(two_outputs)(0.5, (1.0, 2.0))
    assert g == pytest.approx(np.cos(0.5) + 2.0)


def test_grad_of_tuple_output_is_refused_clearly():
    with pytest.raises(s2sad.OutputError, match="returns several values"):
        s2sad.grad(two_outputs)(0.5)


def test_numpy_under_any_name():
    from .e2e.imports_case import spelled_differently

    s2sad.check_grad(spelled_differently, np.array([0.3, -0.4, 1.2]))
    assert "np.cos" in s2sad.source(spelled_differently, kinds={"x": "array1"})


square_and_double = (lambda x: x * x * 3.0), (lambda y: y * 2.0)


def test_two_lambdas_on_one_line_are_told_apart():
    triple_square, double = square_and_double
    assert s2sad.grad(triple_square)(1.5) == pytest.approx(9.0)
    assert s2sad.grad(double)(1.5) == pytest.approx(2.0)


def test_vjp_refuses_an_output_adjoint_of_another_shape():
    # an adjoint of shape (2,) for a float output would broadcast into a wrong product
    def f(x):
        return np.sum(x * x)

    with pytest.raises(s2sad.ArgumentError, match=r"shape \(2,\).*shape \(\)"):
        s2sad.vjp(f)(np.ones(2), np.ones(2))

    def g(x):
        return x * 2.0, np.sum(x)

    with pytest.raises(s2sad.ArgumentError, match="structure"):
        s2sad.vjp(g)(np.ones(2), np.ones(2))
    value, adjoint = s2sad.vjp(g)(np.ones(2), (np.ones(2), 1.0))
    np.testing.assert_allclose(adjoint, 3.0 * np.ones(2))


def _poly_loss(x, w):
    return np.sum(np.tanh(x * w) ** 2) + np.sum(x * x) * 0.5


def test_array_calls_of_one_type_but_other_ndim_dtype_or_pattern_each_get_their_own_gradient():
    """Array calls run a per-type run guarded by ndim, dtype and broadcast
    pattern: alternating signatures of one type tuple must each get the gradient
    of their own specialisation (checked against a fresh gradient and central differences)."""
    rng = np.random.default_rng(5)
    g = s2sad.grad(_poly_loss, wrt=(0, 1))
    shapes = [((3,), (3,)), ((2, 3), (3,)), ((1, 3), (3,)), ((3,), (3,)), ((2, 1), (1,)), ((2, 3), (3,))]
    for k in range(2):
        for sx, sw in shapes:
            x, w = rng.normal(size=sx), rng.normal(size=sw)
            if k:
                x = x.astype(np.float32)
            got = g(x, w)
            want = s2sad.grad(_poly_loss, wrt=(0, 1))(x, w)
            for a, b, arg in zip(got, want, (x, w)):
                assert a.shape == arg.shape and a.dtype == arg.dtype
                np.testing.assert_allclose(a, b, rtol=1e-12)
            if not k:
                s2sad.check_grad(_poly_loss, x, w, wrt=(0, 1))
