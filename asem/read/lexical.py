"""How much a search can trust its BM25 channel: the IDF-weighted share of the query that
the best lexical match holds.

"I've been having trouble with the battery life on my phone lately. Any tips?" over a
store that never mentions a battery or a phone: the best BM25 matches hold "life" or "tips"
only, a small share of the question's IDF mass, and z-scoring them within the pool would
give them the spread of a real match. "When did Caroline go to the LGBTQ support group?"
matched by "I went to a LGBTQ support group yesterday" holds most of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def idf(document_frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, kept positive: log(1 + (N − n + ½) / (n + ½))."""
    n = min(max(document_frequency, 0), documents)
    return math.log(1 + (documents - n + 0.5) / (n + 0.5))


def coverage(stats: Mapping[str, tuple[int, set[str]]], documents: int) -> float:
    """The largest share of the query terms' IDF mass that one note holds, in [0, 1].

    ``stats`` maps each query term to (its document frequency, the candidate notes it
    matches), as ``Store.term_stats`` gives them; 0 without terms."""
    weights = {t: idf(count, documents) for t, (count, _) in stats.items()}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    held: dict[str, float] = {}
    for term, (_, holders) in stats.items():
        for note_id in holders:
            held[note_id] = held.get(note_id, 0.0) + weights[term]
    return max(held.values(), default=0.0) / total


def weight_scale(share: float, sigma: float, floor: float) -> float:
    """min(1, share / σ), at least ``floor``; 1 when σ ≤ 0 (the scaling is off)."""
    if sigma <= 0:
        return 1.0
    return max(floor, min(1.0, share / sigma))
