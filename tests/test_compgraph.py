"""`s2sad.graph` and `s2sad show --graph`: the lecture's computational graph.

The DOT text is read back by a small parser written here (so every test
asserts without Graphviz), checked with Graphviz's own parser (`dot -Tcanon`)
where `dot` is installed, and compared with the pipeline's SSA core: one node
per statement, one edge per value read. The adjoint graph is *run*: its edge
labels are evaluated as Python, summed at each node, and must give s2sad's
gradient.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field

import gast
import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.analysis.activity import statements
from s2sad.codegen.emit import to_source
from s2sad.compgraph import GraphvizError, render
from s2sad.frontend.parse import parse_function
from s2sad.pipeline import front

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
from lecture import f as lecture  # noqa: E402

sys.path.pop(0)


def mlp_loss(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h * h) + np.mean(h)


def helper(a, b):
    return a * np.tanh(b)


def calls_helper(x, y):
    z = helper(x, y) + x
    return z * z


def squares(x):
    return x * x + np.exp(x)


def looped(x, n: int):
    s = 0.0
    for i in range(n):
        if s > 1.0:
            s = s + x * x
        else:
            s = s * x + i
    return s


def uses_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


# ------------------------------------------------------------------ a DOT reader
@dataclass
class Dot:
    name: str
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (label, node ids inside)

    def of_class(self, cls: str) -> dict[str, dict[str, str]]:
        return {n: a for n, a in self.nodes.items() if a.get("class") == cls}

    def edges_of(self, cls: str) -> list[tuple[str, str, dict[str, str]]]:
        return [e for e in self.edges if e[2].get("class") == cls]


_TOKEN = re.compile(r'\s*(?:(->)|("(?:[^"\\]|\\.)*")|([A-Za-z_][\w.]*|-?[\d.]+)|([\[\]{};,=]))')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None, f"DOT syntax error at {text[pos : pos + 40]!r}"
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


def _unquote(tok: str) -> str:
    if tok.startswith('"'):
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), tok[1:-1])
    return tok


def parse_dot(text: str) -> Dot:
    """Read the subset of DOT that s2sad writes; fail on anything else."""
    toks = _tokens(text)
    assert toks[0] == "digraph" and toks[2] == "{" and toks[-1] == "}", "not a digraph { ... }"
    dot = Dot(_unquote(toks[1]))
    pos = _statements(toks, 3, dot, [])
    assert pos == len(toks) - 1, "text after the graph's closing brace"
    return dot


def _attrs(toks: list[str], pos: int) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    assert toks[pos] == "["
    pos += 1
    while toks[pos] != "]":
        key, eq, value = toks[pos : pos + 3]
        assert eq == "=", f"attribute without a value near {key!r}"
        attrs[_unquote(key)] = _unquote(value)
        pos += 3
        if toks[pos] == ",":
            pos += 1
    return attrs, pos + 1


def _statements(toks: list[str], pos: int, dot: Dot, open_clusters: list[str]) -> int:
    while toks[pos] != "}":
        tok = toks[pos]
        if tok == "subgraph":
            cid = _unquote(toks[pos + 1])
            assert toks[pos + 2] == "{"
            dot.clusters[cid] = ("", [])
            pos = _statements(toks, pos + 3, dot, [*open_clusters, cid]) + 1
            continue  # a subgraph's closing brace ends its statement
        elif toks[pos + 1] == "=":  # a graph attribute
            if tok == "label" and open_clusters:
                dot.clusters[open_clusters[-1]] = (_unquote(toks[pos + 2]), dot.clusters[open_clusters[-1]][1])
            pos += 3
        elif tok in ("node", "edge", "graph"):
            _, pos = _attrs(toks, pos + 1)
        elif toks[pos + 1] == "->":
            dst = _unquote(toks[pos + 2])
            attrs, pos = _attrs(toks, pos + 3) if toks[pos + 3] == "[" else ({}, pos + 3)
            dot.edges.append((_unquote(tok), dst, attrs))
        else:
            attrs, pos = _attrs(toks, pos + 1) if toks[pos + 1] == "[" else ({}, pos + 1)
            assert tok not in dot.nodes, f"node {tok} declared twice"
            dot.nodes[_unquote(tok)] = attrs
            for c in open_clusters:
                dot.clusters[c][1].append(tok)
        assert toks[pos] == ";", f"missing ';' near {toks[pos - 2 : pos + 1]}"
        pos += 1
    return pos


def read(text: str) -> Dot:
    """Parse, check every edge joins declared nodes, and (with Graphviz) let dot parse it too."""
    dot = parse_dot(text)
    assert [(a, b) for a, b, _ in dot.edges] == re.findall(r"^\s*(\w+) -> (\w+)", text, re.M)
    for a, b, _ in dot.edges:
        assert a in dot.nodes and b in dot.nodes, f"edge {a} -> {b} to an undeclared node"
    if shutil.which("dot"):
        canon = subprocess.run(["dot", "-Tcanon"], input=text, capture_output=True, text=True)
        assert canon.returncode == 0 and not canon.stderr, canon.stderr
        drawn = Counter(re.findall(r"^\s*(\w+) -> (\w+)", canon.stdout, re.M))
        assert drawn == Counter((a, b) for a, b, _ in dot.edges)
    return dot


# ------------------------------------------------------------------ the SSA core, independently
def ssa_core(fn, kinds):
    """The statements of the pipeline's SSA core, temporaries numbered as `show` numbers them."""
    core = front(parse_function(fn), kinds)
    ssa = copy.deepcopy(core.ssa)
    core.namer.renumber(ssa)
    return ssa


def label_text(attrs: dict[str, str]) -> str:
    return attrs["label"].split("  (")[0]  # an SSA version is followed by the user's name


def expected_uses(ssa) -> Counter:
    """(definition, reader) pairs of straight-line code: one per name read."""
    params = [a.id for a in ssa.args.args]
    defined = {p: p for p in params}
    uses: Counter = Counter()
    for s in ssa.body[:-1]:
        assert isinstance(s, gast.Assign), "straight-line code only"
        text = to_source(s).strip()
        for n in gast.walk(s.value):
            if isinstance(n, gast.Name) and n.id in defined:
                uses[(defined[n.id], text)] += 1
        defined[s.targets[0].id] = text
    return uses


CASES = [
    (lecture, ("x1", "x2"), {"x1": "scalar", "x2": "scalar"}),
    (squares, "x", {"x": "scalar"}),
    (calls_helper, ("x", "y"), {"x": "scalar", "y": "scalar"}),
    (mlp_loss, ("W", "b"), {"W": "array2", "b": "array1", "x": "array1"}),
]


@pytest.mark.parametrize("fn, wrt, kinds", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_nodes_are_the_ssa_statements_and_edges_the_def_use(fn, wrt, kinds):
    dot = read(s2sad.graph(fn, wrt=wrt, kinds=kinds))
    ssa = ssa_core(fn, kinds)
    stmts = [to_source(s).strip() for s in ssa.body[:-1]]
    values = dot.of_class("value")
    assert sorted(label_text(a) for a in values.values()) == sorted(stmts)
    params = [a.id for a in ssa.args.args]
    assert sorted(a["label"] for a in dot.of_class("input").values()) == sorted(params)
    names = {n: label_text(a) for n, a in dot.nodes.items()}
    got = Counter((names[a], names[b]) for a, b, _ in dot.edges_of("use"))
    assert got == expected_uses(ssa)
    assert len(dot.edges) == len(dot.edges_of("use"))  # no adjoint without adjoint=True
    # the returned value is marked
    ret = ssa.body[-1].value.id
    assert [names[n] for n, a in dot.nodes.items() if a.get("peripheries") == "2"][0].startswith(ret + " =")


def _pathways(dot: Dot, node: str) -> list[tuple[str, str, dict[str, str]]]:
    """The partial-adjoint edges that make up ``node``'s adjoint (through its + node if any)."""
    into = [e for e in dot.edges if e[1] in (f"{node}_bar", f"{node}_sum") and e[2].get("class") == "partial"]
    return into


def test_lecture_adjoint_graph_has_one_partial_adjoint_per_pathway():
    dot = read(s2sad.graph(lecture, wrt=("x1", "x2"), adjoint=True))
    for x in ("x1", "x2"):
        uses = [e for e in dot.edges_of("use") if e[0] == f"in_{x}"]
        partial = _pathways(dot, f"in_{x}")
        assert len(uses) == 2 and len(partial) == 2  # the lecture: each input reaches y along two pathways
        assert sorted(e[0] for e in partial) == sorted(f"{e[1]}_bar" for e in uses)
        # several pathways: a visible + node sums them into x_bar
        assert dot.nodes[f"in_{x}_sum"]["label"] == "+"
        assert (f"in_{x}_sum", f"in_{x}_bar") in [(a, b) for a, b, _ in dot.edges_of("sum")]
    # every adjoint node is that of a value, in a second colour
    for n in dot.of_class("adjoint"):
        assert n.removesuffix("_bar") in dot.nodes
    assert "#c0392b" in s2sad.graph(lecture, wrt=("x1", "x2"), adjoint=True)


@pytest.mark.parametrize("fn, wrt, kinds", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_every_def_use_edge_between_active_values_has_a_partial_adjoint(fn, wrt, kinds):
    dot = read(s2sad.graph(fn, wrt=wrt, kinds=kinds, adjoint=True))
    adjoint = dot.of_class("adjoint")
    active = {n.removesuffix("_bar") for n in adjoint}
    expected = Counter((f"{b}_bar", a) for a, b, _ in dot.edges_of("use") if a in active and b in active)
    got = Counter((src, dst.removesuffix("_sum").removesuffix("_bar")) for src, dst, _ in dot.edges_of("partial"))
    assert got == expected
    for node in active:  # summed where, and only where, a value has several pathways
        n = len(_pathways(dot, node)) + len([e for e in dot.edges_of("seed") if e[0] == node])
        assert (f"{node}_sum" in dot.nodes) == (n > 1), node


def _run_adjoint_graph(dot: Dot, args: dict[str, object]) -> dict[str, object]:
    """Evaluate the drawn graph: primal labels in order, then each adjoint as
    the sum of the partial-adjoint terms on its incoming edges."""
    env: dict[str, object] = {"np": np, **{k: getattr(runtime, k) for k in dir(runtime) if not k.startswith("_")}}
    env.update(args)
    order = sorted(dot.of_class("value"), key=lambda n: int(n[1:]))
    for n in order:
        exec(label_text(dot.nodes[n]), env)  # noqa: S102 - the graph's own labels
    adjoints: dict[str, object] = {}
    seeded = {e[0] for e in dot.edges_of("seed")}
    inputs = [n for n in dot.of_class("input")]
    for n in [*reversed(order), *inputs]:
        if f"{n}_bar" not in dot.nodes:
            continue
        total = 1.0 if n in seeded else 0.0
        for src, _dst, attrs in _pathways(dot, n):
            scope = dict(env)
            scope[dot.nodes[src]["label"].split(" = ")[0]] = adjoints[src]
            total = total + eval(attrs["label"], scope)  # noqa: S307
        adjoints[f"{n}_bar"] = total
        env[dot.nodes[f"{n}_bar"]["label"].split(" = ")[0]] = total
    return adjoints


def test_the_adjoint_graph_computes_the_gradient_of_the_lecture_example():
    dot = read(s2sad.graph(lecture, wrt=("x1", "x2"), adjoint=True))
    adj = _run_adjoint_graph(dot, {"x1": 2.0, "x2": 5.0})
    g1, g2 = s2sad.grad(lecture, wrt=(0, 1))(2.0, 5.0)
    assert np.isclose(adj["in_x1_bar"], g1) and np.isclose(adj["in_x2_bar"], g2)


def test_the_adjoint_graph_computes_the_gradient_of_array_code(rng):
    W, b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4)
    kinds = {"W": "array2", "b": "array1", "x": "array1"}
    dot = read(s2sad.graph(mlp_loss, wrt=("W", "b"), adjoint=True, kinds=kinds))
    adj = _run_adjoint_graph(dot, {"W": W, "b": b, "x": x})
    gW, gb = s2sad.grad(mlp_loss, wrt=("W", "b"))(W, b, x)
    np.testing.assert_allclose(adj["in_W_bar"], gW)
    np.testing.assert_allclose(adj["in_b_bar"], gb)


def test_a_value_used_twice_in_one_operation_has_two_pathways():
    dot = read(s2sad.graph(squares, adjoint=True))
    partial = _pathways(dot, "in_x")
    assert len(partial) == 3  # x * x (twice) and np.exp(x)
    adj = _run_adjoint_graph(dot, {"x": 0.7})
    assert np.isclose(adj["in_x_bar"], s2sad.grad(squares)(0.7))


def test_helpers_are_one_node_per_call_with_their_partial_adjoints():
    dot = read(s2sad.graph(calls_helper, wrt=("x", "y"), adjoint=True))
    call = [n for n, a in dot.of_class("value").items() if "helper(x, y)" in a["label"]]
    assert len(call) == 1
    labels = [a["label"] for s, _d, a in dot.edges_of("partial") if s == f"{call[0]}_bar"]
    assert sorted(labels) == sorted(f"{dot.nodes[call[0] + '_bar']['label']} * dhelper/d{p}" for p in ("a", "b"))


def test_loops_and_branches_are_clusters():
    kinds = {"x": "scalar", "n": "int"}
    dot = read(s2sad.graph(looped, wrt="x", kinds=kinds, adjoint=True))
    labels = {label for label, _ in dot.clusters.values()}
    assert {"for i in r1:", "if t2:", "else (not t2):"} <= labels, labels
    ssa = ssa_core(looped, kinds)
    every = [to_source(s).strip() for s in statements(ssa.body) if isinstance(s, gast.Assign)]
    values = [label_text(a) for a in dot.of_class("value").values()]
    assert sorted(every) == sorted(v for v in values if not v.startswith("i = next("))
    # the statements of the loop body are inside the loop's cluster, the others are not
    loop = next(s for s in ssa.body if isinstance(s, gast.For))
    inside = Counter(to_source(s).strip() for s in statements(loop.body) if isinstance(s, gast.Assign))
    members = next(m for label, m in dot.clusters.values() if label == "for i in r1:")
    drawn = Counter(label_text(dot.nodes[n]) for n in members if dot.nodes[n]["class"] == "value")
    assert drawn == inside + Counter(["i = next(r1)"])
    # a value read in the body comes from before the loop or from the previous iteration
    s_reads = {dot.nodes[a]["label"] for a, b, _ in dot.edges_of("use") if dot.nodes[b]["label"] == "t2 = s > 1.0"}
    assert {"s = 0.0"} < s_reads


def test_what_s2sad_refuses_to_differentiate_it_refuses_to_draw():
    with pytest.raises(s2sad.UnsupportedSyntaxError):
        s2sad.graph(uses_try, adjoint=True)


def _must_have_dot() -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is not installed, and CI installs it (.ci/run)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.mark.parametrize("ext", ["svg", "png", "dot"])
def test_show_graph_writes_the_file(tmp_path, ext):
    if ext != "dot":
        _must_have_dot()
    out = tmp_path / f"graph.{ext}"
    env = dict(os.environ, PYTHONPATH=ROOT)
    cmd = [sys.executable, "-m", "s2sad", "show", "examples/lecture.py:f", "--wrt", "x1,x2", "--graph", "--adjoint"]
    done = subprocess.run([*cmd, "-o", str(out)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    if ext == "svg":
        root = ET.fromstring(data)
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert {"t2 = x1 * x2", "x1_bar", "t2_bar * x2", "+"} <= texts
    elif ext == "png":
        assert data.startswith(b"\x89PNG")
    else:
        assert read(data.decode()).of_class("adjoint")


def test_show_graph_prints_dot_and_refuses_adjoint_alone():
    env = dict(os.environ, PYTHONPATH=ROOT)
    base = [sys.executable, "-m", "s2sad", "show", "examples/lecture.py:f"]
    done = subprocess.run([*base, "--graph"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0 and read(done.stdout).of_class("value")
    done = subprocess.run([*base, "--adjoint"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 2 and "--graph" in done.stderr


def test_without_graphviz_svg_is_refused_with_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(GraphvizError, match="install Graphviz"):
        render("digraph g { a -> b; }", str(tmp_path / "g.svg"))
    assert not (tmp_path / "g.svg").exists()
    render("digraph g { a -> b; }", str(tmp_path / "g.dot"))  # DOT needs no Graphviz
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_the_readme_picture_is_what_show_graph_draws():
    path = os.path.join(ROOT, "docs", "lecture_graph.svg")
    root = ET.parse(path).getroot()
    drawn = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    dot = parse_dot(s2sad.graph(lecture, wrt=("x1", "x2"), adjoint=True))
    labels = {a["label"] for a in dot.nodes.values()} | {a["label"] for *_, a in dot.edges if "label" in a}
    assert labels <= drawn
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "docs/lecture_graph.svg" in readme
