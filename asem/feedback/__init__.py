"""The feedback path: retrieval id + reward → utility update (SPEC stage 5)."""
