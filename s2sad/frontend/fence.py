"""The fence: refuse, up front, syntax s2sad does not differentiate.

Input: a ``FunctionDef`` from :mod:`s2sad.frontend.parse`.

Output: none; :func:`check` returns quietly, or raises
:class:`s2sad.errors.UnsupportedSyntaxError` naming the file, line, column,
the construct and what to write instead. After it, the code the normalizer
walks holds only the statement kinds in :data:`STATEMENTS`, loops without
``else``, no augmented assignment to an attribute, no assignment to anything
but names, tuples/lists of targets and subscripts, no starred or miscounted
unpacking, no expression statement but calls, and none of the expression
kinds in :data:`UNSUPPORTED` (set and dict comprehensions, sets, ``yield``,
``await``, f-strings, ``:=``) and no call with ``**d``.

The fence reads what the normalizer reads, no more: the body of the
function, but not code after a ``return``/``break``/``continue`` in the same
block, ``assert`` and ``raise`` statements (kept as written or dropped),
annotations, and nested functions and lambdas (lifted out and checked when
they are themselves differentiated). Refusals that depend on what a name is
(a write into a global, a recursive nested function, a capturing lambda
passed as an argument) are raised where the normalizer learns it, with the
vocabulary kept here (:func:`refusal`, :data:`HINTS`, :func:`foreign_write`).

>>> from s2sad.frontend.parse import parse_source
>>> check(parse_source("def f(x):\\n    return x * 2").body[0])
>>> check(parse_source("def f(x):\\n    with open('a'):\\n        return x").body[0])
Traceback (most recent call last):
s2sad.errors.UnsupportedSyntaxError: File "<unknown>", line 2, column 5: s2sad cannot differentiate a with statement
hint: move the with block outside the differentiated function
"""

from __future__ import annotations

import gast

from ..errors import Location, UnsupportedSyntaxError
from ..ir.core import dotted, unparse

DEFAULT_HINT = "rewrite it with the constructs listed in s2sad's README (What it differentiates)"



HINTS = {
    "Try": "move the try/except outside the differentiated function",
    "With": "move the with block outside the differentiated function",
    "Global": "pass the value as an argument instead of using `global`",
    "Nonlocal": "pass the value as an argument instead of using `nonlocal`",
    "ClassDef": "define the class outside the differentiated function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "Delete": "remove the `del` statement",
    "AsyncFunctionDef": "differentiate a plain (non-async) function",
}



EXPR_WHAT = {
    "Lambda": "a lambda expression inside the function",
    "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension",
    "Set": "a set literal",
    "Yield": "a generator (yield)",
    "YieldFrom": "a generator (yield from)",
    "Await": "an await expression",
    "JoinedStr": "an f-string",
    "NamedExpr": "an assignment expression (:=)",
    "Starred": "a starred expression",
}



# what to write instead, for the constructs whose general hint would not say
EXPR_HINTS = {
    "DictComp": "build the dict with constant keys ({'W': W, 'b': b} or dict(W=W, b=b)), or use a list",
    "Lambda": "bind the lambda to a name first (`g = lambda v: ...`) and call `g(...)`, or define it with `def`",
    "SetComp": "use a list comprehension `[...]` (or a tuple) instead of a set",
    "Set": "use a list `[...]` or a tuple instead of a set",
    "Yield": "return a list of the values instead of yielding them",
    "YieldFrom": "return a list of the values instead of yielding them",
    "Await": "differentiate a plain (non-async) function",
    "JoinedStr": "build the text outside the differentiated function, or print the values themselves: print(x)",
    "NamedExpr": "assign the value to a name on a line of its own before using it",
    "Starred": "pass or write the items one by one",
}



def expr_hint(e: gast.expr) -> str:
    return EXPR_HINTS.get(type(e).__name__, DEFAULT_HINT)



def foreign_write(tgt: gast.Subscript, local: set[str]) -> tuple[str, str]:
    """What a write ``base[...] = v`` into a base that is not a local name
    writes into, and what to write instead."""
    base = tgt.value
    if isinstance(base, gast.Subscript):  # A[i][j] = v, lst[0][1] = v
        return (
            "a write through two indexes (`a[i][j] = v`)",
            "write with one index, `a[i, j] = v`, into an array the function made (NumPy writes `a[mask][j] = v` "
            "into a copy); for an array held in a list, build a new array and a new list",
        )
    if isinstance(base, gast.Attribute):
        shown = unparse(base).strip()
        if isinstance(base.value, gast.Name) and base.value.id in local:  # y.T[0] = v: a view of y
            return (
                f"a write into `{shown}`, a view of `{base.value.id}`",
                f"write into `{base.value.id}` itself, with the matching index",
            )
        return (
            f"a write into `{shown}`, which the function did not make",
            f"copy it into an array of the function's own first: `a = np.copy({shown})`, then write into `a`",
        )
    if isinstance(base, gast.Name):
        return (
            f"a write into the global `{base.id}`",
            f"copy it into an array of the function's own first: `a = np.copy({base.id})`, then write into `a`",
        )
    return "a write into something other than a local array", "write into an array the function made"



# the statements the normalizer turns into core statements (each has a stmt_ method there)
STATEMENTS = frozenset({
    "Pass", "FunctionDef", "Expr", "Assert", "Raise", "AnnAssign", "Assign", "AugAssign", "Return", "If", "Break",
    "Continue", "For", "While",
})  # fmt: skip

# expression kinds refused wherever the normalizer meets them
UNSUPPORTED = frozenset({"SetComp", "DictComp", "Set", "Yield", "YieldFrom", "Await", "JoinedStr", "NamedExpr"})

_TARGETS = (gast.Name, gast.Tuple, gast.List, gast.Subscript)
_PARTIALS = ("functools.partial", "partial")


def refusal(node: gast.AST, what: str, hint: str, filename: str, fn: gast.FunctionDef) -> UnsupportedSyntaxError:
    """The error for ``what`` at ``node`` (at ``fn``'s line if ``node`` has none)."""
    loc = Location(filename, getattr(node, "lineno", fn.lineno), getattr(node, "col_offset", 0) or 0)
    return UnsupportedSyntaxError(f"s2sad cannot differentiate {what}", loc, hint)


def statement_refusal(s: gast.stmt) -> tuple[str, str]:
    """What an unsupported statement is, and what to do instead."""
    return f"a {type(s).__name__.lower()} statement", HINTS.get(type(s).__name__, DEFAULT_HINT)


def expression_refusal(e: gast.expr) -> tuple[str, str]:
    """What an unsupported expression is, and what to do instead."""
    return EXPR_WHAT.get(type(e).__name__, f"a {type(e).__name__} expression"), expr_hint(e)


def check(fn: gast.FunctionDef, filename: str = "<unknown>") -> None:
    """Refuse the first construct outside what s2sad differentiates; see the module docstring."""
    _Fence(fn, filename).block(fn.body)


class _Fence:
    def __init__(self, fn: gast.FunctionDef, filename: str):
        self.fn = fn
        self.filename = filename

    def refuse(self, node: gast.AST, what: str, hint: str) -> UnsupportedSyntaxError:
        return refusal(node, what, hint, self.filename, self.fn)

    def block(self, stmts: list[gast.stmt]) -> None:
        for s in stmts:
            self.stmt(s)
            if isinstance(s, (gast.Return, gast.Break, gast.Continue)):
                return  # the rest is dead code, which the normalizer drops unread

    def stmt(self, s: gast.stmt) -> None:
        if type(s).__name__ not in STATEMENTS:
            raise self.refuse(s, *statement_refusal(s))
        if isinstance(s, (gast.For, gast.While)) and s.orelse:
            kind = "for" if isinstance(s, gast.For) else "while"
            raise self.refuse(s, f"a {kind} loop with an else clause", "move the else block after the loop")
        if isinstance(s, gast.Expr):
            self.expression_statement(s.value)
        elif isinstance(s, gast.Assign):
            self.assignment(s.targets, s.value)
        elif isinstance(s, gast.AnnAssign) and s.value is not None:
            self.assignment([s.target], s.value)
        elif isinstance(s, gast.AugAssign):
            if not isinstance(s.target, (gast.Name, gast.Subscript)):
                raise self.refuse(s.target, "an augmented assignment to an attribute", "assign to a local name instead")
            self.expr(s.target)
            self.expr(s.value)
        elif isinstance(s, gast.Return):
            self.expr(s.value)
        elif isinstance(s, (gast.If, gast.While)):
            self.expr(s.test)
            self.block(s.body)
            self.block(s.orelse)
        elif isinstance(s, gast.For):
            self.expr(s.iter)
            self.block(s.body)
        # Pass, Break, Continue: nothing to read; Assert, Raise, FunctionDef: not read here

    def expression_statement(self, value: gast.expr) -> None:
        if isinstance(value, gast.Constant):
            return  # a docstring
        if not isinstance(value, gast.Call):
            if type(value).__name__ in EXPR_WHAT:
                raise self.refuse(value, EXPR_WHAT[type(value).__name__], expr_hint(value))
            raise self.refuse(value, "an expression statement that is not a call",
                              "remove it or assign its value to a name")
        self.expr(value)

    def assignment(self, targets: list[gast.expr], value: gast.expr) -> None:
        if len(targets) == 1:  # the target's form is refused before its value is read
            self.target_form(targets[0], value)
            self.expr(targets[0])
            self.expr(value)
            return
        self.expr(value)
        for tgt in targets:
            self.target_form(tgt, None)
            self.expr(tgt)

    def target_form(self, tgt: gast.expr, value: gast.expr | None) -> None:
        if not isinstance(tgt, _TARGETS):
            raise self.refuse(tgt, f"an assignment to {type(tgt).__name__.lower()}", "assign to a local name instead")
        if isinstance(tgt, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in tgt.elts):
                raise self.refuse(tgt, "starred unpacking", "unpack into a fixed number of names")
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) != len(tgt.elts):
                raise self.refuse(tgt, f"unpacking {len(value.elts)} values into {len(tgt.elts)} names",
                                  "unpack into one name per value")

    def expr(self, e: gast.AST | None) -> None:
        """Refuse an unsupported expression kind in ``e``, in the order Python evaluates it."""
        if e is None or isinstance(e, (gast.Lambda, gast.expr_context)):
            return  # a lambda is lifted out (and checked when it is differentiated)
        if type(e).__name__ in UNSUPPORTED:
            raise self.refuse(e, *expression_refusal(e))
        if isinstance(e, gast.Dict):
            children = list(e.values)  # a key must be a constant: the normalizer says so itself
        elif isinstance(e, gast.Call):
            children = self.call_parts(e)
        elif isinstance(e, gast.comprehension):
            children = [e.iter, *e.ifs]
        elif isinstance(e, gast.keyword):
            children = [e.value]
        else:
            children = list(gast.iter_child_nodes(e))
        for child in children:
            self.expr(child)

    def call_parts(self, e: gast.Call) -> list[gast.AST]:
        if any(k.arg is None for k in e.keywords):
            if dotted(e.func) in _PARTIALS:
                return []  # a partial with **kw: the normalizer says which form it refuses
            k = next(k for k in e.keywords if k.arg is None)
            raise self.refuse(k.value, "a call with **d (a dict of keyword arguments)",
                              "pass the keyword arguments one by one (f(a=..., b=...))")
        return [e.func, *e.args, *e.keywords]
