"""Retrieval metrics over ranked turn ids, and answer metrics (token F1, exact match)."""

from __future__ import annotations

import math
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


def recall_any_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1 if any relevant id is in the first ``k`` of ``ranked``, else 0."""
    return float(recall_at_k(ranked, relevant, k) > 0)


def recall_all_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1 if every relevant id is in the first ``k`` of ``ranked``, else 0."""
    return float(recall_at_k(ranked, relevant, k) == 1)


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """nDCG@k with binary relevance, as LongMemEval's evaluation computes it.

    Its DCG gives the first position weight 1 and position i ≥ 2 weight 1 / log2(i)
    (``rel[0] + Σ rel[i] / log2(i + 1)`` over 0-based i ≥ 1), so ranks 1 and 2 weigh the
    same; the ideal DCG puts every relevant id first. Kept so figures compare with theirs.
    """
    gold = set(relevant)
    if not gold:
        raise ValueError("nDCG needs at least one relevant id")

    def dcg(hits: Sequence[int]) -> float:
        return sum(h if i == 0 else h / math.log2(i + 1) for i, h in enumerate(hits[:k]))

    # Duplicates in ``ranked`` would count twice; a ranking names each id once.
    actual = dcg([1 if r in gold else 0 for r in list(dict.fromkeys(ranked))])
    return actual / dcg([1] * min(len(gold), k))


def sessions_ranked(ranked: Sequence[str], session_of: Mapping[str, str]) -> list[str]:
    """The distinct sessions of ``ranked`` turns, each at the rank of its best turn."""
    return list(dict.fromkeys(session_of[t] for t in ranked if t in session_of))


def session_recall_at_k(ranked: Sequence[str], relevant: Iterable[str],
                        session_of: Mapping[str, str], k: int) -> float:
    """Share of the relevant turns' sessions among the first ``k`` distinct sessions of
    ``ranked`` (a session is found when any of its turns is ranked)."""
    gold = {session_of[t] for t in relevant}
    if not gold:
        raise ValueError("recall needs at least one relevant id")
    return recall_at_k(sessions_ranked(ranked, session_of), gold, k)


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
