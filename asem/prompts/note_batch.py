"""One call for a batch of new turns: enrichment, linking and evolution together.

SPEC stages 1 and 3 in a single structured request: for every new turn its keywords, tags,
a one-sentence context and resolved dates; links between new turns and their neighbours
(and among the new turns), both directions stored by the caller; and revised context and
tags for neighbours the new turns change. New turns are numbered (1, 2, …), neighbours
lettered (A, B, …): the model never sees a storage id, and a reference to anything else is
dropped by the caller.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field

from asem.llm.base import ChatMessage
from asem.prompts.fields import Keywords, Sentence, Tags

LETTERS = string.ascii_uppercase
SYSTEM = ("You organise a long-term memory. You turn chat turns into memory notes and connect "
          "them to related notes. Reply with one JSON object only.")


@dataclass(frozen=True)
class NewTurn:
    content: str
    speaker: str | None
    said_at: datetime


@dataclass(frozen=True)
class Neighbour:
    content: str
    context: str
    tags: Sequence[str]


def _index(value: object) -> str:
    return str(value).strip().strip("[]().").upper()


Index = Annotated[str, BeforeValidator(_index)]


class DateRef(BaseModel):
    phrase: str = Field(validation_alias=AliasChoices("phrase", "text", "expression"))
    date: str = Field(validation_alias=AliasChoices("date", "value", "iso", "resolved"))


class TurnNote(BaseModel):
    turn: Index = Field(validation_alias=AliasChoices("turn", "id", "index", "number"))
    keywords: Keywords = Field(default_factory=list,
                               validation_alias=AliasChoices("keywords", "keyword", "key_words"))
    tags: Tags = Field(default_factory=list,
                       validation_alias=AliasChoices("tags", "tag", "topics", "categories"))
    context: Sentence = Field("", validation_alias=AliasChoices("context", "summary",
                                                                "description"))
    dates: list[DateRef] = Field(default_factory=list, max_length=6)


class LinkOut(BaseModel):
    source: Index = Field(validation_alias=AliasChoices("from", "source", "turn", "src"))
    target: Index = Field(validation_alias=AliasChoices("to", "target", "note", "dst"))
    relation: Sentence = Field(validation_alias=AliasChoices("relation", "type", "label",
                                                             "reason"))


class Revision(BaseModel):
    note: Index = Field(validation_alias=AliasChoices("note", "id", "target", "neighbour"))
    context: Sentence = Field("", validation_alias=AliasChoices("context", "summary",
                                                                "description"))
    tags: Tags = Field(default_factory=list)


class NoteBatchReply(BaseModel):
    notes: list[TurnNote] = Field(validation_alias=AliasChoices("notes", "turns", "items"),
                                  max_length=64)
    links: list[LinkOut] = Field(default_factory=list, max_length=64,
                                 validation_alias=AliasChoices("links", "relations"))
    updates: list[Revision] = Field(default_factory=list, max_length=26,
                                    validation_alias=AliasChoices("updates", "revisions",
                                                                  "evolve", "neighbours"))


def schema(turns: int, neighbours: int) -> dict[str, Any]:
    """The reply's JSON schema for this batch: exactly one note per turn, every index an
    enum of the indices the prompt shows, every field required. Constrained decoding then
    cannot take the short way out a small model finds in the loose schema (64 notes for
    turn "," with nothing in them), nor name a turn or note that is not there."""
    numbers = [str(i) for i in range(1, turns + 1)]
    letters = list(LETTERS[:neighbours])
    text = {"type": "string", "maxLength": 160}
    terms = {"type": "array", "items": {"type": "string", "maxLength": 40}}
    fields = {
        "keywords": terms | {"minItems": 1, "maxItems": 5},
        "tags": terms | {"minItems": 1, "maxItems": 2},
        "context": text | {"minLength": 10},
        "dates": {"type": "array", "maxItems": 3, "items": {
            "type": "object", "properties": {"phrase": {"type": "string", "maxLength": 40},
                                             "date": {"type": "string", "maxLength": 10}},
            "required": ["phrase", "date"]}}}
    link = {"type": "object", "properties": {
        "from": {"enum": numbers}, "to": {"enum": numbers + letters},
        "relation": {"type": "string", "maxLength": 60}},
        "required": ["from", "to", "relation"]}
    revision = {"type": "object", "properties": {
        "note": {"enum": letters or ["A"]}, "context": text,
        "tags": terms | {"maxItems": 3}}, "required": ["note", "context", "tags"]}
    in_order = [{"type": "object", "properties": {"turn": {"const": n}, **fields},
                 "required": ["turn", *fields]} for n in numbers]
    return {"type": "object", "properties": {
        "notes": {"type": "array", "prefixItems": in_order, "items": False,
                  "minItems": turns, "maxItems": turns},
        "links": {"type": "array", "items": link, "maxItems": turns},
        "updates": {"type": "array", "items": revision, "maxItems": min(neighbours, 2)}},
        "required": ["notes", "links", "updates"]}


def check(turns: int) -> Callable[[NoteBatchReply], None]:
    """Rejects a reply that enriches none of the ``turns`` new turns (re-prompted, then the
    job counts a failed attempt): such a reply would mark the jobs done with nothing done."""
    wanted = {str(i) for i in range(1, turns + 1)}

    def usable(reply: NoteBatchReply) -> None:
        useful = [n for n in reply.notes if n.turn in wanted and (n.keywords or n.context)]
        if not useful:
            raise ValueError(f"notes: none describes a new turn (write one per turn, "
                             f"numbered 1 to {turns})")
    return usable


def max_tokens(turns: int) -> int:
    """Room for the reply: about 90 tokens a turn plus links and revisions."""
    return 90 * turns + 250


def build(turns: Sequence[NewTurn], neighbours: Sequence[Neighbour]) -> list[ChatMessage]:
    lines = ["New turns:"]
    for number, turn in enumerate(turns, start=1):
        who = f"{turn.speaker}: " if turn.speaker else ""
        lines.append(f"[{number}] ({turn.said_at:%A %d %B %Y}) {who}{turn.content}")
    if neighbours:
        lines += ["", "Existing notes:"]
        for letter, note in zip(LETTERS, neighbours, strict=False):
            extra = f" | context: {note.context}" if note.context else ""
            lines.append(f"[{letter}] {note.content}{extra}")
    lines += [
        "",
        'Reply as {"notes": [...], "links": [...], "updates": [...]}.',
        "notes: one per new turn: {\"turn\": \"1\", \"keywords\": [3-5 specific words: names, "
        "places, objects, activities], \"tags\": [1-2 broad topics], \"context\": one short "
        "sentence saying who did what and when, with absolute dates, \"dates\": [{\"phrase\": "
        "\"yesterday\", \"date\": \"YYYY-MM-DD\"}] for every time expression in the turn}.",
        "links: {\"from\": turn number, \"to\": a letter or another turn number, "
        "\"relation\": a few words} for notes that are really related (same event, person, "
        "cause, follow-up). None if nothing is related.",
        "updates: {\"note\": letter, \"context\": new sentence, \"tags\": [...]} only for "
        "existing notes whose context the new turns change or complete. Usually none.",
    ]
    return [ChatMessage("system", SYSTEM), ChatMessage("user", "\n".join(lines))]
