"""The keep score: which notes a tenant over its budget keeps (SPEC section 2).

keep = w_q · (q − q0) / α  +  w_u · log(1 + uses) / log(1 + most uses)
     + w_r · log(1 + times returned) / log(1 + most returned)
     + w_t · 2^(−age / half-life)  +  w_i · information

q is the learned utility (SPEC stage 5) measured from q0 in units of the learning rate α, so
one rewarded use (q0 → q0 + α(1 − q0)) adds about w_q·(1 − q0) and one punished use takes as
much away: a note feedback has shown useful is kept over one never retrieved, a note shown
useless goes before it. Usage and retrievals are the memory's own record of what helped
(they count only while q ≥ q0: being returned and punished is no merit);
age counts from the last use (or the writing). Information is how much a note says (its
words and its names, numbers and dates, against the tenant's median note, capped at 1), the
only evidence there is for a note nobody has asked about yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from asem.config import FeedbackConfig, LifecycleConfig
from asem.stores.base import NoteLife


def keep_scores(notes: Sequence[NoteLife], at: datetime, config: LifecycleConfig,
                feedback: FeedbackConfig) -> np.ndarray:
    """One keep score per note (higher: kept longer); comparable within one call only."""
    if not notes:
        return np.zeros(0)
    utility = np.array([(n.utility - feedback.initial_utility) / feedback.learning_rate
                        for n in notes])
    uses = _share(np.log1p([n.usage_count for n in notes]))
    returned = _share(np.log1p([n.retrievals for n in notes]))
    half_life = config.recency_half_life_days
    recency = np.array([math.exp(-math.log(2) * _age_days(n, at) / half_life) for n in notes])
    # Uses and retrievals speak for a note only while feedback has not found it useless.
    helpful = utility >= 0
    return (config.utility_weight * utility
            + helpful * (config.usage_weight * uses + config.retrieval_weight * returned)
            + config.recency_weight * recency
            + config.information_weight * information(notes))


def information(notes: Sequence[NoteLife]) -> np.ndarray:
    """How much each note says, in [0, 1]: half its words, half its facts (names, numbers,
    dates), each against the median note of ``notes`` and capped at twice it."""
    words = np.array([n.words for n in notes], dtype=np.float64)
    facts = np.array([n.facts for n in notes], dtype=np.float64)
    return 0.5 * _against_median(words) + 0.5 * _against_median(facts)


def _against_median(values: np.ndarray) -> np.ndarray:
    middle = max(float(np.median(values)), 1.0)
    return np.minimum(values / (2 * middle), 1.0)


def _share(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values, dtype=np.float64)


def _age_days(note: NoteLife, at: datetime) -> float:
    last = note.last_used or note.created_at
    return max(0.0, (at - last).total_seconds() / 86400)
