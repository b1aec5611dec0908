"""The embedder protocol.

Contract: ``embed`` maps texts to unit-length float32 vectors of shape (n, dimension), so the
dot product of two rows is their cosine similarity in [-1, 1], higher is closer. Queries and
documents may be encoded differently (e5-style prefixes); callers say which.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

import numpy as np

from asem.errors import ASEMError, ProviderError


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
    with failures_typed(embedder):
        if isinstance(embedder, SpanEmbedder):
            e, z = embedder.embed_with_spans(documents, spans)
        else:
            e, z = embedder.embed(documents), embedder.embed(
                [d[a:b] for d, (a, b) in zip(documents, spans, strict=True)])
    return _checked(embedder, e, len(documents)), _checked(embedder, z, len(documents))


def embed_queries(embedder: Embedder, queries: Sequence[str]) -> np.ndarray:
    """Query vectors of ``queries`` (``kind="query"``)."""
    with failures_typed(embedder):
        vectors = embedder.embed(queries, kind="query")
    return _checked(embedder, vectors, len(queries))


@contextmanager
def failures_typed(embedder: Embedder) -> Iterator[None]:
    """Whatever an embedder raises, as a ProviderError: a write that needed the vectors
    stops before anything is stored."""
    try:
        yield
    except ASEMError:
        raise
    except Exception as e:
        raise ProviderError(
            f"the embedder {getattr(embedder, 'model_id', type(embedder).__name__)} failed "
            f"({type(e).__name__}: {e}); nothing was stored: check that it can run (its "
            "model files, or its server), then retry") from e


def _checked(embedder: Embedder, vectors: np.ndarray, rows: int) -> np.ndarray:
    shape = getattr(vectors, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != rows:
        raise ProviderError(
            f"the embedder {getattr(embedder, 'model_id', type(embedder).__name__)} returned "
            f"vectors of shape {shape} for {rows} texts; nothing was stored: check the "
            "embedder")
    return vectors


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)
