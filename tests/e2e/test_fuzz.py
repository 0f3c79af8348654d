"""A bounded run of the differential fuzzer (tools/fuzz): random programs
differentiated by s2sad must agree with central differences. Minimized
failures go to tests/e2e/regressions.py."""

import random
import re
import warnings
from pathlib import Path

import numpy as np

from tools import fuzz

README = Path(__file__).resolve().parents[2] / "README.md"


def test_generator_is_deterministic():
    assert fuzz.generate(7, 3).source == fuzz.generate(7, 3).source
    assert fuzz.generate(7, 3).source != fuzz.generate(7, 4).source


def _no_failures(summary: fuzz.Summary) -> str:
    failures = summary.failures()
    message = summary.report()
    if failures:
        message += "\n" + "\n".join(fuzz.format_outcome(o) for o in failures[:3])
    assert not failures, message
    return message


def test_fuzz_gradients_agree():
    # every production, those written to be refused (eval, random draws in
    # callees, aliases of written arrays...) included: no wrong derivative, no crash
    summary = fuzz.run(count=150, seed=2024)
    message = _no_failures(summary)
    assert summary.count("agree") >= 0.4 * len(summary.outcomes), message


def test_fuzz_base_grammar_is_mostly_supported():
    # without the productions written to probe refusals, the generator mostly
    # writes programs s2sad supports and can check
    summary = fuzz.run(count=60, seed=2025, without=fuzz.ISSUE8)
    message = _no_failures(summary)
    assert summary.count("agree") >= 0.7 * len(summary.outcomes), message


def test_every_readme_claim_has_a_production():
    rows = fuzz.claims()
    assert all(productions.strip() for _, productions in rows)
    names = {c for c, _ in rows}
    # README's math list is the table's: a function added there needs a production here
    math_line = re.search(r"\*\*math:\*\*(.*?)\n\n", README.read_text(), re.S).group(1)
    for word in re.findall(r"[a-z][a-z0-9]*", math_line):
        assert f"math.{word}" in names, word


def test_every_claim_is_generated():
    """Each claimed construct occurs in generated programs, detected from
    their syntax trees: the Python constructs within 400 programs of one seed,
    each function of README's lists by its template."""
    seen: set[str] = set()
    for i in range(400):
        seen |= fuzz.constructs(fuzz.generate(11, i).display)
    # claims only library templates write are checked with the templates below
    python = {c for c, productions in fuzz.PY_CLAIMS if productions.strip() != "lib"}
    assert python <= seen, f"never generated: {sorted(python - seen)}"
    gen = fuzz.Generator(random.Random(0))
    gen.env = {"x": fuzz.SCALAR, "y": fuzz.V3, "w": fuzz.M, "v": fuzz.V2}
    for _claim, shapes, write in fuzz.LIBRARY:
        for shape in shapes:
            out = write(gen, shape, 1)
            text = out if isinstance(out, str) else out[0]
            text = fuzz.render([(1, f"return np.sum({text})")], {k: c for k, (c, _) in gen.conds.items()})
            seen |= fuzz.constructs(f"def f(x, y, w, v):\n{text}\n")
    missing = [c for c, _ in fuzz.claims() if c not in seen]
    assert not missing, f"claimed but never generated: {missing}"


def test_generated_programs_run(tmp_path):
    """Programs with every production, the issue 8 ones included, are valid
    Python that runs (f and its probe give the same value)."""
    assert fuzz.ISSUE8 <= set(fuzz.FEATURES)
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(60):
            program = fuzz.generate(5, i)
            module = fuzz.load(program, tmp_path)
            args = fuzz.sample_args(program.params, rng)
            clean, probe = module.f(*fuzz.copy_args(args)), module.f_probe(*fuzz.copy_args(args))
            assert np.array_equal(np.asarray(clean), np.asarray(probe), equal_nan=True), program.display
