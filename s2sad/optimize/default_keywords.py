"""Default keywords: drop ``axis=None`` and ``keepdims=False`` from
``np.sum``/``np.mean`` calls, where a rule's template spells out those
functions' defaults.

Input: an expression (a forward template once spliced; ``np_name`` is the
name numpy has in the generated code). Output: the same expression, the
calls without those keywords. Forward mode runs it on its tangent templates
(reverse mode's templates pass such keywords on as the call gave them).

>>> import gast
>>> from s2sad.codegen.emit import expr_source
>>> e = gast.parse("np.sum(x_dot, axis=None, keepdims=False)", mode="eval").body
>>> expr_source(drop_default_keywords(e, "np"))
'np.sum(x_dot)'
"""

from __future__ import annotations

import gast


def drop_default_keywords(expr: gast.expr, np_name: str) -> gast.expr:
    """Drop ``axis=None`` and ``keepdims=False`` from ``np.sum``/``np.mean``:
    they are those functions' defaults, spelled out by the templates."""

    class Tidy(gast.NodeTransformer):
        def visit_Call(self, node: gast.Call) -> gast.AST:
            self.generic_visit(node)
            f = node.func
            if (
                isinstance(f, gast.Attribute)
                and f.attr in ("sum", "mean")
                and isinstance(f.value, gast.Name)
                and f.value.id == np_name
            ):
                node.keywords = [k for k in node.keywords if not _is_default_keyword(k)]
            return node

    return Tidy().visit(expr)


def _is_default_keyword(k: gast.keyword) -> bool:
    v = k.value
    return isinstance(v, gast.Constant) and (
        (k.arg == "axis" and v.value is None) or (k.arg == "keepdims" and v.value is False)
    )
