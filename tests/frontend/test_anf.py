"""ANF: every statement is `name = op(atoms)`, with fresh names in source order."""

from __future__ import annotations

import gast
import pytest

from s2sad.errors import UnsupportedSyntaxError
from s2sad.frontend.anf import Normalizer
from s2sad.ir.naming import Namer

from .helpers import core, function, lowered, text


def test_nested_operations_get_one_temporary_each_in_evaluation_order():
    assert core("def f(x, y):\n    return np.log(x) + x * y - np.sin(y)") == text("""
        def f(x, y):
            t1 = np.log(x)
            t2 = x * y
            t3 = t1 + t2
            t4 = np.sin(y)
            y_1 = t3 - t4
            return y_1
    """)


def test_an_index_holds_atoms_and_slices_of_atoms():
    assert core("def f(x):\n    p = np.sum(x[1:, 0])\n    return p") == text("""
        def f(x):
            t1 = x[1:, 0]
            p = np.sum(t1)
            return p
    """)


def test_a_negative_literal_is_folded_and_a_global_chain_is_an_atom():
    assert core("def f(x):\n    return x * -0.5 + np.pi") == text("""
        def f(x):
            t1 = x * -0.5
            y = t1 + np.pi
            return y
    """)


def test_every_operand_of_the_core_is_an_atom():
    fn = lowered("def f(x, y):\n    z = np.exp(x * y + np.sin(x)) / (1 + y ** 2)\n    return z[0]").core
    for s in fn.body:
        value = s.value
        operands = {
            gast.BinOp: lambda v: [v.left, v.right],
            gast.Call: lambda v: v.args,
            gast.Subscript: lambda v: [v.value],
        }.get(type(value), lambda v: [v])(value)
        assert all(isinstance(o, (gast.Name, gast.Constant, gast.Attribute)) for o in operands), gast.dump(s)


def test_the_walk_refuses_what_it_has_no_form_for():
    fn = function("def f(x):\n    return {x}")
    with pytest.raises(UnsupportedSyntaxError, match="a set literal"):
        Normalizer(fn, Namer.for_function(fn), "<test>").run()
