"""Reverse mode: forward sweep + reverse sweep in one generated function."""
