"""Maintenance, top-down: expire short-term notes, then bring the tenant within its budget.

1. expiry: every short-term note whose expiry time has passed is archived (a search has not
   returned it since that time anyway);
2. budget: while the tenant holds more notes (or words) than its capacity, archive
   superseded notes first (oldest validity end first: past facts a current note replaced),
   then the notes with the lowest keep score (``asem.lifecycle.keep``); over its note
   count, a note is first folded into the kept other half of its exchange (a question and
   its reply), else into its nearest kept note when one is close enough
   (``asem.lifecycle.consolidate``), so its text stays findable.

Nothing is deleted: archived notes keep their history and come back with ``restore``. A dry
run decides the same and changes nothing. Maintenance runs outside the write path (``asem
maintain``, ``Memory.maintain``, the background loop), never inside ``add``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from asem.config import FeedbackConfig, LifecycleConfig, TenantSettings
from asem.lifecycle.consolidate import Folder, Neighbours, exchange_target, exchanges, fold_target
from asem.lifecycle.keep import keep_scores
from asem.read.answers import reply_map
from asem.stores.base import LifecycleStore, MaintenanceLog, NoteLife
from asem.stores.turns import Turn
from asem.types import now

ACTOR = "maintenance"
Progress = Callable[[int, int], None]
"""(tenants done, tenants total)."""


@dataclass(frozen=True)
class Eviction:
    note_id: str
    reason: str
    into: str | None = None
    """The kept note it was folded into (None: archived alone)."""


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
                "evicted": [{"note_id": e.note_id, "reason": e.reason}
                            | ({"into": e.into} if e.into else {}) for e in self.evicted]}


def plan(notes: Sequence[NoteLife], limits: TenantSettings, at: datetime,
         config: LifecycleConfig, feedback: FeedbackConfig,
         folder: Folder | None = None,
         turns: Sequence[Turn] = ()) -> tuple[list[str], list[Eviction]]:
    """(expired note ids, evictions in order) for a tenant's live notes at time ``at``;
    with a ``folder``, evictions over the note count fold where they can: into the other
    note of their exchange (read from the conversation's ``turns``), else into neighbours."""
    expired = [n.note_id for n in notes if n.expires_at is not None and n.expires_at <= at]
    gone = set(expired)
    kept = [n for n in notes if n.note_id not in gone]
    vectors, partners, salience = None, None, None
    if (folder is not None and config.salience_weight
            and _over(len(kept), sum(n.words for n in kept), limits)):
        salience = folder.salience([n.note_id for n in kept])
    if folder is not None and limits.max_notes is not None and len(kept) > limits.max_notes:
        if config.fold_similarity is not None:
            vectors = folder.vectors([n.note_id for n in kept])
        if config.fold_exchanges:
            partners = exchanges(kept, reply_map(turns))
    return expired, evictions(kept, limits, at, config, feedback, vectors, partners, salience)


def evictions(notes: Sequence[NoteLife], limits: TenantSettings, at: datetime,
              config: LifecycleConfig, feedback: FeedbackConfig,
              vectors: np.ndarray | None = None,
              partners: Mapping[int, Sequence[int]] | None = None,
              salience: np.ndarray | None = None) -> list[Eviction]:
    """The notes to archive so that ``notes`` fit the tenant's capacity and token budget;
    over the note count, a note folds instead into a kept note of its exchange (given its
    ``partners``, ``consolidate.exchanges``) or a near one (given their unit ``vectors``).
    ``salience``: the salience model's log-odds per note (``keep.keep_scores``)."""
    count, words = len(notes), sum(n.words for n in notes)
    if not _over(count, words, limits):
        return []
    scores = keep_scores(notes, at, config, feedback, salience)
    order = sorted(range(len(notes)), key=lambda i: (
        notes[i].superseded_at is None,  # past facts first, the longest superseded first
        notes[i].superseded_at or at, scores[i], notes[i].created_at))
    past = [n.superseded_at is not None for n in notes]
    sizes = [n.words for n in notes]
    gone: set[int] = set()
    took: set[int] = set()  # notes that gained content: they hold more than themselves now
    held = scores.copy()  # what a note that took others is worth: its score and theirs
    waiting: list[tuple[float, int]] = []  # notes that took, by what they hold
    chosen: list[Eviction] = []
    steps = (Neighbours(vectors, order) if vectors is not None
             else ((i, None, None) for i in order))
    for i, near, cosines in steps:
        while waiting and waiting[0][0] < scores[i] and _over(count, words, limits):
            worth, t = heapq.heappop(waiting)  # a merged note worth less than this one goes
            if t in gone or worth != held[t]:
                continue  # gone already, or it took more since (a newer entry waits)
            took.discard(t)
            chosen = _unfolded(chosen, notes[t].note_id)
            chosen.append(Eviction(notes[t].note_id, f"over budget: keep score {held[t]:.3f}"))
            gone.add(t)
            count, words = count - 1, words - sizes[t]
        if not _over(count, words, limits):
            break
        if i in took:
            heapq.heappush(waiting, (held[i], i))
            continue
        note = notes[i]
        j = None
        if not past[i] and not _over(count, words, replace(limits, max_notes=None)):
            j = exchange_target((partners or {}).get(i, ()), sizes, sizes[i], gone, past,
                                config.fold_max_words)
            if j is None and near is not None and cosines is not None:
                j = fold_target(near, cosines, sizes, sizes[i], gone, past,
                                config.fold_similarity or 1.0, config.fold_max_words)
        gone.add(i)
        if j is not None:
            took.add(j)
            held[j] += config.fold_credit * scores[i]
            if any(t == j for _, t in waiting):
                heapq.heappush(waiting, (held[j], j))
            sizes[j] += sizes[i]
            chosen.append(Eviction(note.note_id, f"over budget: keep score {scores[i]:.3f}, "
                                   f"folded into {notes[j].note_id}", notes[j].note_id))
            count -= 1
            continue
        reason = ("over budget: superseded" if past[i]
                  else f"over budget: keep score {scores[i]:.3f}")
        chosen.append(Eviction(note.note_id, reason))
        count, words = count - 1, words - note.words
    for i in sorted(took, key=lambda i: scores[i]):  # a budget below the notes that took
        if not _over(count, words, limits):
            break
        chosen.append(Eviction(notes[i].note_id, f"over budget: keep score {scores[i]:.3f}"))
        count, words = count - 1, words - sizes[i]
    return chosen


def _unfolded(chosen: list[Eviction], target: str) -> list[Eviction]:
    """``chosen`` with the notes folded into ``target`` archived instead (it goes too)."""
    return [replace(e, into=None, reason=e.reason.split(", folded into")[0])
            if e.into == target else e for e in chosen]


def _over(count: int, words: int, limits: TenantSettings) -> bool:
    return ((limits.max_notes is not None and count > limits.max_notes)
            or (limits.max_tokens is not None and words > limits.max_tokens))


class MaintainedStore(LifecycleStore, MaintenanceLog, Protocol):
    """A store that keeps a lifecycle and records its maintenance."""


def maintain(store: MaintainedStore, user_id: str, config: LifecycleConfig,
             feedback: FeedbackConfig, at: datetime, *, dry_run: bool = False,
             limits: TenantSettings | None = None,
             folder: Folder | None = None) -> MaintenanceReport:
    """Expire and budget ``user_id``'s notes (see the module); a run that is not dry is
    recorded (``stats`` shows the latest). Without a ``folder`` nothing is folded."""
    notes = store.life_signals(user_id)
    limits = limits or config.for_tenant(user_id)
    expired, evicted = plan(notes, limits, at, config, feedback, folder,
                            _turns(store, user_id) if folder is not None else ())
    report = MaintenanceReport(user_id, len(notes), sum(n.words for n in notes),
                               tuple(expired), tuple(evicted), limits.max_notes,
                               limits.max_tokens, dry_run, at)
    if not dry_run:
        if folder is not None:
            _fold(folder, evicted)
        days = f" in {limits.short_term_days:g} days" if limits.short_term_days else ""
        store.archive([(i, f"expired: short-term, not used, said again or confirmed{days}")
                       for i in expired] + [(e.note_id, e.reason) for e in evicted], ACTOR)
        store.record_maintenance(user_id, report.to_dict(), dry_run)
    return report


def _turns(store: MaintainedStore, user_id: str) -> Sequence[Turn]:
    """The conversation turns of ``user_id``, in the order said (none for a store that
    keeps no vector index)."""
    index = getattr(store, "vector_index", None)  # every Store has one; the protocol does not
    return index(user_id).turns if index is not None else ()


def _fold(folder: Folder, evicted: Sequence[Eviction]) -> None:
    """Each target's new version holding what folds into it, before anything is archived
    (an interruption leaves a note twice, never nowhere)."""
    into: dict[str, list[str]] = {}
    for e in evicted:
        if e.into is not None:
            into.setdefault(e.into, []).append(e.note_id)
    for target, folded in into.items():
        folder.fold(target, folded, f"consolidated: {len(folded)} note(s) over the budget "
                                    "folded in")


def maintain_all(store: MaintainedStore, config: LifecycleConfig, feedback: FeedbackConfig,
                 at: datetime, *, dry_run: bool = False, limits: TenantSettings | None = None,
                 progress: Progress | None = None,
                 folder: Folder | None = None) -> list[MaintenanceReport]:
    """``maintain`` for every tenant with live notes (an operator's run)."""
    users = store.tenants()
    reports = []
    for done, user in enumerate(users, start=1):
        reports.append(maintain(store, user, config, feedback, at, dry_run=dry_run,
                                limits=limits, folder=folder))
        if progress:
            progress(done, len(users))
    return reports
