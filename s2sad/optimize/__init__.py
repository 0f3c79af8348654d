"""Tidying passes, one per module: common subexpressions on the core (cse),
constant folding of spliced templates (fold), default keywords (default_keywords),
dead code on the generated function (dead_code), ``a + -b * c`` as ``a - b * c`` (negation),
shapes read from values the reverse sweep holds (shape_source), full-reduction adjoints kept
numbers (scalar_fill), values read once written where they are read (inline)."""
