"""Put a reverse transform's sweeps into one function: the gradient's
signature (the function's parameters and the seed ``<output>_bar=1.0``),
the closure of a split gradient, and the optional finite checks.

Input: the forward and reverse sweeps of :class:`~s2sad.reverse.transform.ReverseTransform`.
Output: ``FunctionDef`` trees, ready for :mod:`s2sad.optimize` and :mod:`s2sad.codegen`.

>>> import gast
>>> from s2sad.ir.core import unparse
>>> args = gast.parse("def f(x, y): pass").body[0].args
>>> print(unparse(with_parameters(args, "df", [gast.Pass()], "y_bar")).strip())
def df(x, y, y_bar=1.0):
    pass
"""

from __future__ import annotations

import linecache

import gast

from ..frontend.parse import ParsedFunction
from ..ir.core import name


def with_parameters(
    args: gast.arguments, fname: str, body: list[gast.stmt], seed: str, own: bool = True
) -> gast.FunctionDef:
    """``def fname(<the function's parameters>, <seed>=1.0): body``; with
    ``own=False``, ``def fname(<seed>): body`` (the closure of a split
    derivative, which reads the parameters of the function around it)."""
    if not own:
        bare = gast.arguments(
            args=[name(seed, gast.Param)], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[],
        )  # fmt: skip
        return gast.FunctionDef(
            name=fname, args=bare, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
        )
    new_args = gast.arguments(
        args=list(args.args) + [name(seed, gast.Param)],
        posonlyargs=list(args.posonlyargs),
        vararg=None,
        kwonlyargs=list(args.kwonlyargs),
        kw_defaults=list(args.kw_defaults),
        kwarg=None,
        defaults=list(args.defaults) + [gast.Constant(value=1.0, kind=None)],
    )
    return gast.FunctionDef(
        name=fname, args=new_args, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )


def with_finite_checks(stmts: list[gast.stmt], adjoints: set[str], pf: ParsedFunction, checker: str) -> list[gast.stmt]:
    """After each adjoint assignment, a call that raises on a non-finite value."""
    out: list[gast.stmt] = []
    for s in stmts:
        out.append(s)
        if isinstance(s, (gast.If, gast.For)):
            s.body = with_finite_checks(s.body, adjoints, pf, checker)
            s.orelse = with_finite_checks(s.orelse, adjoints, pf, checker)
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in adjoints:
            line = getattr(s, "lineno", None) or pf.node.lineno
            text = linecache.getline(pf.filename, line).strip()
            where = f'File "{pf.filename}", line {line}: {text}'
            call = gast.Call(
                func=name(checker),
                args=[
                    name(s.targets[0].id),
                    gast.Constant(value=s.targets[0].id, kind=None),
                    gast.Constant(value=where, kind=None),
                ],
                keywords=[],
            )
            out.append(gast.copy_location(gast.Expr(value=call), s))
    return out
