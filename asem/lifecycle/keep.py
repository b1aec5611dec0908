"""The keep score: which notes a tenant over its budget keeps (SPEC section 2).

keep = w_i · information + w_s · salience + w_q · tanh((q − q0) / α)
     + [q ≥ q0] · w_u · log(1 + uses) / log(1 + most uses)
     + w_r · log(1 + times returned) / log(1 + most returned)
     + w_t · 2^(−age / half-life)

- information: how specific a note is against the tenant's other notes — the sum of the
  inverse document frequencies, log(N / df), of its words that at most 2 % of the tenant's
  notes use (at least 5 notes) — as a percentile rank in [0, 1]. It is the only evidence
  there is for a note nobody has asked about yet, and most notes are such notes: on LoCoMo
  it keeps the evidence of 90 % of questions at half the notes, against 85 % for word count
  and 57 % for first-in-first-out (docs/lifecycle.md).
- salience: how likely the note is to be the evidence of a later question, as the salience
  model (``asem.lifecycle.salience``, fitted on LongMemEval's labelled turns) reads its
  z embedding and shape, as a percentile rank in [0, 1] among the tenant's notes; a note the
  model cannot read (no z, another embedder) ranks in the middle (0.5). Where information
  says a note holds rare words, salience says it reads like a turn that states a fact.
- q is the learned utility (SPEC stage 5) from q0 in units of the learning rate α, squashed:
  one rewarded use adds about w_q·0.46, one punished use takes as much away, so a note
  feedback has shown useful is kept over an equally specific one never retrieved, and one
  shown useless goes before it. The squashing keeps feedback from outvoting information:
  a reward goes to every note a retrieval returned, not only to the one that helped.
- times returned: how often a search returned the note, whatever the reward. A search
  that returns a note says its topic is one people ask about, and the next questions ask
  about the same topics; the reward says less, since it is shared by every note returned
  (on LoCoMo, held-out evidence had more often been returned and punished than never
  returned). With this term the kept notes held 3 points more of the held-out evidence turns
  at both budgets (docs/lifecycle.md, "Measured").
- uses (rewarded feedback) count only while q ≥ q0. Age counts from the last use or the
  writing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from asem.config import FeedbackConfig, LifecycleConfig
from asem.stores.base import NoteLife

RARE_SHARE = 0.02
"""A word counts towards a note's information when at most this share of notes use it."""
RARE_MIN = 5
_WORD = re.compile(r"\w+")


def keep_scores(notes: Sequence[NoteLife], at: datetime, config: LifecycleConfig,
                feedback: FeedbackConfig, salience: np.ndarray | None = None) -> np.ndarray:
    """One keep score per note (higher: kept longer); comparable within one call only.
    ``salience``: the salience model's log-odds per note, NaN where it could not read one
    (None: the term is left out)."""
    if not notes:
        return np.zeros(0)
    learned = np.array([(n.utility - feedback.initial_utility) / feedback.learning_rate
                        for n in notes])
    helpful = learned >= 0
    uses = _share(np.log1p([n.usage_count for n in notes]))
    returned = _share(np.log1p([n.retrievals for n in notes]))
    half_life = config.recency_half_life_days
    recency = np.array([math.exp(-math.log(2) * _age_days(n, at) / half_life) for n in notes])
    squashed = np.tanh(learned)
    scores = (config.information_weight * information(notes)
            + config.utility_weight * np.maximum(squashed, 0)
            + config.penalty_weight * np.minimum(squashed, 0)
            + helpful * config.usage_weight * uses + config.retrieval_weight * returned
            + config.recency_weight * recency)
    if salience is not None and config.salience_weight:
        scores = scores + config.salience_weight * percentile_rank(salience)
    return scores


def information(notes: Sequence[NoteLife]) -> np.ndarray:
    """How specific each note is among ``notes``, as a percentile rank in [0, 1]."""
    words = [set(_WORD.findall(n.content.lower())) for n in notes]
    df = Counter(w for found in words for w in found)
    total = len(notes)
    rare = max(RARE_MIN, RARE_SHARE * total)
    specific = np.array([sum(math.log(total / df[w]) for w in found if df[w] <= rare)
                         for found in words])
    return percentile_rank(specific)


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the known (not NaN) ``values``, in [0, 1]; equal values share
    their mean rank, unknown ones rank in the middle (0.5)."""
    values = np.asarray(values, dtype=np.float64)
    known = ~np.isnan(values)
    ranks = np.full(len(values), 0.5)
    total = int(known.sum())
    if total < 2:
        ranks[known] = 1.0
        return ranks
    ordered = np.sort(values[known])
    below = np.searchsorted(ordered, values[known], side="left")
    upto = np.searchsorted(ordered, values[known], side="right")
    ranks[known] = (below + upto - 1) / 2 / (total - 1)
    return ranks


def _share(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values, dtype=np.float64)


def _age_days(note: NoteLife, at: datetime) -> float:
    last = note.last_used or note.created_at
    return max(0.0, (at - last).total_seconds() / 86400)
