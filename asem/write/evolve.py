"""Enrichment, linking and evolution by a language model, for a batch of stored notes.

The write path has already stored each note with extractive attributes (searchable at
once). Here one structured call per batch improves them (SPEC stages 1 and 3): the reply is
checked against the prompt's own indices — a link or revision that names anything outside
the batch and its neighbours is dropped and counted, never written — and turned into an
``Evolution`` the store commits in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np

from asem.config import WriteConfig
from asem.llm.base import LLM
from asem.llm.retry import RetryPolicy
from asem.llm.structured import ask
from asem.llm.usage import UsageMeter
from asem.prompts import note_batch
from asem.prompts.note_batch import LETTERS, NoteBatchReply, TurnNote
from asem.providers.embedder import Embedder, embed_notes
from asem.read.terms import query_terms
from asem.stores.base import Evolution, Job, Store
from asem.types import Enrichment, Note, ResolvedDate, now
from asem.write.construct import document_text
from asem.write.link import Neighbourhood

SEPARATOR = " — "
"""Between a note's extractive context ("<speaker>, on <date>; …") and the model's sentence:
the speaker and date stay readable, and a later revision replaces only the sentence."""


@dataclass(frozen=True)
class Batch:
    """The notes of a claimed batch and the neighbours shown with them."""

    jobs: tuple[Job, ...]
    notes: tuple[Note, ...]
    """Live notes of the jobs, in job order (deleted ones are left out)."""
    neighbours: tuple[Note, ...]


@dataclass
class Outcome:
    """What applying one reply did, for accounting and tests."""

    evolution: Evolution
    rejected: list[str] = field(default_factory=list)
    """References to indices outside the prompt (dropped)."""


def gather(jobs: Sequence[Job], store: Store, k: int, max_neighbours: int) -> Batch:
    """The jobs' notes and the union of their k nearest other notes, most similar first."""
    found = store.get_notes([j.note_id for j in jobs])
    notes = tuple(found[j.note_id] for j in jobs if j.note_id in found)
    if not notes:
        return Batch(tuple(jobs), (), ())
    user_id = notes[0].scope.user_id
    index = Neighbourhood(store.vector_index(user_id), store.get_notes,
                          store.quarantined_ids(user_id))
    in_batch = {n.id for n in notes}
    best: dict[str, float] = {}
    for note in notes:
        assert note.embedding is not None and note.intent_embedding is not None
        for c in index.nearest(note.scope, note.embedding, note.intent_embedding,
                               k + len(notes)):
            if c.note_id not in in_batch:
                best[c.note_id] = max(best.get(c.note_id, -1.0), c.similarity)
    chosen = sorted(best, key=lambda i: -best[i])[:max_neighbours]
    others = store.get_notes(chosen)
    return Batch(tuple(jobs), notes, tuple(others[i] for i in chosen if i in others))


def request(batch: Batch, llm: LLM, meter: UsageMeter, retry: RetryPolicy | None = None
            ) -> NoteBatchReply:
    """One structured call for the whole batch."""
    turns = [note_batch.NewTurn(n.content, n.speaker, n.observed_at) for n in batch.notes]
    shown = [note_batch.Neighbour(n.content, description(n.context), n.tags)
             for n in batch.neighbours]
    return ask(llm, note_batch.build(turns, shown), NoteBatchReply, meter=meter,
               max_tokens=note_batch.max_tokens(len(turns)), retry=retry,
               schema=note_batch.schema(len(turns), len(shown)),
               check=note_batch.check(len(turns)))


def apply_reply(batch: Batch, reply: NoteBatchReply, embedder: Embedder,
                write: WriteConfig) -> Outcome:
    """The Evolution a reply asks for, every reference checked against the batch."""
    new_by_index = {str(i): n for i, n in enumerate(batch.notes, start=1)}
    old_by_letter = dict(zip(LETTERS, batch.neighbours, strict=False))
    rejected: list[str] = []
    changed: dict[str, Note] = {}
    for item in reply.notes:
        note = new_by_index.get(item.turn)
        if note is None:
            rejected.append(f"note for turn {item.turn}")
            continue
        changed[note.id] = _enriched(note, item)
    for revision in reply.updates:
        old = old_by_letter.get(revision.note)
        if old is None:
            rejected.append(f"update of {revision.note}")
            continue
        if revision.context or revision.tags:
            changed[old.id] = _revised(old, revision.context, revision.tags)
    updated = _reembed(list(changed.values()), embedder, write.embed_terms)
    vectors = {n.id: n.embedding for n in [*batch.notes, *batch.neighbours]}
    vectors.update({n.id: n.embedding for n in updated})
    links: dict[tuple[str, str], tuple[str, str, str, float]] = {}
    everything = new_by_index | old_by_letter
    for link in reply.links:
        source, target = everything.get(link.source), everything.get(link.target)
        if source is None or target is None or source.id == target.id:
            rejected.append(f"link {link.source}->{link.target}")
            continue
        if source.id not in {n.id for n in batch.notes}:  # one end must be new
            if target.id not in {n.id for n in batch.notes}:
                rejected.append(f"link {link.source}->{link.target}")
                continue
            source, target = target, source
        if not link.relation:
            continue
        strength = float(np.dot(vectors[source.id], vectors[target.id]))  # type: ignore[arg-type]
        links[tuple(sorted((source.id, target.id)))] = (source.id, target.id, link.relation,
                                                         round(strength, 4))
    reasons = {n.id: "enriched by the language model" for n in batch.notes}
    evolution = Evolution(
        updates=tuple((n, reasons.get(n.id, "evolved in the light of a new note"))
                      for n in updated),
        links=tuple(links.values()), job_ids=tuple(j.id for j in batch.jobs))
    return Outcome(evolution, rejected)


def description(context: str) -> str:
    """The model-written sentence of a context (all of it if it has none)."""
    return context.split(SEPARATOR, 1)[1] if SEPARATOR in context else context


def _base(context: str) -> str:
    return context.split(SEPARATOR, 1)[0]


GROUNDED_SHARE = 0.4
"""The model's context sentence is kept only when at least this share of its words are in
the turn itself (or name its speaker). A small model given several turns at once often
describes the wrong one ("Hey Mel! How have you been?" → "Caroline went to a support
group"), and the sentence is embedded with the note: a wrong one would move the note
towards questions it cannot answer."""


def _words(text: str) -> set[str]:
    return set(query_terms(text))


def grounded_keywords(keywords: Sequence[str], said: set[str]) -> list[str]:
    """The keywords with a word in the turn (``said``: its words and its speaker's)."""
    return [k for k in keywords if _words(k) & said]


def grounded_context(sentence: str, said: set[str]) -> str:
    """``sentence`` if enough of it comes from the turn, else nothing (GROUNDED_SHARE)."""
    words = _words(sentence)
    return sentence if words and len(words & said) >= GROUNDED_SHARE * len(words) else ""


def _enriched(note: Note, item: TurnNote) -> Note:
    dates = _merge_dates(note, item)
    said = _words(note.content) | _words(note.speaker or "")
    sentence = grounded_context(item.context, said)
    context = _base(note.context) + (SEPARATOR + sentence if sentence else "")
    event = (datetime.combine(dates[0].value, datetime.min.time()) if dates
             else note.event_time)
    return replace(note, keywords=_union(grounded_keywords(item.keywords, said),
                                         note.keywords, 8),
                   tags=_union([t.lower() for t in item.tags], note.tags, 6), context=context,
                   dates=dates, event_time=event, updated_at=now())


def _revised(note: Note, sentence: str, tags: Sequence[str]) -> Note:
    context = _base(note.context) + SEPARATOR + sentence if sentence else note.context
    return replace(note, context=context, tags=_union([t.lower() for t in tags], note.tags, 6),
                   updated_at=now())


def _merge_dates(note: Note, item: TurnNote) -> tuple[ResolvedDate, ...]:
    """The note's resolved dates plus the model's, where the phrase is really in the text
    and the date is a real one within ten years of when it was said."""
    dates = list(note.dates)
    known = {d.phrase.lower() for d in dates}
    text = note.content.lower()
    for ref in item.dates:
        phrase = ref.phrase.strip()
        try:
            value = date.fromisoformat(ref.date.strip()[:10])
        except ValueError:
            continue
        if (phrase and phrase.lower() in text and phrase.lower() not in known
                and abs((value - note.observed_at.date()).days) <= 3653):
            dates.append(ResolvedDate(phrase, value))
            known.add(phrase.lower())
    return tuple(dates)


def _union(first: Sequence[str], second: Sequence[str], limit: int) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for term in [*first, *second]:
        seen.setdefault(term.lower(), term)
    return tuple(list(seen.values())[:limit])


def _reembed(notes: list[Note], embedder: Embedder, with_terms: bool) -> list[Note]:
    if not notes:
        return []
    # As the write path embeds a note: content and context (the speaker is in the context).
    documents = [document_text(n.content, Enrichment(n.keywords, n.tags, n.context),
                               with_terms=with_terms) for n in notes]
    e, z = embed_notes(embedder, [d.text for d in documents],
                       [d.content_span for d in documents])
    return [replace(n, embedding=e[i], intent_embedding=z[i]) for i, n in enumerate(notes)]


__all__ = ["Batch", "Outcome", "apply_reply", "gather", "request"]
