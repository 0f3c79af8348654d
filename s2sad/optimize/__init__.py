"""Optimizations over the SSA core and the generated code."""
