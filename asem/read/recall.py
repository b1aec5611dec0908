"""Phase A (recall): dense cosine ≥ δ and BM25, within the caller's scope and filters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asem.config import ReadConfig
from asem.read.terms import query_terms
from asem.stores.base import Store
from asem.types import Filters, Scope


@dataclass(frozen=True)
class Candidates:
    """The candidate pool C(q): ids with their dense and lexical scores."""

    ids: list[str]
    dense: np.ndarray
    """Cosine similarity of the query and each candidate's note embedding."""
    lexical: np.ndarray
    """BM25 score (0 where the candidate matched no query term)."""

    def __len__(self) -> int:
        return len(self.ids)


def recall(query_vector: np.ndarray, query: str, scope: Scope, filters: Filters,
           store: Store, config: ReadConfig) -> Candidates:
    index = store.vector_index(scope.user_id)
    if not len(index):
        return Candidates([], np.zeros(0), np.zeros(0))
    mask = index.scope_mask(scope)
    allowed: set[str] | None = None
    if not filters.empty:
        allowed = store.filtered_ids(scope, filters)
        mask &= np.fromiter((i in allowed for i in index.ids), dtype=bool, count=len(index))
    sims = np.where(mask, index.embeddings @ query_vector, -np.inf)
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
    rows = list(dict.fromkeys([*dense_rows, *lexical_rows]))
    ids = [index.ids[r] for r in rows]
    return Candidates(
        ids=ids,
        dense=np.array([sims[r] for r in rows], dtype=np.float64),
        lexical=np.array([lexical.get(i, 0.0) for i in ids], dtype=np.float64),
    )
