"""The ML corpus (tests/e2e/ml_corpus.py): each program's gradient agrees with
central differences leaf by leaf (float64), and forward mode agrees with
``<grad, v>`` along a random direction.

Arguments may be pytrees (dicts, lists, tuples, namedtuples of floats and
arrays); the checker flattens them itself. Programs tagged ``has_aux`` return
``(loss, aux)`` and go through ``s2sad.value_and_grad(f, has_aux=True)``,
which follows JAX's convention: it returns ``((loss, aux), grads)``.

A program listed in ``PENDING`` must be refused with an ``S2SADError`` today:
it is marked ``xfail(strict=True)``, so once it passes the suite fails until
its entry is removed. A program listed in ``BUGS`` gives a wrong gradient
today: it is marked ``xfail(strict=True, raises=AssertionError)`` with the bug
as the reason, so a fix (or a refusal instead) fails the suite until the entry
is moved or removed. A crash (any other exception) always fails.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

import s2sad

from .ml_corpus import BUGS, PENDING, PROGRAMS

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7


class MissingAPI(Exception):
    """s2sad has no ``has_aux`` yet: the program waits for the feature, like a refusal."""


# ---------------------------------------------------------------- pytrees


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _is_leaf(x):
    return not isinstance(x, (dict, list, tuple))


def flatten(tree):
    """Leaves in a fixed order (dicts by sorted key) and a structure to rebuild from."""
    if isinstance(tree, dict):
        keys = sorted(tree)
        leaves, defs = [], []
        for k in keys:
            ls, d = flatten(tree[k])
            leaves += ls
            defs.append(d)
        return leaves, ("dict", (keys, list(tree)), defs)  # leaves by sorted key; rebuilt in the dict's own order
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for item in tree:
            ls, d = flatten(item)
            leaves += ls
            defs.append(d)
        return leaves, (type(tree), None, defs)
    return [tree], ("leaf", None, None)


def unflatten(treedef, leaves):
    leaves = list(leaves)

    def build(d):
        kind, keys, defs = d
        if kind == "leaf":
            return leaves.pop(0)
        items = [build(sub) for sub in defs]
        if kind == "dict":
            sorted_keys, own_order = keys
            by_key = dict(zip(sorted_keys, items))
            return {k: by_key[k] for k in own_order}
        if _is_namedtuple_type(kind):
            return kind(*items)
        return kind(items)

    return build(treedef)


def _is_namedtuple_type(t):
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields")


def assert_same_structure(got, want, where="gradient"):
    """The gradient has the argument's structure: same containers (a namedtuple's own
    type), same dict keys, same lengths, and leaves of the argument's shape."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: expected a dict, got {type(got).__name__}"
        assert set(got) == set(want), f"{where}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            assert_same_structure(got[k], want[k], f"{where}[{k!r}]")
        return
    if isinstance(want, (list, tuple)):
        assert type(got) is type(want), f"{where}: expected {type(want).__name__}, got {type(got).__name__}"
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_structure(g, w, f"{where}[{i}]")
        return
    assert np.shape(got) == np.shape(want), f"{where}: shape {np.shape(got)} != {np.shape(want)}"


# ---------------------------------------------------------------- numerics


def _positions(fn, wrt):
    names = list(inspect.signature(fn).parameters)
    return [names.index(w) for w in wrt]


def _scalar(value):
    return float(np.asarray(value))


def _value(program, args):
    out = program.fn(*copy.deepcopy(args))
    if "has_aux" in program.tags:
        out = out[0]
    return _scalar(out)


def central_differences(program, args, position):
    """d value / d leaf entry, for every entry of every leaf of argument ``position``."""
    leaves, treedef = flatten(args[position])
    out = []
    for li, leaf in enumerate(leaves):
        base = np.array(leaf, dtype=np.float64)
        g = np.zeros(base.shape)
        for idx in np.ndindex(base.shape):
            values = []
            for step in (EPS, -EPS):
                moved = base.copy()
                moved[idx] += step
                new_leaves = list(leaves)
                new_leaves[li] = float(moved) if not isinstance(leaf, np.ndarray) else moved
                call = list(args)
                call[position] = unflatten(treedef, new_leaves)
                values.append(_value(program, tuple(call)))
            g[idx] = (values[0] - values[1]) / (2 * EPS)
        out.append(g)
    return out


def _random_direction(tree, rng):
    leaves, treedef = flatten(tree)
    moved = [rng.standard_normal(np.shape(x)) if isinstance(x, np.ndarray) else float(rng.standard_normal())
             for x in leaves]
    return unflatten(treedef, moved)


def _dot(a, b):
    return sum(float(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(flatten(a)[0], flatten(b)[0]))


def _assert_trees_close(got, want, what):
    assert_same_structure(got, want, what)
    for i, (g, w) in enumerate(zip(flatten(got)[0], flatten(want)[0])):
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(w, dtype=float), rtol=1e-12, atol=1e-12,
                                   err_msg=f"{what}: leaf {i}")


# ---------------------------------------------------------------- the check


def _gradients(program, args):
    """s2sad's value and gradients (a tuple, one per wrt argument); for has_aux also the aux."""
    if "has_aux" in program.tags:
        if "has_aux" not in inspect.signature(s2sad.value_and_grad).parameters:
            raise MissingAPI("s2sad.value_and_grad has no has_aux parameter")
        (value, aux), grads = s2sad.value_and_grad(program.fn, wrt=program.wrt, has_aux=True)(*args)
        return value, grads, aux
    value, grads = s2sad.value_and_grad(program.fn, wrt=program.wrt)(*args)
    return value, grads, None


def check_program(program):
    args = program.make_args()
    positions = _positions(program.fn, program.wrt)

    # reverse mode: value, aux, structure, every entry against central differences
    call_args = copy.deepcopy(args)
    value, grads, aux = _gradients(program, call_args)
    assert isinstance(grads, tuple) and len(grads) == len(program.wrt)
    expected = program.fn(*copy.deepcopy(args))
    if "has_aux" in program.tags:
        expected, expected_aux = expected
        _assert_trees_close(aux, expected_aux, f"{program.name}: aux")
    assert _scalar(value) == pytest.approx(_scalar(expected), rel=1e-12, abs=1e-12)
    if "argwrite" in program.tags:
        # the derivative leaves the caller's arguments either as they were (it works on a
        # copy) or as the function leaves them — never half-written
        after = copy.deepcopy(args)
        program.fn(*after)
        try:
            _assert_trees_close(list(call_args), list(args), f"{program.name}: arguments after the call")
        except AssertionError:
            _assert_trees_close(list(call_args), list(after), f"{program.name}: arguments after the call")

    for name, pos, g in zip(program.wrt, positions, grads):
        assert_same_structure(g, args[pos], f"{program.name}: gradient of {name}")
        numeric = central_differences(program, args, pos)
        for i, (got, want) in enumerate(zip(flatten(g)[0], numeric)):
            got = np.asarray(got, dtype=float)
            scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * scale * 10,
                                       err_msg=f"{program.name}: gradient of {name}, leaf {i}")

    # forward mode along a random direction: jvp = <grad, v>
    rng = np.random.default_rng(1)
    directions = tuple(_random_direction(args[pos], rng) for pos in positions)
    want = sum(_dot(g, v) for g, v in zip(grads, directions))
    if "has_aux" in program.tags:
        if "has_aux" not in inspect.signature(s2sad.jvp).parameters:
            return  # forward mode of a has_aux function: JAX's jvp(..., has_aux=True) -> (value, tangent, aux)
        value, tangent, _aux = s2sad.jvp(program.fn, wrt=program.wrt, has_aux=True)(*copy.deepcopy(args), directions)
    else:
        value, tangent = s2sad.jvp(program.fn, wrt=program.wrt)(*copy.deepcopy(args), directions)
    assert _scalar(value) == pytest.approx(_scalar(expected), rel=1e-12, abs=1e-12)
    assert _scalar(tangent) == pytest.approx(want, rel=1e-7, abs=1e-9)


def _param(program):
    marks = []
    if program.name in BUGS:
        marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"bug: {BUGS[program.name]}"))
    elif program.name in PENDING:
        marks.append(pytest.mark.xfail(strict=True, raises=(s2sad.S2SADError, MissingAPI),
                                       reason=f"refused today: {PENDING[program.name]}"))
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in PROGRAMS])
def test_ml_program(program):
    check_program(program)


def test_corpus_lists_are_consistent():
    names = [p.name for p in PROGRAMS]
    assert len(names) == len(set(names))
    assert len(names) >= 24
    assert set(PENDING) <= set(names)
    assert set(BUGS) <= set(names)
    assert not set(PENDING) & set(BUGS)
    for p in PROGRAMS:
        assert p.tags, p.name
        params = list(inspect.signature(p.fn).parameters)
        assert all(w in params for w in p.wrt), p.name
