"""Intent-conditioned utility: what feedback on similar queries says about a note.

The global utility of a note is the EMA q ← q + α(r − q) over all its feedback (SPEC stage 5).
Conditioned on a query x, the same EMA is replayed with each step scaled by how much the
rewarded query x_j resembles x:

    q(x) ← q(x) + α_j·w(x, x_j)·(r_j − q(x)),   w = clip((cos(x, x_j) − s0) / (1 − s0), 0, 1)

starting from the utility the note had before its first recorded update. With w ≡ 1 this is
exactly the global utility; for a query unlike every rewarded one (cos ≤ s0) it is that
starting value, so feedback on one question does not move the note for unrelated ones. The
rewarded queries play the part of the note's intent embedding z in SPEC stage 1 ("of the
query it answered").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from asem.stores.base import NoteSignals
from asem.types import FeedbackEvent


def transfer(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """w in [0, 1]: 0 at or below ``threshold`` cosine similarity, 1 for the same query."""
    return np.clip((similarity - threshold) / (1.0 - threshold), 0.0, 1.0)


def _weights(query_vector: np.ndarray, events: Sequence[FeedbackEvent],
             threshold: float) -> list[float]:
    # An event whose query vector was not recorded (or has another size) counts fully.
    return [1.0 if e.query_vector is None or e.query_vector.shape != query_vector.shape
            else float(transfer(np.asarray(e.query_vector @ query_vector), threshold))
            for e in events]


def conditioned_utility(query_vector: np.ndarray, events: Sequence[FeedbackEvent],
                        threshold: float) -> float:
    """The note's utility for this query: its feedback replayed, weighted by query similarity."""
    q = events[0].utility_before
    for event, w in zip(events, _weights(query_vector, events, threshold), strict=True):
        q += event.learning_rate * w * (event.reward - q)
    return q


def conditioned_signals(query_vector: np.ndarray, signals: Mapping[str, NoteSignals],
                        events: Mapping[str, Sequence[FeedbackEvent]],
                        threshold: float) -> dict[str, NoteSignals]:
    """``signals`` with each rewarded note's utility and usage conditioned on the query.

    Usage counts only the feedback from related queries (w > 0), plus any uses that left no
    event, for the same reason: being used for one question says little about another.
    """
    found = dict(signals)
    for note_id, s in signals.items():
        mine = events.get(note_id)
        if not mine:
            continue
        weights = _weights(query_vector, mine, threshold)
        related = sum(w > 0 for w in weights) + max(0, s.usage_count - len(mine))
        found[note_id] = replace(s, utility=conditioned_utility(query_vector, mine, threshold),
                                 usage_count=related)
    return found
