"""Normalize a user's function into the small core the transforms accept (ANF).

Input: any ``FunctionDef`` :mod:`s2sad.frontend.parse` gives (constructs
outside the core are refused here, with the user's line).

Output guarantees (the *core*):

* every statement is one of
  - ``name = op`` where ``op`` is an *atom*, ``a <binop> b``, ``<unaryop> a``,
    ``a <cmp> b``, ``f(atoms..., kw=atom...)``, ``a.attr``,
    ``a.method(atoms...)``, ``a[index]``, ``(atoms...)`` or ``[atoms...]``;
  - ``a[index] = atom`` (a write into a local array);
  - ``if atom: ... else: ...``;
  - ``for name in atom: ...`` where the atom is bound to a ``range``;
  - ``while atom: ...`` whose condition name is recomputed at the end of the body;
  - ``break`` (only as ``if flag: break`` at the end of a loop body);
  - ``atom.method(atoms...)`` as an expression statement (e.g. ``lst.append(v)``);
  - ``raise ...`` (kept as written);
  - one ``return atom``, the last statement of the function.
* an atom is a local name, a constant, or a reference to a global
  (``np``, ``np.pi``, ``W``); an index holds atoms, slices of atoms, ``None``
  and ``...``.
* list and tuple literals passed to a call stay inline (``np.stack([a, b])``).
* ``a += b`` is ``a = a + b``; ``a < b < c`` is ``(a < b) and (b < c)``;
  ``and``/``or``/``a if c else b`` become ``if`` statements; tuple targets are
  unpacked one name at a time; ``for x in X`` iterates over ``range(len(X))``;
  ``for i in reversed(r)`` over a range iterates over ``r[::-1]`` (another
  range), over any other sequence by index from ``len(X) - 1`` down.
* ``break``, ``continue`` and early ``return`` become flags that guard the rest
  of the body, so control only leaves a loop at the end of its body.

>>> import gast
>>> from s2sad.ir.naming import Namer
>>> fn = gast.parse("def f(x, y):\\n    return np.log(x) + x * y - np.sin(y)").body[0]
>>> print(unparse(normalize(fn, Namer.for_function(fn))).strip())
def f(x, y):
    t1 = np.log(x)
    t2 = x * y
    t3 = t1 + t2
    t4 = np.sin(y)
    y_1 = t3 - t4
    return y_1
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import gast

from ..errors import Location, UnsupportedSyntaxError
from .naming import Namer


def unparse(node: gast.AST) -> str:
    from ..codegen.emit import to_source

    return to_source(node)


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


def name(id_: str, ctx: type = gast.Load) -> gast.Name:
    return gast.Name(id=id_, ctx=ctx(), annotation=None, type_comment=None)


def const(value: object) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str | gast.expr, value: gast.expr) -> gast.Assign:
    tgt = name(target, gast.Store) if isinstance(target, str) else target
    return gast.Assign(targets=[tgt], value=value, type_comment=None)


@dataclass
class _Loop:
    """The flags a loop's break and continue set (None when it has none)."""

    brk: str | None = None
    cont: str | None = None


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


_DICT_VIEWS = ("keys", "values", "items")


class Normalizer:
    """One walk over the user's tree that emits core statements."""

    def __init__(self, fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>"):
        self.fn = fn
        self.namer = namer
        self.filename = filename
        self.locals = local_names(fn)
        self.ret_flag: str | None = None
        self.ret_value: str | None = None
        self.has_early_return = _has_early_return(fn.body)
        self.loops: list[_Loop] = []
        # nested functions and lambdas, lifted out: name -> (def, names of the
        # enclosing variables it reads, passed as extra keyword arguments)
        self.lifted: dict[str, tuple[gast.FunctionDef, list[str]]] = {}
        # lifted name -> (parameter, name of the value its default had when the
        # def ran), for defaults that read an enclosing variable
        self.lifted_defaults: dict[str, list[tuple[str, str]]] = {}
        self.nested = _lifted_names(fn)
        self.updates: list[tuple[int, int, str, str]] = []  # (line, col, name, op) of each `x op= v`
        self.locals -= _lifted_names(fn)

    # ----------------------------------------------------------------- errors
    def refuse(self, node: gast.AST, what: str, hint: str) -> UnsupportedSyntaxError:
        loc = Location(self.filename, getattr(node, "lineno", self.fn.lineno), getattr(node, "col_offset", 0) or 0)
        return UnsupportedSyntaxError(f"s2sad cannot differentiate {what}", loc, hint)

    # ------------------------------------------------------------- functions
    def run(self) -> gast.FunctionDef:
        out = copy.copy(self.fn)
        body: list[gast.stmt] = []
        if self.has_early_return:
            self.ret_flag = self.namer.claim("returned")
            self.ret_value = self.namer.claim("result")
            body.append(gast.copy_location(assign(self.ret_flag, const(False)), self.fn))
            body.append(gast.copy_location(assign(self.ret_value, const(None)), self.fn))
        self.block(self.fn.body, body, top=True)
        if self.has_early_return:
            body.append(gast.copy_location(gast.Return(value=name(self.ret_value)), self.fn))
        elif not body or not isinstance(body[-1], gast.Return):
            body.append(gast.copy_location(gast.Return(value=const(None)), self.fn))
        out.body = body
        return out

    def block(self, stmts: list[gast.stmt], out: list[gast.stmt], top: bool = False) -> None:
        """Normalize ``stmts`` into ``out``; after a statement that may leave the
        block early (break, continue, return), guard the rest with a flag test."""
        for i, stmt in enumerate(stmts):
            self.stmt(stmt, out)
            if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
                return  # the rest of the block is dead code
            rest = stmts[i + 1 :]
            flag = self._exit_flag_after(stmt)
            if rest and flag is not None:
                guard: list[gast.stmt] = []
                self.block(rest, guard)
                test = self._not(flag, stmt, out)
                out.append(gast.copy_location(gast.If(test=test, body=guard, orelse=[]), rest[0]))
                return

    def _exit_flag_after(self, stmt: gast.stmt) -> str | None:
        """The condition under which control may have left the current block
        inside ``stmt`` (None when it cannot)."""
        flags = []
        if self.ret_flag and _has_early_return([stmt]):
            flags.append(self.ret_flag)
        if self.loops and not isinstance(stmt, (gast.For, gast.While)):
            loop = self.loops[-1]
            if _contains(stmt, gast.Break):
                flags.append(loop.brk)
            if _contains(stmt, gast.Continue):
                flags.append(loop.cont)
        flags = [f for f in flags if f]
        if not flags:
            return None
        if len(flags) == 1:
            return flags[0]
        return "|".join(flags)

    def _not(self, flag: str, anchor: gast.AST, out: list[gast.stmt]) -> gast.expr:
        t = self.namer.temp("go")
        parts = flag.split("|")
        expr: gast.expr = name(parts[0])
        for p in parts[1:]:
            expr = gast.BoolOp(op=gast.Or(), values=[expr, name(p)])
        out.append(gast.copy_location(assign(t, gast.UnaryOp(op=gast.Not(), operand=expr)), anchor))
        return name(t)

    # ------------------------------------------------------------ statements
    def stmt(self, s: gast.stmt, out: list[gast.stmt]) -> None:
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.refuse(s, f"a {type(s).__name__.lower()} statement", _HINTS.get(type(s).__name__, _DEFAULT_HINT))
        n0 = len(out)
        method(s, out)
        for new in out[n0:]:
            _locate(new, s)

    def stmt_Pass(self, s: gast.Pass, out: list[gast.stmt]) -> None:
        pass

    def stmt_FunctionDef(self, s: gast.FunctionDef, out: list[gast.stmt]) -> None:
        if s.decorator_list:
            raise self.refuse(s, "a decorated nested function", "define the helper without decorators")
        if s.name in self.lifted or s.name in self.locals:
            raise self.refuse(s, f"a second definition of {s.name}", "give each nested function its own name")
        self.lift(s, out)

    def lift(self, s: gast.FunctionDef, out: list[gast.stmt]) -> None:
        """Lift a nested function out; the enclosing variables it reads become
        keyword-only parameters, passed at each call with their current value.
        A default that reads an enclosing variable is evaluated where the def
        stands (as Python does) and passed at each call that leaves it out."""
        for node in gast.walk(s):
            if isinstance(node, gast.Nonlocal):
                raise self.refuse(node, "`nonlocal` in a nested function", _HINTS["Nonlocal"])
        inner = local_names(s)
        lifted = copy.deepcopy(s)
        free_set = {
            n.id for st in lifted.body for n in gast.walk(st) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
        } - inner - {s.name}
        free_set = {n for n in free_set if n in self.locals}
        for call in (n for st in lifted.body for n in gast.walk(st) if isinstance(n, gast.Call)):
            callee = call.func.id if isinstance(call.func, gast.Name) and call.func.id not in inner else None
            if callee == s.name:
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate the recursive call to {s.name}",
                    Location(self.filename, call.lineno, call.col_offset or 0),
                    "rewrite the recursion as a loop",
                )
            if callee in self.nested and callee not in self.lifted:
                raise self.refuse(
                    call, f"a call from {s.name} to the nested function {callee} defined after it (or a recursion)",
                    f"define {callee} before {s.name}, and without recursion",
                )
            if callee in self.lifted:
                for param, value in self._extra_keywords(callee, call):
                    if value in inner:
                        raise self.refuse(
                            call, f"a call to {callee}, which reads {value}, from {s.name}, which has its own {value}",
                            f"rename {s.name}'s {value}",
                        )
                    call.keywords.append(gast.keyword(arg=param, value=name(value)))
                    free_set.add(value)
        defaults: list[tuple[str, str]] = []
        params = lifted.args.posonlyargs + lifted.args.args
        pairs = list(zip(params[len(params) - len(lifted.args.defaults):], range(len(lifted.args.defaults))))
        for p, i in pairs:
            lifted.args.defaults[i] = self._default(lifted.args.defaults[i], p.id, defaults, out)
        for i, p in enumerate(lifted.args.kwonlyargs):
            if lifted.args.kw_defaults[i] is not None:
                lifted.args.kw_defaults[i] = self._default(lifted.args.kw_defaults[i], p.id, defaults, out)
        free = sorted(free_set)
        for n in free:
            lifted.args.kwonlyargs.append(name(n, gast.Param))
            lifted.args.kw_defaults.append(None)
        self.lifted[s.name] = (lifted, free)
        self.lifted_defaults[s.name] = defaults

    def _default(self, value: gast.expr, param: str, defaults: list[tuple[str, str]], out: list[gast.stmt]) -> gast.expr:
        """A parameter's default: kept if it reads no enclosing variable, else
        computed now into a fresh name (passed by each call) and None in the
        lifted def."""
        reads = {n.id for n in gast.walk(value) if isinstance(n, gast.Name)}
        if not reads & self.locals:
            return value
        held = self.namer.temp()
        out.append(gast.copy_location(assign(held, self.expr(value, out)), value))
        defaults.append((param, held))
        return const(None)

    def _extra_keywords(self, callee: str, call: gast.Call) -> list[tuple[str, str]]:
        """(parameter, value name) a call to a lifted function passes besides
        its own arguments: the enclosing variables the callee reads, and the
        defaults (evaluated at its def) of the parameters the call leaves out."""
        fdef, free = self.lifted[callee]
        extra = [(v, v) for v in free]
        positional = [a.id for a in fdef.args.posonlyargs + fdef.args.args]
        given = {k.arg for k in call.keywords} | set(positional[: len(call.args)])
        extra += [(p, v) for p, v in self.lifted_defaults.get(callee, []) if p not in given]
        return extra

    def stmt_Expr(self, s: gast.Expr, out: list[gast.stmt]) -> None:
        if isinstance(s.value, gast.Constant):
            return  # docstring or bare constant
        if isinstance(s.value, gast.Call):
            out.append(gast.Expr(value=gast.copy_location(self.call(s.value, out), s.value)))
            return
        if type(s.value).__name__ in _EXPR_WHAT:
            raise self.refuse(s.value, _EXPR_WHAT[type(s.value).__name__], _expr_hint(s.value))
        raise self.refuse(s, "an expression statement that is not a call", "remove it or assign its value to a name")

    def stmt_Assert(self, s: gast.Assert, out: list[gast.stmt]) -> None:
        pass  # a precondition does not change any derivative

    def stmt_Raise(self, s: gast.Raise, out: list[gast.stmt]) -> None:
        out.append(s)

    def stmt_AnnAssign(self, s: gast.AnnAssign, out: list[gast.stmt]) -> None:
        if s.value is not None:
            self.assign_to(s.target, s.value, out)

    def stmt_Assign(self, s: gast.Assign, out: list[gast.stmt]) -> None:
        if len(s.targets) == 1:
            self.assign_to(s.targets[0], s.value, out)
            return
        a = self.atom(s.value, out)
        for tgt in s.targets:
            self.assign_to(tgt, a, out)

    def stmt_AugAssign(self, s: gast.AugAssign, out: list[gast.stmt]) -> None:
        tgt = s.target
        if isinstance(tgt, gast.Name):
            # `x op= v` is `x = x op v` on numbers, but on an array Python
            # changes the object in place: analysis/mutation checks that no
            # other name or view can tell the difference
            self.updates.append((s.lineno, s.col_offset or 0, tgt.id, _OPS.get(type(s.op), "?")))
        if isinstance(tgt, gast.Name):
            self.assign_to(name(tgt.id, gast.Store), gast.BinOp(left=name(tgt.id), op=s.op, right=s.value), out)
        elif isinstance(tgt, gast.Subscript):
            base = self._local_base(tgt)
            idx = self.index(tgt.slice, out)
            cur = self.namer.temp()
            out.append(assign(cur, gast.Subscript(value=name(base), slice=idx, ctx=gast.Load())))
            val = self.atom(gast.BinOp(left=name(cur), op=s.op, right=s.value), out)
            self._store(base, copy.deepcopy(idx), val, out, s)
        else:
            raise self.refuse(tgt, "an augmented assignment to an attribute", "assign to a local name instead")

    def assign_to(self, tgt: gast.expr, value: gast.expr, out: list[gast.stmt]) -> None:
        if isinstance(tgt, gast.Name) and isinstance(value, gast.Lambda) and tgt.id not in self.locals:
            ret = gast.copy_location(gast.Return(value=value.body), value.body)
            fdef = gast.FunctionDef(
                name=tgt.id, args=value.args, body=[ret], decorator_list=[], returns=None, type_comment=None,
                type_params=[],
            )
            self.lift(gast.copy_location(fdef, value), out)
            return
        if isinstance(tgt, gast.Name) and _is_partial(value) and tgt.id not in self.locals:
            self._lift_partial(tgt.id, value, out)
            return
        if isinstance(tgt, gast.Name):
            out.append(assign(tgt.id, self.expr(value, out)))
        elif isinstance(tgt, (gast.Tuple, gast.List)):
            self._unpack(tgt, value, out)
        elif isinstance(tgt, gast.Subscript):
            base = self._local_base(tgt)
            idx = self.index(tgt.slice, out)
            val = self.atom(value, out)
            self._store(base, idx, val, out, tgt)
        else:
            raise self.refuse(tgt, f"an assignment to {type(tgt).__name__.lower()}", "assign to a local name instead")

    def _store(self, base: str, idx: gast.expr, val: gast.expr, out: list[gast.stmt], at: gast.AST) -> None:
        """``base[idx] = val``. With a constant string key, ``base`` is a dict
        (arrays and lists take no string index): the entry is set as
        ``base = {**base, "k": val}``, a new version of the dict, and the
        change is recorded, so that the alias analysis refuses it where
        another name may see the dict (Python changes it in place)."""
        if isinstance(idx, gast.Constant) and type(idx.value) is str:
            self.updates.append((at.lineno, at.col_offset or 0, base, "[]"))
            entry = gast.Dict(keys=[None, const(idx.value)], values=[name(base), val])
            out.append(gast.copy_location(assign(base, entry), at))
            return
        out.append(assign(gast.Subscript(value=name(base), slice=idx, ctx=gast.Store()), val))

    def _unpack(self, tgt: gast.Tuple | gast.List, value: gast.expr, out: list[gast.stmt]) -> None:
        if any(isinstance(e, gast.Starred) for e in tgt.elts):
            raise self.refuse(tgt, "starred unpacking", "unpack into a fixed number of names")
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) != len(tgt.elts):
            raise self.refuse(tgt, f"unpacking {len(value.elts)} values into {len(tgt.elts)} names",
                              "unpack into one name per value")
        if isinstance(value, (gast.Tuple, gast.List)):
            # Evaluate every right-hand side before any target is written: a, b = b, a
            vals = []
            stored = {n.id for n in gast.walk(tgt) if isinstance(n, gast.Name)}
            for e in value.elts:
                if not ({n.id for n in gast.walk(e) if isinstance(n, gast.Name)} & stored):
                    vals.append(e)  # the assignments cannot change it: evaluated where it is assigned
                    continue
                a = self.atom(e, out)
                if isinstance(a, gast.Name) and a.id in self.locals and a.id in stored:
                    t = self.namer.temp()
                    out.append(assign(t, a))
                    a = name(t)
                vals.append(a)
            for t_, v in zip(tgt.elts, vals):
                self.assign_to(t_, v, out)
            return
        whole = self.atom(value, out)
        for k, t_ in enumerate(tgt.elts):
            item = gast.Subscript(value=copy.deepcopy(whole), slice=const(k), ctx=gast.Load())
            self.assign_to(t_, item, out)

    def _local_base(self, tgt: gast.Subscript) -> str:
        if not (isinstance(tgt.value, gast.Name) and tgt.value.id in self.locals):
            raise self.refuse(tgt, *_foreign_write(tgt, self.locals))
        return tgt.value.id

    def stmt_Return(self, s: gast.Return, out: list[gast.stmt]) -> None:
        value = s.value if s.value is not None else const(None)
        if self.ret_flag is None:
            out.append(gast.Return(value=self.atom(value, out, into="y")))
            return
        out.append(assign(self.ret_value, self.expr(value, out)))
        out.append(assign(self.ret_flag, const(True)))
        for loop in self.loops:
            self._need_flag(loop, "brk")
            out.append(assign(loop.brk, const(True)))

    def stmt_If(self, s: gast.If, out: list[gast.stmt]) -> None:
        test = self.test(s.test, out)
        body: list[gast.stmt] = []
        orelse: list[gast.stmt] = []
        self.block(s.body, body)
        self.block(s.orelse, orelse)
        out.append(gast.If(test=test, body=body, orelse=orelse))

    def stmt_Break(self, s: gast.Break, out: list[gast.stmt]) -> None:
        loop = self.loops[-1]
        self._need_flag(loop, "brk")
        out.append(assign(loop.brk, const(True)))

    def stmt_Continue(self, s: gast.Continue, out: list[gast.stmt]) -> None:
        loop = self.loops[-1]
        self._need_flag(loop, "cont")
        out.append(assign(loop.cont, const(True)))

    def _need_flag(self, loop: _Loop, kind: str) -> None:
        if getattr(loop, kind) is None:
            setattr(loop, kind, self.namer.claim("stop" if kind == "brk" else "skip"))

    def stmt_For(self, s: gast.For, out: list[gast.stmt]) -> None:
        if s.orelse:
            raise self.refuse(s, "a for loop with an else clause", "move the else block after the loop")
        loop = self._open_loop(s)
        rng, prologue = self.iteration(s, out)
        index = prologue.pop(0)
        body: list[gast.stmt] = []
        if loop.cont:
            body.append(assign(loop.cont, const(False)))
        self.block(prologue + s.body, body)
        self._close_loop(loop, body, out)
        out.append(gast.For(target=index, iter=rng, body=body, orelse=[], type_comment=None))

    def stmt_While(self, s: gast.While, out: list[gast.stmt]) -> None:
        if s.orelse:
            raise self.refuse(s, "a while loop with an else clause", "move the else block after the loop")
        loop = self._open_loop(s)
        cond = self.namer.claim("cond")
        out.append(assign(cond, self.expr(s.test, out)))
        body: list[gast.stmt] = []
        if loop.cont:
            body.append(assign(loop.cont, const(False)))
        self.block(s.body, body)
        recompute: list[gast.stmt] = []
        recompute.append(assign(cond, self.expr(copy.deepcopy(s.test), recompute)))
        if loop.brk:
            go = self._not(loop.brk, s, body)
            body.append(gast.If(test=go, body=recompute, orelse=[]))
        else:
            body.extend(recompute)
        self._close_loop(loop, body, out)
        out.append(gast.While(test=name(cond), body=body, orelse=[]))

    def _open_loop(self, s: gast.stmt) -> _Loop:
        loop = _Loop()
        if _contains_own(s.body, gast.Break) or (self.ret_flag and _has_early_return(s.body)):
            self._need_flag(loop, "brk")
        if _contains_own(s.body, gast.Continue):
            self._need_flag(loop, "cont")
        self.loops.append(loop)
        return loop

    def _close_loop(self, loop: _Loop, body: list[gast.stmt], out: list[gast.stmt]) -> None:
        self.loops.pop()
        if loop.brk:
            out.insert(len(out), assign(loop.brk, const(False)))
            body.append(gast.If(test=name(loop.brk), body=[gast.Break()], orelse=[]))
        if loop.cont:
            out.append(assign(loop.cont, const(False)))

    def iteration(self, s: gast.For, out: list[gast.stmt]) -> tuple[gast.Name, list[gast.stmt]]:
        """Turn ``for target in iterable`` into ``for i in r`` (``r`` a range)
        plus the statements that bind ``target`` at the top of the body.
        Returns the range atom and [index name, *binding statements]."""
        it = s.iter
        fn = self._global_callee(it)
        if fn == "range":
            args = [self.atom(a, out) for a in it.args]
            r = self.namer.temp("r")
            out.append(assign(r, gast.Call(func=name("range"), args=args, keywords=[])))
            if isinstance(s.target, gast.Name):
                return name(r), [name(s.target.id, gast.Store)]
            raise self.refuse(s.target, "unpacking a range index", "use a single loop variable")
        if fn in ("enumerate", "zip"):
            seqs: list[gast.expr] = []
            idx = self.namer.temp("i")
            if (
                fn == "enumerate"
                and isinstance(s.target, gast.Tuple)
                and len(s.target.elts) == 2
                and isinstance(s.target.elts[0], gast.Name)
            ):
                # for i, x in enumerate(...): i is the loop's own index
                idx = s.target.elts[0].id
                item = self._item(it.args[0] if len(it.args) == 1 else it, s, idx, seqs, out)
                binds = [gast.Assign(targets=[s.target.elts[1]], value=item, type_comment=None)]
            else:
                item = self._item(it, s, idx, seqs, out)
                binds = [gast.Assign(targets=[s.target], value=item, type_comment=None)]
            if not seqs:
                raise self.refuse(it, f"iterating over {fn}() of nothing", "give it a sequence")
            r = self._range_len(seqs, out)
            return name(r), [name(idx, gast.Store), *binds]
        if fn == "reversed" and len(it.args) == 1 and not it.keywords:
            return self._reversed(s, it.args[0], out)
        if fn in _ITERATORS:
            raise self.refuse(it, f"iterating over {fn}(...)", "iterate over range(...), enumerate, zip, or an array")
        idx = self.namer.temp("i")
        seqs: list[gast.expr] = []
        item = self._item(it, s, idx, seqs, out)
        r = self._range_len(seqs, out)
        return name(r), [name(idx, gast.Store), gast.Assign(targets=[s.target], value=item, type_comment=None)]

    def _item(self, it: gast.expr, s: gast.For, idx: str, seqs: list[gast.expr], out: list[gast.stmt]) -> gast.expr:
        """The item at index ``idx`` of what ``it`` iterates over, where ``it``
        may nest ``zip(...)`` and ``enumerate(...)``; the sequences whose
        lengths bound the loop are added to ``seqs``."""
        fn = self._global_callee(it)
        if fn == "zip" and not it.keywords and len(it.args) == 1 and isinstance(it.args[0], gast.Starred):
            it = self._unzip(it, s, out)
        if fn == "zip" and not it.keywords and not any(isinstance(a, gast.Starred) for a in it.args):
            elts = [self._item(a, s, idx, seqs, out) for a in it.args]
            return gast.Tuple(elts=elts, ctx=gast.Load())
        if fn == "enumerate":
            if len(it.args) != 1 or it.keywords:
                raise self.refuse(it, "enumerate with a start", "write `for i, x in enumerate(xs)`")
            inner = self._item(it.args[0], s, idx, seqs, out)
            return gast.Tuple(elts=[name(idx), inner], ctx=gast.Load())
        if fn in _ITERATORS and fn != "range":
            raise self.refuse(it, f"iterating over {fn}(...)", "iterate over range(...), enumerate, zip, or an array")
        how = "iter"
        if (
            isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute) and it.func.attr in _DICT_VIEWS
            and not it.args and not it.keywords and not self._global_chain(it.func)
        ):
            how, it = it.func.attr, it.func.value  # d.items(): walk d's keys, read its values
        seq = self._iterated(self.atom(it, out), s, out)
        seqs.append(seq)
        key = gast.Subscript(value=copy.deepcopy(seq), slice=name(idx), ctx=KeyRead(how))
        if how == "values":
            return gast.Subscript(value=copy.deepcopy(seq), slice=key, ctx=gast.Load())
        if how == "items":
            value = gast.Subscript(value=copy.deepcopy(seq), slice=copy.deepcopy(key), ctx=gast.Load())
            return gast.Tuple(elts=[key, value], ctx=gast.Load())
        return key

    def _unzip(self, it: gast.Call, s: gast.For, out: list[gast.stmt]) -> gast.Call:
        """``for a, b in zip(*pairs)``: the target says how many sequences
        ``pairs`` holds, so ``s1, s2 = pairs; for a, b in zip(s1, s2)``
        (Python raises, as the loop would, if it holds another number)."""
        if not (isinstance(s.target, gast.Tuple) and all(isinstance(e, gast.Name) for e in s.target.elts)):
            raise self.refuse(it, "zip(*xs) into a single loop variable",
                              "unpack the loop variable (for a, b in zip(*pairs)), so its length is known")
        src = self.atom(it.args[0].value, out)
        parts = [self.namer.temp("s") for _ in s.target.elts]
        for p in parts:
            self.locals.add(p)
        unpack = gast.Tuple(elts=[name(p, gast.Store) for p in parts], ctx=gast.Store())
        self._unpack(unpack, src, out)
        return gast.Call(func=name("zip"), args=[name(p) for p in parts], keywords=[])

    def _reversed(self, s: gast.For, seq: gast.expr, out: list[gast.stmt]) -> tuple[gast.Name, list[gast.stmt]]:
        """``for t in reversed(seq)``: a range is reversed by slicing it
        (``r[::-1]`` is a range); any other sequence is read backwards by index."""
        backwards = gast.Slice(lower=None, upper=None, step=const(-1))
        if self._is_range(seq) and isinstance(s.target, gast.Name):
            src = self.atom(seq, out)
            r = self.namer.temp("r")
            out.append(assign(r, gast.Subscript(value=src, slice=backwards, ctx=gast.Load())))
            return name(r), [name(s.target.id, gast.Store)]
        src = self.atom(seq, out)
        n = self.namer.temp("n")
        out.append(assign(n, gast.Call(func=name("len"), args=[copy.deepcopy(src)], keywords=[])))
        last = self.namer.temp("n")
        out.append(assign(last, gast.BinOp(left=name(n), op=gast.Sub(), right=const(1))))
        r = self.namer.temp("r")
        out.append(assign(r, gast.Call(func=name("range"), args=[name(last), const(-1), const(-1)], keywords=[])))
        idx = self.namer.temp("i")
        item = gast.Subscript(value=copy.deepcopy(src), slice=name(idx), ctx=gast.Load())
        return name(r), [name(idx, gast.Store), gast.Assign(targets=[s.target], value=item, type_comment=None)]

    def _is_range(self, node: gast.expr, seen: frozenset[str] = frozenset()) -> bool:
        """Is ``node`` certainly a range: ``range(...)``, a slice of one, or a
        local name only ever assigned such a value?"""
        if self._global_callee(node) == "range":
            return True
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
            return self._is_range(node.value, seen)
        if not isinstance(node, gast.Name) or node.id not in self.locals or node.id in seen:
            return False
        values = []
        for sub in gast.walk(self.fn):
            if isinstance(sub, gast.Assign):
                if any(isinstance(t, gast.Name) and t.id == node.id for t in sub.targets):
                    values.append(sub.value)
                elif any(node.id in {n.id for n in gast.walk(t) if isinstance(n, gast.Name)} for t in sub.targets):
                    return False  # unpacked into, or written through
            elif isinstance(sub, (gast.AugAssign, gast.AnnAssign, gast.For)) and node.id in {
                n.id for n in gast.walk(sub.target) if isinstance(n, gast.Name)
            }:
                return False
        params = {a.id for a in self.fn.args.posonlyargs + self.fn.args.args + self.fn.args.kwonlyargs}
        if node.id in params or not values:
            return False
        return all(self._is_range(v, seen | {node.id}) for v in values)

    def _iterated(self, seq: gast.expr, loop: gast.For, out: list[gast.stmt]) -> gast.expr:
        """The sequence a for loop walks: Python keeps the object the loop
        started with, even if the body rebinds the name, so keep it too."""
        if isinstance(seq, gast.Name) and any(
            isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id == seq.id for n in gast.walk(loop)
        ):
            kept = self.namer.temp("seq")
            self.locals.add(kept)
            out.append(assign(kept, name(seq.id)))
            return name(kept)
        return seq

    def _range_len(self, seqs: list[gast.expr], out: list[gast.stmt]) -> str:
        lens = []
        for q in seqs:
            n = self.namer.temp("n")
            out.append(assign(n, gast.Call(func=name("len"), args=[copy.deepcopy(q)], keywords=[])))
            lens.append(name(n))
        if len(lens) > 1:
            n = self.namer.temp("n")
            out.append(assign(n, gast.Call(func=name("min"), args=lens, keywords=[])))
            lens = [name(n)]
        r = self.namer.temp("r")
        out.append(assign(r, gast.Call(func=name("range"), args=lens, keywords=[])))
        return r

    def _global_callee(self, node: gast.expr) -> str | None:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id not in self.locals:
            return node.func.id
        return None

    # ----------------------------------------------------------- expressions
    def atom(self, e: gast.expr, out: list[gast.stmt], into: str | None = None) -> gast.expr:
        """Evaluate ``e`` into an atom, emitting statements into ``out``."""
        if isinstance(e, gast.Name):
            return name(e.id)
        if isinstance(e, gast.Constant):
            return const(e.value)
        if self._global_chain(e):
            return copy.deepcopy(e)
        value = self.expr(e, out)
        if isinstance(value, gast.Constant) and into is None:
            return value  # a folded literal such as -0.2
        t = self.namer.claim(into) if into is not None else self.namer.temp()
        out.append(gast.copy_location(assign(t, value), e))
        return name(t)

    def _global_chain(self, e: gast.expr) -> bool:
        while isinstance(e, gast.Attribute):
            e = e.value
        return isinstance(e, gast.Name) and e.id not in self.locals

    def expr(self, e: gast.expr, out: list[gast.stmt], into: str | None = None) -> gast.expr:
        """Evaluate ``e`` into a single core operation whose operands are atoms."""
        method = getattr(self, "expr_" + type(e).__name__, None)
        if isinstance(e, (gast.Name, gast.Constant)) or (isinstance(e, gast.Attribute) and self._global_chain(e)):
            return self.atom(e, out)
        if method is None:
            raise self.refuse(e, _EXPR_WHAT.get(type(e).__name__, f"a {type(e).__name__} expression"), _expr_hint(e))
        return gast.copy_location(method(e, out, into), e)

    def expr_BinOp(self, e: gast.BinOp, out, into=None):
        return gast.BinOp(left=self.atom(e.left, out), op=e.op, right=self.atom(e.right, out))

    def expr_UnaryOp(self, e: gast.UnaryOp, out, into=None):
        if isinstance(e.op, gast.UAdd):
            return self.atom(e.operand, out)
        operand = self.atom(e.operand, out)
        if isinstance(e.op, gast.USub) and isinstance(operand, gast.Constant) and type(operand.value) in (int, float):
            return const(-operand.value)  # a negative literal
        return gast.UnaryOp(op=e.op, operand=operand)

    def expr_Compare(self, e: gast.Compare, out, into=None):
        if len(e.ops) == 1:
            return gast.Compare(left=self.atom(e.left, out), ops=e.ops, comparators=[self.atom(e.comparators[0], out)])
        # a < b < c  ->  (a < b) and (b < c), with b evaluated once
        left = self.atom(e.left, out)
        rights = [self.atom(c, out) for c in e.comparators]
        lefts = [left, *rights[:-1]]
        parts = [
            gast.Compare(left=copy.deepcopy(lft), ops=[op], comparators=[copy.deepcopy(r)])
            for lft, op, r in zip(lefts, e.ops, rights)
        ]
        return self.expr_BoolOp(gast.BoolOp(op=gast.And(), values=parts), out, into)

    def expr_BoolOp(self, e: gast.BoolOp, out, into=None):
        # `a and b` -> t = a; if t: t = b   (short-circuit kept; a value-preserving copy)
        t = self.namer.temp()
        out.append(gast.copy_location(assign(t, self.expr(e.values[0], out)), e))
        rest = gast.BoolOp(op=e.op, values=e.values[1:]) if len(e.values) > 2 else e.values[1]
        gast.copy_location(rest, e)
        branch: list[gast.stmt] = []
        branch.append(gast.copy_location(assign(t, self.expr(rest, branch)), e))
        test: gast.expr = name(t)
        if isinstance(e.op, gast.Or):
            nt = self.namer.temp()
            out.append(assign(nt, gast.UnaryOp(op=gast.Not(), operand=name(t))))
            test = name(nt)
        out.append(gast.If(test=test, body=branch, orelse=[]))
        return name(t)

    def expr_IfExp(self, e: gast.IfExp, out, into=None):
        test = self.test(e.test, out)
        t = self.namer.temp()
        body: list[gast.stmt] = []
        orelse: list[gast.stmt] = []
        body.append(assign(t, self.expr(e.body, body)))
        orelse.append(assign(t, self.expr(e.orelse, orelse)))
        out.append(gast.If(test=test, body=body, orelse=orelse))
        return name(t)

    def test(self, e: gast.expr, out: list[gast.stmt]) -> gast.expr:
        return self.atom(e, out)

    def expr_Call(self, e: gast.Call, out, into=None):
        if self._global_callee(e) == "dict" and all(k.arg is not None for k in e.keywords):  # dict(W=W, b=b)
            return self.dict_call(e, out)
        fn = self._global_callee(e)
        if (fn == "list" and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], gast.Call)
                and self._global_callee(e.args[0]) in ("map", "filter")):
            e, fn = e.args[0], self._global_callee(e.args[0])  # list(map(...)): the list map gives here
        if fn in ("map", "filter") and not e.keywords and len(e.args) >= 2 and not any(
            isinstance(a, gast.Starred) for a in e.args
        ):
            return self.expr_ListComp(self._mapped(e, fn, out), out, into)
        return self.call(e, out)

    def _mapped(self, e: gast.Call, fn: str, out: list[gast.stmt]) -> gast.ListComp:
        """``map(f, xs, ys)`` -> ``[f(v1, v2) for v1, v2 in zip(xs, ys)]``,
        ``filter(f, xs)`` -> ``[v for v in xs if f(v)]`` (a list: what the
        caller reads of the iterator, every item, in order). A lambda is
        lifted to a name; ``functools.partial(g, a)`` becomes ``g(a, v)``,
        with ``a`` evaluated once, where the partial is made."""
        func, seqs = e.args[0], e.args[1:]
        if fn == "filter" and len(seqs) != 1:
            raise self.refuse(e, "filter with several sequences", "call filter(f, xs)")
        vs = [self.namer.temp("v") for _ in seqs]
        fixed: list[gast.expr] = []
        kws: list[gast.keyword] = []
        if isinstance(func, gast.Lambda):
            func = self._lift_lambda(func, out)
        elif isinstance(func, gast.Call) and dotted(func.func) in ("functools.partial", "partial") and func.args:
            fixed = [self.atom(a, out) for a in func.args[1:] if not isinstance(a, gast.Starred)]
            if len(fixed) != len(func.args) - 1 or any(k.arg is None for k in func.keywords):
                raise self.refuse(func, "a partial with *args or **kwargs", "pass the fixed arguments one by one")
            kws = [gast.keyword(arg=k.arg, value=self.atom(k.value, out)) for k in func.keywords]
            func = func.args[0]
            if isinstance(func, gast.Lambda):
                func = self._lift_lambda(func, out)
        elif not (isinstance(func, (gast.Name, gast.Attribute)) or (isinstance(func, gast.Constant) and fn == "filter")):
            func = self.atom(func, out)
        target: gast.expr = name(vs[0], gast.Store) if len(vs) == 1 else gast.Tuple(
            elts=[name(v, gast.Store) for v in vs], ctx=gast.Store())
        source = seqs[0] if len(seqs) == 1 else gast.Call(func=name("zip"), args=list(seqs), keywords=[])
        if fn == "map":
            elt: gast.expr = gast.Call(func=func, args=[*fixed, *[name(v) for v in vs]], keywords=kws)
            ifs: list[gast.expr] = []
        else:
            elt = name(vs[0])
            keep = name(vs[0]) if isinstance(func, gast.Constant) and func.value is None else gast.Call(
                func=func, args=[*fixed, name(vs[0])], keywords=kws)
            ifs = [keep]
        gen = gast.comprehension(target=target, iter=source, ifs=ifs, is_async=0)
        comp = gast.ListComp(elt=elt, generators=[gen])
        for node in gast.walk(comp):
            if hasattr(node, "lineno") or isinstance(node, gast.expr):
                gast.copy_location(node, e)
        return comp

    def _lift_partial(self, fname: str, value: gast.Call, out: list[gast.stmt]) -> None:
        """``g = functools.partial(f, a, k=b)`` -> a lifted ``def g(*args,
        **kwargs): return f(t1, *args, k=t2, **kwargs)``, where ``t1``, ``t2``
        hold ``a`` and ``b`` as they are where the partial is made."""
        func = value.args[0]
        if not isinstance(func, (gast.Name, gast.Attribute)) or any(
            isinstance(a, gast.Starred) for a in value.args
        ) or any(k.arg is None for k in value.keywords):
            raise self.refuse(value, "this functools.partial", "make a partial of a named function, with the "
                              "fixed arguments one by one")
        held: list[gast.expr] = []
        for a in [*value.args[1:], *(k.value for k in value.keywords)]:
            atom = self.atom(a, out)
            if isinstance(atom, gast.Name):  # kept as it is now: the partial does not see a later rebinding
                t = self.namer.claim(f"{fname}_arg")
                self.locals.add(t)
                out.append(gast.copy_location(assign(t, atom), value))
                atom = name(t)
            held.append(atom)
        n = len(value.args) - 1
        rest, more = self.namer.claim("args"), self.namer.claim("kwargs")
        call = gast.Call(
            func=copy.deepcopy(func),
            args=[*held[:n], gast.Starred(value=name(rest), ctx=gast.Load())],
            keywords=[gast.keyword(arg=k.arg, value=h) for k, h in zip(value.keywords, held[n:])]
            + [gast.keyword(arg=None, value=name(more))],
        )
        ret = gast.Return(value=call)
        args = gast.arguments(args=[], posonlyargs=[], vararg=name(rest, gast.Param), kwonlyargs=[], kw_defaults=[],
                              kwarg=name(more, gast.Param), defaults=[])
        fdef = gast.FunctionDef(name=fname, args=args, body=[ret], decorator_list=[], returns=None, type_comment=None,
                                type_params=[])
        for node in gast.walk(fdef):
            if isinstance(node, (gast.stmt, gast.expr)):
                gast.copy_location(node, value)
        self.lift(fdef, out)

    def _lift_lambda(self, lam: gast.Lambda, out: list[gast.stmt]) -> gast.Name:
        """Lift a lambda to a fresh name, as ``f = lambda ...`` is."""
        fname = self.namer.claim("lam")
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        fdef = gast.FunctionDef(
            name=fname, args=lam.args, body=[ret], decorator_list=[], returns=None, type_comment=None,
            type_params=[],
        )
        self.lift(gast.copy_location(fdef, lam), out)
        return name(fname)

    def call(self, e: gast.Call, out: list[gast.stmt]) -> gast.Call:
        for k in e.keywords:
            if k.arg is None:  # (a function's own **kw passed on is expanded by frontend.varargs)
                raise self.refuse(
                    k.value, "a call with **d (a dict of keyword arguments)",
                    "pass the keyword arguments one by one (f(a=..., b=...))",
                )
        func = e.func
        if isinstance(func, gast.Attribute) and not self._global_chain(func):
            func = gast.Attribute(value=self.atom(func.value, out), attr=func.attr, ctx=gast.Load())
        elif isinstance(func, gast.Name) and func.id not in self.locals:
            func = name(func.id)
        elif not self._global_chain(func):
            func = self.atom(func, out)
        args = [  # f(*xs): expanded once the length of xs is known (pipeline.expand_starred)
            gast.copy_location(gast.Starred(value=self.atom(a.value, out), ctx=gast.Load()), a)
            if isinstance(a, gast.Starred)
            else self._arg(a, out)
            for a in e.args
        ]
        kws = [gast.keyword(arg=k.arg, value=self._arg(k.value, out)) for k in e.keywords]
        if isinstance(func, gast.Name) and func.id in self.lifted:
            kws += [gast.keyword(arg=p, value=name(v)) for p, v in self._extra_keywords(func.id, e)]
        return gast.Call(func=func, args=args, keywords=kws)

    def _arg(self, a: gast.expr, out: list[gast.stmt]) -> gast.expr:
        """A call argument: an atom, or one level of list/tuple of atoms (a
        nested list becomes a named list, so every item is an atom). A lambda
        is lifted to a name, like ``f = lambda ...``; a lifted function passed
        as a value must not read the enclosing function's variables (the
        callee would call it without them)."""
        if isinstance(a, (gast.List, gast.Tuple)):
            return type(a)(elts=[self.atom(x, out) for x in a.elts], ctx=gast.Load())
        if isinstance(a, gast.Lambda):
            lifted = self._lift_lambda(a, out)
            self._refuse_capturing(lifted.id, a, "a lambda passed as an argument")
            return lifted
        if isinstance(a, gast.Name) and a.id in self.lifted:
            self._refuse_capturing(a.id, a, f"the nested function {a.id} passed as an argument")
        return self.atom(a, out)

    def _refuse_capturing(self, fname: str, node: gast.AST, what: str) -> None:
        _fdef, free = self.lifted[fname]
        reads = free + [v for _p, v in self.lifted_defaults.get(fname, [])]
        if reads:
            raise self.refuse(
                node, f"{what} that reads the enclosing function's variable `{reads[0]}`",
                f"pass `{reads[0]}` to the function passed as an argument explicitly (as one of its parameters), "
                "or define it at module level",
            )

    def expr_Attribute(self, e: gast.Attribute, out, into=None):
        return gast.Attribute(value=self.atom(e.value, out), attr=e.attr, ctx=gast.Load())

    def expr_Subscript(self, e: gast.Subscript, out, into=None):
        ctx = e.ctx if isinstance(e.ctx, KeyRead) else gast.Load()
        return gast.Subscript(value=self.atom(e.value, out), slice=self.index(e.slice, out), ctx=ctx)

    def expr_Dict(self, e: gast.Dict, out, into=None):
        """``{"W": W, "b": b}``: keys must be constants (strings or ints) known
        at transform time; ``{**d, "k": v}`` may unpack one dict, first."""
        keys: list[gast.expr | None] = []
        for i, k in enumerate(e.keys):
            if k is None:
                if i != 0:
                    raise self.refuse(e.values[i], "a dict literal unpacking a dict (**) after its first entry",
                                      "put the unpacked dict first: {**d, 'k': v}")
                keys.append(None)
            elif isinstance(k, gast.Constant) and type(k.value) in (str, int):
                keys.append(const(k.value))
            else:
                raise self.refuse(k, "a dict key that is not a constant string or int",
                                  "use constant keys ({'W': W}); s2sad must know the keys when it transforms")
        return gast.Dict(keys=keys, values=[self.atom(v, out) for v in e.values])

    def dict_call(self, e: gast.Call, out: list[gast.stmt]) -> gast.Dict:
        """``dict(W=W, b=b)`` is the literal ``{"W": W, "b": b}``, and
        ``dict(d, k=v)`` (a copy of the dict ``d``) is ``{**d, "k": v}``."""
        if len(e.args) > 1 or any(not isinstance(a, (gast.Name, gast.Dict)) for a in e.args):
            raise self.refuse(e, "dict(...) of anything but keywords and one dict",
                              "write a dict literal {'W': W, 'b': b}, or dict(d, k=v) for a copy of the dict d")
        keys: list[gast.expr | None] = [None] * len(e.args) + [const(k.arg) for k in e.keywords]
        values = list(e.args) + [k.value for k in e.keywords]
        return self.expr_Dict(gast.Dict(keys=keys, values=values), out)

    def index(self, idx: gast.expr, out: list[gast.stmt]) -> gast.expr:
        if isinstance(idx, gast.Slice):
            parts = [None if p is None else self.atom(p, out) for p in (idx.lower, idx.upper, idx.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(idx, gast.Tuple):
            return gast.Tuple(elts=[self.index(x, out) for x in idx.elts], ctx=gast.Load())
        return self.atom(idx, out)

    def expr_ListComp(self, e: gast.ListComp, out, into=None):
        """``[elt for x in xs if c]`` -> a list built by a loop with ``append``.
        The comprehension's own names get fresh names: they do not leak."""
        result = self.namer.temp("items")
        self.locals.add(result)
        out.append(gast.copy_location(assign(result, gast.List(elts=[], ctx=gast.Load())), e))
        elt = copy.deepcopy(e.elt)
        gens = copy.deepcopy(e.generators)
        for gen in gens:
            if getattr(gen, "is_async", 0):
                raise self.refuse(e, "an async comprehension", _DEFAULT_HINT)
            for target in [n for n in gast.walk(gen.target) if isinstance(n, gast.Name)]:
                fresh = self.namer.version(target.id)
                self.locals.add(fresh)
                _rename_within([elt, *gens[gens.index(gen):]], target.id, fresh, skip_iter_of=gen)
        append = gast.Attribute(value=name(result), attr="append", ctx=gast.Load())
        inner: list[gast.stmt] = [gast.Expr(value=gast.Call(func=append, args=[elt], keywords=[]))]
        for gen in reversed(gens):
            for cond in reversed(gen.ifs):
                inner = [gast.copy_location(gast.If(test=cond, body=inner, orelse=[]), e)]
            inner = [gast.copy_location(gast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[],
                                                 type_comment=None), e)]
        for stmt in inner:
            _locate(stmt, e)
            self.stmt(stmt, out)
        return name(result)

    expr_GeneratorExp = expr_ListComp  # consumed at once by sum(...), np.stack(...)...

    def expr_Tuple(self, e: gast.Tuple, out, into=None):
        return gast.Tuple(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())

    def expr_List(self, e: gast.List, out, into=None):
        return gast.List(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())


_DEFAULT_HINT = "rewrite it with the constructs listed in s2sad's README (What it differentiates)"
_HINTS = {
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
_EXPR_WHAT = {
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
_EXPR_HINTS = {
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


def _expr_hint(e: gast.expr) -> str:
    return _EXPR_HINTS.get(type(e).__name__, _DEFAULT_HINT)


def _foreign_write(tgt: gast.Subscript, local: set[str]) -> tuple[str, str]:
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


_OPS = {
    gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**", gast.MatMult: "@", gast.Mod: "%",
    gast.FloorDiv: "//", gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>",
}  # fmt: skip


# builtins returning iterators s2sad does not read as sequences
_ITERATORS = frozenset({"iter", "enumerate", "zip", "reversed", "range"})


def dotted(node: gast.expr) -> str:
    """``np.linalg.norm`` for a chain of attributes on a name (else "")."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        base = dotted(node.value)
        return base and f"{base}.{node.attr}"
    return ""


def _is_partial(value: gast.expr) -> bool:
    """``functools.partial(f, ...)`` (or ``partial(f, ...)``), by its spelling."""
    return (isinstance(value, gast.Call) and dotted(value.func) in ("functools.partial", "partial")
            and len(value.args) >= 1)


def _rename_within(nodes: list[gast.AST], old: str, new: str, skip_iter_of: gast.comprehension) -> None:
    """Rename ``old`` in a comprehension, except in the iterable of the
    generator that binds it (evaluated before the name exists)."""
    for node in nodes:
        parts = [node]
        if node is skip_iter_of:
            parts = [node.target, *node.ifs]
        for part in parts:
            for sub in gast.walk(part):
                if isinstance(sub, gast.Name) and sub.id == old:
                    sub.id = new


def _lifted_names(fn: gast.FunctionDef) -> set[str]:
    """Names bound (once) to a nested def or a lambda: they are lifted, not locals."""
    out: set[str] = set()
    counts: dict[str, int] = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    for node in gast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, gast.FunctionDef):
            out.add(node.name)
        elif isinstance(node, gast.Assign) and (isinstance(node.value, gast.Lambda) or _is_partial(node.value)):
            tgt = node.targets[0]
            if isinstance(tgt, gast.Name) and counts.get(tgt.id) == 1:
                out.add(tgt.id)
    return out


def _contains(node: gast.AST, kind: type) -> bool:
    """Does ``node`` hold a ``kind`` statement that belongs to the enclosing loop?"""
    return _contains_own([node], kind)


def _contains_own(stmts: list[gast.stmt], kind: type) -> bool:
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, gast.If) and (_contains_own(s.body, kind) or _contains_own(s.orelse, kind)):
            return True
    return False


def _has_early_return(stmts: list[gast.stmt], top: bool = True) -> bool:
    """Is there a ``return`` anywhere but as the last top-level statement?"""
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Return):
            if not (top and i == len(stmts) - 1):
                return True
        elif isinstance(s, (gast.If, gast.For, gast.While)):
            inner = list(s.body) + list(s.orelse)
            if _has_early_return(inner, top=False):
                return True
    return False


def _locate(node: gast.AST, src: gast.AST) -> None:
    for sub in gast.walk(node):
        if isinstance(sub, (gast.stmt, gast.expr)) and getattr(sub, "lineno", None) is None:
            gast.copy_location(sub, src)


def normalize(fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>") -> gast.FunctionDef:
    """Return the core (ANF) form of ``fn``; see the module docstring."""
    return Normalizer(fn, namer, filename).run()


def normalize_lifting(fn: gast.FunctionDef, namer: Namer, filename: str = "<unknown>") -> Normalizer:
    """Normalize ``fn`` and return the normalizer, which holds the core
    (``.core``), the nested functions and lambdas lifted out of ``fn`` (each
    with the enclosing names it takes as keywords, ``.lifted``) and the
    augmented assignments to names (``.updates``)."""
    normalizer = Normalizer(fn, namer, filename)
    normalizer.core = normalizer.run()
    return normalizer
