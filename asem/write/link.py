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
        ids: list[str] = []
        sims: list[np.ndarray] = []
        intents: list[np.ndarray] = []
        index = self._index
        if len(index):
            mask = index.scope_mask(scope)
            rows = np.flatnonzero(mask)
            ids.extend(index.ids[r] for r in rows)
            sims.append(index.embeddings[rows] @ embedding)
            intents.append(index.intents[rows] @ intent)
        visible = [n for n in self._pending if scope.contains(n.scope)]
        if visible:
            ids.extend(n.id for n in visible)
            sims.append(np.stack([n.embedding for n in visible]) @ embedding)  # type: ignore[misc]
            intents.append(np.stack([n.intent_embedding for n in visible]) @ intent)  # type: ignore[misc]
        if not ids:
            return []
        sim = np.concatenate(sims)
        intent_sim = np.concatenate(intents)
        top = np.argsort(-sim)[:k]
        return [Candidate(ids[i], float(sim[i]), float(intent_sim[i])) for i in top]


def similarity_links(candidates: list[Candidate], min_similarity: float
                     ) -> tuple[tuple[str, str, float], ...]:
    """(target, relation, strength) for every candidate similar enough to link."""
    return tuple(
        (c.note_id, f"similar (cosine {c.similarity:.2f})", round(c.similarity, 4))
        for c in candidates if c.similarity >= min_similarity
    )
