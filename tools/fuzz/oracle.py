"""The oracle: :func:`check_program` differentiates a loaded program with
s2sad at a few random points and classifies the outcome (``agree``,
``disagree``, ``refused``, ``crash``, ``skipped``, ``inconclusive``,
``invalid``; see the package docstring). A failed :func:`s2sad.check_grad`
is confirmed by Richardson-extrapolated differences before it counts as a
disagreement; vjp, jvp, ``grad(grad(f))`` and ``has_aux`` are checked too.
"""

from __future__ import annotations

import ast
import math
import traceback
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

import s2sad
from s2sad.errors import S2SADError
from s2sad.pytree import leaves, map_leaves, ravel, unravel

from .program import MARGIN, MAX_VALUE, Program, copy_args, sample_args

# -------------------------------------------------------------------- checking


@dataclass
class Outcome:
    program: Program
    status: str  # agree, disagree, refused, crash, skipped, inconclusive, invalid
    error: str = ""
    args: tuple = ()
    points: int = 0  # points checked
    extrapolated: int = 0  # points that agree only with extrapolated differences
    # on Python floats alone: did the later calls run the float variant of the gradient
    # ("ran": computed by itself, "fell back": it called the NumPy code, "not built"), "" otherwise
    variant: str = ""


STATUSES = ("agree", "disagree", "refused", "crash", "skipped", "inconclusive", "invalid")


def _extrapolated(fn: Any, args: tuple, k: int, h: float) -> np.ndarray:
    """Richardson-extrapolated central differences of ``fn`` w.r.t. argument
    ``k``: ``(4 D(h/2) - D(h)) / 3``, exact to O(h⁴)."""
    tree = args[k]
    x = ravel(tree) if isinstance(tree, (dict, list, tuple)) else np.asarray(tree, dtype=float)
    out = np.empty(x.size)

    def d(i: int, step: float) -> float:
        vals = []
        for sign in (1.0, -1.0):
            y = x.copy().reshape(-1)
            y[i] += sign * step
            call = list(copy_args(args))
            if isinstance(tree, (dict, list, tuple)):  # a pytree argument: its leaves, in order
                call[k] = unravel(y, tree)
            else:
                call[k] = float(y[0]) if x.ndim == 0 else y.reshape(x.shape)
            vals.append(float(fn(*call)))
        return (vals[0] - vals[1]) / (2 * step)

    for i in range(x.size):
        out[i] = (4 * d(i, h / 2) - d(i, h)) / 3
    return out.reshape(x.shape)


def _settle(fn: Any, args: tuple, grads: Any) -> tuple[str, str]:
    """Compare s2sad's gradients with extrapolated differences: ``agree``,
    ``disagree``, or ``inconclusive`` when no two successive steps agree."""
    grads = grads if isinstance(grads, tuple) else (grads,)
    for k, g in enumerate(grads):
        ours = ravel(g) if isinstance(g, (dict, list, tuple)) else np.asarray(g, dtype=float)
        previous, settled = _extrapolated(fn, args, k, 1e-4), None
        for h in (3e-5, 1e-5, 3e-6, 1e-6):
            current = _extrapolated(fn, args, k, h)
            scale = max(1.0, float(np.max(np.abs(current), initial=0.0)))
            if np.allclose(previous, current, rtol=1e-7, atol=1e-9 * scale):
                settled = current
                break
            previous = current
        if settled is None:
            return "inconclusive", f"extrapolated differences w.r.t. argument {k} do not settle (last {current!r})"
        if not np.allclose(ours, settled, rtol=1e-5, atol=1e-7 * scale):
            return "disagree", f"extrapolated differences w.r.t. argument {k}: {settled!r}, s2sad {ours!r}"
    return "agree", ""


def _direction(a: Any, rng: np.random.Generator) -> Any:
    """A random direction shaped like argument ``a`` (a pytree: leaf by leaf)."""
    return map_leaves(lambda x: rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal()), a)


def _dot(g: Any, v: Any) -> float:
    """<g, v> summed over the leaves of two pytrees of the same structure."""
    return sum(float(np.sum(np.asarray(a) * np.asarray(b))) for a, b in zip(leaves(g), leaves(v)))


def _changed(given: tuple, args: tuple) -> bool:
    """Does an argument passed to a derivative differ (bitwise) from the saved one?"""
    return any(isinstance(a, np.ndarray) and a.tobytes() != b.tobytes() for a, b in zip(given, args))


def _probe(module: Any, args: tuple) -> tuple[float, float]:
    """The value at ``args`` and the smallest condition margin on its path."""
    module._MARGINS.clear()
    out = module.f_probe(*copy_args(args))
    value = float(out) if np.ndim(out) == 0 else float(np.max(np.abs(out)))
    return value, min(module._MARGINS, default=math.inf)


def _same_value(got: Any, expected: float) -> bool:
    try:
        return bool(np.isclose(float(got), expected, rtol=1e-9, atol=1e-12))
    except (TypeError, ValueError):  # None, or not a scalar
        return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def crash_text(exc: BaseException) -> str:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
    return tb.rstrip()


def check_program(program: Program, module: Any, rng: np.random.Generator, points: int = 2, tries: int = 25) -> Outcome:
    """Differentiate ``program`` w.r.t. all its arguments at ``points`` random points."""
    wrt = tuple(n for n, _ in program.params)
    fn = module.f
    checked = extrapolated = 0
    notes: dict[str, str] = {}
    for _ in range(points):
        args = None
        for _ in range(tries):
            candidate = sample_args(program.params, rng)
            try:
                value, margin = _probe(module, candidate)
            except Exception as exc:  # the generator wrote a program that does not run
                return Outcome(program, "invalid", crash_text(exc), candidate)
            if math.isfinite(value) and abs(value) <= MAX_VALUE and margin >= MARGIN:
                args = candidate
                break
        if args is None:
            continue
        if program.output is not None:
            verdict = _check_vector(program, fn, args, wrt, rng, build=checked == 0)
            if verdict is not None:
                return Outcome(program, verdict[0], verdict[1], args)
            checked += 1
            continue
        if checked == 0:
            try:  # build only: refusals happen here, before any generated code runs
                s2sad.grad(fn, wrt=wrt).source(*args)
            except S2SADError as exc:
                status = "crash" if "internal error" in str(exc) else "refused"
                return Outcome(program, status, _describe(exc), args)
            except Exception as exc:
                return Outcome(program, "crash", crash_text(exc), args)
        try:
            given = copy_args(args)
            got, _ = s2sad.value_and_grad(fn, wrt=wrt)(*given)
        except Exception as exc:
            return Outcome(program, "crash", crash_text(exc), args)
        if _changed(given, args):  # a write into an argument must leave the caller's array alone
            return Outcome(program, "disagree", "the derivative changed the caller's array", args)
        expected = float(fn(*copy_args(args)))
        if not _same_value(got, expected):
            return Outcome(program, "disagree", f"value: the derivative returns {got!r}, f returns {expected!r}", args)
        try:
            s2sad.check_grad(fn, *copy_args(args), wrt=wrt)
        except AssertionError as exc:
            # central differences with one step are not exact on steep programs:
            # settle it with extrapolated differences before calling it a bug
            try:
                verdict, why = _settle(fn, args, s2sad.grad(fn, wrt=wrt)(*copy_args(args)))
            except Exception as again:  # e.g. a gradient of the wrong shape
                verdict, why = "disagree", _describe(again)
            if verdict != "agree":
                return Outcome(program, verdict, f"{_describe(exc)}\n{why}", args)
            extrapolated += 1
        except Exception as exc:
            return Outcome(program, "crash", crash_text(exc), args)
        verdict = _check_forward(fn, args, wrt, rng)
        if verdict is None:
            verdict = _check_repeat(fn, args, wrt, notes)
        if verdict is None and hasattr(module, "f_aux"):
            verdict = _check_aux(module.f_aux, fn, args, wrt)
        if verdict is None and _has_builtin_maxmin(program) and not program.params[0][1]:
            verdict = _check_second(fn, args)
        if verdict is not None:
            return Outcome(program, verdict[0], verdict[1], args)
        checked += 1
    if checked == 0:
        return Outcome(program, "skipped", "no point far enough from branch boundaries with a tame value")
    return Outcome(program, "agree", points=checked, extrapolated=extrapolated, variant=notes.get("variant", ""))


def _check_vector(
    program: Program, fn: Any, args: tuple, wrt: tuple, rng: np.random.Generator, build: bool
) -> tuple[str, str] | None:
    """An array output: vjp with a random output adjoint ``u`` must give the
    gradient of ``sum(f * u)`` (extrapolated differences), and forward mode
    ``<u, jvp(v)> = <vjp(u), v>``. None when all agree."""
    shape = program.output or ()
    u = rng.standard_normal(shape) if shape else float(rng.standard_normal())
    try:
        value, adjoints = s2sad.vjp(fn, wrt=wrt)(*copy_args(args), u)
    except S2SADError as exc:
        status = "crash" if "internal error" in str(exc) else "refused"
        return status, _describe(exc)
    except Exception as exc:
        return "crash", crash_text(exc)
    expected = np.asarray(fn(*copy_args(args)), dtype=float)
    try:
        same = np.shape(value) == expected.shape and np.allclose(
            np.asarray(value, dtype=float), expected, rtol=1e-9, atol=1e-12
        )
    except (TypeError, ValueError):
        same = False
    if not same:
        return "disagree", f"value: vjp returns {value!r}, f returns {expected!r}"
    adjoints = adjoints if isinstance(adjoints, tuple) else (adjoints,)

    def scalar(*a: Any) -> float:
        return float(np.sum(np.asarray(fn(*a), dtype=float) * u))

    for k, (g, a) in enumerate(zip(adjoints, args)):
        if np.shape(g) != np.shape(a):
            return "disagree", f"vjp: the adjoint of argument {k} has shape {np.shape(g)}, the argument {np.shape(a)}"
    verdict, why = _settle(scalar, args, adjoints)
    if verdict != "agree":
        return verdict, f"vjp with output adjoint {u!r}: {why}"
    directions = tuple(rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal()) for a in args)
    try:
        _, tangent = s2sad.jvp(fn, wrt=wrt)(*copy_args(args), directions)
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "forward mode: " + crash_text(exc)
    want = sum(float(np.sum(np.asarray(g) * np.asarray(v))) for g, v in zip(adjoints, directions))
    got = float(np.sum(np.asarray(tangent, dtype=float) * u))
    if not np.isclose(got, want, rtol=1e-7, atol=1e-9 * max(1.0, abs(want))):
        return "disagree", f"forward mode: <u, jvp(v)> = {got!r}, <vjp(u), v> = {want!r}"
    return None


def _has_builtin_maxmin(program: Program) -> bool:
    tree = ast.parse(program.display)
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("max", "min") and len(n.args) > 1
        for n in ast.walk(tree)
    )


def _check_second(fn: Any, args: tuple) -> tuple[str, str] | None:
    """grad(grad(f)) w.r.t. the first (float) argument against extrapolated
    differences of grad(f)."""
    first = s2sad.grad(fn)
    try:
        second = s2sad.grad(first)(*copy_args(args))
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "grad(grad(f)): " + crash_text(exc)
    verdict, why = _settle(lambda *a: float(first(*a)), args, (second,))
    return None if verdict == "agree" else (verdict, f"grad(grad(f)): {why}")


def _check_aux(f_aux: Any, fn: Any, args: tuple, wrt: tuple) -> tuple[str, str] | None:
    """has_aux: ``grad(f_aux, has_aux=True)`` (f_aux returns ``(value, aux)``)
    gives f's gradient (checked against differences above) and aux as f_aux
    returns it; value_and_grad gives the pair too. None when all agree."""
    try:
        want = s2sad.grad(fn, wrt=wrt)(*copy_args(args))
        got, aux = s2sad.grad(f_aux, wrt=wrt, has_aux=True)(*copy_args(args))
        (value, aux2), got2 = s2sad.value_and_grad(f_aux, wrt=wrt, has_aux=True)(*copy_args(args))
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "has_aux: " + crash_text(exc)
    expected = float(fn(*copy_args(args)))
    for g in (got, got2):
        if not all(np.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in zip(leaves(g), leaves(want))):
            return "disagree", f"has_aux: the gradient {g!r} is not f's {want!r}"
    for a in (aux, aux2):
        if not (isinstance(a, dict) and a.get("tag") == "aux" and _same_value(a.get("value"), expected)):
            return "disagree", f"has_aux: aux is {a!r}, f_aux's value is {expected!r}"
    if not _same_value(value, expected):
        return "disagree", f"has_aux: value_and_grad gives the loss {value!r}, f returns {expected!r}"
    return None


def _check_repeat(fn: Any, args: tuple, wrt: tuple, notes: dict[str, str]) -> tuple[str, str] | None:
    """Later calls of one gradient with arguments of the same types take the
    fast path (on Python floats, the float variant built on the second call):
    they must give what the first call, the code checked above, gave; and on
    Python floats the float variant, run alone (its NumPy fallback replaced
    by one that stops it), must give it too, and an ``int`` first argument
    what its float gives. None when they do; ``notes`` gets what ran
    (``variant``)."""
    g = s2sad.grad(fn, wrt=wrt)
    try:
        calls = [g(*copy_args(args)) for _ in range(3)]
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "repeated call: " + crash_text(exc)
    first = leaves(calls[0])

    def same(got: Any) -> bool:
        # math and NumPy may differ by an ulp or two per operation (tanh), never by more
        found = leaves(got)
        return len(found) == len(first) and all(np.allclose(a, b, rtol=1e-7, atol=1e-9) for a, b in zip(found, first))

    for k, later in enumerate(calls[1:], 2):
        if not same(later):
            return "disagree", f"call {k} of one gradient gives {later!r}, the first gave {calls[0]!r}"
    if not all(type(a) in (float, int, bool) for a in args):
        return None
    variant = _float_variant(g, args)
    if variant is None:
        notes.setdefault("variant", "not built")
        return _check_int_argument(fn, args, wrt)
    try:
        alone = variant(*copy_args(args))
    except _FellBack:
        notes.setdefault("variant", "fell back")
        return _check_int_argument(fn, args, wrt)
    except Exception as exc:
        return "crash", "the float variant alone: " + crash_text(exc)
    notes["variant"] = "ran"
    if not same(alone):
        return "disagree", f"the float variant alone gives {alone!r}, the first call gave {calls[0]!r}"
    return _check_int_argument(fn, args, wrt)


def _check_int_argument(fn: Any, args: tuple, wrt: tuple) -> tuple[str, str] | None:
    """The first argument rounded and passed as an ``int`` (its own call
    signature, with its own float variant from the second call on; not
    differentiated: s2sad refuses an int there) must give the gradients w.r.t.
    the others that it gives passed as that float. None when it does (or the
    point is outside the function's domain)."""
    if len(wrt) < 2:
        return None
    point = (float(round(args[0])), *args[1:])
    try:  # the code built for these argument types already (w.r.t. all): the gradients but the first
        want = s2sad.grad(fn, wrt=wrt)(*point)[1:]
    except Exception:  # a point outside the domain, a branch s2sad refuses: nothing to compare
        return None
    g = s2sad.grad(fn, wrt=wrt[1:])
    try:
        calls = [g(int(point[0]), *point[1:]) for _ in range(3)]
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "an int argument: " + crash_text(exc)
    for k, got in enumerate(calls, 1):
        found = leaves(got)
        if len(found) != len(leaves(want)) or not all(
            np.allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True) for a, b in zip(found, leaves(want))
        ):
            return "disagree", f"call {k} with the int {int(point[0])} gives {got!r}, with the float {want!r}"
    return None


class _FellBack(BaseException):
    """The float variant called its NumPy fallback (a BaseException: no handler of the code swallows it)."""


def _fell_back(*args: Any, **kwargs: Any) -> Any:
    raise _FellBack


def _float_variant(g: Any, args: tuple) -> Any:
    """The float variant the later calls of ``g`` ran on ``args`` (Python
    numbers), with its NumPy fallback replaced by one that raises
    ``_FellBack``; None when those calls did not run one. (Reads the entry
    the call path made for these argument types: a developer's check of
    s2sad's internals, s2sad.api ``_Derived._fast``.)"""
    entry = g._fast.get(type(args[0]) if len(args) == 1 else tuple(map(type, args)))
    if entry is None or "float variant" not in getattr(getattr(entry[0], "__code__", None), "co_filename", ""):
        return None
    fn, numpy_code = entry[0], entry[3].fn
    cells = list(fn.__closure__ or ())
    for k, cell in enumerate(cells):
        try:
            if cell.cell_contents is numpy_code:
                cells[k] = types.CellType(_fell_back)
        except ValueError:  # an empty cell
            continue
    alone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, tuple(cells))
    alone.__kwdefaults__ = fn.__kwdefaults__
    d, post = entry[3], entry[2]

    def run(*a: Any) -> Any:  # as the call path runs it (s2sad.api ``_Grad.__call__``)
        out = alone(*a)
        return post(out if d.gradient_only else out[1], a)

    return run


def _check_forward(fn: Any, args: tuple, wrt: tuple, rng: np.random.Generator) -> tuple[str, str] | None:
    """Forward mode must agree with reverse mode: jvp(v) = <grad, v> along a
    random direction v. None when it does (or refuses what it cannot do)."""
    directions = tuple(_direction(a, rng) for a in args)
    try:
        grads = s2sad.grad(fn, wrt=wrt)(*copy_args(args))
        given = copy_args(args)
        _, tangent = s2sad.jvp(fn, wrt=wrt)(*given, directions)
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "forward mode: " + crash_text(exc)
    if _changed(given, args):
        return "disagree", "forward mode: the derivative changed the caller's array"
    want = sum(_dot(g, v) for g, v in zip(grads, directions))
    if not np.isclose(float(tangent), want, rtol=1e-7, atol=1e-9 * max(1.0, abs(want))):
        return "disagree", f"forward mode: jvp gives {float(tangent)!r}, <grad, v> gives {want!r}"
    return None
