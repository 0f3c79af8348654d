"""Constant folding (s2sad.optimize.fold): before/after on expressions, and
the one semantics both modes now share."""

import ast

import gast
import pytest

from s2sad.optimize.fold import constant_test, fold_arithmetic, fold_constants, fold_tests


def expr(text: str) -> gast.expr:
    return gast.parse(text, mode="eval").body


def expr_source(node: gast.expr) -> str:
    return ast.unparse(gast.gast_to_ast(node))


def folded(text: str) -> str:
    return expr_source(fold_constants(expr(text)))


@pytest.mark.parametrize(
    "before, after",
    [
        ("a if None is None else b", "a"),
        ("a if 1 is None else b", "b"),
        ("a if 2 in (None, 2, 'fro') else b", "a"),
        ("a if 'fro' not in (None, 2) else b", "a"),
        ("a if 1 == 2 else b", "b"),
        ("a if 1 != 2 else b", "a"),
        ("a if (1, 2) == (1, 2) else b", "a"),  # a tuple on the left: folded in both modes
        ("a if ((1, 2), 3) == ((1, 2), 3) else b", "a"),  # nested tuples too
        ("a if 'r' in 'fro' else b", "a"),  # a string's membership: Python's own answer
        ("a if x is None else b", "a if x is None else b"),  # not a constant: kept
        ("a if 1 < 2 else b", "a if 1 < 2 else b"),  # an order test: not folded
        ("a if 1 in 2 else b", "a if 1 in 2 else b"),  # Python cannot evaluate it: kept
        ("(a if 1 == 1 else b) if 2 == 3 else c", "c"),
        ("(x if 1 == 1 else y) + (p if 1 == 2 else q)", "x + q"),
    ],
)
def test_constant_tests_fold_to_the_branch_taken(before: str, after: str) -> None:
    assert folded(before) == after


@pytest.mark.parametrize(
    "before, after",
    [
        ("2 - 1", "1"),
        ("2 + 3", "5"),
        ("2.0 * 3", "6.0"),
        ("x ** 1", "x"),
        ("g * 1", "g"),
        ("1 * g", "g"),
        ("g / 1", "g"),
        ("g * 1.0", "g"),
        ("g * (3 - 2)", "g"),  # inside out: the operand folds first
        ("g ** 2", "g ** 2"),
        ("g / 2", "g / 2"),
        ("4 / 2", "4 / 2"),  # division of constants is left to Python (float or int?)
        ("'a' + 'b'", "'a' + 'b'"),  # only numbers fold
    ],
)
def test_trivial_arithmetic_folds(before: str, after: str) -> None:
    assert folded(before) == after


def test_fold_tests_leaves_arithmetic_alone() -> None:
    assert expr_source(fold_tests(expr("(g * 1) if 1 == 1 else h"))) == "g * 1"


def test_constant_test_says_unknown_when_it_cannot_tell() -> None:
    assert constant_test(expr("1 == 1")) is True
    assert constant_test(expr("1 == 2")) is False
    assert constant_test(expr("1 == 1 == 1")) is None  # two operators
    assert constant_test(expr("x == 1")) is None
    assert constant_test(expr("1 in 2")) is None


def test_fold_arithmetic_returns_the_node_itself_when_nothing_folds() -> None:
    node = expr("x + y")
    assert fold_arithmetic(node) is node
