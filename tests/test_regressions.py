"""Programs on which s2sad was once wrong (found by the differential fuzzer,
``python -m s2sad.fuzz``), checked against numerical gradients."""

import pytest

import s2sad

from .regressions import REGRESSIONS

CASES = [(fn, args, wrt) for fn, arg_sets, wrt in REGRESSIONS for args in arg_sets]


@pytest.mark.parametrize("fn,args,wrt", CASES, ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)])
def test_regression(fn, args, wrt):
    s2sad.check_grad(fn, *args, wrt=wrt)
