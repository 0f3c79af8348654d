"""The fence refuses unsupported syntax up front, with the normalizer's own words."""

from __future__ import annotations

import pytest

from s2sad.errors import UnsupportedSyntaxError
from s2sad.frontend import fence
from s2sad.frontend.anf import Normalizer
from s2sad.ir.naming import Namer

from .helpers import function

REFUSED = [
    ("def f(x):\n    try:\n        y = x\n    except ValueError:\n        y = 0\n    return y", "a try statement", 2),
    ("def f(x):\n    with open('a') as h:\n        y = x\n    return y", "a with statement", 2),
    ("def f(x):\n    global g\n    return x", "a global statement", 2),
    ("def f(x):\n    import math\n    return x", "a import statement", 2),
    ("def f(x):\n    del x\n    return 1", "a delete statement", 2),
    (
        "def f(x):\n    for i in range(3):\n        x = x + 1\n    else:\n        x = 0\n    return x",
        "a for loop with an else clause",
        2,
    ),
    (
        "def f(x):\n    while x > 1:\n        x = x / 2\n    else:\n        x = 0\n    return x",
        "a while loop with an else clause",
        2,
    ),
    ("def f(x):\n    s = {x, 1}\n    return x", "a set literal", 2),
    ("def f(x):\n    d = {k: x for k in 'ab'}\n    return x", "a dict comprehension", 2),
    ("def f(x):\n    print(f'{x}')\n    return x", "an f-string", 2),
    ("def f(x):\n    if (y := x * 2) > 1:\n        x = y\n    return x", "an assignment expression", 2),
    ("def f(x):\n    x + 1\n    return x", "an expression statement that is not a call", 2),
    ("def f(x):\n    h = (lambda v: v, 1)\n    return x", "a lambda expression inside the function", 2),
    ("def f(x):\n    a = [*x]\n    return a", "a starred expression", 2),
    ("def f(x):\n    x.attr = 1.0\n    return x", "an assignment to attribute", 2),
    ("def f(x):\n    x.attr += 1.0\n    return x", "an augmented assignment to an attribute", 2),
    ("def f(x):\n    a, *b = x\n    return a", "starred unpacking", 2),
    ("def f(x):\n    a, b = x, x, x\n    return a", "unpacking 3 values into 2 names", 2),
    ("def f(x):\n    G[0] = x\n    return x", "a write into the global `G`", 2),
    ("def f(x, d):\n    return g(x, **d)", "a call with **d", 2),
    ("def f(x):\n    return {'a': x, **x}", "a dict literal unpacking a dict (**) after its first entry", 2),
    ("def f(x, k):\n    return {k: x}", "a dict key that is not a constant string or int", 2),
    ("def f(x):\n    @dec\n    def g(v):\n        return v\n    return g(x)", "a decorated nested function", 3),
    (
        "def f(x):\n    def g(v):\n        nonlocal x\n        return v\n    return g(x)",
        "`nonlocal` in a nested function",
        3,
    ),
]


@pytest.mark.parametrize("src, what, line", REFUSED)
def test_the_fence_refuses_with_the_construct_and_its_line(src, what, line):
    with pytest.raises(UnsupportedSyntaxError) as info:
        fence.check(function(src), "<test>")
    assert f"s2sad cannot differentiate {what}" in str(info.value)
    assert f"line {line}," in str(info.value)


@pytest.mark.parametrize("src, what, line", REFUSED)
def test_the_normalizer_alone_refuses_alike(src, what, line):
    """Without the fence, the walk refuses the same construct in the same
    words: the fence moves refusals up front, it does not change them."""
    fn = function(src)
    with pytest.raises(UnsupportedSyntaxError) as walked:
        Normalizer(fn, Namer.for_function(fn), "<test>").run()
    with pytest.raises(UnsupportedSyntaxError) as fenced:
        fence.check(function(src), "<test>")
    assert str(walked.value) == str(fenced.value)


ACCEPTED = [
    "def f(x):\n    return x\n    s = {1}",  # dead code after return is dropped unread
    "def f(x):\n    assert x != {1}\n    return x",  # an assert is dropped
    "def f(x):\n    if x > 1:\n        raise ValueError(f'{x}')\n    return x",  # raise is kept as written
    "def f(x):\n    g = lambda v: {v}\n    return x",  # a lambda's body is checked when it is differentiated
    "def f(x):\n    def g(v):\n        with v:\n            pass\n    return x",  # likewise a nested def
    "def f(x):\n    '''A docstring.'''\n    return np.sum(x * 2)",
    "def f(xs):\n    return np.stack(list(map(lambda v: v * 2, xs)))",
    "def f(x, ys):\n    return g(x, *ys)",
    "def f(x):\n    a = np.zeros(3)\n    a[0] = x\n    a[1] += x\n    return a",
]


@pytest.mark.parametrize("src", ACCEPTED)
def test_the_fence_reads_only_what_the_normalizer_reads(src):
    fence.check(function(src), "<test>")


def test_the_refusal_names_the_column_the_normalizer_named():
    # the last operand of `a or b` is read at the position of the whole
    src = "def f(x):\n    y = x or {x}\n    return y"
    with pytest.raises(UnsupportedSyntaxError, match="line 2, column 9: s2sad cannot differentiate a set literal"):
        fence.check(function(src), "<test>")


def test_the_fence_knows_every_statement_the_normalizer_turns_into_core():
    walked = {m[len("stmt_") :] for m in dir(Normalizer) if m.startswith("stmt_") and m != "stmt"}
    assert fence.STATEMENTS == walked


def test_an_unknown_expression_kind_is_named_by_its_kind():
    assert fence.expression_refusal(function("def f(x):\n    return (yield x)").body[0].value) == (
        "a generator (yield)",
        "return a list of the values instead of yielding them",
    )
