"""NumPy and math imported under other names: s2sad resolves what a name
refers to, not its spelling."""

from math import exp as e

import numpy
import numpy as jnp_like
from numpy import sin


def spelled_differently(x):
    return numpy.sum(sin(x) * jnp_like.cos(x)) + e(0.5) * numpy.sum(x)
