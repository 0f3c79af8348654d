"""Forward mode: primal and tangent code, interleaved (see transform.py),
and the pipeline that builds it (build.py)."""
