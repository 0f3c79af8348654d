"""Lifting: nested functions and lambdas leave the body; what they read is passed."""

from __future__ import annotations

import pytest

from s2sad.errors import UnsupportedSyntaxError
from s2sad.ir.core import unparse

from .helpers import lowered, text


def test_a_lambda_reading_an_enclosing_name_takes_it_as_a_keyword():
    done = lowered("def f(x, a):\n    g = lambda v: v * a\n    return g(x)")
    assert unparse(done.core).strip() == text("""
        def f(x, a):
            y = g(x, a=a)
            return y
    """)
    fdef, free = done.lifted["g"]
    assert free == ["a"]
    assert unparse(fdef).strip() == text("""
        def g(v, *, a):
            return v * a
    """)


def test_a_default_reading_an_enclosing_name_is_evaluated_where_the_def_stands():
    done = lowered("def f(x, a):\n    def g(v, k=a * 2):\n        return v * k\n    return g(x)")
    assert done.lifted_defaults["g"] == [("k", "t1")]
    assert "t1 = a * 2" in unparse(done.core)
    assert "g(x, k=t1)" in unparse(done.core)


def test_recursion_in_a_nested_function_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="the recursive call to g"):
        lowered("def f(x):\n    def g(v):\n        return g(v - 1)\n    return g(x)")


def test_a_capturing_lambda_passed_as_an_argument_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="reads the enclosing function's variable `a`"):
        lowered("def f(x, a):\n    return h(lambda v: v * a, x)")


def test_a_second_definition_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="a second definition of g"):
        lowered("def f(x):\n    def g(v):\n        return v\n    def g(v):\n        return 2 * v\n    return g(x)")
