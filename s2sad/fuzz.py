"""A differential fuzzer: random small numeric programs, s2sad vs central differences.

:func:`generate` writes a random function as *source text* from the constructs
s2sad supports (README "What it differentiates"): float and small array
arguments, arithmetic with broadcasting, smooth NumPy/``math`` functions,
reductions, matmul, index reads, reassignment, augmented assignment, tuple
swaps, ``if``/``elif``/``else`` and ``a if c else b`` on active conditions,
``for``/``while`` loops with loop-carried values, ``break``/``continue`` and
early ``return``. Each program is written to a file in a temporary directory
and imported, so s2sad reads it with :mod:`inspect` like any user code.

:func:`check_program` differentiates it with respect to every argument at a
few random points and classifies the outcome:

* ``agree``: :func:`s2sad.check_grad` passes at every point checked;
* ``disagree``: it raises ``AssertionError`` and Richardson-extrapolated
  differences confirm it, or the value the derivative returns is not the
  function's value;
* ``refused``: s2sad raises an :class:`~s2sad.S2SADError` while building the
  derivative (the generator should rarely produce those);
* ``crash``: any other exception in the pipeline or in the generated code;
* ``skipped``: no point could be checked (see below);
* ``inconclusive``: check_grad fails but extrapolated differences do not
  settle either (a program too steep for finite differences);
* ``invalid``: the program itself fails to run (a bug of the generator).

Each program is generated twice from one template: the function ``f`` that
s2sad differentiates, and ``f_probe`` whose conditions record their distance
to the branch boundary (``c`` in ``x > c``). A point is resampled when some
condition evaluated on its path is within ``MARGIN`` of its boundary (central
differences would straddle a branch), when the value is not finite, or when it
is larger than ``MAX_VALUE`` (differences lose their accuracy).

Run ``python -m s2sad.fuzz --count 500 --seed 1``; ``--index K`` checks and
prints program ``K`` of a seed alone; ``--without while,swap`` leaves
statement kinds out (to look past a known bug). A program's text depends only
on the seed and index, but s2sad's output may depend on string hashing: run
with several ``PYTHONHASHSEED`` values, and pin one to reproduce a failure.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import math
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Shape = tuple[int, ...]

SCALAR: Shape = ()
V2: Shape = (2,)
V3: Shape = (3,)
M: Shape = (2, 3)
SHAPES: list[Shape] = [SCALAR, V2, V3, M]

MARGIN = 1e-3
MAX_VALUE = 1e4

HEADER = '''import math

import numpy as np

C2 = np.array([0.5, -1.25])
C3 = np.array([0.3, -0.7, 1.1])
C23 = np.array([[0.2, -0.4, 0.9], [-1.1, 0.6, 0.35]])


def _h1(a, b=0.5):
    return np.tanh(a) * b + np.sin(a) * 0.3


def _h2(a, k=3):
    for _ in range(k):
        a = 0.5 * a + 0.5 * np.tanh(a)
    return a


def _h3(a):
    def inner(v):
        return v * np.cos(v)

    return inner(a) + 0.1 * _h1(a, b=0.2)
'''

PROBE_HELPER = '''
_MARGINS = []


def _M(v):
    _MARGINS.append(abs(float(v)))
    return v
'''

# what --without can leave out: statement kinds, and `a if c else b`
FEATURES = ("assign", "reassign", "aug", "swap", "if", "for", "while", "rows", "enumerate", "return", "break",
            "continue", "ternary", "call", "write")


# ------------------------------------------------------------------ generator


@dataclass
class Program:
    """A generated program: the module's source, and what to call."""

    seed: int
    index: int
    source: str  # the whole module: header, f and f_probe
    display: str  # header and f only: what a report shows
    params: list[tuple[str, Shape]]


@dataclass
class _Expr:
    text: str
    fresh: bool  # a newly allocated value (safe to update in place with +=)


class _Generator:
    """Writes one random function body; the state is what is in scope."""

    def __init__(self, rng: random.Random, without: frozenset[str] = frozenset()):
        self.r = rng
        self.without = without  # statement kinds (FEATURES) not to write
        self.lines: list[tuple[int, str]] = []
        self.conds: dict[str, tuple[str, str]] = {}  # placeholder -> (clean, probed) condition
        self.augs: dict[str, tuple[str, str, str]] = {}  # placeholder -> (name, `x += e`, `x = x + (e)`)
        self.env: dict[str, Shape] = {}  # float-valued names in scope and their shapes
        self.fresh: set[str] = set()  # array names no other name aliases
        self.readonly: set[str] = set()  # loop targets (`row`, `v` of enumerate)
        self.ints: list[tuple[str, int | None]] = []  # integer loop variables, and a bound for indexing
        self.budget = 0
        self.depth = 0  # enclosing compound statements
        self.loops = 0  # enclosing loops
        self.temps = 0
        self.counters = 0

    # ------------------------------------------------------------ helpers
    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def const(self, lo: float = 0.1, hi: float = 1.5) -> str:
        c = round(self.r.uniform(lo, hi), 2)
        return f"({c!r})" if c < 0 else repr(c)

    def emit(self, indent: int, text: str) -> None:
        self.lines.append((indent, text))

    def names_of(self, shape: Shape) -> list[str]:
        return [n for n, s in self.env.items() if s == shape]

    def int_index(self, size: int) -> str | None:
        """A loop variable usable as an index into an axis of ``size``."""
        ok = [n for n, bound in self.ints if bound is not None and bound <= size]
        return self.r.choice(ok) if ok and self.chance(0.5) else None

    # ---------------------------------------------------------- conditions
    def cond(self, active_only: bool = False) -> str:
        """A condition; returns a placeholder that renders clean or probed."""
        if self.ints and not active_only and self.chance(0.25):
            n, _ = self.r.choice(self.ints)
            text = self.r.choice([f"{n} % 2 == 0", f"{n} > 1", f"{n} == 1", f"{n} < 2"])
            return self._cond(text, text)
        form = self.r.random()
        if form < 0.7:
            clean, probe = self._compare()
        elif form < 0.8:
            lhs = self.expr(SCALAR, 1, ternary=False).text
            lo = round(self.r.uniform(-1.5, 0.0), 2)
            hi = round(lo + self.r.uniform(0.5, 2.0), 2)
            clean = f"{lo!r} < {lhs} < {hi!r}"
            probe = f"(_M({lhs} - {lo!r}) > 0 and _M({hi!r} - {lhs}) > 0)"
        elif form < 0.95:
            c1, p1 = self._compare()
            c2, p2 = self._compare()
            op = self.r.choice(["and", "or"])
            clean, probe = f"{c1} {op} {c2}", f"{p1} {op} {p2}"
        else:
            c1, p1 = self._compare()
            clean, probe = f"not {c1}", f"not {p1}"
        return self._cond(clean, probe)

    def _compare(self) -> tuple[str, str]:
        lhs = self.expr(SCALAR, self.r.choice([0, 1, 1]), ternary=False).text
        c = repr(round(self.r.uniform(-1.0, 1.0), 2))
        if self.chance(0.5):
            return f"{lhs} > {c}", f"_M({lhs} - {c}) > 0"
        return f"{lhs} < {c}", f"_M({lhs} - {c}) < 0"

    def _cond(self, clean: str, probe: str) -> str:
        key = f"@C{len(self.conds)}@"
        self.conds[key] = (clean, probe)
        return key

    # --------------------------------------------------------- expressions
    def expr(self, shape: Shape, depth: int, ternary: bool = True) -> _Expr:
        if depth <= 0 or self.chance(0.25):
            return self.leaf(shape)
        kinds = ["unary", "unary", "binary", "binary", "binary", "convert"]
        if ternary and "ternary" not in self.without and self.chance(0.08):
            kinds = ["ternary"]
        kind = self.r.choice(kinds)
        if kind == "unary":
            return self.unary(shape, depth)
        if kind == "binary":
            return self.binary(shape, depth)
        if kind == "ternary":
            a = self.expr(shape, depth - 1, ternary=False)
            b = self.expr(shape, depth - 1, ternary=False)
            return _Expr(f"({a.text} if {self.cond()} else {b.text})", False)
        return self.convert(shape, depth)

    def leaf(self, shape: Shape) -> _Expr:
        opts: list[_Expr] = [_Expr(n, False) for n in self.names_of(shape)] * 3
        vecs3, vecs2, mats = self.names_of(V3), self.names_of(V2), self.names_of(M)
        scalars = self.names_of(SCALAR)
        if shape == SCALAR:
            for v in vecs3:
                i = self.int_index(3)
                opts.append(_Expr(f"{v}[{i if i else self.r.choice(['0', '1', '2', '-1'])}]", False))
            for v in vecs2:
                opts.append(_Expr(f"{v}[{self.r.choice(['0', '1', '-1'])}]", False))
            for m in mats:
                opts.append(_Expr(f"{m}[{self.r.choice(['0', '1'])}, {self.r.choice(['0', '1', '2'])}]", False))
            for a in vecs2 + vecs3 + mats:
                opts.append(_Expr(f"np.{self.r.choice(['sum', 'mean'])}({a})", True))
            if vecs3 and self.chance(0.3):
                opts.append(_Expr(f"({self.r.choice(vecs3)} @ {self.r.choice(vecs3)})", True))
            if self.ints and self.chance(0.3):
                opts.append(_Expr(f"(0.1 * {self.r.choice(self.ints)[0]})", True))
            opts.append(_Expr(self.const(-1.5, 1.5), True))
        elif shape == V2:
            for v in vecs3:
                opts.append(_Expr(f"{v}[{self.r.choice(['1:', ':2', '-2:'])}]", False))
            for m in mats:
                i = self.int_index(3)
                opts.append(_Expr(f"{m}[:, {i if i else self.r.choice(['0', '1', '2'])}]", False))
                opts.append(_Expr(f"np.{self.r.choice(['sum', 'mean'])}({m}, axis=1)", True))
                if vecs3:
                    opts.append(_Expr(f"({m} @ {self.r.choice(vecs3)})", True))
            for s in scalars:
                opts.append(_Expr(f"({s} * C2)", True))
            opts.append(_Expr("C2", False))
        elif shape == V3:
            for m in mats:
                i = self.int_index(2)
                opts.append(_Expr(f"{m}[{i if i else self.r.choice(['0', '1', '-1'])}]", False))
                opts.append(_Expr(f"np.{self.r.choice(['sum', 'mean'])}({m}, axis=0)", True))
                if vecs2:
                    v = self.r.choice(vecs2)
                    opts.append(_Expr(self.r.choice([f"({v} @ {m})", f"({m}.T @ {v})"]), True))
            for s in scalars:
                opts.append(_Expr(f"({s} + C3)", True))
            opts.append(_Expr("C3", False))
        else:
            for v in vecs2:
                opts.append(_Expr(f"({v}[:, None] * {self.r.choice(vecs3) if vecs3 else 'C3'})", True))
            for v in vecs3:
                opts.append(_Expr(f"({v} + C23)", True))
            for s in scalars:
                opts.append(_Expr(f"({s} * C23)", True))
            opts.append(_Expr("C23", False))
        return self.r.choice(opts)

    def unary(self, shape: Shape, depth: int) -> _Expr:
        e = self.expr(shape, depth - 1).text
        if shape == SCALAR and self.chance(0.3):
            forms = [f"math.sin({e})", f"math.cos({e})", f"math.tanh({e})", f"math.exp(math.sin({e}))",
                     f"math.log(1.0 + {e} ** 2)", f"math.sqrt(1.0 + {e} ** 2)", f"math.atan({e})"]
        else:
            forms = [f"np.sin({e})", f"np.cos({e})", f"np.tanh({e})", f"np.exp(np.sin({e}))",
                     f"np.exp(np.tanh({e}))", f"np.log(1.0 + {e} * {e})", f"np.sqrt(1.0 + {e} ** 2)",
                     f"np.arctan({e})", f"({e}) ** 2", f"np.tanh({e}) ** 3", f"(-{e})", f"np.square({e})"]
        return _Expr(self.r.choice(forms), True)

    def _operand_shapes(self, shape: Shape) -> tuple[Shape, Shape]:
        if shape == SCALAR:
            return SCALAR, SCALAR
        pairs = [(shape, shape), (shape, shape), (shape, SCALAR), (SCALAR, shape)]
        if shape == M:
            pairs += [(M, V3), (V3, M)]
        return self.r.choice(pairs)

    def binary(self, shape: Shape, depth: int) -> _Expr:
        sa, sb = self._operand_shapes(shape)
        a = self.expr(sa, depth - 1).text
        b = self.expr(sb, depth - 1).text
        op = self.r.choice(["+", "-", "*", "*", "/", "/"])
        if op != "/":
            return _Expr(f"({a} {op} {b})", True)
        if self.chance(0.5):
            return _Expr(f"({a} / (1.0 + {b} * {b}))", True)
        return _Expr(f"({a} / (2.0 + np.sin({b})))", True)

    def convert(self, shape: Shape, depth: int) -> _Expr:
        """An expression of ``shape`` made from sub-expressions of other shapes."""
        d = depth - 1
        if shape == SCALAR:
            k = self.r.randrange(10)
            if k == 0:
                return _Expr(f"np.sum({self.expr(self.r.choice([V2, V3, M]), d).text})", True)
            if k == 1:
                return _Expr(f"np.mean({self.expr(self.r.choice([V3, M]), d).text})", True)
            if k == 2:
                return _Expr(f"({self.expr(V3, d).text} @ {self.expr(V3, d).text})", True)
            if k == 3:
                return _Expr(f"({self.expr(V3, d).text})[{self.r.choice(['0', '1', '2', '-1'])}]", False)
            if k == 4:
                inner = self.expr(self.r.choice([V3, M]), d).text
                if inner.startswith("C"):  # a method of a global constant has no rule (refused)
                    inner = f"({inner} * 1.0)"
                return _Expr(f"({inner}).sum()", True)
            if k == 5:
                return _Expr(f"np.trace({self.expr(M, d).text} @ ({self.expr(M, d).text}).T)", True)
            if k == 6:
                # std has a kink where the spread is zero (a constant array): smooth it
                reducer = self.r.choice(["np.var({})", "np.sqrt(np.var({}) + 0.01)"])
                return _Expr(reducer.format(self.expr(self.r.choice([V3, M]), d).text), True)
            if k == 7:
                return _Expr(f"np.dot({self.expr(V3, d).text}, {self.expr(V3, d).text})", True)
            if k == 8:
                return _Expr(f"np.prod(2.0 + np.tanh({self.expr(self.r.choice([V2, V3]), d).text}))", True)
            return _Expr(f"np.linalg.norm(1.0 + {self.expr(self.r.choice([V3, M]), d).text} ** 2)", True)
        if shape == V2:
            k = self.r.randrange(8)
            if k == 5:
                return _Expr(f"np.dot({self.expr(M, d).text}, {self.expr(V3, d).text})", True)
            if k == 6:
                return _Expr(f"({self.expr(V3, d).text})[::-2]", False)
            if k == 7:
                return _Expr(f"np.cumsum({self.expr(V2, d).text})", True)
            if k == 0:
                return _Expr(f"({self.expr(M, d).text} @ {self.expr(V3, d).text})", True)
            if k == 1:
                return _Expr(f"np.{self.r.choice(['sum', 'mean'])}({self.expr(M, d).text}, axis=1)", True)
            if k == 2:
                return _Expr(f"({self.expr(M, d).text})[:, {self.r.choice(['0', '1', '2'])}]", False)
            if k == 3:
                return _Expr(f"({self.expr(V3, d).text})[{self.r.choice(['1:', ':2'])}]", False)
            return _Expr(f"np.sum({self.expr(M, d).text}, axis=1, keepdims=True)[:, 0]", False)
        if shape == V3:
            k = self.r.randrange(8)
            if k == 4:
                return _Expr(f"np.cumsum({self.expr(V3, d).text})", True)
            if k == 5:
                return _Expr(f"({self.expr(V3, d).text})[::-1]", False)
            if k == 6:
                return _Expr(f"np.concatenate([{self.expr(V2, d).text}, ({self.expr(V3, d).text})[:1]])", True)
            if k == 7:
                return _Expr(f"np.sqrt(np.var({self.expr(M, d).text}, axis=0) + 0.01)", True)
            if k == 0:
                return _Expr(f"({self.expr(V2, d).text} @ {self.expr(M, d).text})", True)
            if k == 1:
                return _Expr(f"(({self.expr(M, d).text}).T @ {self.expr(V2, d).text})", True)
            if k == 2:
                return _Expr(f"np.{self.r.choice(['sum', 'mean'])}({self.expr(M, d).text}, axis=0)", True)
            return _Expr(f"({self.expr(M, d).text})[{self.r.choice(['0', '1'])}]", False)
        k = self.r.randrange(5)
        if k == 3:
            return _Expr(f"np.stack([{self.expr(V3, d).text}, {self.expr(V3, d).text}])", True)
        if k == 4:
            a, b = self.expr(V3, d).text, self.expr(V3, d).text
            return _Expr(f"np.reshape(np.concatenate([{a}, {b}]), (2, 3))", True)
        if k == 0:
            v = self.names_of(V2)
            col = f"{self.r.choice(v)}[:, None]" if v else f"({self.expr(V2, d).text})[:, None]"
            return _Expr(f"({col} * {self.expr(V3, d).text})", True)
        if k == 1:
            a, b = self.expr(M, d).text, self.expr(M, d).text
            red = self.r.choice(["sum", "mean"])
            return _Expr(f"({a} - np.{red}({b}, axis=1, keepdims=True))", True)
        return _Expr(f"np.outer({self.expr(V2, d).text}, {self.expr(V3, d).text})", True)

    def rhs(self, shape: Shape, locked: bool) -> _Expr:
        e = self.expr(shape, self.r.choice([1, 2, 2, 3]))
        if locked and shape != SCALAR and not e.fresh:
            e = _Expr(f"np.copy({e.text})" if self.chance(0.5) else f"({e.text} + 0.0)", True)
        return e

    # ---------------------------------------------------------- statements
    def assignable(self) -> list[str]:
        return [n for n in self.env if n not in self.readonly]

    def bind(self, target: str, shape: Shape, e: _Expr) -> None:
        if not e.fresh:
            # the new value may alias any name it reads: none is safe for `+=` any more
            for n in re.findall(r"[A-Za-z_]\w*", e.text):
                self.fresh.discard(n)
        self.env[target] = shape
        if e.fresh and shape != SCALAR:
            self.fresh.add(target)
        else:
            self.fresh.discard(target)

    def new_temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def block(self, indent: int, n: int) -> None:
        """``n`` statements (at least one) in a nested scope; new names end with it."""
        env, fresh, readonly = dict(self.env), set(self.fresh), set(self.readonly)
        ints = list(self.ints)
        for k in range(n):
            if k and self.budget <= 0:
                break
            self.stmt(indent)
        self.env, self.fresh, self.readonly, self.ints = env, fresh, readonly, ints

    def stmt(self, indent: int) -> None:
        self.budget -= 1
        locked = self.depth > 0
        kinds = {"assign": 3.0, "reassign": 3.0, "aug": 2.0, "swap": 1.0, "call": 1.0}
        if any(self.env[n] != SCALAR for n in self.assignable()):
            kinds["write"] = 1.0
        if self.depth < 2 and self.budget > 1:
            kinds.update({"if": 1.5, "for": 1.5, "while": 0.7, "rows": 0.4, "enumerate": 0.3})
        if self.budget > 0:
            kinds["return"] = 0.4
        if self.loops:
            kinds.update({"break": 0.6, "continue": 0.6})
            if self.chance(0.6):  # favour loop-carried updates in loop bodies
                kinds.update({"reassign": 6.0, "aug": 4.0})
        for k in self.without:
            kinds.pop(k, None)
        kind = self.r.choices(list(kinds), weights=list(kinds.values()))[0]
        getattr(self, "s_" + kind)(indent, locked)

    def s_assign(self, indent: int, locked: bool) -> None:
        shape = self.r.choice(SHAPES)
        e = self.rhs(shape, locked)
        t = self.new_temp()
        self.emit(indent, f"{t} = {e.text}")
        self.bind(t, shape, e)

    def s_reassign(self, indent: int, locked: bool) -> None:
        names = self.assignable()
        if not names:
            return self.s_assign(indent, locked)
        n = self.r.choice(names)
        shape = self.env[n] if locked or self.chance(0.6) else self.r.choice(SHAPES)
        if self.loops and shape == self.env[n]:
            e = self.expr(shape, self.r.choice([1, 2]))
            form = self.r.randrange(4)
            if form == 0:
                e = _Expr(f"0.5 * {n} + 0.5 * np.tanh({e.text})", True)
            elif form == 1:
                e = _Expr(f"np.sin({e.text}) + 0.1 * {n}", True)
            elif form == 2:
                e = _Expr(f"np.tanh({n} * {e.text})", True)
            else:
                e = _Expr(f"{n} * np.cos({e.text})", True)
        else:
            e = self.rhs(shape, locked)
        self.emit(indent, f"{n} = {e.text}")
        self.bind(n, shape, e)

    def s_aug(self, indent: int, locked: bool) -> None:
        names = [n for n in self.assignable() if self.env[n] == SCALAR or n in self.fresh]
        if not names:
            return self.s_reassign(indent, locked)
        n = self.r.choice(names)
        shape = self.env[n]
        sub = [SCALAR, shape] + ([V3] if shape == M else [])
        e = self.expr(self.r.choice(sub), self.r.choice([1, 2])).text
        forms = [("*", f"np.cos({e})"), ("/", f"1.0 + {e} * {e}"), ("+", f"0.1 * np.tanh({e})")]
        if not self.loops:  # unbounded updates only outside loops: values stay tame
            forms += [("+", e), ("-", e)]
        op, operand = self.r.choice(forms)
        if shape == SCALAR:
            self.emit(indent, f"{n} {op}= {operand}")
            return
        if self.chance(0.6):  # s2sad refuses many in-place updates of arrays: keep them a minority
            self.emit(indent, f"{n} = {n} {op} ({operand})")
            return
        # s2sad refuses `x += ...` on an array name that is ever bound to or from
        # another bare name (normalize._aliased_names): decided once the program is whole
        key = f"@A{len(self.augs)}@"
        self.augs[key] = (n, f"{n} {op}= {operand}", f"{n} = {n} {op} ({operand})")
        self.emit(indent, key)

    def s_call(self, indent: int, locked: bool) -> None:
        """A call to a helper function (module-level, with a loop, with a closure)."""
        shape = self.r.choice(SHAPES)
        e = self.expr(shape, self.r.choice([1, 2]))
        helper = self.r.choice(["_h1({})", "_h1({}, b=0.9)", "_h2({})", "_h2({}, k=2)", "_h3({})"])
        names = [n for n in self.assignable() if self.env[n] == shape] if locked else []
        target = self.r.choice(names) if names else self.new_temp()
        self.emit(indent, f"{target} = {helper.format(e.text)}")
        self.bind(target, shape, _Expr(target, True))

    def s_write(self, indent: int, locked: bool) -> None:
        """A write into an array of the function's own: `y = np.copy(x)`, then
        `y[k] = ...` or `y[k] += ...`."""
        names = [n for n in self.assignable() if self.env[n] != SCALAR]
        n = self.r.choice(names)
        shape = self.env[n]
        self.emit(indent, f"{n} = np.copy({n})")
        self.bind(n, shape, _Expr(n, True))
        k = self.r.randrange(shape[0])
        if len(shape) == 2 and self.chance(0.5):
            index, part = f"{k}, {self.r.randrange(shape[1])}", SCALAR
        elif len(shape) == 2:
            index, part = f"{k}", (shape[1],)
        else:
            index, part = f"{k}", SCALAR
        e = self.expr(part, self.r.choice([1, 2])).text
        op = self.r.choice(["=", "+=", "*="])
        value = f"np.tanh({e})" if op == "*=" else e
        self.emit(indent, f"{n}[{index}] {op} {value}")

    def s_swap(self, indent: int, locked: bool) -> None:
        names = self.assignable()
        pairs = [(a, b) for a in names for b in names if a != b]
        if locked:
            pairs = [(a, b) for a, b in pairs if self.env[a] == self.env[b]
                     and (self.env[a] == SCALAR or (a in self.fresh and b in self.fresh))]
        if not pairs:
            return self.s_reassign(indent, locked)
        a, b = self.r.choice(pairs)
        second = self.r.choice([f"{a} * 0.5", f"np.sin({a})", f"{a} + 0.1 * {b}" if self.env[a] == self.env[b] else f"{a} * 0.5"])
        self.emit(indent, f"{a}, {b} = {b}, {second}")
        sa, sb = self.env[a], self.env[b]
        fresh_b = b in self.fresh
        self.env[a], self.env[b] = sb, sa
        self.fresh.discard(a)
        self.fresh.discard(b)
        if fresh_b and sb != SCALAR:
            self.fresh.add(a)
        # b is a new array, but s2sad refuses `b += ...` after the swap (over-conservative
        # aliasing, see tests/regressions.py): leave it out of `fresh`

    def s_if(self, indent: int, locked: bool) -> None:
        self.emit(indent, f"if {self.cond()}:")
        self.depth += 1
        self.block(indent + 1, self.r.randint(1, 3))
        if self.chance(0.2):
            self.emit(indent, f"elif {self.cond()}:")
            self.block(indent + 1, self.r.randint(1, 2))
        if self.chance(0.5):
            self.emit(indent, "else:")
            self.block(indent + 1, self.r.randint(1, 2))
        self.depth -= 1

    def _loop_body(self, indent: int, lo: int, hi: int) -> None:
        self.depth += 1
        self.loops += 1
        self.block(indent + 1, self.r.randint(lo, hi))
        self.loops -= 1
        self.depth -= 1

    def s_for(self, indent: int, locked: bool) -> None:
        var = "ij"[self.loops] if self.loops < 2 else f"i{self.loops}"
        arrays = [n for n in self.env if self.env[n] in (V2, V3)]
        form = self.r.randrange(4)
        if form == 0 and arrays:
            a = self.r.choice(arrays)
            header, bound = f"range(len({a}))", self.env[a][0]
        elif form == 1:
            k = self.r.randint(2, 4)
            header, bound = f"range(1, {k})", k
        else:
            k = self.r.randint(1, 4)
            header, bound = f"range({k})", k
        self.emit(indent, f"for {var} in {header}:")
        saved = list(self.ints)
        self.ints.append((var, bound))
        self._loop_body(indent, 1, 4)
        self.ints = saved

    def s_while(self, indent: int, locked: bool) -> None:
        k = f"k{self.counters}"
        self.counters += 1
        bound = self.r.randint(1, 4)
        self.emit(indent, f"{k} = 0")
        cond = f"{k} < {bound}"
        if self.chance(0.4):
            cond += f" and ({self.cond(active_only=True)})"
        self.emit(indent, f"while {cond}:")
        self.emit(indent + 1, f"{k} += 1")
        saved = list(self.ints)
        self.ints.append((k, None))
        self._loop_body(indent, 1, 3)
        self.ints = saved

    def s_rows(self, indent: int, locked: bool) -> None:
        mats = self.names_of(M)
        if not mats:
            return self.s_reassign(indent, locked)
        row = f"row{self.loops}"
        mat = self.r.choice(mats)
        self.emit(indent, f"for {row} in {mat}:")
        self.fresh.discard(mat)  # `row` is a view of it: `mat += ...` would change `row` too
        saved = (dict(self.env), set(self.readonly))
        self.env[row] = V3
        self.readonly.add(row)
        self._loop_body(indent, 1, 3)
        self.env, self.readonly = saved

    def s_enumerate(self, indent: int, locked: bool) -> None:
        vecs = self.names_of(V3) + self.names_of(V2)
        if not vecs:
            return self.s_reassign(indent, locked)
        v = self.r.choice(vecs)
        idx, item = f"n{self.loops}", f"e{self.loops}"
        self.emit(indent, f"for {idx}, {item} in enumerate({v}):")
        saved = (dict(self.env), set(self.readonly), list(self.ints))
        self.env[item] = SCALAR
        self.readonly.add(item)
        self.ints.append((idx, self.env[v][0]))
        self._loop_body(indent, 1, 3)
        self.env, self.readonly, self.ints = saved

    def _guarded(self, indent: int, final: str) -> None:
        self.emit(indent, f"if {self.cond()}:")
        if self.chance(0.25) and self.assignable():
            self.depth += 1
            self.block(indent + 1, 1)
            self.depth -= 1
        self.emit(indent + 1, final)

    def s_return(self, indent: int, locked: bool) -> None:
        self._guarded(indent, f"return np.sum({self.expr(self.r.choice(SHAPES), self.r.choice([0, 1, 2])).text})")

    def s_break(self, indent: int, locked: bool) -> None:
        self._guarded(indent, "break")

    def s_continue(self, indent: int, locked: bool) -> None:
        self._guarded(indent, "continue")

    # ------------------------------------------------------------- program
    def program(self) -> tuple[list[tuple[str, Shape]], list[tuple[int, str]]]:
        names = ["x", "y", "w"]
        params = []
        for k in range(self.r.randint(1, 3)):
            shape = self.r.choices(SHAPES, weights=[0.35, 0.1, 0.3, 0.25])[0]
            params.append((names[k], shape))
            self.env[names[k]] = shape
        self.budget = self.r.randint(5, 20)
        last = None
        while self.budget > 0:
            self.stmt(1)
            if self.lines and self.lines[-1][0] == 1 and "=" in self.lines[-1][1]:
                last = self.lines[-1][1].split("=")[0].split(",")[0].strip(" +-*/")
        if last in self.env and self.chance(0.7):
            shape = self.env[last]
            other = self.expr(shape, self.r.choice([0, 1])).text
            final = self.r.choice([last, f"{last} * {other}", f"{last} + {other}", f"np.sin({last})"])
        else:
            final = self.expr(self.r.choice(SHAPES), 2).text
        self.emit(1, f"return np.sum({final})")
        return params, self.lines


def _render(lines: list[tuple[int, str]], subs: dict[str, str]) -> str:
    pattern = re.compile(r"@[AC]\d+@")

    def sub(text: str) -> str:
        while pattern.search(text):  # conditions may nest (a ternary inside a condition's operand)
            text = pattern.sub(lambda m: subs[m.group(0)], text)
        return text

    return "\n".join("    " * indent + sub(text) for indent, text in lines)


def _aliased_names(source: str) -> set[str]:
    """Names s2sad considers bound to another name's value (as it decides:
    syntactically, anywhere in the function)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            values = node.value.elts if isinstance(node.value, (ast.Tuple, ast.List)) else [node.value]
            for v in values:
                if isinstance(v, ast.Name):
                    out.add(v.id)
                    for t in node.targets:
                        out |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return out


def generate(seed: int, index: int = 0, without: frozenset[str] = frozenset()) -> Program:
    """Program ``index`` of ``seed`` (deterministic), with none of the ``without`` FEATURES."""
    unknown = set(without) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}; known: {', '.join(FEATURES)}")
    gen = _Generator(random.Random(seed * 1_000_003 + index), frozenset(without))
    params, lines = gen.program()
    sig = ", ".join(n for n, _ in params)
    shapes = ", ".join(f"{n}: {s if s else 'float'}" for n, s in params)
    clean_subs = {k: clean for k, (clean, _) in gen.conds.items()}
    probe_subs = {k: probe for k, (_, probe) in gen.conds.items()}
    augs = {k: aug for k, (_, aug, _) in gen.augs.items()}
    aliased = _aliased_names(f"def f({sig}):\n" + _render(lines, {**clean_subs, **augs}))
    for k, (n, aug, plain) in gen.augs.items():
        clean_subs[k] = probe_subs[k] = plain if n in aliased else aug
    clean = f"def f({sig}):\n    # {shapes}\n" + _render(lines, clean_subs) + "\n"
    probe = f"def f_probe({sig}):\n" + _render(lines, probe_subs) + "\n"
    display = HEADER + "\n\n" + clean
    source = HEADER + PROBE_HELPER + "\n\n" + clean + "\n\n" + probe
    return Program(seed, index, source, display, params)


# -------------------------------------------------------------------- loading


def load(program: Program, directory: str | Path) -> Any:
    """Write ``program`` to a file in ``directory`` and import it."""
    modname = f"s2sad_fuzz_{program.seed}_{program.index}"
    path = Path(directory) / f"{modname}.py"
    path.write_text(program.source)
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -------------------------------------------------------------------- checking


@dataclass
class Outcome:
    program: Program
    status: str  # agree, disagree, refused, crash, skipped, inconclusive, invalid
    error: str = ""
    args: tuple = ()
    points: int = 0  # points checked
    extrapolated: int = 0  # points that agree only with extrapolated differences


STATUSES = ("agree", "disagree", "refused", "crash", "skipped", "inconclusive", "invalid")


class _Timeout(Exception):
    pass


def _extrapolated(fn: Any, args: tuple, k: int, h: float) -> np.ndarray:
    """Richardson-extrapolated central differences of ``fn`` w.r.t. argument
    ``k``: ``(4 D(h/2) - D(h)) / 3``, exact to O(h⁴)."""
    x = np.asarray(args[k], dtype=float)
    out = np.empty(x.size)

    def d(i: int, step: float) -> float:
        vals = []
        for sign in (1.0, -1.0):
            y = x.copy().reshape(-1)
            y[i] += sign * step
            call = list(_copy(args))
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
        ours = np.asarray(g, dtype=float)
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


def sample_args(params: list[tuple[str, Shape]], rng: np.random.Generator) -> tuple:
    return tuple(float(rng.uniform(-1.5, 1.5)) if not s else rng.normal(0.0, 0.8, s) for _, s in params)


def _copy(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _probe(module: Any, args: tuple) -> tuple[float, float]:
    """The value at ``args`` and the smallest condition margin on its path."""
    module._MARGINS.clear()
    value = float(module.f_probe(*_copy(args)))
    return value, min(module._MARGINS, default=math.inf)


def _same_value(got: Any, expected: float) -> bool:
    try:
        return bool(np.isclose(float(got), expected, rtol=1e-9, atol=1e-12))
    except (TypeError, ValueError):  # None, or not a scalar
        return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _crash_text(exc: BaseException) -> str:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
    return tb.rstrip()


def check_program(program: Program, module: Any, rng: np.random.Generator, points: int = 2,
                  tries: int = 25) -> Outcome:
    """Differentiate ``program`` w.r.t. all its arguments at ``points`` random points."""
    import s2sad
    from s2sad.errors import S2SADError

    wrt = tuple(n for n, _ in program.params)
    fn = module.f
    checked = extrapolated = 0
    for _ in range(points):
        args = None
        for _ in range(tries):
            candidate = sample_args(program.params, rng)
            try:
                value, margin = _probe(module, candidate)
            except Exception as exc:  # the generator wrote a program that does not run
                return Outcome(program, "invalid", _crash_text(exc), candidate)
            if math.isfinite(value) and abs(value) <= MAX_VALUE and margin >= MARGIN:
                args = candidate
                break
        if args is None:
            continue
        if checked == 0:
            try:  # build only: refusals happen here, before any generated code runs
                s2sad.grad(fn, wrt=wrt).source(*args)
            except S2SADError as exc:
                status = "crash" if "internal error" in str(exc) else "refused"
                return Outcome(program, status, _describe(exc), args)
            except Exception as exc:
                return Outcome(program, "crash", _crash_text(exc), args)
        try:
            got, _ = s2sad.value_and_grad(fn, wrt=wrt)(*_copy(args))
        except Exception as exc:
            return Outcome(program, "crash", _crash_text(exc), args)
        expected = float(fn(*_copy(args)))
        if not _same_value(got, expected):
            return Outcome(program, "disagree", f"value: the derivative returns {got!r}, f returns {expected!r}", args)
        try:
            s2sad.check_grad(fn, *_copy(args), wrt=wrt)
        except AssertionError as exc:
            # central differences with one step are not exact on steep programs:
            # settle it with extrapolated differences before calling it a bug
            try:
                verdict, why = _settle(fn, args, s2sad.grad(fn, wrt=wrt)(*_copy(args)))
            except Exception as again:  # e.g. a gradient of the wrong shape
                verdict, why = "disagree", _describe(again)
            if verdict != "agree":
                return Outcome(program, verdict, f"{_describe(exc)}\n{why}", args)
            extrapolated += 1
        except Exception as exc:
            return Outcome(program, "crash", _crash_text(exc), args)
        verdict = _check_forward(fn, args, wrt, rng)
        if verdict is not None:
            return Outcome(program, verdict[0], verdict[1], args)
        checked += 1
    if checked == 0:
        return Outcome(program, "skipped", "no point far enough from branch boundaries with a tame value")
    return Outcome(program, "agree", points=checked, extrapolated=extrapolated)


def _check_forward(fn: Any, args: tuple, wrt: tuple, rng: np.random.Generator) -> tuple[str, str] | None:
    """Forward mode must agree with reverse mode: jvp(v) = <grad, v> along a
    random direction v. None when it does (or refuses what it cannot do)."""
    import s2sad
    from s2sad.errors import S2SADError

    directions = tuple(rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal()) for a in args)
    try:
        grads = s2sad.grad(fn, wrt=wrt)(*_copy(args))
        _, tangent = s2sad.jvp(fn, wrt=wrt)(*_copy(args), directions)
    except S2SADError:
        return None
    except Exception as exc:
        return "crash", "forward mode: " + _crash_text(exc)
    want = sum(float(np.sum(np.asarray(g) * np.asarray(v))) for g, v in zip(grads, directions))
    if not np.isclose(float(tangent), want, rtol=1e-7, atol=1e-9 * max(1.0, abs(want))):
        return "disagree", f"forward mode: jvp gives {float(tangent)!r}, <grad, v> gives {want!r}"
    return None


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("disagree", "crash", "invalid")]

    @property
    def ok(self) -> bool:
        return not self.failures()

    def report(self) -> str:
        counts = ", ".join(f"{s} {self.count(s)}" for s in STATUSES)
        settled = sum(o.extrapolated > 0 for o in self.outcomes)
        return f"tried {len(self.outcomes)}: {counts} ({settled} agree only with extrapolated differences)"


def _with_timeout(seconds: float, fn: Any, *args: Any) -> Any:
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        return fn(*args)

    def alarm(_signum: int, _frame: Any) -> None:
        raise _Timeout(f"timed out after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def iter_outcomes(count: int, seed: int, points: int = 2, start: int = 0, timeout: float = 10.0,
                  without: frozenset[str] = frozenset()) -> Iterator[Outcome]:
    """Generate and check programs ``start .. start + count - 1`` of ``seed``."""
    directory = tempfile.mkdtemp(prefix="s2sad_fuzz_")
    try:
        for index in range(start, start + count):
            program = generate(seed, index, without)
            rng = np.random.default_rng([seed, index])
            try:
                module = load(program, directory)
            except Exception as exc:
                yield Outcome(program, "invalid", _crash_text(exc))
                continue
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    yield _with_timeout(timeout, check_program, program, module, rng, points)
                except _Timeout as exc:
                    yield Outcome(program, "crash", str(exc))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(count: int, seed: int, points: int = 2, start: int = 0, timeout: float = 10.0,
        without: frozenset[str] = frozenset()) -> Summary:
    """Generate and check ``count`` programs of ``seed``."""
    return Summary(list(iter_outcomes(count, seed, points, start, timeout, without)))


def format_outcome(o: Outcome) -> str:
    args = ", ".join(np.array2string(a, precision=17, separator=", ") if isinstance(a, np.ndarray) else repr(a)
                     for a in o.args)
    return (f"--- program {o.program.index} of seed {o.program.seed}: {o.status}\n{o.program.display}\n"
            f"at ({args})\n{o.error}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m s2sad.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=100, help="how many programs (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="index of the first program")
    p.add_argument("--index", type=int, help="check and show program INDEX only")
    p.add_argument("--points", type=int, default=2, help="random points per program (default 2)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per program (default 10)")
    p.add_argument("--without", default="", metavar="A,B",
                   help=f"statement kinds not to generate, among: {', '.join(FEATURES)}")
    p.add_argument("--all", action="store_true", help="print every failing program, not only the first")
    p.add_argument("--show", action="store_true", help="print every program")
    ns = p.parse_args(argv)
    without = frozenset(w.strip() for w in ns.without.split(",") if w.strip())
    if without - set(FEATURES):
        p.error(f"--without: unknown {', '.join(sorted(without - set(FEATURES)))}; known: {', '.join(FEATURES)}")
    start, count = (ns.index, 1) if ns.index is not None else (ns.start, ns.count)
    summary = Summary()
    for o in iter_outcomes(count, ns.seed, ns.points, start, ns.timeout, without):
        summary.outcomes.append(o)
        if ns.show or ns.index is not None:
            print(format_outcome(o))
    print(summary.report())
    fails = summary.failures()
    if fails and ns.index is None:
        print(f"failing programs: {', '.join(f'{o.program.index} ({o.status})' for o in fails)}")
        for o in fails if ns.all else fails[:1]:
            print(format_outcome(o))
    refused = [o for o in summary.outcomes if o.status == "refused"]
    if refused and ns.index is None:
        print(f"refused programs: {', '.join(str(o.program.index) for o in refused)}; first: {refused[0].error}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
