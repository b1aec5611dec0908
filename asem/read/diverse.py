"""Diversity in the top hits: each hit is scored by what it adds to the hits above it.

A question whose answer is spread over several notes ("What are Marta's hobbies?": a
boxing class in one conversation, piano lessons in another) fills its top k with the few
notes that match it best, and those often say the same thing twice (two turns on the same
class, a question and its echo). Greedy selection in the manner of maximal marginal
relevance (Carbonell and Goldstein, 1998) lets each place go to the best note that is not
already covered: going down the ranking, every note loses

    μ · max(0, max_j cos(e, e_j) − τ) / (1 − τ)  +  π · (hits above it from its conversation)

where j runs over the notes already placed, e are the notes' stored embeddings, μ the
``ReadConfig.diversity_weight``, τ the ``diversity_threshold`` and π the
``thread_penalty``. The note with the best score after its loss takes the next place. A
note's loss only grows as places fill, so the scores stay in order; the loss goes to
``ScoreParts.diversity``. The work is O(pool · k) cosine products, never O(notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from asem.read.rank import Ranked
from asem.stores.vector_index import VectorIndex


def threads_of(index: VectorIndex) -> dict[str, str]:
    """Note id → the conversation its first recorded turn belongs to (a map the index keeps
    and each write updates, ``VectorIndex.threads``); notes of no known conversation are
    left out."""
    return index.threads()


def contenders(ranked: Sequence[Ranked], places: int, weight: float,
               thread_penalty: float) -> list[Ranked]:
    """The notes of ``ranked`` that could take one of its first ``places`` places in
    ``diversified``, in their order: a note loses at most ``weight`` plus ``thread_penalty``
    for each note placed before it, so one scored lower than the ``places``-th by more than
    that can never pass a note of the first ``places``. The first places of the contenders
    are exactly those of the whole ``ranked``; looking at them alone spares the pool."""
    if not 0 < places < len(ranked):
        return list(ranked)
    scores = np.array([r.score for r in ranked])
    kth = float(np.partition(scores, len(scores) - places)[len(scores) - places])
    floor = kth - weight - thread_penalty * (places - 1)
    return [r for r, score in zip(ranked, scores, strict=True) if score >= floor]


def diversified(ranked: Sequence[Ranked], vectors: np.ndarray, threads: Sequence[str],
                places: int, weight: float, threshold: float, thread_penalty: float
                ) -> list[Ranked]:
    """``ranked`` (best first, with ``vectors`` its unit embeddings row by row and
    ``threads`` its conversations, "" for none) re-scored greedily for its first ``places``
    places; the notes left over lose what the placed ones cost them and follow, best first."""
    n = len(ranked)
    if n < 2 or places < 1 or (weight <= 0 and thread_penalty <= 0):
        return list(ranked)
    base = np.array([r.score for r in ranked], dtype=np.float64)
    closest = np.full(n, -np.inf)
    same_thread = np.zeros(n)
    thread_ids = np.unique(np.asarray(threads, dtype=object), return_inverse=True)[1]
    known = np.array([bool(t) for t in threads])
    loss = np.zeros(n)
    open_ = np.ones(n, dtype=bool)
    order: list[int] = []
    span = max(1.0 - threshold, 1e-9)
    for _ in range(min(places, n)):
        adjusted = np.where(open_, base - loss, -np.inf)
        pick = int(np.argmax(adjusted))  # first of equals: the ranking's order breaks ties
        order.append(pick)
        open_[pick] = False
        if weight > 0:
            closest = np.maximum(closest, vectors @ vectors[pick])
        if thread_penalty > 0 and known[pick]:
            same_thread += (thread_ids == thread_ids[pick]) & known
        redundancy = np.clip((closest - threshold) / span, 0.0, None) if weight > 0 else 0.0
        loss = np.where(open_, weight * redundancy + thread_penalty * same_thread, loss)
    rest = sorted(np.flatnonzero(open_), key=lambda i: (-(base[i] - loss[i]), i))
    return [_lowered(ranked[i], float(loss[i])) for i in [*order, *rest]]


def _lowered(hit: Ranked, by: float) -> Ranked:
    if not by:
        return hit
    parts = None if hit.parts is None else replace(hit.parts,
                                                   diversity=hit.parts.diversity - by)
    return replace(hit, score=hit.score - by, parts=parts)
