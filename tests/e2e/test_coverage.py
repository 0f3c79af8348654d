"""Refuse unless known: every callable of Python's builtins, ``math``, NumPy
and ``numpy.linalg``, and every operator, either has a rule, is declared
inactive with a reason, or is refused once a value that carries a derivative
reaches it (issue 8, section 4)."""

from __future__ import annotations

import builtins
import importlib
import math
import sys
import textwrap

import gast
import numpy as np
import pytest

import s2sad
from s2sad.analysis.scope import is_user_function
from s2sad.rules.operators import REFLECTIVE
from s2sad.rules.table import REASONS, RULES


def _public_callables(module):
    out = []
    for attr in sorted(dir(module)):
        if attr.startswith("_") and module is not builtins:
            continue
        if module is builtins and attr.startswith("__") and attr != "__import__":
            continue
        obj = getattr(module, attr)
        if callable(obj) and not isinstance(obj, type(sys)):
            if isinstance(obj, type) and issubclass(obj, BaseException):
                continue  # exceptions are raised, not computed with
            out.append((f"{module.__name__}.{attr}", obj))
    return out


CALLABLES = [c for m in (builtins, math, np, np.linalg) for c in _public_callables(m)]


def _category(obj) -> str:
    if RULES.lookup(obj) is not None:
        return "rule"
    if RULES.is_inactive(obj):
        return "inactive"
    if any(obj is r for r in REFLECTIVE):
        return "reflective"
    assert not is_user_function(obj), "a library function must not be differentiated through its own source"
    return "refused"


def test_every_callable_is_ruled_declared_or_refused():
    seen = {}
    for label, obj in CALLABLES:
        cat = _category(obj)
        seen.setdefault(cat, []).append(label)
        if cat == "inactive":
            assert RULES.inactive_reason(obj) in REASONS, f"{label} is declared inactive without a reason"
    for cat in ("rule", "inactive", "reflective", "refused"):
        assert seen.get(cat), f"no callable in the category {cat}"
    # the ones issue 8 found lumped as inactive now have rules
    for fn in (np.mod, np.remainder, np.fmod, np.linspace, np.arange, math.fmod):
        assert _category(fn) == "rule"


def test_no_declaration_lacks_a_reason():
    from s2sad.rules.runtime_rules import RUNTIME_RULES

    for table in (RULES, RUNTIME_RULES):
        for key, obj in table._inactive.items():
            assert table._reasons[key][0] in REASONS, obj
        for _key, (_obj, rule) in table._by_object.items():
            if not rule.reverse:
                assert rule.reason in REASONS, rule.name
        for attr, rule in table._by_method.items():
            if not rule.reverse:
                assert rule.reason in REASONS, attr
        for op, rule in table._by_operator.items():
            if not rule.reverse:
                assert rule.reason in REASONS, op


def test_every_operator_has_a_rule_or_a_reason():
    ops = [c for c in vars(gast).values()
           if isinstance(c, type) and issubclass(c, (gast.operator, gast.unaryop)) and c not in (gast.operator, gast.unaryop)]
    assert len(ops) >= 15
    for op in ops:
        rule = RULES.operator(op)
        assert rule is not None, op
        assert rule.reverse or rule.reason in REASONS, op


# ------------------------------------------------------------- refusals, programmatically
def _sample(cat: str, every: int) -> list[tuple[str, object]]:
    found = [(label, obj) for label, obj in CALLABLES if _category(obj) == cat]
    return found[::every]


def _module_of(tmp_path, calls: list[str], name: str):
    """A module with one function per call text, each applying it to x; s2sad reads its source."""
    lines = ["import builtins, math", "import numpy as np", ""]
    for k, text in enumerate(calls):
        lines += [f"def f{k}(x):", f"    return {text}", ""]
    path = tmp_path / f"{name}.py"
    path.write_text("\n".join(lines))
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def _spelled(label: str) -> str:
    mod, attr = label.rsplit(".", 1)
    return {"builtins": "builtins", "math": "math", "numpy": "np", "numpy.linalg": "np.linalg"}[mod] + "." + attr


@pytest.mark.parametrize("cat,every", [("refused", 7), ("reflective", 1)])
def test_active_value_reaching_an_unruled_callable_is_refused(tmp_path, cat, every):
    sample = _sample(cat, every)
    assert sample
    mod = _module_of(tmp_path, [f"{_spelled(label)}(x)" for label, _ in sample], f"coverage_{cat}")
    for k, (label, _obj) in enumerate(sample):
        fn = getattr(mod, f"f{k}")
        with pytest.raises(s2sad.S2SADError) as info:
            s2sad.grad(fn)(np.array([0.3, 0.5]))
        assert info.value.location is not None and info.value.location.lineno == fn.__code__.co_firstlineno + 1, label


def test_reflective_calls_are_refused_even_on_constants(tmp_path):
    calls = ['eval("x * x")', 'locals()["x"] * x', "x * len(vars())", "x * len(globals())", 'x * eval("2.0")']
    mod = _module_of(tmp_path, calls, "coverage_reflective_const")
    for k, text in enumerate(calls):
        with pytest.raises(s2sad.UnsupportedSyntaxError, match="program's own"):
            s2sad.grad(getattr(mod, f"f{k}"))(2.0)
        assert text


def test_exec_statement_is_refused(tmp_path):
    path = tmp_path / "coverage_exec.py"
    path.write_text(textwrap.dedent("""
        def f(x):
            exec("x = x * 3")
            return x * x
    """))
    sys.path.insert(0, str(tmp_path))
    try:
        mod = importlib.import_module("coverage_exec")
    finally:
        sys.path.remove(str(tmp_path))
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=r"exec\(\)"):
        s2sad.grad(mod.f)(2.0)
    with pytest.raises(s2sad.UnsupportedSyntaxError, match=r"exec\(\)"):
        s2sad.jvp(mod.f)(2.0, 1.0)


@pytest.mark.parametrize("cat", ["inactive"])
def test_inactive_sample_gives_zero_derivative_where_it_should(tmp_path, cat):
    # a piecewise-constant function, an integer-valued one and a shape-only one: zero derivative, no refusal
    calls = ["np.sum(np.floor(x)) + x[0]", "np.argmax(x) * x[1]", "np.sum(np.zeros_like(x)) + x[0]"]
    mod = _module_of(tmp_path, calls, "coverage_inactive")
    for k in range(len(calls)):
        g = s2sad.grad(getattr(mod, f"f{k}"))(np.array([0.3, 0.5]))
        assert np.allclose(g, [1.0, 0.0]) or np.allclose(g, [0.0, 1.0])
