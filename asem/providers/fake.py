"""A deterministic embedder for tests: hashed bag of words (and word pairs).

Texts that share words get positive cosine similarity; identical texts get 1.0. Exact,
fast, and needs no model, so ranking tests can assert exact orders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from asem.providers.embedder import normalize_rows

_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Bag-of-words vectors in a fixed number of hashed dimensions."""

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.model_id = f"hash-bow-{dimension}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vec[index] += sign
        return vec

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalize_rows(np.stack([self._vector(t) for t in texts]))

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        parts = [t[a:b] for t, (a, b) in zip(texts, spans, strict=True)]
        return self.embed(texts), self.embed(parts)
