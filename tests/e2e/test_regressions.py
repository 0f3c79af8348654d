"""Programs on which s2sad was once wrong (found by the differential fuzzer,
``python -m tools.fuzz``), checked against numerical gradients."""

import numpy as np
import pytest

import s2sad

from .regressions import REGRESSIONS

CASES = [(fn, args, wrt) for fn, arg_sets, wrt in REGRESSIONS for args in arg_sets]


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)])
def test_regression(fn, args, wrt):
    s2sad.check_grad(fn, *args, wrt=wrt)


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)])
def test_regression_forward_mode_agrees_with_reverse(fn, args, wrt):
    import numpy as np

    names = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(0)

    def direction(a):  # lists and tuples (pytrees) get a direction of the same structure
        if isinstance(a, (list, tuple)):
            return type(a)(direction(e) for e in a)
        return rng.standard_normal(np.shape(a)) if np.ndim(a) else 0.7

    def dot(g, v):
        if isinstance(v, (list, tuple)):
            assert isinstance(g, type(v)) and len(g) == len(v), "a gradient has its argument's structure"
            return sum(dot(p, q) for p, q in zip(g, v))
        return float(np.sum(np.asarray(g) * np.asarray(v)))

    directions = tuple(direction(args[k]) for k in names)
    grads = s2sad.grad(fn, wrt=names)(*args)
    _, tangent = s2sad.jvp(fn, wrt=names)(*args, directions)
    want = sum(dot(g, v) for g, v in zip(grads, directions))
    assert float(tangent) == pytest.approx(want, rel=1e-7, abs=1e-9)


def _update_then_read_a_second_copy(x):
    a = x * 1.0
    t = a
    s = a
    t *= 3.0  # s sees the change in Python
    return np.sum(s)


def _update_an_argument_alias_then_read_it(y):
    t = y
    t %= 1.0  # y sees the change in Python
    u = y
    return np.sum(u * u)


@pytest.mark.parametrize("fn", [_update_then_read_a_second_copy, _update_an_argument_alias_then_read_it])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_update_seen_through_a_second_copy_is_refused(fn, mode):
    # two copies of one array were once merged into one name before the alias
    # analysis ran, which then missed the read of the changed array: wrong values
    x = np.array([1.3, -0.4, 2.7])
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="changes an array in place"):
        if mode == "grad":
            s2sad.grad(fn)(x)
        else:
            s2sad.jvp(fn)(x, np.ones(3))
