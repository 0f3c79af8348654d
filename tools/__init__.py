"""Developer tools that ship with the repository but not with the package
(``python -m tools.fuzz``, run from the repository root)."""
