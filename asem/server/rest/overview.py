"""``/v1/overview``: a tenant's notes at a glance, for the console's first view.

Computed from ``Memory.list_notes`` pages, so it works on every store the same way; it
reads every current note of the tenant once (about as long as an export of them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.rest.models import Bucket, OverviewOut
from asem.server.state import memory_of, principal
from asem.types import Note

router = APIRouter(tags=["memory"])

Mem = Annotated[Memory, Depends(memory_of)]
Caller = Annotated[Principal, Depends(principal)]
PAGE = 1000
MAX_BUCKETS = 60
Granularity = Literal["day", "week", "month"]


@router.get("/overview", response_model=OverviewOut)
def overview(memory: Mem, caller: Caller,
             user_id: Annotated[str | None, Query(description="The tenant (the key's own "
                                                  "when omitted).")] = None) -> OverviewOut:
    """Counts by tier, notes over (event) time, the utility distribution, and the LLM jobs
    when the server has a language model."""
    tenant = caller.tenant(user_id)
    tiers: Counter[str] = Counter({"long_term": 0, "short_term": 0})
    times: list[datetime] = []
    utilities: list[float] = []
    for note in all_notes(memory, tenant):
        tiers[note.tier.value] += 1
        times.append(note.event_time)
        utilities.append(note.utility)
    granularity, over_time = by_time(times)
    jobs = memory.store.job_counts(tenant) if memory.llm is not None else None
    return OverviewOut(user_id=tenant, notes=len(times), tiers=dict(tiers),
                       over_time=over_time, granularity=granularity,
                       utility=utility_bins(utilities),
                       mean_utility=round(sum(utilities) / len(utilities), 4)
                       if utilities else 0.0, jobs=jobs)


def all_notes(memory: Memory, user_id: str) -> Iterator[Note]:
    offset = 0
    while True:
        page = memory.list_notes(user_id, limit=PAGE, offset=offset)
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE


def by_time(times: list[datetime]) -> tuple[Granularity, list[Bucket]]:
    """Counts per day, week or month (the finest with at most ``MAX_BUCKETS`` buckets from
    the first to the last), empty buckets included so the chart's axis is even."""
    if not times:
        return "day", []
    first, last = min(times), max(times)
    span_days = (last - first).days
    granularity: Granularity = ("day" if span_days < MAX_BUCKETS else
                                "week" if span_days < 7 * MAX_BUCKETS else "month")
    counts = Counter(bucket_start(t, granularity) for t in times)
    return granularity, [Bucket(start=start.date().isoformat(), count=counts[start])
                         for start in bucket_range(first, last, granularity)]


def bucket_start(at: datetime, granularity: Granularity) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_range(first: datetime, last: datetime, granularity: Granularity
                 ) -> Iterable[datetime]:
    at, end = bucket_start(first, granularity), bucket_start(last, granularity)
    while at <= end:
        yield at
        if granularity == "month":
            at = at.replace(year=at.year + at.month // 12, month=at.month % 12 + 1)
        else:
            at += timedelta(days=7 if granularity == "week" else 1)


def utility_bins(values: list[float], bins: int = 20) -> list[Bucket]:
    """Counts in ``bins`` equal bins over [−1, 1], the range feedback keeps utility in
    (q ← q + α(r − q), r in [−1, 1]); a value outside lands in an end bin."""
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int((value + 1) / 2 * bins)))] += 1
    return [Bucket(start=f"{-1 + 2 * i / bins:.1f}", count=n) for i, n in enumerate(counts)]
