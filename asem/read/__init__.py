"""The read path: query → candidates (dense + lexical) → value-aware ranking → link expansion."""
