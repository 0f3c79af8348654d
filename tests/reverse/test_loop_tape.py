"""What a loop keeps on its tape (s2sad.reverse.transform, analysis.liveness.kept_restores):
only values the rest of the reverse sweep reads before they are set again; nothing for a
value the loop computes from values it never changes; a view ``xs[t]`` recomputed.
Each case is checked against central differences at several shapes (fixed seeds), and
the generated source is checked for what it keeps."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

import s2sad


def rnn(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def fixed_cos(x, y):
    for _ in range(6):
        y = y * np.cos(x) + 0.1 * y
    return np.sum(y)


def fixed_inside_if(x, y):
    for i in range(6):
        if i % 2 == 0:
            c = np.cos(x)
            y = y * c
        y = y + 0.1 * np.sin(y)
    return np.sum(y)


def changes_per_outer_iteration(x, y):
    # c is fixed in the inner loop only: it must be kept once per outer iteration
    for _ in range(3):
        c = np.cos(x)
        for _k in range(4):
            y = y * c + 0.05
        x = x * 1.1
    return np.sum(y)


def written_rows(xs, y):
    # xs[t] changes inside the loop: it may not be recomputed from xs
    xs = xs.copy()
    for t in range(xs.shape[0]):
        v = xs[t]
        y = y * v + 0.1
        xs[t] = y * 2.0
    return np.sum(y)


def reads_previous_row(xs, y):
    # v is read before it is set again in the next iteration: the previous row
    v = xs[0]
    for t in range(1, xs.shape[0]):
        y = y * v + np.sin(y)
        v = xs[t]
    return np.sum(y * v)


def nested_rows(xs, y):
    for i in range(xs.shape[0]):
        for j in range(xs.shape[1]):
            y = np.sin(y * xs[i, j]) + xs[i][j]
    return np.sum(y)


def while_break(x):
    y = x
    while x < 10.0:
        y = y * 1.5
        if y > 5.0:
            break
        x = x + y * 0.1
    return x * y


def while_continue(x, n):
    k = 0
    while k < n:
        k = k + 1
        if k % 3 == 0:
            continue
        x = np.sin(x) * 1.1
    return np.sum(x)


def unread_after_loop(x):
    y = x
    for _ in range(5):
        y = y * 1.5
        x = x + y * 0.1
    return x * y


@pytest.mark.parametrize("n,h", [(1, 1), (3, 4), (7, 5)])
def test_rnn_matches_differences(n, h):
    rng = np.random.default_rng(n * 10 + h)
    W, U = rng.normal(size=(h, h)) * 0.5, rng.normal(size=(h, 3)) * 0.5
    xs, h0 = rng.normal(size=(n, 3)), rng.normal(size=h)
    s2sad.check_grad(rnn, W, U, xs, h0, wrt=(0, 1, 2, 3))


def test_rnn_recomputes_the_row_it_reads():
    source = s2sad.source(rnn, wrt=(0, 1))
    reverse = source.split("# reverse sweep")[1]
    assert "= xs[t]" in reverse  # a view of a fixed array at the loop's index: computed again
    assert source.count("tape.append") == source.count("tape.pop") <= 3


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("f", [fixed_cos, fixed_inside_if, changes_per_outer_iteration])
def test_fixed_values_match_differences(f, shape):
    rng = np.random.default_rng(len(shape))
    x = rng.normal(size=shape) if shape else 0.7
    y = rng.normal(size=shape) if shape else -0.4
    s2sad.check_grad(f, x, y, wrt=(0, 1))


def test_a_value_the_loop_never_changes_is_not_kept():
    source = s2sad.source(fixed_cos, wrt=(0, 1))
    assert source.count("tape.append") == 1  # y only, not np.cos(x)
    assert "x_bar - " in source  # x_bar + -t * np.sin(x), folded


def test_a_value_fixed_only_in_the_inner_loop_is_kept_per_outer_iteration():
    source = s2sad.source(changes_per_outer_iteration, wrt=(0, 1))
    assert "tape.append(c)" in source


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("f", [written_rows, reads_previous_row])
def test_views_that_change_match_differences(f, n):
    rng = np.random.default_rng(n)
    s2sad.check_grad(f, rng.normal(size=(n + 1, 3)), rng.normal(size=3), wrt=(0, 1))


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (4, 2)])
def test_nested_rows_match_differences(shape):
    rng = np.random.default_rng(shape[0])
    s2sad.check_grad(nested_rows, rng.normal(size=shape) * 0.5, rng.normal(size=2), wrt=(0, 1))


@pytest.mark.parametrize("x", [0.1, 0.5, 2.0, 4.0, 11.0])
def test_while_break_matches_differences(x):
    s2sad.check_grad(while_break, x)


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_while_continue_matches_differences(n):
    s2sad.check_grad(while_continue, np.array([0.3, -0.8]), n)


def test_a_value_read_only_before_the_loop_is_not_kept():
    source = s2sad.source(unread_after_loop)
    reverse = source.split("# reverse sweep")[1]
    assert "tape" not in source, source  # y and x: read by the reverse sweep only at their last values
    assert "for _ in reversed" in reverse
    s2sad.check_grad(unread_after_loop, 0.3)


def for_break(x, n):
    for i in range(n):
        x = np.sin(x) * 1.2 + 0.1 * i
        if np.sum(x) > 1.0:
            break
        x = x * 1.1
    return np.sum(x * x)


def break_inside_outer_loop(x):
    for i in range(3):
        k = 0
        while k < 4:
            k = k + 1
            x = x * 1.3 + 0.05
            if np.sum(x) > 2.0 + i:
                break
            x = np.sin(x)
    return np.sum(x)


@pytest.mark.parametrize("n", [0, 1, 3, 8])
@pytest.mark.parametrize("shape", [(), (2,)])
def test_for_break_matches_differences(n, shape):
    x = np.full(shape, 0.2) if shape else 0.2
    s2sad.check_grad(for_break, x, n)


@pytest.mark.parametrize("x", [0.1, 0.6, 1.5])
def test_break_inside_an_outer_loop_matches_differences(x):
    s2sad.check_grad(break_inside_outer_loop, np.array([x, -0.2 * x]))


def test_while_break_keeps_no_flag_on_the_tape():
    source = s2sad.source(while_break)
    assert "tape" not in source, source
    assert "for _ in range(" in source
    assert " + -" not in source


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_while_break_breaks_where_the_user_did(mode):
    # the flags that lower `break` for the transforms give way to a real break:
    # one flag left (reverse mode: did the last iteration break off?), no guards
    source = s2sad.source(while_break, mode=mode)
    forward = source.split("# reverse sweep")[0]
    assert [line.strip() for line in forward.splitlines()].count("break") == 1, source
    assert "go" not in forward.replace("gold", ""), source
    assert "stop_1" not in source, source
    assert ("stop = True" in forward) == (mode == "reverse"), source


# ---------------------------------------------------------------- golden `show` output
GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"
SHOWN = {
    "rnn_show.txt": ["tests/reverse/test_loop_tape.py:rnn", "--wrt", "W,U", "--kinds", "W=array,U=array,xs=array,h0=array"],
    "while_break_show.txt": ["tests/reverse/test_loop_tape.py:while_break"],
}


@pytest.mark.parametrize("golden", sorted(SHOWN))
def test_show_matches_golden(golden):
    root = GOLDEN.parent.parent
    out = subprocess.run([sys.executable, "-m", "s2sad", "show", *SHOWN[golden]], capture_output=True, text=True,
                         cwd=root)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout == (GOLDEN / golden).read_text()


def test_rnn_on_arrays_keeps_one_value_per_iteration():
    """Called on arrays (their broadcast pattern known), the RNN's gradient
    keeps only ``h`` on its tape and reads as a person writes it
    (``np.outer``, ``t7_bar @ W``): the golden text is the whole gradient."""
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(6, 6)), rng.normal(size=(6, 3))
    xs, h0 = rng.normal(size=(5, 3)), rng.normal(size=6)
    source = s2sad.grad(rnn, wrt=(0, 1)).source(W, U, xs, h0)
    assert source == (GOLDEN / "rnn_grad_arrays.txt").read_text()
    assert source.count("tape.append(") == 1
    s2sad.check_grad(rnn, W, U, xs, h0, wrt=(0, 1, 2, 3))
