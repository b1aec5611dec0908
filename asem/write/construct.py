"""Note construction (SPEC stage 1): enriching and embedding inputs, and the Note itself.

Nothing here reads the store, so it runs before any decision and is never repeated when a
decision has to be made again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from asem.guard.detector import Detector, Verdict
from asem.guard.trust import trust_of
from asem.providers.embedder import Embedder, embed_notes
from asem.types import Enrichment, Note, Provenance, Tier, now
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput, content_hash


@dataclass(frozen=True)
class Draft:
    """An input with its attributes and vectors: what a new note of it would hold."""

    item: WriteInput
    enrichment: Enrichment
    embedding: np.ndarray
    """e: the document text (content and context) embedded."""
    intent: np.ndarray
    """z: the content alone, pooled from the same pass."""
    verdict: Verdict | None = None
    """The injection detector's verdict (None: not judged)."""


def drafts(items: Sequence[WriteInput], enricher: Enricher, embedder: Embedder, *,
           with_terms: bool, detector: Detector | None = None) -> list[Draft]:
    """Enrich and embed ``items`` (one enricher call, one embedder call for all), and judge
    each with ``detector`` (on its content and z embedding) when one is given."""
    if not items:
        return []
    enrichments = enricher.enrich(list(items))
    documents = [document_text(item.content, e, with_terms=with_terms)
                 for item, e in zip(items, enrichments, strict=True)]
    embeddings, intents = embed_notes(embedder, [d.text for d in documents],
                                      [d.content_span for d in documents])
    return [Draft(item, enrichment, embeddings[row], intents[row],
                  None if detector is None else
                  detector.judge(item.content, intents[row], embedder.model_id,
                                 trust_of(item.writer, item.channel).value))
            for row, (item, enrichment) in enumerate(zip(items, enrichments, strict=True))]


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
             valid_from: datetime | None = None, short_term_days: float = 7.0,
             verdict: Verdict | None = None) -> Note:
    """A new note; a short-term one expires ``short_term_days`` after it was written."""
    created = now()
    return Note(
        id=uuid.uuid4().hex,
        content=item.content,
        scope=item.scope,
        created_at=created,
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
        trust=trust_of(item.writer, item.channel).value,
        quarantined=verdict is not None and verdict.quarantined,
        quarantine_score=None if verdict is None else round(verdict.score, 4),
        expires_at=(created + timedelta(days=short_term_days) if tier is Tier.SHORT_TERM
                    else None),
    )
