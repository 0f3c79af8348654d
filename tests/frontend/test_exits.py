"""Exit lowering: break, continue and early return become flags."""

from __future__ import annotations

import gast

from .helpers import core, lowered, text


def test_continue_guards_the_rest_of_the_body():
    src = "def f(x):\n    for i in range(3):\n        if i == 1:\n            continue\n        x = x * 2\n    return x"
    assert core(src) == text("""
        def f(x):
            r1 = range(3)
            skip = False
            for i in r1:
                skip = False
                t2 = i == 1
                if t2:
                    skip = True
                go3 = not skip
                if go3:
                    x = x * 2
            return x
    """)


def test_break_leaves_the_loop_only_at_the_end_of_its_body():
    src = "def f(x):\n    while x > 1:\n        if x > 5:\n            break\n        x = x / 2\n    return x"
    assert core(src) == text("""
        def f(x):
            cond = x > 1
            stop = False
            while cond:
                t1 = x > 5
                if t1:
                    stop = True
                go2 = not stop
                if go2:
                    x = x / 2
                go3 = not stop
                if go3:
                    cond = x > 1
                if stop:
                    break
            return x
    """)


def test_an_early_return_stores_its_value_and_the_function_returns_once():
    fn = lowered("def f(x):\n    if x > 0:\n        return x\n    return -x").core
    assert core("def f(x):\n    if x > 0:\n        return x\n    return -x") == text("""
        def f(x):
            returned = False
            result = None
            t1 = x > 0
            if t1:
                result = x
                returned = True
            go2 = not returned
            if go2:
                result = -x
                returned = True
            return result
    """)
    assert [isinstance(s, gast.Return) for s in fn.body].count(True) == 1


def test_a_return_inside_a_loop_also_breaks_it():
    src = "def f(xs):\n    for x in xs:\n        if x > 0:\n            return x\n    return 0.0"
    out = core(src)
    assert "stop = True" in out and "returned = True" in out
    assert out.rstrip().endswith("return result")


def test_code_after_an_exit_is_dropped():
    src = "def f(x):\n    for i in range(3):\n        x = x * 2\n        break\n        x = x + 1\n    return x"
    assert core(src) == text("""
        def f(x):
            r1 = range(3)
            stop = False
            for i in r1:
                x = x * 2
                stop = True
                if stop:
                    break
            return x
    """)


def test_a_function_without_return_returns_none():
    assert core("def f(x):\n    y = x * 2") == text("""
        def f(x):
            y = x * 2
            return None
    """)
