"""The grammar: :class:`Generator` writes a random function from the
constructs s2sad supports, twice (the clean ``f`` and the probing ``f_probe``
whose conditions record their distance to a branch boundary), and the library
templates write one call of each NumPy/``math`` function README claims.
:func:`generate` is deterministic in (seed, index).

>>> generate(4101, 0).source == generate(4101, 0).source
True
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass
from typing import Any

from .program import (
    ALL_SHAPES,
    C21,
    FEATURES,
    HEADER,
    LONG_NAME,
    NEW_STATEMENTS,
    PROBE_HELPER,
    PYTREE_HEADER,
    R13,
    SCALAR,
    SHAPES,
    T213,
    U1,
    U11,
    UNIT_SHAPES,
    V2,
    V3,
    M,
    Program,
    Shape,
    Tree,
)


@dataclass
class _Expr:
    text: str
    fresh: bool  # a newly allocated value (safe to update in place with +=)


class Generator:
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
        self.params: list[str] = []
        self.original: set[str] = set()  # arguments still bound to the caller's value
        self.draws = False  # a random draw was written: f reseeds its generator first
        self.output: Shape | None = None  # the shape of an array output (None: a float)
        self.vector = False  # an array output, checked with vjp (chosen before the body)
        # production `floats`: Python floats alone, and only what the float variant of the
        # gradient covers (no arrays, globals, user calls, abs/max/min, np.sum)
        self.floats = False

    # ------------------------------------------------------------ helpers
    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def const(self, lo: float = 0.1, hi: float = 1.5) -> str:
        c = round(self.r.uniform(lo, hi), 2)
        return f"({c!r})" if c < 0 else repr(c)

    def emit(self, indent: int, text: str) -> None:
        self.lines.append((indent, text))

    def shape(self) -> Shape:
        """The shape of a new value: one of SHAPES, or (production `units`) one
        with dimensions of length 1; a float alone in production `floats`."""
        if self.floats:
            return SCALAR
        if "units" not in self.without and self.chance(0.2):
            return self.r.choice(UNIT_SHAPES)
        return self.r.choice(SHAPES)

    def units(self) -> bool:
        """Write a form with dimensions of length 1 here (production `units`)?"""
        return not self.floats and "units" not in self.without and self.chance(0.3)

    def all_params(self, e: str) -> str:
        """``e``, often plus a term of every argument (production `floats`: an
        argument not read on a path has a zeros_like adjoint there, which the
        float variant does not take)."""
        if self.chance(0.1):
            return e
        return f"{e} + {self.const(0.1, 0.5)} * ({' + '.join(self.params)})"

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
        if self.floats:  # no arrays to convert from
            kinds = ["unary", "unary", "binary", "binary", "binary"]
        if ternary and "ternary" not in self.without and self.chance(0.08):
            kinds = ["ternary"]
        if "lib" not in self.without and self.chance(0.12):
            lib = self.lib(shape, depth)
            if lib is not None:
                return lib
        if shape in SHAPES and not self.floats and "einsum" not in self.without and self.chance(0.02):
            return self.einsum(shape, depth)
        if shape == SCALAR and ternary and not self.floats and "maxmin" not in self.without and self.chance(0.03):
            return self.maxmin(depth)
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
        if self.floats:  # names, loop counters and numbers: no globals, no arrays
            if self.ints and self.chance(0.3):
                opts.append(_Expr(f"(0.1 * {self.r.choice(self.ints)[0]})", True))
            opts.append(_Expr(self.const(-1.5, 1.5), True))
            return self.r.choice(opts)
        if shape in UNIT_SHAPES:
            return self.unit_leaf(shape, opts)
        vecs3, vecs2, mats = self.names_of(V3), self.names_of(V2), self.names_of(M)
        scalars = self.names_of(SCALAR)
        opts += self.from_units(shape)
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
        elif shape == M:
            for v in vecs2:
                opts.append(_Expr(f"({v}[:, None] * {self.r.choice(vecs3) if vecs3 else 'C3'})", True))
            for v in vecs3:
                opts.append(_Expr(f"({v} + C23)", True))
            for s in scalars:
                opts.append(_Expr(f"({s} * C23)", True))
            opts.append(_Expr("C23", False))
        return self.r.choice(opts)

    def from_units(self, shape: Shape) -> list[_Expr]:
        """Leaves of ``shape`` read from names with dimensions of length 1."""
        r = self.r
        u1, r13, c21, u11, t3 = (self.names_of(s) for s in (U1, R13, C21, U11, T213))
        if shape == SCALAR:
            out = [f"{u}[0]" for u in u1] + [f"{c}[{r.choice(['0', '1', '-1'])}, 0]" for c in c21]
            out += [f"{v}[0, {r.choice(['0', '1', '2'])}]" for v in r13] + [f"{u}[0, 0]" for u in u11]
            out += [f"{t}[{r.choice(['0', '1'])}, 0, {r.choice(['0', '2'])}]" for t in t3]
            return [_Expr(e, False) for e in out]
        if shape == V2:
            out = [f"{c}[:, 0]" for c in c21] + [f"{t}[:, 0, {r.choice(['0', '1', '2'])}]" for t in t3]
        elif shape == V3:
            out = [f"{v}[0]" for v in r13] + [f"{t}[{r.choice(['0', '1'])}, 0]" for t in t3]
        else:
            out = [f"{t}[:, 0]" for t in t3]
            return [_Expr(e, False) for e in out] + [
                _Expr(f"({c} * {v})", True) for c in c21 for v in r13 + ["C23[:1]"]
            ]
        return [_Expr(e, False) for e in out]

    def unit_leaf(self, shape: Shape, opts: list[_Expr]) -> _Expr:
        """A leaf of a shape with dimensions of length 1: a name, a part of a
        larger array, or a part of a constant."""
        r = self.r
        vecs2, vecs3, mats = self.names_of(V2), self.names_of(V3), self.names_of(M)
        if shape == U1:
            opts += [_Expr(f"{v}[{r.choice([':1', '-1:'])}]", False) for v in vecs2 + vecs3]
            opts += [_Expr(f"({s} * C2[:1])", True) for s in self.names_of(SCALAR)]
            opts += [_Expr(f"{u}[0]", False) for u in self.names_of(U11)]
            opts.append(_Expr("C2[:1]", False))
        elif shape == R13:
            opts += [_Expr(f"{m}[{r.choice([':1', '1:'])}]", False) for m in mats]
            opts += [_Expr(f"{v}[None, :]", False) for v in vecs3]
            opts += [_Expr(f"{t}[{r.choice(['0', '1'])}]", False) for t in self.names_of(T213)]
            opts.append(_Expr("C23[:1]", False))
        elif shape == C21:
            opts += [_Expr(f"{m}[:, {r.choice([':1', '2:'])}]", False) for m in mats]
            opts += [_Expr(f"{v}[:, None]", False) for v in vecs2]
            opts += [_Expr(f"{t}[:, :, {r.choice(['0', '2'])}]", False) for t in self.names_of(T213)]
            opts.append(_Expr("C23[:, 1:2]", False))
        elif shape == U11:
            opts += [_Expr(f"{m}[:1, :1]", False) for m in mats]
            opts += [_Expr(f"{u}[:, None]", False) for u in self.names_of(U1)]
            opts += [_Expr(f"{v}[:, :1]", False) for v in self.names_of(R13)]
            opts += [_Expr(f"{c}[1:]", False) for c in self.names_of(C21)]
            opts.append(_Expr("C23[:1, 2:]", False))
        else:
            opts += [_Expr(f"{m}[:, None, :]", False) for m in mats]
            opts += [_Expr(f"({c}[:, :, None] * {v})", True) for c in self.names_of(C21) for v in vecs3]
            opts.append(_Expr("C23[:, None, :]", False))
        return r.choice(opts)

    def unary(self, shape: Shape, depth: int) -> _Expr:
        e = self.expr(shape, depth - 1).text
        if shape == SCALAR and self.chance(0.6 if self.floats else 0.3):
            forms = [
                f"math.sin({e})",
                f"math.cos({e})",
                f"math.tanh({e})",
                f"math.exp(math.sin({e}))",
                f"math.log(1.0 + {e} ** 2)",
                f"math.sqrt(1.0 + {e} ** 2)",
                f"math.atan({e})",
            ]
        else:
            forms = [
                f"np.sin({e})",
                f"np.cos({e})",
                f"np.tanh({e})",
                f"np.exp(np.sin({e}))",
                f"np.exp(np.tanh({e}))",
                f"np.log(1.0 + {e} * {e})",
                f"np.sqrt(1.0 + {e} ** 2)",
                f"np.arctan({e})",
                f"({e}) ** 2",
                f"np.tanh({e}) ** 3",
                f"(-{e})",
                f"np.square({e})",
            ]
            if self.floats:  # np.square has no math counterpart (the float variant refuses it)
                forms = forms[:-1]
        return _Expr(self.r.choice(forms), True)

    def _operand_shapes(self, shape: Shape) -> tuple[Shape, Shape]:
        if shape == SCALAR:
            return SCALAR, SCALAR
        if shape in BROADCASTS and (shape in UNIT_SHAPES or self.units()):
            if shape not in UNIT_SHAPES or self.chance(0.4):
                return self.r.choice(BROADCASTS[shape])
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
        if shape in UNIT_SHAPES or self.units():
            return self.convert_units(shape, d)
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

    def convert_units(self, shape: Shape, d: int) -> _Expr:
        """An expression of ``shape`` through values with dimensions of length 1:
        broadcasting, reductions with keepdims, matmul with one row or column."""

        def e(s: Shape) -> str:
            return self.expr(s, d).text

        forms = {
            SCALAR: [
                lambda: f"np.sum({e(C21)} * {e(R13)})",
                lambda: f"({e(U1)} @ {e(U1)})",
                lambda: f"(({e(R13)}) @ ({e(R13)}).T)[0, 0]",
                lambda: f"np.mean({e(T213)} * {e(R13)})",
                lambda: f"np.sum({e(U11)})",
                lambda: f"(({e(C21)}).T @ {e(C21)})[0, 0]",
                lambda: f"np.sum({e(M)} * {e(C21)})",
            ],
            V2: [
                lambda: f"np.sum({e(C21)} * {e(M)}, axis=1)",
                lambda: f"({e(M)} @ ({e(R13)}).T)[:, 0]",
                lambda: f"({e(C21)} @ {e(U1)})",
                lambda: f"np.mean({e(T213)}, axis=(1, 2))",
                lambda: f"(({e(R13)}) @ ({e(M)}).T)[0]",
                lambda: f"({e(V2)} * {e(U1)})",
            ],
            V3: [
                lambda: f"({e(U1)} @ {e(R13)})",
                lambda: f"np.sum({e(R13)} * {e(M)}, axis=0)",
                lambda: f"(({e(C21)}).T @ {e(M)})[0]",
                lambda: f"np.sum({e(T213)}, axis=(0, 1))",
                lambda: f"np.mean({e(C21)} * {e(V3)}, axis=0)",
            ],
            M: [
                lambda: f"({e(C21)} * {e(R13)})",
                lambda: f"({e(C21)} @ {e(R13)})",
                lambda: f"np.sum({e(T213)}, axis=1)",
                lambda: f"({e(M)} - np.mean({e(M)}, axis=0, keepdims=True))",
                lambda: f"({e(M)} * np.sum({e(M)}, axis=1, keepdims=True))",
                lambda: f"({e(C21)} + {e(V3)})",
                lambda: f"({e(M)} / (1.0 + {e(U11)} ** 2))",
            ],
            U1: [
                lambda: f"np.sum({e(V3)}, keepdims=True)",
                lambda: f"({e(V2)})[:1]",
                lambda: f"np.mean({e(C21)}, axis=0)",
                lambda: f"np.sum({e(R13)}, axis=1)",
                lambda: f"({e(U11)})[0]",
            ],
            R13: [
                lambda: f"np.sum({e(M)}, axis=0, keepdims=True)",
                lambda: f"np.mean({e(M)}, axis=0, keepdims=True)",
                lambda: f"({e(V3)})[None, :]",
                lambda: f"(({e(C21)}).T @ {e(M)})",
                lambda: f"np.sum({e(T213)}, axis=0)",
                lambda: f"np.reshape({e(V3)}, (1, 3))",
                lambda: f"(({e(U1)})[:, None] * {e(V3)})",
            ],
            C21: [
                lambda: f"np.sum({e(M)}, axis=1, keepdims=True)",
                lambda: f"np.mean({e(M)}, axis=1, keepdims=True)",
                lambda: f"({e(V2)})[:, None]",
                lambda: f"({e(M)} @ ({e(R13)}).T)",
                lambda: f"({e(M)} @ ({e(V3)})[:, None])",
                lambda: f"np.sum({e(T213)}, axis=2)",
                lambda: f"np.reshape({e(V2)}, (2, 1))",
            ],
            U11: [
                lambda: f"np.sum({e(M)}, keepdims=True)",
                lambda: f"(({e(R13)}) @ ({e(R13)}).T)",
                lambda: f"(({e(C21)}).T @ {e(C21)})",
                lambda: f"np.mean({e(C21)}, axis=0, keepdims=True)",
                lambda: f"np.sum({e(R13)}, axis=1, keepdims=True)",
                lambda: f"({e(U1)})[:, None]",
            ],
            T213: [
                lambda: f"({e(M)})[:, None, :]",
                lambda: f"np.expand_dims({e(M)}, 1)",
                lambda: f"(({e(C21)})[:, :, None] * {e(V3)})",
                lambda: f"({e(T213)} * {e(R13)})",
                lambda: f"np.reshape({e(M)}, (2, 1, 3))",
            ],
        }[shape]
        text = self.r.choice(forms)()
        # a part of an array, or np.reshape/np.expand_dims of one, may be a view: not safe for `+=`
        return _Expr(text, not (text.endswith("]") or text.startswith(("np.reshape", "np.expand_dims"))))

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
        self.original.discard(target)
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
        kinds.update(NEW_STATEMENTS)
        if self.loops:
            kinds.update({"break": 0.6, "continue": 0.6})
            if self.chance(0.6):  # favour loop-carried updates in loop bodies
                kinds.update({"reassign": 6.0, "aug": 4.0})
        if self.floats:  # what the float variant covers: no arrays, no calls, no containers
            kinds = {k: w for k, w in kinds.items() if k in FLOAT_STATEMENTS}
            if "return" in kinds:  # an early return's adjoints go through np.sum and zeros_like (no variant)
                kinds["return"] = 0.1
        for k in self.without:
            kinds.pop(k, None)
        kind = self.r.choices(list(kinds), weights=list(kinds.values()))[0]
        getattr(self, "s_" + kind)(indent, locked)

    def s_assign(self, indent: int, locked: bool) -> None:
        shape = self.shape()
        e = self.rhs(shape, locked)
        t = self.new_temp()
        self.emit(indent, f"{t} = {e.text}")
        self.bind(t, shape, e)

    def s_reassign(self, indent: int, locked: bool) -> None:
        names = self.assignable()
        if not names:
            return self.s_assign(indent, locked)
        n = self.r.choice(names)
        shape = self.env[n] if locked or self.chance(0.6) else self.shape()
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
        if self.units():  # an operand that broadcasts into the array
            sub = [b for a, b in BROADCASTS.get(shape, []) if a == shape and b != shape] or sub
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
        shape = self.shape()
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
        if len(shape) >= 2 and self.chance(0.5):
            index, part = f"{k}, {self.r.randrange(shape[1])}", shape[2:]
        else:
            index, part = f"{k}", shape[1:]
        e = self.expr(part, self.r.choice([1, 2])).text
        op = self.r.choice(["=", "+=", "*="])
        value = f"np.tanh({e})" if op == "*=" else e
        self.emit(indent, f"{n}[{index}] {op} {value}")

    def s_swap(self, indent: int, locked: bool) -> None:
        names = self.assignable()
        pairs = [(a, b) for a in names for b in names if a != b]
        if locked:
            pairs = [
                (a, b)
                for a, b in pairs
                if self.env[a] == self.env[b] and (self.env[a] == SCALAR or (a in self.fresh and b in self.fresh))
            ]
        if not pairs:
            return self.s_reassign(indent, locked)
        a, b = self.r.choice(pairs)
        second = self.r.choice(
            [f"{a} * 0.5", f"np.sin({a})", f"{a} + 0.1 * {b}" if self.env[a] == self.env[b] else f"{a} * 0.5"]
        )
        self.emit(indent, f"{a}, {b} = {b}, {second}")
        sa, sb = self.env[a], self.env[b]
        fresh_b = b in self.fresh
        self.env[a], self.env[b] = sb, sa
        self.original -= {a, b}
        self.fresh.discard(a)
        self.fresh.discard(b)
        if fresh_b and sb != SCALAR:
            self.fresh.add(a)
        # b is a new array, but s2sad refuses `b += ...` after the swap (over-conservative
        # aliasing, see tests/e2e/regressions.py): leave it out of `fresh`

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
        if self.units():  # rows of a (2, 1, 3) array are (1, 3), rows of a (2, 1) one (1,)
            mats += self.names_of(T213) + self.names_of(C21)
        if not mats:
            return self.s_reassign(indent, locked)
        row = f"row{self.loops}"
        mat = self.r.choice(mats)
        self.emit(indent, f"for {row} in {mat}:")
        self.fresh.discard(mat)  # `row` is a view of it: `mat += ...` would change `row` too
        saved = (dict(self.env), set(self.readonly))
        self.env[row] = self.env[mat][1:]
        self.readonly.add(row)
        self._loop_body(indent, 1, 3)
        self.env, self.readonly = saved

    def s_enumerate(self, indent: int, locked: bool) -> None:
        vecs = self.names_of(V3) + self.names_of(V2)
        if not vecs:
            return self.s_reassign(indent, locked)
        v = self.r.choice(vecs)
        idx, item = f"n{self.loops}", f"e{self.loops}"
        start = self.r.choice([1, 2]) if self.chance(0.3) else 0
        self.emit(indent, f"for {idx}, {item} in enumerate({v}{f', start={start}' if start else ''}):")
        saved = (dict(self.env), set(self.readonly), list(self.ints))
        self.env[item] = SCALAR
        self.readonly.add(item)
        self.ints.append((idx, None if start else self.env[v][0]))  # with a start, not an index
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
        if self.vector:  # the function returns an array at its end
            self.s_assign(indent, locked)
            return
        e = self.expr(self.shape(), self.r.choice([0, 1, 2])).text
        self._guarded(indent, f"return {self.all_params(e)}" if self.floats else f"return np.sum({e})")

    def s_break(self, indent: int, locked: bool) -> None:
        self._guarded(indent, "break")

    def s_continue(self, indent: int, locked: bool) -> None:
        self._guarded(indent, "continue")

    # ------------------------------------------- constructs of issue 8 (and README's lists)
    def name_or_expr(self, shape: Shape, d: int) -> str:
        names = self.names_of(shape)
        if names and self.chance(0.6):
            return self.r.choice(names)
        return f"({self.expr(shape, d).text})"

    def probed(self, clean: str, probe: str) -> str:
        """An expression (or a line) written ``clean`` in f and ``probe`` in f_probe."""
        return clean if clean == probe else self._cond(clean, probe)

    def lib(self, shape: Shape, depth: int) -> _Expr | None:
        """A call of a function of README's lists (LIBRARY), giving ``shape``."""
        opts = FLOAT_LIBRARY if self.floats else [t for t in LIBRARY if shape in t[1]]
        if not opts:
            return None
        _, _, write = self.r.choice(opts)
        out = write(self, shape, max(depth - 1, 0))
        text = out if isinstance(out, str) else self.probed(*out)
        return _Expr(f"({text})", True)

    def maxmin(self, depth: int) -> _Expr:
        """Builtin max/min of several scalars (a kink where two are equal)."""
        vals = [self.expr(SCALAR, depth - 1, ternary=False).text for _ in range(self.r.choice([2, 2, 3]))]
        fn = self.r.choice(["max", "min"])
        clean = f"{fn}({', '.join(vals)})"
        probe = f"{fn}(_MX({', '.join(vals)}), {', '.join(vals[1:])})"
        return _Expr(self.probed(clean, probe), True)

    def einsum(self, shape: Shape, depth: int) -> _Expr:
        """np.einsum: explicit and implicit outputs, diagonals, ellipsis."""
        d = depth - 1
        m, v3, v2 = (
            (lambda: self.name_or_expr(M, d)),
            (lambda: self.name_or_expr(V3, d)),
            (lambda: self.name_or_expr(V2, d)),
        )
        if shape == SCALAR:
            forms = [
                lambda: f"np.einsum('i,i->', {v3()}, {v3()})",
                lambda: f"np.einsum('ij,ij->', {m()}, {m()})",
                lambda: f"np.einsum('ii->', np.outer({v2()}, {v2()}))",
                lambda: f"np.einsum('ij,ij', {m()}, {m()})",
                lambda: f"np.sum(np.einsum('ii->i', np.outer({v2()}, {v2()})))",
                lambda: f"np.sum(np.einsum('...i->...', {m()}))",
                lambda: f"np.einsum('i,i', {v3()}, {v3()})",
            ]
        elif shape == V2:
            forms = [
                lambda: f"np.einsum('ij,j->i', {m()}, {v3()})",
                lambda: f"np.einsum('ij->i', {m()})",
                lambda: f"np.einsum('ii->i', np.outer({v2()}, {v2()}))",
                lambda: f"np.einsum('...j,j', {m()}, {v3()})",
            ]
        elif shape == V3:
            forms = [
                lambda: f"np.einsum('i,ij->j', {v2()}, {m()})",
                lambda: f"np.einsum('ij->j', {m()})",
                lambda: f"np.einsum('i', {v3()})",
            ]
        else:
            forms = [
                lambda: f"np.einsum('i,j->ij', {v2()}, {v3()})",
                lambda: f"np.einsum('ij->ij', {m()})",
                lambda: f"np.einsum('ij,j->ij', {m()}, {v3()})",
                lambda: f"np.einsum('ij', {m()})",
            ]
        text = self.r.choice(forms)()
        # a relabelling or a diagonal returns a view of its operand: not fresh
        view = shape != SCALAR and any(f"einsum('{spec}'," in text for spec in ("i", "ij", "ij->ij", "ii->i"))
        return _Expr(text, not view)

    def own_array(self, indent: int, shape: Shape) -> str:
        """A new array of the function's own, of ``shape``, with active entries."""
        t = self.new_temp()
        src = self.names_of(shape)
        if src and self.chance(0.5):
            text = self.r.choice(
                [f"np.copy({self.r.choice(src)})", f"{self.r.choice(src)}.copy()", f"({self.r.choice(src)} + 0.0)"]
            )
        else:
            text = self.rhs(shape, True).text
            if shape == V3 and self.chance(0.2):
                text = f"np.array([{self.expr(SCALAR, 1).text}, 0.5, {self.expr(SCALAR, 1).text}])"
        self.emit(indent, f"{t} = {text}")
        self.bind(t, shape, _Expr(t, True))
        return t

    def s_tuples(self, indent: int, locked: bool) -> None:
        """Containers of tuples: a list of (W, b) pairs iterated or unpacked,
        and `for n, (a, b) in enumerate(zip(u, v))`."""
        form = self.r.randrange(3)
        if form == 2:
            pairs = [(a, b) for s in (V2, V3) for a in self.names_of(s) for b in self.names_of(s)]
            if not pairs:
                return self.s_assign(indent, locked)
            u, v = self.r.choice(pairs)
            idx, a, b = f"n{self.loops}", f"a{self.loops}", f"b{self.loops}"
            head = self.r.choice([f"enumerate(zip({u}, {v}))", f"zip(range(len({u})), zip({u}, {v}))"])
            self.emit(indent, f"for {idx}, ({a}, {b}) in {head}:")
            saved = (dict(self.env), set(self.readonly), list(self.ints))
            self.env[a] = self.env[b] = SCALAR
            self.readonly |= {a, b}
            self.ints.append((idx, self.env[u][0]))
            self._loop_body(indent, 1, 3)
            self.env, self.readonly, self.ints = saved
            return
        targets = [n for n in self.assignable() if n not in self.readonly]
        h = self.r.choice(targets) if targets and self.chance(0.7) else None
        shape = self.env[h] if h else self.shape()
        ws, bs = self.r.choice([shape, SCALAR]), self.r.choice([shape, SCALAR])
        items = [(self.expr(ws, 1).text, self.expr(bs, 1).text) for _ in range(self.r.choice([1, 2, 2, 3]))]
        lst = "[" + ", ".join(f"({w}, {b})" for w, b in items) + "]"
        W, B = f"W{self.loops}", f"B{self.loops}"
        if form == 0 and h:
            if self.chance(0.5):
                self.emit(indent, f"for {W}, {B} in {lst}:")
            else:
                ps = self.new_temp()
                self.emit(indent, f"{ps} = {lst}")
                self.emit(indent, f"for {W}, {B} in {ps}:")
            self.emit(indent + 1, f"{h} = np.tanh({W} * {h} + {B})")
            self.bind(h, shape, _Expr(h, True))
            return
        ps = self.new_temp()
        self.emit(indent, f"{ps} = {lst}")
        k = self.r.randrange(len(items))
        self.emit(indent, f"{W}, {B} = {ps}[{self.r.choice([str(k), str(k - len(items))])}]")
        t = self.new_temp()
        self.emit(indent, f"{t} = {W} * {B}")
        self.bind(t, shape if ws != SCALAR or bs != SCALAR else SCALAR, _Expr(t, True))

    def s_concat(self, indent: int, locked: bool) -> None:
        """Lists and tuples joined with `+`: `sum([a] + [b])`, `(a,) + (b,)`."""
        t = self.new_temp()
        if self.chance(0.5):
            shape = self.shape()
            parts = [self.expr(shape, 1).text for _ in range(self.r.randint(2, 3))]
            left = self.r.randint(1, len(parts) - 1)
            lst = f"[{', '.join(parts[:left])}] + [{', '.join(parts[left:])}]"
            self.emit(indent, f"{t} = {self.r.choice(['sum', 'np.sum']) if shape == SCALAR else 'sum'}({lst})")
            self.bind(t, shape, _Expr(t, True))
            return
        sa, sb = self.shape(), self.shape()
        a, b = self.expr(sa, 1).text, self.expr(sb, 1).text
        tp = self.new_temp()
        self.emit(indent, f"{tp} = ({a},) + ({b},)" if self.chance(0.6) else f"{tp} = [{a}] + [{b}]")
        k = self.r.choice(["1", "-1"])
        self.emit(indent, f"{t} = np.sum({tp}[0]) * np.cos(np.sum({tp}[{k}]))")
        self.bind(t, SCALAR, _Expr(t, True))

    def s_scatter(self, indent: int, locked: bool) -> None:
        """Writes with repeated or run-time indices: `y[[0, 0]] += v`, `y[np.arange(3) // 2] = v`."""
        shape = self.r.choice([V2, V3, V3, M])
        n = self.own_array(indent, shape)
        if shape == M:
            index, part = self.r.choice([("[0, 0], [1, 1]", (2,)), ("[1, 1, 0], [2, 0, 2]", (3,)), ("[1, 1]", (2, 3))])
        else:
            index, part = self.r.choice(
                [
                    ("[0, 0]", (2,)),
                    ("[1, 0, 1]", (3,)),
                    ("[-1, 0, -1]", (3,)),
                    (f"np.arange({shape[0]}) // 2", shape),
                    ("np.array([0, 0])", (2,)),
                    (f"np.arange({shape[0]}) % {shape[0] - 1}", shape),
                ]
            )
        sub = SCALAR if part not in ALL_SHAPES or self.chance(0.3) else part
        e = self.expr(sub, 1).text
        op = self.r.choice(["=", "+=", "-=", "*="])
        value = f"np.tanh({e})" if op == "*=" else e
        self.emit(indent, f"{n}[{index}] {op} {value}")

    def s_alias(self, indent: int, locked: bool) -> None:
        """An array written while another name or a container holds it, then read through that."""
        form = self.r.randrange(7)
        if form == 6:  # `x += v` on an array argument
            args = [n for n in self.params if self.env.get(n) not in (None, SCALAR) and n in self.original]
            if args:
                x = self.r.choice(args)
                self.emit(indent, f"{x} += {self.expr(self.r.choice([SCALAR, self.env[x]]), 1).text}")
                return
            form = 0
        shape = self.r.choice([V2, V3, M])
        y = self.own_array(indent, shape)
        if form == 5:  # row or entry swap
            self.emit(indent, f"{y}[0], {y}[1] = {y}[1], {y}[0]")
            return
        if form == 0:
            via, read = f"[{y}]", "{}[0]"
        elif form == 1:
            via, read = f"({y}, {self.const()})", "{}[0]"
        elif form == 2:
            via, read = f"_id({y})", "{}"
        elif form == 3:
            other = self.own_array(indent, shape)
            via, read = f"{y} if {self.cond()} else {other}", "{}"
        else:
            via, read = self.r.choice([f"{y}.astype(float, copy=False)", f"np.asarray({y})"]), "{}"
        al = self.new_temp()
        self.emit(indent, f"{al} = {via}")
        k = self.r.randrange(shape[0])
        part = SCALAR if len(shape) == 1 else (shape[1],)
        self.emit(indent, f"{y}[{k}] = {self.expr(part, 1).text}")
        t = self.new_temp()
        self.emit(indent, f"{t} = {read.format(al)} * {self.expr(self.r.choice([SCALAR, shape]), 1).text}")
        self.fresh.discard(y)
        self.bind(t, shape, _Expr(t, True))

    def s_argwrite(self, indent: int, locked: bool) -> None:
        """A write into an array argument still bound to the caller's array:
        `x[k] = v`, `x[a:] = v`, `x[:, j] = v`, a mask, fancy indexes with
        repeats, `x[k] += v`, `x[[k, k]] += v`, `x += v`, `x *= v`, `x /= v`, or a
        loop writing entry by entry."""
        args = [n for n in self.params if self.env.get(n) not in (None, SCALAR) and n in self.original]
        if not args:
            return self.s_assign(indent, locked)
        x = self.r.choice(args)
        shape = self.env[x]
        n, row = shape[0], shape[1:]
        form = self.r.randrange(8)
        if form == 7:  # a loop, each entry from the one before
            k = f"k{self.temps}"
            self.temps += 1
            self.emit(indent, f"for {k} in range(1, {n}):")
            e = self.expr(row, 1).text
            step = self.r.choice(
                [
                    f"{x}[{k}] = {x}[{k}] * {self.const(0.3, 0.9)} + np.tanh({x}[{k} - 1]) * {e}",
                    f"{x}[{k}] += {self.const(0.2, 0.8)} * {x}[{k} - 1] * {e}",
                ]
            )
            self.emit(indent + 1, step)
            return
        if form == 6:  # the whole array, in place
            e = self.expr(self.r.choice([SCALAR, shape]), 1).text
            op = self.r.choice(["+=", "-=", "*=", "/="])
            value = {"*=": f"np.tanh({e})", "/=": f"(2.0 + np.tanh({e}))"}.get(op, e)
            self.emit(indent, f"{x} {op} {value}")
            return
        k = self.r.randrange(n)
        if form == 0:
            index, part = f"{k}", row
        elif form == 1:
            index, part = f"{k}:", SCALAR
        elif form == 2:
            index, part = (f":, {self.r.randrange(shape[1])}", (n,) + shape[2:]) if len(shape) >= 2 else ("1:", SCALAR)
        elif form == 3:
            index, part = f"np.arange({n}) % 2 == 0", SCALAR
        else:
            index, part = self.r.choice([(f"[{k}, {k}]", (2,) + shape[1:]), (f"[{n - 1}, 0, {n - 1}]", SCALAR)])
        if form == 5:  # an entry, or one repeated (NumPy adds once)
            index, part = self.r.choice([(f"{k}", row), (f"[{k}, {k}]", (2,) + shape[1:])])
        if part not in ALL_SHAPES:
            part = SCALAR
        e = self.expr(part, self.r.choice([1, 2])).text
        op = "=" if form < 4 else "+=" if form == 5 else self.r.choice(["=", "+=", "-="])
        self.emit(indent, f"{x}[{index}] {op} {e}")

    def s_mod(self, indent: int, locked: bool) -> None:
        """`%`, `%=`, np.mod, np.remainder, np.fmod, math.fmod, math.remainder
        (kinks at the wrap points, probed)."""
        shape = self.shape()
        c = self.r.choice([1.0, 1.5, 0.7, 2.0])
        ex = self.expr(shape, self.r.choice([1, 2]))
        e = ex.text
        t = self.new_temp()
        form = self.r.randrange(7 if shape == SCALAR else 5)
        if self.floats:  # np.mod and np.remainder have no math counterpart
            form = self.r.choice([0, 3, 5, 6])
        if form == 3:  # `t %= c` changes t's array in place: a new one, not a global's or an argument's
            self.emit(indent, f"{t} = {e if ex.fresh or shape == SCALAR else f'({e}) + 0.0'}")
            self.emit(indent, self.probed(f"{t} %= {c!r}", f"{t} = _MW({t}, {c!r}) % {c!r}"))
        elif form == 6:  # math.remainder wraps half-way between multiples of c
            clean = f"math.remainder({e}, {c!r})"
            self.emit(indent, f"{t} = {self.probed(clean, f'math.remainder(_MW({e}, {c!r}, {c / 2!r}), {c!r})')}")
        else:
            fmt = ["({}) % {}", "np.mod({}, {})", "np.remainder({}, {})", "", "np.fmod({}, {})", "math.fmod({}, {})"][
                form
            ]
            self.emit(indent, f"{t} = {self.probed(fmt.format(e, repr(c)), fmt.format(f'_MW({e}, {c!r})', repr(c)))}")
        self.bind(t, shape, _Expr(t, True))

    def s_norule(self, indent: int, locked: bool) -> None:
        """Operations with no rule: np.linspace with an active bound, np.r_/np.c_,
        complex intermediates, eval/locals. A correct s2sad refuses them or gets them right."""
        t = self.new_temp()
        a = self.expr(SCALAR, 1).text
        v = self.name_or_expr(self.r.choice([V2, V3]), 1)
        forms = [
            f"np.sum(np.linspace(0.0, {a}, 3) * C3)",
            f"np.sum(np.r_[{v}, {v}] * 1.5)",
            f"np.sum(np.c_[{v}, {v}] * 0.5)",
            f"np.abs({a} + 1j * 0.5)",
            f"np.real(({a} + 1j) * ({a} - 2j))",
            f"eval({a!r})",
            f"locals()[{self.r.choice(self.params)!r}] * 1.0",
        ]
        text = self.r.choice(forms)
        shape = SCALAR
        if text.startswith("locals"):
            name = text.split("'")[1]
            shape = self.env[name] if name in self.original else None
            if shape is None:
                text, shape = f"np.sum(np.linspace({a}, 2.0, 4))", SCALAR
        self.emit(indent, f"{t} = {text}")
        self.bind(t, shape, _Expr(t, True))

    def s_draw(self, indent: int, locked: bool) -> None:
        """A random draw in a callee called with an active value (f reseeds the
        generator first, so f is a function; the reverse sweep must not draw again)."""
        self.draws = True
        shape = self.shape()
        t = self.new_temp()
        self.emit(indent, f"{t} = _noisy({self.expr(shape, self.r.choice([1, 2])).text})")
        self.bind(t, shape, _Expr(t, True))

    def s_empty(self, indent: int, locked: bool) -> None:
        """A loop that runs zero times: its variable keeps its previous binding."""
        q = f"q{self.counters}"
        self.counters += 1
        self.emit(indent, f"{q} = {self.expr(SCALAR, 1).text}")
        vecs = [n for n in self.env if self.env[n] in (V2, V3)]
        heads = ["range(0)", "range(2, 2)", "range(3, 1)"]
        if vecs:
            v = self.r.choice(vecs)
            heads.append(f"range(len({v}) - {self.env[v][0]})")
        self.emit(indent, f"for {q} in {self.r.choice(heads)}:")
        saved = list(self.ints)
        self.ints.append((q, 1))
        self._loop_body(indent, 1, 2)
        self.ints = saved
        self.bind(q, SCALAR, _Expr(q, True))

    def s_kindchange(self, indent: int, locked: bool) -> None:
        """A float that becomes an array in a loop: `out = 0.0; for ...: out = out + <array>`."""
        out = self.new_temp()
        shape = self.r.choice([V2, V3, M])
        var = f"p{self.counters}"
        self.counters += 1
        self.emit(indent, f"{out} = 0.0")
        self.emit(indent, f"for {var} in range({self.r.randint(1, 3)}):")
        if shape == M and self.chance(0.5):
            term = f"{self.name_or_expr(V2, 1)}[:, None] * {self.name_or_expr(V3, 1)}"
        else:
            term = self.expr(shape, 1).text
        weight = self.leaf(SCALAR).text if self.chance(0.6) else self.const()  # often an entry of an argument
        self.emit(indent + 1, f"{out} = {out} + {term} * {weight}")
        self.bind(out, shape, _Expr(out, True))

    def s_containers(self, indent: int, locked: bool) -> None:
        """Lists: build and append in a loop, read hs[-1], stack/concatenate/sum
        over them, comprehensions and filtered generator expressions."""
        t = self.new_temp()
        form = self.r.randrange(7)
        shape = self.r.choice([SCALAR, V3, V2])
        if form == 0:
            hs, h = self.new_temp(), self.name_or_expr(shape, 1)
            self.emit(indent, f"{hs} = [{h}]")
            var = f"p{self.counters}"
            self.counters += 1
            self.emit(indent, f"for {var} in range({self.r.randint(1, 3)}):")
            self.emit(indent + 1, f"{hs}.append(np.tanh({hs}[-1] * {self.const()} + {self.expr(shape, 1).text}))")
            red = self.r.choice(["hs[-1]", "sum(hs)", "hs[-2]", "np.stack(hs)"])
            if red == "np.stack(hs)":
                self.emit(indent, f"{t} = np.sum(np.stack({hs}) * {self.const()})")
                self.bind(t, SCALAR, _Expr(t, True))
                return
            self.emit(indent, f"{t} = {red.replace('hs', hs)}")
            self.bind(t, shape, _Expr(t, True))
            return
        vecs = self.names_of(V3) + self.names_of(V2)
        v = self.r.choice(vecs) if vecs else "C3"
        w = self.expr(SCALAR, 1).text
        if form == 1:
            c = self.const(-0.5, 0.5)
            text = f"sum({w} * e for e in {v} if e > {c})"
            probe = f"sum({w} * e for e in {v} if _MK(e, {c}) > {c})"
            self.emit(indent, f"{t} = {self.probed(text, probe)}")
        elif form == 2:
            self.emit(indent, f"{t} = np.sum(np.array([np.sin(e) * {w} for e in {v}]))")
        elif form == 3:
            self.emit(indent, f"{t} = sum([a * b for a in {v} for b in {v}])")
        elif form == 5:  # a comprehension of tuples: each item's adjoint is a tuple
            ps = self.new_temp()
            self.emit(indent, f"{ps} = [(np.sin(e) * {w}, e) for e in {v}]")
            self.emit(indent, f"{t} = sum(a * b for a, b in {ps}) + {ps}[0][0]")
        elif form == 6:  # a tuple or nested list literal appended: items of the literal get its adjoint
            ps, u = self.new_temp(), self.expr(SCALAR, 1).text
            self.emit(indent, f"{ps} = []")
            self.emit(indent, f"{ps}.append(({w} * 2.0, [{u}, ({w}, {v})]))")
            self.emit(indent, f"{ps}.append(({u}, [{w}, ({u}, {v})]))")
            self.emit(indent, f"{t} = {ps}[0][0] * {ps}[-1][1][0] + np.sum({ps}[0][1][1][1] * {ps}[-1][1][1][0])")
        else:
            parts = [self.name_or_expr(V3, 1) for _ in range(2)]
            self.emit(indent, f"{t} = np.sum(np.concatenate([{', '.join(parts)}]) * np.arange(6.0))")
        self.bind(t, SCALAR, _Expr(t, True))

    def s_calls(self, indent: int, locked: bool) -> None:
        """Calls as ML users write them: a helper taking *args, called with
        values or with *a tuple; one taking **kw; functions passed as values
        (a NumPy ufunc, a user helper, a lambda, as an argument or default)."""
        shape = self.shape()
        e = self.expr(shape, 1).text
        u = self.expr(shape, 1).text
        t = self.new_temp()
        form = self.r.randrange(11)
        if form == 10:
            layer = self.new_temp()
            self.emit(indent, f"{t} = {e}")
            self.emit(indent, f"for {layer} in [_Layer({self.const()}), _Layer({self.const()})]:")
            self.emit(indent + 1, f"{t} = {layer}.forward({t})")
        elif form == 6:
            self.emit(indent, f"{t} = sum(np.sin(v) for v in _hgen({e}))")
        elif form == 7:
            fn = self.r.choice(["lambda v: v * np.cos(v)", "np.tanh", "_h3", "functools.partial(_h1, b=0.7)"])
            self.emit(indent, f"{t} = sum(map({fn}, [{e}, {u}]))")
        elif form == 8 and self.chance(0.5):
            self.emit(indent, f"{t} = sum(filter(lambda v: np.all(np.isfinite(v)), [{e}, {u}]))")
        elif form == 8:
            g = self.new_temp()
            self.emit(indent, f"{g} = functools.partial(_h1, b={self.const()})")
            self.emit(indent, f"{t} = {g}({e}) + sum(map({g}, [{u}]))")
        elif form == 9:
            g1, g2 = self.new_temp(), self.new_temp()
            self.emit(indent, f"{t} = {e} * 0.5")
            self.emit(indent, f"for {g1}, {g2} in zip(*_hpairs({e}, {u})):")
            self.emit(indent + 1, f"{t} = {t} + {g1} * np.sin({g2})")
        elif form == 0:
            self.emit(indent, f"{t} = _hstar({e}, {u}, {self.const()})")
        elif form == 1:
            p = self.new_temp()
            self.emit(indent, f"{p} = ({u}, {self.const()})")
            self.emit(indent, f"{t} = _hstar({e}, *{p})")
        elif form == 2:
            extra = self.r.choice(["", f", t={self.const()}"])
            self.emit(indent, f"{t} = _hkw({e}, s={self.const()}{extra})")
        elif form == 3:
            fn = self.r.choice(["np.sin", "np.tanh", "_h1", "_h3"])
            self.emit(indent, f"{t} = _happly({fn}, {e})")
        elif form == 4:
            self.emit(indent, f"{t} = _happly(lambda v: v * np.cos(v), {e}, act=np.sin)")
        else:
            self.emit(indent, f"{t} = _happly(_h1, {e}, act=lambda v: 0.5 * v * v)")
        self.bind(t, shape, _Expr(t, True))

    def pack(self, params: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """Pass the arguments as one pytree ``p`` (wrt it), read back at the
        top of the body: a dict (``x = p["x"]``, after a loop over
        ``p.items()``, ``p``, ``p.keys()`` or ``p.values()``), a namedtuple
        (``x = p.u``) or a nested one (``x, y = p["pair"]``)."""
        leaves = [n for n, _ in params]
        shapes = dict(params)
        form = self.r.randrange(5)
        if form == 2 and len(leaves) < 2:
            form = 0
        if form == 2:  # a namedtuple
            nt, fields = ("_NT2", "uw") if len(leaves) == 2 else ("_NT3", "uwz")
            tree = Tree(nt, [(f, shapes[n]) for f, n in zip(fields, leaves)])
            for f, n in zip(fields, leaves):
                self.emit(1, f"{n} = p.{f}")
            return [("p", tree)]
        if form == 3:  # nested: a dict holding a tuple (or list) and the rest
            pair, rest = leaves[:2], leaves[2:]
            inner = Tree(self.r.choice(["tuple", "list"]), [(k, shapes[n]) for k, n in enumerate(pair)])
            tree = Tree("dict", [("pair", inner)] + [(n, shapes[n]) for n in rest])
            if len(pair) == 2:
                self.emit(1, f"{pair[0]}, {pair[1]} = p['pair']")
            else:
                self.emit(1, f"{pair[0]} = p['pair'][0]")
            for n in rest:
                self.emit(1, f"{n} = p[{n!r}]")
            return [("p", tree)]
        tree = Tree("dict", [(n, shapes[n]) for n in leaves])
        if form in (1, 4):  # a loop over the dict first: its keys, values or items
            t = self.new_temp()
            c = self.const()
            self.emit(1, f"{t} = 0.0")
            loop, item = self.r.choice(
                [
                    ("for k, v in p.items():", "v"),
                    ("for k in p:", "p[k]"),
                    ("for v in p.values():", "v"),
                    ("for k in p.keys():", "p[k]"),
                ]
            )
            self.emit(1, loop)
            self.emit(2, f"{t} = {t} + np.sum(np.tanh({item})) * {c}")
            self.env[t] = SCALAR
        if self.chance(0.5):
            for n in leaves:
                self.emit(1, f"{n} = p[{n!r}]")
        else:
            self.emit(1, f"{', '.join(leaves)} = {', '.join(f'p[{n!r}]' for n in leaves)}")
        return [("p", tree)]

    def s_pytrees(self, indent: int, locked: bool) -> None:
        """Dicts in the body: a literal or dict(...) passed to a helper that
        returns a dict, a local dict built by d["k"] = v, sum over d.values(),
        a loop over a dict's keys."""
        t, d = self.new_temp(), self.new_temp()
        a = self.name_or_expr(self.shape(), 1)
        b = self.name_or_expr(self.shape(), 1)
        form = self.r.randrange(4)
        if form == 1:
            self.emit(indent, f"{d} = {{}}")
            self.emit(indent, f"{d}['a'] = {a}")
            self.emit(indent, f"{d}['b'] = {b}")
        else:
            self.emit(indent, self.r.choice([f"{d} = {{'a': {a}, 'b': {b}}}", f"{d} = dict(a={a}, b={b})"]))
        if form == 0:
            o = self.new_temp()
            self.emit(indent, f"{o} = _hdict({d})")
            self.emit(indent, f"{t} = np.sum({o}['s']) + np.sum({o}['t'] * {self.const()})")
        elif form == 1:
            self.emit(
                indent, self.r.choice([f"{t} = _hsum({d})", f"{t} = np.sum({d}['a']) * np.sum(np.tanh({d}['b']))"])
            )
        elif form == 2:
            self.emit(indent, f"{t} = sum(np.sum(v) * {self.const()} for v in {d}.values())")
        else:
            self.emit(indent, f"{t} = 0.0")
            var = f"k{self.counters}"
            self.counters += 1
            self.emit(indent, f"for {var} in {d}:")
            self.emit(indent + 1, f"{t} = {t} + np.sum(np.sin({d}[{var}]))")
        self.bind(t, SCALAR, _Expr(t, True))

    def s_misc(self, indent: int, locked: bool) -> None:
        """pass, assert, raise in an untaken branch, a lambda bound to a name, a
        nested def reading an enclosing variable, a bound method, a tuple-returning
        helper, writes by slice, column and mask into np.zeros/np.empty."""
        form = self.r.randrange(8)
        t = self.new_temp()
        shape = self.shape()
        e = self.expr(shape, 1).text
        if form == 0:
            self.emit(indent, "pass")
            self.emit(indent, f"assert np.all(np.isfinite({e}))")
            self.emit(indent, f"if not np.all(np.isfinite({e})):")
            self.emit(indent + 1, "raise ValueError('not finite')")
            return
        if form == 1:
            self.emit(indent, f"sq{self.temps} = lambda v, c={self.const()}: v * np.tanh(v) * c")
            self.emit(indent, f"{t} = sq{self.temps}({e})")
        elif form == 2:
            s = self.expr(SCALAR, 1).text
            self.emit(indent, f"def inner{self.temps}(v):")
            self.emit(indent + 1, f"return v * np.cos({s})")
            self.emit(indent, f"{t} = inner{self.temps}({e})")
        elif form == 3:
            self.emit(indent, f"{t} = _MODEL.apply({e})")
        elif form == 4:
            u = self.new_temp()
            if self.chance(0.3):
                v = self.name_or_expr(V2, 1)
                self.emit(indent, f"{u}, {t} = np.linalg.slogdet(np.outer({v}, {v}) + np.eye(2))")
            else:
                self.emit(indent, f"{t}, {u} = _stats({self.name_or_expr(self.r.choice([V3, M]), 1)})")
            self.bind(u, SCALAR, _Expr(u, True))
            shape = SCALAR
        else:
            y = f"{t}"
            init = self.r.choice(["np.zeros(3)", "np.empty(3)", "np.zeros((2, 3))"])
            shape = V3 if "(3)" in init else M
            self.emit(indent, f"{y} = {init}")
            if shape == V3:
                self.emit(indent, f"{y}[0:2] = {self.name_or_expr(V2, 1)}")
                self.emit(indent, f"{y}[2:] = {self.expr(SCALAR, 1).text}")
                if self.chance(0.5):
                    self.emit(indent, f"{y}[C3 > 0] = {self.expr(SCALAR, 1).text}")
            else:
                self.emit(indent, f"{y}[:, 1] = {self.name_or_expr(V2, 1)}")
                self.emit(indent, f"{y}[0] += {self.name_or_expr(V3, 1)}")
        self.bind(t, shape, _Expr(t, True))

    def vector_output(self, indent: int) -> Shape:
        """The function's array output (checked with vjp): an expression, an
        array written entry by entry in a loop, or a 0-d array updated in a loop."""
        form = self.r.randrange(3)
        if form == 0:
            shape = self.r.choice([V2, V3, M] + ([C21, R13, T213] if self.units() else []))
            self.emit(indent, f"return {self.expr(shape, 2).text}")
            return shape
        var = "i"
        if form == 1:
            n = self.r.choice([2, 3])
            self.emit(indent, f"out = np.zeros({n})")
            self.emit(indent, f"for {var} in range({n}):")
            self.ints.append((var, n))
            self.env.pop("out", None)
            e = self.expr(SCALAR, self.r.choice([1, 2])).text
            carry = self.r.choice(["np.sum(out)", f"out[{var} - 1]", "np.tanh(np.sum(out))"])
            self.emit(indent + 1, f"out[{var}] = {e} + 0.5 * {carry}")
            self.emit(indent, "return out")
            return (n,)
        self.emit(indent, "out = np.zeros(())")
        self.emit(indent, f"for {var} in range({self.r.randint(1, 3)}):")
        s = self.expr(SCALAR, 1).text
        self.emit(indent + 1, f"out[()] = np.tanh(out * {s}) + {self.expr(SCALAR, 1).text}")
        self.emit(indent, "return out")
        return ()

    # ------------------------------------------------------------- program
    def program(self) -> tuple[list[tuple[str, Shape]], list[tuple[int, str]]]:
        names = ["x", "y", "w"]
        params = []
        # production `floats`: Python floats alone, in what the float variant covers
        self.floats = "floats" not in self.without and self.chance(0.15)
        for k in range(self.r.randint(1, 3)):
            if self.floats:
                shape = SCALAR
            elif "units" not in self.without and self.chance(0.25):  # a dimension of length 1
                shape = self.r.choices(UNIT_SHAPES, weights=[1.0, 1.5, 1.5, 1.0, 0.7])[0]
            else:
                shape = self.r.choices(SHAPES, weights=[0.35, 0.1, 0.3, 0.25])[0]
            params.append((names[k], shape))
            self.env[names[k]] = shape
        self.params = [n for n, _ in params]
        self.original = set(self.params)
        if self.floats and self.chance(0.6):
            # arguments never rebound: each is read on every path (returns add a term of them),
            # so no adjoint is a zeros_like (the float variant takes none)
            self.readonly |= set(self.params)
        self.budget = self.r.randint(5, 20)
        last = None
        # an array output is chosen first: early returns would return a float
        self.vector = not self.floats and "vector" not in self.without and self.chance(0.2)
        if not self.vector and not self.floats and "pytrees" not in self.without and self.chance(0.3):
            params = self.pack(params)
        while self.budget > 0:
            self.stmt(1)
            if self.lines and self.lines[-1][0] == 1 and "=" in self.lines[-1][1]:
                last = self.lines[-1][1].split("=")[0].split(",")[0].strip(" +-*/")
        if self.vector:
            self.output = self.vector_output(1)
            return params, self.lines
        if last in self.env and self.chance(0.7):
            shape = self.env[last]
            other = self.expr(shape, self.r.choice([0, 1])).text
            final = self.r.choice([last, f"{last} * {other}", f"{last} + {other}", f"np.sin({last})"])
        else:
            final = self.expr(self.shape(), 2).text
        if self.floats:  # np.sum of a float is a NumPy float: return the float itself
            self.emit(1, f"return {self.all_params(final)}")
            return params, self.lines
        self.emit(1, f"return np.sum({final})")
        return params, self.lines


# ------------------------------------------------------- library templates
# Each template writes one call of a function README claims, on operands of
# the generator's shapes, inside the function's domain; ``k`` marks the kinks,
# where the probe records the distance (``_MK``, ``_MD``, ``_MT``, ``_MS``).
# A template is (claim, shapes it can produce, writer); a writer returns the
# clean text, or (clean, probe) when there is a kink.


def _ew(fmt: str, probe: str | None = None) -> Any:
    """An elementwise template on one operand ``{a}`` (``{b}`` a second one)."""

    def write(g: Generator, shape: Shape, d: int) -> str | tuple[str, str]:
        a, b = g.expr(shape, d).text, g.expr(shape, d).text
        clean = fmt.format(a=a, b=b)
        return clean if probe is None else (clean, probe.format(a=a, b=b))

    return write


def _red(fmt: str, src: list[Shape], probe: str | None = None) -> Any:
    """A template of a scalar made from one array operand ``{a}``."""

    def write(g: Generator, shape: Shape, d: int) -> str | tuple[str, str]:
        a = g.expr(g.r.choice([s for s in src if s not in UNIT_SHAPES] if "units" in g.without else src), d).text
        clean = fmt.format(a=a)
        return clean if probe is None else (clean, probe.format(a=a))

    return write


def _spd(g: Generator, d: int) -> str:
    """A 2x2 symmetric positive definite matrix (det >= 1) of an active vector."""
    v = g.expr(V2, d).text
    return f"(np.outer({v}, {v}) + np.eye(2))"


_SMOOTH_EW = [  # (claim, template on any shape): smooth on the whole line
    ("np.sin", "np.sin({a})"),
    ("np.cos", "np.cos({a})"),
    ("np.tan", "np.tan(0.5 * np.tanh({a}))"),
    ("np.arcsin", "np.arcsin(0.9 * np.tanh({a}))"),
    ("np.arccos", "np.arccos(0.9 * np.tanh({a}))"),
    ("np.arctan", "np.arctan({a})"),
    ("np.arctan2", "np.arctan2({a}, 1.5 + {b} ** 2)"),
    ("np.sinh", "np.sinh(np.sin({a}))"),
    ("np.cosh", "np.cosh(np.sin({a}))"),
    ("np.tanh", "np.tanh({a})"),
    ("np.arcsinh", "np.arcsinh({a})"),
    ("np.arccosh", "np.arccosh(1.5 + {a} ** 2)"),
    ("np.arctanh", "np.arctanh(0.9 * np.tanh({a}))"),
    ("np.exp", "np.exp(np.sin({a}))"),
    ("np.expm1", "np.expm1(np.sin({a}))"),
    ("np.exp2", "np.exp2(np.sin({a}))"),
    ("np.log", "np.log(1.0 + {a} ** 2)"),
    ("np.log1p", "np.log1p({a} ** 2)"),
    ("np.log2", "np.log2(1.0 + {a} ** 2)"),
    ("np.log10", "np.log10(1.0 + {a} ** 2)"),
    ("np.sqrt", "np.sqrt(1.0 + {a} ** 2)"),
    ("np.square", "np.square({a})"),
    ("np.cbrt", "np.cbrt(1.5 + {a} ** 2)"),
    ("np.negative", "np.negative({a})"),
    ("np.positive", "np.positive({a})"),
    ("np.reciprocal", "np.reciprocal(2.0 + np.sin({a}))"),
    ("np.sinc", "np.sinc({a})"),
    ("np.add", "np.add({a}, {b})"),
    ("np.subtract", "np.subtract({a}, {b})"),
    ("np.multiply", "np.multiply({a}, {b})"),
    ("np.divide", "np.divide({a}, 2.0 + np.sin({b}))"),
    ("np.power", "np.power(1.0 + {a} ** 2, np.sin({b}))"),
    ("np.hypot", "np.hypot({a}, 0.5 + {b} ** 2)"),
    ("np.logaddexp", "np.logaddexp({a}, {b})"),
    ("**", "(1.0 + {a} ** 2) ** np.cos({b})"),
]
_KINK_EW = [  # (claim, clean, probe)
    ("np.abs", "np.abs({a})", "np.abs(_MK({a}, 0.0))"),
    ("np.absolute", "np.absolute({a})", "np.absolute(_MK({a}, 0.0))"),
    ("np.fabs", "np.fabs({a})", "np.fabs(_MK({a}, 0.0))"),
    ("np.maximum", "np.maximum({a}, {b})", "np.maximum(_MD({a}, {b}), {b})"),
    ("np.minimum", "np.minimum({a}, {b})", "np.minimum(_MD({a}, {b}), {b})"),
    ("np.clip", "np.clip({a}, -0.5, 0.7)", "np.clip(_MK({a}, -0.5, 0.7), -0.5, 0.7)"),
    ("np.clip", "np.clip({a}, min=-0.6, max=0.4)", "np.clip(_MK({a}, -0.6, 0.4), min=-0.6, max=0.4)"),
    ("np.where", "np.where({a} > 0.2, {b}, np.sin({a}))", "np.where(_MK({a}, 0.2) > 0.2, {b}, np.sin({a}))"),
    ("np.sign", "(np.sign({a}) * {b})", "(np.sign(_MK({a}, 0.0)) * {b})"),
    ("np.floor", "(np.floor({a}) + {b})", "(np.floor(_MW({a}, 1.0)) + {b})"),
    (".clip", "({a} + 0.0).clip(-0.5, 0.5)", "(_MK({a}, -0.5, 0.5) + 0.0).clip(-0.5, 0.5)"),
]
_MATH = [  # scalar only
    ("math.sin", "math.sin({a})"),
    ("math.cos", "math.cos({a})"),
    ("math.tan", "math.tan(0.5 * math.tanh({a}))"),
    ("math.exp", "math.exp(math.sin({a}))"),
    ("math.log", "math.log(1.0 + {a} ** 2)"),
    ("math.log1p", "math.log1p({a} ** 2)"),
    ("math.log2", "math.log2(1.0 + {a} ** 2)"),
    ("math.log10", "math.log10(1.0 + {a} ** 2)"),
    ("math.expm1", "math.expm1(math.sin({a}))"),
    ("math.sqrt", "math.sqrt(1.0 + {a} ** 2)"),
    ("math.tanh", "math.tanh({a})"),
    ("math.sinh", "math.sinh(math.sin({a}))"),
    ("math.cosh", "math.cosh(math.sin({a}))"),
    ("math.asin", "math.asin(0.9 * math.tanh({a}))"),
    ("math.acos", "math.acos(0.9 * math.tanh({a}))"),
    ("math.atan", "math.atan({a})"),
    ("math.asinh", "math.asinh({a})"),
    ("math.acosh", "math.acosh(1.5 + {a} ** 2)"),
    ("math.atanh", "math.atanh(0.9 * math.tanh({a}))"),
    ("math.atan2", "math.atan2({a}, 1.5 + {b} ** 2)"),
    ("math.pow", "math.pow(1.0 + {a} ** 2, math.sin({b}))"),
    ("math.hypot", "math.hypot({a}, 0.5 + {b} ** 2)"),
    ("math.erf", "math.erf({a})"),
    ("math.erfc", "math.erfc({a})"),
    ("math.log(x, base)", "math.log(1.0 + {a} ** 2, 2.5)"),
    ("pow", "pow(1.0 + {a} ** 2, 1.5)"),
    ("float()", "float({a})"),
    ("np.float64", "np.float64({a})"),
]
_MATH_KINK = [
    ("math.fabs", "math.fabs({a})", "math.fabs(_MK({a}, 0.0))"),
    ("math.copysign", "math.copysign({a}, {b})", "math.copysign(_MK({a}, 0.0), _MK({b}, 0.0))"),
]
_ARRAY = [V2, V3, M]
_ARRAY_U = _ARRAY + UNIT_SHAPES  # a reduction of an array with dimensions of length 1 (production `units`)
_REDUCTIONS = [  # (claim, template on an array {a}, shapes of {a}, probe or None): a scalar
    ("np.sum", "np.sum({a})", _ARRAY_U, None),
    ("np.mean", "np.mean({a})", _ARRAY_U, None),
    ("np.prod", "np.prod(1.5 + np.sin({a}))", _ARRAY_U, None),
    ("np.sum axis", "np.sum(np.sum({a}, axis=(0, 1), keepdims=True))", [M], None),
    ("np.max", "np.max({a})", _ARRAY_U, "np.max(_MT({a}))"),
    ("np.min", "np.min({a})", _ARRAY_U, "np.min(_MT({a}))"),
    ("np.amax", "np.sum(np.amax({a}, axis=0))", [M], "np.sum(np.amax(_MT({a}, axis=0), axis=0))"),
    ("np.amin", "np.amin({a})", _ARRAY_U, "np.amin(_MT({a}))"),
    ("np.var", "np.var({a}, ddof=1)", _ARRAY, None),
    ("np.std", "np.std({a})", _ARRAY, "np.std(_MS({a}))"),
    ("np.average", "np.average({a}, weights=np.arange(1.0, 1.0 + np.size({a})).reshape(np.shape({a})))", _ARRAY, None),
    ("np.nansum", "np.nansum({a})", _ARRAY_U, None),
    ("np.nanmean", "np.nanmean({a})", _ARRAY, None),
    ("np.cumsum", "np.sum(np.cumsum({a}) * C3)", [V3], None),
    ("np.cumprod", "np.sum(np.cumprod(1.0 + 0.5 * np.sin({a})))", [V2, V3], None),
    ("np.diff", "np.sum(np.diff({a}) ** 2)", [V3, M], None),
    ("np.linalg.norm", "np.linalg.norm(1.0 + {a} ** 2)", _ARRAY_U, None),
    ("np.linalg.norm ord", "np.linalg.norm({a}, 1)", [V2, V3], "np.linalg.norm(_MK({a}, 0.0), 1)"),
    (
        "np.linalg.norm ord",
        "np.linalg.norm({a}, np.inf)",
        [V2, V3],
        "np.linalg.norm(_MT(np.abs(_MK({a}, 0.0))) * 0.0 + {a}, np.inf)",
    ),
    ("np.trace", "np.trace(np.outer({a}, {a}))", [V2, V3], None),
    ("np.dot", "np.dot({a}, {a})", [V2, V3], None),
    ("np.inner", "np.inner({a}, {a} + 1.0)", [V2, V3], None),
    ("np.vdot", "np.vdot({a}, np.sin({a}))", _ARRAY_U, None),
    ("np.matmul", "np.sum(np.matmul({a}, C3))", [M], None),
    ("np.tensordot", "np.tensordot({a}, C23, axes=2)", [M], None),
    ("np.einsum", "np.einsum('ij,ij->', {a}, C23)", [M], None),
    ("np.einsum", "np.einsum('i,i->', {a}, np.cos({a}))", [V2, V3], None),
    ("np.einsum", "np.sum(np.einsum('ij,j->i', {a}, C3))", [M], None),
    ("np.einsum", "np.sum(np.einsum('ij->ji', {a}) * C23.T)", [M], None),
    ("np.einsum", "np.einsum('ii->', np.outer({a}, {a} + 1.0))", [V2, V3], None),
    ("np.einsum", "np.sum(np.einsum('ii->i', np.outer({a}, np.sin({a}))) * C3[:len({a})])", [V2, V3], None),
    ("np.einsum", "np.sum(np.einsum('ij,j', {a}, C3))", [M], None),
    ("np.einsum", "np.sum(np.einsum('...j,j->...', {a}, C3))", [M], None),
    ("np.linalg.norm matrix ord", "np.linalg.norm({a}, 2)", [M], None),
    ("np.linalg.norm matrix ord", "np.linalg.norm({a}, -2)", [M], None),
    ("np.linalg.norm matrix ord", "np.linalg.norm({a}, 'nuc')", [M], None),
    ("np.linspace", "np.sum(np.linspace(np.mean({a}), np.sum({a} ** 2), 4) * np.arange(4.0))", _ARRAY, None),
    ("np.linspace", "np.sum(np.linspace(0.5, np.sum({a}), 3, endpoint=False) ** 2)", _ARRAY, None),
    ("np.arange", "np.sum(np.arange(np.mean({a}), np.mean({a}) + 1.9, 0.5) ** 2)", _ARRAY, None),
    ("np.positive", "np.sum(np.positive({a}) * +{a})", _ARRAY, None),
    (".sum", "({a} * 1.0).sum()", _ARRAY_U, None),
    (".mean", "({a} * 1.0).mean(axis=0).sum()", [M], None),
    (".prod", "(2.0 + np.tanh({a})).prod()", _ARRAY_U, None),
    (".max", "({a} * 1.0).max()", _ARRAY, "(_MT({a}) * 1.0).max()"),
    (".min", "({a} * 1.0).min()", _ARRAY, "(_MT({a}) * 1.0).min()"),
    (".var", "({a} * 1.0).var()", _ARRAY, None),
    (".std", "({a} * 1.0).std()", _ARRAY, "(_MS({a}) * 1.0).std()"),
    (".dot", "({a} * 1.0).dot({a})", [V2, V3], None),
    (".item", "np.sum({a}).item()", _ARRAY, None),
    (
        "builtin max of a list",
        "max([np.sum({a}), np.mean({a}) + 0.3])",
        _ARRAY,
        "max([_MD(np.sum({a}), np.mean({a}) + 0.3), np.mean({a}) + 0.3])",
    ),
    ("np.linalg.det", "np.linalg.det(np.outer({a}, {a}) + np.eye(2))", [V2], None),
    ("np.linalg.slogdet", "np.linalg.slogdet(np.outer({a}, {a}) + np.eye(2))[1]", [V2], None),
    ("np.linalg.inv", "np.sum(np.linalg.inv(np.outer({a}, {a}) + np.eye(2)) * C2)", [V2], None),
    ("np.linalg.solve", "np.sum(np.linalg.solve(np.outer({a}, {a}) + np.eye(2), C2 + {a}))", [V2], None),
    ("np.linalg.cholesky", "np.sum(np.linalg.cholesky(np.outer({a}, {a}) + np.eye(2)) * C2)", [V2], None),
    ("len()", "(len({a}) * np.sum({a}))", _ARRAY, None),
    (".shape", "({a}.shape[0] * np.mean({a}))", _ARRAY, None),
    ("np.argmax", "({a})[np.argmax(C3)]", [V3], None),
    ("np.count_nonzero", "(np.count_nonzero(C3 > 0) * np.sum({a}))", _ARRAY, None),
    ("np.allclose", "(np.sum({a}) if np.allclose(C2, C2) else 0.0)", _ARRAY, None),
    ("comparison as constant", "np.sum(({a} > 0.1) * {a})", _ARRAY, "np.sum((_MK({a}, 0.1) > 0.1) * {a})"),
    ("x[[i, i]] read", "np.sum(({a})[[0, 0, 1]])", [V2, V3], None),
    ("x[mask] read", "np.sum(({a})[C3 > 0])", [V3], None),
    ("x[1:3] read", "np.sum(({a})[1:3])", [V3], None),
    ("x[..., i] read", "np.sum(({a})[..., 1])", [M], None),
    ("x[:, None] read", "np.sum(({a})[:, None] * C3)", [V2], None),
]
_SHAPE_OPS = [  # (claim, template on V3 {a} or M {m}, gives a scalar)
    ("np.transpose", "np.sum(np.transpose({m}) * C23.T)"),
    (".T", "np.sum({m}.T * C23.T)"),
    ("np.reshape", "np.sum(np.reshape({m}, (3, 2)) * C23.reshape(3, 2))"),
    ("np.reshape", "np.sum(np.reshape({m}, shape=(6,)) * C23.ravel())"),
    ("np.ravel", "np.sum(np.ravel({m}) * np.arange(6.0))"),
    ("np.expand_dims", "np.sum(np.expand_dims({a}, 0) * C23)"),
    ("np.squeeze", "np.sum(np.squeeze({m}[:1]) * C3)"),
    ("np.swapaxes", "np.sum(np.swapaxes({m}, 0, 1) * C23.T)"),
    ("np.moveaxis", "np.sum(np.moveaxis({m}, 0, 1) * C23.T)"),
    ("np.atleast_1d", "np.sum(np.atleast_1d({a}) * C3)"),
    ("np.atleast_2d", "np.sum(np.atleast_2d({a}) * C23)"),
    ("np.atleast_3d", "np.sum(np.atleast_3d({a})[0, :, 0] * C3)"),
    ("np.broadcast_to", "np.sum(np.broadcast_to({a}, (2, 3)) * C23)"),
    ("np.flip", "np.sum(np.flip({a}) * C3)"),
    ("np.fliplr", "np.sum(np.fliplr({m}) * C23)"),
    ("np.flipud", "np.sum(np.flipud({m}) * C23)"),
    ("np.roll", "np.sum(np.roll({a}, 1) * C3)"),
    ("np.repeat", "np.sum(np.repeat({a}, 2) * np.arange(6.0))"),
    ("np.tile", "np.sum(np.tile({a}, 2) * np.arange(6.0))"),
    ("np.diag", "np.sum(np.diag({a}) * np.outer(C3, C3))"),
    ("np.diagonal", "np.sum(np.diagonal({m}) * C2)"),
    ("np.triu", "np.sum(np.triu({m}) * C23)"),
    ("np.tril", "np.sum(np.tril({m}) * C23)"),
    ("np.hstack", "np.sum(np.hstack([{a}, {a} ** 2]) * np.arange(6.0))"),
    ("np.vstack", "np.sum(np.vstack([{a}, C3]) * C23)"),
    ("np.column_stack", "np.sum(np.column_stack([{a}, C3]) * C23.T)"),
    ("np.array", "np.sum(np.array([{a}[0], {a}[1] ** 2]) * C2)"),
    ("np.asarray", "np.sum(np.asarray({a}) * C3)"),
    ("np.copy", "np.sum(np.copy({a}) * C3)"),
    ("np.full", "np.sum(np.full(3, np.sum({a})) * C3)"),
    ("np.full_like", "np.sum(np.full_like(C3, {a}[0]) * C3)"),
    (".astype", "np.sum({a}.astype(float) * C3)"),
    (".reshape", "np.sum({m}.reshape(3, 2) * C23.reshape(3, 2))"),
    (".ravel", "np.sum({m}.ravel() * np.arange(6.0))"),
    (".flatten", "np.sum({m}.flatten() * np.arange(6.0))"),
    (".squeeze", "np.sum({m}[:1].squeeze() * C3)"),
    (".transpose", "np.sum({m}.transpose() * C23.T)"),
    (".copy", "np.sum({a}.copy() * C3)"),
    ("np.concatenate", "np.sum(np.concatenate([{a}, {a}]) * np.arange(6.0))"),
    ("np.stack", "np.sum(np.stack([{a}, C3]) * C23)"),
    ("np.zeros as constant", "np.sum((np.zeros(3) + {a}) * C3)"),
]


def _shape_op(fmt: str) -> Any:
    def write(g: Generator, shape: Shape, d: int) -> str:
        return fmt.format(a=g.name_or_expr(V3, d), m=g.name_or_expr(M, d))

    return write


LIBRARY: list[tuple[str, list[Shape], Any]] = (
    [(c, ALL_SHAPES, _ew(t)) for c, t in _SMOOTH_EW]
    + [(c, _ARRAY if c.startswith(".") else ALL_SHAPES, _ew(t, p)) for c, t, p in _KINK_EW]  # methods need an array
    + [(c, [SCALAR], _ew(t)) for c, t in _MATH]
    + [(c, [SCALAR], _ew(t, p)) for c, t, p in _MATH_KINK]
    + [(c, [SCALAR], _red(t, src, p)) for c, t, src, p in _REDUCTIONS]
    + [(c, [SCALAR], _shape_op(t)) for c, t in _SHAPE_OPS]
)


# what the float variant covers (production `floats`): the math functions, but
# math.pow (its adjoint raises to a computed power) and np.float64
FLOAT_LIBRARY = [t for t in LIBRARY if t[1] == [SCALAR] and t[0].startswith("math.") and t[0] != "math.pow"]
FLOAT_STATEMENTS = frozenset(
    {"assign", "reassign", "aug", "swap", "if", "for", "while", "return", "break", "continue", "empty", "mod"}
)
# (a, b) shapes whose broadcast is the key's shape, one of them (or both) with a dimension of length 1
BROADCASTS: dict[Shape, list[tuple[Shape, Shape]]] = {
    V2: [(V2, U1), (U1, V2)],
    V3: [(V3, U1), (U1, V3)],
    M: [
        (M, C21),
        (C21, M),
        (M, R13),
        (R13, M),
        (C21, R13),
        (R13, C21),
        (M, U11),
        (U11, M),
        (C21, V3),
        (V3, C21),
        (M, U1),
    ],  # fmt: skip
    U1: [(U1, U1), (U1, SCALAR), (SCALAR, U1)],
    R13: [(R13, U11), (U11, R13), (U1, R13), (R13, U1), (R13, R13)],
    C21: [(C21, U11), (U11, C21), (C21, U1), (U1, C21), (C21, C21)],
    U11: [(U11, U1), (U1, U11), (U11, U11)],
    T213: [(T213, R13), (R13, T213), (T213, V3), (V3, T213), (T213, U11), (U1, T213)],
}


def render(lines: list[tuple[int, str]], subs: dict[str, str]) -> str:
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
    gen = Generator(random.Random(seed * 1_000_003 + index), frozenset(without))
    params, lines = gen.program()
    if gen.draws:
        lines.insert(0, (1, f"_RS.seed({gen.r.randrange(1000)})"))
    if "longsig" not in gen.without and gen.chance(0.05):
        # a def line longer than 79 characters: long argument names
        longer = {n: f"{n}_{LONG_NAME}" for n, _ in params}
        pattern = re.compile(r"\b(" + "|".join(longer) + r")\b")
        lines = [(i, pattern.sub(lambda m: longer[m.group(1)], text)) for i, text in lines]
        gen.conds = {
            k: (pattern.sub(lambda m: longer[m.group(1)], c), pattern.sub(lambda m: longer[m.group(1)], p))
            for k, (c, p) in gen.conds.items()
        }
        gen.augs = {
            k: (
                longer.get(n, n),
                pattern.sub(lambda m: longer[m.group(1)], a),
                pattern.sub(lambda m: longer[m.group(1)], b),
            )
            for k, (n, a, b) in gen.augs.items()
        }
        params = [(longer[n], s) for n, s in params]
    sig = ", ".join(n for n, _ in params)
    shapes = ", ".join(f"{n}: {s if s else 'float'}" for n, s in params)
    aux = "pytrees" not in gen.without and gen.output is None and gen.chance(0.15)
    clean_subs = {k: clean for k, (clean, _) in gen.conds.items()}
    probe_subs = {k: probe for k, (_, probe) in gen.conds.items()}
    augs = {k: aug for k, (_, aug, _) in gen.augs.items()}
    aliased = _aliased_names(f"def f({sig}):\n" + render(lines, {**clean_subs, **augs}))
    for k, (n, aug, plain) in gen.augs.items():
        clean_subs[k] = probe_subs[k] = plain if n in aliased else aug
    clean = f"def f({sig}):\n    # {shapes}\n" + render(lines, clean_subs) + "\n"
    probe = f"def f_probe({sig}):\n" + render(lines, probe_subs) + "\n"
    if aux:  # has_aux: the same function returning (value, aux), aux a dict holding the value
        with_aux, inner = [], None  # inner: the indent of a nested def being passed (its returns stay)
        for i, t in lines:
            inner = inner if inner is not None and i > inner else None
            if t.startswith("def ") and inner is None:
                inner = i
            own = t.startswith("return ") and inner is None
            with_aux.append((i, f"return {t[7:]}, {{'value': {t[7:]}, 'tag': 'aux'}}" if own else t))
        clean += f"\n\ndef f_aux({sig}):\n" + render(with_aux, clean_subs) + "\n"
    display = HEADER + PYTREE_HEADER + "\n\n" + clean
    source = HEADER + PYTREE_HEADER + PROBE_HELPER + "\n\n" + clean + "\n\n" + probe
    return Program(seed, index, source, display, params, gen.output, gen.floats)
