"""`s2sad export`: the generated gradient as a module that runs where s2sad
cannot be imported, and gives what `s2sad.grad` gives."""

import pathlib
import pickle
import re
import shlex
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad.cli import load_function, main
from s2sad.export import ExportError

ROOT = pathlib.Path(__file__).resolve().parent.parent

# a user's module that does not import s2sad: globals (a float, arrays) that the generated code reads
USER = """
import numpy as np

DECAY = 0.99
TARGET = np.array([0.25, -0.5, 1.0])
REG = 1e-2


def loop(x):
    for i in range(50):
        x = x * DECAY + np.sin(x) * 0.01
    return x


def helper(x, w):
    return np.tanh(x * w) + DECAY


def with_helper(x, w):
    return helper(x, w) * helper(w, x) + np.log(x)


def mlp(W, b, X):
    h = np.tanh(X @ W + b)
    return np.mean((h - TARGET) ** 2) + REG * np.sum(W * W)


def noisy(x):
    rng = np.random.default_rng(7)
    return x * rng.standard_normal()


def uses_noisy(x):
    return noisy(x) * x + np.sin(x)


def scaled(v):
    return np.sum(helper(v, 2.0))


def twice(x, v):
    return with_helper(x, 0.5) + scaled(v)


def bilinear(A, x):
    return np.einsum("i,ij,j->", x, A, x) + np.sum(np.max(A, axis=0))
"""

# (name, FILE.py:FUNC, export options, arguments): each exported, then run where s2sad cannot be imported
rng = np.random.default_rng(0)
W, b, X = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((5, 4))
MLP_KINDS = "X=array,Y=array,W1=array,b1=array,W2=array,b2=array"
W1, b1, W2, b2 = rng.standard_normal((2, 8)), np.zeros(8), rng.standard_normal((8, 2)), np.zeros(2)
Xm = rng.standard_normal((6, 2))
Ym = np.eye(2)[[0, 1, 1, 0, 1, 0]]
CASES = [
    ("lecture", "examples/lecture.py:f", ["--wrt", "x1,x2"], (2.0, 5.0)),
    ("loop", "USER:loop", [], (0.7,)),
    ("with_helper", "USER:with_helper", ["--wrt", "x,w"], (0.8, 1.3)),
    ("mlp", "USER:mlp", ["--wrt", "W,b", "--kinds", "W=array2,b=array1,X=array2"], (W, b, X)),
    ("example_mlp", "examples/mlp.py:loss", ["--wrt", "W1,b1,W2,b2", "--kinds", MLP_KINDS], (W1, b1, W2, b2, Xm, Ym)),
    ("uses_noisy", "USER:uses_noisy", [], (0.6,)),  # an impure callee: a split derivative, its closure copied
    ("twice", "USER:twice", ["--wrt", "x,v", "--kinds", "v=array1"], (0.9, np.array([0.1, -0.4, 2.0]))),
    # a list, a helper, an in-place write; rnn.py imports s2sad, and its helper `cell` is copied, not imported
    (
        "rnn",
        "examples/rnn.py:loss",
        ["--wrt", "W,U", "--kinds", "W=array2,U=array2,xs=array2,h0=array1,targets=array1"],
        (W[:3, :3] * 0.5, W.T * 0.5, X, np.zeros(3), X[:, 0]),
    ),
    # runtime helpers calling helpers, and raising s2sad's NoRuleError (a stand-in class is copied)
    ("bilinear", "USER:bilinear", ["--wrt", "A,x", "--kinds", "A=array2,x=array1"], (W[:3], b)),
]

DRIVER = """
import importlib, pickle, sys

try:
    import s2sad  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("s2sad could be imported: the test proves nothing")
jobs = pickle.load(open(sys.argv[1], "rb"))
results = {name: getattr(importlib.import_module(module), function)(*args) for name, module, function, args in jobs}
assert not [m for m in sys.modules if m == "s2sad" or m.startswith("s2sad.")], "the export imported s2sad"
pickle.dump(results, open(sys.argv[2], "wb"))
"""


def _target(spec, user):
    where, _, func = spec.partition(":")
    return f"{user if where == 'USER' else ROOT / where}:{func}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Export every case with the CLI, then import and call the exported
    modules in a Python where `import s2sad` fails."""
    base = tmp_path_factory.mktemp("export")
    user = base / "user" / "userfns.py"
    user.parent.mkdir()
    user.write_text(USER)
    out = base / "out"
    out.mkdir()
    jobs = []
    for name, spec, options, args in CASES:
        assert main(["export", _target(spec, user), *options, "-o", str(out / f"grad_{name}.py")]) == 0
        jobs.append((name, f"grad_{name}", f"grad_{spec.partition(':')[2]}", args))
    blocker = base / "blocker"
    blocker.mkdir()
    (blocker / "s2sad.py").write_text('raise ImportError("s2sad is not installed here")\n')
    (out / "driver.py").write_text(DRIVER)
    with open(out / "jobs.pkl", "wb") as f:
        pickle.dump(jobs, f)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(blocker)}
    run = subprocess.run(
        [sys.executable, "driver.py", "jobs.pkl", "results.pkl"], cwd=out, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    with open(out / "results.pkl", "rb") as f:
        results = pickle.load(f)
    return user, out, results


def _expected(spec, options, args, user):
    fn = load_function(_target(spec, user))
    wrt = options[options.index("--wrt") + 1] if "--wrt" in options else "0"
    names = tuple(int(w) if w.isdigit() else w for w in wrt.split(","))
    return s2sad.grad(fn, wrt=names if len(names) > 1 else names[0])(*args)


def _assert_same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
        return
    assert type(got) is type(want)  # a float for a float, an array for an array
    assert np.shape(got) == np.shape(want)
    assert np.allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_exported_module_without_s2sad_agrees_with_grad(exported, case):
    user, _, results = exported
    name, spec, options, args = case
    _assert_same(results[name], _expected(spec, options, args, user))


def test_exported_loop_agrees_with_central_differences(exported):
    user, _, results = exported
    loop = load_function(f"{user}:loop")
    h = 1e-6
    numeric = (loop(0.7 + h) - loop(0.7 - h)) / (2 * h)
    assert np.isclose(results["loop"], numeric, rtol=1e-7)


def test_exported_module_reads_user_globals_by_import_and_copies_the_rest(exported):
    _, out, _ = exported
    text = (out / "grad_with_helper.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+s2sad", text, re.M)
    assert "from userfns import DECAY\n" in text
    assert "def helper(x, w):" in text  # the user's function the forward sweep calls: copied, as it was
    assert "def unbroadcast(" in text  # a runtime helper, copied
    assert "def dhelper(" in text and "def dwith_helper(" in text  # the callee's derivatives, copied
    assert "def grad_with_helper(x, w):" in text
    lecture = (out / "grad_lecture.py").read_text()
    assert "userfns" not in lecture and "sys.path" not in lecture  # it reads only np: no user import
    bilinear = (out / "grad_bilinear.py").read_text()
    assert "def einsum_explicit(" in bilinear and "class NoRuleError(Exception):" in bilinear
    assert "from .errors" not in bilinear


def test_exported_header_says_where_from_and_how_to_regenerate(exported):
    user, out, _ = exported
    text = (out / "grad_mlp.py").read_text()
    head = text.split('"""')[0]
    assert f"s2sad {s2sad.__version__}" in head and str(user) in head
    assert "function: mlp" in head and "wrt: (W, b)" in head and "W=array2,b=array1,X=array2" in head
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", head)
    assert "snapshot" in head
    command = re.search(r"^#     (python -m s2sad export .*)$", head, re.M).group(1)
    argv = shlex.split(command)
    assert argv[argv.index("-o") + 1] == str(out / "grad_mlp.py")


def test_regenerate_command_gives_the_same_module(exported, tmp_path):
    user, out, _ = exported
    head = (out / "grad_mlp.py").read_text()
    argv = shlex.split(re.search(r"^#     python -m s2sad (export .*)$", head, re.M).group(1))
    argv[argv.index("-o") + 1] = str(tmp_path / "again.py")
    assert main(argv) == 0
    again = (tmp_path / "again.py").read_text().replace(str(tmp_path / "again.py"), str(out / "grad_mlp.py"))
    assert again.splitlines()[1:] == head.splitlines()[1:]  # all but the date line


def test_exported_module_is_ruff_clean(exported):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    _, out, _ = exported
    files = sorted(str(p) for p in out.glob("grad_*.py"))
    run = subprocess.run([ruff, "check", "--isolated", *files], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_cli_export_in_a_subprocess(tmp_path):
    target = tmp_path / "grad_lecture.py"
    run = subprocess.run(
        [sys.executable, "-m", "s2sad", "export", "examples/lecture.py:f", "--wrt", "x1,x2", "-o", str(target)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert str(target) in run.stdout
    namespace = {}
    exec(compile(target.read_text(), str(target), "exec"), namespace)
    f = load_function(f"{ROOT / 'examples/lecture.py'}:f")
    _assert_same(namespace["grad_f"](2.0, 5.0), s2sad.grad(f, wrt=("x1", "x2"))(2.0, 5.0))
    assert "python -m s2sad export examples/lecture.py:f --wrt x1,x2" in target.read_text()


def _module(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_export_refuses_a_user_module_that_imports_s2sad(tmp_path, capsys):
    path = _module(
        tmp_path,
        "trains",
        """
        import numpy as np
        import s2sad

        SCALE = 3.0

        def f(x):
            return SCALE * np.sin(x)
        """,
    )
    out = tmp_path / "grad_f.py"
    assert main(["export", f"{path}:f", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "imports s2sad" in err and "trains" in err
    assert not out.exists()
    with pytest.raises(ExportError, match="imports s2sad"):
        s2sad.export(load_function(f"{path}:f"))


def test_export_refuses_what_an_enclosing_function_holds(tmp_path):
    def make(scale):
        def f(x):
            return scale * np.sin(x)

        return f

    with pytest.raises(ExportError, match="enclosing function"):
        s2sad.export(make(2.0))


def test_export_refuses_several_outputs_and_int_wrt():
    def pair(x):
        return x * 2.0, x * 3.0

    def scale(x, n):
        return x * n

    with pytest.raises(s2sad.OutputError):
        s2sad.export(pair)
    with pytest.raises(s2sad.ArgumentError, match="kind int"):
        s2sad.export(scale, wrt="n", kinds={"n": "int"})
    with pytest.raises(s2sad.ArgumentError, match="kind 'matrix'"):
        s2sad.export(scale, kinds={"x": "matrix"})


def test_exported_gradient_refuses_other_kinds_than_it_was_made_for():
    def f(x, w):
        return np.sum(np.sin(x) * w)

    namespace = {}
    exec(s2sad.export(f, wrt=("x", "w"), kinds={"x": "array1", "w": "scalar"}), namespace)
    grad_f = namespace["grad_f"]
    x = np.linspace(0.0, 1.0, 4)
    _assert_same(grad_f(x, 2.0), s2sad.grad(f, wrt=("x", "w"))(x, 2.0))
    with pytest.raises(TypeError, match="x of kind 'array1'"):
        grad_f(np.ones((2, 2)), 2.0)  # code specialised to 1-d arrays
    with pytest.raises(TypeError, match="w of kind 'scalar'"):
        grad_f(x, np.ones(4))  # a float was assumed: its adjoint is not summed over the array
    with pytest.raises(TypeError, match="x of kind 'array1'"):
        grad_f(np.arange(4), 2.0)  # an integer array is not differentiated


def test_exported_gradient_checks_a_tuple_of_ints_item_by_item():
    def f(x, axes=(0, 1)):
        return np.sum(np.sin(x), axis=axes) * 2.0

    text = s2sad.export(f, kinds={"x": "array2"})
    assert "--kinds x=array2 " in text  # the tuple's kind comes from the default again
    namespace = {}
    exec(text, namespace)
    x = np.arange(6.0).reshape(2, 3)
    _assert_same(namespace["grad_f"](x), s2sad.grad(f)(x))
    _assert_same(namespace["grad_f"](x, (1, 0)), s2sad.grad(f)(x, (1, 0)))
    with pytest.raises(TypeError, match="axes of kind 'tuple.int,int.'"):
        namespace["grad_f"](x, (0,))


def test_exported_gradient_of_a_list_of_tuples_has_its_structure():
    def layers(params, x):
        for W, b in params:
            x = np.tanh(W @ x + b)
        return np.sum(x * x)

    kinds = {"params": "list[tuple(array2,array1)]", "x": "array1"}
    namespace = {}
    exec(s2sad.export(layers, kinds=kinds), namespace)
    rng = np.random.default_rng(3)
    params = [(rng.standard_normal((3, 2)), rng.standard_normal(3)), (rng.standard_normal((2, 3)), np.zeros(2))]
    x = rng.standard_normal(2)
    got = namespace["grad_layers"](params, x)
    assert isinstance(got, list) and all(isinstance(item, tuple) for item in got)
    _assert_same(tuple(got), tuple(s2sad.grad(layers)(params, x)))
    with pytest.raises(TypeError, match="params of kind"):
        namespace["grad_layers"]([(params[0][0], 1.0)], x)  # a float where a 1-d array was assumed


def test_exported_names_do_not_collide(tmp_path):
    """Two callees both called `dg` by their callers, and a user global that
    shadows a builtin, keep their meaning in the one module."""
    path = _module(
        tmp_path,
        "clash",
        """
        import numpy as np

        max = 3.0

        def g(x):
            return np.sin(x) * max

        def a(x):
            return g(x) * x

        def b(v):
            return np.sum(g(v))

        def top(x, v):
            return a(x) + b(v)
        """,
    )
    fn = load_function(f"{path}:top")
    text = s2sad.export(fn, wrt=("x", "v"), kinds={"v": "array1"}, module_file=str(path))
    assert "max as max_2" in text and "def dg_2(" in text
    namespace = {}
    exec(compile(text, "clash_export", "exec"), namespace)
    v = np.array([0.3, -1.2])
    _assert_same(namespace["grad_top"](0.4, v), s2sad.grad(fn, wrt=("x", "v"))(0.4, v))


def test_export_imports_an_importable_module_by_its_name():
    from tests.e2e.imports_case import spelled_differently

    text = s2sad.export(spelled_differently, kinds={"x": "array1"})
    assert "from tests.e2e.imports_case import e, sin" in text and "sys.path" not in text
    assert "import numpy as jnp_like" in text  # a module read under another name keeps it
    assert "python -m s2sad export tests.e2e.imports_case:spelled_differently" in text
    namespace = {}
    exec(compile(text, "spelled_export", "exec"), namespace)
    x = np.linspace(0.2, 1.0, 5)
    _assert_same(namespace["grad_spelled_differently"](x), s2sad.grad(spelled_differently)(x))


def test_export_refuses_a_bound_method():
    class Model:
        def loss(self, x):
            return x * x

    with pytest.raises(ExportError, match="plain function"):
        s2sad.export(Model().loss)


def test_export_refuses_a_user_module_that_imports_s2sad_through_another(tmp_path):
    _module(
        tmp_path,
        "trainer_helpers",
        """
        import s2sad

        def helper(x):
            return x * 2.0
        """,
    )
    path = _module(
        tmp_path,
        "uses_helpers",
        """
        from trainer_helpers import helper

        SCALE = 3.0

        def f(x):
            return SCALE * helper(x)
        """,
    )
    with pytest.raises(ExportError, match="trainer_helpers imports s2sad"):
        s2sad.export(load_function(f"{path}:f"), module_file=str(path))


def test_export_never_overwrites_the_users_file(tmp_path, capsys):
    path = _module(
        tmp_path,
        "model",
        """
        import numpy as np

        SCALE = 2.0

        def f(x):
            return SCALE * np.sin(x)
        """,
    )
    before = path.read_text()
    assert main(["export", f"{path}:f", "-o", str(path)]) == 1
    assert "is the file f comes from" in capsys.readouterr().err
    assert path.read_text() == before
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    assert main(["export", f"{path}:f", "-o", str(elsewhere / "model.py")]) == 1  # it would import itself
    assert "cannot be called model.py" in capsys.readouterr().err
    assert not (elsewhere / "model.py").exists()


def test_export_names_a_lambda_by_the_name_it_is_bound_to(tmp_path):
    path = _module(
        tmp_path,
        "lambdas",
        """
        import numpy as np

        f = lambda x: np.sin(x) * x  # noqa: E731
        """,
    )
    out = tmp_path / "grad_lambda.py"
    assert main(["export", f"{path}:f", "-o", str(out)]) == 0
    namespace = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    fn = load_function(f"{path}:f")
    _assert_same(namespace["grad_f"](0.3), s2sad.grad(fn)(0.3))
