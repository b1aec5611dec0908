"""Nearest neighbours of new notes and the similarity links made to them (SPEC stage 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from asem.stores.base import VectorIndex
from asem.types import Note, Scope
from asem.write.manager import Candidate

NoteLookup = Callable[[Sequence[str]], dict[str, Note]]
"""Live notes by id (the store's ``get_notes``)."""


class Neighbourhood:
    """A user's stored notes as the current batch has changed them so far.

    Notes added earlier in the batch are searchable; a note the batch updated is found by
    its new vectors, one it deleted or superseded is not found at all, nor is one superseded
    before (a past fact is not what new information is decided against). Quarantined notes
    (``quarantined``: their ids) are never found either: new information is neither merged
    into them nor linked to them, and their text reaches no model.
    """

    def __init__(self, index: VectorIndex, lookup: NoteLookup,
                 quarantined: Iterable[str] = ()) -> None:
        self._index = index
        self._lookup = lookup
        self._pending: dict[str, Note] = {}
        self._hidden: set[int] = set()
        """Rows of the stored index that the batch replaced or deleted (or quarantined)."""
        for note_id in quarantined:
            self._hide(note_id)

    def add(self, note: Note) -> None:
        """A new or updated note (an updated one shadows its stored row)."""
        self._hide(note.id)
        if not note.quarantined:
            self._pending[note.id] = note

    def remove(self, note_id: str) -> None:
        self._hide(note_id)
        self._pending.pop(note_id, None)

    def _hide(self, note_id: str) -> None:
        row = self._index.row_of(note_id)
        if row is not None:
            self._hidden.add(row)

    def nearest(self, scope: Scope, embedding: np.ndarray, intent: np.ndarray,
                k: int) -> list[Candidate]:
        """The k nearest notes in ``scope`` by note-embedding cosine, nearest first."""
        index = self._index
        visible = [n for n in self._pending.values() if scope.contains(n.scope)]
        if not len(index) and not visible:
            return []
        rows, sims = self._stored(scope, embedding, k)
        if visible:
            sims = np.concatenate([sims, np.stack([n.embedding for n in visible]) @ embedding])
        best = np.argpartition(-sims, k - 1)[:k] if len(sims) > k > 0 else np.arange(len(sims))
        top = [int(i) for i in best[np.argsort(-sims[best])][:k] if np.isfinite(sims[i])]
        stored = len(rows)
        found = self._lookup([index.ids[rows[i]] for i in top if i < stored])
        notes = [found.get(index.ids[rows[i]]) if i < stored else visible[i - stored]
                 for i in top]
        # z-similarities only for the k winners: the whole matrix is not needed.
        return [
            Candidate(note.id, note.content, float(sims[i]),
                      float(np.dot(note.intent_embedding, intent)),  # type: ignore[arg-type]
                      note.observed_at, note.tier, note.speaker, note.intent_embedding)
            for i, note in zip(top, notes, strict=True) if note is not None
        ]

    def _stored(self, scope: Scope, embedding: np.ndarray, k: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the stored index that may hold the k nearest (every row, or a shortlist
        of a large index) and their similarities, −∞ for a row not to be found."""
        index = self._index
        if not len(index):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        mask = index.scope_mask(scope) & ~index.closed()
        mask[list(self._hidden)] = False
        rows = index.shortlist(embedding, mask, k)
        if rows is None:
            return np.arange(len(index)), np.where(mask, index.similarities(embedding), -np.inf)
        return rows, index.similarities_at(embedding, rows)


def similarity_links(candidates: list[Candidate], min_similarity: float
                     ) -> tuple[tuple[str, str, float], ...]:
    """(target, relation, strength) for every candidate similar enough to link."""
    return tuple(
        (c.note_id, f"similar (cosine {c.similarity:.2f})", round(c.similarity, 4))
        for c in candidates if c.similarity >= min_similarity
    )
