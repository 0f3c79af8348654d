"""Code generation: gast tree -> source text -> a compiled, debuggable function."""
