"""Nearest neighbours of new notes and the similarity links made to them (SPEC stage 3)."""

from __future__ import annotations

import numpy as np

from asem.stores.base import VectorIndex
from asem.types import Note, Scope
from asem.write.manager import Candidate


class Neighbourhood:
    """A user's stored notes plus the notes accepted earlier in the same batch."""

    def __init__(self, index: VectorIndex) -> None:
        self._index = index
        self._pending: list[Note] = []

    def add(self, note: Note) -> None:
        self._pending.append(note)

    def nearest(self, scope: Scope, embedding: np.ndarray, intent: np.ndarray,
                k: int) -> list[Candidate]:
        """The k nearest notes in ``scope`` by note-embedding cosine, nearest first."""
        index = self._index
        visible = [n for n in self._pending if scope.contains(n.scope)]
        if not len(index) and not visible:
            return []
        sims = [np.where(index.scope_mask(scope), index.similarities(embedding), -np.inf)
                if len(index) else np.zeros(0)]
        if visible:
            sims.append(np.stack([n.embedding for n in visible]) @ embedding)  # type: ignore[misc]
        sim = np.concatenate(sims)
        best = np.argpartition(-sim, k - 1)[:k] if len(sim) > k > 0 else np.arange(len(sim))
        top = [int(i) for i in best[np.argsort(-sim[best])][:k] if np.isfinite(sim[i])]
        stored = len(index)
        # z-similarities only for the k winners: the whole matrix is not needed.
        intent_rows = [index.intents[i] if i < stored else visible[i - stored].intent_embedding
                       for i in top]
        return [
            Candidate(index.ids[i] if i < stored else visible[i - stored].id, float(sim[i]),
                      float(np.dot(z_row, intent)))  # type: ignore[arg-type]
            for i, z_row in zip(top, intent_rows, strict=True)
        ]

def similarity_links(candidates: list[Candidate], min_similarity: float
                     ) -> tuple[tuple[str, str, float], ...]:
    """(target, relation, strength) for every candidate similar enough to link."""
    return tuple(
        (c.note_id, f"similar (cosine {c.similarity:.2f})", round(c.similarity, 4))
        for c in candidates if c.similarity >= min_similarity
    )
