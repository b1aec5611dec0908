"""The dense channel as a store serves it (``Store.dense``): what one search may ask of the
notes it may return, whatever holds their vectors.

A ``DenseSource`` stands for the notes a search of one scope with one set of filters may
return at one instant: live notes of the scope, valid for the search (``visible_rows``: the
rule of ``asem.read.validity``), passing the metadata filters, and not quarantined unless the
filters include quarantined notes. The read path asks it for the nearest notes to a vector,
the similarity of given notes, their conversational neighbours, the embeddings a query
expansion averages, and what the speaker and diversity steps read of the notes of a ranked
pool (``speakers``, ``said_by``, ``speakers_of``, ``pool_notes``: who said them, their
conversations and embeddings); it never sees a matrix, a row or a database. Every store
answers all of them, so a search runs the same steps and ranks the same notes the same way
on any store.

``MatrixSource`` answers from a ``VectorIndex`` held in the process (the SQLite store's,
loaded once and patched from its change log): one matrix product per query vector, every
answer a lookup in it. A store that searches elsewhere (PostgreSQL's HNSW index,
``asem.stores.postgres.dense``) implements the same protocol in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from asem.stores.turns import Turn, replies
from asem.stores.vector_index import VectorIndex
from asem.types import Filters, Scope


@dataclass(frozen=True)
class PoolNotes:
    """What the diversity step of a search reads of the notes of its pool."""

    vectors: np.ndarray
    """One row per note asked about, in order: its unit embedding as float64 (zeros for a
    note the store no longer holds live: it is then never redundant)."""
    threads: Mapping[str, str]
    """Note id → the conversation its first recorded turn belongs to
    (``vector_index.thread_key``), for at least each note asked about that has one (a store may
    answer with more notes); notes of no known conversation are left out."""


class DenseSource(Protocol):
    """The notes one search may return, as its dense channel reads them. Vectors are unit
    length (float32); a similarity is the cosine of the vector and a note's embedding."""

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(note id, similarity) of the ``k`` notes most similar to ``vector`` (fewer when
        fewer are visible), most similar first."""
        ...

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """The similarity of each of ``ids`` that the search may return (others absent)."""
        ...

    def nearest_embeddings(self, vector: np.ndarray, k: int) -> np.ndarray:
        """The embeddings of the ``k`` notes most similar to ``vector``, one row each, in
        any order (fewer rows when fewer are visible): what a query expansion averages."""
        ...

    def turn_neighbours(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Per note of ``ids`` the search may return, when it has any: the notes the search
        may return that hold the turns just before and after its turns in the same
        conversation, said by someone else (``VectorIndex.turn_neighbours``), in the order
        those pairs were said."""
        ...

    def live_count(self) -> int:
        """The user's live notes, whatever the scope and filters (BM25's N)."""
        ...

    def speakers(self) -> frozenset[str]:
        """The labels (lower-cased) of every speaker of the user's turns, whatever the
        scope and filters: what a query may name (``asem.read.speakers``)."""
        ...

    def said_by(self, labels: frozenset[str]) -> frozenset[str]:
        """The user's live notes holding a turn said by one of ``labels`` (lower-cased);
        ``similarities`` tells which of them the search may return."""
        ...

    def speakers_of(self, ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        """Note id → the labels (lower-cased) of the speakers of its turns, for at least each
        note of ``ids`` (a ranked pool) that has a recorded speaker; a store may answer with
        more notes."""
        ...

    def pool_notes(self, ids: Sequence[str]) -> PoolNotes:
        """The embeddings and conversations of the notes ``ids`` (a ranked pool, every one
        of which the search may return), as the user's turns record them."""
        ...


def visible_rows(index: VectorIndex, filters: Filters, at: datetime) -> np.ndarray:
    """The rows of ``index`` a search at time ``at`` with ``filters`` may return, by their
    validity (``asem.read.validity``): never an expired short-term note; with
    ``include_superseded`` every other; with ``as_of`` those that held then; else those
    whose validity has not ended by ``at``."""
    live = ~index.expired_by(at)
    if filters.include_superseded:
        return live
    if filters.as_of is not None:
        return live & index.valid_at(filters.as_of)
    return live & ~index.ended_by(at)


class MatrixSource:
    """A ``DenseSource`` over an in-memory ``VectorIndex`` and a mask of the rows the
    search may return. Over an index small enough to rank whole, the similarities of the
    last vector asked about are kept: the nearest notes, the lexical and dated candidates
    and the neighbours of one search read one matrix product. Over a larger one the nearest
    notes are ranked among a shortlist (``VectorIndex.shortlist``) and other similarities
    are computed for the notes asked about. Similarities are NumPy float32 scalars, as the
    product gives them."""

    def __init__(self, index: VectorIndex, mask: np.ndarray) -> None:
        self._index = index
        self._mask = mask
        self._last: tuple[bytes, np.ndarray] | None = None

    def _sims(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of ``vector`` with every row, −∞ where the search may not return it."""
        if not len(self._index):
            return np.zeros(0, dtype=np.float32)
        key = np.asarray(vector).tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (key, np.where(self._mask, self._index.similarities(vector), -np.inf))
        return self._last[1]

    def _nearest_rows(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the ``k`` visible notes most similar to ``vector`` (fewer when fewer
        are visible), in no particular order, and their similarities."""
        rows = self._index.shortlist(vector, self._mask, k)
        if rows is None:
            sims = self._sims(vector)
            m = min(k, int(np.isfinite(sims).sum()))
            top = np.argpartition(-sims, m - 1)[:m] if len(sims) > m > 0 else np.arange(m)
            return top, sims[top]
        sims = self._index.similarities_at(vector, rows)
        best = np.argpartition(-sims, k - 1)[:k] if len(sims) > k else np.arange(len(sims))
        return rows[best], sims[best]

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        rows, sims = self._nearest_rows(vector, k)
        return [(self._index.ids[rows[i]], sims[i]) for i in np.argsort(-sims)]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        found = ((note_id, self._index.row_of(note_id)) for note_id in ids)
        visible = [(note_id, row) for note_id, row in found
                   if row is not None and self._mask[row]]
        if not self._index.shortlists or not visible:
            sims = self._sims(vector)
            return {note_id: sims[row] for note_id, row in visible}
        sims = self._index.similarities_at(vector, np.array([row for _, row in visible]))
        return {note_id: sim for (note_id, _), sim in zip(visible, sims, strict=True)}

    def nearest_embeddings(self, vector: np.ndarray, k: int) -> np.ndarray:
        rows, _ = self._nearest_rows(vector, k) if len(self._index) else (np.arange(0), None)
        return self._index.embeddings[rows]

    def turn_neighbours(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        index, found = self._index, {}
        for note_id in ids:
            row = index.row_of(note_id)
            if row is None or not self._mask[row]:
                continue
            near = tuple(index.ids[n] for n in index.turn_neighbours(row) if self._mask[n])
            if near:
                found[note_id] = near
        return found

    def live_count(self) -> int:
        return self._index.live_count

    # The speaker and diversity steps read the maps the index keeps and each write
    # updates (``VectorIndex.speakers``, ``threads``): no query, and the maps whole.
    def speakers(self) -> frozenset[str]:
        return self._index.speaker_labels()

    def said_by(self, labels: frozenset[str]) -> frozenset[str]:
        ids = self._index.ids
        return frozenset(ids[int(row)] for row in self._index.said_rows(labels))

    def speakers_of(self, ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        return self._index.speakers()

    def pool_notes(self, ids: Sequence[str]) -> PoolNotes:
        index = self._index
        rows = [index.row_of(note_id) for note_id in ids]
        vectors = np.zeros((len(ids), index.embeddings.shape[1]))
        found = [i for i, row in enumerate(rows) if row is not None]
        vectors[found] = index.embeddings[[rows[i] for i in found]]
        return PoolNotes(vectors, index.threads())


class MatrixStore(Protocol):
    """What ``matrix_source`` reads of a store that holds its tenants' vector indexes."""

    def vector_index(self, user_id: str) -> VectorIndex: ...
    def quarantined_ids(self, user_id: str) -> set[str]: ...
    def filtered_ids(self, scope: Scope, filters: Filters) -> set[str]: ...


def matrix_source(store: MatrixStore, scope: Scope, filters: Filters,
                  at: datetime) -> MatrixSource:
    """The notes of ``scope`` a search at ``at`` with ``filters`` may return, over the
    store's vector index of the user."""
    index = store.vector_index(scope.user_id)
    if not len(index):
        return MatrixSource(index, np.zeros(0, dtype=bool))
    mask = index.scope_mask(scope) & visible_rows(index, filters, at)
    if not filters.include_quarantined:  # a handful of ids, from a partial index
        for note_id in store.quarantined_ids(scope.user_id):
            if (row := index.row_of(note_id)) is not None:
                mask[row] = False
    if not filters.empty:
        allowed = store.filtered_ids(scope, filters)
        mask &= np.fromiter((i in allowed for i in index.ids), dtype=bool, count=len(index))
    return MatrixSource(index, mask)


def reply_map(turns: Sequence[Turn]) -> dict[str, tuple[str, ...]]:
    """Note id → the notes holding the turns said right after its turns, by someone else,
    in the same conversation (``vector_index.replies``)."""
    last: dict[tuple[str, str], Turn] = {}
    found: dict[str, list[str]] = {}
    for turn in turns:
        if not turn.thread:
            continue
        key = (turn.agent_id, turn.thread)
        before, last[key] = last.get(key), turn
        if before is not None and replies(before, turn) and before.note_id != turn.note_id:
            found.setdefault(before.note_id, []).append(turn.note_id)
    return {note_id: tuple(dict.fromkeys(ids)) for note_id, ids in found.items()}
