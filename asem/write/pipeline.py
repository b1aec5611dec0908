"""The write path, top-down: input → note construction → manager decision → link & store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asem.config import MemoryConfig
from asem.providers.embedder import Embedder, embed_notes
from asem.stores.base import Merge, NewNote, Store, WriteBatch
from asem.types import Op, Scope, WriteResult
from asem.write.construct import document_text, new_note
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput, content_hash
from asem.write.link import Neighbourhood, similarity_links
from asem.write.manager import ManagerPolicy, Proposal

_ALREADY_STORED = "same content is already stored"


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
    known = _stored_hashes(items, hashes, deps.store)
    results: list[WriteResult | None] = [None] * len(items)
    merges: list[Merge] = []
    for i, (item, digest) in enumerate(zip(items, hashes, strict=True)):
        if (item.scope, digest) in known:
            results[i] = _noop(known[item.scope, digest], item, _ALREADY_STORED, merges)
    fresh = [i for i, r in enumerate(results) if r is None]
    new = _construct(items, fresh, hashes, known, results, merges, deps)
    inserted = deps.store.write(WriteBatch(tuple(new), tuple(merges), actor))
    return [_settle(r, item, digest, inserted, deps.store)
            for r, item, digest in zip(results, items, hashes, strict=True) if r is not None]


def _construct(items: Sequence[WriteInput], fresh: list[int], hashes: list[str],
               known: dict[tuple[Scope, str], str], results: list[WriteResult | None],
               merges: list[Merge], deps: WriteDeps) -> list[NewNote]:
    """Enrich, embed, decide and link the inputs at positions ``fresh``."""
    if not fresh:
        return []
    enrichments = deps.enricher.enrich([items[i] for i in fresh])
    with_terms = deps.config.write.embed_terms
    documents = [document_text(items[i].content, e, with_terms=with_terms)
                 for i, e in zip(fresh, enrichments, strict=True)]
    embeddings, intents = embed_notes(deps.embedder, [d.text for d in documents],
                                      [d.content_span for d in documents])
    places: dict[str, Neighbourhood] = {}
    new: list[NewNote] = []
    for row, i in enumerate(fresh):
        item = items[i]
        if (item.scope, hashes[i]) in known:  # repeated earlier in this batch
            results[i] = _noop(known[item.scope, hashes[i]], item, _ALREADY_STORED, merges)
            continue
        user = item.scope.user_id
        if user not in places:
            places[user] = Neighbourhood(deps.store.vector_index(user))
        candidates = places[user].nearest(item.scope, embeddings[row], intents[row],
                                          deps.config.write.k_links)
        decision = deps.manager.decide(Proposal(item.content, item.speaker, candidates))
        if decision.op is Op.NOOP and decision.target_id:
            results[i] = _noop(decision.target_id, item, decision.reason, merges)
            continue
        note = new_note(item, enrichments[row], embeddings[row], intents[row],
                        utility=deps.config.feedback.initial_utility, tier=decision.tier)
        links = similarity_links(candidates, deps.config.write.min_link_similarity)
        new.append(NewNote(note, links, decision.reason))
        places[user].add(note)
        known[item.scope, hashes[i]] = note.id
        results[i] = WriteResult(Op.ADD, note.id, decision.reason)
    return new


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


def _noop(target: str, item: WriteInput, reason: str, merges: list[Merge]) -> WriteResult:
    """A NOOP that still records where the input came from on the note it matched."""
    merges.append(Merge(target, item.turn_ids, reason))
    return WriteResult(Op.NOOP, target, reason)


def _settle(result: WriteResult, item: WriteInput, digest: str, inserted: set[str],
            store: Store) -> WriteResult:
    """An ADD that another writer beat to the same content becomes a NOOP on its note."""
    if result.op is not Op.ADD or result.note_id in inserted:
        return result
    winner = store.note_ids_for_hashes(item.scope, [digest]).get(digest, result.note_id)
    return WriteResult(Op.NOOP, winner, _ALREADY_STORED)
