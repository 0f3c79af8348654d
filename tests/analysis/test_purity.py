"""Impure callees in reverse mode (issue 8, section 5): a callee that draws
random numbers, prints or changes state is run ONCE, by its split derivative
``dh_fwd(args) -> (value, back)``; the caller's reverse sweep calls ``back``.
Pure callees keep recomputation. (The gradients themselves are checked against
central differences in tests/e2e/regressions.py, in both modes.)"""

import inspect
import re

import numpy as np
import pytest

import s2sad

from ..e2e import regressions as rg


def test_effects_happen_once_per_gradient_call(capsys):
    rg.EFFECTS.clear()
    capsys.readouterr()
    g = s2sad.grad(rg.calls_printing_helper)
    for calls in (1, 2, 3):
        value = g(0.7)
        assert len(rg.EFFECTS) == calls  # the primal appends once per call, and so does its gradient
        assert capsys.readouterr().out.count("the helper runs") == 1
    assert value == pytest.approx(2 * 0.7 * np.cos(0.49) * 2.0 + 1.0)


def test_global_list_changed_and_read_is_refused():
    # _logs appends to EFFECTS and reads it: the reverse sweep reads globals
    # after the forward sweep, so a global changed and read is refused (conservative)
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="changes the global `EFFECTS`") as info:
        s2sad.grad(rg.calls_logs)(np.array([0.5, -1.0, 2.0]))
    assert info.value.location.filename.endswith("regressions.py")


def test_draws_are_those_of_the_primal():
    # the gradient's draws are the primal's: the value it returns is f's, and
    # after it the RandomState is where f leaves it
    x = np.array([0.1, 0.4, 0.7, 1.0])
    value, _ = s2sad.value_and_grad(rg.nested_impure_helpers_returning_tuples, wrt=(0, 1))(x, 0.7)
    after_grad = rg._RS.randn()
    assert value == rg.nested_impure_helpers_returning_tuples(x, 0.7)
    assert rg._RS.randn() == after_grad == pytest.approx(after_grad)
    rg.nested_impure_helpers_returning_tuples(x, 0.7)
    assert rg._RS.randn() == after_grad


def test_dropout_mlp_gradient_is_deterministic_and_checked():
    args = (rg._W3, rg._W3[:, :2], rg._X43)
    first = s2sad.grad(rg.mlp_with_dropout, wrt=(0, 1))(*args)
    second = s2sad.grad(rg.mlp_with_dropout, wrt=(0, 1))(*args)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    s2sad.check_grad(rg.mlp_with_dropout, *args, wrt=(0, 1))


def _show(fn, **kw):
    return s2sad.source(fn, **kw)


def test_show_reads_one_forward_call_and_the_back_closure():
    text = _show(rg.calls_noisy, kinds={"x": "array1"})
    compile(text, "<show>", "exec")
    split, caller = text.split("\n\n")
    # the callee: forward sweep, then its reverse sweep as a closure it returns
    assert split.startswith("def d_noisy_fwd(x):\n    # forward sweep\n")
    assert split.count("_RS.randn()") == 1
    assert "    # reverse sweep, run when the caller calls back\n    def back(y_bar):\n" in split
    assert split.rstrip().endswith("return y, back")
    # the caller: one forward call, the closure in the reverse sweep, no recomputation
    forward, reverse = caller.split("# reverse sweep")
    assert re.search(r"\n    (\w+), \1_back = d_noisy_fwd\(x\)\n", forward)
    t = re.search(r"(\w+), \1_back = ", forward).group(1)
    assert f"x_bar = {t}_back({t}_bar)" in reverse
    assert "d_noisy_fwd" not in reverse and not re.search(r"(?<!\w)d?_noisy\(", caller)


def test_show_in_a_loop_keeps_one_back_per_iteration():
    text = _show(rg.impure_helper_with_a_loop, kinds={"W": "array2", "x": "array2"})
    compile(text, "<show>", "exec")
    split, caller = text.split("\n\n")
    # the callee's reverse sweep rebinds what its loop overwrote: nonlocal, not locals of back
    assert re.search(r"def back\(h_bar\):\n        nonlocal [\w, ]*\bh\b", split)
    forward, reverse = caller.split("# reverse sweep")
    back = re.search(r"(\w+_back) = d_noisy_loop_fwd\(h, W\)", forward).group(1)
    assert f"tape.append({back})" in forward  # the per-iteration closure is on the tape
    assert f"{back} = tape.pop()" in reverse
    assert reverse.index(f"{back}(") < reverse.index(f"{back} = tape.pop()")


def test_nested_impure_helpers_are_split_all_the_way_down():
    text = _show(rg.nested_impure_helpers_returning_tuples, wrt=(0, 1), kinds={"x": "array1"})
    assert "def d_inner_draw_fwd(x):" in text and "def d_outer_draw_fwd(x, w):" in text
    assert re.search(r"(\w+), \1_back = d_inner_draw_fwd\(t1\)", text)
    assert "d_inner_draw(" not in text and "d_outer_draw(" not in text


def _pure_helper(x):
    return np.sin(x) * x


def calls_pure_helper(x):
    return _pure_helper(x * 2.0) + x


def test_pure_callees_are_still_recomputed():
    text = _show(calls_pure_helper)
    assert "_back" not in text and "def back" not in text and "_fwd" not in text
    assert re.search(r"= d_pure_helper\(t1, y_bar=\w+\)\[1\]", text)


@pytest.mark.parametrize("second", ["hvp", "hessian", "grad_of_grad"])
def test_second_derivatives_through_an_impure_callee_are_refused(second):
    fn = rg.impure_helper_is_the_output
    run = {
        "hvp": lambda: s2sad.hvp(fn)(0.8, 1.0),
        "hessian": lambda: s2sad.hessian(fn)(0.8),
        "grad_of_grad": lambda: s2sad.grad(s2sad.grad(fn))(0.8),
    }[second]
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        run()
    err = info.value
    text = str(err)
    lines, first = inspect.getsourcelines(fn)
    call_line = first + next(k for k, ln in enumerate(lines) if "_noisy(x * x)" in ln)
    assert err.location.filename.endswith("regressions.py")
    assert err.location.lineno == call_line
    assert "_noisy(x * x)" in text and "^" in text
    assert "not pure" in text and "hint:" in text


def test_forward_mode_of_an_impure_callee_still_works():
    # jvp runs each callee once: same draws as the primal
    value, tangent = s2sad.jvp(rg.impure_helper_is_the_output)(0.8, 1.0)
    assert value == rg.impure_helper_is_the_output(0.8)
    assert tangent == pytest.approx(s2sad.grad(rg.impure_helper_is_the_output)(0.8))
