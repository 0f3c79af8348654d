"""The IR toolkit: node builders and walkers every pass shares.

The IR is a gast tree (:mod:`s2sad.frontend.parse`). Builders make the few
nodes the passes emit (``name``, ``const``, ``assign``); walkers read names
out of a tree, in two flavours whose difference matters to their callers:

* :func:`names_read` -- the names a node *reads* (``Load`` context);
* :func:`names_in` -- every name it mentions, read or written;
* :func:`names_written` -- the names it writes (``Store``/``Del`` context).

>>> from s2sad.frontend.parse import parse_source
>>> tree = parse_source("y = x + z * y").body[0]
>>> sorted(names_read(tree)), sorted(names_written(tree)), sorted(names_in(tree))
(['x', 'y', 'z'], ['y'], ['x', 'y', 'z'])
>>> unparse(assign("t", gast.BinOp(left=name("a"), op=gast.Add(), right=const(1)))).strip()
't = a + 1'
"""

from __future__ import annotations

import gast

from ..codegen.emit import to_source


def unparse(node: gast.AST) -> str:
    """The source text of ``node`` (see :func:`s2sad.codegen.emit.to_source`)."""
    return to_source(node)


# ------------------------------------------------------------------ builders
def name(id_: str, ctx: type = gast.Load) -> gast.Name:
    return gast.Name(id=id_, ctx=ctx(), annotation=None, type_comment=None)


def const(value: object) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str | gast.expr, value: gast.expr) -> gast.Assign:
    tgt = name(target, gast.Store) if isinstance(target, str) else target
    return gast.Assign(targets=[tgt], value=value, type_comment=None)


def dotted(node: gast.expr) -> str:
    """``np.linalg.norm`` for a chain of attributes on a name (else "")."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = dotted(node.value)
        return base and f"{base}.{node.attr}"
    return ""


class KeyRead(gast.Load):
    """The context of a loop's read of item ``i`` of what it iterates over
    (``for k in seq`` becomes ``k = seq[i]`` in a ``range`` loop). Over a
    dict, Python gives the ``i``-th key instead: the kinds tell which, after
    normalization (:func:`s2sad.analysis.pytrees.lower_key_reads`). ``how``
    is "iter" for ``for k in seq``, else the dict view iterated ("keys",
    "values", "items"), which must be a dict's."""

    def __init__(self, how: str = "iter"):
        super().__init__()
        self.how = how


# ------------------------------------------------------------------ walkers
def names_read(node: gast.AST | None) -> set[str]:
    """The names ``node`` reads (``Load`` context; a ``KeyRead`` is one); none for None."""
    if node is None:
        return set()
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def names_written(node: gast.AST | None) -> set[str]:
    """The names ``node`` binds or deletes (``Store``/``Del`` context); none for None."""
    if node is None:
        return set()
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del))}


def names_in(node: gast.AST | None) -> set[str]:
    """Every name ``node`` mentions, whatever its context; none for None."""
    if node is None:
        return set()
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def local_names(fn: gast.FunctionDef) -> set[str]:
    """Arguments and every name the function assigns."""
    names = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    if fn.args.vararg:
        names.add(fn.args.vararg.id)
    if fn.args.kwarg:
        names.add(fn.args.kwarg.id)
    for node in gast.walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            names.add(node.id)
    return names


def locate(node: gast.AST, src: gast.AST) -> None:
    """Give every statement and expression in ``node`` that has no position
    that of ``src``, so errors and source maps point at the user's line."""
    for sub in gast.walk(node):
        if isinstance(sub, (gast.stmt, gast.expr)) and getattr(sub, "lineno", None) is None:
            gast.copy_location(sub, src)
