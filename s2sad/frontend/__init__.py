"""Frontend: read a function's source into a gast tree and resolve its names."""
