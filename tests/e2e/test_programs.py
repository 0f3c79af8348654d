"""Whole programs checked against central differences at several inputs,
including inputs on both sides of every branch."""

import pytest

import s2sad

from .programs import PROGRAMS

CASES = [(fn, args, wrt) for fn, arg_sets, wrt in PROGRAMS for args in arg_sets]


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)])
def test_program_gradient(fn, args, wrt):
    s2sad.check_grad(fn, *args, wrt=wrt)
