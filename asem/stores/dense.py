"""The dense channel as a store serves it (``Store.dense``): what one search may ask of the
notes it may return, whatever holds their vectors.

A ``DenseSource`` stands for the notes a search of one scope with one set of filters may
return at one instant: live notes of the scope, valid for the search (``visible_rows``: the
rule of ``asem.read.validity``), passing the metadata filters, and not quarantined unless the
filters include quarantined notes. The read path asks it for the nearest notes to a vector,
the similarity of given notes, their conversational neighbours and the embeddings a query
expansion averages; it never sees a matrix, a row or a database.

``MatrixSource`` answers from a ``VectorIndex`` held in the process (the SQLite store's,
loaded once and patched from its change log): one matrix product per query vector, every
answer a lookup in it. A store that searches elsewhere (PostgreSQL's HNSW index,
``asem.stores.postgres.dense``) implements the same protocol in its own module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import numpy as np

from asem.stores.vector_index import Turn, VectorIndex, replies
from asem.types import Filters, Scope


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
    search may return. The similarities of the last vector asked about are kept: the
    nearest notes, the lexical and dated candidates and the neighbours of one search read
    one matrix product. Similarities are NumPy float32 scalars, as the product gives
    them."""

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

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        sims = self._sims(vector)
        top = np.argpartition(-sims, k - 1)[:k] if len(sims) > k else np.arange(len(sims))
        top = top[np.argsort(-sims[top])]
        return [(self._index.ids[r], sims[r]) for r in top if np.isfinite(sims[r])]

    def nearest_said(self, vector: np.ndarray, speakers: frozenset[str],
                     k: int) -> dict[str, float]:
        """The ``k`` notes said by any of ``speakers`` (lower-cased labels) most similar to
        ``vector`` that the search may return, with their similarity, most similar first
        (read from the index's rows of each speaker's notes, one array operation)."""
        rows = self._index.said_rows(speakers)
        sims = self._sims(vector)[rows] if len(rows) else np.zeros(0, dtype=np.float32)
        shown = np.isfinite(sims)
        rows, sims = rows[shown], sims[shown]
        top = np.argpartition(-sims, k - 1)[:k] if len(sims) > k else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return {self._index.ids[int(rows[i])]: sims[i] for i in top}

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        sims = self._sims(vector)
        rows = ((note_id, self._index.row_of(note_id)) for note_id in ids)
        return {note_id: sims[row] for note_id, row in rows
                if row is not None and self._mask[row]}

    def nearest_embeddings(self, vector: np.ndarray, k: int) -> np.ndarray:
        sims = self._sims(vector)
        m = min(k, int(np.isfinite(sims).sum()))
        if m <= 0:
            return self._index.embeddings[:0]
        return self._index.embeddings[np.argpartition(-sims, m - 1)[:m]]

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
