"""The public API: ``grad``, ``value_and_grad``, ``vjp``, ``source``.

Each returns a function that, when called, specialises the derivative to
the kinds of its arguments (Python float, ndarray...), builds it once per
kind signature and caches it.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .analysis.statics import is_function_value
from .arguments import Wrt, assumed_kinds, bind, check_kinds, check_wrt_value, param_names, resolve_wrt, shape_like
from .codegen.derivative import Derivative
from .codegen.floats import EntrySpec
from .errors import ArgumentError, OutputError, S2SADError, public, trim
from .higher import Higher, nest
from .ir.kinds import (
    SCALAR,
    as_kinds,
    is_container,
    ndim,
)
from .lazy import check_lazy_argument, has_lazy, is_lazy, like_lazy, no_compute
from .pipeline import build_forward, build_reverse, kind_of_value
from .specialize import derivative


def _selector(fn: Callable[..., Any]) -> str:
    """``lambda x, y=2.0: f(x, y)[0]``: a function s2sad differentiates that
    picks the first of ``fn``'s values (a ``lambda *a`` is refused: *args)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return f"lambda x: {fn.__name__}(x)[0]"
    passed = [
        f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name
        for p in sig.parameters.values()
    ]
    head = str(sig)[1:-1].replace("/, ", "").replace(", /", "")
    return f"lambda {head}: {fn.__name__}({', '.join(passed)})[0]"


def _check_lazy(arguments: dict[str, Any]) -> None:
    """Refuse dask arguments (also inside lists and tuples) s2sad cannot run on."""
    for name, value in arguments.items():
        if is_lazy(value):
            check_lazy_argument(name, value)
        elif isinstance(value, (list, tuple)):
            _check_lazy({f"{name}[{k}]": v for k, v in enumerate(value)})


def _note_source_line(exc: BaseException, d: Derivative) -> None:
    """Tell which user line the generated line that raised comes from."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == d.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    user = d.user_line(line) if line is not None else None
    if user is not None and hasattr(exc, "add_note"):
        exc.add_note(f"s2sad: in the generated derivative {d.name}, line {line} comes from {d.user_file}:{user}")


def _type_key(value: Any) -> Any:
    """What the derivative is specialised to: the type, and an array's ndim, dtype and broadcast
    pattern (which dims are 1: the code is specialised to it, ir.kinds)."""
    if isinstance(value, np.ndarray):
        shape = value.shape
        return (value.ndim, value.dtype.char) if 1 not in shape else (value.dtype.char, tuple(n == 1 for n in shape))
    if isinstance(value, (tuple, list, dict)):  # the code is specialised to the kinds of the items (and keys)
        return (value.__class__, kind_of_value(value))
    if is_function_value(value):  # ... and to a function passed as a value, by identity
        return ("fn", value)
    if hasattr(value, "__dict__"):  # an object: its class, and whether s2sad follows its methods
        return (value.__class__, kind_of_value(value))
    return value.__class__


_PLAIN = frozenset({float, int, bool, np.float64, np.float32})  # no shape to tell apart
_PYTHON_NUMBERS = frozenset({float, int, bool})
_ARRAYS_AND_PLAIN = _PLAIN | {np.ndarray}  # arguments whose _type_key is cheap and says all the code assumes  # what the float variant of generated code is called with


def _signature_key(args: tuple) -> tuple:
    """The cache key of a call: the arguments' types (for arrays, ndim and dtype)."""
    types = tuple(map(type, args))
    if _PLAIN.issuperset(types):
        return types
    return tuple(map(_type_key, args))


def _types(args: tuple) -> Any:
    """The fast path's key: the arguments' types (written out for one and two
    arguments, the common cases, where ``tuple(map(type, args))`` costs more)."""
    n = len(args)
    if n == 1:
        return args[0].__class__
    if n == 2:
        return (args[0].__class__, args[1].__class__)
    return tuple(map(type, args))


def _never() -> bool:
    return False


def _gradients_like(positions: tuple[int, ...], types: tuple[type, ...], single: bool) -> Callable[[Any, tuple], Any]:
    """``post(grads, args)``: the gradients in the arguments' types (:func:`shape_like`),
    decided once for these argument types: a float's is ``float(g)``, a NumPy
    scalar's is ``g``, anything else's goes through :func:`shape_like`."""
    if all(types[p] is float for p in positions):
        if single:
            return lambda g, a: float(g)
        if len(positions) == 1:
            return lambda g, a: (float(g),)
        if len(positions) == 2:
            return lambda g, a: (float(g[0]), float(g[1]))
        return lambda g, a: tuple(map(float, g))
    if single or len(positions) == 1:
        p = positions[0]
        one: Callable[[Any, tuple], Any] = (
            (lambda g, a: g) if types[p] in _PLAIN
            else (lambda g, a: _array_like(g, a[p])) if types[p] is np.ndarray
            else (lambda g, a: shape_like(g, a[p]))
        )
        return one if single else (lambda g, a: (one(g, a),))
    picked = operator.itemgetter(*positions)
    like = _array_like if all(types[p] is np.ndarray for p in positions) else shape_like
    return lambda g, a: tuple(map(like, g, picked(a)))


def _array_like(g: Any, x: Any) -> Any:
    """:func:`shape_like` for an array argument ``x``, short where ``g`` is already an array like it."""
    if g.__class__ is np.ndarray and g.shape == x.shape and g.dtype == x.dtype:
        return g
    return shape_like(g, x)


def _shape_like_lazy(g: Any, x: Any) -> Any:
    """:func:`shape_like` for a call with dask arguments: an adjoint that
    depends on dask data stays lazy (a 0-d dask array for a float argument),
    and a dask argument's adjoint is a dask array in its chunks."""
    if isinstance(x, (tuple, list)):
        return type(x)(map(_shape_like_lazy, g, x))
    if is_lazy(x) or is_lazy(g):
        return like_lazy(g, x)
    return shape_like(g, x)


class _Derived:
    """A derivative of ``fn``; also exposes its generated ``source``."""

    gradient_only = False  # ask for the adjoints-only form (grad)
    with_value: bool | None = None  # grad (False) and value_and_grad (True) return (value, gradients)?

    def __init__(
        self, fn: Callable[..., Any], wrt: Wrt, mode: str, check_finite: bool = False, has_aux: bool = False
    ):
        self.fn = fn
        self.check_finite = check_finite
        self.has_aux = has_aux
        self.wrt, self.single = resolve_wrt(fn, wrt)
        self.mode = mode
        params = param_names(fn)
        self._positions = tuple(params.index(w) for w in self.wrt)
        signature = inspect.signature(fn)
        self._nparams = len(signature.parameters)
        # a call that leaves trailing arguments to their defaults may take the fast path too, when
        # the defaults are the function's own (checked per call) and plain numbers
        self._plain = inspect.isfunction(fn) and all(
            p.kind is p.POSITIONAL_OR_KEYWORD for p in signature.parameters.values()
        )
        self._required = sum(p.default is p.empty for p in signature.parameters.values())
        # per call signature (the arguments' types; for arrays also ndim and dtype), what a call runs,
        # decided when it was first seen: (function, validity check, gradients' post-processing,
        # derivative, the defaults tuple it assumed or None); see _entry
        self._fast: dict[tuple, tuple] = {}  # keyed by the types, when they are _PLAIN
        self._fast_full: dict[tuple, tuple] = {}  # keyed by _signature_key otherwise
        # grad and value_and_grad: per key of _fast, the function a call runs, arguments to result
        # (see _install); none with has_aux
        self._runs: dict[Any, Callable[..., Any]] = {}
        # per number of arguments (0 to 3), the float entry made last, and its key: tried first, it tests
        # the arguments' types itself and hands a call of other types to _dispatch
        self._hot: list[Callable[..., Any] | None] = [None] * 4
        self._hot_keys: list[Any] = [None] * 4
        picked = operator.itemgetter(*self._positions)
        self._pick = (lambda a: (picked(a),)) if len(self._positions) == 1 else picked
        functools.update_wrapper(self, fn)

    def _hit(self, args: tuple) -> tuple | None:
        """The entry of a call with these positional arguments (and no keywords), if one was made."""
        e = self._fast.get(_types(args))
        if e is None and not _PLAIN.issuperset(map(type, args)):
            e = self._fast_full.get(tuple(map(_type_key, args)))
        if e is not None and (e[4] is None or self.fn.__defaults__ is e[4]):
            return e
        return None

    def _entry(self, args: tuple, d: Derivative) -> tuple | None:
        """What a call with arguments of these types runs from now on (while
        ``d`` is valid): decided once, so that a call does no binding, no kind
        inference and no type tests but the ones its result needs."""
        n = len(args)
        defaults = None
        used: tuple = ()
        if n != self._nparams:
            if not self._plain or not self._required <= n < self._nparams:
                return None
            own = self.fn.__defaults__ or ()
            used = own[len(own) - (self._nparams - n) :]
            generated = (d.fn.__defaults__ or ())[: len(own)]
            if (
                any(p >= n for p in self._positions)
                or any(type(v) not in _PLAIN for v in used)
                or len(generated) != len(own)
                or any(type(a) is not type(b) or a != b for a, b in zip(own, generated))
            ):
                return None
            defaults = self.fn.__defaults__
        types = tuple(map(type, args))
        fn = d.fn
        if _PYTHON_NUMBERS.issuperset(types) and _PYTHON_NUMBERS.issuperset(map(type, used)):
            fn = self._float_upgrade(args, d, (*types, *map(type, used)), defaults)
        if is_container(d.output_kind) or ndim(d.output_kind):  # grad refuses it: the slow path says why
            return (fn, _never, None, d, defaults)
        return (fn, d.validity(), _gradients_like(self._positions, types, self.single), d, defaults)

    def _float_upgrade(
        self, args: tuple, d: Derivative, types: tuple[type, ...], defaults: tuple | None
    ) -> Callable[..., Any]:
        """Calls of these argument types (Python numbers) run ``d``'s float
        variant, built when the second call comes (not on the first: a gradient
        called once does not pay for it); grad and value_and_grad run its
        float entry (:meth:`_float_run`)."""
        key = _types(args)

        def second_call(*call_args: Any) -> Any:
            variant = d.float_variant()
            e = self._fast.get(key)
            run = variant[0] if variant is not None else d.fn
            if e is not None and e[3] is d:
                e = self._fast[key] = (run, *e[1:])
                if key in self._runs:
                    made = self._float_run(e, types, len(args))
                    self._runs[key] = made or self._runner(e)
                    if made is not None and len(args) < 4:
                        self._hot[len(args)], self._hot_keys[len(args)] = made, key
            return run(*call_args)

        return second_call

    def _install(self, key: Any, e: tuple, n: int) -> None:
        """Make ``e`` the entry of calls of ``n`` arguments whose _fast key is ``key``."""
        self._fast[key] = e
        if self.with_value is not None and not self.has_aux:
            if n < 4 and self._hot_keys[n] == key:
                self._hot[n] = self._hot_keys[n] = None
            if e[1] is _never:
                self._runs.pop(key, None)
            else:
                self._runs[key] = self._runner(e)

    def _install_arrays(self, full: tuple, e: tuple, args: tuple) -> None:
        """Calls with NumPy arrays (and plain numbers) of these types run ``e``
        while their ndim, dtype and broadcast pattern are ``full``'s (one such
        signature per tuple of types; any other goes the general path)."""
        if self.with_value is None or self.has_aux or e[1] is _never:
            return
        run, general = self._runner(e), self._call
        if len(args) == 1:
            (key,) = full

            def guarded(x: Any) -> Any:
                return run(x) if _type_key(x) == key else general((x,), {})
        else:

            def guarded(*call_args: Any) -> Any:
                return run(*call_args) if tuple(map(_type_key, call_args)) == full else general(call_args, {})

        self._runs[_types(args)] = guarded

    def _dispatch(self, *args: Any) -> Any:
        """A call (no keywords) that the float entry tried first is not of its argument types."""
        run = self._runs.get(_types(args))
        if run is not None:
            return run(*args)
        return self._call(args, {})

    def _call(self, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError  # grad's and value_and_grad's general path

    def _runner(self, e: tuple) -> Callable[..., Any]:
        """The function a call of entry ``e``'s argument types runs: the
        entry's checks, its code, the gradients in the arguments' types; the
        general path (:meth:`_call`) when a check fails."""
        code, check, post, d, defaults = e
        fn, general, with_value, gradient_only = self.fn, self._call, self.with_value, d.gradient_only

        def run(*args: Any) -> Any:
            if check() and (defaults is None or fn.__defaults__ is defaults):
                try:
                    out = code(*args)
                except Exception as exc:
                    _note_source_line(exc, d)
                    raise
                if gradient_only:  # the build proved the output 0-d: the code returns the gradients
                    return post(out, args)
                value, g = out
                if isinstance(value, float) or np.ndim(value) == 0:
                    return (value, post(g, args)) if with_value else post(g, args)
            return general(args, {})

        return run

    def _float_run(self, e: tuple, types: tuple[type, ...], passed: int) -> Callable[..., Any] | None:
        """The float entry of ``e``'s argument types (Python numbers): one
        generated function that checks, computes and returns what the call
        returns (:func:`s2sad.codegen.floats.float_entry`), falling back to
        the entry's NumPy code; None when not built."""
        d = e[3]
        spec = EntrySpec(
            types, passed, self._positions, self.single, bool(self.with_value), d.seed, d.gradient_only,
            guards=tuple(d.all_guards()), defaults=None if e[4] is None else (self.fn, e[4]),
            fallback=self._runner((d.fn, *e[1:])), dispatch=self._dispatch,
        )  # fmt: skip
        made = d.float_entry(spec)
        return made[0] if made is not None else None

    def _lookup(self, args: tuple, kwargs: dict) -> tuple[Derivative, tuple, dict, tuple, bool]:
        """The derivative for these arguments, the call's positional and
        keyword arguments, the wrt values, and whether any argument is a
        dask array (then the call must not compute: :func:`no_compute`)."""
        if not kwargs:
            e = self._hit(args)
            if e is not None and e[3].valid():
                return e[3], args, kwargs, self._pick(args), False
        bound = bind(self.fn, args, kwargs)
        for w in self.wrt:
            check_wrt_value(self.fn.__name__, w, bound.arguments[w])
        lazy = has_lazy(bound.arguments.values())
        if lazy:
            _check_lazy(bound.arguments)
        d = derivative(
            self.fn, self.wrt, bound, self.mode, self.check_finite, self.has_aux,
            gradient_only=self.gradient_only and not self.has_aux,
        )  # fmt: skip
        if not kwargs and not lazy:  # dask calls take the guarded path
            e = self._entry(args, d)
            if e is not None:
                if _PLAIN.issuperset(map(type, args)):  # then _types(args) is the key _float_upgrade uses
                    self._install(_types(args), e, len(args))
                else:
                    full = tuple(map(_type_key, args))
                    self._fast_full[full] = e
                    if _ARRAYS_AND_PLAIN.issuperset(map(type, args)):
                        self._install_arrays(full, e, args)
        return d, tuple(bound.args), bound.kwargs, tuple(bound.arguments[w] for w in self.wrt), lazy

    def _run(self, args: tuple, kwargs: dict, seed: Any = None) -> tuple[Any, Any]:
        d, call_args, call_kwargs, wrt_values, lazy = self._lookup(args, kwargs)
        lazy = lazy or (seed is not None and has_lazy((seed,)))
        if seed is None and is_container(d.output_kind):
            raise OutputError(
                f"{self.fn.__name__} returns several values; grad needs one scalar output",
                hint=f"select one: s2sad.grad({_selector(self.fn)}), or use s2sad.vjp "
                "with one output adjoint per value",
            )
        if seed is None and not self.has_aux and (ndim(d.output_kind) or 0) > 0:
            # the code is specialised to the output's shape: refuse before it runs on a float seed
            raise OutputError(
                f"{self.fn.__name__} returns an array of {ndim(d.output_kind)} dimensions; grad needs a scalar output",
                hint="use s2sad.vjp (with an output adjoint) or s2sad.jacobian for non-scalar outputs",
            )
        if seed is not None:
            call_args = (*call_args, seed)
        try:
            if lazy:
                with no_compute():
                    out = d.fn(*call_args, **call_kwargs)
            else:
                out = d.fn(*call_args, **call_kwargs)
        except Exception as exc:
            _note_source_line(exc, d)
            raise
        # the adjoints-only form: the build proved the value 0-d, so it is not computed or checked
        value, grads = (None, out) if d.gradient_only else out
        if self.has_aux:
            if not (isinstance(value, (tuple, list)) and len(value) == 2):
                raise OutputError(
                    f"{self.fn.__name__} is differentiated with has_aux=True, so it must return a pair "
                    f"(loss, aux); it returned {type(value).__name__}"
                    + (f" of {len(value)} values" if isinstance(value, (tuple, list)) else ""),
                    hint="return loss, aux",
                )
            loss = value[0]
            if not isinstance(loss, float) and np.ndim(loss) != 0:
                raise OutputError(
                    f"{self.fn.__name__} returns a loss of shape {np.shape(loss)}; grad needs a scalar loss",
                    hint="return a scalar loss as the pair's first item",
                )
            value = tuple(value)
        elif seed is None and not d.gradient_only and not isinstance(value, float) and np.ndim(value) != 0:
            raise OutputError(
                f"{self.fn.__name__} returns a value of shape {np.shape(value)}; grad needs a scalar output",
                hint="use s2sad.vjp (with an output adjoint) or s2sad.jacobian for non-scalar outputs",
            )
        typed = _shape_like_lazy if lazy else shape_like
        if len(wrt_values) == 1:
            g = typed(grads, wrt_values[0])
            return value, g if self.single else (g,)
        return value, tuple(map(typed, grads, wrt_values))

    @public
    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated source, specialised to these example arguments
        (or to float arguments when none are given)."""
        only = self.gradient_only and not self.has_aux  # the form a call runs
        if not args and not kwargs:
            return source(self.fn, wrt=self.wrt if not self.single else self.wrt[0], gradient_only=only)
        bound = bind(self.fn, args, kwargs)
        return derivative(
            self.fn, self.wrt, bound, self.mode, self.check_finite, self.has_aux, gradient_only=only
        ).full_source()


class _Called(_Derived):
    """What grad and value_and_grad share: the call."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the boundary of the public API, written out rather than @public: this
        # call is the hot path, and a try costs nothing until something raises
        try:
            if not kwargs:  # the common case, kept short: positional arguments of types seen before
                n = len(args)
                run = self._hot[n] if n < 4 else None  # a float entry: it tests the types itself
                if run is None:  # the key is _types(args), written out: this saves a call
                    run = self._runs.get(
                        args[0].__class__ if n == 1 else (
                            (args[0].__class__, args[1].__class__) if n == 2 else tuple(map(type, args))
                        )
                    )  # fmt: skip
                if run is not None:
                    return run(*args)
            return self._call(args, kwargs)
        except S2SADError as exc:
            trim(exc)
            raise


class _Grad(_Called):
    gradient_only = True
    with_value = False

    def _call(self, args: tuple, kwargs: dict) -> Any:
        """A call that has no run (:meth:`_install`) or whose run's checks failed."""
        if not kwargs and not self.has_aux:
            e = self._hit(args)  # arrays: their ndim, dtype and broadcast pattern too
            if e is not None and e[1]():
                try:
                    out = e[0](*args)
                except Exception as exc:
                    _note_source_line(exc, e[3])
                    raise
                if e[3].gradient_only:  # the build proved the output 0-d: the code returns the gradients
                    return e[2](out, args)
                value, g = out
                if isinstance(value, float) or np.ndim(value) == 0:
                    return e[2](g, args)
        if self.has_aux:  # (gradient, aux), JAX's convention
            (_, aux), g = self._run(args, kwargs)
            return g, aux
        return self._run(args, kwargs)[1]


class _ValueAndGrad(_Called):
    with_value = True

    def _call(self, args: tuple, kwargs: dict) -> Any:
        if not kwargs and not self.has_aux:
            e = self._hit(args)
            if e is not None and e[1]():
                try:
                    value, g = e[0](*args)
                except Exception as exc:
                    _note_source_line(exc, e[3])
                    raise
                if isinstance(value, float) or np.ndim(value) == 0:
                    return value, e[2](g, args)
        return self._run(args, kwargs)


@public
def grad(
    fn: Callable[..., Any] | None = None, wrt: Wrt = 0, check_finite: bool = False, has_aux: bool = False
) -> Any:
    """The gradient of a scalar function, as generated Python code.

    ``wrt`` names the arguments by position or name; one gives one gradient,
    a tuple gives a tuple. Works as ``grad(f)``, ``@grad`` and ``@grad(wrt=...)``.
    ``check_finite=True`` makes the generated code stop at the first
    non-finite adjoint and name the source line it comes from. An argument
    may be a pytree (dicts, lists, tuples, namedtuples of floats and arrays):
    its gradient has the same structure. With ``has_aux=True``, ``fn``
    returns ``(loss, aux)``; the gradient is the loss's and ``grad`` returns
    ``(gradient, aux)``, aux untouched.

    >>> import numpy as np, s2sad
    >>> def f(x1, x2):
    ...     return np.log(x1) + x1 * x2 - np.sin(x2)
    >>> s2sad.grad(f)(2.0, 5.0)
    5.5

    ``grad`` of a gradient differentiates the generated code again (forward
    mode over it), to any order: ``s2sad.grad(s2sad.grad(f))``.
    """
    if fn is None:
        return public(lambda f: grad(f, wrt, check_finite, has_aux))
    if isinstance(fn, (_Grad, Higher)):
        if has_aux:
            raise ArgumentError("has_aux=True is for the first derivative of a function returning (loss, aux)")
        return nest(fn, wrt)  # forward mode over the generated derivative
    return _Grad(fn, wrt, "grad", check_finite, has_aux)


@public
def value_and_grad(
    fn: Callable[..., Any] | None = None, wrt: Wrt = 0, check_finite: bool = False, has_aux: bool = False
) -> Any:
    """Like :func:`grad`, but returns ``(value, gradient)`` from one sweep;
    with ``has_aux=True``, ``((loss, aux), gradient)``.

    >>> import numpy as np, s2sad
    >>> def f(x):
    ...     y = np.sin(x)
    ...     return y * y, {"y": y}
    >>> (loss, aux), g = s2sad.value_and_grad(f, has_aux=True)(0.5)
    >>> bool(np.isclose(g, np.sin(1.0))), sorted(aux)
    (True, ['y'])
    """
    if fn is None:
        return public(lambda f: _ValueAndGrad(f, wrt, "grad", check_finite, has_aux))
    return _ValueAndGrad(fn, wrt, "grad", check_finite, has_aux)


@public
def vjp(fn: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """Vector-Jacobian product: ``vjp(f)(*args, out_bar) -> (value, adjoints)``.

    For functions with non-scalar outputs; ``out_bar`` has the output's shape.
    """
    derived = _Derived(fn, wrt, "vjp")

    @public
    def run(*args: Any) -> Any:
        if not args:
            raise ArgumentError("vjp(f) is called with f's arguments followed by the output adjoint")
        value, adjoints = derived._run(args[:-1], {}, seed=args[-1])
        _check_seed_shape(value, args[-1])
        return value, adjoints

    run.wrt = derived.wrt  # type: ignore[attr-defined]
    return run


def _check_seed_shape(value: Any, seed: Any) -> None:
    """An output adjoint of another shape than the value would broadcast
    silently into a wrong product: refuse it."""
    if isinstance(value, (list, tuple)):
        if not (isinstance(seed, (list, tuple)) and len(value) == len(seed)):
            raise ArgumentError(
                f"the output adjoint must have the output's structure: the function returned a {type(value).__name__}"
                f" of {len(value)} values, the adjoint is {type(seed).__name__}"
            )
        for v, s in zip(value, seed):
            _check_seed_shape(v, s)
        return
    if np.shape(value) != np.shape(seed):
        raise ArgumentError(
            f"the output adjoint has shape {np.shape(seed)}, but the function's output has shape {np.shape(value)}"
        )


@public
def source(
    fn: Callable[..., Any],
    wrt: Wrt = 0,
    kinds: dict[str, str | None] | None = None,
    mode: str = "reverse",
    order: int = 1,
    gradient_only: bool = False,
) -> str:
    """The generated derivative source of ``fn``.

    ``mode="reverse"`` gives the gradient (forward sweep + reverse sweep),
    ``mode="forward"`` the Jacobian-vector product (tangents ``v_dot`` in
    program order); ``order=2`` gives forward mode over the gradient (the
    Hessian-vector product). ``gradient_only=True`` gives the form
    ``grad`` runs, which returns the adjoints alone and computes only what
    they need (when the kinds prove the output 0-d; else the usual form).
    With no ``kinds``, arguments are taken as floats
    (annotations ``np.ndarray`` and array defaults make them arrays); ``kinds``
    maps an argument name to ``"scalar"``, ``"array"`` or ``None`` (unknown).

    >>> import numpy as np, s2sad
    >>> def f(x):
    ...     return np.sin(x) * x
    >>> print(s2sad.source(f, mode="forward"), end="")
    def f_jvp(x, x_dot):
        t1 = np.sin(x)
        t1_dot = x_dot * np.cos(x)
        y = t1 * x
        y_dot = t1_dot * x + t1 * x_dot
        return y, y_dot
    """
    names, _ = resolve_wrt(fn, wrt)
    check_kinds(fn, kinds or {})
    assumed = assumed_kinds(fn)
    assumed.update(as_kinds(kinds or {}))
    if mode not in ("reverse", "forward"):
        raise ArgumentError(f"mode={mode!r}: use 'reverse' or 'forward'")
    if order == 1:
        if mode == "forward":
            return build_forward(fn, names, assumed).source
        return build_reverse(fn, names, assumed, gradient_only=gradient_only).full_source()
    if order == 2:
        gradient = build_reverse(fn, names, assumed)
        with_seed = dict(assumed)
        with_seed[gradient.seed] = SCALAR
        return gradient.full_source() + "\n" + build_forward(gradient, names, with_seed).source
    raise ArgumentError(f"order={order}: show prints first (1) and second (2) derivatives")
