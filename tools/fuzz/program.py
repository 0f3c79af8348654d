"""What a fuzzed program is: the argument shapes, the text every program
starts with (helpers, probe functions, pytree helpers), the statement kinds
(FEATURES), the :class:`Program` record, sampling its arguments, and loading
it from a file like user code.

>>> args = sample_args([("x", SCALAR), ("y", V3)], np.random.default_rng(0))
>>> type(args[0]).__name__, args[1].shape
('float', (3,))
"""

from __future__ import annotations

import collections
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from s2sad.pytree import copy_arrays

Shape = tuple[int, ...]

SCALAR: Shape = ()
V2: Shape = (2,)
V3: Shape = (3,)
M: Shape = (2, 3)
SHAPES: list[Shape] = [SCALAR, V2, V3, M]
# shapes with dimensions of length 1 (production `units`): the generated code is
# specialised to an argument's broadcast pattern (s2sad.ir.kinds, ``unit_dims``)
U1: Shape = (1,)
R13: Shape = (1, 3)
C21: Shape = (2, 1)
U11: Shape = (1, 1)
T213: Shape = (2, 1, 3)
UNIT_SHAPES: list[Shape] = [U1, R13, C21, U11, T213]
ALL_SHAPES: list[Shape] = SHAPES + UNIT_SHAPES

MARGIN = 1e-3
LONG_NAME = "argument_with_a_long_descriptive_name"
MAX_VALUE = 1e4

HEADER = """import functools
import math

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


def _hstar(a, *rest):
    return a * np.cos(sum(rest)) + 0.1 * len(rest)


def _hkw(a, **kw):
    return a * kw["s"] + kw.get("t", 0.1) * np.sin(a)


def _happly(fn, a, act=np.tanh):
    return fn(a) + act(a)


def _hgen(a):
    for k in range(2):
        yield a * (k + 1.0)


def _hpairs(a, b):
    return [(a, b), (b * 0.5, a)]


class _Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, a):
        return np.tanh(a * self.w) + self.skip(a)

    def skip(self, a):
        return 0.1 * a


def _id(a):
    return a


def _stats(a):
    return np.mean(a), np.var(a)


_RS = np.random.RandomState(0)


def _noisy(a):
    return a * (1.0 + 0.1 * _RS.randn())


class _Model:
    def __init__(self):
        self.W = np.array([0.7, -0.3, 0.45])

    def _act(self, v):
        return np.tanh(v)

    def apply(self, v):
        return self._act(v * np.sum(self.W)) + 0.1 * v


_MODEL = _Model()
"""

PROBE_HELPER = '''
_MARGINS = []


def _M(v):
    _MARGINS.append(abs(float(v)))
    return v


def _MK(v, *points):
    """v, recording its distance to the kinks at ``points``."""
    for p in points:
        _MARGINS.append(float(np.min(np.abs(np.asarray(v) - p))))
    return v


def _MD(a, b):
    """a, recording its distance to b (a kink of maximum/minimum)."""
    _MARGINS.append(float(np.min(np.abs(np.asarray(a) - np.asarray(b)))))
    return a


def _MW(v, c, shift=0.0):
    """v, recording its distance to the wrap points of ``(v + shift) % c``."""
    r = np.mod(np.asarray(v, dtype=float) + shift, c)
    _MARGINS.append(float(np.min(np.minimum(r, c - r))))
    return v


def _MT(v, axis=None):
    """v, recording the gaps between its two largest and two smallest entries."""
    a = np.sort(np.asarray(v, dtype=float).reshape(-1) if axis is None else np.asarray(v, dtype=float), axis=-1 if axis is None else axis)
    if a.shape[-1 if axis is None else axis] > 1:
        top = np.take(a, [-1], axis=-1 if axis is None else axis) - np.take(a, [-2], axis=-1 if axis is None else axis)
        bottom = np.take(a, [1], axis=-1 if axis is None else axis) - np.take(a, [0], axis=-1 if axis is None else axis)
        _MARGINS.append(float(min(np.min(top), np.min(bottom))))
    return v


def _MX(*vals):
    """max(*vals), recording the gap between the two largest (and two smallest)."""
    f = sorted(float(v) for v in vals)
    _MARGINS.append(min(f[-1] - f[-2], f[1] - f[0]))
    return vals[0]


def _MS(v):
    """v, recording its spread (np.std has a kink where it is zero)."""
    _MARGINS.append(float(np.std(v)))
    return v
'''

# what --without can leave out: statement kinds, and `a if c else b`
FEATURES = (
    "assign",
    "reassign",
    "aug",
    "swap",
    "if",
    "for",
    "while",
    "rows",
    "enumerate",
    "return",
    "break",
    "continue",
    "ternary",
    "call",
    "write",
    # constructs added for issue 8: each found a wrong derivative or a crash
    # (see ISSUE8); `lib` calls the functions of README's lists, `vector`
    # returns arrays (checked with vjp), `longsig` gives long parameter names
    "tuples",
    "concat",
    "scatter",
    "alias",
    "mod",
    "norule",
    "draw",
    "empty",
    "kindchange",
    "einsum",
    "maxmin",
    "containers",
    "misc",
    "lib",
    "vector",
    "longsig",
    # writes into array arguments (the derivative works on its own copy)
    "argwrite",
    # calls as ML users write them: *args/**kw, functions passed as values
    "calls",
    # pytree arguments (dicts, namedtuples, nested), dict statements, has_aux
    "pytrees",
    # arrays with dimensions of length 1 (UNIT_SHAPES): broadcasting against them,
    # reductions with keepdims, matmul with a one-row or one-column operand
    "units",
    # programs on Python floats alone, in what the float variant of the gradient
    # covers (s2sad.codegen.floats): math functions, branches and loops on floats
    "floats",
)
# the productions added for issue 8, which found the bugs listed there; a bounded
# run on code without those fixes leaves them out (``without=ISSUE8``)
ISSUE8 = frozenset(FEATURES[FEATURES.index("tuples") : FEATURES.index("pytrees") + 1])
# statement kinds and their weights (expression-level features are drawn in expr())
NEW_STATEMENTS = {
    "tuples": 0.35,
    "concat": 0.3,
    "scatter": 0.35,
    "alias": 0.4,
    "mod": 0.3,
    "norule": 0.1,
    "draw": 0.2,
    "empty": 0.2,
    "kindchange": 0.2,
    "containers": 0.4,
    "misc": 0.4,
    "argwrite": 0.6,
    "calls": 0.3,
    "pytrees": 0.3,
}


# ------------------------------------------------------------------ generator


@dataclass
class Program:
    """A generated program: the module's source, and what to call."""

    seed: int
    index: int
    source: str  # the whole module: header, f and f_probe
    display: str  # header and f only: what a report shows
    params: list[tuple[str, Any]]  # (name, Shape), or (name, Tree) for a pytree argument
    output: Shape | None = None  # an array output of this shape (checked with vjp); None: a float
    floats: bool = False  # written by production `floats` (Python floats, what the float variant covers)


@dataclass
class Tree:
    """A pytree argument: ``kind`` "dict", "list", "tuple" or a namedtuple of
    ``PYTREE_HEADER`` ("_NT2", "_NT3"); ``items`` its (key, Shape or Tree)."""

    kind: str
    items: list[tuple[Any, Any]]

    def __bool__(self) -> bool:  # a pytree is not a float argument (params[k][1] falsy means a float)
        return True

    def __repr__(self) -> str:
        def text(spec: Any) -> str:
            return repr(spec) if isinstance(spec, Tree) else (str(spec) if spec else "float")

        inner = ", ".join(
            f"{k!r}: {text(v)}"
            if self.kind == "dict"
            else text(v)
            if self.kind in ("list", "tuple")
            else f"{k}={text(v)}"
            for k, v in self.items
        )
        return {"dict": f"{{{inner}}}", "list": f"[{inner}]", "tuple": f"({inner},)"}.get(
            self.kind, f"{self.kind}({inner})"
        )


def _sample(spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, Tree):
        items = [_sample(s, rng) for _, s in spec.items]
        if spec.kind == "dict":
            return {k: v for (k, _), v in zip(spec.items, items)}
        if spec.kind in ("list", "tuple"):
            return list(items) if spec.kind == "list" else tuple(items)
        return _NAMEDTUPLES[spec.kind](*items)
    return float(rng.uniform(-1.5, 1.5)) if not spec else rng.normal(0.0, 0.8, spec)


PYTREE_HEADER = """
import collections

_NT2 = collections.namedtuple("_NT2", "u w")
_NT3 = collections.namedtuple("_NT3", "u w z")


def _hdict(d):
    out = {"s": np.tanh(d["a"]) * 0.5}
    out["t"] = d["b"] * d["b"] + 0.1 * np.sum(out["s"])
    return out


def _hsum(d):
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(np.sin(v))
    return total
"""
_NAMEDTUPLES = {n: collections.namedtuple(n, f) for n, f in (("_NT2", "u w"), ("_NT3", "u w z"))}


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


def sample_args(params: list[tuple[str, Any]], rng: np.random.Generator) -> tuple:
    return tuple(_sample(s, rng) for _, s in params)


def copy_args(args: tuple) -> tuple:
    return copy_arrays(args)
