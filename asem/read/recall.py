"""Phase A (recall): dense cosine ≥ δ and BM25, within the caller's scope and filters,
among the notes valid for the search (``asem.read.validity``) and, unless
``Filters.include_quarantined``, not quarantined (``asem.guard``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asem.config import ReadConfig
from asem.read.lexical import coverage, weight_scale
from asem.read.speakers import speaker_rows
from asem.read.terms import asks_for_total, query_terms
from asem.read.validity import visible_rows
from asem.stores.base import Store, VectorIndex
from asem.types import Filters, Scope, now


@dataclass(frozen=True)
class Candidates:
    """The candidate pool C(q): ids with their dense and lexical scores."""

    ids: list[str]
    dense: np.ndarray
    """Cosine similarity of the query and each candidate's note embedding (of the expanded
    query for a question that counts or sums, see ``ReadConfig.query_expansion``)."""
    lexical: np.ndarray
    """BM25 score (0 where the candidate matched no query term)."""
    around: list[tuple[int, ...]] = field(default_factory=list)
    """Per candidate, the pool positions of the turns just before and after it in its
    session (see ``VectorIndex.turn_neighbours``); empty when context is off."""
    lexical_scale: float = 1.0
    """Factor on the BM25 weight for this search (``ReadConfig.lexical_confidence``)."""

    def __len__(self) -> int:
        return len(self.ids)


def recall(query_vector: np.ndarray, query: str, scope: Scope, filters: Filters,
           store: Store, config: ReadConfig, dated: frozenset[str] = frozenset(),
           named: frozenset[str] = frozenset()) -> Candidates:
    """C(q); ``dated``: notes of a period the query names (``asem.read.when``), whose
    ``k_candidates`` most similar join the pool; ``named``: speakers the query names
    (``asem.read.speakers``), whose ``speaker_pool`` most similar notes join it."""
    index = store.vector_index(scope.user_id)
    if not len(index):
        return Candidates([], np.zeros(0), np.zeros(0))
    mask = index.scope_mask(scope) & visible_rows(index, filters, now())
    if not filters.include_quarantined:  # a handful of ids, from a partial index
        for note_id in store.quarantined_ids(scope.user_id):
            if (row := index.row_of(note_id)) is not None:
                mask[row] = False
    allowed: set[str] | None = None
    if not filters.empty:
        allowed = store.filtered_ids(scope, filters)
        mask &= np.fromiter((i in allowed for i in index.ids), dtype=bool, count=len(index))
    sims = np.where(mask, index.similarities(query_vector), -np.inf)
    if config.query_expansion > 0 and (config.expand_all_queries or asks_for_total(query)):
        sims = np.where(mask, index.similarities(_expanded(query_vector, sims, index, config)),
                        -np.inf)
    k1 = config.k_candidates
    top = np.argpartition(-sims, k1 - 1)[:k1] if len(sims) > k1 else np.arange(len(sims))
    top = top[np.argsort(-sims[top])]
    dense_rows = [int(r) for r in top if sims[r] > config.min_similarity]
    lexical: dict[str, float] = {}
    lexical_rows: list[int] = []
    terms = query_terms(query) if config.lexical_weight > 0 else []  # weight 0: channel off
    for note_id, score in store.lexical(scope.user_id, terms, limit=k1 * 4):
        row = index.row_of(note_id)
        if row is not None and mask[row]:
            lexical[note_id] = score
            lexical_rows.append(row)
            if len(lexical) == k1:
                break
    scale = 1.0
    if config.lexical_confidence > 0 and lexical:
        share = coverage(store.term_stats(scope.user_id, terms, list(lexical)), index.live_count)
        scale = weight_scale(share, config.lexical_confidence, config.lexical_confidence_floor)
    rows = list(dict.fromkeys([*dense_rows, *lexical_rows,
                               *_nearest_rows(_rows_of(dated, index), sims, k1),
                               *_nearest_rows(_named_rows(named, index), sims,
                                              config.speaker_pool)]))
    around: list[tuple[int, ...]] = []
    if config.context_weight > 0:
        rows, around = _with_turn_neighbours(rows, index, mask)
    ids = [index.ids[r] for r in rows]
    return Candidates(
        ids=ids,
        dense=np.array([sims[r] for r in rows], dtype=np.float64),
        lexical=np.array([lexical.get(i, 0.0) for i in ids], dtype=np.float64),
        around=around,
        lexical_scale=scale,
    )


def _rows_of(ids: frozenset[str], index: VectorIndex) -> np.ndarray:
    return np.array([r for i in ids if (r := index.row_of(i)) is not None], dtype=np.int64)


def _named_rows(named: frozenset[str], index: VectorIndex) -> np.ndarray:
    """The rows of the notes said by any of ``named``."""
    said = speaker_rows(index)
    found = [said[label] for label in sorted(named) if label in said]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _nearest_rows(rows: np.ndarray, sims: np.ndarray, k: int) -> list[int]:
    """The ``k`` of ``rows`` most similar to the query (visible ones), most similar first."""
    rows = rows[np.isfinite(sims[rows])] if rows.size else rows
    if k <= 0 or not rows.size:
        return []
    if rows.size > k:
        rows = rows[np.argpartition(-sims[rows], k - 1)[:k]]
    return [int(r) for r in rows[np.argsort(-sims[rows], kind="stable")]]


def _expanded(query_vector: np.ndarray, sims: np.ndarray, index: VectorIndex,
              config: ReadConfig) -> np.ndarray:
    """q + w · (mean of the nearest notes' unit embeddings), renormalised."""
    m = min(config.expansion_notes, int(np.isfinite(sims).sum()))
    if m <= 0:
        return query_vector
    near = np.argpartition(-sims, m - 1)[:m]
    centroid = index.embeddings[near].mean(axis=0)
    vector = query_vector + config.query_expansion * centroid
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else query_vector


def _with_turn_neighbours(rows: list[int], index: VectorIndex,
                          mask: np.ndarray) -> tuple[list[int], list[tuple[int, ...]]]:
    """The pool plus the session neighbours of its members, and each member's neighbours
    as pool positions. An answer often sits in the reply to the turn a question matches."""
    pool = list(rows)
    for row in rows:
        pool.extend(n for n in index.turn_neighbours(row) if mask[n])
    pool = list(dict.fromkeys(pool))
    position = {row: i for i, row in enumerate(pool)}
    around = [tuple(position[n] for n in index.turn_neighbours(row) if n in position)
              for row in pool]
    return pool, around
