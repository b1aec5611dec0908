"""What ``stats`` shows of a memory over months: how old its notes are, how useful feedback
has found them, and what the lifecycle did (short-term, expired, archived, forgotten)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from asem.stores.base import NoteLife

AGE_BUCKETS = ((1, "<1d"), (7, "1-7d"), (30, "7-30d"), (90, "30-90d"), (365, "90d-1y"),
               (float("inf"), ">1y"))
"""Upper bound in days (exclusive) → label."""
UTILITY_BUCKETS = ((0.3, "<0.3"), (0.45, "0.3-0.45"), (0.55, "0.45-0.55"), (0.7, "0.55-0.7"),
                   (float("inf"), ">=0.7"))


def distributions(notes: Sequence[NoteLife], at: datetime) -> dict[str, Any]:
    """Age (days since written) and utility of the live notes: quantiles and histograms."""
    ages = np.array([(at - n.created_at).total_seconds() / 86400 for n in notes])
    utilities = np.array([n.utility for n in notes])
    return {"age_days": _summary(ages, AGE_BUCKETS),
            "utility": _summary(utilities, UTILITY_BUCKETS),
            "never_used": sum(1 for n in notes if n.usage_count == 0)}


def _summary(values: np.ndarray, buckets: Sequence[tuple[float, str]]) -> dict[str, Any]:
    if not values.size:
        return {"p10": None, "p50": None, "p90": None, "max": None,
                "histogram": {label: 0 for _, label in buckets}}
    p10, p50, p90 = (round(float(v), 3) for v in np.percentile(values, [10, 50, 90]))
    histogram: dict[str, int] = {}
    low = -float("inf")
    for high, label in buckets:
        histogram[label] = int(((values >= low) & (values < high)).sum())
        low = high
    return {"p10": p10, "p50": p50, "p90": p90, "max": round(float(values.max()), 3),
            "histogram": histogram}
