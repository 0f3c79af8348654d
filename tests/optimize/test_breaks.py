# ruff: noqa: B007
"""Breaks where they happen (s2sad.optimize.breaks) and the reverse sweep's
break flag (reverse.transform._exit_guards): the rewrite keeps every value,
the generated code breaks where the user did, and gradients of loops left by
break or return agree with central differences on paths that break early,
late and never, in both modes and at second order."""

import math

import gast
import numpy as np
import pytest

import s2sad
from s2sad.ir.core import unparse
from s2sad.optimize.breaks import restore_breaks
from tests.reverse.test_loop_tape import while_break

# ---------------------------------------------------------------- programs


def for_break(x):
    s = 0.0
    for i in range(10):
        s = s + np.sin(x * i)
        if s > 2.0:
            break
        s = s * 1.1
    return s


def two_breaks(x):
    s = x
    for i in range(8):
        s = s * 1.2 + 0.1
        if s > 3.0:
            break
        s = np.sin(s) + s
        if s < -1.0:
            break
        s = s * 0.9
    return s * x


def break_in_nested_if(x):
    s = x
    k = 0
    while k < 6:
        s = s * 1.3
        if s > 0.0:
            if s > 2.5:
                s = s - 0.5
                break
            s = s + 0.1
        k = k + 1
    return s


def early_return_in_loop(x):
    for i in range(5):
        x = x * 1.5
        if x > 4.0:
            return x * 2.0
    return x


def break_in_inner_loop(x):
    s = x
    for i in range(4):
        j = 0
        while j < 3:
            s = s * 1.1
            if s > 3.0:
                break
            j = j + 1
        s = s - 0.2 * np.cos(s)
    return s


def array_while_break(x):
    k = 0
    while k < 6:
        x = np.tanh(x) * 1.4 + 0.1
        if np.sum(x) > 2.0:
            break
        x = x * 1.1
        k = k + 1
    return np.sum(x * x)


def loop_in_branch_with_break(x):
    s = x
    if x > 0.0:
        for i in range(6):
            s = s * 1.25
            if s > 2.0:
                break
    return s * s


SCALAR_PROGRAMS = [while_break, for_break, two_breaks, break_in_nested_if, early_return_in_loop,
                   break_in_inner_loop, loop_in_branch_with_break]  # fmt: skip
# inputs that break at once, late, or never (and loops that run no iteration);
# while_break runs forever on a negative x
POINTS = [0.05, 0.2, 0.45, 0.9, 1.7, 2.6, 3.4, 12.0]
NEGATIVE = [-3.0, -0.7]


def _central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def _smooth_at(f, x, h=1e-4):
    """Away from a point where the path (how many iterations, which break) changes."""
    return abs(_central(f, x, h) - _central(f, x, h / 10)) < 1e-4 * (1 + abs(_central(f, x, h)))


@pytest.mark.parametrize("f", SCALAR_PROGRAMS, ids=lambda f: f.__name__)
def test_gradient_matches_differences(f):
    checked = 0
    grad_f = s2sad.grad(f)  # from its second call on Python floats, its float variant runs
    for x in POINTS + (NEGATIVE if f is not while_break else []):
        if not _smooth_at(f, x):
            continue
        checked += 1
        want = _central(f, x)
        for _ in range(3):
            assert grad_f(x) == pytest.approx(want, rel=1e-6, abs=1e-7), x
        value, g = s2sad.value_and_grad(f)(x)
        assert value == pytest.approx(f(x), rel=1e-14) and g == pytest.approx(want, rel=1e-6, abs=1e-7), x
        assert s2sad.jvp(f)(x, 1.0)[1] == pytest.approx(want, rel=1e-6, abs=1e-7), x
    assert checked >= 5


@pytest.mark.parametrize("f", [while_break, for_break, two_breaks], ids=lambda f: f.__name__)
def test_second_order_matches_differences_of_gradients(f):
    g = s2sad.grad(f)
    for x in (0.2, 0.9, 1.7):
        if not _smooth_at(f, x):
            continue
        want = (g(x + 1e-5) - g(x - 1e-5)) / 2e-5
        assert s2sad.hessian(f)(x) == pytest.approx(want, rel=1e-5, abs=1e-6), x


def continue_or_return_in_loop(x):
    s = x
    t = x * 0.5 + 0.1
    u = 0.3
    for i in range(1):
        if s > 2.44:
            if t > 1.59:
                continue
            return u * u * 0.5 + 0.2
        t = t - 0.1 * s * s
    return s + t * u + u * 0.5


def test_second_order_through_a_continuation_run_on_the_break_path():
    # the rest of the body, run where the return breaks off, assigns `t8 =
    # 0.1 * s` a second time; the gradient never keeps it (the same in every
    # iteration), and its forward mode merged the two into a copy that read it
    # where neither had run (NameError in hessian at 3.3, on the `continue` path)
    g = s2sad.grad(continue_or_return_in_loop)
    for x in (-1.1, 0.15, 2.1, 3.3):
        want = (g(x + 1e-5) - g(x - 1e-5)) / 2e-5
        assert s2sad.hessian(continue_or_return_in_loop)(x) == pytest.approx(want, rel=1e-5, abs=1e-6), x


@pytest.mark.parametrize("shape", [(3,), (2, 2), (5,)])
def test_array_loop_gradient_matches_differences(shape):
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.uniform(-0.5, 0.8, shape)
        d = rng.standard_normal(shape)
        want = (array_while_break(x + 1e-6 * d) - array_while_break(x - 1e-6 * d)) / 2e-6
        assert np.sum(s2sad.grad(array_while_break)(x) * d) == pytest.approx(want, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("f", SCALAR_PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_generated_code_breaks_where_the_user_did(f, mode):
    source = s2sad.source(f, mode=mode)
    forward = source.split("# reverse sweep")[0]
    lines = [line.strip() for line in forward.splitlines()]
    assert lines.count("break") == (2 if f is two_breaks else 1), source
    assert not any(line.startswith("if stop") for line in lines), source  # no `if stop_1: break` at the end
    inside = [line.strip() for line in forward.splitlines() if line.startswith(" " * 8)]  # loop bodies
    if not (f is two_breaks and mode == "reverse"):  # (there the reverse sweep reads the first break's guard)
        assert not any(line.startswith(("go", "if go")) for line in inside), source


# ---------------------------------------------------------------- the pass alone
FLAGGED = '''
def f(x, n):
    stop = False
    k = 0
    while k < n:
        t = x > 5.0
        if t:
            stop_1 = True
        else:
            stop_1 = stop
        go = not stop_1
        if go:
            x_1 = x * 2.0
        else:
            x_1 = x
        if go:
            k_1 = k + 1
        else:
            k_1 = k
        stop = stop_1
        x = x_1
        k = k_1
        if stop_1:
            break
    return x, k, stop
'''


def _run(source, *args):
    space = {"np": np, "math": math}
    exec(compile(source, "<flagged>", "exec"), space)
    return space["f"](*args)


def _rewritten(source):
    fn = gast.parse(source).body[0]
    return unparse(restore_breaks(fn))


def test_the_rewrite_keeps_every_value():
    rewritten = _rewritten(FLAGGED)
    assert [line.strip() for line in rewritten.splitlines()].count("break") == 1
    assert "go" not in rewritten and "stop_1" not in rewritten, rewritten
    for x in (-1.0, 0.3, 2.9, 5.5, 7.0):
        for n in (0, 1, 3, 10):
            assert _run(rewritten, x, n) == _run(FLAGGED, x, n), (x, n)


@pytest.mark.parametrize(
    "change",
    [
        ("    stop = False\n    k = 0", "    stop = x > 100.0\n    k = 0"),  # the flag is not known False before the loop
        ("        stop = stop_1\n", "        stop = stop_1\n        stop = t\n"),  # set twice in the body
        ("        t = x > 5.0\n", "        t = x > 5.0\n        if k > 100:\n            continue\n"),  # another exit
        ("            stop_1 = stop\n", "            stop_1 = x < -9.0\n"),  # the flag's value unknown on a path
    ],
)
def test_what_is_not_proven_stays_as_it_was(change):
    source = FLAGGED.replace(*change)
    assert source != FLAGGED
    rewritten = _rewritten(source)
    assert "if stop_1:" in rewritten, rewritten
    for x in (-10.0, 0.3, 5.5):
        for n in (0, 2, 5):
            assert _run(rewritten, x, n) == _run(source, x, n), (x, n)


def test_a_value_read_after_the_loop_is_kept_on_the_break_path():
    source = FLAGGED.replace("    return x, k, stop", "    y = x_1 + k_1\n    return x, k, stop, y")
    rewritten = _rewritten(source)
    for x in (0.3, 5.5):
        for n in (1, 4):
            assert _run(rewritten, x, n) == _run(source, x, n), (x, n)
