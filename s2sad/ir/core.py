"""The IR toolkit: node builders and walkers every pass shares.

The IR is a gast tree (:mod:`s2sad.frontend.parse`). Builders make the few
nodes the passes emit (``name``, ``const``, ``assign``); walkers read names
out of a tree, in two flavours whose difference matters to their callers:

* :func:`names_read` -- the names a node *reads* (``Load`` context);
* :func:`names_in` -- every name it mentions, read or written;
* :func:`names_written` -- the names it writes (``Store``/``Del`` context).

:func:`walk` is ``gast.walk`` (same nodes, same order) at half the cost, and
:func:`clone` is ``copy.deepcopy`` of a tree at a third: the passes walk and
copy trees over and over while a derivative is built.

>>> from s2sad.frontend.parse import parse_source
>>> tree = parse_source("y = x + z * y").body[0]
>>> sorted(names_read(tree)), sorted(names_written(tree)), sorted(names_in(tree))
(['x', 'y', 'z'], ['y'], ['x', 'y', 'z'])
>>> unparse(assign("t", gast.BinOp(left=name("a"), op=gast.Add(), right=const(1)))).strip()
't = a + 1'
>>> [type(n).__name__ for n in walk(tree)] == [type(n).__name__ for n in gast.walk(tree)]
True
>>> twin = clone(tree)
>>> twin is not tree and twin.value is not tree.value and gast.dump(twin) == gast.dump(tree)
True
"""

from __future__ import annotations

import ast
import copy
from collections import deque
from collections.abc import Iterator
from typing import TypeVar

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
_AST = ast.AST  # gast's nodes are ast's


def walk(node: gast.AST) -> Iterator[gast.AST]:
    """``gast.walk``'s nodes in its order (breadth first, fields in order), as
    lazily (a node's children are read when it is reached), at about half
    its cost: the walker of the passes that walk trees over and over."""
    todo = deque([node])
    pop, push = todo.popleft, todo.append
    while todo:
        n = pop()
        for f in n._fields:
            v = getattr(n, f, None)
            if isinstance(v, _AST):
                push(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, _AST):
                        push(item)
        yield n


def _nodes(node: gast.AST) -> list[gast.AST]:
    """All nodes of ``node``'s tree, in :func:`walk`'s order, read at once
    (for walkers that only read)."""
    todo = [node]
    push = todo.append
    for n in todo:  # the list grows as it is read: breadth first
        for f in n._fields:
            v = getattr(n, f, None)
            if isinstance(v, _AST):
                push(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, _AST):
                        push(item)
    return todo


def names_read(node: gast.AST | None) -> set[str]:
    """The names ``node`` reads (``Load`` context; a ``KeyRead`` is one); none for None."""
    if node is None:
        return set()
    return {n.id for n in _nodes(node) if n.__class__ is gast.Name and isinstance(n.ctx, gast.Load)}


def names_written(node: gast.AST | None) -> set[str]:
    """The names ``node`` binds or deletes (``Store``/``Del`` context); none for None."""
    if node is None:
        return set()
    return {n.id for n in _nodes(node) if n.__class__ is gast.Name and isinstance(n.ctx, (gast.Store, gast.Del))}


def names_in(node: gast.AST | None) -> set[str]:
    """Every name ``node`` mentions, whatever its context; none for None."""
    if node is None:
        return set()
    return {n.id for n in _nodes(node) if n.__class__ is gast.Name}


def local_names(fn: gast.FunctionDef) -> set[str]:
    """Arguments and every name the function assigns."""
    names = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    if fn.args.vararg:
        names.add(fn.args.vararg.id)
    if fn.args.kwarg:
        names.add(fn.args.kwarg.id)
    for node in _nodes(fn):
        if node.__class__ is gast.Name and isinstance(node.ctx, (gast.Store, gast.Del)):
            names.add(node.id)
    return names


def locate(node: gast.AST, src: gast.AST) -> None:
    """Give every statement and expression in ``node`` that has no position
    that of ``src``, so errors and source maps point at the user's line."""
    for sub in walk(node):
        if isinstance(sub, (gast.stmt, gast.expr)) and getattr(sub, "lineno", None) is None:
            gast.copy_location(sub, src)


# ------------------------------------------------------------------ copies
T = TypeVar("T")
_ATOMS = frozenset({str, int, float, bool, complex, bytes, type(None), type(Ellipsis)})


def clone(node: T) -> T:
    """``copy.deepcopy(node)`` for a gast tree or a list of them, the same
    copy (every field and position, nodes and lists shared within the tree
    shared in the copy) at about a third of its cost: rule templates are
    copied into every derivative, the SSA pass copies the whole function."""
    if isinstance(node, list):
        return _clone_list(node, {})  # type: ignore[return-value]
    if isinstance(node, _AST):
        return _clone(node, {})  # type: ignore[return-value]
    return copy.deepcopy(node)


def _clone(node: gast.AST, memo: dict[int, object]) -> gast.AST:
    hit = memo.get(id(node))
    if hit is not None:
        return hit  # type: ignore[return-value]
    cls = node.__class__
    new = cls.__new__(cls)
    memo[id(node)] = new
    fields = new.__dict__
    for key, v in node.__dict__.items():
        if v.__class__ in _ATOMS:
            fields[key] = v
        elif isinstance(v, _AST):
            fields[key] = _clone(v, memo)
        elif v.__class__ is list:
            fields[key] = _clone_list(v, memo)
        else:  # anything else a pass put on a node: as deepcopy copies it
            fields[key] = copy.deepcopy(v, memo)
    return new


def _clone_list(items: list, memo: dict[int, object]) -> list:
    hit = memo.get(id(items))
    if hit is not None:
        return hit  # type: ignore[return-value]
    new: list = []
    memo[id(items)] = new
    for v in items:
        if v.__class__ in _ATOMS:
            new.append(v)
        elif isinstance(v, _AST):
            new.append(_clone(v, memo))
        else:
            new.append(copy.deepcopy(v, memo))
    return new
