"""Retrieval metrics over ranked turn ids."""

from __future__ import annotations

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
