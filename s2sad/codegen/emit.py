"""Turn generated trees into source text and compiled functions.

The only place that calls astor. Generated source is registered in
``linecache`` under a stable file name (``<s2sad: gradient of f (file.py:12)>``) so
tracebacks and pdb show its lines.
"""

from __future__ import annotations

import ast
import linecache
import types
from typing import Any

import astor
import gast


class _NegativeLiterals(ast.NodeTransformer):
    """``-0.69`` as a unary minus, so the unparser parenthesizes it where
    precedence needs it (``(-0.69) ** 2``, not ``-0.69 ** 2``)."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) in (int, float) and node.value < 0:
            return ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-node.value)), node)
        return node


def _to_ast(node: gast.AST) -> ast.AST:
    """``_NegativeLiterals().visit(gast.gast_to_ast(node))``, the same tree
    (its nodes new: it may be changed in place), built in one pass at a third
    of the cost: each statement of generated code is converted to be rendered."""
    return _convert(node)


# the nodes gast converts in its own way on Python 3.11 (Name and Assign, below, too)
_GAST_OWN = frozenset({"ExceptHandler", "ClassDef", "FunctionDef", "AsyncFunctionDef", "arguments"})


def _convert(node: gast.AST) -> ast.AST | None:
    kind = node.__class__.__name__
    new: ast.AST
    if kind == "Name":  # gast.Name also has annotation, type_comment
        new = ast.Name(node.id, _convert_field(node.ctx))  # type: ignore[attr-defined]
        return ast.copy_location(new, node)
    if kind == "Assign":  # and type_comment
        new = ast.Assign(_convert_field(node.targets), _convert_field(node.value))  # type: ignore[attr-defined]
        return ast.copy_location(new, node)
    if kind in _GAST_OWN:
        return _NegativeLiterals().visit(gast.gast_to_ast(node))
    cls = getattr(ast, kind, None)
    if cls is None:  # not an ast node (gast's converter gives None too)
        return None
    # as gast's generic conversion: the same fields, then the positions
    new = cls(**{f: _convert_field(getattr(node, f)) for f in node._fields if hasattr(node, f)})
    for attr in node._attributes:
        try:
            setattr(new, attr, getattr(node, attr))
        except AttributeError:
            pass
    if kind == "Constant" and type(new.value) in (int, float) and new.value < 0:  # type: ignore[attr-defined]
        return _NegativeLiterals().visit_Constant(new)  # type: ignore[arg-type]
    return new


def _convert_field(value: object) -> object:
    if isinstance(value, gast.AST):
        return _convert(value)
    if isinstance(value, list):
        return [_convert_field(v) for v in value]
    return value


def quick_source(fn: gast.FunctionDef) -> str:
    """Source text of ``fn`` by the standard library's unparser: a tenth of
    astor's time, for code nobody reads unless asked (the float variant)."""
    return ast.unparse(ast.fix_missing_locations(_to_ast(fn))) + "\n"


def copy_tree(node: gast.AST) -> gast.AST:
    """A copy of a gast tree (by two conversions: faster than deepcopy)."""
    return gast.ast_to_gast(gast.gast_to_ast(node))


def expr_source(node: gast.AST) -> str:
    return astor.to_source(_to_ast(node)).strip()


def to_source(node: gast.AST) -> str:
    """Source text of any gast node."""
    if isinstance(node, gast.FunctionDef):
        return render_function(node, {})
    return astor.to_source(_to_ast(node))


def strip_parens(text: str) -> str:
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i != len(text) - 1:
                return text
        return text[1:-1]
    return text


def render_function(
    fn: gast.FunctionDef,
    comments: dict[int, str],
    header: str = "",
    leading: dict[int, str] | None = None,
    source_map: dict[int, int] | None = None,
) -> str:
    """Source of ``fn``; ``comments`` maps id(statement) to a trailing comment,
    ``leading`` to a comment line above it. If ``source_map`` is given, it is
    filled with {generated line: user line} for statements that carry one."""
    lines: list[str] = []
    if header:
        lines.extend(f"# {h}" if h else "#" for h in header.splitlines())
    args = fn.args
    stub = gast.FunctionDef(
        name=fn.name, args=args, body=[gast.Pass()], decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    # the signature may be wrapped over several lines: keep all but the body
    sig = astor.to_source(_to_ast(gast.Module(body=[stub], type_ignores=[]))).rstrip("\n").splitlines()[:-1]
    lines.extend(sig)
    _block(fn.body, 1, lines, comments, leading or {}, source_map if source_map is not None else {})
    return "\n".join(lines) + "\n"


def _block(
    stmts: list[gast.stmt],
    depth: int,
    lines: list[str],
    comments: dict[int, str],
    leading: dict[int, str],
    smap: dict[int, int],
) -> None:
    pad = "    " * depth
    if not stmts:
        lines.append(pad + "pass")
    for s in stmts:
        note = comments.get(id(s), "")
        if id(s) in leading:
            lines.append(pad + "# " + leading[id(s)])
        if getattr(s, "lineno", None) is not None:
            smap[len(lines) + 1] = s.lineno
        suffix = f"  # {note}" if note else ""
        if isinstance(s, gast.If):
            lines.append(f"{pad}if {strip_parens(expr_source(s.test))}:{suffix}")
            _block(s.body, depth + 1, lines, comments, leading, smap)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], gast.If) and id(orelse[0]) not in comments:
                lines.append(f"{pad}elif {strip_parens(expr_source(orelse[0].test))}:")
                _block(orelse[0].body, depth + 1, lines, comments, leading, smap)
                orelse = orelse[0].orelse
            if orelse:
                lines.append(f"{pad}else:")
                _block(orelse, depth + 1, lines, comments, leading, smap)
        elif isinstance(s, gast.For):
            target = expr_source(s.target)
            lines.append(f"{pad}for {strip_parens(target)} in {expr_source(s.iter)}:{suffix}")
            _block(s.body, depth + 1, lines, comments, leading, smap)
        elif isinstance(s, gast.While):
            lines.append(f"{pad}while {strip_parens(expr_source(s.test))}:{suffix}")
            _block(s.body, depth + 1, lines, comments, leading, smap)
        elif isinstance(s, gast.FunctionDef):
            sub_map: dict[int, int] = {}
            sub_text = render_function(s, comments, leading=leading, source_map=sub_map)
            smap.update({len(lines) + k: v for k, v in sub_map.items()})
            lines.extend(pad + ln if ln else ln for ln in sub_text.splitlines())
        else:
            text = astor.to_source(_to_ast(s)).rstrip("\n")
            for i, ln in enumerate(text.splitlines()):
                lines.append(pad + ln + (suffix if i == 0 else ""))


_counter = [0]


def compile_function(
    source: str,
    fn_name: str,
    filename: str,
    globals_: dict[str, Any],
    injected: dict[str, Any],
    cells: dict[str, Any] | None = None,
) -> Any:
    """Compile ``source`` (one ``def``) into a function whose globals are the
    user's module globals and whose ``injected`` names are closure variables.
    ``cells`` maps names to the user's own closure cells, shared (not copied),
    so that a change to an enclosing variable is seen."""
    _counter[0] += 1
    params = ", ".join(injected)
    factory = f"def __s2sad_factory__({params}):\n"
    body = "".join("    " + ln + "\n" if ln else "\n" for ln in source.splitlines())
    text = factory + body + f"    return {fn_name}\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    code = compile(text, filename, "exec")
    namespace: dict[str, Any] = {}
    exec(code, globals_, namespace)  # noqa: S102 - this is the code generator's job
    fn = namespace["__s2sad_factory__"](**injected)
    if cells and fn.__closure__:
        own = dict(zip(fn.__code__.co_freevars, fn.__closure__))
        closure = tuple(cells.get(n, own[n]) for n in fn.__code__.co_freevars)
        fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, closure)
        fn.__kwdefaults__ = namespace["__s2sad_factory__"](**injected).__kwdefaults__
    return fn
