# ruff: noqa: B007, F841
"""Minimized programs on which s2sad was found wrong by the differential fuzzer
(``python -m tools.fuzz``, issue #5). Same format as tests/e2e/programs.py: each
entry of REGRESSIONS is (function, list of argument tuples, wrt), to be
checked with ``s2sad.check_grad``. Each comment gives what s2sad did when the
program was found, and the fuzz seed/index it was minimized from (with the
generator of that day: the generator has grown since, so the same seed/index
now writes another program)."""

import math

import numpy as np

_X = np.array([[0.5, 0.2, -0.3], [0.1, 0.4, 0.7]])


def rows_loop_in_both_branches(X, w):
    # UnboundLocalError: cannot access local variable 'row' in the generated
    # code when the `else` branch runs: the tape initializer `row = None` is
    # emitted only in the first branch's loop (seed 1, #5 and #9)
    if w > 0.0:
        for row in X:
            w = w * np.sum(row)
    else:
        for row in X:
            w = w + np.sum(row)
    return w


def while_in_for(x):
    # UnboundLocalError: cannot access local variable 'n2': the iteration
    # counter of the inner `while` is pushed on the tape before it is first
    # assigned (seed 1, #30, #37 and many others)
    for i in range(2):
        while x > 5.0:
            x = x * 0.5
        x = np.sin(x)
    return x


def break_and_return_in_loop(x):
    # IndexError: pop from empty list at x = -1.5 and 0.5: the `break` flag is
    # merged into the early-return flag (`returned_1 = stop_1`), so a break
    # is taken as a return (value None) and the tape is unbalanced (seed 1, #82, #94)
    for i in range(2):
        if x < -1.0:
            break
        if x > 0.0:
            return x * 2.0
    return x * 3.0


def continue_and_return_in_loop(x):
    # wrong value and gradient: at x = 0.3 the derivative returns 0.9 (f 0.6),
    # at x = 0.9 it returns None (f 2.7): `continue` sets the early-return
    # flag `returned` (seed 1, #144)
    for i in range(2):
        if x < 0.6:
            return 2.0 * x
        continue
    return 3.0 * x


def return_in_later_iteration(x):
    # IndexError: pop from empty list: the loop-carried `x` is pushed after
    # the `if returned: break`, so the returning iteration pushes nothing but
    # the reverse sweep pops (seed 1, #175)
    for i in range(3):
        if i > 0:
            return x * 2.0
        x = x / 2.0
    return x


def swap_in_loop(x, y):
    # wrong gradient w.r.t. y: s2sad 1.1, central differences 0.1 -- the
    # reverse sweep adds the *new* x_bar into y_bar (seed 1, #152)
    for i in range(1):
        x, y = y, x + 0.1 * y
    return y


def rows_of_reassigned(X):
    # wrong value (s2sad 0.3072, f 0.768): `for row in X` iterates over the
    # array X had when the loop began, s2sad reads rows of the reassigned X (seed 1, #94)
    for row in X:
        X = X * np.sum(row)
    return np.sum(X)


def enumerate_reassigned(x):
    # wrong value (s2sad 17.0, f 6.0): same as rows_of_reassigned, for
    # `enumerate` (seed 1, #47)
    s = 0.0
    for i, v in enumerate(x):
        x = x * 2.0
        s = s + v
    return s


def augmented_update_of_viewed_array(x):
    # wrong value (s2sad 1.52, f 6.12 at _X): `r = y[0]` is a view of y, so
    # `y += 1.0` changes r too; s2sad took `y += 1.0` as `y = y + 1.0`.
    # Now refused (tests/e2e/test_errors.py)
    y = x * 2.0
    r = y[0]
    y += 1.0
    return np.sum(r * r)


def swap_then_augment(x, y):
    # refused (UnsupportedSyntaxError: "`y += ...` on a name that shares its
    # value with another name") although y is a new array after the swap;
    # over-conservative, not wrong
    x, y = y, x * 0.5
    y += 1.0
    return np.sum(y * x)


REGRESSIONS = [
    (rows_loop_in_both_branches, [(_X, 0.5), (_X, -0.5)], (0, 1)),
    (while_in_for, [(0.3,), (7.0,)], 0),
    (break_and_return_in_loop, [(-1.5,), (0.5,), (-0.5,)], 0),
    (continue_and_return_in_loop, [(0.3,), (0.9,)], 0),
    (return_in_later_iteration, [(0.3,)], 0),
    (swap_in_loop, [(0.3, 0.5)], (0, 1)),
    (rows_of_reassigned, [(_X,)], 0),
    (enumerate_reassigned, [(np.array([1.0, 2.0, 3.0]),)], 0),
    (swap_then_augment, [(np.ones(3), np.array([0.5, -0.2, 0.3]))], (0, 1)),
]


def merged_update_in_loop(x, y):
    # wrong gradient (s2sad 1.06, central differences -0.88): the loop-carried
    # t1 is updated in both branches; only the first branch's definition was
    # checked before renaming it to t1, and the other read t1 itself
    # (`t1 = t1 * t18`), so the reverse sweep read the new t1 (seed 2024, #65)
    t1 = y[:, 1]
    for row0 in y:
        if np.mean(row0) > 0.0:
            t1 = np.tanh(t1 * 2.0)
        else:
            t1 = t1 * np.cos(row0[1:] ** 2)
    return np.sum(t1) + np.sum(x)


REGRESSIONS += [
    (merged_update_in_loop, [(0.5, np.array([[0.21, -0.5, 0.25], [0.47, -1.18, 0.88]]))], (0, 1)),
]


def break_after_update(w):
    # wrong value (s2sad 0.3, f 0.15 at w = 0.3): with `if ...: break` last in
    # the body, the loop-carried copy `w = w_1` came after the break, so the
    # breaking iteration's update was lost (seed 11, #61, --without
    # while,return,swap,rows,enumerate)
    for i in range(4):
        w = w / 2.0
        if w < 1.0:
            break
    return w


def for_with_break_in_for(x):
    # UnboundLocalError: cannot access local variable 'n3': the iteration
    # counter of an inner `for` with a break is pushed on the tape before it
    # is first assigned, like while_in_for (seed 11, #7, --without ...)
    for i in range(2):
        for j in range(2):
            x = np.sin(x)
            if x > 5.0:
                break
    return x


def alias_in_loop(x):
    # UnboundLocalError: cannot access local variable 't': the copy `t = x` in
    # the body was propagated backwards into the loop-carried update, giving
    # `x_1 = t * 0.5; t = x_1` (seed 4, #287)
    for i in range(3):
        x = x * 0.5
        t = x
    return x


def reused_loop_index_after_return(x, w):
    # UnboundLocalError: cannot access local variable 'i' at x = 1.0: when the
    # early return is taken, the `else` of the return guard copies the loop
    # index of the first loop (`i_1 = i`), which never ran (seed 1, #158)
    if x > 0.0:
        if x > 0.75:
            return x * 2.0
        for i in range(2):
            w = w * x
    for i in range(2):
        w = w * x
    return w


def rows_target_after_return(X, w):
    # UnboundLocalError: cannot access local variable 'row' at w = 1.0 (the
    # early return is taken): same as reused_loop_index_after_return for the
    # target of `for row in X`, read after the loop (seed 3, #427)
    if w > 0.75:
        return w * 2.0
    for row in X:
        w = w * np.sum(row)
    return w * np.sum(row)


def rows_loops_after_nested_return(X, w):
    # at w = 1.0 UnboundLocalError ('row'); at w = 0.5 TypeError: None + float
    # in the reverse sweep of the first loop: the second loop's reverse sweep
    # pops the initial `row = None` and sets row_bar = zeros_like(None) (seed 3, #427)
    if w > 0.0:
        if w > 0.75:
            return w * 2.0
        for row in X:
            w = w * np.sum(row)
    for row in X:
        w = w * np.sum(row)
    return w


REGRESSIONS += [
    (break_after_update, [(0.3,), (3.0,)], 0),
    (for_with_break_in_for, [(0.3,)], 0),
    (alias_in_loop, [(1.1,)], 0),
    (reused_loop_index_after_return, [(1.0, 0.3), (0.5, 0.3), (-0.5, 0.3)], (0, 1)),
    (rows_target_after_return, [(_X, 1.0), (_X, 0.5)], (0, 1)),
    (rows_loops_after_nested_return, [(_X, 1.0), (_X, 0.5), (_X, -0.5)], (0, 1)),
]


def zero_trip_loop_then_index_adjoint(y, n):
    # ValueError: assignment destination is read-only at n = 0: y_bar comes
    # from reduce_adjoint (a read-only np.broadcast_to view); a loop that
    # runs would rebind it, with zero trips `add_at(y_bar, (0, 1), t_bar)`
    # writes into the view (seed 5, #316; seed 4, #63 is the same with
    # `x_1_bar += ...` on a 0-d view: "output array is read-only")
    t = y[0, 1]
    for i in range(n):
        y = np.tanh(y)
    return np.sum(np.sum(y, axis=0) * t)


def ternary_in_loop(x):
    # wrong gradient (s2sad 0.541, central differences 0.861 at x = -0.587)
    # under PYTHONHASHSEED=0 or 6, right under 4: the reverse sweep emits a
    # second `t4_bar = x_bar` after the branch has overwritten x_bar; the
    # order of the emitted statements depends on set iteration order (seed 5, #208)
    for i in range(1):
        x = 0.5 * x + 0.5 * np.tanh(x if x < 0.67 else -0.77)
    return x


REGRESSIONS += [
    (zero_trip_loop_then_index_adjoint, [(_X, 0), (_X, 2)], 0),
    (ternary_in_loop, [(-0.587,), (0.9,)], 0),
]


# Refused, not wrong: UnsupportedSyntaxError on in-place updates that are
# safe (about 16% of fuzzed programs are refused this way, seeds 1-5). Kept
# apart from REGRESSIONS (same format) so they do not fail the suite.


def update_after_branch_reassigns(x):
    # "`t /= ...` changes an array in place, and `t` refers to the same
    # array": the SSA merge copy of the `if` (t stays t on the other path) is
    # taken for a second name sharing the array (seed 1, #15 and most
    # "refers to the same array" refusals)
    t = x * 2.0
    if t[-1] < 0.0:
        t = t * 3.0
    t /= 2.0
    return np.sum(t)


def update_with_ternary_operand(x):
    # "`y += ...` changes an array in place, and `x` refers to the same
    # array": the operand `(y if c else x)` is normalized to a copy
    # `t = y` / `t = x` that nothing reads after the update (seed 11, #14)
    y = x * 2.0
    y += y if np.sum(x) > 0 else x
    return np.sum(y)


def update_after_consumed_view(x):
    # "`y += ...` changes an array in place, and a view or a container of `y`
    # would see the change": the view y[0] is only read before the update
    # (seed 1, #2 and seed 11, #2)
    y = x * 2.0
    t = np.tanh(y[0])
    y += 1.0
    return np.sum(y) + np.sum(t)


OVER_REFUSED: list = []

# once refused, now accepted (and checked like the others)
REGRESSIONS += [
    # the may-alias analysis sees that `t` (y or x) is not read after the update
    (update_with_ternary_operand, [(np.array([0.5, 0.2, -0.3]),), (np.array([-0.5, 0.2, -0.3]),)], 0),
    (update_after_branch_reassigns, [(np.array([0.5, 0.2, -0.3]),), (np.array([0.5, 0.2, 0.3]),)], 0),
    (update_after_consumed_view, [(_X,)], 0),
]


def negative_literal_power(x):
    # wrong value (s2sad 0.156, f 0.128): a folded literal -0.69 was unparsed
    # as `-0.69 ** 2`, which Python reads as -(0.69 ** 2) (seed 2024, #101)
    y = math.sqrt(1.0 + (-0.69) ** 2) * x
    return y + (-2.0) ** 2 * x


REGRESSIONS += [
    (negative_literal_power, [(0.7,)], 0),
]


def sum_of_list_literal(x):
    # wrong gradient (s2sad 0.0, central differences 2.4): a list literal
    # passed where an array is expected (np.sum([x, x * x])) got no adjoint
    return np.sum([x, x * x]) + np.max([x, 0.5 * x])


def sum_of_comprehension(a):
    # AttributeError: the adjoint of a list variable passed to np.sum was an
    # array, and the reverse sweep of `append` popped from it
    return np.sum([v * 3 for v in a]) + np.mean([np.sin(v) for v in a])


REGRESSIONS += [
    (sum_of_list_literal, [(0.7,), (-0.4,)], 0),
    (sum_of_comprehension, [(np.array([0.5, 1.0, -0.3]),)], 0),
]


_C23 = np.array([[0.2, -0.4, 0.9], [-1.1, 0.6, 0.35]])


def view_read_in_reverse_then_written(x):
    # wrong gradient (s2sad 0.293, central differences 0.0023): `x[1] *= ...`
    # reads the row `x[1]` (a view) and `x.T` (a view), which the reverse
    # sweep reads after the write changed them; the write was not undone since
    # x itself was not read in the reverse sweep (property test, seed 1402590)
    x = x + _C23
    for i in range(1):
        t3 = (np.sum(x, axis=1)) ** 2
        x = np.copy(x)
        x[1] *= np.tanh(x.T @ t3)
    return np.sum(x)


REGRESSIONS += [
    (view_read_in_reverse_then_written, [(np.array([-0.46, 1.25, 0.37]),)], 0),
]


# issue 8, section 4: operations that had no rule gave a zero derivative
def mod_in_a_loop(x, p):
    # (3 * x) % 1 gave 0 (x % p was declared inactive); `%=` too
    s = 0.0
    for i in range(3):
        y = (3.0 * x + i) % p
        y %= 0.9
        s = s + y * x
    return s


def linspace_between(a, b):
    # np.linspace was declared inactive: d/da sum(linspace(0, a, 3)) gave 0, not 1.5
    t = np.linspace(a, b, 4)
    return np.sum(np.sin(t)) + np.sum(np.mod(t, 0.7))


_W_GLOBAL = np.array([[0.3, -0.2], [0.5, 0.1]])


def global_array_method(x):
    # W.dot(x) on a global W: a method bound to a global array was a constant
    return np.sum(np.tanh(_W_GLOBAL.dot(x)))


def arange_with_active_bounds(a, s):
    return np.sum(np.arange(a, a + 1.0, s) ** 2)


REGRESSIONS += [
    (mod_in_a_loop, [(0.37, 0.8), (1.21, 1.3)], (0, 1)),
    (linspace_between, [(0.2, 1.3), (-1.0, 0.4)], (0, 1)),
    (global_array_method, [(np.array([0.4, -0.7]),)], 0),
    (arange_with_active_bounds, [(0.3, 0.3)], (0, 1)),
]


# ------------------------------------------- issue 8, section 7: crashes and tracebacks


def long_signature(aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbb, cccccccccccccccccccccc, dddddddddddddddddddddd, eeeeeeeeeeeeeeeeeeeeeee=2.0):
    # SyntaxError in the generated code: the signature, wrapped by astor over
    # two lines, was cut to its first line
    very_long_intermediate_name_number_one = np.sin(aaaaaaaaaaaaaaaaaaaa) * bbbbbbbbbbbbbbbbbbbbbbbbb + np.cos(cccccccccccccccccccccc) * dddddddddddddddddddddd * eeeeeeeeeeeeeeeeeeeeeee
    for iiiiiiiiiiiiiiiiiiiiiiiiiiii in range(2):
        very_long_intermediate_name_number_one = very_long_intermediate_name_number_one * 0.5 + np.tanh(very_long_intermediate_name_number_one * aaaaaaaaaaaaaaaaaaaa)
    return very_long_intermediate_name_number_one * aaaaaaaaaaaaaaaaaaaa * bbbbbbbbbbbbbbbbbbbbbbbbb * cccccccccccccccccccccc


def index_kept_by_empty_loop(x, n):
    # UnboundLocalError (grad and jvp) at n = 0: the loop index got a new
    # version, unbound when the loop runs no iteration (Python keeps i = x)
    i = x
    for i in range(n):
        x = x * 1.5
    return i * x


def inner_index_kept_by_empty_loop(x, n):
    # wrong gradient at n = 1 and 3 (s2sad 2.36, central differences 0.0):
    # the inner index, bound before the outer loop, was not carried by it
    i = 1.5 * x
    for j in range(2):
        for i in range(n):
            x = x * 1.1
    return i * x


def index_kept_by_break(x, n):
    i = x
    for i in range(n):
        if i > 1:
            break
    return i * x


def loop_over_empty(x, xs):
    r = x
    for r in xs:
        pass
    return r * x


def while_not_entered(x, n):
    y = x
    k = 0
    while k < n:
        y = y * x
        k = k + 1
    return y


def _conv(inputs, params):
    kh = params.shape[2]
    out_h = inputs.shape[2] - kh + 1
    out = 0.0
    for i in range(kh):
        out = out + inputs[:, :, kh - 1 - i:kh - 1 - i + out_h, 0:3] * params[0, 0, i, 0]
    return out


def kind_changes_in_loop(W, b, X):
    # "internal error: adjoint of shape (3, 2, 3, 3)": the kind fixpoint
    # stopped after 8 rounds with `out` a scalar (it becomes an array in the
    # loop), so the unbroadcast of b's adjoint was dropped
    return np.sum(_conv(X, W) + b)


def linspace_is_an_array(x):
    # TypeError (an array gradient for a float): np.linspace(0.0, 1.0, 5) of
    # scalars was given the kind of a number, and unbroadcast was dropped
    return np.sum(x * np.linspace(0.0, 1.0, 5))


def keepdims_at_run_time(w, x, k):
    # TypeError (an array gradient for a float): a reduction with a keepdims
    # computed at run time was assumed to drop the axis
    return np.sum(np.sum(x, axis=0, keepdims=k) * w)


def nested_default_reads_local(x):
    # NameError: name 'x' is not defined (the default was evaluated where the
    # lifted function was compiled)
    g = lambda t, c=x: t * c  # noqa: E731
    return g(x)


def nested_default_at_def_time(x):
    a = 3.0
    def g(t, c=x * a, d=2.0):
        return t * c * d
    x = x * 2.0
    return g(x) + g(x, 1.0)


def nested_default_in_loop(x):
    fs = 0.0
    for i in range(3):
        g = lambda t, k=x * i: t * k  # noqa: E731
        fs = fs + g(x)
    return fs


def nested_kwonly_default(x):
    def g(t, *, c=x):
        return t * c
    return g(x) + g(x, c=2.0)


def nested_calls_nested(x):
    # "missing a required argument: 'a'": a nested function calling another
    # that reads an enclosing variable did not pass it
    a = 2.0 * x
    def g(t):
        return t * a
    def h(t):
        return g(t) + 1.0
    return h(x)


def einsum_forms(A, B):
    # ValueError after the forward code ran: implicit output, ellipsis,
    # diagonal and trace had no rule
    return (np.einsum("ii->", A) + np.sum(np.einsum("ii->i", A) ** 2) + np.sum(np.einsum("ij,jk", A, B))
            + np.sum(np.sin(np.einsum("...i->...", B))) + np.sum(np.einsum("ii,ij->j", A, B) ** 2))


def einsum_batched(C, D):
    return np.sum(np.einsum("bii->bi", C) ** 2) + np.sum(np.einsum("...ij,...jk->...ik", C, C)) + np.sum(np.einsum("...i,...i->...", C, D) ** 2)


def matrix_norms(A):
    # ValueError after the forward code ran: ord=2, -2, 'nuc' on a matrix
    return np.linalg.norm(A, 2) + np.linalg.norm(A, -2) ** 2 + np.linalg.norm(A, "nuc")


def matrix_norms_batched(B):
    return np.sum(np.linalg.norm(B, "nuc", axis=(1, 2)) * np.arange(1.0, 3.0)) + np.sum(np.linalg.norm(B, 2, axis=(0, 2), keepdims=True))


def max_of_several(x):
    return max(x * x, 0.2, x) * x + min([x, x * x, 3.0]) * x


_B234 = np.random.default_rng(1).standard_normal((2, 3, 4))
_A33 = np.array([[1.0, 2.0, 0.3], [3.0, 4.0, -0.2], [0.5, -1.0, 2.0]])
REGRESSIONS += [
    (long_signature, [(0.3, 0.7, 1.1, 0.4)], (0, 1, 2, 3)),
    (index_kept_by_empty_loop, [(1.3, 0), (1.3, 1), (1.3, 3)], 0),
    (inner_index_kept_by_empty_loop, [(1.3, 0), (1.3, 1), (1.3, 3)], 0),
    (index_kept_by_break, [(1.3, 0), (1.3, 1), (1.3, 4)], 0),
    (loop_over_empty, [(1.3, []), (1.3, [2.0]), (1.3, np.array([])), (1.3, np.array([1.0, 2.0]))], 0),
    (while_not_entered, [(1.3, 0), (1.3, 2)], 0),
    (kind_changes_in_loop, [(np.random.default_rng(0).standard_normal((1, 2, 2, 2)),
                             np.random.default_rng(1).standard_normal((1, 2, 1, 1)),
                             np.random.default_rng(2).standard_normal((3, 1, 4, 4)))], (0, 1)),
    (linspace_is_an_array, [(0.5,)], 0),
    (keepdims_at_run_time, [(0.5, np.arange(3.0), True), (0.5, np.arange(3.0), False)], 0),
    (nested_default_reads_local, [(1.3,)], 0),
    (nested_default_at_def_time, [(1.3,)], 0),
    (nested_default_in_loop, [(1.3,)], 0),
    (nested_kwonly_default, [(1.3,)], 0),
    (nested_calls_nested, [(1.3,)], 0),
    (einsum_forms, [(_A33, _A33[:, :2])], (0, 1)),
    (einsum_batched, [(_B234[:, :3, :3], np.ones((1, 3)))], (0, 1)),
    (matrix_norms, [(_A33,), (_A33[:, :2],)], 0),
    (matrix_norms_batched, [(_B234,)], 0),
    (max_of_several, [(1.3,), (0.1,), (2.5,)], 0),
]


def two_values(x, y=2.0, *, k=1.0):
    return x * y * k, x * 2.0


def first_of_two_values(x):
    # what the hint for a function returning several values suggests
    return s2sad_grad_selector(x)


s2sad_grad_selector = lambda x, y=2.0, *, k=1.0: two_values(x, y, k=k)[0]  # noqa: E731


def spectral_norm(A):
    return np.linalg.norm(A, 2)


# Writes and in-place updates the may-alias analysis (analysis/mutation.py)
# must keep accepting: no other name that may see the changed array is read
# after the change. (Their refused neighbours are in tests/e2e/error_cases.py.)


def write_into_array_made_each_iteration(x):
    # the list holds the arrays of earlier iterations, not the one written now
    ys = []
    for i in range(3):
        y = np.zeros(2)
        y[0] = x[i] * 2.0
        y[1] = x[i] ** 2
        ys.append(y)
    return np.sum(np.stack(ys) ** 2)


def item_read_then_list_grows(x):
    hs = [x]
    s = 0.0
    for i in range(3):
        prev = hs[-1]
        hs.append(np.tanh(prev * 1.5))
        s = s + np.sum(prev * prev)
    return s + np.sum(hs[-1])


def copy_of_slice_before_write(x):
    y = np.zeros(3)
    t = y[0:2].copy()
    y[0] = x[0] * 2.0
    return np.sum((t + 1.0) * x[:2]) + np.sum(y * x)


def fancy_index_copies_before_write(x):
    y = x * 1.0
    t = y[[0, 1]]
    y[0] = x[0] * 2.0
    return np.sum(t * x[:2]) + np.sum(y * x)


def scalar_item_before_write(x):
    y = x * 3.0
    r = y[0]
    y[0] = x[1] * 2.0
    return r * x[1] + np.sum(y * x)


def swap_entries_of_vector(x):
    y = x * 1.0
    y[0], y[1] = y[1], y[0]
    return np.sum(y * np.arange(3.0))


def swap_rows_by_fancy_index(x):
    Y = np.outer(x, x[:2]).copy()
    Y[[0, 1]] = Y[[1, 0]]
    return np.sum(Y * np.arange(6.0).reshape(3, 2))


def row_view_read_before_write(x):
    Y = np.outer(x, x)
    r = Y[0]
    s = np.sum(r * x)
    Y[0, 0] = 2.0 * x[1]
    return s + np.sum(Y * Y)


def alias_rebound_after_write(x):
    y = np.zeros(3)
    z = y
    y[0] = x[0]
    z = y * 2.0
    return np.sum(z * x)


def helper_called_after_write(x):
    y = np.zeros(3)
    y[0] = x[0]
    y[2] = x[1] * x[2]
    z = _identity(y)
    return np.sum(z * x)


def _identity(a):
    return a


def item_read_by_reverse_sweep_before_write(x):
    # the reverse sweep reads t (an item of hs, which holds y) after undoing
    # the write into y: y is restored for it
    y = np.zeros(3)
    hs = [y]
    t = hs[0]
    z = np.sum((t + 1.0) * x)
    y[0] = 5.0
    return z + np.sum(y * x)


def updates_of_fresh_arrays(x):
    y = x * 2.0
    y += x
    y *= 3.0
    z = x.copy()
    z -= 1.0
    for i in range(2):
        z /= 1.5 + np.sum(y * y)
    return np.sum(y * z)


REGRESSIONS += [
    (write_into_array_made_each_iteration, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (item_read_then_list_grows, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (copy_of_slice_before_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (fancy_index_copies_before_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (scalar_item_before_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (swap_entries_of_vector, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (swap_rows_by_fancy_index, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (row_view_read_before_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (alias_rebound_after_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (helper_called_after_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (item_read_by_reverse_sweep_before_write, [(np.array([0.3, -0.7, 1.1]),)], 0),
    (updates_of_fresh_arrays, [(np.array([0.3, -0.7, 1.1]),)], 0),
]


# ---------------------------------------------------------------- issue 8, section 1: containers are pytrees
# Adjoints of lists and tuples were joined with `+` (concatenation), and list/tuple `+`
# was differentiated as arithmetic.


def item_of_list_of_tuples(ps):
    # wrong gradient [(0.0, 2.0)] for [(2.0, 3.0)] (right: [(3.0, 2.0)]): the adjoint of
    # the tuple ps[0] got its two item adjoints concatenated with `+`
    W, b = ps[0]
    return np.sum(W * b)


def loop_over_list_of_pairs(x, W1, b1, W2, b2):
    # zero gradient for every W: the loop's (W, b) item adjoints were concatenated
    h = x
    for W, b in [(W1, b1), (W2, b2)]:
        h = np.tanh(W @ h + b)
    return np.sum(h)


def sum_of_joined_lists(x, y):
    # (2.0, 2.0) at (1, 2), right (1.0, 1.0): `[x] + [y]` was differentiated as an addition
    return sum([x] + [y])


def joined_tuples_of_different_shapes(x, y):
    # ValueError inside unbroadcast: `(x,) + (y,)` of arrays of different shapes
    a = (x,) + (y,)
    b = a + (x * 2.0,)
    return np.sum(a[0]) + np.sum(b[1] * b[1]) + np.sum(b[2] * b[0])


def enumerate_zip_nested_target(x, y):
    # TypeError: object of type 'zip' has no len() in the generated code
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + a * b * i
    return s


def zip_of_zip(xs, ys):
    s = 0.0
    for (a, b), c in zip(zip(xs, ys), xs):
        s = s + a * b + np.sin(c)
    return s


def mlp_over_param_list(params, x):
    # a list of (W, b) of different shapes, as an argument: its gradient is a list of tuples
    h = x
    for W, b in params:
        h = np.tanh(W @ h + b)
    return np.sum(h * h)


def enumerate_param_list(ps):
    s = 0.0
    for i, (W, b) in enumerate(ps):
        s = s + np.sum(W * W) * b * (i + 1.0)
    return s


def nested_tuple_argument(t):
    (a, (b, c)) = t
    return a * b + np.sum(c * c) * a


def hidden_states_joined(x, W):
    # hs = hs + [h]: concatenation in a loop, items read back by index
    hs = [x]
    h = x
    for i in range(3):
        h = np.tanh(W @ h)
        hs = hs + [h]
    return np.sum(np.stack(hs)) + np.sum(hs[-1] * hs[1])


def repeated_list(x, y):
    xs = [x, y] * 3
    return sum(v * (k + 1.0) for k, v in enumerate(xs))


def joined_with_constants(x):
    a = [x] + [2.0, 3.0]
    b = [1.5] + a
    return a[0] * a[1] + a[2] * x + b[1] * b[0]


def _pair_helper(ps):
    W, b = ps
    return (W * 2.0, b + 1.0)


def _joined_helper(a, b):
    return a + b


def containers_through_helpers(ps, x):
    # a tuple passed to a helper, a tuple returned from it, lists joined inside a helper
    W, b = _pair_helper(ps[0])
    both = _joined_helper([W, x], (b,) and [b])
    return np.sum(both[0] * both[1]) + both[2] * np.sum(W)


_GLIST = [1.0, 2.0]


def joined_with_global_list(x):
    # the global's kind is unknown: a helper decides at run time that `+` joins lists
    a = _GLIST + [x, x * x]
    return a[2] * a[0] + a[3]


REGRESSIONS += [
    (item_of_list_of_tuples, [([(2.0, 3.0)],), ([(np.array([0.5, -1.0]), 1.5)],)], 0),
    (loop_over_list_of_pairs, [tuple(np.random.default_rng(8).standard_normal(s) for s in [(3,), (3, 3), (3,), (2, 3), (2,)])],
     (1, 2, 3, 4)),
    (sum_of_joined_lists, [(1.0, 2.0), (0.3, -1.2)], (0, 1)),
    (joined_tuples_of_different_shapes, [(np.array([0.3, 0.4]), np.array([0.7, 0.1, -0.2]))], (0, 1)),
    (enumerate_zip_nested_target, [(np.arange(1.0, 4.0), np.arange(2.0, 5.0))], (0, 1)),
    (zip_of_zip, [(np.arange(1.0, 4.0), np.array([0.2, -0.4, 0.9, 1.0]))], (0, 1)),
    (mlp_over_param_list, [([(np.random.default_rng(9).standard_normal((4, 3)), np.random.default_rng(10).standard_normal(4)),
                             (np.random.default_rng(11).standard_normal((2, 4)), np.random.default_rng(12).standard_normal(2))],
                            np.array([0.3, -0.5, 0.8]))], (0, 1)),
    (enumerate_param_list, [([(np.array([0.5, 1.0]), 2.0), (np.array([0.1, 0.2, 0.3]), 3.0)],)], 0),
    (nested_tuple_argument, [((2.0, (3.0, np.arange(3.0))),)], 0),
    (hidden_states_joined, [(np.array([0.3, -0.2, 0.5]), np.random.default_rng(13).standard_normal((3, 3)) * 0.5)], (0, 1)),
    (repeated_list, [(0.3, 0.5)], (0, 1)),
    (joined_with_constants, [(0.7,)], 0),
    (containers_through_helpers, [([(np.array([0.5, -0.3]), 1.5)], np.array([0.2, 0.4]))], (0, 1)),
    (joined_with_global_list, [(0.7,)], 0),
]


def repeated_index_add(x):
    # 2.0 instead of 1.0 (issue 8): NumPy's `y[[0, 0]] += x` adds x once, the
    # reverse sweep gave x the adjoint of both writes
    y = np.zeros(2)
    y[[0, 0]] += x
    return y[0] * 3.0 + y[1]


def repeated_index_assign(x):
    # [1, 1] instead of [0, 1] (issue 8): the last write wins, the first
    # element of x is overwritten and gets no adjoint
    y = np.zeros(2)
    y[[0, 0]] = x
    return np.sum(y * y)


def run_time_index_update(x):
    # wrong gradient (issue 8): an index known only at run time repeats
    # entries; -= and *= read, combine and write back once per entry too
    y = np.zeros(4)
    y[np.arange(4) // 2] += x
    y[np.arange(4) % 2] -= x * x
    y[np.array([[1, 1], [3, 3]])] *= x[:2] + 1.0
    return np.sum(y * np.arange(4.0))


def repeated_pairs_in_loop(x):
    # wrong gradient (issue 8): 2-d integer indices with a repeated pair, a
    # broadcast scalar value, inside a loop whose reverse sweep restores y
    y = np.ones((2, 3))
    for i in range(2):
        y[[0, 0, 1], [i, i, -1]] = y[1, 1] * x[i] + x[2]
    return np.sum(y * y)


def zero_d_array_written_in_loop(x):
    # TypeError: 'float' object is not subscriptable (issue 8): the adjoint
    # of a returned 0-d array was the float seed, indexed as `y_bar[()]`
    y = np.zeros(())
    for i in range(3):
        y[()] = y * x + 1
    return y


def list_written_at_repeated_index(x):
    # 3.0 instead of 2.0 (issue 8): a list value written at a repeated index;
    # its adjoint is an array with the list's shape
    y = np.zeros(3)
    y[[0, 0]] = [x, x * 2]
    return np.sum(y * np.arange(1.0, 4.0))


def index_tuple_in_a_name(x):
    # wrong gradient (issue 8): an index tuple held in a name, here of lists
    # with a repeated pair
    y = np.zeros((2, 3))
    idx = (1, 2)
    y[idx] = x[0]
    pairs = ([0, 0], [1, 1])
    y[pairs] = x[:2]
    return np.sum(y * np.arange(6.0).reshape(2, 3))


REGRESSIONS += [
    (list_written_at_repeated_index, [(0.7,)], 0),
    (index_tuple_in_a_name, [(np.array([0.5, 1.5, -1.0]),)], 0),
    (repeated_index_add, [(1.0,), (-0.3,)], 0),
    (repeated_index_assign, [(np.array([5.0, 7.0]),)], 0),
    (run_time_index_update, [(np.array([0.5, -1.2, 0.8, 2.0]),)], 0),
    (repeated_pairs_in_loop, [(np.array([0.4, -0.9, 1.3]),)], 0),
    (zero_d_array_written_in_loop, [(2.0,), (-0.7,)], 0),
]


# --------------------------------- issue 8 campaign: a write whose value is the written array
def write_array_into_itself(y):
    # y[1] got 0 (found by the fuzzer, seed 1022, index 47): the contribution of
    # the value (y's old self) was added, then zeroed with the overwritten entries
    t = np.copy(y)
    t[np.arange(3) // 2] = t
    u = np.copy(y) * 2.0
    u[...] = u
    return np.sum(t * np.array([1.0, 2.0, 3.0])) + np.sum(u * u)


REGRESSIONS += [
    (write_array_into_itself, [(np.array([0.39, 0.69, 1.66]),)], 0),
]


# A helper's result that the helper's own may-alias analysis proves new
# (issue 8, fresh results): written into and updated in place by the caller,
# once and in a loop; the helper's argument is read after the write and must
# not see it. (Refused before: "what a helper returned, which may be (a view
# of) its argument or a global".)


def _affine(W, x, b):
    return W @ x + b


def _act(x):
    return np.tanh(x)


def _moments(x):
    return np.mean(x) * np.ones(3), np.std(x) + 0.5 * x


def _passthrough_and_new(x):
    return x, 2.0 * x


class _Scale:
    def __init__(self):
        self.W = np.array([0.5, -1.0, 2.0])

    def apply(self, x):
        return self.W * x


_SCALE = _Scale()


def write_into_fresh_helper_result(x):
    W = np.outer(x, x) * 0.5
    h = _affine(W, x, x)
    h[0] = 2.0 * h[1]
    h += x
    return np.sum(h * x) + np.sum(x * x)  # x is unaffected by the writes into h


def update_fresh_helper_result_in_loop(x):
    s = 0.0
    for i in range(3):
        h = _act(x * (i + 1.0))
        h[i] = h[i] * x[i]
        h *= 2.0
        s = s + np.sum(h) + x[i] * np.sum(x)
    return s


def update_fresh_items_of_helper_tuple(x):
    m, s = _moments(x)
    m += s
    m[0] = x[1]
    return np.sum(m * s) + np.sum(x * x)


def write_into_new_item_beside_argument(x):
    a, b = _passthrough_and_new(x)
    b[0] = 1.0
    b += a
    return np.sum(a * b) + np.sum(x)


def write_into_fresh_method_and_lambda_results(x):
    h = _SCALE.apply(x)
    h[0] = x[2] ** 2
    g = lambda v: v * 3.0  # noqa: E731
    k = g(x)
    k -= h
    return np.sum(k * x) + np.sum(_SCALE.W * x)


REGRESSIONS += [
    (write_into_fresh_helper_result, [(np.array([0.5, -1.0, 2.0]),)], 0),
    (update_fresh_helper_result_in_loop, [(np.array([0.3, -0.8, 1.2]),)], 0),
    (update_fresh_items_of_helper_tuple, [(np.array([0.5, -1.0, 2.0]),)], 0),
    (write_into_new_item_beside_argument, [(np.array([0.5, -1.0, 2.0]),)], 0),
    (write_into_fresh_method_and_lambda_results, [(np.array([0.5, -1.0, 2.0]),)], 0),
]


# ------------------------------- issue 8: impure callees run once (their reverse sweep is kept)
# Each reseeds the RandomState it draws from as its first statement, so it is
# deterministic and central differences make sense; the helpers draw, print,
# or change a global list, so running them again in the reverse sweep (as a
# pure callee is) would differentiate another function.
_RS = np.random.RandomState(0)
EFFECTS = []


def _noisy(x):
    return x * _RS.randn()


def calls_noisy(x):
    # refused before (the reverse sweep re-ran _noisy, which draws again)
    _RS.seed(0)
    return np.sum(_noisy(x))


def _logs(x):
    EFFECTS.append(1)
    return x * len(EFFECTS)


def calls_logs(x):
    # refused: _logs changes and reads a global list (tests/analysis/test_purity.py)
    EFFECTS.clear()
    return np.sum(_logs(x) * x)


def _dropout(h, p):
    mask = _RS.random_sample(h.shape) > p
    return h * mask / (1.0 - p)


def mlp_with_dropout(W1, W2, X):
    _RS.seed(0)
    h = X
    for k in range(3):
        h = np.tanh(_dropout(h @ W1, 0.3))
    out = _dropout(h, 0.2) @ W2
    return np.mean(out ** 2)


def _prints(x):
    print("the helper runs", x)
    EFFECTS.append(1)
    return np.sin(x) * 2.0


def calls_printing_helper(x):
    return _prints(x * x) + x


def _inner_draw(x):
    e = _RS.standard_normal(np.shape(x))
    return np.sin(x) + 0.1 * e * x, e


def _outer_draw(x, w):
    a, e = _inner_draw(x * w)
    return a * e, np.sum(a)


def nested_impure_helpers_returning_tuples(x, w):
    _RS.seed(0)
    s = 0.0
    for i in range(2):
        u, v = _outer_draw(x, w)
        s = s + np.sum(u * u) + v * w
        x = u
    return s


def _noisy_loop(h, W):
    # a loop inside the kept callee: its reverse sweep pops what the loop overwrote
    for k in range(2):
        mask = _RS.random_sample(np.shape(h)) > 0.3
        h = np.tanh(h @ W) * mask
    return h


def impure_helper_with_a_loop(W, x):
    _RS.seed(1)
    h = x
    for i in range(2):
        h = _noisy_loop(h, W)
    return np.sum(h ** 2)


def impure_helper_in_while_and_branch(x, scale=2.0):
    _RS.seed(0)

    def jitter(v, s=scale):
        return v * (1.0 + 0.1 * _RS.standard_normal()) * s

    y = x
    n = 0
    while y < 10.0:
        y = jitter(y) + 1.0
        n += 1
        if n > 5:
            break
    if x > 0.2:
        z = jitter(x, s=0.5)
    else:
        z = x
    return y + z


def impure_helper_is_the_output(x):
    _RS.seed(2)
    return _noisy(x * x)


def _noisy_sum(a):
    e = _RS.standard_normal(np.shape(a))
    return np.sum(np.sin(a) * e)


def kept_callee_argument_written_after_the_call(x):
    # the kept callee's closure reads `a` when the reverse sweep calls it:
    # the write after the call must be undone first, though nothing else in
    # the reverse sweep reads `a`
    _RS.seed(0)
    a = x * 1.0
    s = 2.0 * _noisy_sum(a)
    a[0] = 5.0
    for i in range(2):
        s = s + 3.0 * _noisy_sum(a)
        a[i + 1] = s
    return s


_W3 = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [-0.6, 0.2, 0.7]])
_X43 = np.array([[0.3, -0.7, 0.2], [1.1, 0.4, -0.5], [-0.2, 0.9, 0.6], [0.5, 0.1, -1.0]])

REGRESSIONS += [
    (calls_noisy, [(np.array([0.5, -1.0, 2.0]),)], 0),
    (mlp_with_dropout, [(_W3, _W3[:, :2], _X43)], (0, 1)),
    (calls_printing_helper, [(0.7,)], 0),
    (nested_impure_helpers_returning_tuples, [(np.array([0.1, 0.4, 0.7, 1.0]), 0.7)], (0, 1)),
    (impure_helper_with_a_loop, [(_W3, _X43)], (0, 1)),
    (impure_helper_in_while_and_branch, [(0.3,), (0.1,)], 0),
    (impure_helper_is_the_output, [(0.8,)], 0),
    (kept_callee_argument_written_after_the_call, [(np.array([0.3, -0.5, 0.8]),)], 0),
]


# A tuple (or nested list) literal appended to a list, or built by a list
# comprehension, lost its adjoint in reverse mode: the reverse sweep popped
# the list's adjoint item and routed it only to a *name* (found by the ML
# corpus, 2026-12).
def comprehension_of_tuples(xs):
    pairs = [(x * 2.0, x) for x in xs]
    return pairs[0][0] + sum(a * b for a, b in pairs)


def append_nested_literal(x, v):
    ps = []
    ps.append((x * 2.0, [x, (np.sin(x), v)]))
    ps.append((v, [x, (x, v * x)]))
    return np.sum(ps[0][1][1][1] * ps[-1][1][1][1]) + ps[0][0] * ps[1][1][0]


REGRESSIONS += [
    (comprehension_of_tuples, [([0.5, -1.2, 2.0],)], 0),
    (append_nested_literal, [(0.7, np.array([0.3, -0.5, 0.8]))], (0, 1)),
]


# Common subexpressions were shared before the alias analysis ran: two equal
# new arrays became one, so a write into one changed the other (a silent wrong
# gradient), and two copies of one array became one name, which hid a read
# after an in-place update from the alias analysis (found by the fuzzer after
# writes into arguments landed, 2026-12).
def write_into_one_of_two_equal_arrays(x):
    a = x * 1.0
    b = x * 1.0
    a[0] = 5.0
    return np.sum(a * b)


def update_one_of_two_equal_arrays(x):
    a = x * 1.0
    b = x * 1.0
    a *= 3.0
    b[1] = 2.0 * b[2]
    return np.sum(a * b)


def append_to_one_of_two_empty_lists(x):
    a = []
    b = []
    a.append(x * 2.0)
    b.append(np.sin(x))
    return np.sum(a[0] * b[0])


REGRESSIONS += [
    (write_into_one_of_two_equal_arrays, [(np.array([1.0, 2.0, 3.0]),)], 0),
    (update_one_of_two_equal_arrays, [(np.array([0.5, -2.0, 1.5]),)], 0),
    (append_to_one_of_two_empty_lists, [(np.array([0.5, -2.0, 1.5]),)], 0),
]


# A chain of copies in a loop (t3 = x; t4 = t3; x = t2) made t2's adjoint an
# alias of x_bar, and a later copy rebound x_bar before t2's contribution read
# it: a silent wrong gradient (found by the fuzzer, 2026-12).
def rotating_copies_in_a_loop(x, y, w):
    t4 = y * _C3
    for j in range(1, 3):
        t5 = w * 1.0
        t5[[1, 0, 1]] -= np.expm1(np.sin(t4))
        t4, x = x, np.sin(t4)
    return np.sum(t4)


def swap_three_in_a_loop(a, b, c):
    for _ in range(3):
        a, b, c = b, np.sin(c), a * 0.5
    return np.sum(a * b + c)


_C3 = np.array([0.3, -0.7, 1.1])

REGRESSIONS += [
    (rotating_copies_in_a_loop, [(np.array([-0.63, 0.377, -1.44]), 0.547, np.array([-0.55, 0.94]))], (0, 1, 2)),
    (swap_three_in_a_loop, [(np.array([0.2, -0.4]), np.array([0.7, 1.1]), np.array([-0.3, 0.5]))], (0, 1, 2)),
]


# `for i, x in enumerate(xs, start=k)` dropped the `start=` keyword (only a
# positional start was seen, and refused): i counted from 0, a silent wrong
# gradient (found by hand-written adversarial programs, session 13).
def enumerate_with_start(x, y):
    s = sum(i * v for i, v in enumerate(x, start=1))
    for i, (a, b) in enumerate(zip(x, y), -1):
        s = s + i * a * b
    for a, (j, b) in zip(x, enumerate(y, start=2)):
        s = s + j * a * b
    return s


REGRESSIONS += [
    (enumerate_with_start, [(np.array([1.2, -0.7, 0.4]), np.array([0.5, -1.0, 2.0]))], (0, 1)),
]


# `dtype=int` in a reduction was ignored by its rule: the integer sum got the
# derivative of the float one (found by hand-written adversarial programs,
# session 13). An integer or boolean dtype makes the result piecewise constant.
def reductions_with_integer_dtype(x):
    n = np.sum(x > 0, dtype=int)
    return np.sum(x, dtype=int) * 1.0 + x.sum(dtype=np.int64) * x[0] + np.mean(x * n, dtype="f8") + np.sum(x, dtype=float)


REGRESSIONS += [
    (reductions_with_integer_dtype, [(np.array([1.3, -0.4, 2.2]),), (np.array([-1.3, -0.4, 0.7]),)], 0),
]


# A name the reverse sweep reads that a path leaves unassigned (found by
# hand-written adversarial programs, session 13): `a` below, computed from
# values the loop never changes, is not kept on the tape, and the zeros of its
# adjoint on the path that never assigned it read it (UnboundLocalError at
# x = 1.5); a placeholder for the tape, written just before a loop, hid the
# value a branch had assigned before it (TypeError on None at x = 1.5, 2.5).
def assigned_on_the_break_path_only(x):
    for i in range(1):
        if x > 3.0:
            continue
        if x > 2.0:
            a = x * 2.0
            break
        a = x * 3.0
    if x > 3.0:
        return x
    return a * x


def assigned_in_one_branch_read_in_another(x):
    if x > 2.0:
        a = x * 2.0
    if x > 3.0 or x <= 2.0:
        return x
    return a * x


def assigned_in_one_branch_before_a_loop(x):
    s = x
    if x > 1.0:
        a = x * 2.0
    for i in range(2):
        if x > 2.0:
            a = a * s
        s = s * 1.1
    if x > 2.0:
        return a * s
    return s


REGRESSIONS += [
    (assigned_on_the_break_path_only, [(1.5,), (2.5,), (3.3,)], 0),
    (assigned_in_one_branch_read_in_another, [(1.5,), (2.5,), (3.3,)], 0),
    (assigned_in_one_branch_before_a_loop, [(1.5,), (2.5,)], 0),
]
