"""The write path, top-down: input → note construction → manager decision → link & store.

The manager's decision is applied as follows (SPEC stage 2):

- ADD: a new note in the decided tier; ``Tier.DISCARD`` stores nothing (the result says so).
- UPDATE: the target's content becomes the merged content (the input when none is given),
  re-enriched and re-embedded; its provenance gains the input's turn ids; history keeps the
  replaced version.
- DELETE: the target is soft-deleted with the decision's reason and the input that retracted
  it (``retraction_reason``); the input is then added in the decided tier, or not at all with
  ``Tier.DISCARD``.
- NOOP: the target gains the input's provenance.

A target outside the candidates is rejected (``manager.checked``). Everything one call
writes is committed in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from asem.config import MemoryConfig
from asem.providers.embedder import Embedder, embed_notes
from asem.stores.base import Merge, Store, Turn, replies, turn
from asem.types import Decision, Enrichment, Op, Scope, Tier, WriteResult
from asem.write.apply import ALREADY_SAID, ALREADY_STORED, BatchChanges, discarded
from asem.write.construct import document_text, new_note
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput, content_hash
from asem.write.link import similarity_links
from asem.write.manager import Candidate, ManagerPolicy, Proposal, checked
from asem.write.revise import revised


@dataclass(frozen=True)
class WriteDeps:
    """What the write path needs, passed in."""

    store: Store
    embedder: Embedder
    enricher: Enricher
    manager: ManagerPolicy
    config: MemoryConfig


def write(items: Sequence[WriteInput], deps: WriteDeps, actor: str = "user") -> list[WriteResult]:
    """Store ``items`` in one transaction; one WriteResult per item, in order."""
    hashes = [content_hash(item.content) for item in items]
    changes = BatchChanges(deps.store, _stored_hashes(items, hashes, deps.store))
    results: list[WriteResult | None] = [None] * len(items)
    for i, note_id in _said_before(items, hashes, deps.store).items():
        results[i] = WriteResult(Op.NOOP, note_id, ALREADY_SAID)
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True)):
        if results[i] is None and (item.scope, digest) in changes.known:
            results[i] = changes.noop(changes.known[item.scope, digest], item, ALREADY_STORED)
    fresh = [i for i, r in enumerate(results) if r is None]
    _construct(items, fresh, hashes, results, changes, deps)
    inserted = deps.store.write(changes.batch(actor, _turns(items, results)))
    return [_settle(r, item, digest, inserted, deps.store)
            for r, item, digest in zip(results, items, hashes, strict=True) if r is not None]


def _turns(items: Sequence[WriteInput], results: list[WriteResult | None]) -> tuple[Turn, ...]:
    """The inputs as turns of their conversations, each held by the note it became or went
    into; a discarded input leaves no trace (nothing is stored of it)."""
    return tuple(t for item, result in zip(items, results, strict=True)
                 if (t := _said(item, result)) is not None)


def _said(item: WriteInput, result: WriteResult | None) -> Turn | None:
    """``item`` as a turn of its conversation, held by the note it became or went into."""
    if result is None or result.reason == ALREADY_SAID:  # its turn is stored already
        return None
    holder = result.added_id if result.op is Op.DELETE else result.note_id
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
            if (said := _said(self._items[j], self._results[j])) is not None:
                self._last[said.user_id, said.agent_id, said.thread] = said
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


def _construct(items: Sequence[WriteInput], fresh: list[int], hashes: list[str],
               results: list[WriteResult | None], changes: BatchChanges,
               deps: WriteDeps) -> None:
    """Enrich, embed, decide and apply the inputs at positions ``fresh``."""
    if not fresh:
        return
    enrichments = deps.enricher.enrich([items[i] for i in fresh])
    with_terms = deps.config.write.embed_terms
    documents = [document_text(items[i].content, e, with_terms=with_terms)
                 for i, e in zip(fresh, enrichments, strict=True)]
    embeddings, intents = embed_notes(deps.embedder, [d.text for d in documents],
                                      [d.content_span for d in documents])
    conversations = _Conversations(items, results, deps.store)
    for row, i in enumerate(fresh):
        item = items[i]
        if (item.scope, hashes[i]) in changes.known:  # repeated earlier in this batch
            results[i] = changes.noop(changes.known[item.scope, hashes[i]], item,
                                      ALREADY_STORED)
            continue
        results[i] = _decide_and_apply(item, enrichments[row], embeddings[row], intents[row],
                                       conversations.replied_to(i), changes, deps)


def _decide_and_apply(item: WriteInput, enrichment: Enrichment, embedding: np.ndarray,
                      intent: np.ndarray, replies_to: str | None, changes: BatchChanges,
                      deps: WriteDeps) -> WriteResult:
    candidates = changes.neighbourhood(item.scope.user_id).nearest(
        item.scope, embedding, intent, deps.config.write.k_links)
    proposal = Proposal(item.content, item.speaker, candidates, item.observed_at, replies_to)
    decision = checked(deps.manager.decide(proposal), candidates)
    target = None
    if decision.op is not Op.ADD:
        target = changes.current(decision.target_id or "")
        if target is None:  # gone since the candidates were found
            decision = Decision(Op.ADD, reason=f"{decision.reason}; target gone, added")
    if decision.op is Op.NOOP:
        return changes.noop(decision.target_id or "", item, decision.reason)
    if decision.op is Op.UPDATE:
        assert target is not None
        note = revised(target, decision.merged_content or item.content,
                       enricher=deps.enricher, embedder=deps.embedder,
                       config=deps.config.write, observed_at=item.observed_at,
                       turn_ids=item.turn_ids, tier=decision.tier)
        return changes.update(target, note, decision.reason)
    deleted = (changes.delete(target, retraction_reason(decision.reason, item.content))
               if target is not None else None)
    if decision.tier is Tier.DISCARD:
        if target is not None and item.turn_ids:  # the retracting turn stays on record
            changes.merges.append(Merge(target.id, item.turn_ids, "the turn that retracted it"))
        return deleted or discarded(decision)
    added = _add(item, enrichment, embedding, intent, candidates, decision.tier,
                 decision.reason, changes, deps)
    if deleted is None:
        return added
    return WriteResult(Op.DELETE, deleted.note_id, decision.reason, tier=added.tier,
                       added_id=added.note_id)


def retraction_reason(reason: str, said: str, limit: int = 200) -> str:
    """Why a note was deleted (or cut back to what a retraction left of it): the manager's
    reason, then what was said (the first ``limit`` characters), so the note's history
    shows what happened."""
    return f'{reason or "retracted"}; {_quote(said, limit)}'


def _quote(said: str, limit: int = 200) -> str:
    said = " ".join(said.split())
    if len(said) > limit:
        said = said[:limit - 1] + "…"
    return f'said: "{said}"'


def _add(item: WriteInput, enrichment: Enrichment, embedding: np.ndarray, intent: np.ndarray,
         candidates: list[Candidate], tier: Tier, reason: str, changes: BatchChanges,
         deps: WriteDeps) -> WriteResult:
    note = new_note(item, enrichment, embedding, intent,
                    utility=deps.config.feedback.initial_utility, tier=tier)
    gone = set(changes.deletes)
    links = similarity_links([c for c in candidates if c.note_id not in gone],
                             deps.config.write.min_link_similarity)
    return changes.add(note, links, reason)


def _said_before(items: Sequence[WriteInput], hashes: list[str], store: Store
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
        quote = _quote(item.content)
        for holder in first:  # live notes first
            if all(holder.note_id in ids for ids in others) and (
                    (holder.source_id == item.source_id and holder.content_hash == digest)
                    or (holder.delete_reason is not None and quote in holder.delete_reason)):
                found[i] = holder.note_id
                break
    return found


def _stored_hashes(items: Sequence[WriteInput], hashes: list[str],
                   store: Store) -> dict[tuple[Scope, str], str]:
    by_scope: dict[Scope, set[str]] = {}
    for item, digest in zip(items, hashes, strict=True):
        by_scope.setdefault(item.scope, set()).add(digest)
    return {
        (scope, digest): note_id
        for scope, digests in by_scope.items()
        for digest, note_id in store.note_ids_for_hashes(scope, sorted(digests)).items()
    }


def _settle(result: WriteResult, item: WriteInput, digest: str, inserted: set[str],
            store: Store) -> WriteResult:
    """An ADD that another writer beat to the same content becomes a NOOP on its note."""
    if result.op is not Op.ADD or result.note_id in inserted:
        return result
    winner = store.note_ids_for_hashes(item.scope, [digest]).get(digest, result.note_id)
    return WriteResult(Op.NOOP, winner, ALREADY_STORED)
