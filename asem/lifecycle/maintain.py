"""Maintenance, top-down: expire short-term notes, then bring the tenant within its budget.

1. expiry: every short-term note whose expiry time has passed is archived (a search has not
   returned it since that time anyway);
2. budget: while the tenant holds more notes (or words) than its capacity, archive
   superseded notes first (oldest validity end first: past facts a current note replaced),
   then the notes with the lowest keep score (``asem.lifecycle.keep``).

Nothing is deleted: archived notes keep their history and come back with ``restore``. A dry
run decides the same and changes nothing. Maintenance runs outside the write path (``asem
maintain``, ``Memory.maintain``, the background loop), never inside ``add``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from asem.config import FeedbackConfig, LifecycleConfig, TenantSettings
from asem.lifecycle.keep import keep_scores
from asem.stores.base import LifecycleStore, MaintenanceLog, NoteLife
from asem.types import now

ACTOR = "maintenance"
Progress = Callable[[int, int], None]
"""(tenants done, tenants total)."""


@dataclass(frozen=True)
class Eviction:
    note_id: str
    reason: str


@dataclass(frozen=True)
class MaintenanceReport:
    """What one maintenance run of one tenant did (or, dry, would do)."""

    user_id: str
    notes_before: int
    words_before: int
    expired: tuple[str, ...] = ()
    evicted: tuple[Eviction, ...] = ()
    max_notes: int | None = None
    max_tokens: int | None = None
    dry_run: bool = False
    at: datetime = field(default_factory=now)

    @property
    def notes_after(self) -> int:
        return self.notes_before - len(self.expired) - len(self.evicted)

    def to_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "dry_run": self.dry_run,
                "notes_before": self.notes_before, "notes_after": self.notes_after,
                "words_before": self.words_before, "max_notes": self.max_notes,
                "max_tokens": self.max_tokens, "expired": list(self.expired),
                "evicted": [{"note_id": e.note_id, "reason": e.reason} for e in self.evicted]}


def plan(notes: Sequence[NoteLife], limits: TenantSettings, at: datetime,
         config: LifecycleConfig, feedback: FeedbackConfig) -> tuple[list[str], list[Eviction]]:
    """(expired note ids, evictions in order) for a tenant's live notes at time ``at``."""
    expired = [n.note_id for n in notes if n.expires_at is not None and n.expires_at <= at]
    gone = set(expired)
    kept = [n for n in notes if n.note_id not in gone]
    return expired, evictions(kept, limits, at, config, feedback)


def evictions(notes: Sequence[NoteLife], limits: TenantSettings, at: datetime,
              config: LifecycleConfig, feedback: FeedbackConfig) -> list[Eviction]:
    """The notes to archive so that ``notes`` fit the tenant's capacity and token budget."""
    count, words = len(notes), sum(n.words for n in notes)
    if not _over(count, words, limits):
        return []
    scores = keep_scores(notes, at, config, feedback)
    order = sorted(range(len(notes)), key=lambda i: (
        notes[i].superseded_at is None,  # past facts first, the longest superseded first
        notes[i].superseded_at or at, scores[i], notes[i].created_at))
    chosen: list[Eviction] = []
    for i in order:
        if not _over(count, words, limits):
            break
        note = notes[i]
        reason = ("over budget: superseded" if note.superseded_at is not None
                  else f"over budget: keep score {scores[i]:.3f}")
        chosen.append(Eviction(note.note_id, reason))
        count, words = count - 1, words - note.words
    return chosen


def _over(count: int, words: int, limits: TenantSettings) -> bool:
    return ((limits.max_notes is not None and count > limits.max_notes)
            or (limits.max_tokens is not None and words > limits.max_tokens))


class MaintainedStore(LifecycleStore, MaintenanceLog, Protocol):
    """A store that keeps a lifecycle and records its maintenance."""


def maintain(store: MaintainedStore, user_id: str, config: LifecycleConfig,
             feedback: FeedbackConfig, at: datetime, *, dry_run: bool = False,
             limits: TenantSettings | None = None) -> MaintenanceReport:
    """Expire and budget ``user_id``'s notes (see the module); a run that is not dry is
    recorded (``stats`` shows the latest)."""
    notes = store.life_signals(user_id)
    limits = limits or config.for_tenant(user_id)
    expired, evicted = plan(notes, limits, at, config, feedback)
    report = MaintenanceReport(user_id, len(notes), sum(n.words for n in notes),
                               tuple(expired), tuple(evicted), limits.max_notes,
                               limits.max_tokens, dry_run, at)
    if not dry_run:
        days = f" in {limits.short_term_days:g} days" if limits.short_term_days else ""
        store.archive([(i, f"expired: short-term, not used, said again or confirmed{days}")
                       for i in expired] + [(e.note_id, e.reason) for e in evicted], ACTOR)
        store.record_maintenance(user_id, report.to_dict(), dry_run)
    return report


def maintain_all(store: MaintainedStore, config: LifecycleConfig, feedback: FeedbackConfig,
                 at: datetime, *, dry_run: bool = False, limits: TenantSettings | None = None,
                 progress: Progress | None = None) -> list[MaintenanceReport]:
    """``maintain`` for every tenant with live notes (an operator's run)."""
    users = store.tenants()
    reports = []
    for done, user in enumerate(users, start=1):
        reports.append(maintain(store, user, config, feedback, at, dry_run=dry_run,
                                limits=limits))
        if progress:
            progress(done, len(users))
    return reports
