"""Rough edges a new user hits: the `s2sad` command run from a project's
directory, `--kinds` that do not fit, and tracebacks of refusals that show the
user's code rather than s2sad's insides."""

import os
import pathlib
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pytest

import s2sad

from . import error_cases as ec

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = os.path.dirname(os.path.abspath(s2sad.__file__))

# The console script `s2sad` calls s2sad.cli:main with its own directory, not
# the current one, first on sys.path: run main the same way.
ENTRY_POINT = (
    "import sys; sys.path.remove('') if '' in sys.path else None; "
    "from s2sad.cli import main; sys.exit(main())"
)

MODULE = textwrap.dedent(
    """\
    import numpy as np


    def f(x, y):
        return np.sin(x) * y


    def refused(x):
        try:
            return x * x
        except ValueError:
            return x
    """
)


def run_entry_point(tmp_path, *args):
    (tmp_path / "mod.py").write_text(MODULE)
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's s2sad; not the current directory
    return subprocess.run(
        [sys.executable, "-c", ENTRY_POINT, *args], capture_output=True, text=True, cwd=tmp_path, env=env
    )


# ------------------------------------------------------- the `s2sad` command
def test_console_script_loads_a_module_of_the_current_directory(tmp_path):
    out = run_entry_point(tmp_path, "show", "mod:f", "--wrt", "x,y")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("def df(x, y")
    assert "x_bar" in out.stdout and "np.cos(x)" in out.stdout


def test_console_script_check_loads_a_module_of_the_current_directory(tmp_path):
    out = run_entry_point(tmp_path, "check", "mod:f", "--at", "0.5, 2.0", "--wrt", "x,y")
    assert out.returncode == 0, out.stderr
    assert "agrees with central differences" in out.stdout


@pytest.mark.parametrize(
    "kinds,says",
    [
        ("x=foo", "'foo' is not a kind"),
        ("z=array", "has no argument 'z'"),
        ("x=array,w=scalar", "has no argument 'w'"),
        ("x", "write NAME=KIND"),
    ],
)
def test_kinds_that_do_not_fit_are_refused_in_one_line(tmp_path, kinds, says):
    out = run_entry_point(tmp_path, "show", "mod:f", "--kinds", kinds)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert says in lines[0]
    if "=" in kinds:  # the message lists what would have been accepted
        assert "scalar" in lines[0] and "array" in lines[0] and "x, y" in lines[0]


def test_kinds_that_fit_are_used(tmp_path):
    floats = run_entry_point(tmp_path, "show", "mod:f")
    out = run_entry_point(tmp_path, "show", "mod:f", "--kinds", "x=scalar,y=array1")
    assert out.returncode == 0, out.stderr
    # sin(x) * y: the adjoint of the float sin(x) sums over y's shape (unbroadcast to a float: np.sum)
    assert "np.sum(y_1_bar * y)" in out.stdout and "np.sum" not in floats.stdout


def test_source_refuses_kinds_that_do_not_fit():
    with pytest.raises(s2sad.ArgumentError, match="has no argument 'z'"):
        s2sad.source(ec.uses_try, kinds={"z": "array"})
    with pytest.raises(s2sad.ArgumentError, match="'matrix' is not a kind"):
        s2sad.source(ec.uses_try, kinds={"x": "matrix"})


def test_cli_refusal_is_the_message_and_a_caret(tmp_path):
    out = run_entry_point(tmp_path, "show", "mod:refused")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith('s2sad: File "') and "mod.py\", line 9" in lines[0] and "try" in lines[0]
    assert lines[1].strip() == "try:"
    assert lines[2].strip() == "^"
    assert lines[3].startswith("hint:")


# ------------------------------------------------------------- tracebacks
def _no_source():
    namespace: dict = {}
    exec("def typed_at_a_repl(x):\n    return x * x\n", namespace)  # noqa: S102 - a function without source
    return namespace["typed_at_a_repl"]


CALLS = {
    "grad": lambda fn: s2sad.grad(fn)(1.0),
    "value_and_grad": lambda fn: s2sad.value_and_grad(fn)(1.0),
    "vjp": lambda fn: s2sad.vjp(fn)(1.0, 1.0),
    "jvp": lambda fn: s2sad.jvp(fn)(1.0, 1.0),
    "jacobian": lambda fn: s2sad.jacobian(fn)(np.ones(2)),
    "hessian": lambda fn: s2sad.hessian(fn)(1.0),
    "hvp": lambda fn: s2sad.hvp(fn)(1.0, 1.0),
    "grad_grad": lambda fn: s2sad.grad(s2sad.grad(fn))(1.0),
    "source": lambda fn: s2sad.source(fn),
    "grad_source": lambda fn: s2sad.grad(fn).source(1.0),
    "check_grad": lambda fn: s2sad.check_grad(fn, 1.0),
}


def _formatted(call, fn):
    with pytest.raises(s2sad.S2SADError) as info:
        call(fn)
    return "".join(traceback.format_exception(info.value))


def _frames(text):
    return [line.strip() for line in text.splitlines() if line.strip().startswith('File "')]


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("fn", [ec.uses_try, _no_source()], ids=["refused", "no_source"])
def test_traceback_shows_the_users_frames_only(name, fn, monkeypatch):
    monkeypatch.delenv("S2SAD_TRACEBACK", raising=False)
    text = _formatted(CALLS[name], fn)
    frames = _frames(text)
    assert frames and all(PACKAGE not in f for f in frames), text
    assert any(__file__ in f for f in frames), text  # the user's call is there
    assert "During handling of the above exception" not in text
    assert "The above exception was the direct cause" not in text
    assert "OSError" not in text
    assert ("try statement" in text) if fn is ec.uses_try else ("cannot read the source" in text)


def test_traceback_of_a_refusal_points_at_the_users_file(monkeypatch):
    monkeypatch.delenv("S2SAD_TRACEBACK", raising=False)
    text = _formatted(CALLS["grad"], ec.uses_try)
    assert "error_cases.py" in text and "^" in text


def test_full_traceback_on_request(monkeypatch):
    monkeypatch.setenv("S2SAD_TRACEBACK", "full")
    text = _formatted(CALLS["grad"], _no_source())
    assert any(PACKAGE in f for f in _frames(text))
    assert "OSError" in text  # the internal exception the refusal was found through


def test_derivatives_errors_of_the_users_own_code_are_left_alone(monkeypatch):
    """Only S2SADErrors are trimmed: an error in the user's function keeps its
    traceback, down to the generated line and the user's."""
    monkeypatch.delenv("S2SAD_TRACEBACK", raising=False)

    def fails(x):
        return x[5] * 2.0

    with pytest.raises(IndexError) as info:
        s2sad.grad(fails)(np.ones(2))
    text = "".join(traceback.format_exception(info.value))
    assert "<s2sad: gradient of fails" in text


# ------------------------------------------------ refusals that say what to do
def list_item_written(x):
    lst = [x, x * 2.0]
    lst[0] = x * x
    return lst[0] + lst[1]


def list_argument_item_written(x, ys):
    ys[0] = x
    return ys[0] * x


def tuple_item_written(x):
    t = (x, x)
    t[0] = x * 3.0
    return t[0]


def list_rebuilt(x):
    lst = [x, x * 2.0, x]
    i = 1
    lst = lst[:i] + [x * x] + lst[i + 1 :]
    return lst[0] + lst[1] * lst[2]


def tuple_rebuilt(x):
    t = (x, x * 2.0, x)
    i = 1
    t = t[:i] + (x * x,) + t[i + 1 :]
    return t[0] + t[1] * t[2]


def list_extended(x):
    items = [x]
    items.extend([x * 2.0])
    return sum(items)


def copies_into(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


def indexed_twice(x):
    A = np.zeros((2, 2))
    A[0][1] = x
    return np.sum(A)


def writes_through_transpose(x):
    A = np.zeros((2, 2))
    A.T[0] = x
    return np.sum(A)


_G = np.zeros(2)


def writes_a_global(x):
    _G[0] = x
    return np.sum(_G)


def set_literal(x):
    s = {1.0, 2.0}
    return x * len(s)


def f_string(x):
    print(f"{x}")
    return x * x


def lambda_called_in_place(x):
    return (lambda v: v * 2.0)(x)


MISLEADING = [
    # (function, arguments, what the message must say, what the hint must say, what neither may say)
    (list_item_written, (1.5,), "`lst`, a list", "lst = lst[:i] + [v] + lst[i + 1:]", "array s2sad cannot prove"),
    (list_argument_item_written, (1.5, [1.0, 2.0]), "`ys`, a list", "ys = ys[:i] + [v]", "ys.copy()"),
    (tuple_item_written, (1.5,), "`t`, a tuple", "t = t[:i] + (v,) + t[i + 1:]", "t.copy()"),
    (list_extended, (1.5,), "may change `items` in place", "build a new list", "array"),
    (copies_into, (np.ones(3),), "may change `y` in place", "y[...] = v", "change `x`"),
    (indexed_twice, (1.5,), "two indexes", "a[i, j] = v", "local array"),
    (writes_through_transpose, (1.5,), "`A.T`, a view of `A`", "write into `A` itself", "np.copy"),
    (writes_a_global, (1.5,), "`_G`", "a = np.copy(_G)", "local array"),
    (set_literal, (1.5,), "a set literal", "a list", "README"),
    (f_string, (1.5,), "an f-string", "print the values themselves", "README"),
    (lambda_called_in_place, (1.5,), "lambda", "g = lambda v: ...", "README"),
]


@pytest.mark.parametrize("fn,args,says,hint,not_said", MISLEADING, ids=[c[0].__name__ for c in MISLEADING])
def test_refusal_says_what_it_is_and_what_to_do(fn, args, says, hint, not_said):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)(*args)
    text = str(info.value)
    message, _, advice = text.partition("hint:")
    assert says in message, text
    assert hint in advice, text
    assert not_said not in text
    assert info.value.location is not None and info.value.location.filename == __file__


@pytest.mark.parametrize("fn", [list_rebuilt, tuple_rebuilt])
def test_the_rebuild_the_list_hint_suggests_works(fn):
    s2sad.check_grad(fn, 1.5)


def test_writing_into_a_copy_of_a_global_as_the_hint_says_works():
    def copies_the_global(x):
        a = np.copy(_G)
        a[0] = x
        return np.sum(a * a)

    s2sad.check_grad(copies_the_global, 1.5)


def test_wrt_of_a_function_without_positional_arguments():
    def only_varargs(*xs):
        return xs[0]

    with pytest.raises(s2sad.ArgumentError) as info:
        s2sad.grad(only_varargs)
    assert "has no positional arguments" in str(info.value) and "()" not in str(info.value)


class _Model:
    def __init__(self):
        self.W = np.array([0.5, -1.0])

    def writes_its_weights(self, x):
        self.W[0] = x
        return np.sum(self.W)

    def copies_its_weights(self, x):
        a = np.copy(self.W)
        a[0] = x
        return np.sum(a * a)


def test_writing_into_an_attribute_is_refused_and_the_hinted_copy_works():
    model = _Model()
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="`self.W`") as info:
        s2sad.grad(model.writes_its_weights)(1.5)
    assert "a = np.copy(self.W)" in str(info.value).split("hint:")[1]
    s2sad.check_grad(model.copies_its_weights, 1.5)


# ------------------------------------------------------- the design page
def _shown_blocks():
    """(command, code block) for each block of docs/design.md marked as `s2sad show` output."""
    import re

    text = (ROOT / "docs" / "design.md").read_text()
    return re.findall(r"<!-- s2sad show (.+?) -->\n```python\n(.*?)```", text, flags=re.S)


def test_design_page_has_shown_blocks():
    assert len(_shown_blocks()) >= 6


@pytest.mark.parametrize("command,block", _shown_blocks(), ids=[c for c, _ in _shown_blocks()])
def test_design_page_shows_what_s2sad_prints(command, block):
    out = subprocess.run(
        [sys.executable, "-m", "s2sad", "show", *command.split()], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == block


def test_readme_and_package_point_at_nothing_outside_the_repository():
    texts = {"README.md": (ROOT / "README.md").read_text(), "docs/design.md": (ROOT / "docs/design.md").read_text()}
    for path in pathlib.Path(PACKAGE).rglob("*.py"):
        texts[str(path)] = path.read_text()
    for where, text in texts.items():
        for pointer in ("DESIGN.md", "DESIGN's", "../shared", "STYLE.md", "the lecture's"):
            assert pointer not in text, (where, pointer)
    assert "docs/design.md" in texts["README.md"]
