"""Property-based: random small programs (the fuzzer's grammar: arithmetic,
NumPy calls, broadcasting, branches, loops, break/continue, early return,
in-place writes, tuple swaps) must get gradients that agree with central
differences, or be refused with an s2sad error. Hypothesis draws the program
and the input seed; bounded to run in well under a minute."""

import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools import fuzz

_DIR = tempfile.mkdtemp(prefix="s2sad_property_")


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(program_seed=st.integers(0, 2**31 - 1), point_seed=st.integers(0, 2**31 - 1))
def test_random_program_gradient_agrees_or_is_refused(program_seed, point_seed):
    program = fuzz.generate(program_seed)
    module = fuzz.load(program, _DIR)
    outcome = fuzz.check_program(program, module, np.random.default_rng(point_seed))
    assert outcome.status in ("agree", "refused", "skipped", "invalid"), fuzz.format_outcome(outcome)
