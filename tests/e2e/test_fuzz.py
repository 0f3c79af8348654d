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
        for i in range(120):
            program = fuzz.generate(5, i)
            module = fuzz.load(program, tmp_path)
            args = fuzz.sample_args(program.params, rng)
            clean, probe = module.f(*fuzz.copy_args(args)), module.f_probe(*fuzz.copy_args(args))
            assert np.array_equal(np.asarray(clean), np.asarray(probe), equal_nan=True), program.display
            if hasattr(module, "f_aux"):  # f with the aux added to its own returns (not to a nested def's)
                value, aux = module.f_aux(*fuzz.copy_args(args))
                assert np.array_equal(np.asarray(value), np.asarray(clean), equal_nan=True), program.display
                assert aux["tag"] == "aux", program.display


def test_unit_dims_and_float_programs_are_generated():
    """Production `units` gives arguments with dimensions of length 1 (3-d
    ones too) in a good part of the programs, production `floats` programs on
    Python floats alone; ``without`` leaves both out."""
    programs = [fuzz.generate(31, i) for i in range(200)]
    units = [p for p in programs if any(isinstance(s, tuple) and 1 in s for _, s in p.params)]
    assert len(units) >= 30
    assert any(any(isinstance(s, tuple) and len(s) == 3 for _, s in p.params) for p in units)
    assert sum(p.floats for p in programs) >= 15
    for p in programs:
        if p.floats:
            assert all(s == () for _, s in p.params) and "np.sum" not in p.display.split("def f(")[1], p.display
    for i in range(100):
        p = fuzz.generate(31, i, without=frozenset({"units", "floats"}))
        assert not p.floats and not re.search(r"\b1,|, 1\)", p.display.split("def f(")[1].split("\n")[1])


def _float_outcomes(seed: int, count: int, tmp_path) -> list:
    rng_outcomes = []
    for i in range(count):
        program = fuzz.generate(seed, i)
        if program.floats:
            module = fuzz.load(program, tmp_path)
            rng_outcomes.append(fuzz.check_program(program, module, np.random.default_rng([seed, i])))
    return rng_outcomes


def test_float_variant_runs_alone_and_agrees(tmp_path):
    # the later calls of a gradient on Python floats run the float variant, and the
    # variant alone (its NumPy fallback stopped) gives what the checked first call gave
    outcomes = _float_outcomes(4101, 60, tmp_path)
    assert all(o.status in ("agree", "refused", "skipped") for o in outcomes), [o.error for o in outcomes]
    assert sum(o.variant == "ran" for o in outcomes) >= 2, [o.variant for o in outcomes]
    table = fuzz.coverage_table(outcomes)
    assert re.search(r"float variant ran alone on calls 2 and 3\s+floats\s+[1-9]", table), table


def test_a_wrong_float_variant_is_found(tmp_path, monkeypatch):
    # the oracle's checks have teeth: a float variant computing cos for np.sin (and sin for
    # np.cos) disagrees with the first call, on the call that builds it or run alone
    from s2sad.codegen import floats

    monkeypatch.setitem(floats.MATH_OF_NUMPY, "sin", "cos")
    monkeypatch.setitem(floats.MATH_OF_NUMPY, "cos", "sin")
    outcomes = [o for o in _float_outcomes(4101, 60, tmp_path) if "np.sin" in o.program.display.split("def f(")[1]]
    wrong = ("float variant alone", "call 2 of one gradient")
    assert any(o.status == "disagree" and any(w in o.error for w in wrong) for o in outcomes), [
        (o.status, o.variant) for o in outcomes
    ]
