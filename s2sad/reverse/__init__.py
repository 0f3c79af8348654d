"""Reverse mode: forward sweep + reverse sweep in one generated function
(transform.py), assembled with its signature (assemble.py). The pipeline
(s2sad.pipeline) runs it."""
