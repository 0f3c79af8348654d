"""grad(grad(f)) to any order: forward mode over the generated code, checked
against closed forms and central differences of the lower order."""

import math

import numpy as np
import pytest

import s2sad


def quartic(x):
    return x ** 4 - 3.0 * x ** 2


def sine(x):
    return np.sin(x)


def exp_of_sin(x):
    return math.exp(math.sin(x))


def loop(x):
    for _ in range(5):
        x = x * np.sin(x) + 0.5
    return x


def branchy(x):
    if x > 0:
        y = x ** 3
    else:
        y = -x ** 2
    return y * np.exp(x)


def two_args(x, y):
    return np.sin(x) * y ** 3


def with_array(x, W):
    return np.tanh(x * np.sum(W * W))


CLOSED_FORMS = [
    (quartic, 1, lambda x: 4 * x ** 3 - 6 * x),
    (quartic, 2, lambda x: 12 * x ** 2 - 6),
    (quartic, 3, lambda x: 24 * x),
    (quartic, 4, lambda x: 24.0),
    (sine, 2, lambda x: -math.sin(x)),
    (sine, 3, lambda x: -math.cos(x)),
    (sine, 5, lambda x: math.cos(x)),
    (exp_of_sin, 2, lambda x: math.exp(math.sin(x)) * (math.cos(x) ** 2 - math.sin(x))),
]


def _nth(fn, n):
    d = fn
    for _ in range(n):
        d = s2sad.grad(d)
    return d


@pytest.mark.parametrize("fn,order,exact", CLOSED_FORMS, ids=[f"{f.__name__}-{n}" for f, n, _ in CLOSED_FORMS])
@pytest.mark.parametrize("x", [0.3, -1.1, 2.0])
def test_derivative_of_order_n_matches_closed_form(fn, order, exact, x):
    assert _nth(fn, order)(x) == pytest.approx(exact(x), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("fn", [loop, branchy], ids=["loop", "branch"])
@pytest.mark.parametrize("x", [0.3, -0.8])
def test_second_and_third_derivatives_match_differences_of_the_lower_order(fn, x):
    eps = 1e-5
    for order in (2, 3):
        lower = _nth(fn, order - 1)
        numeric = (lower(x + eps) - lower(x - eps)) / (2 * eps)
        assert _nth(fn, order)(x) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_mixed_partial():
    assert s2sad.grad(s2sad.grad(two_args), wrt=1)(0.5, 2.0) == pytest.approx(math.cos(0.5) * 12.0)


def test_outer_gradient_over_an_array():
    W = np.array([0.1, 0.2, 0.3])
    got = s2sad.grad(s2sad.grad(with_array), wrt="W")(0.7, W)
    eps = 1e-6
    inner = s2sad.grad(with_array)
    want = np.array([(inner(0.7, W + eps * e) - inner(0.7, W - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_gradient_of_a_vector_gradient_is_refused():
    with pytest.raises(s2sad.OutputError, match="not a scalar"):
        s2sad.grad(s2sad.grad(with_array, wrt="W"))(0.7, np.ones(3))


@pytest.mark.parametrize("name", ["max_of_several", "long_signature", "index_kept_by_empty_loop"])
def test_second_and_third_order_of_issue8_programs(name):
    # grad(grad(.)) through builtin max/min once met minmax_tangent without a
    # forward rule; a long signature and an empty loop crashed the generated code
    from .e2e import regressions as rg

    fn = getattr(rg, name)
    args = {"max_of_several": (1.3,), "long_signature": (0.3, 0.7, 1.1, 0.4),
            "index_kept_by_empty_loop": (1.3, 0)}[name]
    eps = 1e-5
    g = s2sad.grad(fn)
    second = s2sad.grad(s2sad.grad(fn))(*args)
    numeric = (g(args[0] + eps, *args[1:]) - g(args[0] - eps, *args[1:])) / (2 * eps)
    assert second == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    assert s2sad.hvp(fn)(*args, 1.0) == pytest.approx(second, rel=1e-9)
    gg = s2sad.grad(s2sad.grad(fn))
    third = s2sad.grad(s2sad.grad(s2sad.grad(fn)))(*args)
    numeric3 = (gg(args[0] + eps, *args[1:]) - gg(args[0] - eps, *args[1:])) / (2 * eps)
    assert third == pytest.approx(numeric3, rel=1e-4, abs=1e-5)


def test_third_order_of_a_norm():
    # the tangent of norm_adjoint goes through norm_adjoint_tangent, which
    # has a forward rule too
    def f(x):
        return np.linalg.norm(x) ** 3

    third = s2sad.grad(s2sad.grad(s2sad.grad(f)))(1.7)
    assert third == pytest.approx(6.0)


def _solve_loss(A, b):
    x = np.linalg.solve(A, b)
    return np.sum(x * x)


def test_second_derivative_through_a_helper_without_forward_rule_names_the_users_line():
    # the gradient calls s2sad's solve_adjoint, which has no forward rule: the error names
    # the user's line the gradient's line comes from, not the generated code
    A, b = np.eye(3) * 2.0 + 0.1, np.ones(3)
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.hessian(_solve_loss, wrt=1)(A, b)
    text = str(info.value)
    assert __file__ in text and "x = np.linalg.solve(A, b)" in text, text
    assert "second derivative" in text and "<s2sad" not in text, text
