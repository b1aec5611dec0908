"""Rebuilding a note around new content: what a manual edit and a manager's UPDATE share.

The new content is enriched and embedded exactly as a new note would be, so an updated note
is found by the same searches as one written with that content from the start. One
exception: when the content keeps the old content and adds to it later (a merge), the old
sentences keep the dates and context they were said with. "I adopted a dog named Buddy
yesterday!", said on 4 March, still resolves "yesterday" to 3 March after "I adopted
another dog named Scout." is merged into it on 18 March.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from asem.config import WriteConfig
from asem.providers.embedder import Embedder, embed_notes
from asem.types import Note, Provenance, Tier, now
from asem.write.construct import document_text, event_time
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput, content_hash


def revised(old: Note, content: str, *, enricher: Enricher, embedder: Embedder,
            config: WriteConfig, observed_at: datetime | None = None,
            turn_ids: tuple[str, ...] = (), tier: Tier | None = None) -> Note:
    """``old`` with ``content``: attributes and vectors rebuilt, provenance extended by
    ``turn_ids``, observed at ``observed_at`` (default: when ``old`` was)."""
    when = observed_at or old.observed_at
    item = WriteInput(content, old.scope, old.speaker, when, old.provenance.turn_ids,
                      old.provenance.source_id, old.provenance.writer, old.provenance.channel)
    added = _added_later(old, content, when)
    if added is None:
        (enrichment,) = enricher.enrich([item])
    else:
        whole, rest = enricher.enrich([item, replace(item, content=added)])
        context = old.context if rest.context in old.context else ". ".join(
            c for c in (old.context, rest.context) if c)
        enrichment = replace(whole, dates=old.dates + rest.dates, context=context)
    document = document_text(content, enrichment, speaker=old.speaker,
                             with_terms=config.embed_terms)
    e, z = embed_notes(embedder, [document.text], [document.content_span])
    turns = old.provenance.turn_ids + tuple(t for t in turn_ids
                                            if t not in old.provenance.turn_ids)
    provenance = Provenance(old.provenance.source_id, turns, old.provenance.writer,
                            old.provenance.channel)
    kept = old.tier if tier in (None, Tier.DISCARD) else tier
    return replace(old, content=content, keywords=enrichment.keywords, tags=enrichment.tags,
                   context=enrichment.context, entities=enrichment.entities,
                   dates=enrichment.dates, observed_at=when,
                   event_time=event_time(item, enrichment), embedding=e[0],
                   intent_embedding=z[0], content_hash=content_hash(content),
                   updated_at=now(), provenance=provenance,
                   tier=kept, expires_at=old.expires_at if kept is Tier.SHORT_TERM else None)


def _added_later(old: Note, content: str, when: datetime) -> str | None:
    """What ``content`` adds after ``old.content`` when it keeps it whole and was said at
    another time than it; None otherwise (a replacement, or the same moment)."""
    head = old.content.rstrip()
    if when == old.observed_at or not content.startswith(head):
        return None
    rest = content[len(head):].lstrip(".!?; ").strip()
    return rest or None
