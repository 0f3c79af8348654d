"""The ``s2sad`` command.

``s2sad show FILE.py:FUNC [--wrt x,y] [--kinds x=array,y=scalar] [--mode
forward] [--order 2]`` prints the generated gradient of a function (or its
forward-mode Jacobian-vector product, or the second-order code), ``s2sad show package.module:FUNC`` likewise
for an importable module. Piped output is plain Python; on a terminal it is
syntax-highlighted when Pygments is installed. ``s2sad show --graph [--adjoint]
FILE.py:FUNC [-o graph.svg]`` draws the computational graph instead
(:mod:`s2sad.compgraph`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .api import source
from .arguments import check_kinds
from .check import check_grad
from .compgraph import graph, render
from .errors import ArgumentError, S2SADError
from .export import export


def load_function(spec: str) -> Any:
    """Find ``FUNC`` in ``FILE.py:FUNC`` or ``package.module:FUNC``."""
    if ":" not in spec:
        raise S2SADError(f"cannot read {spec!r}: write FILE.py:FUNC or package.module:FUNC")
    where, _, func = spec.rpartition(":")
    if where.endswith(".py") or os.sep in where:
        if not os.path.isfile(where):
            raise S2SADError(f"no such file: {where}")
        mod_name = "_s2sad_show_" + os.path.splitext(os.path.basename(where))[0]
        module_spec = importlib.util.spec_from_file_location(mod_name, where)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        module_spec.loader.exec_module(module)
    else:
        # `python -m s2sad` finds modules of the current directory; the `s2sad`
        # command, whose sys.path starts at its own script, should too
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise S2SADError(f"cannot import module {where!r}: {exc}") from None
    obj: Any = module
    for part in func.split("."):
        if not hasattr(obj, part):
            raise S2SADError(f"{where} has no function {func!r}")
        obj = getattr(obj, part)
    return getattr(obj, "fn", obj)  # a function decorated with @s2sad.grad


def _parse_wrt(text: str | None) -> Any:
    if not text:
        return 0
    items: list[int | str] = [int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in text.split(",")]
    return items[0] if len(items) == 1 else tuple(items)


class _UsageError(ArgumentError):
    """A command-line option that does not fit the function (exit code 2, as argparse's)."""


def _parse_kinds(text: str | None, fn: Any) -> dict[str, str | None]:
    kinds: dict[str, str | None] = {}
    for part in (text or "").split(","):
        if part.strip():
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise _UsageError(f"--kinds {part.strip()!r}: write NAME=KIND, e.g. --kinds W=array,x=scalar")
            kinds[key.strip()] = None if value.strip() in ("", "any", "unknown") else value.strip()
    try:
        check_kinds(fn, kinds)
    except ArgumentError as exc:
        raise _UsageError(f"--{exc.message}") from None
    return kinds


def _highlight(text: str) -> str:
    try:  # pygments is optional: plain text without it
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return text
    return highlight(text, PythonLexer(), TerminalFormatter())


def _graph(args: argparse.Namespace) -> int:
    """``show --graph``: the computational graph as DOT on stdout, or drawn to ``-o`` (.dot, .svg, .png)."""
    def draw() -> str:
        fn = load_function(args.target)
        dot = graph(fn, wrt=_parse_wrt(args.wrt), adjoint=args.adjoint, kinds=_parse_kinds(args.kinds, fn))
        if args.output:
            render(dot, args.output)
        return dot

    dot = _reported("show", draw)
    if isinstance(dot, int):
        return dot
    if args.output:
        print(f"s2sad: wrote the computational graph of {args.target} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(dot)
    return 0


def _reported(command: str, work: Callable[[], str]) -> str | int:
    """``work()``'s text, or the exit code after printing why it failed: 2
    for a bad command line, 1 for what s2sad refuses (message, line, caret)."""
    try:
        return work()
    except _UsageError as exc:
        print(f"s2sad {command}: error: {exc}", file=sys.stderr)
        return 2
    except S2SADError as exc:
        print(f"s2sad: {exc}", file=sys.stderr)
        return 1


def _check(args: argparse.Namespace) -> int:
    try:
        fn = load_function(args.target)
        namespace = {"np": np, "numpy": np, **getattr(fn, "__globals__", {})}
        values = eval(f"({args.at},)", namespace)  # noqa: S307 - the user's own command line
        check_grad(fn, *values, wrt=_parse_wrt(args.wrt))
    except S2SADError as exc:
        print(f"s2sad: {exc}", file=sys.stderr)
        return 1
    except AssertionError as exc:
        print(f"s2sad check: MISMATCH: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the arguments or the function itself failed
        print(f"s2sad check: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"s2sad check: the gradient of {args.target} agrees with central differences at ({args.at})")
    return 0


def _export(args: argparse.Namespace) -> int:
    where = args.target.rpartition(":")[0]

    def build() -> str:
        fn = load_function(args.target)
        return export(
            fn, wrt=_parse_wrt(args.wrt), kinds=_parse_kinds(args.kinds, fn), target=args.target, output=args.output,
            module_file=where if os.path.isfile(where) else None,
        )  # fmt: skip

    text = _reported("export", build)
    if isinstance(text, int):
        return text
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        print(f"s2sad export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"s2sad export: wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="s2sad", description="Source-to-source automatic differentiation.")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the generated gradient of FILE.py:FUNC or module:FUNC")
    show.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    show.add_argument("--wrt", help="arguments to differentiate, by name or position (default: the first)")
    show.add_argument(
        "--kinds",
        help="argument kinds to specialise for, e.g. W=array,x=scalar (default: annotations, else floats)",
    )
    show.add_argument(
        "--mode", choices=("reverse", "forward"), default="reverse",
        help="reverse: the gradient (default); forward: the Jacobian-vector product",
    )  # fmt: skip
    show.add_argument(
        "--order", type=int, choices=(1, 2), default=1,
        help="2: forward mode over the gradient (Hessian-vector product), printed after the gradient",
    )  # fmt: skip
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    show.add_argument(
        "--graph", action="store_true",
        help="the computational graph (one node per SSA statement) as Graphviz DOT, instead of the code",
    )  # fmt: skip
    show.add_argument("--adjoint", action="store_true", help="with --graph: extend it by reverse mode (v_bar nodes)")
    show.add_argument("-o", "--output", help="with --graph: write it to this .dot, .svg or .png file")
    check = sub.add_parser("check", help="compare s2sad's gradient with numerical differences at a point")
    check.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    check.add_argument("--at", required=True, help="the arguments, as Python, e.g. 'np.ones(3), 2.0'")
    check.add_argument("--wrt", help="arguments to differentiate, by name or position (default: the first)")
    export = sub.add_parser("export", help="write the gradient of FILE.py:FUNC as a module that runs without s2sad")
    export.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    export.add_argument("--wrt", help="arguments to differentiate, by name or position (default: the first)")
    export.add_argument("--kinds", help="argument kinds to specialise for, e.g. W=array,x=scalar (as for show)")
    export.add_argument("-o", "--output", required=True, help="the module to write, e.g. grad_f.py")
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "export":
        return _export(args)
    if args.command == "show" and (args.adjoint or args.output) and not args.graph:
        parser.error("--adjoint and -o go with --graph")
    if args.command == "show" and args.graph:
        if args.mode != "reverse" or args.order != 1:
            parser.error("--graph draws the function and its reverse mode: drop --mode and --order")
        return _graph(args)
    def generate() -> str:
        fn = load_function(args.target)
        return source(fn, wrt=_parse_wrt(args.wrt), kinds=_parse_kinds(args.kinds, fn), mode=args.mode, order=args.order)

    text = _reported("show", generate)
    if isinstance(text, int):
        return text
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    sys.stdout.write(_highlight(text) if color else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
