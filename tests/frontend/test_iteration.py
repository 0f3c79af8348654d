"""Iteration: every for loop walks a range."""

from __future__ import annotations

import pytest

from s2sad.errors import UnsupportedSyntaxError

from .helpers import core, text


def test_a_sequence_is_walked_by_index():
    assert core("def f(xs):\n    s = 0.0\n    for x in xs:\n        s = s + x\n    return s") == text("""
        def f(xs):
            s = 0.0
            n2 = len(xs)
            r3 = range(n2)
            for i1 in r3:
                x = xs[i1]
                s = s + x
            return s
    """)


def test_enumerate_uses_its_own_index_and_zip_the_shortest_length():
    out = core(
        "def f(xs, ys):\n    s = 0.0\n    for i, (x, y) in enumerate(zip(xs, ys)):\n        s = s + i * x * y\n"
        "    return s"
    )
    assert "for i in r" in out and "min(" in out


def test_reversed_range_is_a_sliced_range():
    out = core("def f(x):\n    for i in reversed(range(3)):\n        x = x * i\n    return x")
    assert "[::-1]" in out and "len(" not in out


def test_iterating_over_an_iterator_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"iterating over iter\(\.\.\.\)"):
        core("def f(xs):\n    for x in iter(xs):\n        xs = x\n    return xs")
