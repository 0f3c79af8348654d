"""Lifting: nested functions, lambdas and partials become top-level functions.

Part of the one walk :class:`s2sad.frontend.anf.Normalizer` makes (the
passes share its namer and its order of fresh names, so they run
interleaved, statement by statement, rather than one after the other).

Input: a nested ``def``, a lambda bound to a name or passed as an argument,
or ``g = functools.partial(f, ...)``, inside the function being normalized.

Output guarantees: the nested function leaves the body and is recorded in
``lifted`` (name -> (def, enclosing names it reads)); those enclosing names
become keyword-only parameters, passed at every call with their current
value; a default that reads an enclosing name is computed where the ``def``
stands and passed by each call that leaves it out (``lifted_defaults``).
Refused: decorators, ``nonlocal``, recursion, a second definition of one
name, and a capturing function passed as a value.

>>> from s2sad.frontend.parse import parse_source
>>> from s2sad.frontend.normalize import normalize_lifting
>>> from s2sad.ir.core import unparse
>>> from s2sad.ir.naming import Namer
>>> fn = parse_source("def f(x, a):\\n    g = lambda v: v * a\\n    return g(x)").body[0]
>>> done = normalize_lifting(fn, Namer.for_function(fn))
>>> print(unparse(done.core).strip())
def f(x, a):
    y = g(x, a=a)
    return y
>>> print(unparse(done.lifted["g"][0]).strip())
def g(v, *, a):
    return v * a
"""

from __future__ import annotations

import gast

from ..errors import Location, UnsupportedSyntaxError
from ..ir.core import assign, clone, const, local_names, name, walk
from .fence import HINTS


class Lifting:
    """The normalizer's lifting. Needs of its host: ``namer``, ``locals``,
    ``nested``, ``lifted``, ``lifted_defaults``, ``filename``, ``refuse``,
    ``expr`` and ``atom``."""

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
        for node in walk(s):
            if isinstance(node, gast.Nonlocal):
                raise self.refuse(node, "`nonlocal` in a nested function", HINTS["Nonlocal"])
        inner = local_names(s)
        lifted = clone(s)
        free_set = (
            {
                n.id
                for st in lifted.body
                for n in walk(st)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            }
            - inner
            - {s.name}
        )
        free_set = {n for n in free_set if n in self.locals}
        for call in (n for st in lifted.body for n in walk(st) if isinstance(n, gast.Call)):
            callee = call.func.id if isinstance(call.func, gast.Name) and call.func.id not in inner else None
            if callee == s.name:
                raise UnsupportedSyntaxError(
                    f"s2sad cannot differentiate the recursive call to {s.name}",
                    Location(self.filename, call.lineno, call.col_offset or 0),
                    "rewrite the recursion as a loop",
                )
            if callee in self.nested and callee not in self.lifted:
                raise self.refuse(
                    call,
                    f"a call from {s.name} to the nested function {callee} defined after it (or a recursion)",
                    f"define {callee} before {s.name}, and without recursion",
                )
            if callee in self.lifted:
                for param, value in self.extra_keywords(callee, call):
                    if value in inner:
                        raise self.refuse(
                            call,
                            f"a call to {callee}, which reads {value}, from {s.name}, which has its own {value}",
                            f"rename {s.name}'s {value}",
                        )
                    call.keywords.append(gast.keyword(arg=param, value=name(value)))
                    free_set.add(value)
        defaults: list[tuple[str, str]] = []
        params = lifted.args.posonlyargs + lifted.args.args
        pairs = list(zip(params[len(params) - len(lifted.args.defaults) :], range(len(lifted.args.defaults))))
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

    def _default(
        self, value: gast.expr, param: str, defaults: list[tuple[str, str]], out: list[gast.stmt]
    ) -> gast.expr:
        """A parameter's default: kept if it reads no enclosing variable, else
        computed now into a fresh name (passed by each call) and None in the
        lifted def."""
        reads = {n.id for n in walk(value) if isinstance(n, gast.Name)}
        if not reads & self.locals:
            return value
        held = self.namer.temp()
        out.append(gast.copy_location(assign(held, self.expr(value, out)), value))
        defaults.append((param, held))
        return const(None)

    def extra_keywords(self, callee: str, call: gast.Call) -> list[tuple[str, str]]:
        """(parameter, value name) a call to a lifted function passes besides
        its own arguments: the enclosing variables the callee reads, and the
        defaults (evaluated at its def) of the parameters the call leaves out."""
        fdef, free = self.lifted[callee]
        extra = [(v, v) for v in free]
        positional = [a.id for a in fdef.args.posonlyargs + fdef.args.args]
        given = {k.arg for k in call.keywords} | set(positional[: len(call.args)])
        extra += [(p, v) for p, v in self.lifted_defaults.get(callee, []) if p not in given]
        return extra

    def refuse_capturing(self, fname: str, node: gast.AST, what: str) -> None:
        _fdef, free = self.lifted[fname]
        reads = free + [v for _p, v in self.lifted_defaults.get(fname, [])]
        if reads:
            raise self.refuse(
                node,
                f"{what} that reads the enclosing function's variable `{reads[0]}`",
                f"pass `{reads[0]}` to the function passed as an argument explicitly (as one of its parameters), "
                "or define it at module level",
            )

    def lift_partial(self, fname: str, value: gast.Call, out: list[gast.stmt]) -> None:
        """``g = functools.partial(f, a, k=b)`` -> a lifted ``def g(*args,
        **kwargs): return f(t1, *args, k=t2, **kwargs)``, where ``t1``, ``t2``
        hold ``a`` and ``b`` as they are where the partial is made."""
        func = value.args[0]
        if (
            not isinstance(func, (gast.Name, gast.Attribute))
            or any(isinstance(a, gast.Starred) for a in value.args)
            or any(k.arg is None for k in value.keywords)
        ):
            raise self.refuse(
                value,
                "this functools.partial",
                "make a partial of a named function, with the fixed arguments one by one",
            )
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
            func=clone(func),
            args=[*held[:n], gast.Starred(value=name(rest), ctx=gast.Load())],
            keywords=[gast.keyword(arg=k.arg, value=h) for k, h in zip(value.keywords, held[n:])]
            + [gast.keyword(arg=None, value=name(more))],
        )
        ret = gast.Return(value=call)
        args = gast.arguments(
            args=[],
            posonlyargs=[],
            vararg=name(rest, gast.Param),
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=name(more, gast.Param),
            defaults=[],
        )
        fdef = gast.FunctionDef(
            name=fname, args=args, body=[ret], decorator_list=[], returns=None, type_comment=None, type_params=[]
        )
        for node in walk(fdef):
            if isinstance(node, (gast.stmt, gast.expr)):
                gast.copy_location(node, value)
        self.lift(fdef, out)

    def lift_lambda(self, lam: gast.Lambda, out: list[gast.stmt]) -> gast.Name:
        """Lift a lambda to a fresh name, as ``f = lambda ...`` is."""
        fname = self.namer.claim("lam")
        ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
        fdef = gast.FunctionDef(
            name=fname,
            args=lam.args,
            body=[ret],
            decorator_list=[],
            returns=None,
            type_comment=None,
            type_params=[],
        )
        self.lift(gast.copy_location(fdef, lam), out)
        return name(fname)
