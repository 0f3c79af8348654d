"""Pytrees (issue 9): dicts, namedtuples and nestings of them with lists and
tuples, as arguments (gradients of the same structure), locals, helper
arguments and results; has_aux; jacobian, hessian and jvp on dict arguments;
refusals. Every derivative is checked against central differences (float64,
fixed seeds), in reverse mode (s2sad.check_grad) and forward mode (jvp along
a random direction)."""

import inspect
from collections import namedtuple

import numpy as np
import pytest

import s2sad
from s2sad import specialize
from s2sad.derivatives import hessian, hvp, jacobian, jvp
from s2sad.pytree import leaves, map_leaves, same_structure

Params = namedtuple("Params", "W b")
Layer = namedtuple("Layer", "w scale")

GLOBAL_WEIGHTS = {0: 0.5, 1: -1.25, 2: 2.0}


# ------------------------------------------------------------ programs
def mlp_loss(params, x):
    h = np.tanh(params["W1"] @ x + params["b1"])
    return np.sum((params["W2"] @ h + params["b2"]) ** 2)


def namedtuple_loss(p, x):
    return np.sum(np.tanh(p.W @ x + p.b) ** 2) + np.sum(p[1] * p.b)


def items_loop(d):
    total = 0.0
    for _k, v in d.items():
        total = total + np.sum(np.sin(v) * v)
    return total


def keys_loop(d, x):
    total = 0.0
    for k in d:
        total = total + np.sum(d[k] * x)
    for k in d.keys():
        total = total * 0.5 + np.sum(np.cos(d[k]))
    return total


def values_loop(d):
    total = 1.0
    for v in d.values():
        total = total * (1.0 + np.mean(v ** 2))
    return total + sum(np.sum(v) for v in d.values()) + np.sum(sum([v * 2.0 for v in d.values()]))


def enumerated_items(d, x):
    total = 0.0
    for i, (_k, v) in enumerate(d.items()):
        total = total + (i + 1.0) * np.sum(v * x)
    for _k, v in zip(d.keys(), d.values()):
        total = total + np.sum(v ** 3)
    return total


def _layer(W, b, x):
    h = np.tanh(W @ x + b)
    return {"h": h, "pre": W @ x}


def _apply(p, x):
    return np.tanh(p["W"] @ x + p["b"])


def literals_and_helpers(p, x):
    out = {"a": np.sin(x), "b": p["W"] @ x}
    more = dict(c=np.sum(x) * p["b"], d=2.0)
    r = _layer(p["W"], p["b"], x)
    return np.sum(out["a"] * out["b"]) + np.sum(more["c"]) * more["d"] + np.sum(r["h"] * r["pre"]) + np.sum(_apply(p, x))


def local_dict_writes(x, y):
    out = {}
    out["h"] = np.tanh(x)
    out["g"] = x * y
    out["h"] = out["h"] * y  # a key set again: the old value gets no adjoint through out
    acc = 0.0
    for _k, v in out.items():
        acc = acc + np.sum(v ** 2)
    return acc + np.sum(out["g"])


def unpacked_copy(d, x):
    e = dict(d, extra=x * 2.0)
    f = {**e, "W": e["W"] * x}
    return np.sum(f["W"]) + np.sum(f["extra"] ** 2) + np.sum(e["W"] ** 2)


def nested(params, x):
    h = x
    for layer in params["layers"]:
        h = np.tanh(layer["W"] @ h + layer["b"])
    out = params["out"]
    return np.sum(h * out.w) * out.scale


def int_keys(d, x):
    return d[0] * x + d[1] ** 2 + np.sum(d[2])


def global_dict(x):
    total = 0.0
    for k in GLOBAL_WEIGHTS:
        total = total + GLOBAL_WEIGHTS[k] * np.sin(x * (k + 1))
    return total


def dict_in_branch(d, x):
    if x > 0.0:
        g = {"u": d["a"] * x, "v": d["b"]}
    else:
        g = {"u": d["b"] * x, "v": d["a"] * 2.0}
    return np.sum(g["u"] ** 2) + np.sum(g["v"])


def dict_through_loop(d, x):
    state = {"h": x, "c": 0.0}
    for _ in range(3):
        state = {"h": np.tanh(d["W"] @ state["h"]), "c": state["c"] + np.sum(state["h"])}
    return np.sum(state["h"]) + state["c"]


def _int_keyed(x):
    return {0: x, 1: 2.0 * x}


def unknown_kind_loops(x, y):
    # the kinds cannot tell a dict from a sequence here: decided when the code runs
    d = _int_keyed(x) if y > 0 else {0: x, 1: x, 2: y}
    total = 0.0
    for k in d:
        total = total + d[k] * (k + 1.0)
    rows = np.outer(x * np.ones(2), np.ones(3)) if y > 0 else [x, y]
    for r in rows:
        total = total + np.sum(r * y)
    return total


def dict_copy(d):
    e = d.copy()
    e["c"] = e["a"] * 2.0
    return np.sum(e["a"] * e["c"]) + np.sum(e["b"]) + np.sum(d["a"])


def _rng(seed):
    return np.random.default_rng(seed)


def _mlp_params(seed, n_in, n_hidden, n_out):
    r = _rng(seed)
    return {"W1": r.normal(size=(n_hidden, n_in)) * 0.5, "b1": r.normal(size=n_hidden),
            "W2": r.normal(size=(n_out, n_hidden)) * 0.5, "b2": r.normal(size=n_out)}


def _nested_params(seed, n):
    r = _rng(seed)
    return {"layers": [{"W": r.normal(size=(n, n)) * 0.6, "b": r.normal(size=n)} for _ in range(2)],
            "out": Layer(r.normal(size=n), 0.7)}


# (function, argument sets, wrt): several shapes, fixed seeds
PROGRAMS = [
    (mlp_loss, [(_mlp_params(s, n, h, o), _rng(s + 10).normal(size=n)) for s, (n, h, o) in
                enumerate([(3, 4, 2), (2, 5, 1), (4, 3, 3)])], (0, 1)),
    (namedtuple_loss, [(Params(_rng(s).normal(size=(3, n)), _rng(s + 1).normal(size=3)), _rng(s + 2).normal(size=n))
                       for s, n in [(0, 2), (3, 4)]], (0, 1)),
    (items_loop, [({"a": _rng(1).normal(size=3), "b": 0.7, "c": _rng(2).normal(size=(2, 2))},),
                  ({"only": _rng(3).normal(size=5)},)], 0),
    (keys_loop, [({"p": _rng(4).normal(size=3), "q": _rng(5).normal(size=3)}, _rng(6).normal(size=3))], (0, 1)),
    (values_loop, [({"a": _rng(7).normal(size=3), "b": _rng(8).normal(size=3)},)], 0),
    (enumerated_items, [({"a": _rng(9).normal(size=2), "b": _rng(10).normal(size=2)}, _rng(11).normal(size=2))],
     (0, 1)),
    (literals_and_helpers, [({"W": _rng(12).normal(size=(3, 3)), "b": _rng(13).normal(size=3)},
                             _rng(14).normal(size=3))], (0, 1)),
    (local_dict_writes, [(_rng(15).normal(size=3), 0.8), (0.4, _rng(16).normal(size=2))], (0, 1)),
    (unpacked_copy, [({"W": _rng(17).normal(size=(2, 2)), "b": 0.3}, 0.9)], (0, 1)),
    (nested, [(_nested_params(18, 3), _rng(19).normal(size=3)), (_nested_params(20, 2), _rng(21).normal(size=2))],
     (0, 1)),
    (int_keys, [({0: 0.3, 1: -0.8, 2: _rng(22).normal(size=3)}, 1.1)], (0, 1)),
    (global_dict, [(0.3,), (-1.2,)], 0),
    (dict_in_branch, [({"a": _rng(23).normal(size=2), "b": _rng(24).normal(size=2)}, x) for x in (0.7, -0.6)],
     (0, 1)),
    (dict_through_loop, [({"W": _rng(25).normal(size=(3, 3)) * 0.5}, _rng(26).normal(size=3))], (0, 1)),
    (unknown_kind_loops, [(1.5, 0.5), (1.5, -0.5), (-0.3, 0.8)], (0, 1)),
    (dict_copy, [({"a": _rng(27).normal(size=2), "b": 0.3},)], 0),
]
CASES = [(fn, args, wrt) for fn, sets, wrt in PROGRAMS for args in sets]
IDS = [f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)]


def _shift(args, k, direction, eps):
    out = list(args)
    out[k] = map_leaves(lambda a, d: a + eps * d, args[k], direction)
    return out


def _direction(x, rng):
    return map_leaves(lambda a: rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal()), x)


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=IDS)
def test_reverse_mode_agrees_with_central_differences(fn, args, wrt):
    s2sad.check_grad(fn, *args, wrt=wrt)
    grads = s2sad.grad(fn, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    for g, k in zip(grads, positions):  # the gradient has the argument's structure and leaf shapes
        assert same_structure(g, args[k])
        assert type(g) is type(args[k]) or (isinstance(args[k], list) and isinstance(g, list))
        assert all(np.shape(a) == np.shape(b) for a, b in zip(leaves(g), leaves(args[k])))


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=IDS)
def test_forward_mode_agrees_with_central_differences(fn, args, wrt):
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = _rng(len(fn.__name__))
    for k in positions:
        v = _direction(args[k], rng)
        value, tangent = jvp(fn, wrt=k)(*args, v)
        eps = 1e-6
        numerical = (fn(*_shift(args, k, v, eps)) - fn(*_shift(args, k, v, -eps))) / (2 * eps)
        assert np.isclose(value, fn(*args), rtol=1e-12)
        assert np.isclose(tangent, numerical, rtol=1e-5, atol=1e-7), (fn.__name__, k, tangent, numerical)


def test_dict_gradient_is_a_dict_with_the_same_keys():
    p = _mlp_params(0, 3, 4, 2)
    g = s2sad.grad(mlp_loss)(p, np.ones(3))
    assert type(g) is dict and list(g) == list(p)
    assert all(g[k].shape == p[k].shape and g[k].dtype == p[k].dtype for k in p)


def test_namedtuple_gradient_is_the_same_namedtuple():
    p = Params(_rng(1).normal(size=(3, 2)), _rng(2).normal(size=3))
    g = s2sad.grad(namedtuple_loss)(p, np.ones(2))
    assert type(g) is Params and g.W.shape == (3, 2)
    nested_g = s2sad.grad(nested)(_nested_params(3, 2), np.ones(2))
    assert type(nested_g["out"]) is Layer and isinstance(nested_g["out"].scale, float)


def test_generated_code_reads_dict_items_by_key():
    p = _mlp_params(0, 3, 4, 2)
    text = s2sad.grad(mlp_loss).source(p, np.ones(3))
    assert "params['W1']" in text and "getitem_adjoint(" in text and "'b2')" in text


def test_derivative_is_cached_per_key_set():
    def f(d):
        total = 0.0
        for _k, v in d.items():
            total = total * 2.0 + np.sum(v)  # the order of the keys matters
        return total

    g = s2sad.grad(f)
    first = g({"a": 1.0, "b": 2.0})
    again = g({"a": 5.0, "b": 7.0})
    swapped = g({"b": 1.0, "a": 2.0})
    more = g({"a": 1.0, "b": 2.0, "c": 3.0})
    assert first == again == {"a": 2.0, "b": 1.0}
    assert swapped == {"b": 2.0, "a": 1.0} and list(swapped) == ["b", "a"]
    assert more == {"a": 4.0, "b": 2.0, "c": 1.0}
    kinds = {key[-1] for key in list(specialize._cache) if key[0] is f}
    assert len(kinds) == 3  # one derivative per key set (and order)


# ------------------------------------------------------------ has_aux
def loss_with_aux(params, x):
    h = np.tanh(params["W"] @ x + params["b"])
    loss = np.sum(h ** 2)
    return loss, {"h": h, "norm": np.linalg.norm(h), "label": "step", "count": 3}


def test_has_aux_grad_and_value_and_grad():
    p = {"W": _rng(30).normal(size=(3, 2)), "b": _rng(31).normal(size=3)}
    x = _rng(32).normal(size=2)
    g, aux = s2sad.grad(loss_with_aux, has_aux=True)(p, x)
    (loss, aux2), g2 = s2sad.value_and_grad(loss_with_aux, has_aux=True)(p, x)
    want_loss, want_aux = loss_with_aux(p, x)
    assert loss == want_loss
    for a in (aux, aux2):
        assert a["label"] == "step" and a["count"] == 3
        np.testing.assert_allclose(a["h"], want_aux["h"], rtol=1e-15)
    s2sad.check_grad(lambda p, x: loss_with_aux(p, x)[0], p, x, wrt=(0, 1))
    ref = s2sad.grad(lambda p, x: loss_with_aux(p, x)[0], wrt=(0, 1))(p, x)
    g3, _ = s2sad.grad(loss_with_aux, wrt=(0, 1), has_aux=True)(p, x)
    for a, b in zip(leaves(g3), leaves(ref)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(leaves(g), leaves(g2)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_has_aux_with_early_returns_and_any_aux():
    def f(x):
        if x > 0.0:
            return x * x, [x, "positive"]
        return np.sin(x), None

    for x in (0.7, -0.4):
        g, aux = s2sad.grad(f, has_aux=True)(x)
        assert np.isclose(g, 2 * x if x > 0 else np.cos(x))
        assert aux == f(x)[1]


def test_has_aux_refuses_a_function_not_returning_a_pair():
    def f(x):
        return x * x

    with pytest.raises(s2sad.OutputError, match="pair"):
        s2sad.grad(f, has_aux=True)(1.0)

    def g(x):
        return x * np.ones(2), 1.0

    with pytest.raises(s2sad.OutputError, match="scalar loss"):
        s2sad.grad(g, has_aux=True)(1.0)


# ------------------------------------------------------------ jacobian, hessian, jvp, hvp on dicts
def vector_fn(p):
    return np.tanh(p["W"] @ p["x"]) * p["s"]


def test_jacobian_of_dict_argument_is_a_dict_of_blocks():
    p = {"W": _rng(40).normal(size=(3, 2)), "x": _rng(41).normal(size=2), "s": 0.7}
    J = jacobian(vector_fn)(p)
    assert list(J) == ["W", "x", "s"]
    assert J["W"].shape == (3, 3, 2) and J["x"].shape == (3, 2) and J["s"].shape == (3,)
    eps = 1e-6
    for key in p:
        for j in range(int(np.size(p[key]))):
            e = {k: np.zeros_like(v) for k, v in p.items()}
            e[key] = np.zeros(np.shape(p[key]))
            e[key].flat[j] = 1.0
            plus = {k: p[k] + eps * e[k] for k in p}
            minus = {k: p[k] - eps * e[k] for k in p}
            column = (vector_fn(plus) - vector_fn(minus)) / (2 * eps)
            got = J[key].reshape(3, -1)[:, j]
            np.testing.assert_allclose(got, column, rtol=1e-5, atol=1e-8)
    # scalar output: reverse mode, one row
    Js = jacobian(mlp_loss)(_mlp_params(2, 2, 3, 1), np.ones(2))
    assert Js["W1"].shape == (3, 2)


def test_hessian_of_dict_argument_is_a_dict_of_dicts():
    def f(p):
        return p["a"] * np.sin(p["b"]) ** 2 + np.sum(p["v"] ** 3) * p["a"]

    p = {"a": 1.5, "b": 0.3, "v": np.array([0.2, -0.4])}
    H = hessian(f)(p)
    assert list(H) == ["a", "b", "v"] and all(list(row) == ["a", "b", "v"] for row in H.values())
    assert np.isclose(H["a"]["b"], np.sin(2 * 0.3)) and np.isclose(H["b"]["b"], 2 * 1.5 * np.cos(0.6))
    assert H["v"]["v"].shape == (2, 2) and H["a"]["v"].shape == (2,) and H["v"]["a"].shape == (2,)
    np.testing.assert_allclose(H["v"]["v"], np.diag(6 * p["v"] * 1.5), rtol=1e-12)
    np.testing.assert_allclose(H["a"]["v"], 3 * p["v"] ** 2, rtol=1e-12)
    # hvp along a dict direction: H v, leaf by leaf
    v = {"a": 0.5, "b": -1.0, "v": np.array([1.0, 2.0])}
    Hv = hvp(f)(p, v)
    want_a = H["a"]["a"] * 0.5 + H["a"]["b"] * -1.0 + H["a"]["v"] @ v["v"]
    assert np.isclose(Hv["a"], want_a)


def test_hessian_through_dict_loops_and_helpers():
    # forward mode over the generated gradient: the dict loops' key reads stay differentiable code
    def f(d, x):
        total = 0.0
        for _k, v in d.items():
            total = total + np.sum(v ** 2) * x
        for k in d:
            total = total + np.sum(np.sin(d[k])) * x ** 2
        return total

    d = {"a": np.array([0.3, -0.2]), "b": 0.5}
    H = hessian(f, wrt=(0, 1))(d, 0.7)
    x = 0.7
    want_aa = np.diag(2 * x - np.sin(d["a"]) * x ** 2)
    np.testing.assert_allclose(H[0][0]["a"]["a"], want_aa, rtol=1e-12)
    np.testing.assert_allclose(H[1][1], 2 * sum(np.sum(np.sin(v)) for v in d.values()), rtol=1e-12)
    np.testing.assert_allclose(H[0][1]["b"], 2 * d["b"] + 2 * x * np.cos(d["b"]), rtol=1e-12)
    for x0, y0 in [(1.5, 0.5), (1.5, -0.5)]:
        Hu = hessian(unknown_kind_loops, wrt=(0, 1))(x0, y0)
        want = ((0.0, 6.0), (6.0, 0.0)) if y0 > 0 else ((0.0, 1.0), (1.0, 2.0))
        np.testing.assert_allclose(np.array(Hu, dtype=float), want, atol=1e-12)


def test_jvp_of_dict_argument_takes_a_dict_tangent():
    p = _mlp_params(5, 3, 2, 2)
    x = np.ones(3)
    t = _direction(p, _rng(6))
    _, tangent = jvp(mlp_loss)(p, x, t)
    g = s2sad.grad(mlp_loss)(p, x)
    assert np.isclose(tangent, sum(np.sum(g[k] * t[k]) for k in p))
    with pytest.raises(s2sad.ArgumentError, match="dict with the keys"):
        jvp(mlp_loss)(p, x, [t[k] for k in p])


def test_check_grad_names_a_dict_entry_that_disagrees():
    def f(d):
        return np.sum(d["a"] ** 2)

    s2sad.register_adjoint(_wrong, {"x": "g * 3.0"})  # a wrong rule: check_grad must say where

    def h(d):
        return _wrong(d["b"]) + np.sum(d["a"])

    s2sad.check_grad(f, {"a": np.ones(2)})
    with pytest.raises(AssertionError, match=r"\('b',\)"):
        s2sad.check_grad(h, {"a": np.ones(2), "b": 0.5})


def _wrong(x):
    return 2.0 * x


# ------------------------------------------------------------ refusals
def nonconstant_key(x):
    key = "a"
    d = {key: x}
    return d["a"]


def dict_comprehension(x):
    d = {k: x * 2.0 for k in "ab"}
    return d["a"]


def updates_dict(x):
    d = {"a": x}
    d.update({"b": x})
    return d["a"]


def pops_dict(x):
    d = {"a": x, "b": x}
    return d.pop("a")


def writes_dict_argument(d, x):
    d["a"] = x
    return d["a"] * 2.0


def writes_int_key(x):
    d = {0: x}
    d[0] = x * 2.0
    return d[0]


def dict_two_names(x):
    d = {"a": x}
    e = d
    d["b"] = x * 2.0
    return e["a"]


def items_of_tuple(x):
    t = (x, x)
    total = 0.0
    for _k, v in t.items():
        total = total + v
    return total


def unpacks_later(d, x):
    e = {"a": x, **d}
    return e["a"]


REFUSED = [
    (nonconstant_key, (1.0,), "a dict key that is not a constant", "d = {key: x}"),
    (dict_comprehension, (1.0,), "dict comprehension", "d = {k: x"),
    (updates_dict, (1.0,), "`.update(...)` on the dict `d`", "d.update"),
    (pops_dict, (1.0,), ".pop()", "d.pop"),
    (writes_dict_argument, ({"a": 1.0}, 2.0), "`d` is an argument the caller owns", 'd["a"] = x'),
    (writes_int_key, (1.0,), "key that is not a constant string", "d[0] = x"),
    (dict_two_names, (1.0,), "`e` also refers to it", 'd["b"] = x'),
    (items_of_tuple, (1.0,), "not a dict", "v = "),
    (unpacks_later, ({"a": 1.0}, 2.0), "after its first entry", "e = {"),
]


@pytest.mark.parametrize("fn,args,needle,line", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_refusals_name_file_line_and_construct(fn, args, needle, line):
    with pytest.raises(s2sad.S2SADError) as info:
        s2sad.grad(fn, wrt=len(args) - 1)(*args)
    text = str(info.value)
    assert needle in text
    assert __file__ in text and "column" in text
    lines, first = inspect.getsourcelines(fn)
    number = next((first + i for i, t in enumerate(lines) if line in t), None)
    if fn is not items_of_tuple:  # the loop's item read is reported where the loop stands
        assert f"line {number}," in text, text
    assert "hint:" in text


def test_dict_argument_never_gets_the_int_hint():
    with pytest.raises(s2sad.ArgumentError) as info:
        s2sad.grad(mlp_loss)({}, np.ones(2))
    assert "3.0 rather than 3" not in str(info.value)
    with pytest.raises(s2sad.ArgumentError) as info:
        s2sad.grad(mlp_loss)({(1, 2): np.ones(2)}, np.ones(2))
    assert "3.0 rather than 3" not in str(info.value) and "keys" in str(info.value)
    with pytest.raises(s2sad.ArgumentError, match="3.0 rather than 3"):
        s2sad.grad(lambda_free_int)(3)


def lambda_free_int(x):
    return x * 2.0


def test_no_message_cites_a_missing_readme_section():
    from pathlib import Path

    from s2sad.frontend import fence

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = fence.DEFAULT_HINT.split("(")[-1].rstrip(")")
    assert f"## {section}" in readme


def test_jvp_takes_a_tangent_dict_with_its_keys_in_another_order():
    def f(p):
        return np.sum(p["a"] * np.sin(p["b"]))

    rng = np.random.default_rng(3)
    p = {"b": rng.standard_normal(3), "a": rng.standard_normal(3)}
    v = {"a": rng.standard_normal(3), "b": rng.standard_normal(3)}
    _, tangent = s2sad.jvp(f)(p, v)
    g = s2sad.grad(f)(p)
    assert list(g) == ["b", "a"]
    want = sum(float(np.sum(g[k] * v[k])) for k in p)
    assert float(tangent) == pytest.approx(want, rel=1e-10)
    with pytest.raises(s2sad.ArgumentError, match="keys"):
        s2sad.jvp(f)(p, {"a": v["a"]})
