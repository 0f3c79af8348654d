"""s2sad's version: one place, read by the package and by ``export`` (which stamps it into the modules it writes)."""

__version__ = "0.1.0"
