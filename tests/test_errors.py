"""Every refusal is an s2sad error naming file, line, column and construct,
with a hint, raised before any generated code runs."""

import inspect

import numpy as np
import pytest

import s2sad

from . import error_cases as ec

REFUSED = [
    (ec.uses_try, "try", s2sad.UnsupportedSyntaxError),
    (ec.uses_with, "with", s2sad.UnsupportedSyntaxError),
    (ec.uses_global, "global", s2sad.UnsupportedSyntaxError),
    (ec.uses_dictcomp, "dict comprehension", s2sad.UnsupportedSyntaxError),
    (ec.uses_setcomp, "set comprehension", s2sad.UnsupportedSyntaxError),
    (ec.recursive, "recursive call", s2sad.UnsupportedSyntaxError),
    (ec.passes_lambda, "lambda", s2sad.UnsupportedSyntaxError),
    (ec.uses_class, "classdef", s2sad.UnsupportedSyntaxError),
    (ec.uses_yield, "generator (yield)", s2sad.UnsupportedSyntaxError),
    (ec.no_rule, "numpy.fft", s2sad.NoRuleError),
    (ec.unknown_method, ".cumprod()", s2sad.NoRuleError),
    (ec.writes_argument, "argument the caller owns", s2sad.UnsupportedSyntaxError),
    (ec.writes_view, "is a view of", s2sad.UnsupportedSyntaxError),
    (ec.calls_varargs_helper, "*args", s2sad.UnsupportedSyntaxError),
    (ec.uses_starargs, "*args", s2sad.UnsupportedSyntaxError),
    (ec.uses_dict, "dict", s2sad.UnsupportedSyntaxError),
    (ec.uses_del, "delete", s2sad.UnsupportedSyntaxError),
    (ec.inplace_on_alias, "refers to the same array", s2sad.UnsupportedSyntaxError),
    (ec.inplace_on_viewed, "a view or a container of", s2sad.UnsupportedSyntaxError),
    (ec.list_two_names, "also refers to", s2sad.UnsupportedSyntaxError),
    (ec.extends_list, "for its effect", s2sad.UnsupportedSyntaxError),
    (ec.copyto_effect, "for its effect", s2sad.UnsupportedSyntaxError),
    (ec.repeats_by_unknown_count, "repeats a list", s2sad.UnsupportedSyntaxError),
    (ec.unpacks_wrong_count, "unpacking 3 values into 2 names", s2sad.UnsupportedSyntaxError),
]


def _line_of(fn, needle):
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if needle in text:
            return first + k
    raise AssertionError(needle)


@pytest.mark.parametrize("fn,construct,kind", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_refusal_names_file_line_column_construct(fn, construct, kind):
    with pytest.raises(kind) as info:
        s2sad.grad(fn)(np.ones(3) if fn is not ec.uses_starargs else 1.0)
    err = info.value
    text = str(err)
    assert isinstance(err, s2sad.S2SADError)
    assert construct.lower() in text.lower()
    assert err.location is not None
    assert err.location.filename.endswith("error_cases.py")
    assert inspect.getsourcelines(fn)[1] <= err.location.lineno
    assert "^" in text  # the caret under the construct
    assert "hint:" in text
    # the traceback ends in s2sad's own raise, not deep in a helper: the error is the user's
    assert err.location.col >= 0


def test_no_rule_points_at_the_call_line():
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(ec.no_rule)(np.ones(4))
    assert info.value.location.lineno == _line_of(ec.no_rule, "np.fft.fft")
    assert "register_adjoint" in str(info.value)


def test_wrt_unknown_name():
    with pytest.raises(s2sad.ArgumentError, match="has no argument 'z'"):
        s2sad.grad(ec.helper, wrt="z")


def test_wrt_out_of_range():
    with pytest.raises(s2sad.ArgumentError, match="positional arguments"):
        s2sad.grad(ec.helper, wrt=3)


@pytest.mark.parametrize("value", [3, True, np.arange(3)], ids=["int", "bool", "int-array"])
def test_wrt_integer_argument(value):
    with pytest.raises(s2sad.ArgumentError, match="float"):
        s2sad.grad(ec.helper)(value)


def test_non_scalar_output_points_to_vjp():
    with pytest.raises(s2sad.OutputError, match="vjp"):
        s2sad.grad(ec.vector_output)(np.ones(3))


def test_returns_nothing():
    with pytest.raises(s2sad.OutputError, match="returns nothing"):
        s2sad.grad(ec.returns_nothing)(1.0)


def test_builtin_has_no_source():
    with pytest.raises(s2sad.SourceUnavailableError, match="not a Python function"):
        s2sad.grad(np.sin)(1.0)


def test_function_without_source_file():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(s2sad.SourceUnavailableError, match="cannot read the source"):
        s2sad.grad(namespace["f"])(1.0)


def test_no_rule_column_points_at_the_call():
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(ec.no_rule)(np.ones(4))
    line = inspect.getsource(ec.no_rule).splitlines()[1]
    assert info.value.location.col == line.index("np.fft.fft")


def test_function_without_rule_is_fine_on_constants():
    s2sad.check_grad(ec.no_rule_on_constant_is_fine, np.array([0.5, 1.5, -0.2]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_repetition_by_unknown_count_points_at_the_line(mode):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        if mode == "reverse":
            s2sad.grad(ec.repeats_by_unknown_count)(np.ones(3))
        else:
            s2sad.jvp(ec.repeats_by_unknown_count)(np.ones(3), np.ones(3))
    assert info.value.location.lineno == _line_of(ec.repeats_by_unknown_count, "* REPEATS")
    assert "int(n)" in str(info.value)
