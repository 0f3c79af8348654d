"""The coverage table: README's claimed constructs, the productions of the
grammar that write each, and how often a run's programs contain it (read from
the generated source with :mod:`ast`, not from the generator's bookkeeping).

>>> sorted(constructs("def f(x):\\n    y = x * 2.0\\n    return np.sin(y)\\n") & {"*", "np.sin"})
['*', 'np.sin']
"""

from __future__ import annotations

import ast
import re

import numpy as np

from .oracle import STATUSES, Outcome
from .program import HEADER

# -------------------------------------------------------------------- coverage
# README's "What it differentiates", one claimed construct a row, with the
# productions of the generator that write it. The counts of a run come from
# the generated source (ast), not from the generator's bookkeeping.

PY_CLAIMS: list[tuple[str, str]] = [  # (construct, productions)
    ("+", "binary"),
    ("-", "binary"),
    ("*", "binary"),
    ("/", "binary"),
    ("**", "unary, lib"),
    ("@", "leaf, convert"),
    ("unary minus", "unary"),
    ("broadcasting (array op float)", "binary"),
    ("reassignment", "reassign"),
    ("augmented assignment s += v", "aug"),
    ("x[i] += v", "write, scatter"),
    ("tuple unpacking", "tuples, misc"),
    ("swap a, b = b, a", "swap, alias"),
    ("constants and globals", "leaf"),
    ("if", "if"),
    ("elif", "if"),
    ("else", "if"),
    ("a if c else b", "ternary, alias"),
    ("and/or", "cond"),
    ("not", "cond"),
    ("chained comparison", "cond"),
    ("for over range", "for"),
    ("for over range, run-time bounds", "for"),
    ("for over rows", "rows"),
    ("enumerate", "enumerate, tuples"),
    ("enumerate with a start", "enumerate"),
    ("zip", "tuples"),
    ("while", "while"),
    ("nested loops", "for, while, rows"),
    ("break", "break"),
    ("continue", "continue"),
    ("early return", "return"),
    ("return inside a loop", "return"),
    ("pass", "misc"),
    ("assert", "misc"),
    ("raise", "misc"),
    ("call: module-level function", "call, draw, alias"),
    ("call: nested def", "call (_h3), misc"),
    ("call: closure reading an enclosing variable", "misc"),
    ("call: lambda bound to a name", "misc"),
    ("call: keyword argument", "call"),
    ("call: default argument", "call"),
    ("call: bound method", "misc"),
    ("call: function returning a tuple", "misc"),
    ("call: *args in a definition", "calls"),
    ("call: f(*xs) with a tuple", "calls"),
    ("call: **kwargs in a definition", "calls"),
    ("call: NumPy function passed as an argument", "calls"),
    ("call: user function passed as an argument", "calls"),
    ("call: lambda passed as an argument", "calls"),
    ("iteration over what a helper returns", "calls"),
    ("call: generator function (yield)", "calls"),
    ("map", "calls"),
    ("filter", "calls"),
    ("functools.partial", "calls"),
    ("zip(*pairs)", "calls"),
    ("call: method of an object in a list", "calls"),
    ("write y[i] = v", "write, alias"),
    ("write y[a:b] = v", "misc"),
    ("write y[:, j] = v", "misc"),
    ("write y[mask] = v", "misc"),
    ("write into np.zeros", "misc, vector"),
    ("write into np.empty", "misc"),
    ("write into np.array", "scatter, alias"),
    ("write into x.copy()", "write, scatter, alias"),
    ("write into an argument", "argwrite"),
    ("x += v on an array argument", "argwrite, alias"),
    ("write into an argument in a loop", "argwrite"),
    ("list", "tuples, concat, containers"),
    ("tuple", "tuples, concat"),
    ("append", "containers"),
    ("read by negative index hs[-1]", "containers, tuples"),
    ("np.stack over a list", "containers"),
    ("np.concatenate over a list", "convert, containers"),
    ("sum over a list", "concat, containers"),
    ("list comprehension", "containers"),
    ("generator expression", "containers"),
    ("filtered comprehension", "containers"),
    ("nested comprehension", "containers"),
    ("reduction with axis", "leaf, convert, lib"),
    ("axis as a tuple", "lib"),
    ("keepdims", "convert, lib"),
    ("ddof", "lib"),
    ("weights", "lib"),
    ("einsum with explicit output", "lib, einsum"),
    ("einsum, other forms", "lib"),
    ("builtin max/min of several values", "maxmin"),
    ("x.shape", "lib"),
    # pytrees (issue 9)
    ("dict argument", "pytrees"),
    ("namedtuple argument", "pytrees"),
    ("nested pytree argument", "pytrees"),
    ("read d['k']", "pytrees"),
    ("namedtuple field p.W", "pytrees"),
    ("for k, v in d.items()", "pytrees"),
    ("for k in d", "pytrees"),
    ("d.keys()", "pytrees"),
    ("d.values()", "pytrees"),
    ("dict literal", "pytrees"),
    ("dict(k=v)", "pytrees"),
    ("local dict d['k'] = v", "pytrees"),
    ("helper taking and returning a dict", "pytrees"),
    ("has_aux", "pytrees"),
]
_MATH_CLAIMS = (
    "sin cos tan exp log log1p log2 log10 expm1 sqrt tanh sinh cosh asin acos atan asinh acosh atanh "
    "atan2 pow fabs copysign hypot erf erfc fmod remainder"
).split()
_NP_CLAIMS = (
    "sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh exp expm1 exp2 log "
    "log1p log2 log10 sqrt square cbrt abs absolute fabs negative positive reciprocal sinc add subtract "
    "multiply divide power maximum minimum hypot logaddexp where clip sum mean prod max min amax amin var "
    "std average nansum nanmean cumsum cumprod diff linalg.norm dot matmul inner vdot outer tensordot trace "
    "einsum linalg.inv linalg.det linalg.slogdet linalg.solve linalg.cholesky transpose reshape ravel "
    "expand_dims squeeze swapaxes moveaxis atleast_1d atleast_2d atleast_3d broadcast_to flip fliplr "
    "flipud roll repeat tile diag diagonal triu tril concatenate stack hstack vstack column_stack array "
    "asarray copy full full_like float64 sign floor argmax count_nonzero allclose zeros mod remainder fmod "
    "linspace arange"
).split()
_METHOD_CLAIMS = (
    "sum mean prod max min var std dot reshape ravel flatten squeeze transpose copy clip astype item T".split()
)
_OTHER_CLAIMS = [
    ("np.clip min=/max=", "lib"),
    ("np.reshape shape=", "lib"),
    ("np.linalg.norm ord=1/inf", "lib"),
    ("sign, logdet = slogdet(...)", "lib"),
    ("float(x)", "lib"),
    ("builtin pow", "lib"),
    ("builtin max/min of a list", "lib"),
    ("math.log(x, base)", "lib"),
    ("len(x)", "lib"),
    ("read x[i]", "leaf"),
    ("read x[:, None]", "leaf, lib"),
    ("read x[..., i]", "lib"),
    ("read x[1:3]", "leaf, lib"),
    ("read x[[i, i]] (repeats)", "lib"),
    ("read x[mask]", "lib"),
    ("comparison as a constant", "lib"),
    ("np.linalg.norm matrix ord", "lib"),
    ("% and %=", "mod"),
]
# functions the base grammar writes besides `lib`
_BASE = {
    "np.sin": "unary",
    "np.cos": "unary",
    "np.tanh": "unary",
    "np.exp": "unary",
    "np.log": "unary",
    "np.sqrt": "unary",
    "np.arctan": "unary",
    "np.square": "unary",
    "np.sum": "leaf, convert",
    "np.mean": "leaf, convert",
    "np.var": "convert",
    "np.dot": "convert",
    "np.prod": "convert",
    "np.linalg.norm": "convert",
    "np.trace": "convert",
    "np.cumsum": "convert",
    "np.concatenate": "convert",
    "np.stack": "convert",
    "np.reshape": "convert",
    "np.outer": "convert",
    "np.copy": "write, rhs",
    "math.sin": "unary",
    "math.cos": "unary",
    "math.tanh": "unary",
    "math.exp": "unary",
    "math.log": "unary",
    "math.sqrt": "unary",
    "math.atan": "unary",
    ".sum": "convert",
    ".T": "leaf, convert",
    "np.einsum": "einsum, lib",
    "np.mod": "mod",
    "np.remainder": "mod",
    "np.fmod": "mod",
    "math.fmod": "mod",
    "math.remainder": "mod",
    "np.linspace": "lib, norule",
    "np.zeros": "misc, vector",
    "np.array": "alias, misc, lib",
}


# what the generated code is specialised to, besides README's constructs: arguments
# with dimensions of length 1 (the broadcast pattern in the kinds), and programs on
# Python floats whose later calls run the float variant (oracle: ``Outcome.variant``)
SPECIALISATIONS: list[tuple[str, str]] = [
    ("argument with a dimension of length 1", "units"),
    ("3-d argument", "units"),
    ("program on Python floats alone", "floats"),
    ("float variant ran alone on calls 2 and 3", "floats"),
]


def claims() -> list[tuple[str, str]]:
    """(construct, productions) for every construct README claims."""
    out = list(PY_CLAIMS)
    out += [(f"math.{n}", _BASE.get(f"math.{n}", "lib")) for n in _MATH_CLAIMS]
    out += [(f"np.{n}", _BASE.get(f"np.{n}", "lib")) for n in _NP_CLAIMS]
    out += [(f".{n}", _BASE.get(f".{n}", "lib")) for n in _METHOD_CLAIMS]
    return out + _OTHER_CLAIMS


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


_HEADER_FUNCS = {n.name: n for n in ast.parse(HEADER).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}


def constructs(source: str) -> set[str]:
    """The claimed constructs (rows of :func:`claims`) that ``source``'s
    function ``f`` uses, read from its syntax tree (and the helpers it calls)."""
    start = source.find("\ndef f(")
    tree = ast.parse(source[start + 1 :] if start >= 0 else source)
    f = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")
    found: set[str] = set()
    made: dict[str, str] = {}  # name -> how it was last made (for writes)
    loop_ints: set[str] = set()
    params = {a.arg for a in f.args.args}
    for node in ast.walk(f):
        if isinstance(node, ast.For):
            if (
                isinstance(node.target, ast.Name)
                and isinstance(node.iter, ast.Call)
                and _dotted(node.iter.func) == "range"
            ):
                loop_ints.add(node.target.id)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = node.value
            if isinstance(v, ast.Assign):
                continue
            name = _dotted(v.func) if isinstance(v, ast.Call) else None
            key = f"#{node.targets[0].id}"
            made[key] = "again" if key in made or node.targets[0].id in params else "once"
            made[node.targets[0].id] = {
                "np.zeros": "np.zeros",
                "np.empty": "np.empty",
                "np.array": "np.array",
                "np.copy": "x.copy()",
            }.get(name or "", "")
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "copy":
                made[node.targets[0].id] = made[node.targets[0].id] or "x.copy()"
    found |= _argument_writes(source, f, made)
    called = set()
    for node in ast.walk(f):
        found |= _node_constructs(node, f, made, loop_ints)
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in _HEADER_FUNCS:
                called.add(name)
            if name == "_MODEL.apply":
                called.add("_Model")
    found |= _pytree_constructs(f, params)
    found |= _argument_shapes(source)
    if "\ndef f_aux(" in source:
        found.add("has_aux")
    for name in called:  # what the helpers it calls use
        for node in ast.walk(_HEADER_FUNCS[name]):
            if (
                isinstance(node, ast.FunctionDef)
                and node is not _HEADER_FUNCS[name]
                and not isinstance(_HEADER_FUNCS[name], ast.ClassDef)
            ):
                found.add("call: nested def")
    return found


def _argument_shapes(source: str) -> set[str]:
    """The rows of SPECIALISATIONS the arguments' shapes (the comment under ``def f``) show."""
    head = source[source.find("def f(") :].split("\n", 2)
    if len(head) < 2 or not head[1].strip().startswith("#"):
        return set()
    line = head[1].strip()
    out = set()
    arrays = [tuple(int(n) for n in re.findall(r"\d+", t)) for t in re.findall(r"\(([\d, ]+)\)", line)]
    if any(1 in shape for shape in arrays):
        out.add("argument with a dimension of length 1")
    if any(len(shape) == 3 for shape in arrays):
        out.add("3-d argument")
    if re.fullmatch(r"#( \w+: float,?)+", line):
        out.add("program on Python floats alone")
    return out


def _passing_constructs(call: ast.Call) -> set[str]:
    """The constructs of calls as ML users write them (production `calls`)."""
    out: set[str] = set()
    name = _dotted(call.func)
    if name == "_hstar":
        out.add("call: *args in a definition")
    if name == "_hkw":
        out.add("call: **kwargs in a definition")
    if name == "_hgen":
        out.add("call: generator function (yield)")
    if (
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "forward"
        and isinstance(call.func.value, ast.Name)
        and not call.func.value.id.isupper()
    ):
        out.add("call: method of an object in a list")
    if name in ("map", "filter", "functools.partial"):
        out.add(name)
    if name == "zip" and any(isinstance(a, ast.Starred) for a in call.args):
        out.add("zip(*pairs)")
    elif any(isinstance(a, ast.Starred) for a in call.args):
        out.add("call: f(*xs) with a tuple")
    for a in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(a, ast.Lambda):
            out.add("call: lambda passed as an argument")
        elif _dotted(a) in _HEADER_FUNCS:
            out.add("call: user function passed as an argument")
        elif (_dotted(a) or "").startswith("np.") and isinstance(
            getattr(np, (_dotted(a) or "np.")[3:], None), np.ufunc
        ):
            out.add("call: NumPy function passed as an argument")
    return out


def _pytree_constructs(f: ast.FunctionDef, params: set[str]) -> set[str]:
    """The pytree constructs (issue 9) ``f`` uses."""
    out: set[str] = set()
    for node in ast.walk(f):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and type(node.slice.value) is str:
            if isinstance(node.ctx, ast.Load):
                out.add("read d['k']")
                if isinstance(node.value, ast.Name) and node.value.id in params:
                    out.add("nested pytree argument" if node.slice.value == "pair" else "dict argument")
            else:
                out.add("local dict d['k'] = v")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in params:
            out |= {"namedtuple argument", "namedtuple field p.W"}
        elif isinstance(node, ast.Dict):
            out.add("dict literal")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name == "dict":
                out.add("dict(k=v)")
            elif name in ("_hdict", "_hsum"):
                out.add("helper taking and returning a dict")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in ("keys", "values") and not node.args:
                out.add(f"d.{node.func.attr}()")
        elif isinstance(node, ast.For):
            it = node.iter
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items":
                out.add("for k, v in d.items()")
            elif (
                isinstance(it, ast.Name)
                and isinstance(node.target, ast.Name)
                and any(
                    isinstance(n, ast.Subscript)
                    and isinstance(n.value, ast.Name)
                    and n.value.id == it.id
                    and isinstance(n.slice, ast.Name)
                    and n.slice.id == node.target.id
                    for n in ast.walk(node)
                )
            ):
                out.add("for k in d")
    return out


def _node_constructs(node: ast.AST, f: ast.FunctionDef, made: dict[str, str], loop_ints: set[str]) -> set[str]:
    out: set[str] = set()
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        out.add(_OPS[type(node.op)])
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Mod):
        out.add("% and %=")
    elif isinstance(node, ast.UnaryOp):
        out.add({ast.USub: "unary minus", ast.Not: "not"}.get(type(node.op), ""))
    elif isinstance(node, ast.BoolOp):
        out.add("and/or")
    elif isinstance(node, ast.Compare) and len(node.ops) > 1:
        out.add("chained comparison")
    elif isinstance(node, ast.IfExp):
        out.add("a if c else b")
    elif isinstance(node, ast.If):
        out.add("if")
        if node.orelse and len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            out.add("elif")
        elif node.orelse:
            out.add("else")
    elif isinstance(node, ast.While):
        out.add("while")
    elif isinstance(node, ast.For):
        it = node.iter
        name = _dotted(it.func) if isinstance(it, ast.Call) else None
        if name == "range":
            out.add("for over range")
            if any(not isinstance(a, ast.Constant) for a in it.args):
                out.add("for over range, run-time bounds")
        elif name == "enumerate":
            out.add("enumerate")
            if len(it.args) > 1 or it.keywords:
                out.add("enumerate with a start")
        if any(isinstance(n, ast.Call) and _dotted(n.func) == "zip" for n in ast.walk(it)):
            out.add("zip")
        elif isinstance(it, ast.Name):
            out.add("for over rows")
        if any(isinstance(n, (ast.For, ast.While)) for b in node.body for n in ast.walk(b)):
            out.add("nested loops")
        for b in node.body:
            if any(isinstance(n, ast.Return) for n in ast.walk(b)):
                out.add("return inside a loop")
    elif isinstance(node, ast.Break):
        out.add("break")
    elif isinstance(node, ast.Continue):
        out.add("continue")
    elif isinstance(node, ast.Pass):
        out.add("pass")
    elif isinstance(node, ast.Assert):
        out.add("assert")
    elif isinstance(node, ast.Raise):
        out.add("raise")
    elif isinstance(node, ast.Lambda):
        out.add("call: lambda bound to a name")
    if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Call):
        called = _dotted(node.iter.func)
        if called in _HEADER_FUNCS or (
            called == "zip"
            and any(
                isinstance(a, ast.Starred) and isinstance(a.value, ast.Call) and _dotted(a.value.func) in _HEADER_FUNCS
                for a in node.iter.args
            )
        ):
            out.add("iteration over what a helper returns")
    if isinstance(node, ast.Call):
        out |= _passing_constructs(node)
    elif isinstance(node, ast.FunctionDef) and node is not f:
        out.add("call: nested def")
        inner = {a.arg for a in node.args.args}
        if any(isinstance(n, ast.Name) and n.id not in inner and n.id not in ("np", "math") for n in ast.walk(node)):
            out.add("call: closure reading an enclosing variable")
    elif isinstance(node, ast.ListComp):
        out.add("list comprehension")
    elif isinstance(node, ast.GeneratorExp):
        out.add("generator expression")
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        if any(g.ifs for g in node.generators):
            out.add("filtered comprehension")
        if len(node.generators) > 1:
            out.add("nested comprehension")
    if isinstance(node, ast.List) and isinstance(node.ctx, ast.Load):
        out.add("list")
    if isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load):
        out.add("tuple")
    if isinstance(node, ast.Return) and node is not f.body[-1]:
        out.add("early return")
    if isinstance(node, ast.Assign):
        t = node.targets[0]
        if isinstance(t, ast.Tuple):
            out.add("tuple unpacking")
            v = node.value
            if (
                isinstance(v, ast.Tuple)
                and len(v.elts) == len(t.elts)
                and _dotted(v.elts[0])
                and _dotted(v.elts[0]) == _dotted(t.elts[-1])
            ):
                out.add("swap a, b = b, a")
            if isinstance(v, ast.Call) and _dotted(v.func) in _HEADER_FUNCS:
                out.add("call: function returning a tuple")
            if isinstance(v, ast.Call) and _dotted(v.func) == "np.linalg.slogdet":
                out.add("sign, logdet = slogdet(...)")
        if isinstance(t, ast.Name) and made.get(f"#{t.id}", "") == "again":
            out.add("reassignment")
        if isinstance(t, ast.Subscript):
            out |= _write_constructs(t, made)
    if isinstance(node, ast.AugAssign):
        if isinstance(node.target, ast.Subscript):
            out.add("x[i] += v")
            out |= _write_constructs(node.target, made)
        else:
            out.add("augmented assignment s += v")
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        out |= _read_constructs(node)
    if isinstance(node, ast.Attribute) and node.attr in ("T", "shape"):
        out.add(".T" if node.attr == "T" else "x.shape")
    if isinstance(node, ast.Name) and node.id.startswith("C") and node.id[1:].isdigit():
        out.add("constants and globals")
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        if any(isinstance(s, ast.Constant) for s in (node.left, node.right)):
            out.add("broadcasting (array op float)")
    if isinstance(node, ast.Call):
        out |= _call_constructs(node, made)
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        if names - loop_ints - {"np", "math", "C2", "C3", "C23"} - {n for n in names if n.startswith("k")}:
            out.add("condition on an active value")
    out.discard("")
    return out


def _argument_writes(source: str, f: ast.FunctionDef, made: dict[str, str]) -> set[str]:
    """Writes into an array argument never rebound in ``f`` (the shapes comment
    under ``def f`` tells which arguments are arrays)."""
    shapes = dict(re.findall(r"(\w+): (float|\([^)]*\))", source[source.find("def f(") :].split("\n", 2)[1]))
    arrays = {a.arg for a in f.args.args if shapes.get(a.arg, "float") != "float" and f"#{a.arg}" not in made}
    out: set[str] = set()
    for loop in [f, *(n for n in ast.walk(f) if isinstance(n, (ast.For, ast.While)))]:
        for node in ast.walk(loop):
            t = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            if not isinstance(node, (ast.Assign, ast.AugAssign)):
                continue
            if isinstance(t, ast.Subscript) and _dotted(t.value) in arrays:
                out.add("write into an argument" if loop is f else "write into an argument in a loop")
            elif isinstance(node, ast.AugAssign) and isinstance(t, ast.Name) and t.id in arrays:
                out.add("x += v on an array argument")
    return out


def _write_constructs(t: ast.Subscript, made: dict[str, str]) -> set[str]:
    out = set()
    idx = t.slice
    if isinstance(idx, ast.Slice):
        out.add("write y[a:b] = v")
    elif isinstance(idx, ast.Tuple) and idx.elts and isinstance(idx.elts[0], ast.Slice):
        out.add("write y[:, j] = v")
    elif isinstance(idx, ast.Compare):
        out.add("write y[mask] = v")
    elif isinstance(idx, (ast.Constant, ast.Name, ast.UnaryOp, ast.BinOp)) or isinstance(idx, ast.Tuple):
        out.add("write y[i] = v")
    how = made.get(_dotted(t.value) or "", "")
    if how:
        out.add(f"write into {how}")
    return out


def _read_constructs(node: ast.Subscript) -> set[str]:
    idx = node.slice
    out = set()
    if isinstance(idx, ast.Tuple) and any(isinstance(e, ast.Constant) and e.value is None for e in idx.elts):
        out.add("read x[:, None]")
    elif isinstance(idx, ast.Tuple) and any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in idx.elts):
        out.add("read x[..., i]")
    elif isinstance(idx, ast.Slice):
        out.add("read x[1:3]")
    elif isinstance(idx, ast.List):
        out.add("read x[[i, i]] (repeats)")
    elif isinstance(idx, ast.Compare):
        out.add("read x[mask]")
    elif isinstance(idx, ast.UnaryOp) or (
        isinstance(idx, ast.Constant) and isinstance(idx.value, int) and idx.value < 0
    ):
        out.add("read by negative index hs[-1]")
        out.add("read x[i]")
    elif isinstance(idx, (ast.Constant, ast.Name, ast.Tuple)):
        out.add("read x[i]")
    return out


def _call_constructs(node: ast.Call, made: dict[str, str]) -> set[str]:
    out: set[str] = set()
    name = _dotted(node.func)
    kw = {k.arg for k in node.keywords}
    if name and (name.startswith("np.") or name.startswith("math.")):
        out.add(name)
        if name == "math.log" and len(node.args) == 2:
            out.add("math.log(x, base)")
        if name == "np.clip" and {"min", "max"} & kw:
            out.add("np.clip min=/max=")
        if name == "np.reshape" and "shape" in kw:
            out.add("np.reshape shape=")
        if name == "np.linalg.norm" and len(node.args) > 1:
            order = node.args[1]
            matrix = (
                isinstance(order, ast.Constant)
                and order.value in (2, "nuc")
                or (
                    isinstance(order, ast.UnaryOp)
                    and isinstance(order.operand, ast.Constant)
                    and order.operand.value == 2
                )
            )
            out.add("np.linalg.norm matrix ord" if matrix else "np.linalg.norm ord=1/inf")
        if name == "np.einsum" and isinstance(node.args[0], ast.Constant):
            spec = str(node.args[0].value)
            out.add("einsum with explicit output" if "->" in spec and "." not in spec else "einsum, other forms")
        if name in ("np.stack", "np.concatenate") and node.args and isinstance(node.args[0], ast.List):
            out.add(f"{name} over a list")
        if "axis" in kw:
            out.add("reduction with axis")
            axis = next(k.value for k in node.keywords if k.arg == "axis")
            if isinstance(axis, ast.Tuple):
                out.add("axis as a tuple")
        for k in ("keepdims", "ddof", "weights"):
            if k in kw:
                out.add(k)
    elif name in _HEADER_FUNCS or name == "_MODEL.apply":
        out.add("call: bound method" if name == "_MODEL.apply" else "call: module-level function")
        if name == "_MODEL.apply":
            out.add("call: module-level function")
        if node.keywords:
            out.add("call: keyword argument")
        if name in ("_h1", "_h2") and not node.keywords:
            out.add("call: default argument")
    elif name in ("max", "min"):
        if len(node.args) > 1:
            out.add("builtin max/min of several values")
        elif node.args and isinstance(node.args[0], ast.List):
            out.add("builtin max/min of a list")
    elif name == "pow":
        out.add("builtin pow")
    elif name == "float":
        out.add("float(x)")
    elif name == "len":
        out.add("len(x)")
    elif name == "sum":
        out.add("sum over a list")
    elif isinstance(node.func, ast.Attribute):
        attr = node.func.attr
        if attr == "append":
            out.add("append")
        elif attr in _METHOD_CLAIMS:
            out.add(f".{attr}")
    for a in node.args:
        if isinstance(a, ast.BinOp) and isinstance(a.left, ast.Compare):
            out.add("comparison as a constant")
    return out


def coverage_table(outcomes: list[Outcome]) -> str:
    """README's claims, the productions that write each, how many programs of
    ``outcomes`` contain it and with what outcomes; claims never generated are marked."""
    rows = []
    per_program = [
        (
            o.status,
            constructs(o.program.display)
            | ({"float variant ran alone on calls 2 and 3"} if o.variant == "ran" else set()),
        )
        for o in outcomes
    ]
    width = max(len(c) for c, _ in claims() + SPECIALISATIONS)
    zero = []
    for construct, productions in claims() + SPECIALISATIONS:
        statuses = [s for s, found in per_program if construct in found]
        counts = ", ".join(f"{s} {statuses.count(s)}" for s in STATUSES if statuses.count(s))
        mark = "   <-- NEVER GENERATED" if not statuses else ""
        if not statuses:
            zero.append(construct)
        rows.append(f"{construct:<{width}}  {productions:<28} {len(statuses):>6}  {counts}{mark}")
    head = f"{'construct (README)':<{width}}  {'productions':<28} {'count':>6}  outcomes"
    tail = (
        f"\n{len(zero)} claimed constructs never generated: {', '.join(zero)}"
        if zero
        else "\nevery claimed construct was generated"
    )
    return "\n".join([head, "-" * len(head)] + rows) + tail
