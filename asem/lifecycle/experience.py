"""Experience notes (SPEC stage 5, optional): an interaction becomes a note of the tenant.

``feedback(..., episode=...)`` turns the retrieval's query, what was answered and the reward
into one note, linked to the notes the retrieval used, so that a later search for a like
question finds "last time this worked" (or failed) beside the facts. Without a language
model the note is a structured record; with one, a one-sentence lesson
(``asem.prompts.lesson``), the record's facts kept in its context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from asem.config import MemoryConfig
from asem.llm.base import LLM, LLMError
from asem.llm.retry import RetryPolicy
from asem.llm.structured import ask
from asem.llm.usage import UsageMeter
from asem.prompts import lesson
from asem.providers.embedder import Embedder, embed_notes
from asem.stores.base import NewNote, Store, WriteBatch
from asem.types import Note, Scope, Tier
from asem.write.construct import document_text, new_note
from asem.write.enrich import Enricher
from asem.write.inputs import WriteInput

TAG = "experience"
"""Every experience note carries this tag: ``Filters(tags=("experience",))`` finds them."""
CHANNEL = "experience"


@dataclass(frozen=True)
class Episode:
    """One interaction: the query searched, what was answered, the reward, the notes used."""

    scope: Scope
    query: str
    answer: str | None
    reward: float
    used: tuple[Note, ...]


def record(episode: Episode) -> str:
    """The structured record of an episode (the note's content without a model)."""
    outcome = ("worked" if episode.reward > 0 else "failed" if episode.reward < 0
               else "was neutral")
    answered = f" Answered: {episode.answer.strip()}." if episode.answer else ""
    used = "; ".join(n.content[:120] for n in episode.used[:3])
    return (f"Experience: for \"{episode.query or 'a query not recorded'}\" the memory's answer "
            f"{outcome} (reward {episode.reward:+.2f}).{answered}"
            + (f" Notes used: {used}." if used else ""))


def summarise(episode: Episode, llm: LLM, meter: UsageMeter, retry: RetryPolicy) -> str:
    """A one-sentence lesson of the episode, by ``llm``."""
    reply = ask(llm, lesson.build(episode.query, episode.answer, episode.reward,
                                  [n.content for n in episode.used]),
                lesson.LessonReply, meter=meter, max_tokens=120, retry=retry)
    return reply.lesson.strip()


def remember(episode: Episode, *, store: Store, embedder: Embedder, enricher: Enricher,
             config: MemoryConfig, llm: LLM | None = None, meter: UsageMeter | None = None,
             retry: RetryPolicy | None = None) -> str:
    """Store the episode as an experience note linked to the notes it used; returns its id.

    A model that fails (an outage, an unusable reply) leaves the structured record."""
    facts = record(episode)
    content = facts
    if llm is not None:
        try:
            content = summarise(episode, llm, meter or UsageMeter(), retry or RetryPolicy())
        except LLMError:
            content = facts
    item = WriteInput(content, episode.scope, writer="feedback", channel=CHANNEL)
    (enrichment,) = enricher.enrich([item])
    context = facts if content != facts else enrichment.context
    enrichment = replace(enrichment, tags=tuple(dict.fromkeys((TAG, *enrichment.tags))),
                         context=context)
    document = document_text(content, enrichment, with_terms=config.write.embed_terms)
    e, z = embed_notes(embedder, [document.text], [document.content_span])
    note = new_note(item, enrichment, e[0], z[0], utility=config.feedback.initial_utility,
                    tier=Tier.LONG_TERM)
    relation = (f"used in an episode that {'worked' if episode.reward > 0 else 'failed'}"
                if episode.reward else "used in an episode")
    links = tuple((n.id, relation, float(episode.reward)) for n in episode.used)
    store.write(WriteBatch(new=(NewNote(note, links, "experience of a rewarded retrieval"),),
                           actor="feedback"))
    return note.id


def used_notes(store: Store, note_ids: Sequence[str]) -> tuple[Note, ...]:
    found = store.get_notes(list(note_ids))
    return tuple(found[i] for i in note_ids if i in found)
