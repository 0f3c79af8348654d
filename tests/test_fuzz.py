"""A bounded run of the differential fuzzer (s2sad/fuzz.py): random programs
differentiated by s2sad must agree with central differences. Minimized
failures go to tests/regressions.py."""

from s2sad import fuzz


def test_generator_is_deterministic():
    assert fuzz.generate(7, 3).source == fuzz.generate(7, 3).source
    assert fuzz.generate(7, 3).source != fuzz.generate(7, 4).source


def test_fuzz_gradients_agree():
    summary = fuzz.run(count=150, seed=2024)
    failures = summary.failures()
    message = summary.report()
    if failures:
        message += "\n" + "\n".join(fuzz.format_outcome(o) for o in failures[:3])
    assert not failures, message
    # the generator mostly writes programs s2sad supports and can check
    assert summary.count("agree") >= 0.7 * len(summary.outcomes), message
