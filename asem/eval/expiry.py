"""Short-term expiry in a benchmark: time passes as the dataset says, not as the clock does.

A memory ingests a whole haystack in seconds, so every short-term note would still be fresh
by the wall clock when the question comes. The simulation judges expiry by the dataset's own
times instead: the question is asked after the last session, and a short-term note said
more than ``days`` before that (and never promoted: a restatement while ingesting makes it
long-term, as in use) is archived, as maintenance would have archived it by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from asem.eval.dataset import Turn
from asem.memory import Memory
from asem.stores.base import LifecycleStore
from asem.types import Tier

ACTOR = "benchmark"


def simulate_expiry(memory: Memory, user_id: str, turns: Sequence[Turn], days: float
                    ) -> list[str]:
    """Archive ``user_id``'s short-term notes said ``days`` or more before the last turn;
    returns their ids (none when the turns carry no times)."""
    stamps = [t.timestamp for t in turns if t.timestamp is not None]
    if not stamps:
        return []
    cutoff = max(stamps) - timedelta(days=days)
    expired: list[str] = []
    seen = 0
    while page := memory.list_notes(user_id, limit=1000, offset=seen, include_superseded=True):
        expired += [n.id for n in page if n.tier is Tier.SHORT_TERM and n.observed_at <= cutoff]
        seen += len(page)
    store: LifecycleStore = memory.store  # type: ignore[assignment]
    store.archive([(i, f"expired: short-term, said {days:g} days or more before the question")
                   for i in expired], ACTOR)
    return expired
