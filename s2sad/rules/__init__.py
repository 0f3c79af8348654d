"""Derivative rules: one declarative table per namespace.

``table`` defines :class:`Rule` and the registry; ``operators`` (Python
operators, builtins and ``math``) and ``numpy`` fill it; ``runtime_rules``
fills a table of its own with the forward rules of the helpers generated
gradients call (forward mode over a gradient: ``hvp``, ``hessian``). Users
add rules with :func:`s2sad.register_adjoint`, the same call the built-in
tables use.
"""

from . import numpy as _numpy  # noqa: F401,E402  (fills RULES)
from . import operators as _operators  # noqa: F401,E402  (fills RULES)
from . import runtime_rules as _runtime_rules  # noqa: F401,E402  (fills RUNTIME_RULES, for forward mode)
from .table import RULES, Rule, register_adjoint, register_nondifferentiable  # noqa: F401
