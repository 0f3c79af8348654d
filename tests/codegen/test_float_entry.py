"""The float entry (s2sad.codegen.floats.float_entry): on Python numbers,
``grad`` and ``value_and_grad`` run from their second call on one generated
function that checks the bindings, computes with ``math`` and returns what
the call returns. Same results as the first call (the NumPy code), gradients
that agree with central differences, results of the same types, and every
change the general path notices noticed too."""

import importlib.util
import math
import types
import warnings

import gast
import numpy as np
import pytest

import s2sad
from s2sad.codegen.emit import render_function
from s2sad.codegen.floats import EntrySpec, float_entry

from .test_floats import lecture, mixed  # the programs the float variant is checked on


def loop(x, steps=20, rate=0.01):
    for _ in range(steps):
        x = x * 0.99 + np.sin(x) * rate
    return x


def linear(x, y):
    return 3.0 * x - y / 2.0 + 1.0


CASES = [  # (function, wrt, argument sampler); ints and bools among the arguments too
    (lecture, (0, 1), lambda r: (r.uniform(0.1, 5.0), r.uniform(-5.0, 5.0))),
    (lecture, 0, lambda r: (r.uniform(0.1, 5.0), r.uniform(-5.0, 5.0))),
    (lecture, (1,), lambda r: (r.uniform(0.1, 5.0), r.uniform(-5.0, 5.0))),
    (lecture, 0, lambda r: (r.uniform(0.1, 5.0), int(r.integers(-3, 4)))),
    (loop, 0, lambda r: (r.uniform(-3.0, 3.0),)),
    (loop, 0, lambda r: (r.uniform(-3.0, 3.0), int(r.integers(1, 6)))),
    (loop, (0,), lambda r: (r.uniform(-3.0, 3.0), 4, r.uniform(0.0, 0.1))),
    (mixed, (0, 1), lambda r: (r.uniform(0.1, 2.0), r.uniform(-2.0, 2.0))),
    (mixed, 1, lambda r: (r.uniform(0.1, 2.0), r.uniform(-2.0, 2.0), True)),
    (linear, (0, 1), lambda r: (r.uniform(-2.0, 2.0), r.uniform(-2.0, 2.0))),
]


def _central(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def _run(g, args):
    """The function the call path runs for arguments of these types."""
    n = len(args)
    key = type(args[0]) if n == 1 else tuple(map(type, args))
    return g._runs.get(key)


def _is_float_entry(run):
    return run is not None and run.__code__.co_filename.endswith(", float entry>")


def _leaves(v):
    return [x for item in v for x in _leaves(item)] if isinstance(v, tuple) else [v]


@pytest.mark.parametrize("f, wrt, sample", CASES, ids=[f"{c[0].__name__}-{c[1]}-{k}" for k, c in enumerate(CASES)])
def test_float_entry_gives_the_first_calls_results(f, wrt, sample):
    rng = np.random.default_rng(12)
    for make in (s2sad.grad, s2sad.value_and_grad):
        g = make(f, wrt=wrt)
        for _ in range(15):
            args = sample(rng)
            first = make(f, wrt=wrt)(*args)  # a fresh gradient's first call: the NumPy code
            g(*args)
            got = g(*args)
            assert _is_float_entry(_run(g, args))
            assert type(got) is type(first)
            assert len(_leaves(got)) == len(_leaves(first))
            for a, b in zip(_leaves(got), _leaves(first)):
                assert type(a) is (float if type(b) in (float, np.float64) else type(b))
                assert a == pytest.approx(float(b), rel=1e-13, abs=1e-300)
            grads = got[1] if make is s2sad.value_and_grad else got
            grads = grads if isinstance(grads, tuple) else (grads,)
            if make is s2sad.value_and_grad:
                assert got[0] == pytest.approx(f(*args), rel=1e-13)
            positions = (wrt,) if isinstance(wrt, int) else wrt
            for k, i in enumerate(positions):
                assert grads[k] == pytest.approx(_central(f, args, i), rel=1e-5, abs=1e-6)


def test_seed_folded_and_results_typed_in_the_generated_entry():
    g = s2sad.grad(lecture, wrt=(0, 1))
    g(2.0, 5.0)
    g(2.0, 5.0)
    import linecache

    text = "".join(linecache.getlines(_run(g, (2.0, 5.0)).__code__.co_filename))
    assert "y_bar" not in text and "cos_(x2)" in text and "np.cos" not in text
    assert "float_(" not in text  # both gradients proven floats: returned as they are


def test_domain_error_and_exceptions_are_the_numpy_codes():
    g = s2sad.value_and_grad(lecture, wrt=(0, 1))
    g(2.0, 5.0)
    g(2.0, 5.0)
    assert _is_float_entry(_run(g, (2.0, 5.0)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, (g1, g2) = g(-1.0, 5.0)
    assert math.isnan(value) and g1 == -1.0 + 5.0 and g2 == pytest.approx(-1.0 - np.cos(5.0))
    assert any("invalid value encountered in log" in str(w.message) for w in caught)
    with pytest.raises(ZeroDivisionError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2sad.grad(lecture, wrt=(0, 1))(0.0, 1.0)
    first_notes = getattr(info.value, "__notes__", [])
    gg = s2sad.grad(lecture, wrt=(0, 1))
    gg(1.0, 1.0)
    gg(1.0, 1.0)
    with pytest.raises(ZeroDivisionError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gg(0.0, 1.0)
    assert getattr(info.value, "__notes__", []) == first_notes  # the generated line it came from, as before
    assert gg(1.0, 1.0) == (2.0, pytest.approx(1.0 - np.cos(1.0)))


def test_defaults_changed_between_calls():
    g = s2sad.grad(loop)
    for _ in range(3):
        want = g(0.7)
    assert _is_float_entry(_run(g, (0.7,)))
    loop.__defaults__ = (5, 0.01)
    try:
        assert g(0.7) == g(0.7) == pytest.approx(s2sad.grad(loop)(0.7, 5), rel=1e-13) != want
    finally:
        loop.__defaults__ = (20, 0.01)
    assert g(0.7) == g(0.7) == want


_MODULE = """
import numpy as np

def f(x):
    return np.sin(x) * x
"""


def _fake_numpy():
    """A module like NumPy whose sin is NumPy's cos."""
    fake = types.ModuleType("fake_numpy")
    fake.__dict__.update({k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    fake.sin = np.cos
    return fake


def test_global_rebound_and_deleted_between_calls(tmp_path):
    path = tmp_path / "float_entry_rebound.py"
    path.write_text(_MODULE)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    g = s2sad.grad(m.f)
    for _ in range(3):
        assert g(0.3) == pytest.approx(np.sin(0.3) + 0.3 * np.cos(0.3), rel=1e-13)
    assert _is_float_entry(_run(g, (0.3,)))
    m.np = _fake_numpy()
    for _ in range(3):
        assert g(0.3) == pytest.approx(np.cos(0.3) - 0.3 * np.sin(0.3), rel=1e-13)
    m.np = np
    for _ in range(3):
        assert g(0.3) == pytest.approx(np.sin(0.3) + 0.3 * np.cos(0.3), rel=1e-13)
    assert _is_float_entry(_run(g, (0.3,)))
    del m.np
    with pytest.raises(Exception) as fresh:
        s2sad.grad(m.f)(0.3)
    with pytest.raises(type(fresh.value)):
        g(0.3)


def make_closure(np):
    def k(x):
        return np.sin(x) * 2.0

    return k


def test_closure_cell_rebound_between_calls():
    k = make_closure(np)
    g = s2sad.grad(k)
    for _ in range(3):
        assert g(0.3) == pytest.approx(2 * np.cos(0.3), rel=1e-13)
    assert _is_float_entry(_run(g, (0.3,)))
    k.__closure__[0].cell_contents = _fake_numpy()
    for _ in range(3):
        assert g(0.3) == pytest.approx(-2 * np.sin(0.3), rel=1e-13)
    k.__closure__[0].cell_contents = np
    for _ in range(3):
        assert g(0.3) == pytest.approx(2 * np.cos(0.3), rel=1e-13)


def test_other_argument_types_keep_their_own_path():
    g = s2sad.grad(lecture, wrt=(0, 1))
    for _ in range(3):
        got = g(np.float64(2.0), np.float64(5.0))
    assert all(type(v) is np.float64 for v in got) and not _is_float_entry(_run(g, (np.float64(2.0),) * 2))
    for _ in range(3):
        got = g(2.0, 5.0)
    assert all(type(v) is float for v in got) and _is_float_entry(_run(g, (2.0, 5.0)))
    x = np.array(2.0)  # 0-d: the output stays a scalar
    for _ in range(3):
        got = g(x, 5.0)
    assert type(got[0]) is np.ndarray and got[0].shape == () and np.allclose(got[0], 1 / x + 5.0)
    assert type(got[1]) is float


def _gen(text):
    return gast.parse(text).body[0]


def test_unproven_floats_are_converted_and_others_left_alone():
    fn = _gen("def df(x, n, y_bar=1.0):\n    x_bar = abs(x)\n    n_bar = abs(n)\n    return x_bar, n_bar")
    made, names = float_entry(fn, {"np": np, "math": math}, {}, {},
                              EntrySpec((float, int), 2, (0, 1), False, False, "y_bar", True, fallback=print))
    text = render_function(made, {})
    assert "float_(x_bar)" in text  # abs(x) of a float: not proven (abs is not math's)
    assert "float_(n_bar)" not in text  # an int's gradient is returned as the NumPy code's call path returns it
    assert names["float_"] is float and names["fallback"] is print


def test_refused_where_the_form_is_not_the_expected_one():
    spec = EntrySpec((float,), 1, (0,), True, False, "y_bar", True, fallback=print)
    injected = {"np": np, "math": math}
    assert float_entry(_gen("def df(x, z=1.0):\n    return x"), injected, {}, {}, spec) is None  # no seed
    assert float_entry(_gen("def df(x, y_bar=2.0):\n    return x"), injected, {}, {}, spec) is None  # seed of 2.0
    assert float_entry(_gen("def df(x, y_bar=1.0):\n    return np.sign(x)"), injected, {}, {}, spec) is None
    with_value = EntrySpec((float,), 1, (0,), True, True, "y_bar", True, fallback=print)
    assert float_entry(_gen("def df(x, y_bar=1.0):\n    return x"), injected, {}, {}, with_value) is None
