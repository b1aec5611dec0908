"""Retrieval metrics over ranked turn ids, and answer metrics (token F1, exact match)."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant ids found in the first ``k`` of ``ranked``."""
    gold = set(relevant)
    if not gold:
        raise ValueError("recall needs at least one relevant id")
    return len(gold & set(ranked[:k])) / len(gold)


def session_recall_at_k(ranked: Sequence[str], relevant: Iterable[str],
                        session_of: Mapping[str, str], k: int) -> float:
    """Share of the relevant turns' sessions among the first ``k`` distinct sessions of
    ``ranked`` (a session is found when any of its turns is ranked)."""
    gold = {session_of[t] for t in relevant}
    if not gold:
        raise ValueError("recall needs at least one relevant id")
    sessions = list(dict.fromkeys(session_of[t] for t in ranked if t in session_of))
    return len(gold & set(sessions[:k])) / len(gold)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_ARTICLES = {"a", "an", "the", "and"}


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: lower case, punctuation and articles (and 'and') dropped."""
    text = str(text).lower()
    text = "".join(" " if c in string.punctuation else c for c in text.replace(",", " "))
    return [w for w in re.split(r"\s+", text) if w and w not in _ARTICLES]


def token_f1(prediction: str, gold: str) -> float:
    """Harmonic mean of token precision and recall (bag of words, SQuAD style)."""
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold: str) -> float:
    return float(answer_tokens(prediction) == answer_tokens(gold))
