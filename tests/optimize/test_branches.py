"""What both branches of an if do alike is written once (s2sad.optimize.branches):
the rewrite keeps every value, and leaves alone what it cannot move."""

import gast
import numpy as np
import pytest

from s2sad.ir.core import unparse
from s2sad.optimize.branches import merge_branches

CASES = {
    "common start and end": (
        "def f(c, a, b):\n    if c:\n        t = a * 2\n        u = t + b\n        v = u - a\n"
        "    else:\n        t = a * 2\n        u = t - b\n        v = u - a\n    return t, u, v\n",
        True,
    ),
    "the first statement sets the test": (
        "def f(c, a, b):\n    if c:\n        c = a * 2\n        u = c + b\n    else:\n        c = a * 2\n        u = c - b\n"
        "    return c, u\n",
        False,
    ),
    "the first statement writes into what the test reads": (
        "def f(c, a, b):\n    y = np.array([c, 0.0])\n    if y[0]:\n        y[0] = 0.0\n        u = a + b\n"
        "    else:\n        y[0] = 0.0\n        u = a - b\n    return y[0], u\n",
        False,
    ),
    "a branch would be left empty": (
        "def f(c, a, b):\n    u = a\n    if c:\n        u = a * 2\n    else:\n        u = a * 2\n    return u\n",
        False,
    ),
}


def _run(source, *args):
    space = {"np": np}
    exec(compile(source, "<case>", "exec"), space)
    return space["f"](*args)


@pytest.mark.parametrize("case", sorted(CASES))
def test_merging_keeps_every_value(case):
    source, moves = CASES[case]
    merged = unparse(merge_branches(gast.parse(source).body[0]))
    assert (merged != unparse(gast.parse(source).body[0])) == moves, merged
    for c in (0.0, 1.0, 2.5):
        for a, b in ((1.5, -0.5), (0.0, 3.0)):
            assert _run(merged, c, a, b) == _run(source, c, a, b), (case, c, a, b)
