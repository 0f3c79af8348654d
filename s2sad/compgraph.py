"""The computational graph of a function (one node per SSA statement), drawn from its SSA core.

Input: a user function s2sad can read (the same one ``s2sad show`` takes).

Output: Graphviz DOT text (written here, no graphviz package needed) with

* one node per input (a parameter, shaded) and one per statement of the SSA
  core (:mod:`s2sad.ir.ssa`), labelled with the statement itself, e.g.
  ``t2 = x1 * x2``: every intermediate value, under the user's own name
  (an SSA version ``x_1`` of ``x`` is labelled ``x_1 (x)``);
* one edge per operand read, from the statement that defined the value
  (each reaching definition, so loops and branches are exact) to the
  statement reading it: the def-use edges; the returned value has a double
  border;
* ``if`` branches and loop bodies as clusters labelled ``if c:`` / ``else:``
  / ``for i in r:`` / ``while c:``.

With ``adjoint=True``, the extended graph of reverse mode, in a second colour:
one adjoint node ``v_bar`` per *active* value (it depends on a ``wrt``
argument and reaches the output), and one *partial-adjoint* edge per def-use
edge between active values, from ``v_bar`` back to ``u_bar`` and labelled with
the partial adjoint ``v_bar * dv/du`` as s2sad's rule table writes it (e.g.
``t2_bar * x2``). Where a value has several pathways, its partial adjoints
meet in a ``+`` node whose sum is ``u_bar``:
``u_bar = sum_j u_{->j}_bar``, summed over every pathway.

>>> import numpy as np
>>> def f(x1, x2):
...     return np.log(x1) + x1 * x2 - np.sin(x2)
>>> dot = graph(f, wrt=("x1", "x2"), adjoint=True)
>>> '"t2 = x1 * x2"' in dot, '"t2_bar * x2"' in dot
(True, True)

Node and edge statements carry a ``class`` attribute (``input``, ``value``,
``adjoint``, ``sum``; ``use``, ``partial``, ``sum``, ``seed``) so a reader of
the DOT — or of the SVG Graphviz makes from it — can tell them apart.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import gast

from .analysis.activity import kind_of_atom, varied_names
from .analysis.resolve import Op
from .arguments import assumed_kinds, resolve_wrt
from .codegen.emit import expr_source, strip_parens, to_source
from .errors import Location, S2SADError
from .frontend.parse import parse_function
from .frontend.varargs import bind_call
from .ir.core import names_read, walk
from .pipeline import build_reverse, front
from .rules.templates import instantiate, simplify

__all__ = ["graph", "render", "GraphvizError"]

Term = Callable[[str], str]  # the reading statement's adjoint name -> the partial adjoint, as text
ADJOINT_COLOR = "#c0392b"  # the reverse sweep's colour in the extended graph


class GraphvizError(S2SADError):
    """Graphviz's ``dot`` is needed to draw SVG or PNG, and it is missing or failed."""


@dataclass
class _Node:
    id: str
    label: str
    defines: str | None  # the SSA name this node gives a value to
    cls: str  # "input" or "value"
    tooltip: str = ""


@dataclass
class _Use:
    """A def-use edge: ``src`` defined a value that ``dst`` reads; ``term``
    is the partial adjoint that flows back along it (None: no derivative)."""

    src: str
    dst: str
    name: str
    term: Term | None = None


@dataclass
class _Cluster:
    label: str
    members: list[str | _Cluster] = field(default_factory=list)  # node ids and nested clusters


class _Builder:
    """Walks the SSA core once, in program order, keeping for every name the
    set of nodes whose definition may reach the current statement."""

    def __init__(self, core: Any, wrt: tuple[str, ...]):
        self.core = core
        self.ssa = core.ssa
        self.ops: dict[int, Op] = core.ops
        self.kinds: dict[str, Any] = core.kinds
        self.filename = core.pf.filename
        self.varied = varied_names(self.ssa, list(wrt), self.ops)
        self.nodes: dict[str, _Node] = {}
        self.uses: list[_Use] = []
        self.outputs: set[str] = set()
        self.top = _Cluster("")
        self._count = 0
        # a loop body is walked more than once: each statement and cluster is made the first time
        self.clusters: dict[tuple[int, str], _Cluster] = {}
        self.made: dict[int, str] = {}  # id(statement) -> its node
        # names the user's own code assigns: only their SSA versions are labelled with the user's name
        self.user_names = {
            n.id for n in walk(core.pf.node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }

    # ------------------------------------------------------------ walking
    def run(self) -> None:
        env: dict[str, set[str]] = {}
        for p in _params(self.ssa):
            nid = f"in_{p}"
            self.nodes[nid] = _Node(nid, p, p, "input", f"argument {p}")
            self.top.members.append(nid)
            env[p] = {nid}
        ret = self.ssa.body[-1]
        self.block(self.ssa.body[:-1], env, self.top)
        if isinstance(ret, gast.Return) and isinstance(ret.value, gast.Name):
            self.outputs = set(env.get(ret.value.id, ()))

    def block(self, stmts: list[gast.stmt], env: dict[str, set[str]], where: _Cluster) -> None:
        for s in stmts:
            if isinstance(s, gast.If):
                self.if_(s, env, where)
            elif isinstance(s, (gast.For, gast.While)):
                self.loop(s, env, where)
            elif isinstance(s, (gast.Assign, gast.Expr)):
                self.statement(s, env, where)
            # break, pass, raise: no value flows

    def if_(self, s: gast.If, env: dict[str, set[str]], where: _Cluster) -> None:
        test = expr_source(s.test)
        then_env, else_env = _copy_env(env), _copy_env(env)
        self.block(s.body, then_env, self._cluster(s, "body", f"if {test}:", where))
        if s.orelse:
            self.block(s.orelse, else_env, self._cluster(s, "orelse", f"else (not {test}):", where))
        for n in set(then_env) | set(else_env):  # either branch's definition may reach what follows
            env[n] = then_env.get(n, set()) | else_env.get(n, set())

    def loop(self, s: gast.For | gast.While, env: dict[str, set[str]], where: _Cluster) -> None:
        if isinstance(s, gast.For):
            head = f"for {expr_source(s.target)} in {expr_source(s.iter)}:"
        else:
            head = f"while {expr_source(s.test)}:"
        body = self._cluster(s, "body", head, where)
        # a name read in the body may come from before the loop or from an earlier iteration: walk the
        # body again with the definitions reaching its end until they no longer grow (each statement
        # becomes one node, the first time; its uses are those of the last walk)
        mark = len(self.uses)
        entry = _copy_env(env)
        while True:
            del self.uses[mark:]
            inner = _copy_env(entry)
            self._loop_head(s, inner, body)
            self.block(s.body, inner, body)
            grown = {n: entry.get(n, set()) | defs for n, defs in inner.items()}
            if grown == entry:
                break
            entry = grown
        env.update(entry)  # the loop may run zero times: the definitions before it reach on too

    def _cluster(self, s: gast.stmt, part: str, label: str, where: _Cluster) -> _Cluster:
        """The cluster of a branch or loop body, made the first time it is walked."""
        key = (id(s), part)
        if key not in self.clusters:
            self.clusters[key] = _Cluster(label)
            where.members.append(self.clusters[key])
        return self.clusters[key]

    def _loop_head(self, s: gast.For | gast.While, env: dict[str, set[str]], where: _Cluster) -> None:
        if not isinstance(s, gast.For) or not isinstance(s.target, gast.Name):
            return
        nid = self.made.get(id(s))
        if nid is None:
            nid = self.made[id(s)] = self._new_node(
                f"{s.target.id} = next({expr_source(s.iter)})", s.target.id, s, where
            )
        self._read(s.iter, nid, env, None)
        env[s.target.id] = {nid}

    def statement(self, s: gast.Assign | gast.Expr, env: dict[str, set[str]], where: _Cluster) -> None:
        defines = _defined(s)
        nid = self.made.get(id(s))
        if nid is None:
            nid = self.made[id(s)] = self._new_node(self._label(s, defines), defines, s, where)
        covered: set[int] = set()
        for operand, term in self._reads(s, defines):
            covered |= {id(n) for n in walk(operand)}
            self._read(operand, nid, env, term)
        for n in walk(s):  # what no rule operand holds (an index, a keyword): read, no derivative
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in covered:
                self._read(n, nid, env, None)
        if defines is not None:
            env[defines] = {nid}

    # ----------------------------------------------------------- helpers
    def _new_node(self, label: str, defines: str | None, s: gast.stmt, where: _Cluster) -> str:
        self._count += 1
        nid = f"n{self._count}"
        line = getattr(s, "lineno", None)
        tooltip = f"{os.path.basename(self.filename)}, line {line}" if line else ""
        self.nodes[nid] = _Node(nid, label, defines, "value", tooltip)
        where.members.append(nid)
        return nid

    def _label(self, s: gast.Assign | gast.Expr, defines: str | None) -> str:
        text = to_source(s).strip()
        user = self.core.namer.user_name(defines) if defines else None
        if defines and user != defines and user in self.user_names:
            text += f"  ({user})"  # the SSA version of the user's name
        return text

    def _read(self, node: gast.AST, nid: str, env: dict[str, set[str]], term: Term | None) -> None:
        for n in sorted(names_read(node)):
            for src in sorted(env.get(n, ()), key=_order):
                self.uses.append(_Use(src, nid, n, term))

    def _reads(self, s: gast.Assign | gast.Expr, z: str | None) -> list[tuple[gast.AST, Term | None]]:
        """The operands of a statement, one per occurrence, each with the
        partial adjoint that flows back to it: a function of the statement's
        adjoint name (None where no derivative flows)."""
        if z is None or z not in self.varied:
            return []
        op = self.ops.get(id(s))
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and op is not None:
            if op.kind == "copy":
                return [(s.value, lambda bar: bar)]
            if op.kind == "tuple":
                return [(item, _indexed(k)) for k, item in enumerate(op.args["items"].elts)]
            if op.kind == "user":
                return self._user_terms(s, op)
            if op.kind == "rule" and op.rule is not None and op.rule.reverse:
                return self._rule_terms(op, z)
            if op.kind in ("inactive", "const"):
                return []
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):  # y[i] = v
            target = s.targets[0]
            index = expr_source(target)[len(z) + 1 : -1]
            return [
                (target.value, lambda bar: f"{bar} with [{index}] = 0"),
                (s.value, lambda bar: f"{bar}[{index}]"),
            ]
        if isinstance(s, gast.Expr) and isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "append":
            return [(s.value.func.value, lambda bar: f"{bar}[:-1]"), (s.value.args[0], lambda bar: f"{bar}[-1]")]
        # a container operation, a method changing a list: the derivative flows, by a runtime helper
        return [(n, _generic(z, n.id)) for n in walk(s) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load) and n.id in self.varied]  # fmt: skip

    def _rule_terms(self, op: Op, z: str) -> list[tuple[gast.AST, Term | None]]:
        """Each operand of a rule's call with its term, spliced from the rule's
        reverse template as the transform splices it (``g`` the adjoint)."""
        rule = op.rule
        assert rule is not None
        operand_kinds = [kind_of_atom(a, self.kinds) for a in op.args.values()]
        names = [a.id if isinstance(a, gast.Name) else None for a in op.args.values()]
        out: list[tuple[gast.AST, Term | None]] = []
        for p, arg in op.args.items():
            template = rule.reverse.get(p)
            if template is None or not (names_read(arg) & self.varied):
                continue

            def term(bar: str, template: gast.expr = template) -> str:
                bindings = dict(op.args)
                bindings["g"] = _name(bar)
                bindings["z"] = _name(z)
                expr = simplify(instantiate(template, bindings, lambda n: n), self.kinds, operand_kinds,
                                self.kinds.get(z), names)  # fmt: skip
                return strip_parens(expr_source(expr))

            if isinstance(arg, (gast.List, gast.Tuple)):  # a list or tuple operand: item k gets entry k
                for k, item in enumerate(arg.elts):
                    out.append((item, lambda bar, k=k, term=term: f"({term(bar)})[{k}]"))
            else:
                out.append((arg, term))
        return out

    def _user_terms(self, s: gast.Assign, op: Op) -> list[tuple[gast.AST, Term | None]]:
        """A call of the user's helper ``h``: ``a`` gets ``z_bar * dh/da``
        (the helper's own generated derivative computes it)."""
        callee = getattr(op.callee, "__name__", "h")
        where = Location(self.filename, getattr(s, "lineno", 0), getattr(s, "col_offset", 0))
        return [
            (node, lambda bar, p=p: f"{bar} * d{callee}/d{p}")
            for p, node in bind_call(op.callee, op.args["call"], where).items()
        ]

    # ------------------------------------------------------------ adjoint
    def active(self, wrt: tuple[str, ...]) -> set[str]:
        """Nodes whose value depends on a ``wrt`` argument (along uses a
        derivative flows back through) and reaches the output."""
        varied = {f"in_{w}" for w in wrt}
        grew = True
        while grew:
            grew = False
            for u in self.uses:
                if u.term is not None and u.src in varied and u.dst not in varied:
                    varied.add(u.dst)
                    grew = True
        reaches = set(self.outputs)
        grew = True
        while grew:
            grew = False
            for u in self.uses:
                if u.dst in reaches and u.src not in reaches:
                    reaches.add(u.src)
                    grew = True
        return varied & reaches


def _indexed(k: int) -> Callable[[str], str]:
    return lambda bar: f"{bar}[{k}]"


def _generic(z: str, u: str) -> Term:
    return lambda bar: f"{bar} * d{z}/d{u}"


def _name(n: str) -> gast.Name:
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


def _copy_env(env: dict[str, set[str]]) -> dict[str, set[str]]:
    return {k: set(v) for k, v in env.items()}


def _params(fn: gast.FunctionDef) -> list[str]:
    a = fn.args
    return [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]


def _defined(s: gast.stmt) -> str | None:
    """The name a statement gives a (new) value: an assignment's target, the
    array a write changes, the list a method call changes (``hs.append(h)``)."""
    if isinstance(s, gast.Assign):
        t = s.targets[0]
        if isinstance(t, gast.Name):
            return t.id
        if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
            return t.value.id
        return None
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
        f = s.value.func
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
            return f.value.id
    return None


# ------------------------------------------------------------------ DOT
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items() if v != "") + "]"


class _Dot:
    """Writes the DOT text: primal part, then (optionally) the adjoint part."""

    def __init__(self, b: _Builder, title: str, adjoint: bool, wrt: tuple[str, ...]):
        self.b = b
        self.lines = [
            f"digraph {_quote(title)} {{",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=10];',
            f'  label={_quote(self._caption(title, adjoint, wrt))}; labelloc=t; fontname="Helvetica";',
        ]
        self.active = b.active(wrt) if adjoint else set()
        self.bar: dict[str, str] = {}  # node id -> its adjoint's name
        self.pathways: dict[str, list[_Use]] = {}  # node id -> the uses its partial adjoints come back along
        if adjoint:
            for u in b.uses:
                if u.term is not None and u.src in self.active and u.dst in self.active:
                    self.pathways.setdefault(u.src, []).append(u)
            for nid in sorted(self.active, key=_order):
                defined = b.nodes[nid].defines
                assert defined is not None
                self.bar[nid] = b.core.namer.adjoint(defined)

    @staticmethod
    def _caption(title: str, adjoint: bool, wrt: tuple[str, ...]) -> str:
        if not adjoint:
            return f"computational graph of {title}"
        return f"computational graph of {title}, extended by reverse mode w.r.t. {', '.join(wrt)}"

    def text(self) -> str:
        self.cluster(self.b.top, "  ", "")
        for u in self.b.uses:
            self.lines.append(f"  {u.src} -> {u.dst} {_attrs(**{'class': 'use'})};")
        if self.bar:
            self.adjoint_part()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def cluster(self, c: _Cluster, indent: str, path: str) -> None:
        for k, m in enumerate(c.members):
            if isinstance(m, _Cluster):
                sub = f"{path}_{k}"
                self.lines.append(f"{indent}subgraph cluster{sub} {{")
                self.lines.append(f'{indent}  label={_quote(m.label)}; style="rounded,dashed"; color="gray50";')
                self.cluster(m, indent + "  ", sub)
                self.lines.append(f"{indent}}}")
            else:
                self.node(m, indent)

    def node(self, nid: str, indent: str) -> None:
        n = self.b.nodes[nid]
        extra: dict[str, str] = {"class": n.cls, "tooltip": n.tooltip}
        if n.cls == "input":
            extra["style"] = "rounded,filled"
            extra["fillcolor"] = "gray92"
        if nid in self.b.outputs:
            extra["peripheries"] = "2"
        self.lines.append(f"{indent}{nid} {_attrs(label=n.label, **extra)};")

    def adjoint_part(self) -> None:
        b = self.b
        red = ADJOINT_COLOR
        self.lines.append(f'  node [color="{red}", fontcolor="{red}"];')
        self.lines.append(f'  edge [color="{red}", fontcolor="{red}"];')
        self.adjoint_cluster(b.top, "  ", "")
        seeded = b.outputs & self.active
        for nid in sorted(set(self.pathways) | seeded, key=_order):
            uses = self.pathways.get(nid, [])
            target = f"{nid}_bar"
            if len(uses) + (nid in seeded) > 1:  # several pathways: their partial adjoints are summed
                target = f"{nid}_sum"
                self.lines.append(
                    f"  {target} {_attrs(label='+', shape='circle', width='0.3', fixedsize='true', **{'class': 'sum'})};"
                )
                self.lines.append(f"  {target} -> {nid}_bar {_attrs(**{'class': 'sum'})};")
            if nid in seeded:  # the output's adjoint starts at 1.0 (y_bar=1.0, the generated code's last parameter)
                self.lines.append(
                    f"  {nid} -> {target} {_attrs(label='seed 1.0', style='dashed', **{'class': 'seed'})};"
                )
            for u in uses:
                assert u.term is not None
                label = u.term(self.bar[u.dst])
                self.lines.append(
                    f"  {u.dst}_bar -> {target} {_attrs(label=label, tooltip=f'{u.name} -> {b.nodes[u.dst].defines}', **{'class': 'partial'})};"
                )

    def adjoint_cluster(self, c: _Cluster, indent: str, path: str) -> None:
        """The adjoint nodes, in clusters mirroring the primal ones (the
        reverse sweep runs a loop body's adjoint once per iteration, backwards)."""
        for k, m in enumerate(c.members):
            if isinstance(m, _Cluster):
                if not any(x in self.bar for x in _members(m)):
                    continue
                sub = f"{path}_{k}"
                self.lines.append(f"{indent}subgraph cluster_bar{sub} {{")
                self.lines.append(
                    f'{indent}  label={_quote("reverse of " + m.label)}; style="rounded,dashed"; color="{ADJOINT_COLOR}";'
                )
                self.adjoint_cluster(m, indent + "  ", sub)
                self.lines.append(f"{indent}}}")
            elif m in self.bar:
                label = self.bar[m]
                if m in self.b.outputs and m not in self.pathways:
                    label += " = 1.0"
                self.lines.append(f"{indent}{m}_bar {_attrs(label=label, **{'class': 'adjoint'})};")


def _members(c: _Cluster) -> Iterator[str]:
    for m in c.members:
        if isinstance(m, _Cluster):
            yield from _members(m)
        else:
            yield m


def _order(nid: str) -> tuple[int, str]:
    return (int(nid[1:]), nid) if nid[1:].isdigit() else (-1, nid)


# ------------------------------------------------------------------ API
def graph(
    fn: Callable[..., Any],
    wrt: int | str | tuple[int | str, ...] = 0,
    adjoint: bool = False,
    kinds: dict[str, str | None] | None = None,
) -> str:
    """The computational graph of ``fn`` as Graphviz DOT text.

    One node per input and per statement of s2sad's SSA core of ``fn``
    (labelled ``t2 = x1 * x2``), one edge per value read (def-use); loops and
    branches are clusters. With ``adjoint=True``, the graph extended by
    reverse mode w.r.t. ``wrt``: adjoint nodes ``v_bar`` and one
    partial-adjoint edge per pathway, labelled with its term, in a second
    colour; partial adjoints of a value with several pathways meet in a
    ``+`` node. ``kinds`` is as for :func:`s2sad.source` (default: floats,
    or what annotations and defaults say). Raises an
    :class:`s2sad.S2SADError` where s2sad cannot differentiate ``fn``.

    >>> def f(x, y):
    ...     z = x * y
    ...     return z + x
    >>> dot = graph(f)
    >>> re.findall(r'label="(\\w+ = [^"]*)"', dot)
    ['z = x * y', 'y_1 = z + x']
    >>> [line.split(" [")[0].strip() for line in dot.splitlines() if "->" in line]
    ['in_x -> n1', 'in_y -> n1', 'n1 -> n2', 'in_x -> n2']
    """
    names, _ = resolve_wrt(fn, wrt)
    assumed = assumed_kinds(fn)
    assumed.update(kinds or {})
    if adjoint:
        build_reverse(fn, names, assumed)  # what s2sad would refuse to differentiate, it refuses to draw
    core = front(parse_function(fn), assumed)
    b = _Builder(core, names)
    b.run()
    dot = _Dot(b, getattr(fn, "__name__", "f"), adjoint, names)
    text = dot.text()
    # the temporaries numbered as `s2sad show` numbers them: 1, 2, 3... in order of appearance
    mapping = core.namer.renumber(copy.deepcopy(core.ssa))
    return re.sub(r"\b\w+\b", lambda m: mapping.get(m.group(), m.group()), text)


def render(dot: str, path: str) -> str:
    """Write ``dot`` to ``path``: as it is for ``.dot`` (or ``.gv``), drawn
    by Graphviz's ``dot`` for ``.svg``, ``.png`` and ``.pdf``. Returns
    ``path``. Raises :class:`GraphvizError` when ``dot`` is not on PATH.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "g.dot")
    >>> render("digraph g { a -> b; }", path) == path
    True
    """
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(dot)
        return path
    if ext not in ("svg", "png", "pdf"):
        raise S2SADError(f"cannot draw {path!r}: write a .dot, .svg, .png or .pdf file")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(
            f"drawing {path} needs Graphviz's `dot` program, which is not on PATH",
            hint="install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install graphviz), or write the graph as .dot",
        )
    done = subprocess.run([exe, f"-T{ext}", "-o", path], input=dot.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise GraphvizError(f"Graphviz's dot failed on the graph: {done.stderr.decode(errors='replace').strip()}")
    return path
