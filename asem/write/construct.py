"""Building notes from enriched input: the text that is embedded, and the Note itself."""

from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np

from asem.types import Enrichment, Note, Provenance, Tier, now
from asem.write.inputs import WriteInput, content_hash


def document_text(content: str, enrichment: Enrichment, *, with_terms: bool = False) -> str:
    """What the note embedding (e) encodes: content and context, then (``with_terms``)
    tags and keywords.

    The content comes first so that the intent embedding (z) can be pooled over it.
    Extractive keywords are words of the content itself, so by default they (and the
    tags) go to the lexical index only: embedding them again lowered LoCoMo recall@5
    (0.544 → 0.508 on three conversations) and doubled the embedding cost.
    """
    parts = [content]
    if enrichment.context:
        parts.append(f"({enrichment.context})")
    if with_terms and enrichment.tags:
        parts.append("Topics: " + ", ".join(enrichment.tags) + ".")
    if with_terms and enrichment.keywords:
        parts.append("Keywords: " + ", ".join(enrichment.keywords) + ".")
    return " ".join(parts)


def event_time(item: WriteInput, enrichment: Enrichment) -> datetime:
    """The time the content speaks of: its first resolved date, else when it was said."""
    if enrichment.dates:
        return datetime.combine(enrichment.dates[0].value, datetime.min.time())
    return item.observed_at


def new_note(item: WriteInput, enrichment: Enrichment, embedding: np.ndarray,
             intent: np.ndarray, *, utility: float, tier: Tier) -> Note:
    return Note(
        id=uuid.uuid4().hex,
        content=item.content,
        scope=item.scope,
        created_at=now(),
        observed_at=item.observed_at,
        event_time=event_time(item, enrichment),
        keywords=enrichment.keywords,
        tags=enrichment.tags,
        context=enrichment.context,
        entities=enrichment.entities,
        dates=enrichment.dates,
        embedding=embedding,
        intent_embedding=intent,
        utility=utility,
        tier=tier,
        provenance=Provenance(item.source_id, item.turn_ids, item.writer, item.channel),
        content_hash=content_hash(item.content),
    )
