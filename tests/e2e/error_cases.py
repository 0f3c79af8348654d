"""Functions s2sad must refuse, each with the construct it must name."""

import numpy as np


def uses_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("f") as fh:
        fh.read()
    return x


def uses_global(x):
    global COUNTER
    return x


def uses_dictcomp(x):
    d = {i: x * i for i in range(3)}
    return d[1]


def uses_setcomp(x):
    return len({v for v in x})


def passes_lambda(x, k=2.0):
    return np.sum(apply(lambda v: v * k, x))  # reads k: the callee would call it without k


def apply(fn, x):
    return fn(x)


def recursive(x):
    if np.sum(x) > 100.0:
        return np.sum(x)
    return recursive(x * 2.0)


def calls_varargs_helper(x):
    return np.sum(kwargs_helper(x, s=2.0))


def kwargs_helper(x, **kw):
    return x * len(kw)  # **kw used as a dict: s2sad reads it only by key


def uses_class(x):
    class A:
        pass

    return x


def uses_yield(x):
    yield x


def no_rule(x):
    return np.fft.fft(x).real.sum()


def unknown_method(x):
    return x.cumprod().sum()


def writes_view_of_argument(x):
    v = x[1:]
    v[0] = 2.0 * x[0]
    return np.sum(x)


def _zero_first(a):
    a[0] = 0.0
    return np.sum(a)


def calls_helper_writing_argument(x):
    s = _zero_first(x)
    return s + np.sum(x * x)


def _scale_in_place(a, c):
    a *= c
    return np.sum(a)


def calls_helper_updating_argument(x):
    y = x * 2.0
    s = _scale_in_place(y, 3.0)
    return s * np.sum(y)


def write_seen_by_earlier_name(x):
    y = x
    x[0] = 1.0
    return np.sum(y * y)


def writes_view(x):
    y = x.copy()
    z = y[1:]
    y[1] = 5.0
    return np.sum(z * x)


def helper(x):
    return x * x


def vector_output(x):
    return x * 2.0


def returns_nothing(x):
    y = x * 2


def uses_starargs(x, *rest):
    xs = [x, x]  # a list: its length is not known when the derivative is built
    return np.maximum(*xs)


def uses_dict(x):
    key = "a"
    d = {key: x}  # keys must be constants known when s2sad transforms
    return d["a"]


def uses_del(x):
    y = x
    del y
    return x


def inplace_on_alias(x):
    x = x * 2.0
    y = x
    x += 1.0
    return np.sum(y * x)


def inplace_on_viewed(x):
    y = np.outer(x, x)
    r = y[0]
    y += 1.0
    return np.sum(r * r)


def list_two_names(x):
    items = [1.0]
    alias = items
    alias.append(x * 2)
    return items[0] + items[1] * x


def extends_list(x):
    items = [x]
    items.extend([x * 2.0, x * 3.0])
    return sum(items)


def copyto_effect(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


def no_rule_on_constant_is_fine(x):
    order = np.argsort(np.array([3.0, 1.0, 2.0]))
    return np.sum(x * np.sort(np.array([3.0, 1.0, 2.0]))[order])


def uses_eval(x):
    return np.sum(eval("x * x"))


def uses_locals(x):
    return np.sum(locals()["x"] * x)


def uses_r_(x):
    return np.sum(np.r_[x, x])


def uses_complex(x):
    return np.sum(np.abs(x + 1j * x[::-1]))


def uses_complex_cast(x):
    return np.sum(np.abs(x.astype(complex)))


_STORED = []


def _stores(x):
    _STORED.append(x)  # impure, run once: but a derivative leaves through the list
    return x * 2.0


def calls_storing_helper(x):
    _STORED.clear()
    y = _stores(x)
    return np.sum(y * _STORED[-1])


def _appends_to_argument(lst, x):
    lst.append(x)
    return x * 2.0


def calls_helper_changing_argument(x):
    lst = []
    y = _appends_to_argument(lst, x)
    return np.sum(y * lst[0])


# ---------------------------------------------- issue 8, crashes turned into refusals
import statistics  # noqa: E402


def nested_nonlocal(x):
    y = x
    def inner():
        nonlocal y
        y = y * 2
    inner()
    return np.sum(y)


def nested_recursive(x):
    scale = 2.0
    def r(y, n):
        return y if n == 0 else r(y * scale, n - 1)
    return np.sum(r(x, 2))


def nested_calls_later_nested(x):
    def first(t):
        return second(t) * 2.0
    def second(t):
        return t * x
    return np.sum(first(x))


def library_callee(x):
    return statistics.fmean([np.sum(x), np.sum(x * 2)])


def einsum_interleaved(x):
    return np.sum(np.einsum(x, [0], x, [0]))


def norm_order_from_x(x):
    p = np.sum(x)
    return np.linalg.norm(x, p)


# Aliases of an array written into (issue 8, section 3): each name below may
# see the memory a write or an in-place update changes, and is read after it.


def identity_helper(a):
    return a


def write_seen_by_list(x):
    y = np.zeros(3)
    hs = [y]
    y[0] = x[0] * 2
    return np.sum(hs[0] * x)


def write_seen_by_tuple(x):
    y = np.zeros(3)
    pair = (y, 1.0)
    y[0] = x[0] * 2
    return np.sum(pair[0] * x)


def write_seen_by_appended_list(x):
    y = np.zeros(3)
    hs = []
    hs.append(y)
    y[1] = x[0] * 2
    return np.sum(hs[-1] * x)


def write_seen_through_helper(x):
    y = np.zeros(3)
    z = identity_helper(y)
    y[0] = x[0] * 2
    return np.sum(z * x)


def write_seen_through_ternary(x):
    y = np.zeros(3)
    w = np.ones(3)
    z = y if x[0] > 0 else w
    y[0] = x[0] * 2
    return np.sum(z * x)


def write_seen_through_astype(x):
    y = np.zeros(3)
    z = y.astype(float, copy=False)
    y[0] = x[0] * 2
    return np.sum(z * x)


def write_seen_in_later_iteration(x):
    y = np.zeros(3)
    z = y
    s = 0.0
    for i in range(3):
        s = s + np.sum(z * x)
        y[i] = x[i] * 2
    return s


def row_swap(x):
    Y = np.outer(x, x).copy()
    Y[0], Y[1] = Y[1], Y[0]
    return np.sum(Y * np.arange(9.0).reshape(3, 3))


def inplace_seen_by_argument_name(x):
    s = x
    s *= 2.0
    return np.sum(s * x)


def inplace_seen_by_list(x):
    y = x * 2.0
    hs = [y]
    y -= 1.0
    return np.sum(hs[0] * x)


def effect_call_on_array(x):
    y = np.zeros((3, 3))
    np.fill_diagonal(y, 1.0)
    return np.sum(y @ x)


REPEATS = 3  # a global: its kind is not known when the derivative is built


def repeats_by_unknown_count(x):
    items = [x, x * 2.0] * REPEATS
    return np.sum(items)


def unpacks_wrong_count(x):
    s = 0.0
    for a, b in zip(x, x, x):
        s = s + a * b
    return s


# ------------------------------------ issue 8: changes to globals the reverse sweep reads
_STATE = np.ones(2)
_HISTORY = []


def _bump(c):
    _STATE[0] = _STATE[0] + c
    return c


def changes_a_global_array(x):
    # the reverse sweep reads _STATE after _bump changed it: the gradient would be [2, 1]
    a = np.sum(x * _STATE)
    b = _bump(1.0)
    return a * b


def _uses_state(x):
    return x * _STATE[0]


def changes_what_a_callee_reads(x):
    a = np.sum(_uses_state(x))  # re-run by the reverse sweep, after _bump
    b = _bump(1.0)
    return a * b


def appends_to_a_global_list(x):
    _HISTORY.append(1.0)
    return np.sum(x * x) * len(_HISTORY)


# A helper's result written into or updated in place: refused unless the
# helper provably returns a new array (issue 8, fresh results).

_GLOBAL_ROW = np.array([1.0, 2.0, 3.0])
_KEPT = []


def _same(a):
    return a


def _tail(a):
    return a[1:]


def _transposed(a):
    return a.T


def _reshaped(a):
    return a.reshape(3)


def _the_global(a):
    return _GLOBAL_ROW


def _first_of(items):
    return items[0]


def _kept(a):
    y = a * 2.0
    _KEPT.append(y)
    return y


class _Holder:
    def __init__(self):
        self.W = np.array([0.5, -1.0, 2.0])

    def weights(self, x):
        return self.W


_HOLDER = _Holder()


def write_into_returned_argument(x):
    y = x * 1.0
    h = _same(y)
    h[0] = 2.0
    return np.sum(y * x)


def update_returned_argument(x):
    h = _same(x)
    h += 1.0
    return np.sum(h)


def write_into_returned_slice(x):
    h = _tail(x)
    h[0] = 2.0
    return np.sum(h)


def update_returned_transpose(x):
    h = _transposed(x)
    h *= 2.0
    return np.sum(h)


def write_into_returned_reshape(x):
    h = _reshaped(x)
    h[1] = x[0]
    return np.sum(h)


def write_into_returned_global(x):
    h = _the_global(x)
    h[0] = x[0]
    return np.sum(h)


def update_returned_attribute(x):
    h = _HOLDER.weights(x)
    h -= x
    return np.sum(h)


def write_into_returned_list_item(x):
    h = _first_of([x, x])
    h[0] = 1.0
    return np.sum(h)


def write_into_result_kept_in_global(x):
    h = _kept(x)
    h[0] = 1.0
    return np.sum(h)


def update_item_of_list_argument(x):
    hs = [x]
    return _bump_first(hs, x)


def _bump_first(hs, x):
    a = hs[0]
    a += x
    return np.sum(hs[0])


def write_into_zeroth_difference(x):
    y = x * 1.0
    d = np.diff(y, n=0)  # NumPy returns y itself
    d[0] = 5.0
    return np.sum(y * x)


def average_returned_by_position(x):
    # NumPy's fourth positional parameter is `returned` (keepdims is keyword-only): the rule once
    # bound it to keepdims, and the derivative crashed on the tuple
    avg, total = np.average(x, 0, x * x, True)
    return avg * total


def sum_with_dtype_of_a_local(x):
    dt = int
    return np.sum(x, dtype=dt)


def extends_list_in_place(x):
    xs = [x[0]]
    xs += [x[1]]  # was "changes an array in place, and `xs` is an array ..."
    return sum(xs)
