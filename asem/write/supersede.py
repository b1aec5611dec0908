"""Supersession on the write path (SPEC §2): a change keeps the old fact as a past one.

When the manager marks an UPDATE or DELETE as a change (``Decision.supersedes``):

- the target stays stored, its validity closed at the change time (``valid_until``) and
  linked to its successor ("superseded by", and "supersedes" back); a default search no
  longer returns it, a search ``as_of`` a time before the change or with
  ``include_superseded`` does;
- the successor is the input itself (a DELETE that keeps the input, an UPDATE whose content
  is the input), or the target rebuilt around the decided content (an UPDATE that keeps
  the rest of a note: "I have a job at Stark. Weekends I garden." after "I started working
  at Initech instead"), valid from the change time; a note that holds that content already
  is the successor;
- a pure retraction (a DELETE that discards the input: "I don't eat meat anymore") closes
  the target with no successor: nothing holds in its place; the retracting turn stays on
  record on the target, and the history row quotes it.

The change time is the input's event time (its first resolved date, else when it was
said), never before the target's own ``valid_from``. ``Memory.reopen`` undoes a
supersession (``asem.stores.sqlite.validity.reopen``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from asem.stores.base import Merge, NewNote, Supersession
from asem.types import Decision, Note, Op, Tier, WriteResult, now
from asem.write import apply
from asem.write.construct import Draft, event_time
from asem.write.manager import Candidate
from asem.write.plan import Step
from asem.write.revise import revised
from asem.write.view import BatchView

if TYPE_CHECKING:
    from asem.write.decide import WriteDeps


def supersede(target: Note, draft: Draft, decision: Decision, candidates: Sequence[Candidate],
              view: BatchView, deps: WriteDeps) -> Step:
    """The step of ``decision`` (an UPDATE or DELETE of ``target`` marked ``supersedes``)."""
    item = draft.item
    at = change_time(event_time(item, draft.enrichment), target)
    why = f"{decision.reason}; supersedes {target.id}"
    successor = _successor(target, draft, decision, at, why, candidates, view, deps)
    successor_id = successor.result.note_id if successor is not None else None
    reason = (apply.retraction_reason(decision.reason, item.content)
              if decision.op is Op.DELETE else decision.reason)
    closing = Supersession(target.id, target.scope.user_id, at, successor_id, reason)
    result = WriteResult(Op.SUPERSEDE, target.id, decision.reason,
                         tier=successor.result.tier if successor else Tier.DISCARD,
                         added_id=successor_id)
    if successor is None:  # the retracting turn stays on record, on the note
        kept = (Merge(target.id, item.turn_ids, "the turn that retracted it")
                if item.turn_ids else None)
        return Step(result, merge=kept, supersede=closing, decided_on=(target,))
    return replace(successor, result=result, supersede=closing,
                   decided_on=(target, *successor.decided_on))


def change_time(event_at: datetime, target: Note) -> datetime:
    """When the target stopped holding: the input's event time, not before the target
    started to hold (an interval never ends before it starts)."""
    if target.valid_from is not None and event_at < target.valid_from:
        return target.valid_from
    return event_at


def _successor(target: Note, draft: Draft, decision: Decision, at: datetime, why: str,
               candidates: Sequence[Candidate], view: BatchView,
               deps: WriteDeps) -> Step | None:
    """The step that stores the note holding the fact from ``at`` on (None for a pure
    retraction)."""
    config, item = deps.config, draft.item
    gone = {*view.gone(), target.id}
    if decision.op is Op.DELETE:
        if decision.tier is Tier.DISCARD:
            return None
        return apply.add(draft, decision.tier, why, candidates, gone, config, valid_from=at)
    tier = target.tier if decision.tier is Tier.DISCARD else decision.tier
    content = decision.merged_content
    if content is None or content == item.content:
        return apply.add(draft, tier, why, candidates, gone, config, valid_from=at)
    note = revised(target, content, enricher=deps.enricher, embedder=deps.embedder,
                   config=config.write, observed_at=item.observed_at, turn_ids=item.turn_ids,
                   tier=tier)
    holder = view.holder(note.scope, note.content_hash)
    if holder is not None:  # another note holds the new content already: it is the successor
        return apply.noop(holder, item, why)
    fresh = replace(note, id=uuid.uuid4().hex, created_at=now(), updated_at=None, links=(),
                    utility=config.feedback.initial_utility, usage_count=0, last_used=None,
                    valid_from=at, valid_until=None, superseded_by=None, version=0)
    return Step(WriteResult(Op.ADD, fresh.id, why, tier=fresh.tier),
                new=NewNote(fresh, (), why))
