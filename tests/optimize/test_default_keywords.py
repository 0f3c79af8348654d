"""Default keywords (s2sad.optimize.default_keywords): before/after."""

import ast

import gast
import pytest

from s2sad.optimize.default_keywords import drop_default_keywords


def tidied(text: str, np_name: str = "np") -> str:
    return ast.unparse(gast.gast_to_ast(drop_default_keywords(gast.parse(text, mode="eval").body, np_name)))


@pytest.mark.parametrize(
    "before, after",
    [
        ("np.sum(x, axis=None, keepdims=False)", "np.sum(x)"),
        ("np.mean(x, keepdims=False)", "np.mean(x)"),
        ("np.sum(x, axis=0, keepdims=True)", "np.sum(x, axis=0, keepdims=True)"),  # not the defaults
        ("np.max(x, axis=None)", "np.max(x, axis=None)"),  # only sum and mean
        ("g * np.sum(np.mean(x, axis=None), axis=None)", "g * np.sum(np.mean(x))"),  # nested too
        ("numpy.sum(x, axis=None)", "numpy.sum(x, axis=None)"),  # another name than numpy's here
    ],
)
def test_drops_the_defaults_of_sum_and_mean(before: str, after: str) -> None:
    assert tidied(before) == after


def test_follows_the_name_numpy_has_in_generated_code() -> None:
    assert tidied("_np.sum(x, axis=None)", "_np") == "_np.sum(x)"
