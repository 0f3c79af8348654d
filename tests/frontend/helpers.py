"""Normalize a function given as source text, for the frontend pass tests."""

from __future__ import annotations

import textwrap

import gast

from s2sad.frontend.normalize import normalize_lifting
from s2sad.frontend.parse import parse_source
from s2sad.ir.core import unparse
from s2sad.ir.naming import Namer


def function(src: str) -> gast.FunctionDef:
    return parse_source(textwrap.dedent(src)).body[0]


def core(src: str) -> str:
    """The core (ANF) text of the one function in ``src``."""
    return unparse(lowered(src).core).strip()


def lowered(src: str):
    fn = function(src)
    return normalize_lifting(fn, Namer.for_function(fn), "<test>")


def text(src: str) -> str:
    return textwrap.dedent(src).strip()
