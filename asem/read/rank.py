"""Phase B (value-aware selection): z-scored relevance and utility, timeliness, usage.

score = (1 − λ)·ẑ(relevance) + λ·ẑ(q) + w_t·timeliness + w_u·usage, where ẑ is the z-score
within the candidate pool C(q) (SPEC stage 4) and relevance fuses the dense and BM25 channels:
relevance = (1 − w_lex)·ẑ(cosine) + w_lex·ẑ(bm25) (+ w_c·context boost). Every ranked note
carries the terms of its score (``ScoreParts``, see there for how relevance splits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from asem.config import ReadConfig
from asem.read.recall import Candidates
from asem.stores.base import NoteSignals
from asem.types import ScoreParts


def zscore(values: np.ndarray) -> np.ndarray:
    """(x − mean) / std within the pool; all zeros when the pool has no spread."""
    if values.size == 0:
        return values
    std = float(values.std())
    if std < 1e-12:
        return np.zeros_like(values, dtype=np.float64)
    return (values - values.mean()) / std


def timeliness(note: NoteSignals, at: datetime, half_life_days: float) -> float:
    """1 for a note used (or written) just now, halving every ``half_life_days``."""
    last = note.last_used or note.created_at
    age_days = max(0.0, (at - last).total_seconds() / 86400)
    return math.exp(-math.log(2) * age_days / half_life_days)


def with_context(relevance: np.ndarray, around: list[tuple[int, ...]], keep: list[int],
                 weight: float) -> np.ndarray:
    """relevance + weight · (best neighbour's relevance above the pool's floor).

    ``around[j]`` holds pool positions (before ``keep`` selected positions); neighbours
    left out of ``keep`` do not count. A turn next to a strong match rises: the question
    "What did Melanie paint?" matches "What did you paint lately?" and lifts the reply.
    """
    if relevance.size == 0:
        return relevance
    slot = {position: j for j, position in enumerate(keep)}
    floor = relevance - relevance.min()
    boost = np.array([max((floor[slot[p]] for p in near if p in slot), default=0.0)
                      for near in around])
    return relevance + weight * boost


@dataclass(frozen=True)
class Ranked:
    note_id: str
    score: float
    similarity: float
    lexical: float
    parts: ScoreParts | None = None
    """The terms ``score`` sums (None where the score was made some other way)."""


def rank(candidates: Candidates, notes: Mapping[str, NoteSignals], config: ReadConfig,
         at: datetime) -> list[Ranked]:
    """All candidates (those missing from ``notes`` left out), best first."""
    keep = [i for i, note_id in enumerate(candidates.ids) if note_id in notes]
    if not keep:
        return []
    ids = [candidates.ids[i] for i in keep]
    dense, lexical = candidates.dense[keep], candidates.lexical[keep]
    weight = config.lexical_weight * candidates.lexical_scale
    z_dense, z_lexical = zscore(dense), zscore(lexical)
    relevance = (1 - weight) * z_dense + weight * z_lexical
    if config.context_weight > 0 and candidates.around:
        relevance = with_context(relevance, [candidates.around[i] for i in keep], keep,
                                 config.context_weight)
    pool = [notes[i] for i in ids]
    utility = np.array([n.utility for n in pool], dtype=np.float64)
    fresh = np.array([timeliness(n, at, config.timeliness_half_life_days) for n in pool])
    usage = np.log1p(np.array([n.usage_count for n in pool], dtype=np.float64))
    if usage.max() > 0:
        usage /= usage.max()
    lam = config.utility_weight
    scores = ((1 - lam) * zscore(relevance) + lam * zscore(utility)
              + config.timeliness_weight * fresh + config.usage_weight * usage)
    order = np.argsort(-scores, kind="stable")
    parts = score_parts(z_dense, z_lexical, relevance, weight, zscore(utility), fresh, usage,
                        config)  # beside the score, which is left as it was
    return [Ranked(ids[i], float(scores[i]), float(dense[i]), float(lexical[i]),
                   ScoreParts(*(float(x) for x in parts[i]))) for i in order]


def score_parts(z_dense: np.ndarray, z_lexical: np.ndarray, relevance: np.ndarray,
                weight: float, z_utility: np.ndarray, fresh: np.ndarray, usage: np.ndarray,
                config: ReadConfig) -> np.ndarray:
    """One row per note: the six terms of its score, in ``ScoreParts`` order.

    (1 − λ)·ẑ(relevance) = (1 − λ)(relevance − mean) / std splits by channel: the dense and
    lexical shares are theirs over std; what is left is the context boost's, centred."""
    lam = config.utility_weight
    std = float(relevance.std())
    share = (1 - lam) / std if std >= 1e-12 else 0.0  # zscore gives zeros without spread
    dense_part = share * (1 - weight) * z_dense
    lexical_part = share * weight * z_lexical
    context_part = share * (relevance - relevance.mean()) - dense_part - lexical_part
    return np.stack([dense_part, lexical_part, context_part, lam * z_utility,
                     config.timeliness_weight * fresh, config.usage_weight * usage], axis=1)
