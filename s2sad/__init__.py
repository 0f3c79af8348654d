"""s2sad: source-to-source automatic differentiation for Python and NumPy.

>>> import numpy as np, s2sad
>>> @s2sad.grad
... def f(x1, x2):
...     return np.log(x1) + x1 * x2 - np.sin(x2)
>>> f(2.0, 5.0)
5.5
"""

from .api import grad, source, value_and_grad, vjp
from .check import check_grad
from .compgraph import graph
from .derivatives import hessian, hvp, jacobian, jvp
from .errors import (
    ArgumentError,
    LazyArrayError,
    NoRuleError,
    OutputError,
    S2SADError,
    SharedMemoryError,
    SourceUnavailableError,
    UnsupportedSyntaxError,
)
from .export import export
from .rules import register_adjoint, register_nondifferentiable
from .version import __version__ as __version__  # one place: export stamps it too

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacobian",
    "hessian",
    "hvp",
    "source",
    "export",
    "check_grad",
    "graph",
    "register_adjoint",
    "register_nondifferentiable",
    "S2SADError",
    "UnsupportedSyntaxError",
    "NoRuleError",
    "SourceUnavailableError",
    "ArgumentError",
    "LazyArrayError",
    "OutputError",
    "SharedMemoryError",
]
