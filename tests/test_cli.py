"""`s2sad show` as a user runs it: a subprocess, plain text when piped."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def run(*args):
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True, text=True, cwd=ROOT)


def test_show_lecture_example_matches_golden():
    out = run("show", "examples/lecture.py:f", "--wrt", "x1,x2")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (GOLDEN / "lecture_show.txt").read_text()


def test_show_loop_matches_golden():
    out = run("show", "tests/e2e/programs.py:scalar_loop")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (GOLDEN / "scalar_loop_show.txt").read_text()


def test_show_output_is_valid_python():
    out = run("show", "examples/mlp.py:loss", "--wrt", "W1,b1,W2,b2", "--kinds", "X=array,W1=array")
    assert out.returncode == 0, out.stderr
    compile(out.stdout, "<show>", "exec")
    assert "W1_bar" in out.stdout and "# reverse sweep" in out.stdout


def test_show_module_form():
    out = run("show", "tests.e2e.programs:lecture", "--wrt", "0,1")
    assert out.returncode == 0, out.stderr
    assert "x1_bar" in out.stdout and "x2_bar" in out.stdout


def test_show_missing_file():
    out = run("show", "no/such/file.py:f")
    assert out.returncode == 1
    assert "no such file" in out.stderr
    assert "Traceback" not in out.stderr


def test_show_missing_function():
    out = run("show", "examples/lecture.py:nope")
    assert out.returncode == 1
    assert "has no function 'nope'" in out.stderr


def test_show_refusal_is_reported_with_location():
    out = run("show", "tests/e2e/error_cases.py:uses_try")
    assert out.returncode == 1
    assert "error_cases.py" in out.stderr and "line" in out.stderr and "try" in out.stderr
    assert "Traceback" not in out.stderr


def test_show_forward_mode():
    out = run("show", "examples/lecture.py:f", "--wrt", "x1,x2", "--mode", "forward")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("def f_jvp(x1, x2, x1_dot, x2_dot):")
    assert "t2_dot = x1_dot * x2 + x1 * x2_dot" in out.stdout
    compile(out.stdout, "<show>", "exec")


def test_show_second_order():
    out = run("show", "tests/e2e/programs.py:scalar_loop", "--order", "2")
    assert out.returncode == 0, out.stderr
    assert "def dscalar_loop(" in out.stdout and "def dscalar_loop_jvp(" in out.stdout
    assert "tape_dot.append(x_dot)" in out.stdout
    compile(out.stdout, "<show>", "exec")


def test_check_command_agrees():
    out = run("check", "examples/lecture.py:f", "--at", "2.0, 5.0", "--wrt", "x1,x2")
    assert out.returncode == 0, out.stderr
    assert "agrees with central differences" in out.stdout


def test_check_command_reports_refusal():
    out = run("check", "tests/e2e/error_cases.py:uses_try", "--at", "1.0")
    assert out.returncode == 1
    assert "try" in out.stderr and "Traceback" not in out.stderr


def test_examples_run():
    for example in ("examples/lecture.py", "examples/mlp.py", "examples/rnn.py"):
        out = subprocess.run([sys.executable, example], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, (example, out.stderr)
