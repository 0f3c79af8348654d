"""Forward mode: primal and tangent code, interleaved (transform.py); the
resolver of generated code's helpers and tapes (resolver.py); reading
generated code back and a jvp's signature (generated.py). The pipeline
(s2sad.pipeline) runs it."""
