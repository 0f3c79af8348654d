"""Debuggable generated code and a cache that stays correct."""

import threading
import traceback

import numpy as np
import pytest

import s2sad


def sqrt_at_zero(x):
    y = np.sqrt(x)
    return y * 2.0


def test_check_finite_names_the_user_line():
    with pytest.raises(FloatingPointError) as info, np.errstate(divide="ignore"):
        s2sad.grad(sqrt_at_zero, check_finite=True)(0.0)
    text = str(info.value)
    assert "non-finite adjoint" in text
    assert "test_debug.py" in text and "y = np.sqrt(x)" in text


def test_without_check_finite_the_gradient_is_just_inf():
    with np.errstate(divide="ignore"):
        assert np.isinf(s2sad.grad(sqrt_at_zero)(0.0))


def early_return(x):
    if x > 1.0:
        return x * 2.0
    return x * x


def list_loss(x):
    xs = [x, x * 2.0]
    return xs[0] * xs[1]


def test_check_finite_passes_placeholders_and_containers():
    # the adjoint of a value the path taken never computed is None (the early
    # return's placeholder): check_finite raised a TypeError on it
    assert s2sad.grad(early_return, check_finite=True)(0.5) == pytest.approx(1.0)
    assert s2sad.grad(early_return, check_finite=True)(1.5) == pytest.approx(2.0)
    assert s2sad.grad(list_loss, check_finite=True)(1.5) == pytest.approx(6.0)


def shape_mismatch(W, x):
    return np.sum(W @ x)


def test_traceback_shows_generated_line_and_user_line():
    df = s2sad.grad(shape_mismatch)
    with pytest.raises(ValueError) as info:
        df(np.ones((2, 3)), np.ones(4))
    text = "".join(traceback.format_exception(info.value))
    assert "<s2sad: gradient of shape_mismatch" in text  # the generated file name
    assert "t1 = W @ x" in text  # the generated line itself, from linecache
    notes = getattr(info.value, "__notes__", [])
    assert any("test_debug.py" in n for n in notes)


def test_redefined_function_gets_fresh_derivative(tmp_path):
    first = tmp_path / "mod1.py"
    first.write_text("def f(x):\n    return x * x\n")
    second = tmp_path / "mod2.py"
    second.write_text("def f(x):\n    return x * x * x\n")
    import importlib.util

    def load(path):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.f

    assert s2sad.grad(load(first))(2.0) == pytest.approx(4.0)
    assert s2sad.grad(load(second))(2.0) == pytest.approx(12.0)


def make_scaled():
    k = 2.0

    def scaled(x):
        return x * k

    def set_k(v):
        nonlocal k
        k = v

    return scaled, set_k


def test_closure_change_is_seen():
    scaled, set_k = make_scaled()
    df = s2sad.grad(scaled)
    assert df(1.0) == pytest.approx(2.0)
    set_k(5.0)
    assert df(1.0) == pytest.approx(5.0)


def poly(x):
    return np.sum(x ** 3 + np.sin(x))


def test_cache_is_thread_safe():
    errors = []
    results = []

    def work(seed):
        try:
            x = np.random.default_rng(seed).standard_normal(4)
            g = s2sad.grad(poly)(x)
            results.append(np.allclose(g, 3 * x ** 2 + np.cos(x)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [True] * 8


def test_grad_source_attribute_lists_callees():
    from tests.e2e.programs import helper_calls

    text = s2sad.grad(helper_calls, wrt=(0, 1)).source(0.3, 0.7)
    assert "def d_square(" in text and "def d_pair(" in text and "def dhelper_calls(" in text
    compile(text, "<show>", "exec")
