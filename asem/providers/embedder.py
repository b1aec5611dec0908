"""The embedder protocol.

Contract: ``embed`` maps texts to unit-length float32 vectors of shape (n, dimension), so the
dot product of two rows is their cosine similarity in [-1, 1], higher is closer. Queries and
documents may be encoded differently (e5-style prefixes); callers say which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns text into unit vectors. Implementations must be deterministic and thread-safe."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        """Unit vectors, float32, shape (len(texts), dimension). ``kind``: document | query."""
        ...


@runtime_checkable
class SpanEmbedder(Embedder, Protocol):
    """An embedder that can also pool a span of each text from the same forward pass."""

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(full-text vectors, vectors of ``text[start:end]``), both unit length."""
        ...


def embed_notes(
    embedder: Embedder, documents: Sequence[str], spans: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Note embeddings (e) of ``documents`` and intent embeddings (z) of their content spans.

    An embedder that can pool a span does it in one forward pass (z is then pooled over the
    content tokens of the document pass); any other embedder is called twice.
    """
    if isinstance(embedder, SpanEmbedder):
        return embedder.embed_with_spans(documents, spans)
    return embedder.embed(documents), embedder.embed([d[a:b] for d, (a, b) in
                                                      zip(documents, spans, strict=True)])


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)
