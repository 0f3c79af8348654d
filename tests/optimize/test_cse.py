"""Common subexpressions (s2sad.optimize.cse): before/after on the core."""

import gast

from s2sad.codegen.emit import to_source
from s2sad.frontend.normalize import normalize
from s2sad.ir.naming import Namer
from s2sad.optimize.cse import eliminate_common_subexpressions


def core(text: str) -> gast.FunctionDef:
    node = gast.parse(text).body[0]
    return normalize(node, Namer.for_function(node))


def test_a_repeated_pure_read_is_computed_once() -> None:
    after = eliminate_common_subexpressions(core("def f(x, i):\n    return x[i] * x[i]\n"), lambda s: True)
    assert to_source(after) == "def f(x, i):\n    t1 = x[i]\n    y = t1 * t1\n    return y\n"


def test_nothing_is_shared_when_pure_says_no() -> None:
    before = core("def f(x, i):\n    return x[i] * x[i]\n")
    text = to_source(before)
    assert to_source(eliminate_common_subexpressions(before, lambda s: False)) == text


def test_a_value_written_into_later_is_not_shared() -> None:
    src = "def f(x):\n    a = np.zeros(3)\n    b = np.zeros(3)\n    a[0] = x\n    return a + b\n"
    after = to_source(eliminate_common_subexpressions(core(src), lambda s: True))
    assert after.count("np.zeros(3)") == 2


def test_an_operand_reassigned_in_between_is_not_shared() -> None:
    src = "def f(x):\n    a = x * 2\n    for i in range(3):\n        x = x + 1\n    b = x * 2\n    return a + b\n"
    after = to_source(eliminate_common_subexpressions(core(src), lambda s: True))
    assert after.count("x * 2") == 2
