"""Phase A (recall): dense cosine ≥ δ and BM25, within the caller's scope and filters,
among the notes valid for the search (``asem.read.validity``) and, unless
``Filters.include_quarantined``, not quarantined (``asem.guard``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asem.config import ReadConfig
from asem.read.lexical import coverage, weight_scale
from asem.read.terms import asks_for_total, query_terms
from asem.stores.base import Store
from asem.stores.dense import DenseSource
from asem.types import Filters, Scope


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
    session (see ``DenseSource.turn_neighbours``); empty when context is off."""
    lexical_scale: float = 1.0
    """Factor on the BM25 weight for this search (``ReadConfig.lexical_confidence``)."""

    def __len__(self) -> int:
        return len(self.ids)


def recall(query_vector: np.ndarray, query: str, scope: Scope, filters: Filters,
           store: Store, config: ReadConfig, dated: frozenset[str] = frozenset(),
           named: frozenset[str] = frozenset(), *,
           source: DenseSource | None = None) -> Candidates:
    """C(q); ``dated``: notes of a period the query names (``asem.read.when``), whose
    ``k_candidates`` most similar join the pool; ``named``: speakers the query names
    (``asem.read.speakers``), whose ``speaker_pool`` most similar notes join it. The dense
    channel is the store's (``Store.dense``; ``source`` when the search has it already):
    whichever holds the vectors, only the notes the search may return are read."""
    if source is None:
        source = store.dense(scope, filters)
    vector = query_vector
    if config.query_expansion > 0 and (config.expand_all_queries or asks_for_total(query)):
        vector = _expanded(query_vector, source, config)
    k1 = config.k_candidates
    dense = {note_id: sim for note_id, sim in source.nearest(vector, k1)
             if sim > config.min_similarity}
    lexical: dict[str, float] = {}
    terms = query_terms(query) if config.lexical_weight > 0 else []  # weight 0: channel off
    documents = source.live_count() if terms else 0  # BM25's N: a query on PostgreSQL
    ranked_by = _within_budget(store, scope.user_id, terms, documents, config.lexical_postings)
    matches = store.lexical(scope.user_id, ranked_by, limit=k1 * 4)
    visible = source.similarities(vector, [note_id for note_id, _ in matches])
    for note_id, score in matches:
        if note_id in visible:
            lexical[note_id] = score
            if len(lexical) == k1:
                break
    scale = 1.0
    if config.lexical_confidence > 0 and lexical:
        share = _held_share(store, scope.user_id, terms, list(lexical), documents,
                            config.lexical_confidence)
        scale = weight_scale(share, config.lexical_confidence, config.lexical_confidence_floor)
    sims = dense | {note_id: visible[note_id] for note_id in lexical}
    sims |= _nearest_of(dated, source.similarities(vector, list(dated)) if dated else {}, k1)
    if named and config.speaker_pool > 0:
        said = source.said_by(named)
        sims |= _nearest_of(said, source.similarities(vector, list(said)), config.speaker_pool)
    ids = list(sims)
    around: list[tuple[int, ...]] = []
    if config.context_weight > 0:
        ids, around = _with_turn_neighbours(ids, source)
        sims |= source.similarities(vector, [i for i in ids if i not in sims])
    return Candidates(
        ids=ids,
        dense=np.array([sims[i] for i in ids], dtype=np.float64),
        lexical=np.array([lexical.get(i, 0.0) for i in ids], dtype=np.float64),
        around=around,
        lexical_scale=scale,
    )


def _within_budget(store: Store, user_id: str, terms: list[str], documents: int,
                   budget: int | None) -> list[str]:
    """``terms`` whose postings the BM25 ranking reads: all of them while they hold at most
    ``budget`` postings (``ReadConfig.lexical_postings``), else the rarest ones that stay
    within it, in the query's order. The rarest term the tenant holds always stays (with
    any it does not hold: they cost nothing)."""
    if budget is None or len(terms) < 2 or len(terms) * documents <= budget:
        return terms
    counts = {term: count for term, (count, _) in store.term_stats(user_id, terms, []).items()}
    kept: set[str] = set()
    total = 0
    for term in sorted(terms, key=lambda t: counts.get(t, 0)):
        count = counts.get(term, 0)
        if total > 0 and total + count > budget:
            break
        total += count
        kept.add(term)
    return [term for term in terms if term in kept]


def _held_share(store: Store, user_id: str, terms: list[str], ranked: list[str],
                documents: int, enough: float) -> float:
    """``coverage`` over the lexical matches ``ranked`` (best first), or a share of at least
    ``enough`` when the best match alone holds that much: the weight's scale is 1 either
    way, and the other matches need not be asked about (one lookup per term and note).
    Coverage is a maximum over notes, so the best match's share and the others' together
    are the share of them all."""
    share = coverage(store.term_stats(user_id, terms, ranked[:1]), documents)
    if share >= enough or len(ranked) == 1:
        return share
    return max(share, coverage(store.term_stats(user_id, terms, ranked[1:]), documents))


def _nearest_of(ids: frozenset[str], sims: dict[str, float], k: int) -> dict[str, float]:
    """The ``k`` notes of ``ids`` most similar to the query, with their similarity, most
    similar first; ``sims``: the similarity of those the search may return."""
    found = [note_id for note_id in ids if note_id in sims]
    values = np.array([sims[i] for i in found])
    chosen = np.arange(len(found))
    if len(found) > k:
        chosen = chosen[np.argpartition(-values, k - 1)[:k]]
    chosen = chosen[np.argsort(-values[chosen])]
    return {found[i]: sims[found[i]] for i in chosen}


def _expanded(query_vector: np.ndarray, source: DenseSource,
              config: ReadConfig) -> np.ndarray:
    """q + w · (mean of the nearest notes' unit embeddings), renormalised."""
    near = source.nearest_embeddings(query_vector, config.expansion_notes)
    if not len(near):
        return query_vector
    vector = query_vector + config.query_expansion * near.mean(axis=0)
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else query_vector


def _with_turn_neighbours(ids: list[str], source: DenseSource
                          ) -> tuple[list[str], list[tuple[int, ...]]]:
    """The pool plus the session neighbours of its members, and each member's neighbours
    as pool positions. An answer often sits in the reply to the turn a question matches."""
    around = source.turn_neighbours(ids)
    pool = list(dict.fromkeys([*ids, *(n for i in ids for n in around.get(i, ()))]))
    asked = set(ids)
    around |= source.turn_neighbours([i for i in pool if i not in asked])
    position = {note_id: i for i, note_id in enumerate(pool)}
    return pool, [tuple(position[n] for n in around.get(i, ()) if n in position)
                  for i in pool]
