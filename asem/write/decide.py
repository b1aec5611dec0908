"""The decision stage: each input of a batch, in order, becomes a Step on one BatchView.

Exact repeats of stored content are recorded on the note holding it without asking the
manager. Every other input is shown its k nearest notes (as the batch has left them so far),
the manager decides (``manager.checked`` rejects a target outside the candidates), and the
decision becomes the step ``asem.write.apply`` builds for its operation. A target that is
gone by then turns the decision into an ADD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from asem.config import MemoryConfig
from asem.guard.detector import Detector
from asem.providers.embedder import Embedder
from asem.stores.base import Store, Turn, replies, turn
from asem.types import Decision, Op, Scope, Tier, WriteResult
from asem.write import apply
from asem.write.construct import Draft
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput
from asem.write.locks import UserLocks
from asem.write.manager import ManagerPolicy, Proposal, checked
from asem.write.plan import Plan, Step
from asem.write.supersede import supersede
from asem.write.view import BatchView

QUARANTINED = "quarantined: instructions aimed at the agent; kept apart, not searched"


@dataclass(frozen=True)
class WriteDeps:
    """What the write path needs, passed in."""

    store: Store
    embedder: Embedder
    enricher: Enricher
    manager: ManagerPolicy
    config: MemoryConfig
    locks: UserLocks = field(default_factory=UserLocks)
    """Shared by every write through one memory (``asem.write.locks``)."""
    detector: Detector | None = None
    """Judges each new input (``asem.guard``); None: nothing is quarantined."""
    jobs: bool = False
    """Queue an LLM job for every new note in the commit that stores it (a memory with a
    language model: ``WriteBatch.jobs``)."""


def decide(items: Sequence[WriteInput], hashes: Sequence[str], said: Mapping[int, str],
           drafts: Mapping[int, Draft], view: BatchView, deps: WriteDeps) -> Plan:
    """One step per input. ``said``: the inputs that are turns stored before, and the note
    holding each (``said_before``); ``drafts`` holds every input that is neither that nor
    a repeat of stored content."""
    plan = Plan([None] * len(items))
    for i, note_id in said.items():  # nothing to write
        plan.take(i, Step(WriteResult(Op.NOOP, note_id, apply.ALREADY_SAID)))
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True)):
        stored = view.repeated(item.scope, digest) if i not in said else None
        if stored is not None:
            plan.take(i, view.record(apply.noop(stored, item, apply.ALREADY_STORED)))
    conversations = _Conversations(items, plan.results, deps.store)
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True)):
        if plan.results[i] is not None:
            continue
        earlier = view.repeated(item.scope, digest)  # repeated earlier in this batch
        step = (apply.noop(earlier, item, apply.ALREADY_STORED) if earlier is not None
                else _decided(drafts[i], conversations.replied_to(i), view, deps))
        plan.take(i, view.record(step))
    return plan


def _decided(draft: Draft, replies_to: str | None, view: BatchView,
             deps: WriteDeps) -> Step:
    """Ask the manager about one input and build the step its decision asks for."""
    item, config = draft.item, deps.config
    if draft.verdict is not None and draft.verdict.quarantined:
        # Held apart: it may neither change a note nor be linked to one.
        return apply.add(draft, Tier.LONG_TERM, QUARANTINED, (), view.gone(), config)
    candidates = view.nearest(item.scope, draft.embedding, draft.intent, config.write.k_links)
    proposal = Proposal(item.content, item.speaker, candidates, item.observed_at, replies_to,
                        intent=draft.intent, embedder=deps.embedder.model_id)
    decision = checked(deps.manager.decide(proposal), candidates)
    target = None if decision.op is Op.ADD else view.current(decision.target_id or "")
    if target is None and decision.op is not Op.ADD:  # gone since the candidates were found
        decision = Decision(Op.ADD, reason=f"{decision.reason}; target gone, added")
    if target is None:
        return apply.add(draft, decision.tier, decision.reason, candidates, view.gone(), config)
    if decision.op is Op.NOOP:
        return apply.noop(target, item, decision.reason)
    if decision.supersedes:
        return supersede(target, draft, decision, candidates, view, deps)
    if decision.op is Op.UPDATE:
        return apply.update(target, item, decision, view, enricher=deps.enricher,
                            embedder=deps.embedder, config=config)
    return apply.delete(target, draft, decision, candidates, view.gone(), config)


def said_before(items: Sequence[WriteInput], hashes: Sequence[str], store: Store
                ) -> dict[int, str]:
    """Position → note, for each input that is a turn stored before (ingesting a conversation
    again changes nothing): a note of its scope holds every one of its turn ids, and either
    comes from the same source with the same content (live, or deleted since by a later
    turn), or was deleted by this very turn (its delete reason quotes it)."""
    asked: dict[Scope, set[str]] = {}
    for item in items:
        asked.setdefault(item.scope, set()).update(item.turn_ids)
    held = {scope: store.turn_holders(scope, sorted(ids)) for scope, ids in asked.items() if ids}
    found = {}
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True)):
        if not item.turn_ids:
            continue
        first, *rest = (held[item.scope].get(t, []) for t in item.turn_ids)
        others = [{h.note_id for h in holders} for holders in rest]
        quoted = apply.quote(item.content)
        for holder in first:  # live notes first
            if all(holder.note_id in ids for ids in others) and (
                    (holder.source_id == item.source_id and holder.content_hash == digest)
                    or (holder.delete_reason is not None and quoted in holder.delete_reason)):
                found[i] = holder.note_id
                break
    return found


def said(item: WriteInput, result: WriteResult | None) -> Turn | None:
    """``item`` as a turn of its conversation, held by the note it became or went into; a
    discarded input leaves no trace (nothing is stored of it), nor does a turn stored
    already."""
    if result is None or result.reason == apply.ALREADY_SAID:
        return None
    holder = result.added_id if result.op in (Op.DELETE, Op.SUPERSEDE) else result.note_id
    return turn(item.scope, item.source_id, item.speaker, holder) if holder else None


class _Conversations:
    """The turn said last in each conversation, as the batch is decided in order: stored
    before the batch, or earlier in it."""

    def __init__(self, items: Sequence[WriteInput], results: list[WriteResult | None],
                 store: Store) -> None:
        self._items, self._results, self._store = items, results, store
        self._last: dict[tuple[str, str, str], Turn] = {}
        self._seen = 0

    def replied_to(self, i: int) -> str | None:
        """The note holding the turn just before input ``i`` in its conversation, when
        someone else said it (see ``Proposal.replies_to``)."""
        for j in range(self._seen, i):  # inputs before i all have their results by now
            if (turn_j := said(self._items[j], self._results[j])) is not None:
                self._last[turn_j.user_id, turn_j.agent_id, turn_j.thread] = turn_j
        self._seen = max(self._seen, i)
        item = self._items[i]
        this = turn(item.scope, item.source_id, item.speaker, "")
        if not this.thread or not this.speaker:
            return None
        before = self._last.get((this.user_id, this.agent_id, this.thread))
        if before is None:
            before = self._store.vector_index(this.user_id).last_turn(this.agent_id,
                                                                      this.thread)
        return before.note_id if before is not None and replies(before, this) else None
