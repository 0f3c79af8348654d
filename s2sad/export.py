"""``s2sad export``: a generated gradient as a standalone Python module.

:func:`export` writes the module's text: the generated derivatives that
``s2sad show`` prints (the function's and its callees'), the source of the
runtime helpers they call (copied from ``s2sad/runtime.py``, with what those
call in turn), and a wrapper ``grad_FUNC`` with FUNC's signature that returns
what ``s2sad.grad(FUNC, wrt=...)`` returns. The module imports NumPy, the
standard library and, for the globals the generated code reads (constants,
arrays, the user's own functions), the user's module by name; never s2sad.

Every name the generated code reads is resolved as the compiled derivative
resolves it (its closure, then its module's globals, then builtins), and is
given to the exported module in one of these ways, or the export is refused
with :class:`ExportError`:

- code s2sad generated (a callee's derivative, a lifted nested ``def``): its
  text is copied in, after checking that it compiles to the code s2sad runs;
- a helper of ``s2sad.runtime``: its source is copied in;
- a plain module-level function of the user's (its derivative's forward
  sweep calls it): its source is copied in, after checking that the file
  still compiles to the running code, so that the copy is the function the
  derivative was made from (else it is imported as a global);
- a module (``np``, ``math``): imported under the name the code reads;
- a global of the user's module: ``from MODULE import NAME``. A module loaded
  from a file path (``s2sad export FILE.py:FUNC``, a script) is imported by
  its file name, after the exported module puts the file's directory (an
  absolute path) first on ``sys.path``; a module imported by its dotted name
  is imported by that name. A user module that imports s2sad (itself, or
  through a module of the user's that it imports) is refused: the export
  would import s2sad through it. So is anything read from an enclosing
  function (a closure: it has no name to import it by), a bound method,
  a function returning several values, and an argument of a container kind
  whose items are unknown (``tuple``).

Module-level names that collide (two callees both called ``dg`` by their
callers, a user global named like a builtin) are renamed in the copied text.

The exported code is specialised to the argument kinds (float, array, int,
lists and tuples of them) it was generated for: ``grad_FUNC`` raises
``TypeError`` for other kinds rather than running code made for other ones. It is a snapshot: s2sad's own
guards (a helper redefined, a global rebound) do not follow it.

>>> import numpy as np, s2sad
>>> def f(x1, x2):
...     return np.log(x1) + x1 * x2 - np.sin(x2)
>>> text = s2sad.export(f, wrt=("x1", "x2"), target="lecture.py:f", output="grad_f.py")
>>> namespace = {}
>>> exec(compile(text, "grad_f.py", "exec"), namespace)
>>> namespace["grad_f"](2.0, 5.0) == s2sad.grad(f, wrt=("x1", "x2"))(2.0, 5.0)
True
"""

from __future__ import annotations

import ast
import builtins
import datetime
import importlib
import importlib.machinery
import inspect
import io
import keyword
import linecache
import os
import shlex
import symtable
import sys
import sysconfig
import textwrap
import tokenize
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import errors as s2sad_errors
from . import runtime
from .arguments import Wrt, assumed_kinds, resolve_wrt
from .codegen.derivative import Derivative
from .codegen.emit import render_function
from .errors import ArgumentError, OutputError, S2SADError
from .frontend.parse import lifted
from .ir.kinds import (
    EMPTY_LIST,
    INT,
    NUMERIC,
    SCALAR,
    Kind,
    is_array,
    is_container,
    is_function_kind,
    list_item,
    parse_kind,
    tuple_items,
)
from .pipeline import build_reverse
from .version import __version__

__all__ = ["ExportError", "export"]


class ExportError(S2SADError):
    """The generated gradient cannot be written as a module that runs without s2sad."""


_KINDS = "scalar, int, numeric, array, array0, array1, ..., tuple(k1,k2,...), list[k] or any"


def export(
    fn: Callable[..., Any],
    wrt: Wrt = 0,
    kinds: dict[str, str | None] | None = None,
    *,
    target: str | None = None,
    output: str | None = None,
    module_file: str | None = None,
) -> str:
    """The text of a Python module defining ``grad_<fn>``: ``fn``'s gradient
    as ``s2sad.grad(fn, wrt=wrt)`` computes it, without s2sad.

    ``kinds`` maps an argument name to ``"scalar"``, ``"int"``, ``"array"``,
    ``"array<ndim>"``, ``"list[<kind>]"``, ``"tuple(<kind>,...)"`` or ``None``
    (any), as for :func:`s2sad.source`; by default the kinds come from
    annotations and defaults, else floats. ``grad_<fn>`` checks its arguments
    are of these kinds.
    ``target`` and ``output`` only fill in the header's regenerate command
    (``FILE.py:FUNC`` and the file written; by default ``fn``'s file and
    ``grad_<fn>.py``); ``module_file`` says that ``fn``'s module was loaded
    from that file by path (as the command line does), so the exported module
    imports it by its file name. Raises :class:`ExportError` for what cannot
    run without s2sad (see the module's docstring).

    >>> def f(x):
    ...     return x * x
    >>> "def grad_f(x):" in export(f)
    True
    """
    fn = getattr(fn, "fn", fn)  # a function decorated with @s2sad.grad
    if not isinstance(fn, types.FunctionType):
        raise ExportError(
            f"s2sad export needs a plain function, not {type(fn).__name__} {getattr(fn, '__name__', fn)!r}",
            hint="export a module-level function (a bound method reads `self`, which a module cannot import)",
        )
    names, single = resolve_wrt(fn, wrt)
    specialised = assumed_kinds(fn)
    specialised.update(kinds or {})
    specialised = _check_kinds(fn, specialised, names)
    d = build_reverse(fn, names, specialised)
    if is_container(d.output_kind):
        raise OutputError(
            f"{fn.__name__} returns several values; grad (and so export) needs one scalar output",
            hint="export a function that returns one of them",
        )
    module = _Module(module_file, sources=_sources(d))
    module.claim("np", np)  # the wrapper's own names: NumPy, and Any for its annotations
    module.done[id(typing.Any)] = module.claim("Any", typing.Any)
    module.imports.append("from typing import Any")
    label = _label(fn, target)
    wrapper_name = module.claim(f"grad_{label}", object())
    for helper in _WRAPPER_HELPERS:
        module.claim(helper, object())
    entry = module.add_generated(d.fn, d.source, d.name)
    clash = set(inspect.signature(fn).parameters) & {entry, "np", *_WRAPPER_HELPERS}
    if clash:
        raise ExportError(
            f"{fn.__name__} has an argument named {sorted(clash)[0]!r}, a name the exported wrapper needs",
            hint="rename the argument",
        )
    checks = {p: "any" if k is None else str(k) for p, k in specialised.items() if k is not None or p in names}
    # the entry's text as copied (a default value's global may have been renamed), the last one added
    wrapper = _wrapper(fn, label, wrapper_name, entry, names, single, checks, module.generated[-1], entry)
    if output is not None:
        _refuse_overwriting(output, fn, module)
    header = _header(fn, label, names, single, specialised, target, output, module, wrapper_name, entry)
    docstring = f"{wrapper_name}: the gradient of {label}, generated by s2sad; runs without s2sad."
    return module.render(header, docstring, _wrapper_helpers(bool(checks)), wrapper)


# ---------------------------------------------------------------- arguments


def _label(fn: Callable[..., Any], target: str | None) -> str:
    """The function's name for the wrapper (``grad_<name>``): a lambda
    bound to a global is called by that name."""
    if fn.__name__.isidentifier():
        return fn.__name__
    if target:
        last = target.rpartition(":")[2].rpartition(".")[2]
        if last.isidentifier():
            return last
    bound = [k for k, v in fn.__globals__.items() if v is fn and k.isidentifier()]
    return bound[0] if bound else "f"


def _qualname(fn: Callable[..., Any], label: str) -> str:
    return fn.__qualname__ if fn.__name__.isidentifier() else label


def _check_kinds(
    fn: Callable[..., Any], kinds: dict[str, Kind | str | None], wrt: tuple[str, ...]
) -> dict[str, Kind | None]:
    """Refuse kinds the exported wrapper cannot check; the kinds, parsed."""
    params = inspect.signature(fn).parameters
    parsed: dict[str, Kind | None] = {}
    for name, given in kinds.items():
        if name not in params:
            raise ArgumentError(f"kinds names {name!r}, but {fn.__name__} has no such argument")
        text = given if isinstance(given, str) else str(given)
        bare_unknown = isinstance(given, str) and given == "?"  # "?" alone is no kind the wrapper checks
        shown = repr(given) if is_function_kind(given) else repr(text)
        try:
            kind = parse_kind(given) if isinstance(given, str) and not bare_unknown else given
        except ValueError:
            raise ArgumentError(f"kind {shown} of {name!r}: use {_KINDS}") from None
        if name in wrt and kind == INT:
            raise ArgumentError(
                f"cannot differentiate {fn.__name__} with respect to {name!r} of kind int",
                hint=f"differentiate with respect to a float: --kinds {name}=scalar",
            )
        checkable = False if bare_unknown else _checkable(kind)
        if checkable is True:
            parsed[name] = kind
            continue
        if checkable == "container":
            raise ExportError(
                f"s2sad export cannot check an argument of unknown structure ({name}: {text}) when the exported "
                "gradient is called, so it does not export one",
                hint=f"give its kind, e.g. --kinds {name}=list[array2] or {name}=tuple(scalar,array1)",
            )
        raise ArgumentError(f"kind {shown} of {name!r}: use {_KINDS}")
    return parsed


def _checkable(kind: Kind | None) -> bool | str:
    """Can the exported wrapper check that a value has this kind (True), is it
    a container of unknown items ("container"), or no kind at all (False)?"""
    if kind is None or kind in (SCALAR, INT, NUMERIC) or is_array(kind):
        return True
    items = tuple_items(kind)
    is_list, item = list_item(kind)
    if items is None and is_list:
        items = [] if kind == EMPTY_LIST else [item]
    if items is None:
        return "container" if is_container(kind) else False
    for item in items:
        inner = _checkable(item)
        if inner is not True:
            return inner
    return True


def _refuse_overwriting(output: str, fn: Callable[..., Any], module: _Module) -> None:
    """The exported module must neither replace the user's file nor take
    the name of a module it imports."""
    source = inspect.getsourcefile(fn)
    if source and os.path.exists(output) and _same_file(output, source):
        raise ExportError(f"{output} is the file {fn.__name__} comes from", hint="write the export to another file")
    stem = os.path.splitext(os.path.basename(output))[0]
    for um in module.user.values():
        if um.names and um.name.split(".")[0] == stem:
            raise ExportError(
                f"the exported module imports {um.name}, so it cannot be called {os.path.basename(output)}",
                hint="write it to a file of another name, e.g. grad_" + os.path.basename(output),
            )


# ---------------------------------------------------------------- the module being written


@dataclass
class _UserModule:
    """A user module the exported code imports names from."""

    name: str  # what the exported module imports
    directory: str | None  # put first on sys.path before the import (a module loaded from a file)
    names: list[tuple[str, str]] = field(default_factory=list)  # (name in the user module, name here)


@dataclass
class _Module:
    """The exported module's names and definitions, built from the generated
    code outwards: each name the code reads becomes an import or a copied
    definition, claimed once (by identity of what it stands for)."""

    module_file: str | None
    sources: dict[int, str]  # id(compiled function) -> its generated source
    taken: dict[str, Any] = field(default_factory=dict)  # module-level name -> the object it stands for
    imports: list[str] = field(default_factory=list)  # `import numpy as np`, `from typing import Any`
    user: dict[int, _UserModule] = field(default_factory=dict)  # id(globals dict) -> module
    helpers: list[str] = field(default_factory=list)  # copied runtime helper sources
    generated: list[str] = field(default_factory=list)  # generated code, callees first
    done: dict[int, str] = field(default_factory=dict)  # id(copied function) -> name here
    aliases: list[str] = field(default_factory=list)  # `dg_2 = dg`: one object under a second name
    stand_ins: list[str] = field(default_factory=list)  # classes standing in for s2sad's errors
    copied: list[str] = field(default_factory=list)  # the user's functions the generated code calls

    def claim(self, preferred: str, value: Any, avoid: frozenset[str] = frozenset()) -> str:
        """A module-level name for ``value``: ``preferred`` unless it stands
        for something else already (or is a builtin, or in ``avoid``)."""
        candidate, n = preferred, 1
        while True:
            held = self.taken.get(candidate, _FREE)
            if held is value and candidate not in avoid:
                return candidate
            clash = held is not _FREE or hasattr(builtins, candidate) or keyword.iskeyword(candidate)
            if not clash and candidate not in avoid:
                self.taken[candidate] = value
                return candidate
            n += 1
            candidate = f"{preferred}_{n}"

    # -- generated code

    def add_generated(self, fn: Any, text: str, preferred: str, avoid: frozenset[str] = frozenset()) -> str:
        """Copy generated ``text`` (one ``def``, compiled as ``fn``) under a
        module-level name (not one of ``avoid``: the caller's own names), with
        everything it reads; returns the name."""
        if id(fn) in self.done:
            return self._alias(self.done[id(fn)], fn, preferred, avoid)
        tokens = _identifiers(text)
        own = self.claim(preferred, fn, avoid=avoid | (tokens - {_def_name(text)}))
        self.done[id(fn)] = own
        closure = _closure_of(fn)
        renames = {}
        if own != _def_name(text):
            renames[_def_name(text)] = own
        for n in sorted(_free_names(text)):
            here = self._resolve(n, fn, closure, tokens)
            if here is not None and here != n:
                renames[n] = here
        self.generated.append(_rename(text, renames))
        return own

    def add_copied(self, fn: Any, text: str, preferred: str, avoid: frozenset[str]) -> str:
        """Copy a user function the generated code calls (its forward sweep
        runs it), so that it is the function the copied derivative was made
        from, whatever happens to the user's file later."""
        if id(fn) in self.done:
            return self._alias(self.done[id(fn)], fn, preferred, avoid)
        tokens = _identifiers(text)
        own = self.claim(preferred, fn, avoid=avoid | (tokens - {_def_name(text)}))
        self.done[id(fn)] = own
        renames = {_def_name(text): own} if own != _def_name(text) else {}
        for n in sorted(_free_names(text)):
            here = self._resolve(n, fn, {}, tokens)
            if here is not None and here != n:
                renames[n] = here
        self.copied.append(_rename(text, renames))
        return own

    def _resolve(self, n: str, fn: Any, closure: dict[str, Any], tokens: frozenset[str]) -> str | None:
        """The module-level name under which ``n``, as ``fn`` reads it, is
        available here (None for a builtin)."""
        if n in closure:
            value, where = closure[n], "closure"
        elif n in fn.__globals__:
            value, where = fn.__globals__[n], "global"
        elif hasattr(builtins, n):
            return None
        else:
            raise ExportError(
                f"the generated code of {fn.__name__} reads {n!r}, which is not defined (yet) in "
                f"{fn.__globals__.get('__name__')}",
                hint="define it before exporting",
            )
        avoid = tokens - {n}
        if isinstance(value, types.ModuleType):
            return self._import_module(n, value, avoid)
        generated = _generated_text(value, self.sources)
        if generated is not None:
            return self.add_generated(value, generated, n, avoid)
        if _is_runtime_helper(value):
            return self._alias(self._add_helper(value, avoid), value, n, avoid)
        if _belongs_to_s2sad(value):
            raise ExportError(
                f"the generated code of {fn.__name__} reads {n!r}, which is s2sad's "
                f"{getattr(value, '__qualname__', type(value).__name__)}: the exported module would import s2sad",
                hint="differentiate a function that does not call s2sad",
            )
        if where == "closure":
            raise ExportError(
                f"the generated code of {fn.__name__} reads {n!r} from an enclosing function; "
                "an exported module can only import names of a module",
                hint=f"export a module-level function, with {n!r} a global or an argument",
            )
        text = _user_function_text(value)
        if text is not None:
            return self.add_copied(value, text, n, avoid)
        return self._import_user(n, value, fn.__globals__, avoid)

    def _alias(self, name: str, value: Any, preferred: str, avoid: frozenset[str]) -> str:
        """``name``, already given to ``value``, unless the code that would
        read it uses that name for something else: then a new name bound to
        the same object."""
        if name not in avoid:
            return name
        alias = self.claim(preferred, value, avoid)
        if alias != name:
            self.aliases.append(f"{alias} = {name}")
        return alias

    # -- imports

    def _import_module(self, n: str, module: types.ModuleType, avoid: frozenset[str]) -> str:
        if module.__name__.split(".")[0] == "s2sad":
            raise ExportError(
                f"the generated code reads the module {module.__name__} (as {n!r}): "
                "the exported module would import s2sad",
                hint="differentiate a function that does not use s2sad",
            )
        here = self.claim(n, module, avoid)  # a module may be read under several names
        line = f"import {here}" if here == module.__name__ else f"import {module.__name__} as {here}"
        if line not in self.imports:
            self.imports.append(line)
        return here

    def _import_user(self, n: str, value: Any, globals_: dict[str, Any], avoid: frozenset[str]) -> str:
        um = self.user.get(id(globals_))
        if um is None:
            um = self.user[id(globals_)] = self._user_module(globals_)
        for theirs, here in um.names:
            if theirs == n:
                return self._alias(here, value, n, avoid)
        here = self.claim(n, value, avoid)
        um.names.append((n, here))
        return here

    def _user_module(self, globals_: dict[str, Any]) -> _UserModule:
        """How to import the module whose globals these are (refused when
        it cannot be imported, or imports s2sad)."""
        name, file = globals_.get("__name__", ""), globals_.get("__file__")
        _refuse_s2sad_importer(name, globals_)
        by_path = file is not None and self.module_file is not None and _same_file(file, self.module_file)
        if not by_path and name and name != "__main__" and _importable(name, file):
            return _UserModule(name, None)
        if file is None:
            raise ExportError(
                f"the generated code reads globals of {name or 'a module'}, which has no file to import them from "
                "(a REPL or notebook session)",
                hint="define the function and its globals in a .py file and export it from there",
            )
        stem = os.path.splitext(os.path.basename(file))[0]
        if not stem.isidentifier() or keyword.iskeyword(stem):
            raise ExportError(
                f"the generated code reads globals of {file}, whose name cannot be imported",
                hint="rename the file to a valid module name",
            )
        return _UserModule(stem, os.path.dirname(os.path.abspath(file)))

    # -- runtime helpers

    def _add_helper(self, helper: Callable[..., Any], avoid: frozenset[str]) -> str:
        if id(helper) in self.done:
            return self._alias(self.done[id(helper)], helper, helper.__name__, avoid)
        text, errors = _without_error_imports(inspect.getsource(helper), helper.__name__)
        here = self.claim(helper.__name__, helper, avoid)
        self.done[id(helper)] = here
        tokens = _identifiers(text)
        renames = {helper.__name__: here} if here != helper.__name__ else {}
        for n in sorted(_free_names(text)):
            got = (
                self._error_stand_in(n, errors[n], tokens - {n}) if n in errors else self._resolve_in_runtime(n, tokens)
            )
            if got is not None and got != n:
                renames[n] = got
        self.helpers.append(_rename(text, renames))
        return here

    def _error_stand_in(self, n: str, error: type, avoid: frozenset[str]) -> str:
        """A class standing in for s2sad's error ``error``, which a helper
        raises (as s2sad would, with the same message)."""
        if id(error) in self.done:
            return self._alias(self.done[id(error)], error, n, avoid)
        here = self.done[id(error)] = self.claim(error.__name__, error, avoid)
        self.stand_ins.append(_STAND_IN.format(name=here, what=error.__name__).strip("\n"))
        return here

    def _resolve_in_runtime(self, n: str, tokens: frozenset[str]) -> str | None:
        if n not in vars(runtime):
            if hasattr(builtins, n):
                return None
            raise ExportError(f"internal error: s2sad.runtime reads {n!r}, which it does not define")
        value = vars(runtime)[n]
        avoid = tokens - {n}
        if isinstance(value, types.ModuleType):
            return self._import_module(n, value, avoid)
        if _is_runtime_helper(value):
            return self._add_helper(value, avoid)
        source = getattr(value, "__module__", None)
        if source and source.split(".")[0] != "s2sad" and getattr(sys.modules.get(source), n, None) is value:
            if id(value) not in self.done:
                here = self.done[id(value)] = self.claim(n, value, avoid)
                self.imports.append(f"from {source} import {n}" + (f" as {here}" if here != n else ""))
            return self.done[id(value)]
        raise ExportError(
            f"s2sad.runtime's helpers read {n!r} ({type(value).__name__}), which export cannot copy",
            hint="use s2sad.grad instead of an exported module for this function",
        )

    # -- text

    def render(self, header: str, docstring: str, wrapper_helpers: list[str], wrapper: str) -> str:
        std = sorted((i for i in self.imports if not _third_party(i)), key=_import_order)
        third = sorted((i for i in self.imports if _third_party(i)), key=_import_order)
        if any(um.directory for um in self.user.values() if um.names) and "import sys" not in std:
            if self.taken.get("sys", sys) is not sys:
                raise ExportError("the generated code uses the name `sys` for something else than the module sys")
            self.taken["sys"] = sys
            std = sorted([*std, "import sys"], key=_import_order)
        if "import numpy as np" not in third:
            third = sorted([*third, "import numpy as np"], key=_import_order)  # the wrapper's
        top = [header.rstrip("\n"), f'"""{docstring}"""', "from __future__ import annotations"]
        top += ["\n".join(block) for block in (std, third) if block]
        top += self._user_imports()
        defs = _section(
            "s2sad's runtime helpers that the generated code calls (copied from s2sad/runtime.py)", self.helpers
        )
        defs += _section("the errors those helpers raise, standing in for s2sad's", self.stand_ins)
        defs += _section("the user's functions that the generated code calls, as they were", self.copied)
        defs += _section("the generated code (what `s2sad show` prints)", self.generated)
        if self.aliases:
            defs.append("\n".join(self.aliases))
        defs += _section("the wrapper: what s2sad.grad checks and returns around the generated code", wrapper_helpers)
        defs.append(wrapper)
        return "\n\n".join(top) + "\n\n\n" + "\n\n\n".join(d.strip("\n") for d in defs) + "\n"

    def _user_imports(self) -> list[str]:
        blocks = []
        for um in self.user.values():
            if not um.names:
                continue
            names = ", ".join(t if t == h else f"{t} as {h}" for t, h in sorted(um.names))
            if um.directory is None:
                blocks.append(f"from {um.name} import {names}")
                continue
            blocks.append(
                f"# the globals the generated code reads, from the file it was generated from\n"
                f"sys.path.insert(0, {_quoted(um.directory)})\n"
                f"from {um.name} import {names}"
            )
        return blocks


def _section(comment: str, defs: list[str]) -> list[str]:
    """The definitions, the first one under a comment line."""
    if not defs:
        return []
    return [f"# {comment}\n" + defs[0].strip("\n"), *defs[1:]]


def _quoted(text: str) -> str:
    return f'"{text}"' if '"' not in text and "\\" not in text else repr(text)


_FREE = object()


def _import_block(lines: list[str]) -> list[str]:
    return ["\n".join(lines) + "\n"] if lines else []


def _import_order(line: str) -> tuple[bool, str, str]:
    """isort's order: ``import x`` lines first, then ``from x import y``, by module."""
    return line.startswith("from "), line.split()[1], line


def _third_party(line: str) -> bool:
    top = line.split()[1].split(".")[0]
    return top not in sys.stdlib_module_names and top != "__future__"


def _refuse_s2sad_importer(name: str, globals_: dict[str, Any]) -> None:
    """Refuse a user module that imports s2sad, itself or through another
    user module it imports (the installed packages and the standard library
    are not searched: they do not import s2sad)."""
    if name.startswith("_s2sad") and globals_.get("__file__"):
        name = os.path.basename(globals_["__file__"])  # loaded by path, under a name of the command line's
    seen: set[int] = set()
    todo = [(name, globals_, name)]
    while todo:
        where, namespace, path = todo.pop()
        for key, value in list(namespace.items()):
            if key.startswith("__"):
                continue
            if (isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "s2sad") or (
                not isinstance(value, types.ModuleType) and _belongs_to_s2sad(value)
            ):
                through = f" (through {path})" if path != name else ""
                raise ExportError(
                    f"the generated code reads globals of {name}, and {where} imports s2sad (its global {key!r})"
                    f"{through}: importing {name}, the exported module would import s2sad",
                    hint=f"move what the function reads into a module that does not import s2sad, or import s2sad "
                    f"inside `if __name__ == '__main__':` in {where}",
                )
            module = value if isinstance(value, types.ModuleType) else sys.modules.get(_owner(value) or "")
            if module is not None and id(module) not in seen and _user_code(module):
                seen.add(id(module))
                todo.append((module.__name__, vars(module), f"{path} -> {module.__name__}"))


def _owner(value: Any) -> str | None:
    owner = getattr(value, "__module__", None)
    return owner if isinstance(owner, str) else None


def _user_code(module: types.ModuleType) -> bool:
    """Is this a module of the user's own (not the standard library, not an installed package)?"""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    file = os.path.abspath(file)
    installed = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return not any(file.startswith(os.path.abspath(p) + os.sep) for p in installed)


def _importable(name: str, file: str | None) -> bool:
    """Would ``import name`` find this module on ``sys.path`` (not only
    because it sits in ``sys.modules`` under a made-up name)?"""
    top = name.split(".")[0]
    try:
        spec = importlib.machinery.PathFinder.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return top in sys.builtin_module_names
    if "." not in name:
        return file is None or spec.origin is None or _same_file(spec.origin, file)
    roots = list(spec.submodule_search_locations or [])
    return file is None or any(os.path.abspath(file).startswith(os.path.abspath(r) + os.sep) for r in roots)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _belongs_to_s2sad(value: Any) -> bool:
    owner = getattr(value, "__module__", None)
    if not isinstance(owner, str):
        owner = type(value).__module__
    return owner.split(".")[0] == "s2sad" or type(value).__module__.split(".")[0] == "s2sad"


def _is_runtime_helper(value: Any) -> bool:
    return (
        isinstance(value, types.FunctionType)
        and value.__module__ == runtime.__name__
        and vars(runtime).get(value.__name__) is value
    )


_STAND_IN = '''
class {name}(Exception):
    """Stands in for s2sad.{what}: what the helpers above raise where s2sad would."""

    def __init__(self, message: str, location: Any = None, hint: str = "") -> None:
        super().__init__(f"{{message}}\\nhint: {{hint}}" if hint else message)
'''


def _without_error_imports(text: str, where: str) -> tuple[str, dict[str, type]]:
    """A runtime helper's source without its ``from .errors import X``
    lines, and the errors those lines import (``X`` is then given a stand-in
    class). Any other import of s2sad is refused; imports of other modules
    (the standard library, NumPy) stay."""
    drop: set[int] = set()
    found: dict[str, type] = {}
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        relative = isinstance(node, ast.ImportFrom) and node.level > 0
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        if not relative and not any(n.split(".")[0] == "s2sad" for n in names):
            continue
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if module not in ("errors", "s2sad.errors") or (relative and node.level != 1):
            raise ExportError(
                f"s2sad's runtime helper {where} imports s2sad's {module or names[0]}, which export cannot copy",
                hint="use s2sad.grad for this function",
            )
        for alias in node.names:
            error = getattr(s2sad_errors, alias.name, None)
            if not (isinstance(error, type) and issubclass(error, S2SADError)):
                raise ExportError(f"internal error: {where} imports {alias.name} from s2sad.errors")
            found[alias.asname or alias.name] = error
        drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    lines = text.splitlines(keepends=True)
    kept = [ln for i, ln in enumerate(lines, 1) if i not in drop and not (i - 1 in drop and not ln.strip())]
    return "".join(kept), found


def _sources(d: Derivative) -> dict[int, str]:
    """The source of each derivative in the tree of ``d`` (its callees'), by
    id of the compiled function."""
    out = {id(d.fn): d.source}
    for c in d.callees.values():
        out.update(_sources(c))
    return out


def _generated_text(value: Any, sources: dict[int, str]) -> str | None:
    """The source of a function s2sad generated and compiled (a derivative,
    a lifted nested ``def``); None for other values. Checked against the
    compiled code: the text copied is the code that runs in s2sad."""
    code = getattr(value, "__code__", None)
    if not isinstance(value, types.FunctionType) or code is None or not code.co_filename.startswith("<s2sad"):
        return None
    text = sources.get(id(value))
    parsed = lifted(value)
    if text is None and parsed is not None:
        text = render_function(parsed.node, {})
    if text is None or not _same_code(text, value):
        raise ExportError(
            f"internal error: export cannot find the source s2sad generated for {value.__name__}",
            hint="use s2sad.grad, or s2sad show to read the code",
        )
    return text


def _same_code(text: str, fn: Any) -> bool:
    """Does ``text`` (one ``def``) compile to ``fn``'s code, given the names
    ``fn`` reads from its closure (as codegen compiles it, inside a factory)?"""
    factory = f"def _factory({', '.join(fn.__code__.co_freevars)}):\n"
    factory += "".join(f"    {ln}" if ln.strip() else ln for ln in text.splitlines(keepends=True))
    factory += f"\n    return {fn.__code__.co_name}\n"
    try:
        outer = compile(factory, fn.__code__.co_filename, "exec")
    except SyntaxError:
        return False
    made = next(c for c in outer.co_consts if isinstance(c, types.CodeType))
    inner = next(
        (c for c in made.co_consts if isinstance(c, types.CodeType) and c.co_name == fn.__code__.co_name), None
    )
    return inner is not None and _code_equal(inner, fn.__code__)


def _code_equal(a: types.CodeType, b: types.CodeType) -> bool:
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars) != (
        b.co_code,
        b.co_names,
        b.co_varnames,
        b.co_freevars,
        b.co_cellvars,
    ):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _code_equal(x, y):
                return False
        elif type(x) is not type(y) or (x != y and not (x != x and y != y)):
            return False
    return True


def _user_function_text(value: Any) -> str | None:
    """The source of a plain module-level function of the user's own code
    (not of an installed package), checked against its compiled code; None
    for anything else (imported by name instead)."""
    if not isinstance(value, types.FunctionType) or value.__closure__ or "<" in value.__qualname__:
        return None
    module = sys.modules.get(value.__module__ or "")
    if module is None or not _user_code(module) or getattr(module, value.__name__, None) is not value:
        return None
    try:
        text = textwrap.dedent(inspect.getsource(value))
    except (OSError, TypeError):
        return None
    if not text.startswith("def ") or not _same_as_file(value):
        return None  # decorated, a lambda, or the file changed since it was imported
    return text


def _same_as_file(fn: Any) -> bool:
    """Does ``fn``'s file, as it is now (what ``inspect.getsource`` reads),
    still compile to ``fn``'s code? (Compiled as the whole module, since the
    code depends on it: a call on an imported name compiles differently.)"""
    file = fn.__code__.co_filename
    linecache.checkcache(file)
    try:
        module = compile("".join(linecache.getlines(file)), file, "exec")
    except (SyntaxError, ValueError):
        return False
    code = fn.__code__
    return any(
        isinstance(c, types.CodeType)
        and c.co_name == code.co_name
        and c.co_firstlineno == code.co_firstlineno
        and _code_equal(c, code)
        for c in module.co_consts
    )


def _closure_of(fn: Any) -> dict[str, Any]:
    out = {}
    for n, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[n] = cell.cell_contents
        except ValueError:  # an empty cell: the name is not bound yet
            continue
    return out


def _def_name(text: str) -> str:
    return text.split("def ", 1)[1].split("(", 1)[0].strip()


def _identifiers(text: str) -> frozenset[str]:
    return frozenset(t.string for t in _tokens(text) if t.type == tokenize.NAME)


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def _free_names(text: str) -> set[str]:
    """Names ``text`` (function definitions) reads from its module: the free
    names of every function scope, and those read at module level (default
    values, annotations)."""
    top = symtable.symtable(text, "<export>", "exec")
    found = {s.get_name() for s in top.get_symbols() if s.is_referenced() and not (s.is_assigned() or s.is_imported())}
    todo = list(top.get_children())
    while todo:
        table = todo.pop()
        todo.extend(table.get_children())
        found.update(s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced())
    return found


def _bound_locally(text: str) -> set[str]:
    """Names some function scope of ``text`` binds (parameters, locals)."""
    found: set[str] = set()
    todo = list(symtable.symtable(text, "<export>", "exec").get_children())
    while todo:
        table = todo.pop()
        todo.extend(table.get_children())
        found.update(s.get_name() for s in table.get_symbols() if s.is_local() or s.is_parameter())
    return found


def _rename(text: str, renames: dict[str, str]) -> str:
    """``text`` with the names in ``renames`` renamed wherever they are names
    (not attributes ``x.name``, not keywords ``f(name=...)``)."""
    if not renames:
        return text
    clash = _bound_locally(text) & (set(renames) - {_def_name(text)})
    if clash:  # renaming every occurrence would also rename the local one
        raise ExportError(
            f"the generated code uses {sorted(clash)[0]!r} both as a global and as a local name, and "
            "export must rename the global",
            hint="rename that variable or argument in your function",
        )
    tokens = _tokens(text)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if tok.type != tokenize.NAME or tok.string not in renames:
            continue
        before = tokens[i - 1].string if i else ""
        after = next((t.string for t in tokens[i + 1 :] if t.type not in (tokenize.NL, tokenize.COMMENT)), "")
        if before == "." or (after == "=" and depth > 0):
            continue
        (row, col), (_, end) = tok.start, tok.end
        edits.append((row, col, end, renames[tok.string]))
    for row, col, end, new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


# ---------------------------------------------------------------- header and wrapper


def _kind_text(kinds: dict[str, Kind | None]) -> str:
    return ",".join(f"{k}={'any' if v is None else v}" for k, v in kinds.items())


def _header(
    fn: Callable[..., Any],
    label: str,
    wrt: tuple[str, ...],
    single: bool,
    kinds: dict[str, str | None],
    target: str | None,
    output: str | None,
    module: _Module,
    wrapper: str,
    entry: str,
) -> str:
    source_file = inspect.getsourcefile(fn) or "?"
    by_name = fn.__module__ not in (None, "__main__") and _importable(fn.__module__, fn.__globals__.get("__file__"))
    if target is None and module.module_file is None and by_name:
        target = f"{fn.__module__}:{_qualname(fn, label)}"  # as the exported module imports it
    if target is None:
        try:
            where = os.path.relpath(source_file)
        except ValueError:  # another drive
            where = source_file
        target = f"{where}:{_qualname(fn, label)}"
    output = output or f"grad_{label}.py"
    # a tuple's kind (from a default) cannot be written on the command line: the command derives it again
    simple = {k: v for k, v in kinds.items() if v is None or "(" not in str(v)}
    command = ["python", "-m", "s2sad", "export", target, "--wrt", ",".join(wrt), "--kinds", _kind_text(simple)]
    command += ["-o", output]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    wrt_text = wrt[0] if single else "(" + ", ".join(wrt) + ")"
    params = ", ".join(inspect.signature(fn).parameters)
    imported = [um for um in module.user.values() if um.names]
    paragraphs = [
        f"{wrapper}({params}) returns what s2sad.grad({label}, wrt=...) returns; {entry} is the generated "
        "code (what `s2sad show` prints), returning the value and the gradient. The code is specialised to "
        f"the kinds above: {wrapper} raises TypeError for arguments of other kinds.",
        "This module is a snapshot. It does not import s2sad, and does not see later changes to "
        f"{label} or its helpers, nor a global rebound after it imported it (a change made inside an "
        "array is seen). Export again after changing them.",
    ]
    for um in imported:
        where = f" (from {um.directory}, which it puts on sys.path: edit that line if you move it)"
        paragraphs.append(f"It imports the globals the code reads from {um.name}{where if um.directory else ''}.")
    lines = [
        f"Generated by s2sad {__version__} on {stamp} from {source_file}",
        f"function: {_qualname(fn, label)}    wrt: {wrt_text}    kinds: {_kind_text(kinds) or '(none)'}",
        "Regenerate with:",
        "    " + shlex.join(command),
    ]
    for text in paragraphs:
        lines += ["", *textwrap.wrap(text, 98)]
    return "\n".join(f"# {ln}" if ln else "#" for ln in lines) + "\n"


_WRAPPER_HELPERS = ("_items", "_is_kind", "_expect_kind", "_expect_scalar", "_shaped")

_KIND_CHECK = '''
def _items(inner: str) -> list[str]:
    """The kinds in ``k1,k2,...``, split at the commas outside brackets."""
    items, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += (c in "([") - (c in ")]")
        if c == "," and depth == 0:
            items.append(inner[start:i])
            start = i + 1
    return [*items, inner[start:]] if inner else []


def _is_kind(value: Any, kind: str, wrt: bool) -> bool:
    """Is ``value`` of ``kind``, or of a kind it includes? ``scalar``: a float,
    ``int``, ``array``: an ndarray, ``array2``: one of 2 dimensions,
    ``numeric``: any of these, ``tuple(k1,k2)``: a tuple of two items of
    these kinds, ``list[k]``: a list of items of kind ``k``, ``any`` or
    ``?``: anything but a list or tuple. What is differentiated (``wrt``) is
    made of floats and float arrays."""
    if kind.startswith("tuple("):
        items = _items(kind[6:-1])
        ok = isinstance(value, tuple) and len(value) == len(items) and (bool(value) or not wrt)
        return ok and all(_is_kind(v, k, wrt) for v, k in zip(value, items))
    if kind.startswith("list["):
        if not isinstance(value, list) or (wrt and not value):
            return False
        return not value if kind == "list[]" else all(_is_kind(v, kind[5:-1], wrt) for v in value)
    if isinstance(value, (list, tuple)):
        return False
    if isinstance(value, (float, np.floating)):
        return kind in ("scalar", "numeric", "any", "?")
    if isinstance(value, (int, np.integer, np.bool_)):
        return kind in ("int", "numeric", "any", "?") and not wrt
    if isinstance(value, np.ndarray) and not np.iscomplexobj(value):
        if wrt and value.dtype.kind != "f":
            return False
        return kind in ("array", f"array{value.ndim}", "numeric", "any", "?")
    return kind in ("any", "?") and not wrt


def _expect_kind(function: str, name: str, value: Any, kind: str, wrt: bool) -> None:
    """Refuse an argument of another kind than the code was generated for:
    code specialised to other kinds could compute a wrong gradient."""
    if not _is_kind(value, kind, wrt):
        got = type(value).__name__
        if isinstance(value, np.ndarray):
            got = f"an array of shape {value.shape} and dtype {value.dtype}"
        raise TypeError(
            f"{function} was exported for {name} of kind {kind!r}, and got {got}: "
            f"export it again with --kinds {name}=..."
        )
'''

_OUTPUT_CHECK = '''
def _expect_scalar(function: str, value: Any) -> None:
    """grad needs one scalar output (as s2sad.grad, which raises OutputError)."""
    if not (isinstance(value, float) or np.ndim(value) == 0):
        raise ValueError(f"{function} returns a value of shape {np.shape(value)}; grad needs a scalar output")
'''

_SHAPED = '''
def _shaped(g: Any, x: Any) -> Any:
    """The adjoint ``g`` given the type of its argument ``x``, as s2sad.grad
    returns it: a float for a float; for an array, an array of its shape and
    (floating) dtype."""
    if x.__class__ is float:
        return float(g)
    if isinstance(x, (tuple, list)):  # the same structure, item by item
        return type(x)(map(_shaped, g, x))
    if not isinstance(x, np.ndarray):
        return g
    if not isinstance(g, np.ndarray):
        g = np.full(x.shape, g, dtype=x.dtype)
    if g.dtype != x.dtype and x.dtype.kind in "fc":
        g = g.astype(x.dtype)
    if g.shape != x.shape:
        if g.ndim != 0:
            raise ValueError(f"internal error: adjoint of shape {g.shape} for an argument of shape {x.shape}")
        g = np.full(x.shape, g, dtype=np.result_type(x.dtype, float))
    return g
'''


def _wrapper_helpers(checks: bool) -> list[str]:
    parts = [_KIND_CHECK] if checks else []
    return [*parts, _OUTPUT_CHECK, _SHAPED]


def _wrapper(
    fn: Callable[..., Any],
    label: str,
    name: str,
    entry: str,
    wrt: tuple[str, ...],
    single: bool,
    kinds: dict[str, str],
    generated: str,
    generated_name: str,
) -> str:
    """``def grad_f(<f's parameters>)``: check the kinds, run the generated
    code, check the output is a scalar, shape the adjoints."""
    signature = _signature_text(generated, generated_name)
    params = inspect.signature(fn).parameters
    taken = set(params)
    value = _fresh("value", taken)
    grads = _fresh("grads", taken)
    call = []
    for p in params.values():
        call.append(f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name)
    wrt_text = _quoted(wrt[0]) if single else "(" + ", ".join(map(_quoted, wrt)) + ("," if len(wrt) == 1 else "") + ")"
    lines = [
        f"def {name}({signature}):",
        f'    """The gradient of {label} with respect to {", ".join(wrt)}, as '
        f's2sad.grad({label}, wrt={wrt_text}) returns it."""',
    ]
    for p in params.values():
        kind = kinds.get(p.name)
        if kind is not None:
            args = f"{_quoted(name)}, {_quoted(p.name)}, {p.name}, {_quoted(kind)}, wrt={p.name in wrt}"
            lines.append(f"    _expect_kind({args})")
    lines.append(f"    {value}, {grads} = {entry}({', '.join(call)})")
    lines.append(f"    _expect_scalar({_quoted(label)}, {value})")
    if len(wrt) == 1:
        shaped = f"_shaped({grads}, {wrt[0]})"
        lines.append(f"    return {shaped}" if single else f"    return ({shaped},)")
    else:
        items = ", ".join(f"_shaped({grads}[{i}], {w})" for i, w in enumerate(wrt))
        lines.append(f"    return {items}")
    return "\n".join(lines) + "\n"


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _signature_text(generated: str, generated_name: str) -> str:
    """The user's parameters as the generated ``def`` writes them, without
    the trailing output adjoint (``y_bar=1.0``)."""
    node = ast.parse(generated).body[0]
    assert isinstance(node, ast.FunctionDef) and node.name == generated_name
    args = node.args
    args.args = args.args[:-1]
    args.defaults = args.defaults[:-1]
    return ast.unparse(args)
