"""Every refusal is an s2sad error naming file, line, column and construct,
with a hint, raised before any generated code runs."""

import inspect

import numpy as np
import pytest

import s2sad

from . import error_cases as ec

REFUSED = [
    (ec.uses_try, "try", s2sad.UnsupportedSyntaxError),
    (ec.uses_with, "with", s2sad.UnsupportedSyntaxError),
    (ec.uses_global, "global", s2sad.UnsupportedSyntaxError),
    (ec.uses_dictcomp, "dict comprehension", s2sad.UnsupportedSyntaxError),
    (ec.uses_setcomp, "set comprehension", s2sad.UnsupportedSyntaxError),
    (ec.recursive, "recursive call", s2sad.UnsupportedSyntaxError),
    (ec.passes_lambda, "lambda passed as an argument that reads", s2sad.UnsupportedSyntaxError),
    (ec.uses_class, "classdef", s2sad.UnsupportedSyntaxError),
    (ec.uses_yield, "generator (yield)", s2sad.UnsupportedSyntaxError),
    (ec.no_rule, "numpy.fft", s2sad.NoRuleError),
    (ec.unknown_method, ".cumprod()", s2sad.NoRuleError),
    (ec.writes_view_of_argument, "a view of `x`", s2sad.UnsupportedSyntaxError),
    (ec.calls_helper_writing_argument, "it writes into its argument `a`", s2sad.UnsupportedSyntaxError),
    (ec.calls_helper_updating_argument, "it writes into its argument `a`", s2sad.UnsupportedSyntaxError),
    (ec.writes_view, "is a view of", s2sad.UnsupportedSyntaxError),
    (ec.calls_varargs_helper, "use of **kw", s2sad.UnsupportedSyntaxError),
    (ec.uses_starargs, "*-expression", s2sad.UnsupportedSyntaxError),
    (ec.uses_dict, "dict", s2sad.UnsupportedSyntaxError),
    (ec.uses_del, "delete", s2sad.UnsupportedSyntaxError),
    (ec.inplace_on_alias, "refers to the same array", s2sad.UnsupportedSyntaxError),
    (ec.inplace_on_viewed, "a view or a container of", s2sad.UnsupportedSyntaxError),
    (ec.list_two_names, "also refers to", s2sad.UnsupportedSyntaxError),
    (ec.extends_list, "for its effect", s2sad.UnsupportedSyntaxError),
    (ec.copyto_effect, "for its effect", s2sad.UnsupportedSyntaxError),
    (ec.uses_eval, "eval()", s2sad.UnsupportedSyntaxError),
    (ec.uses_locals, "locals()", s2sad.UnsupportedSyntaxError),
    (ec.uses_r_, "indexing `np.r_`", s2sad.NoRuleError),
    (ec.uses_complex, "complex", s2sad.NoRuleError),
    (ec.uses_complex_cast, "complex", s2sad.NoRuleError),
    (ec.calls_storing_helper, "_STORED", s2sad.UnsupportedSyntaxError),
    (ec.calls_helper_changing_argument, "`lst`", s2sad.UnsupportedSyntaxError),
    (ec.nested_nonlocal, "nonlocal", s2sad.UnsupportedSyntaxError),
    (ec.nested_recursive, "recursive call to r", s2sad.UnsupportedSyntaxError),
    (ec.nested_calls_later_nested, "defined after it", s2sad.UnsupportedSyntaxError),
    (ec.library_callee, "statistics.fmean", s2sad.NoRuleError),
    (ec.einsum_interleaved, "argument `subscripts`", s2sad.UnsupportedSyntaxError),
    (ec.changes_a_global_array, "it changes `_STATE`", s2sad.UnsupportedSyntaxError),
    (ec.changes_what_a_callee_reads, "it changes `_STATE`", s2sad.UnsupportedSyntaxError),
    (ec.appends_to_a_global_list, "changes the global `_HISTORY`", s2sad.UnsupportedSyntaxError),
    (ec.norm_order_from_x, "argument `ord`", s2sad.UnsupportedSyntaxError),
    (ec.repeats_by_unknown_count, "repeats a list", s2sad.UnsupportedSyntaxError),
    (ec.unpacks_wrong_count, "unpacking 3 values into 2 names", s2sad.UnsupportedSyntaxError),
    (ec.average_returned_by_position, "numpy.average takes at most 3 arguments", s2sad.UnsupportedSyntaxError),
    (ec.extends_list_in_place, "`xs += ...` on a list", s2sad.UnsupportedSyntaxError),
    (ec.sum_with_dtype_of_a_local, "whether the `dtype=` of this call of numpy.sum", s2sad.UnsupportedSyntaxError),
]


def _line_of(fn, needle):
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if needle in text:
            return first + k
    raise AssertionError(needle)


@pytest.mark.parametrize("fn,construct,kind", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_refusal_names_file_line_column_construct(fn, construct, kind):
    with pytest.raises(kind) as info:
        s2sad.grad(fn)(np.ones(3) if fn is not ec.uses_starargs else 1.0)
    err = info.value
    text = str(err)
    assert isinstance(err, s2sad.S2SADError)
    assert construct.lower() in text.lower()
    assert err.location is not None
    assert err.location.filename.endswith("error_cases.py")
    assert inspect.getsourcelines(fn)[1] <= err.location.lineno
    assert "^" in text  # the caret under the construct
    assert "hint:" in text
    # the traceback ends in s2sad's own raise, not deep in a helper: the error is the user's
    assert err.location.col >= 0


# (function, text of the refused line, where the caret goes on it, what the message names, hint)
ALIASED = [
    (ec.write_seen_by_list, "y[0] = x[0] * 2", "y[0]", "`hs` holds `y`", "copy"),
    (ec.write_seen_by_tuple, "y[0] = x[0] * 2", "y[0]", "`pair` holds `y`", "copy"),
    (ec.write_seen_by_appended_list, "y[1] = x[0] * 2", "y[1]", "`hs` holds `y`", "copy"),
    (ec.write_seen_through_helper, "y[0] = x[0] * 2", "y[0]", "`z` may refer to the same array as `y`", "copy"),
    (ec.write_seen_through_ternary, "y[0] = x[0] * 2", "y[0]", "`z` may refer to the same array as `y`", "copy"),
    (ec.write_seen_through_astype, "y[0] = x[0] * 2", "y[0]", "`z` is a view of `y`", "copy"),
    (ec.write_seen_in_later_iteration, "y[i] = x[i] * 2", "y[i]", "`z` may refer to the same array as `y`", "copy"),
    (ec.row_swap, "Y[0], Y[1] = Y[1], Y[0]", "Y[0]", "`Y[0]` is a view of `Y`", "Y[[i, j]] = Y[[j, i]]"),
    (ec.write_seen_by_earlier_name, "x[0] = 1.0", "x[0]", "`y` may refer to the same array as `x`", "copy"),
    (ec.inplace_seen_by_argument_name, "s *= 2.0", "s", "`x` refers to the same array", "s = s *"),
    (ec.inplace_seen_by_list, "y -= 1.0", "y", "a view or a container of `y` would see the change: `hs`", "y = y -"),
    (ec.effect_call_on_array, "np.fill_diagonal", "np", "may change `y` in place", "build a new array"),
    # a helper's result, not proven new (issue 8, fresh results)
    (ec.write_into_returned_argument, "h[0] = 2.0", "h[0]", "cannot prove `_same` returns a new array", "copy"),
    (ec.update_returned_argument, "h += 1.0", "h", "`h` may be an argument of `_same`", "h = h +"),
    (ec.write_into_returned_slice, "h[0] = 2.0", "h[0]", "cannot prove `_tail` returns a new array", "copy"),
    (ec.update_returned_transpose, "h *= 2.0", "h", "cannot prove `_transposed` returns", "h = h *"),
    (ec.write_into_returned_reshape, "h[1] = x[0]", "h[1]", "cannot prove `_reshaped` returns", "copy"),
    (ec.write_into_returned_global, "h[0] = x[0]", "h[0]", "cannot prove `_the_global` returns", "copy"),
    (ec.update_returned_attribute, "h -= x", "h", "cannot prove `weights` returns a new array", "h = h -"),
    (ec.write_into_returned_list_item, "h[0] = 1.0", "h[0]", "cannot prove `_first_of` returns", "copy"),
    (ec.write_into_result_kept_in_global, "h[0] = 1.0", "h[0]", "an array `_kept` keeps", "copy"),
    # np.diff(a, n=0) is a itself (was taken as new memory: a silent wrong gradient)
    (ec.write_into_zeroth_difference, "d[0] = 5.0", "d[0]", "`d`, which may be a view of `y`", "copy"),
]


@pytest.mark.parametrize("fn,line,at,says,hint", ALIASED, ids=[c[0].__name__ for c in ALIASED])
def test_alias_of_changed_array_is_refused(fn, line, at, says, hint):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)(np.array([0.5, -1.0, 2.0]))
    err = info.value
    text = str(err)
    assert err.location.filename.endswith("error_cases.py")
    assert err.location.lineno == _line_of(fn, line)
    source_line = inspect.getsource(fn).splitlines()[err.location.lineno - inspect.getsourcelines(fn)[1]]
    assert err.location.col == source_line.index(at)
    assert says in text
    assert "^" in text
    assert hint in text.split("hint:")[1]


def test_update_of_argument_is_refused_when_the_arguments_are_one_array():
    # Python changes the caller's array: with f(b, b) the second argument sees it, while the
    # derivative changes its own copy of x: refused when the derivative is called
    def f(x, y):
        x += 1.0
        return np.sum(x * y)

    b = np.array([1.0, 2.0])
    for run in (lambda: s2sad.grad(f, wrt=(0, 1))(b, b), lambda: s2sad.jvp(f, wrt=(0, 1))(b, b, (b, b))):
        with pytest.raises(s2sad.SharedMemoryError, match="the arguments `x` and `y` share memory") as info:
            run()
        assert "x.copy()" in str(info.value).split("hint:")[1]
        assert isinstance(info.value, s2sad.S2SADError)
        assert np.array_equal(b, [1.0, 2.0])  # refused before anything ran


def test_helper_writing_into_its_argument_is_refused_at_the_call_in_both_modes():
    line = _line_of(ec.calls_helper_writing_argument, "_zero_first(x)")
    for run in (lambda x: s2sad.grad(ec.calls_helper_writing_argument)(x),
                lambda x: s2sad.jvp(ec.calls_helper_writing_argument)(x, np.ones(3))):
        with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
            run(np.ones(3))
        assert info.value.location.lineno == line
        assert f"error_cases.py, line {_line_of(ec._zero_first, 'a[0] = 0.0')}" in str(info.value)
        assert "a = a.copy()" in str(info.value).split("hint:")[1]


def test_no_rule_points_at_the_call_line():
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(ec.no_rule)(np.ones(4))
    assert info.value.location.lineno == _line_of(ec.no_rule, "np.fft.fft")
    assert "register_adjoint" in str(info.value)


def test_wrt_unknown_name():
    with pytest.raises(s2sad.ArgumentError, match="has no argument 'z'"):
        s2sad.grad(ec.helper, wrt="z")


def test_wrt_out_of_range():
    with pytest.raises(s2sad.ArgumentError, match="positional arguments"):
        s2sad.grad(ec.helper, wrt=3)


@pytest.mark.parametrize("value", [3, True, np.arange(3)], ids=["int", "bool", "int-array"])
def test_wrt_integer_argument(value):
    with pytest.raises(s2sad.ArgumentError, match="float"):
        s2sad.grad(ec.helper)(value)


def test_non_scalar_output_points_to_vjp():
    with pytest.raises(s2sad.OutputError, match="vjp"):
        s2sad.grad(ec.vector_output)(np.ones(3))


def test_returns_nothing():
    with pytest.raises(s2sad.OutputError, match="returns nothing"):
        s2sad.grad(ec.returns_nothing)(1.0)


def test_builtin_has_no_source():
    with pytest.raises(s2sad.SourceUnavailableError, match="not a Python function"):
        s2sad.grad(np.sin)(1.0)


def test_function_without_source_file():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(s2sad.SourceUnavailableError, match="cannot read the source"):
        s2sad.grad(namespace["f"])(1.0)


def test_no_rule_column_points_at_the_call():
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(ec.no_rule)(np.ones(4))
    line = inspect.getsource(ec.no_rule).splitlines()[1]
    assert info.value.location.col == line.index("np.fft.fft")


def test_function_without_rule_is_fine_on_constants():
    s2sad.check_grad(ec.no_rule_on_constant_is_fine, np.array([0.5, 1.5, -0.2]))


# the place each refusal of issue 8 section 7 points at, in both modes
AT = [
    (ec.nested_nonlocal, "nonlocal y", "nonlocal"),
    (ec.nested_recursive, "r(y * scale", "r(y * scale"),
    (ec.nested_calls_later_nested, "second(t) * 2.0", "second(t)"),
    (ec.library_callee, "statistics.fmean(", "statistics.fmean("),
    (ec.einsum_interleaved, "np.einsum(x", "np.einsum("),
    (ec.norm_order_from_x, "np.linalg.norm(x, p)", "np.linalg.norm("),
]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("fn,line_text,col_text", AT, ids=[f.__name__ for f, _, _ in AT])
def test_refusal_points_at_the_construct(fn, line_text, col_text, mode):
    x = np.ones(3)
    with pytest.raises(s2sad.S2SADError) as info:
        if mode == "grad":
            s2sad.grad(fn)(x)
        else:
            s2sad.jvp(fn)(x, x)
    loc = info.value.location
    assert loc is not None and loc.filename.endswith("error_cases.py")
    lineno = _line_of(fn, line_text)
    assert loc.lineno == lineno
    import linecache

    assert loc.col == linecache.getline(loc.filename, lineno).index(col_text)
    assert "hint:" in str(info.value)


def test_library_callee_names_the_function_and_how_to_register_it():
    with pytest.raises(s2sad.NoRuleError) as info:
        s2sad.grad(ec.library_callee)(np.ones(3))
    text = str(info.value)
    assert "statistics.py" in text  # which library file, in the message
    assert "s2sad.register_adjoint(statistics.fmean, {'data'" in text
    assert "try statement" not in text


def test_several_values_hint_is_a_selector_that_works():
    from . import regressions as rg

    with pytest.raises(s2sad.OutputError) as info:
        s2sad.grad(rg.two_values)(1.5, 2.0)
    assert "s2sad.grad(lambda x, y=2.0, *, k=1.0: two_values(x, y, k=k)[0])" in str(info.value)
    # the same lambda, written in a file, is differentiated
    assert s2sad.grad(rg.first_of_two_values)(1.5) == pytest.approx(2.0)


def test_spectral_norm_second_order_refused():
    from . import regressions as rg

    A = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    with pytest.raises(s2sad.NoRuleError, match="spectral norm"):
        s2sad.hvp(rg.spectral_norm)(A, np.ones_like(A))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_repetition_by_unknown_count_points_at_the_line(mode):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        if mode == "reverse":
            s2sad.grad(ec.repeats_by_unknown_count)(np.ones(3))
        else:
            s2sad.jvp(ec.repeats_by_unknown_count)(np.ones(3), np.ones(3))
    assert info.value.location.lineno == _line_of(ec.repeats_by_unknown_count, "* REPEATS")
    assert "int(n)" in str(info.value)


def test_inplace_on_item_of_list_argument_is_refused_in_the_callee():
    # Python changes the caller's list item: `hs[0]` read after `a += x` sees it
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(ec.update_item_of_list_argument)(np.array([0.5, -1.0, 2.0]))
    err = info.value
    assert err.location.lineno == _line_of(ec._bump_first, "a += x")
    assert "`a` is an item of the argument `hs`, which the caller owns" in str(err)
    assert "a = a +" in str(err).split("hint:")[1]


def test_fresh_helper_result_written_leaves_the_argument_alone():
    from .regressions import write_into_fresh_helper_result

    x = np.array([0.5, -1.0, 2.0])
    value, _ = s2sad.value_and_grad(write_into_fresh_helper_result)(x)
    assert np.array_equal(x, [0.5, -1.0, 2.0])
    assert value == pytest.approx(write_into_fresh_helper_result(x.copy()))
