"""Dead code (s2sad.optimize.dead_code): one pass for both modes, told by
each mode which unread assignments it may drop."""

import gast

from s2sad.codegen.emit import to_source
from s2sad.optimize.dead_code import eliminate_dead_code, makes_no_call


def fn(text: str) -> gast.FunctionDef:
    node = gast.parse(text).body[0]
    assert isinstance(node, gast.FunctionDef)
    return node


def test_drops_unread_assignments_without_calls() -> None:
    before = fn("def f(x):\n    a = x * 2\n    b = a + 1\n    c = np.sin(x)\n    return a\n")
    assert to_source(eliminate_dead_code(before)) == "def f(x):\n    a = x * 2\n    c = np.sin(x)\n    return a\n"


def test_repeats_until_nothing_changes() -> None:
    # b is read only by c, which nobody reads: both go, a stays (returned)
    before = fn("def f(x):\n    a = x\n    b = a * 2\n    c = b + 1\n    return a\n")
    assert to_source(eliminate_dead_code(before)) == "def f(x):\n    a = x\n    return a\n"


def test_a_body_emptied_becomes_pass_and_orelse_disappears() -> None:
    before = fn("def f(x, c):\n    if c:\n        a = 1\n    else:\n        b = 2\n    return x\n")
    assert to_source(eliminate_dead_code(before)) == "def f(x, c):\n    if c:\n        pass\n    return x\n"


def test_reaches_into_loops_and_closures() -> None:
    before = fn(
        "def f(x):\n    for i in r:\n        t = i * 2\n        x = x + i\n"
        "    def back(g):\n        u = g + 1\n        return g\n    return x, back\n"
    )
    after = "def f(x):\n    for i in r:\n        x = x + i\n    def back(g):\n        return g\n    return x, back\n"
    assert to_source(eliminate_dead_code(before)) == after


def test_forward_mode_drops_only_unread_tangents_and_keeps_pops() -> None:
    tangents = {"a_dot", "b_dot", "c_dot"}

    def unread_tangent(s: gast.Assign) -> bool:
        value = s.value
        pop = isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop"
        return s.targets[0].id in tangents and not pop

    before = fn(
        "def f(x, x_dot):\n    a = np.sin(x)\n    a_dot = x_dot * np.cos(x)\n    b = a * 2\n"
        "    b_dot = L_dot.pop()\n    c_dot = x_dot * 2\n    return x, c_dot\n"
    )
    after = (
        "def f(x, x_dot):\n    a = np.sin(x)\n    b = a * 2\n    b_dot = L_dot.pop()\n"
        "    c_dot = x_dot * 2\n    return x, c_dot\n"
    )
    # a_dot goes even though its value calls np.cos: forward mode says tangents may go;
    # b (a primal, unread) stays: forward mode keeps the primal code as the user wrote it
    assert to_source(eliminate_dead_code(before, unread_tangent)) == after


def test_makes_no_call() -> None:
    assert makes_no_call(fn("def f():\n    a = x + 1\n").body[0])
    assert not makes_no_call(fn("def f():\n    a = g(x) + 1\n").body[0])
