"""Supersession on the write path (SPEC §2): a change keeps the old fact as a past one.

When the manager marks an UPDATE or DELETE as a change (``Decision.supersedes``):

- the target stays stored, its validity closed at the change time (``valid_until``) and
  linked to its successor ("superseded by", and "supersedes" back); a default search no
  longer returns it, a search ``as_of`` a time before the change or with
  ``include_superseded`` does;
- the successor is the input itself (a DELETE that keeps the input, an UPDATE whose content
  is the input), or the target rebuilt around the decided content (an UPDATE that keeps
  the rest of a note: "I have a job at Stark. Weekends I garden." after "I started working
  at Initech instead"), valid from the change time;
- a pure retraction (a DELETE that discards the input: "I don't eat meat anymore") closes
  the target with no successor: nothing new holds, and the history row says what was said.

The change time is the input's event time (its first resolved date, else when it was
said), never before the target's own ``valid_from``. ``Memory.reopen`` undoes a
supersession (``asem.stores.sqlite.validity.reopen``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from asem.stores.base import Merge, Supersession
from asem.types import Decision, Note, Op, Tier, WriteResult, now
from asem.write.apply import BatchChanges
from asem.write.inputs import WriteInput
from asem.write.revise import revised

if TYPE_CHECKING:
    from asem.write.pipeline import WriteDeps


class AddInput(Protocol):
    """Stores the input being decided as a new note (the write path's ADD)."""

    def __call__(self, *, tier: Tier, reason: str, valid_from: datetime) -> WriteResult:
        ...


def supersede(target: Note, decision: Decision, item: WriteInput, event_at: datetime,
              reason: str, add_input: AddInput, changes: BatchChanges,
              deps: WriteDeps) -> WriteResult:
    """Apply ``decision`` (an UPDATE or DELETE of ``target`` marked ``supersedes``) for the
    input ``item``, whose content speaks of ``event_at``; ``reason`` goes to the target's
    history row."""
    at = change_time(event_at, target)
    successor = _successor(target, decision, at, item, add_input, changes, deps)
    successor_id = successor.note_id if successor is not None else None
    if successor is None and item.turn_ids:  # the retracting turn stays on record
        changes.merges.append(Merge(target.id, item.turn_ids, "the turn that retracted it"))
    changes.close(Supersession(target.id, target.scope.user_id, at, successor_id, reason),
                  target)
    return WriteResult(Op.SUPERSEDE, target.id, decision.reason,
                       tier=successor.tier if successor is not None else Tier.DISCARD,
                       added_id=successor_id)


def change_time(event_at: datetime, target: Note) -> datetime:
    """When the target stopped holding: the input's event time, not before the target
    started to hold (an interval never ends before it starts)."""
    if target.valid_from is not None and event_at < target.valid_from:
        return target.valid_from
    return event_at


def _successor(target: Note, decision: Decision, at: datetime, item: WriteInput,
               add_input: AddInput, changes: BatchChanges,
               deps: WriteDeps) -> WriteResult | None:
    """The note that holds the fact from ``at`` on (None for a pure retraction)."""
    why = f"{decision.reason}; supersedes {target.id}"
    if decision.op is Op.DELETE:
        if decision.tier is Tier.DISCARD:
            return None
        return add_input(tier=decision.tier, reason=why, valid_from=at)
    tier = target.tier if decision.tier is Tier.DISCARD else decision.tier
    content = decision.merged_content
    if content is None or content == item.content:
        return add_input(tier=tier, reason=why, valid_from=at)
    note = revised(target, content, enricher=deps.enricher, embedder=deps.embedder,
                   config=deps.config.write, observed_at=item.observed_at,
                   turn_ids=item.turn_ids, tier=tier)
    holder = changes.holder(note.scope, note.content_hash)
    if holder is not None:  # another note holds the new content already: it is the successor
        return changes.noop(holder, item, why)
    fresh = replace(note, id=uuid.uuid4().hex, created_at=now(), updated_at=None, links=(),
                    utility=deps.config.feedback.initial_utility, usage_count=0,
                    last_used=None, valid_from=at, valid_until=None, superseded_by=None)
    return changes.add(fresh, (), why)
