"""The fence: refuse, up front, syntax s2sad does not differentiate.

Input: a ``FunctionDef`` from :mod:`s2sad.frontend.parse`.

Output: none; :func:`check` returns quietly, or raises
:class:`s2sad.errors.UnsupportedSyntaxError` naming the file, line, column,
the construct and what to write instead. After it, the code the normalizer
walks holds only the statement kinds in :data:`STATEMENTS`; loops without
``else``; assignments to names, subscripts of local names and tuples of
those (no starred or miscounted unpacking, no attribute, no write into a
global); expression statements that are calls; nested defs without
decorators, ``nonlocal`` or a second definition; lambdas only where they are
lifted (bound to a name, passed as an argument); dicts with constant keys;
no call with ``**d``; none of the expression kinds in :data:`UNSUPPORTED`
(set and dict comprehensions, sets, ``yield``, ``await``, f-strings, ``:=``)
and no starred expression but ``f(*xs)``.

The fence reads what the normalizer reads, in the same order, and reports
at the same positions: the body of the function, but not code after a
``return``/``break``/``continue`` in the same block, ``assert`` and
``raise`` statements (dropped, or kept as written), annotations, and the
bodies of nested functions and lambdas (lifted out, and checked when they
are differentiated themselves). What needs the lifting done or the loop
headers read (a recursive nested function, a capturing function passed as
an argument, ``enumerate`` with a start...) is refused by the normalizer
when it gets there, in the words kept here (:func:`refusal`, :data:`HINTS`,
:func:`foreign_write`).

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
from ..ir.core import dotted, local_names, unparse, walk

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


def is_partial(value: gast.expr) -> bool:
    """``functools.partial(f, ...)`` (or ``partial(f, ...)``), by its spelling."""
    return (
        isinstance(value, gast.Call) and dotted(value.func) in ("functools.partial", "partial") and len(value.args) >= 1
    )


def lifted_names(fn: gast.FunctionDef) -> set[str]:
    """Names bound (once) to a nested def or a lambda: they are lifted, not locals."""
    out: set[str] = set()
    counts: dict[str, int] = {}
    for node in walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    for node in walk(fn):
        if node is fn:
            continue
        if isinstance(node, gast.FunctionDef):
            out.add(node.name)
        elif isinstance(node, gast.Assign) and (isinstance(node.value, gast.Lambda) or is_partial(node.value)):
            tgt = node.targets[0]
            if isinstance(tgt, gast.Name) and counts.get(tgt.id) == 1:
                out.add(tgt.id)
    return out


class _Fence:
    def __init__(self, fn: gast.FunctionDef, filename: str):
        self.fn = fn
        self.filename = filename
        self.locals = local_names(fn) - lifted_names(fn)  # as the normalizer counts them
        self.defined: set[str] = set()  # the nested functions met so far

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
        if isinstance(s, gast.FunctionDef):
            self.nested_function(s)
        elif isinstance(s, gast.Expr):
            self.expression_statement(s.value)
        elif isinstance(s, gast.Assign):
            self.assignment(s.targets, s.value)
        elif isinstance(s, gast.AnnAssign) and s.value is not None:
            self.assignment([s.target], s.value)
        elif isinstance(s, gast.AugAssign):
            if not isinstance(s.target, (gast.Name, gast.Subscript)):
                raise self.refuse(s.target, "an augmented assignment to an attribute", "assign to a local name instead")
            if isinstance(s.target, gast.Subscript):
                self.target(s.target, None)
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
        # Pass, Break, Continue: nothing to read; Assert, Raise: not read

    def nested_function(self, s: gast.FunctionDef) -> None:
        """A nested def is lifted out: its body is checked when it is differentiated."""
        if s.decorator_list:
            raise self.refuse(s, "a decorated nested function", "define the helper without decorators")
        if s.name in self.defined or s.name in self.locals:
            raise self.refuse(s, f"a second definition of {s.name}", "give each nested function its own name")
        for node in walk(s):
            if isinstance(node, gast.Nonlocal):
                raise self.refuse(node, "`nonlocal` in a nested function", HINTS["Nonlocal"])
        self.defined.add(s.name)

    def expression_statement(self, value: gast.expr) -> None:
        if isinstance(value, gast.Constant):
            return  # a docstring
        if not isinstance(value, gast.Call):
            if type(value).__name__ in EXPR_WHAT:
                raise self.refuse(value, EXPR_WHAT[type(value).__name__], expr_hint(value))
            raise self.refuse(
                value, "an expression statement that is not a call", "remove it or assign its value to a name"
            )
        self.expr(value)

    def assignment(self, targets: list[gast.expr], value: gast.expr) -> None:
        if len(targets) == 1:  # the target's form (and index) is read before its value
            tgt = targets[0]
            self.target(tgt, value)
            lifted = isinstance(tgt, gast.Name) and tgt.id not in self.locals
            self.expr(value, lifted=lifted)
            if lifted and (isinstance(value, gast.Lambda) or is_partial(value)):
                self.defined.add(tgt.id)
            self.elements(tgt)
            return
        self.expr(value)
        for tgt in targets:
            self.target(tgt, None)
            self.elements(tgt)

    def target(self, tgt: gast.expr, value: gast.expr | None) -> None:
        """A target's form, and the index of a write ``a[i] = v``."""
        self.target_form(tgt, value)
        if isinstance(tgt, gast.Subscript):
            self.expr(tgt.slice)

    def elements(self, tgt: gast.expr) -> None:
        """The items of a tuple target, assigned one by one after the value is read."""
        if isinstance(tgt, (gast.Tuple, gast.List)):
            for elt in tgt.elts:
                self.target(elt, None)
                self.elements(elt)

    def target_form(self, tgt: gast.expr, value: gast.expr | None) -> None:
        if not isinstance(tgt, _TARGETS):
            raise self.refuse(tgt, f"an assignment to {type(tgt).__name__.lower()}", "assign to a local name instead")
        if isinstance(tgt, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in tgt.elts):
                raise self.refuse(tgt, "starred unpacking", "unpack into a fixed number of names")
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) != len(tgt.elts):
                raise self.refuse(
                    tgt,
                    f"unpacking {len(value.elts)} values into {len(tgt.elts)} names",
                    "unpack into one name per value",
                )
        if isinstance(tgt, gast.Subscript) and not (isinstance(tgt.value, gast.Name) and tgt.value.id in self.locals):
            raise self.refuse(tgt, *foreign_write(tgt, self.locals))  # a write into what the function did not make

    def expr(self, e: gast.AST | None, at: gast.AST | None = None, lifted: bool = False) -> None:
        """Refuse an unsupported expression kind in ``e``, in the order the
        normalizer reads it. ``at`` is where the normalizer reports what it
        finds inside ``e``, when that is not the node's own position;
        ``lifted`` says a lambda there is lifted out (checked when it is
        differentiated itself), not refused."""
        if e is None or isinstance(e, gast.expr_context):
            return
        if isinstance(e, gast.Lambda):
            if lifted:
                return
            raise self.refuse(at or e, *expression_refusal(e))
        if type(e).__name__ in UNSUPPORTED or isinstance(e, gast.Starred):  # f(*xs) is read by call()
            raise self.refuse(at or e, *expression_refusal(e))
        if isinstance(e, gast.BoolOp):
            # the normalizer reads the last operand at the position of the whole `a or b`
            for v in e.values[:-1]:
                self.expr(v, at)
            last = e.values[-1]
            if type(last).__name__ in UNSUPPORTED or isinstance(last, gast.Starred):
                raise self.refuse(at or e, *expression_refusal(last))
            self.expr(last, at)
            return
        if isinstance(e, gast.Dict):
            self.dict_keys(e, at)
            children = list(e.values)
        elif isinstance(e, gast.Call):
            self.call(e, at)
            return
        elif isinstance(e, gast.comprehension):
            children = [e.iter, *e.ifs]
        elif isinstance(e, gast.keyword):
            children = [e.value]
        else:
            children = list(gast.iter_child_nodes(e))
        for child in children:
            self.expr(child, at)

    def dict_keys(self, e: gast.Dict, at: gast.AST | None) -> None:
        """Keys known at transform time: constants, and ``**d`` first if at all."""
        for i, k in enumerate(e.keys):
            if k is None and i != 0:
                raise self.refuse(
                    at or e.values[i],
                    "a dict literal unpacking a dict (**) after its first entry",
                    "put the unpacked dict first: {**d, 'k': v}",
                )
            if k is not None and not (isinstance(k, gast.Constant) and type(k.value) in (str, int)):
                raise self.refuse(
                    at or k,
                    "a dict key that is not a constant string or int",
                    "use constant keys ({'W': W}); s2sad must know the keys when it transforms",
                )

    def mapped(self, e: gast.Call) -> bool:
        """Is ``e`` a ``map``/``filter`` the normalizer rewrites into a list comprehension?"""
        fn = e.func.id if isinstance(e.func, gast.Name) and e.func.id not in self.locals else None
        return (
            fn in ("map", "filter")
            and not e.keywords
            and len(e.args) >= 2
            and not any(isinstance(a, gast.Starred) for a in e.args)
        )

    def call(self, e: gast.Call, at: gast.AST | None) -> None:
        """A call's parts. A lambda passed as an argument is lifted (but not
        one inside ``dict(...)``, nor a sequence given to ``map``/``filter``)."""
        if any(k.arg is None for k in e.keywords):
            if dotted(e.func) in _PARTIALS:
                return  # a partial with **kw: the normalizer says which form it refuses
            k = next(k for k in e.keywords if k.arg is None)
            raise self.refuse(
                at or k.value,
                "a call with **d (a dict of keyword arguments)",
                "pass the keyword arguments one by one (f(a=..., b=...))",
            )
        mapped = self.mapped(e)
        is_dict = isinstance(e.func, gast.Name) and e.func.id == "dict" and "dict" not in self.locals
        if is_dict and (len(e.args) > 1 or any(not isinstance(a, (gast.Name, gast.Dict)) for a in e.args)):
            raise self.refuse(
                at or e,
                "dict(...) of anything but keywords and one dict",
                "write a dict literal {'W': W, 'b': b}, or dict(d, k=v) for a copy of the dict d",
            )
        if mapped and dotted(e.func) == "filter" and len(e.args) != 2:
            raise self.refuse(at or e, "filter with several sequences", "call filter(f, xs)")
        self.expr(e.func, at)
        if mapped:
            at = at or e  # map(f, xs) becomes a loop placed at the call
        ordinary = not mapped and not is_dict
        for i, a in enumerate(e.args):
            if isinstance(a, gast.Starred) and not is_dict:
                self.expr(a.value, at)
            else:
                self.expr(a, at, lifted=ordinary or i == 0)
        for k in e.keywords:
            self.expr(k.value, at, lifted=ordinary)
