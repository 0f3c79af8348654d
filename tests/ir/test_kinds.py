"""Kinds (s2sad.ir.kinds): the text a user writes reads back as it was
written, and the kind algebra (join, ndim, items) on a table of kinds."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from s2sad.ir.kinds import (
    ARRAY,
    BOTTOM,
    DICT,
    EMPTY_LIST,
    INT,
    NUMERIC,
    PENDING,
    SCALAR,
    TUPLE,
    Kind,
    any_item,
    array_kind,
    as_list,
    dict_entries,
    dict_kind,
    fn_kind,
    is_array,
    is_container,
    is_dict,
    join,
    list_item,
    list_kind,
    maybe_container,
    ndim,
    nesting,
    obj_kind,
    parse_kind,
    tuple_fields,
    tuple_items,
    tuple_kind,
)
from s2sad.pipeline import kind_of_value

SPELLINGS = [
    "scalar", "int", "numeric", "complex", "shape", "array", "array0", "array2", "tuple", "tuple()",
    "tuple(scalar,array1)", "tuple(?,int)", "tuple(W=array2,b=array1)", "list[]", "list[?]", "list[scalar]",
    "list[tuple(array2,array1)]", "dict", "dict()", "dict('W':array2,'b':array1)", "dict(0:scalar,'k':?)",
    "dict('p':tuple(W=array2,b=list[scalar]))", "obj:3",
]  # fmt: skip


@pytest.mark.parametrize("text", SPELLINGS)
def test_a_kind_reads_back_as_written(text):
    kind = parse_kind(text)
    assert str(kind) == text
    assert parse_kind(str(kind)) == kind and hash(parse_kind(text)) == hash(kind)
    assert pickle.loads(pickle.dumps(kind)) == kind


def test_question_mark_is_unknown_and_bad_text_is_refused():
    assert parse_kind("?") is None
    assert Kind.parse("array3") == array_kind(3)
    for bad in ["", "Scalar", "array-1", "tuple(", "list[scalar", "dict('a')", "dict(a:scalar)", "tuple(scalar,)"]:
        with pytest.raises(ValueError, match="is not a kind"):
            parse_kind(bad)


def test_the_constructors_spell_what_the_analyses_spelled():
    assert str(tuple_kind([SCALAR, None], ["W", "b"])) == "tuple(W=scalar,b=?)"
    assert str(tuple_kind([], [])) == "tuple()" and tuple_fields(tuple_kind([], [])) is None
    assert str(list_kind([])) == "list[]" and list_kind([]) == EMPTY_LIST
    assert str(list_kind([array_kind(1), array_kind(2)])) == "list[array]"
    assert str(list_kind([SCALAR, None])) == "list[?]"
    assert str(dict_kind([("W", ARRAY), (1, INT)])) == "dict('W':array,1:int)"
    assert dict_kind([("a,b", SCALAR)]) == DICT and dict_kind([((1,), SCALAR)]) == DICT
    assert str(PENDING) == "<pending>" and str(BOTTOM) == "<none>"


JOINS = [  # a, b, join(a, b)
    ("scalar", "scalar", "scalar"),
    ("scalar", "int", "numeric"),
    ("array1", "array1", "array1"),
    ("array1", "array2", "array"),
    ("array2", "scalar", "numeric"),
    ("numeric", "array", "numeric"),
    ("scalar", "?", "?"),
    ("scalar", "tuple(scalar)", "?"),
    ("complex", "scalar", "?"),
    ("shape", "int", "?"),
    ("tuple(scalar,int)", "tuple(int,int)", "tuple(numeric,int)"),
    ("tuple(W=scalar,b=int)", "tuple(W=int,b=int)", "tuple(W=numeric,b=int)"),
    ("tuple(W=scalar,b=int)", "tuple(scalar,int)", "tuple(scalar,int)"),
    ("tuple(scalar)", "tuple(scalar,scalar)", "list[scalar]"),
    ("list[]", "tuple(array1,array1)", "list[array1]"),
    ("list[scalar]", "list[]", "list[scalar]"),
    ("list[scalar]", "list[array1]", "list[numeric]"),
    ("tuple", "list[scalar]", "tuple"),
    ("dict('a':int)", "dict('a':scalar)", "dict('a':numeric)"),
    ("dict('a':int)", "dict('b':int)", "dict"),
    ("dict('a':int)", "tuple(int)", "?"),
]


@pytest.mark.parametrize(("a", "b", "joined"), JOINS)
def test_join(a, b, joined):
    ka, kb = parse_kind(a), parse_kind(b)
    assert join(ka, kb) == parse_kind(joined)
    assert join(kb, ka) == parse_kind(joined)  # the table's joins are symmetric
    assert join(BOTTOM, ka) == ka and join(ka, BOTTOM) == ka


@pytest.mark.parametrize(
    ("text", "n"),
    [("scalar", 0), ("array0", 0), ("array3", 3), ("array", None), ("int", None), ("numeric", None),
     ("list[array2]", None), ("?", None)],
)  # fmt: skip
def test_ndim(text, n):
    assert ndim(parse_kind(text)) == n


def test_item_accessors_and_predicates():
    nt = parse_kind("tuple(W=array2,b=list[scalar])")
    assert tuple_items(nt) == [array_kind(2), parse_kind("list[scalar]")] and tuple_fields(nt) == ["W", "b"]
    assert list_item(parse_kind("list[array1]")) == (True, array_kind(1)) and list_item(TUPLE) == (False, None)
    assert dict_entries(parse_kind("dict('a':int,2:?)")) == [("a", INT), (2, None)] and dict_entries(DICT) is None
    assert any_item(parse_kind("tuple(array1,array2)")) == ARRAY and any_item(DICT) is None
    assert as_list(parse_kind("tuple(int,scalar)")) == parse_kind("list[numeric]") and as_list(DICT) == TUPLE
    assert is_array(array_kind(0)) and not is_array(SCALAR) and not is_array(None)
    assert is_container(TUPLE) and is_container(EMPTY_LIST) and is_dict(DICT) and not is_container(NUMERIC)
    assert maybe_container(None) and not maybe_container(SCALAR)
    assert [nesting(parse_kind(t)) for t in ("scalar", "tuple", "tuple()", "list[tuple(list[int])]")] == [0, 0, 1, 3]


def test_a_kind_equals_its_spelling_and_a_function_kind_its_function_only():
    assert array_kind(2) == "array2" and SCALAR != "array" and str(obj_kind(1)) == "obj:1"
    assert fn_kind(np.tanh) == fn_kind(np.tanh) and fn_kind(np.tanh) != fn_kind(np.sin) and fn_kind(np.tanh) != "fn"
    assert len({fn_kind(np.tanh), fn_kind(np.tanh), SCALAR, parse_kind("scalar")}) == 2


def test_values_have_the_kinds_their_spelling_says():
    assert (
        kind_of_value(1.5) == SCALAR and kind_of_value(True) == INT and kind_of_value(np.ones((2, 3))) == "array2"
    )
    # an array's kind has its broadcast pattern too (no dim of length 1 here), which the spelling leaves out
    assert kind_of_value(np.ones((2, 3))) == array_kind(2, frozenset()) != array_kind(2)
    assert str(kind_of_value({"W": np.ones(2), "n": [1.0, 2.0]})) == "dict('W':array1,'n':list[scalar])"
    assert str(kind_of_value((np.ones(1), 2.0))) == "tuple(array1,scalar)"
