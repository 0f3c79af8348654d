"""Desugaring: what each sugared form becomes in the core."""

from __future__ import annotations

import pytest

from s2sad.errors import UnsupportedSyntaxError

from .helpers import core, lowered, text


def test_augmented_assignment_to_a_name_is_a_binary_operation_and_is_recorded():
    src = "def f(x, y):\n    x += y\n    return x"
    assert core(src) == text("""
        def f(x, y):
            x = x + y
            return x
    """)
    assert lowered(src).updates == [(2, 4, "x", "+")]


def test_augmented_assignment_to_an_item_reads_the_item_once():
    assert core("def f(x, i, v):\n    a = np.zeros(3)\n    a[i] += v\n    return a") == text("""
        def f(x, i, v):
            a = np.zeros(3)
            t1 = a[i]
            t2 = t1 + v
            a[i] = t2
            return a
    """)


def test_a_string_key_store_is_a_new_version_of_the_dict():
    src = "def f(x):\n    d = {'a': x}\n    d['b'] = x\n    return d"
    assert core(src) == text("""
        def f(x):
            d = {'a': x}
            d = {**d, 'b': x}
            return d
    """)
    assert lowered(src).updates == [(3, 4, "d", "[]")]


def test_multiple_targets_share_one_atom():
    assert core("def f(x):\n    a = b = x * 2\n    return a + b") == text("""
        def f(x):
            t1 = x * 2
            a = t1
            b = t1
            y = a + b
            return y
    """)


def test_a_swap_reads_both_values_before_writing_either():
    assert core("def f(x, y):\n    x, y = y, x\n    return x - y") == text("""
        def f(x, y):
            t1 = y
            t2 = x
            x = t1
            y = t2
            y_1 = x - y
            return y_1
    """)


def test_unpacking_a_value_reads_it_item_by_item():
    assert core("def f(p):\n    a, b = p\n    return a * b") == text("""
        def f(p):
            a = p[0]
            b = p[1]
            y = a * b
            return y
    """)


def test_a_chained_comparison_is_a_conjunction_with_the_middle_read_once():
    assert core("def f(x, y):\n    return 0 < x < y") == text("""
        def f(x, y):
            t1 = 0 < x
            if t1:
                t1 = x < y
            y_1 = t1
            return y_1
    """)


def test_or_keeps_its_short_circuit():
    assert core("def f(x, y):\n    return x or y") == text("""
        def f(x, y):
            t1 = x
            t2 = not t1
            if t2:
                t1 = y
            y_1 = t1
            return y_1
    """)


def test_a_conditional_expression_is_an_if_statement():
    assert core("def f(x, y):\n    return x if x > y else y") == text("""
        def f(x, y):
            t1 = x > y
            if t1:
                t2 = x
            else:
                t2 = y
            y_1 = t2
            return y_1
    """)


def test_a_comprehension_is_a_loop_whose_names_do_not_leak():
    assert core("def f(x):\n    return [v * 2 for v in x if v > 0]") == text("""
        def f(x):
            items1 = []
            n3 = len(x)
            r4 = range(n3)
            for i2 in r4:
                v_1 = x[i2]
                t5 = v_1 > 0
                if t5:
                    t6 = v_1 * 2
                    items1.append(t6)
            y = items1
            return y
    """)


def test_dict_of_keywords_is_a_literal():
    assert core("def f(W, b):\n    return dict(W=W, b=b)") == text("""
        def f(W, b):
            y = {'W': W, 'b': b}
            return y
    """)


def test_a_write_through_two_indexes_is_refused():
    src = "def f(x):\n    a = [np.zeros(2)]\n    a[0][1] = x\n    return a"
    with pytest.raises(UnsupportedSyntaxError, match=r"a write through two indexes"):
        lowered(src)


def test_filter_over_two_sequences_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="filter with several sequences"):
        lowered("def f(x, y):\n    return list(filter(g, x, y))")
