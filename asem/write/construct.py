"""Building notes from enriched input: the text that is embedded, and the Note itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from asem.types import Enrichment, Note, Provenance, Tier, now
from asem.write.inputs import WriteInput, content_hash


@dataclass(frozen=True)
class Document:
    """The text the note embedding (e) encodes, and where the content sits in it."""

    text: str
    content_span: tuple[int, int]
    """Character offsets of the content: the intent embedding (z) is pooled over them."""


def document_text(content: str, enrichment: Enrichment, *, speaker: str | None = None,
                  with_terms: bool = False) -> Document:
    """"Speaker: content (context)", then (``with_terms``) tags and keywords.

    The layout was chosen by LoCoMo recall@5 on three conversations (conv-26, -30, -41):
    content then context 0.562; speaker first 0.575 (MiniLM reads "Name: text" well).
    Extractive keywords are words of the content itself, so by default they (and the
    tags) go to the lexical index only: embedding them too lowered recall@5 (0.544 →
    0.508) and doubled the embedding cost.
    """
    head = f"{speaker}: " if speaker else ""
    parts = [head + content]
    if enrichment.context:
        parts.append(f"({enrichment.context})")
    if with_terms and enrichment.tags:
        parts.append("Topics: " + ", ".join(enrichment.tags) + ".")
    if with_terms and enrichment.keywords:
        parts.append("Keywords: " + ", ".join(enrichment.keywords) + ".")
    return Document(" ".join(parts), (len(head), len(head) + len(content)))


def event_time(item: WriteInput, enrichment: Enrichment) -> datetime:
    """The time the content speaks of: its first resolved date, else when it was said."""
    if enrichment.dates:
        return datetime.combine(enrichment.dates[0].value, datetime.min.time())
    return item.observed_at


def new_note(item: WriteInput, enrichment: Enrichment, embedding: np.ndarray,
             intent: np.ndarray, *, utility: float, tier: Tier,
             valid_from: datetime | None = None) -> Note:
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
        valid_from=valid_from,
    )
