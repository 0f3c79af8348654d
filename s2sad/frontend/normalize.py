"""Normalize: the front half's one entry point, fence then the ANF walk.

Input: a ``FunctionDef`` from :mod:`s2sad.frontend.parse`.

Output: the core of :mod:`s2sad.frontend.anf` (every statement
``name = op(atoms)``, structured control flow, exits lowered to flags), or
the refusal of :mod:`s2sad.frontend.fence` for syntax outside it. The order:
:func:`s2sad.frontend.fence.check` refuses unsupported syntax up front;
then one :class:`s2sad.frontend.anf.Normalizer` walk desugars
(:mod:`~s2sad.frontend.desugar`, :mod:`~s2sad.frontend.iteration`), lifts
nested functions (:mod:`~s2sad.frontend.lift`), lowers exits
(:mod:`~s2sad.frontend.exits`) and names every operand (ANF).

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(x):\\n    y = x ** 2 + 1\\n    return y").body[0]
>>> print(unparse(normalize(fn, Namer.for_function(fn))).strip())
def f(x):
    t1 = x ** 2
    y = t1 + 1
    return y
"""

from __future__ import annotations

import gast

from ..ir.naming import Namer
from .anf import Normalizer
from .fence import check


def normalize(fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>") -> gast.FunctionDef:
    """Return the core (ANF) form of ``fn``; see :mod:`s2sad.frontend.anf`."""
    check(fn, filename)
    return Normalizer(fn, namer, filename).run()


def normalize_lifting(fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>") -> Normalizer:
    """Normalize ``fn`` and return the normalizer, which holds the core
    (``.core``), the nested functions and lambdas lifted out of ``fn`` (each
    with the enclosing names it takes as keywords, ``.lifted``) and the
    augmented assignments to names (``.updates``)."""
    check(fn, filename)
    normalizer = Normalizer(fn, namer, filename)
    normalizer.core = normalizer.run()
    return normalizer
