"""What each manager decision writes (SPEC stage 2), one small function per operation.

Each returns a ``Step`` and reads nothing but what it is given (and, for an UPDATE, which
note already holds the merged content): the batch commits the steps together.

- ADD: a new note in the decided tier, linked to its similar candidates; ``Tier.DISCARD``
  stores nothing (the result says so).
- UPDATE: the target's content becomes the merged content (the input when none is given),
  re-enriched and re-embedded; its provenance gains the input's turn ids; history keeps the
  replaced version. When another note already holds the merged content, a NOOP on it.
- DELETE: the target is soft-deleted with the decision's reason and the input that retracted
  it (``retraction_reason``); the input is then added in the decided tier, or not at all
  with ``Tier.DISCARD``.
- NOOP: the target gains the input's provenance.

An UPDATE or DELETE the manager marks ``supersedes`` (a change of the fact) keeps the target
as a past fact instead: see ``asem.write.supersede``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from asem.config import MemoryConfig
from asem.providers.embedder import Embedder
from asem.stores.base import Merge, NewNote, NoteDelete, NoteUpdate
from asem.types import Decision, Note, Op, Tier, WriteResult
from asem.write.construct import Draft, new_note
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput
from asem.write.link import similarity_links
from asem.write.manager import Candidate
from asem.write.plan import Step
from asem.write.revise import revised
from asem.write.view import BatchView

ALREADY_STORED = "same content is already stored"
ALREADY_SAID = "this turn is already stored"
"""The reason of a NOOP that records nothing: the input is a turn given again."""


def noop(target: Note, item: WriteInput, reason: str) -> Step:
    """A NOOP that still records where the input came from on the note it matched; one
    whose turns that note already holds (the same turns given again) records nothing."""
    if item.turn_ids and set(item.turn_ids) <= set(target.provenance.turn_ids):
        return Step(WriteResult(Op.NOOP, target.id, ALREADY_SAID), decided_on=(target,))
    return Step(WriteResult(Op.NOOP, target.id, reason),
                merge=Merge(target.id, item.turn_ids, reason), decided_on=(target,))


def add(draft: Draft, tier: Tier, reason: str, candidates: Sequence[Candidate],
        gone: Collection[str], config: MemoryConfig, valid_from: datetime | None = None) -> Step:
    """The input as a new note, linked to the candidates similar enough (not those in
    ``gone``, deleted by now), valid from ``valid_from`` (a successor, see
    ``asem.write.supersede``; else the input's own ``valid_from``)."""
    if tier is Tier.DISCARD:
        return Step(WriteResult(Op.NOOP, "", reason or "discarded", tier=Tier.DISCARD))
    note = new_note(draft.item, draft.enrichment, draft.embedding, draft.intent,
                    utility=config.feedback.initial_utility, tier=tier,
                    valid_from=draft.item.valid_from if valid_from is None else valid_from,
                    short_term_days=config.lifecycle.for_tenant(
                        draft.item.scope.user_id).short_term_days or 0.0,
                    verdict=draft.verdict)
    links = similarity_links([c for c in candidates if c.note_id not in gone],
                             config.write.min_link_similarity)
    return Step(WriteResult(Op.ADD, note.id, reason, tier=note.tier),
                new=NewNote(note, links, reason))


def update(target: Note, item: WriteInput, decision: Decision, view: BatchView, *,
           enricher: Enricher, embedder: Embedder, config: MemoryConfig) -> Step:
    """``target`` rebuilt around the merged content, or a NOOP on the note holding it."""
    note = revised(target, decision.merged_content or item.content, enricher=enricher,
                   embedder=embedder, config=config.write, observed_at=item.observed_at,
                   turn_ids=item.turn_ids, tier=decision.tier)
    other = view.holder(note.scope, note.content_hash)
    if other is not None and other.id != note.id:
        merged = WriteInput(note.content, note.scope, turn_ids=note.provenance.turn_ids)
        step = noop(other, merged, f"{decision.reason}; the merged content is note {other.id}")
        return replace(step, decided_on=(target, other))
    return Step(WriteResult(Op.UPDATE, note.id, decision.reason, tier=note.tier),
                update=NoteUpdate(note, decision.reason), decided_on=(target,))


def delete(target: Note, draft: Draft, decision: Decision, candidates: Sequence[Candidate],
           gone: Collection[str], config: MemoryConfig) -> Step:
    """``target`` soft-deleted; the input added in the decided tier (or discarded)."""
    removal = NoteDelete(target.id, target.scope.user_id,
                         retraction_reason(decision.reason, draft.item.content))
    if decision.tier is Tier.DISCARD:  # the retracting turn stays on record, on the note
        kept = (Merge(target.id, draft.item.turn_ids, "the turn that retracted it")
                if draft.item.turn_ids else None)
        return Step(WriteResult(Op.DELETE, target.id, removal.reason), delete=removal,
                    merge=kept, decided_on=(target,))
    added = add(draft, decision.tier, decision.reason, candidates, {*gone, target.id}, config)
    result = WriteResult(Op.DELETE, target.id, decision.reason, tier=added.result.tier,
                         added_id=added.result.note_id)
    return replace(added, result=result, delete=removal, decided_on=(target,))


def retraction_reason(reason: str, said: str, limit: int = 200) -> str:
    """Why a note was deleted (or cut back to what a retraction left of it): the manager's
    reason, then what was said (the first ``limit`` characters), so the note's history
    shows what happened."""
    return f'{reason or "retracted"}; {quote(said, limit)}'


def quote(said: str, limit: int = 200) -> str:
    """What was said, on one line of at most ``limit`` characters, as a reason quotes it."""
    said = " ".join(said.split())
    if len(said) > limit:
        said = said[:limit - 1] + "…"
    return f'said: "{said}"'
