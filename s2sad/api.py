"""The public API: ``grad``, ``value_and_grad``, ``vjp``, ``source``.

Each returns a function that, when called, specialises the derivative to
the kinds of its arguments (Python float, ndarray...), builds it once per
kind signature and caches it.
"""

from __future__ import annotations

import functools
import inspect
import operator
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .analysis.statics import is_function_value
from .codegen.derivative import Derivative
from .errors import ArgumentError, OutputError, S2SADError, public, trim
from .frontend.varargs import flatten
from .lazy import check_lazy_argument, has_lazy, is_lazy, like_lazy, no_compute
from .pipeline import build_forward, build_reverse, kind_of_value
from .rules.table import is_container, list_item, tuple_items

Wrt = int | str | Sequence[int | str]

_lock = threading.RLock()
_cache: dict[tuple, Derivative] = {}


def _param_names(fn: Callable[..., Any]) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ArgumentError(f"cannot read the signature of {fn!r}") from None
    return [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _resolve_wrt(fn: Callable[..., Any], wrt: Wrt) -> tuple[tuple[str, ...], bool]:
    """Names of the ``wrt`` arguments, and whether one gradient (not a tuple) is asked."""
    params = _param_names(fn)
    single = isinstance(wrt, (int, str))
    items = [wrt] if single else list(wrt)  # type: ignore[list-item]
    if not items:
        raise ArgumentError("wrt is empty: name at least one argument to differentiate with respect to")
    names = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise ArgumentError(f"wrt must be an argument position or name, not {w!r}")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                has = f"{len(params)} positional arguments ({', '.join(params)})" if params else "no positional arguments"
                raise ArgumentError(f"wrt={w}: {fn.__name__} has {has}")
            names.append(params[w])
        else:
            if w not in params:
                raise ArgumentError(f"wrt={w!r}: {fn.__name__} has no argument {w!r} (it has {', '.join(params)})")
            names.append(w)
    return tuple(names), single


def _bind(fn: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"bad call of the derivative of {fn.__name__}: {exc}") from None
    bound.apply_defaults()
    return bound


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


def _check_wrt_value(fn_name: str, w: str, value: Any, path: str = "") -> None:
    """Refuse a ``wrt`` argument (or, at ``path`` inside a pytree argument, a
    leaf) that has no gradient, with a hint that fits what it is."""
    kind = kind_of_value(value)
    if kind == "scalar":
        return
    if isinstance(value, (tuple, list)) and value:
        for k, item in enumerate(value):  # a tuple of floats and arrays: its gradient is a tuple alike
            _check_wrt_value(fn_name, w, item, f"{path}[{k}]")
        return
    if type(value) is dict and value:
        if kind is not None and kind.startswith("dict("):
            for k, item in value.items():  # a dict of floats and arrays: its gradient is a dict, same keys
                _check_wrt_value(fn_name, w, item, f"{path}[{k!r}]")
            return
        raise ArgumentError(
            f"cannot differentiate {fn_name} with respect to {w!r}{path}: a dict whose keys are not all strings "
            "or ints (or are strings with one of , ( ) [ ] : = or a quote)",
            hint="key the dict by plain strings or ints",
        )
    if kind is not None and kind.startswith("array") and np.issubdtype(value.dtype, np.inexact):
        return
    what = type(value).__name__
    if isinstance(value, np.ndarray):
        what = f"an array of dtype {value.dtype}"
    if isinstance(value, (int, np.integer, bool, np.bool_)) or (
        isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.inexact)
    ):
        hint = "pass a float or a float array (e.g. 3.0 rather than 3, or x.astype(float))"
    else:
        hint = (
            "pass a float, a float array, or a dict, list, tuple or namedtuple of them (nested); "
            "an empty container has no gradient"
        )
    where = f"{w!r}" if not path else f"{w!r}: its item {w}{path}"
    raise ArgumentError(f"cannot differentiate {fn_name} with respect to {where} is {what}"
                        if path else f"cannot differentiate {fn_name} with respect to {where}: it is {what}", hint=hint)


def _check_lazy(arguments: dict[str, Any]) -> None:
    """Refuse dask arguments (also inside lists and tuples) s2sad cannot run on."""
    for name, value in arguments.items():
        if is_lazy(value):
            check_lazy_argument(name, value)
        elif isinstance(value, (list, tuple)):
            _check_lazy({f"{name}[{k}]": v for k, v in enumerate(value)})


def derivative(
    fn: Callable[..., Any],
    wrt: tuple[str, ...],
    bound: inspect.BoundArguments,
    mode: str,
    check_finite: bool = False,
    has_aux: bool = False,
    gradient_only: bool = False,
) -> Derivative:
    """The generated derivative for these arguments' kinds (built once, cached).
    With ``gradient_only`` (``grad``), the adjoints-only form where the kinds
    prove the output is 0-d (``d.gradient_only`` says whether it was built)."""
    kinds = {k: kind_of_value(v) for k, v in flatten(fn, bound.arguments).items()}
    key = (fn, getattr(fn, "__code__", None), wrt, mode, check_finite, has_aux, gradient_only,
           tuple(sorted(kinds.items())))
    with _lock:
        hit = _cache.get(key)
        if hit is None or not hit.valid():
            hit = build_reverse(fn, wrt, kinds, check_finite=check_finite, has_aux=has_aux,
                                gradient_only=gradient_only)
            _cache[key] = hit
    return hit


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
    """What the derivative is specialised to: the type, and an array's ndim and dtype."""
    if isinstance(value, np.ndarray):
        return (value.ndim, value.dtype.char)
    if isinstance(value, (tuple, list, dict)):  # the code is specialised to the kinds of the items (and keys)
        return (value.__class__, kind_of_value(value))
    if is_function_value(value):  # ... and to a function passed as a value, by identity
        return ("fn", value)
    if hasattr(value, "__dict__"):  # an object: its class, and whether s2sad follows its methods
        return (value.__class__, kind_of_value(value))
    return value.__class__


def _signature_key(args: tuple) -> tuple:
    """The cache key of a call: the arguments' types (for arrays, ndim and dtype)."""
    types = tuple(map(type, args))
    if _PLAIN.issuperset(types):
        return types
    return tuple(map(_type_key, args))


_PLAIN = frozenset({float, int, bool, np.float64, np.float32})  # no shape to tell apart


def _shape_like(g: Any, x: Any) -> Any:
    """Give the adjoint the argument's type: a float for a float."""
    if x.__class__ is float:
        return float(g)
    if isinstance(x, dict):  # a dict's gradient: a dict with its keys (JAX's convention)
        return {k: _shape_like(g[k], v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):  # a namedtuple's: the same namedtuple type
        return type(x)(*map(_shape_like, g, x))
    if isinstance(x, (tuple, list)):
        return type(x)(map(_shape_like, g, x))
    if isinstance(x, np.ndarray) and not isinstance(g, np.ndarray):
        g = np.full(x.shape, g, dtype=x.dtype)  # a 0-d array argument gets a 0-d array gradient
    if isinstance(x, np.ndarray) and getattr(g, "dtype", x.dtype) != x.dtype and x.dtype.kind in "fc":
        g = np.asarray(g).astype(x.dtype)
    if isinstance(x, np.ndarray) and np.shape(g) != x.shape:
        if np.ndim(g) != 0:
            raise S2SADError(f"internal error: adjoint of shape {np.shape(g)} for an argument of shape {x.shape}")
        g = np.full(x.shape, g, dtype=np.result_type(x.dtype, float))
    return g


def _shape_like_lazy(g: Any, x: Any) -> Any:
    """:func:`_shape_like` for a call with dask arguments: an adjoint that
    depends on dask data stays lazy (a 0-d dask array for a float argument),
    and a dask argument's adjoint is a dask array in its chunks."""
    if isinstance(x, (tuple, list)):
        return type(x)(map(_shape_like_lazy, g, x))
    if is_lazy(x) or is_lazy(g):
        return like_lazy(g, x)
    return _shape_like(g, x)


class _Derived:
    """A derivative of ``fn``; also exposes its generated ``source``."""

    gradient_only = False  # ask for the adjoints-only form (grad)

    def __init__(
        self, fn: Callable[..., Any], wrt: Wrt, mode: str, check_finite: bool = False, has_aux: bool = False
    ):
        self.fn = fn
        self.check_finite = check_finite
        self.has_aux = has_aux
        self.wrt, self.single = _resolve_wrt(fn, wrt)
        self.mode = mode
        params = _param_names(fn)
        self._positions = tuple(params.index(w) for w in self.wrt)
        self._nparams = len(inspect.signature(fn).parameters)
        self._fast: dict[tuple, Derivative] = {}  # per argument-type signature: no binding on a hit
        picked = operator.itemgetter(*self._positions)
        self._pick = (lambda a: (picked(a),)) if len(self._positions) == 1 else picked
        functools.update_wrapper(self, fn)

    def _lookup(self, args: tuple, kwargs: dict) -> tuple[Derivative, tuple, dict, tuple, bool]:
        """The derivative for these arguments, the call's positional and
        keyword arguments, the wrt values, and whether any argument is a
        dask array (then the call must not compute: :func:`no_compute`)."""
        if not kwargs and len(args) == self._nparams:
            d = self._fast.get(_signature_key(args))
            if d is not None and d.valid():
                return d, args, kwargs, self._pick(args), False
        bound = _bind(self.fn, args, kwargs)
        for w in self.wrt:
            _check_wrt_value(self.fn.__name__, w, bound.arguments[w])
        lazy = has_lazy(bound.arguments.values())
        if lazy:
            _check_lazy(bound.arguments)
        d = derivative(
            self.fn, self.wrt, bound, self.mode, self.check_finite, self.has_aux,
            gradient_only=self.gradient_only and not self.has_aux,
        )  # fmt: skip
        if not kwargs and len(args) == self._nparams and not lazy:  # dask calls take the guarded path
            self._fast[_signature_key(args)] = d
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
        shape_like = _shape_like_lazy if lazy else _shape_like
        if len(wrt_values) == 1:
            g = shape_like(grads, wrt_values[0])
            return value, g if self.single else (g,)
        return value, tuple(map(shape_like, grads, wrt_values))

    @public
    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated source, specialised to these example arguments
        (or to float arguments when none are given)."""
        if not args and not kwargs:
            return source(self.fn, wrt=self.wrt if not self.single else self.wrt[0])
        bound = _bind(self.fn, args, kwargs)
        return derivative(self.fn, self.wrt, bound, self.mode, self.check_finite, self.has_aux).full_source()


class _Grad(_Derived):
    gradient_only = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the boundary of the public API, written out rather than @public: this
        # call is the hot path, and a try costs nothing until something raises
        try:
            if self.has_aux:  # (gradient, aux), JAX's convention
                (_, aux), g = self._run(args, kwargs)
                return g, aux
            if not kwargs and len(args) == self._nparams:
                # the common case, kept short: positional arguments, kinds seen before
                d = self._fast.get(_signature_key(args))
                if d is not None and not is_container(d.output_kind) and d.valid():
                    try:
                        if d.gradient_only:  # the build proved the output 0-d
                            value, g = 0.0, d.fn(*args)
                        else:
                            value, g = d.fn(*args)
                    except Exception as exc:
                        _note_source_line(exc, d)
                        raise
                    if isinstance(value, float) or np.ndim(value) == 0:
                        if self.single:
                            return _shape_like(g, args[self._positions[0]])
                        if len(self._positions) == 1:
                            return (_shape_like(g, args[self._positions[0]]),)
                        return tuple(map(_shape_like, g, self._pick(args)))
            return self._run(args, kwargs)[1]
        except S2SADError as exc:
            trim(exc)
            raise


class _ValueAndGrad(_Derived):
    @public
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
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
    if isinstance(fn, _Grad) or type(fn).__name__ == "Higher":
        if has_aux:
            raise ArgumentError("has_aux=True is for the first derivative of a function returning (loss, aux)")
        from .higher import nest

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
    names, _ = _resolve_wrt(fn, wrt)
    check_kinds(fn, kinds or {})
    assumed = _assumed_kinds(fn)
    assumed.update(kinds or {})
    if mode not in ("reverse", "forward"):
        raise ArgumentError(f"mode={mode!r}: use 'reverse' or 'forward'")
    if order == 1:
        if mode == "forward":
            return build_forward(fn, names, assumed).source
        return build_reverse(fn, names, assumed, gradient_only=gradient_only).full_source()
    if order == 2:
        gradient = build_reverse(fn, names, assumed)
        with_seed = dict(assumed)
        with_seed[gradient.seed] = "scalar"
        return gradient.full_source() + "\n" + build_forward(gradient, names, with_seed).source
    raise ArgumentError(f"order={order}: show prints first (1) and second (2) derivatives")


KIND_NAMES = "scalar, array, arrayN (an array of N dimensions, e.g. array2), int, list[KIND], any"


def _is_kind(kind: str | None) -> bool:
    if kind is None or kind in ("scalar", "array", "int", "?") or re.fullmatch(r"array[0-9]+", kind):
        return True
    items = tuple_items(kind) if kind.endswith(")") else None
    if items is not None:
        return all(map(_is_kind, items))
    is_list, item = list_item(kind)
    return is_list and kind.endswith("]") and _is_kind(item)


def check_kinds(fn: Callable[..., Any], kinds: dict[str, str | None]) -> None:
    """Refuse ``kinds`` naming an argument ``fn`` does not have, or a kind
    s2sad does not know: either would silently leave the code unspecialised."""
    params = list(inspect.signature(fn).parameters)
    for name, kind in kinds.items():
        if name not in params:
            raise ArgumentError(
                f"kinds {name}={kind or 'any'}: {fn.__name__} has no argument {name!r} "
                f"(its arguments: {', '.join(params) or 'none'}; kinds: {KIND_NAMES})"
            )
        if not _is_kind(kind):
            raise ArgumentError(
                f"kinds {name}={kind}: {kind!r} is not a kind; use one of {KIND_NAMES} "
                f"(arguments of {fn.__name__}: {', '.join(params)})"
            )


def _assumed_kinds(fn: Callable[..., Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for p in inspect.signature(fn).parameters.values():
        ann = p.annotation
        text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
        if p.default is not p.empty:
            out[p.name] = kind_of_value(p.default)
        elif "ndarray" in str(text) or "Array" in str(text):
            out[p.name] = "array"
        elif ann in (int, "int"):
            out[p.name] = "int"
        else:
            out[p.name] = "scalar"
    return out
