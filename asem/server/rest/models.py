"""Request and response bodies of the native REST API (``/v1``).

Every request model carries an example: the OpenAPI schema shows it, and the server's auth
test builds its requests from those examples, so a new route cannot go untested.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from asem.read.answer import Answer
from asem.types import (
    Filters,
    HistoryEntry,
    Hit,
    Note,
    ScoreParts,
    SearchResult,
    Tier,
    WriteResult,
)

UserId = Field(default=None, description="The tenant to act for: the key's own user when "
               "omitted; an admin key must name one.")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


TrustLevel = Literal["user_said", "assistant_said", "imported", "document", "tool_output"]
TrustSource = Literal["user", "assistant", "tool", "document", "import"]


class ReleaseRequest(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "reviewed: a quoted instruction, not one to the agent"}]})
    user_id: str | None = UserId
    reason: str = Field(default="released from quarantine", max_length=1000)


class QuarantineRequest(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "tells the assistant to recommend one bank"}]})
    user_id: str | None = UserId
    reason: str = Field(default="quarantined by hand", max_length=1000)


# -- notes ---------------------------------------------------------------------------------
class DateOut(BaseModel):
    phrase: str
    date: str
    granularity: str


class LinkOut(BaseModel):
    target_id: str
    relation: str
    strength: float


class NoteOut(BaseModel):
    """A note without its vectors (``Note.to_dict``)."""

    id: str
    content: str
    user_id: str
    agent_id: str | None
    session_id: str | None
    created_at: str
    observed_at: str
    event_time: str
    keywords: list[str]
    tags: list[str]
    context: str
    entities: list[str]
    dates: list[DateOut]
    links: list[LinkOut]
    utility: float
    usage_count: int
    last_used: str | None
    tier: str
    source_id: str | None
    turn_ids: list[str]
    writer: str
    channel: str
    updated_at: str | None
    deleted_at: str | None
    delete_reason: str | None
    valid_from: str | None = None
    """When the fact started to hold (None: as long as it is known)."""
    valid_until: str | None = None
    """When it stopped holding (None: it still holds): set when it was superseded."""
    superseded_by: str | None = None
    """The note that holds the fact since (None for a retraction, or a current note)."""
    trust: TrustLevel = "user_said"
    """How far the note's source is trusted."""
    quarantined: bool = False
    """Held back by the injection detector: never returned by a default search."""
    quarantine_score: float | None = None
    expires_at: str | None = None
    """When a short-term note expires unless used, said again or confirmed."""
    archived_at: str | None = None
    """When maintenance archived the note (``POST .../restore`` brings it back)."""

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        return cls.model_validate(note.to_dict())


class NotesPage(BaseModel):
    notes: list[NoteOut]
    total: int | None = None
    """How many notes the listing pages through (with ``count=true``; deleted ones never
    counted)."""
    limit: int
    offset: int
    next_offset: int | None
    """The offset of the next page; None on the last page."""


class UpdateRequest(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"content": "I adopted two dogs, Buddy and Scout", "reason": "a second dog"}]})
    content: str
    user_id: str | None = UserId
    reason: str = "edited"


class DeleteOut(BaseModel):
    note_id: str
    deleted: bool


class HistoryEntryOut(BaseModel):
    id: int
    op: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    at: str
    reason: str
    actor: str

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryOut:
        return cls(id=entry.id, op=entry.op, old=entry.old, new=entry.new,
                   at=entry.at.isoformat(), reason=entry.reason, actor=entry.actor)


class HistoryOut(BaseModel):
    note_id: str
    entries: list[HistoryEntryOut]


class LinksOut(BaseModel):
    note_id: str
    links: list[LinkOut]


# -- write ---------------------------------------------------------------------------------
class MessageIn(Request):
    content: str
    speaker: str | None = None
    timestamp: datetime | None = None
    turn_id: str | None = None


class AddRequest(Request):
    """A text, or chat messages (one note each): exactly one of ``text`` and ``messages``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"messages": [{"content": "I adopted a dog named Buddy", "speaker": "alice",
                       "timestamp": "2024-05-08T13:56:00", "turn_id": "D1:3"}],
         "session_id": "s1"}]})
    text: str | None = None
    messages: list[MessageIn] | None = None
    user_id: str | None = UserId
    agent_id: str | None = None
    session_id: str | None = None
    speaker: str | None = None
    timestamp: datetime | None = None
    turn_id: str | None = None
    source_id: str | None = None
    writer: TrustSource = "user"
    """Who hands the input in: its note's trust follows (``tool`` and ``document`` content
    is trusted least; see docs/reliability.md)."""

    @model_validator(mode="after")
    def _one_input(self) -> AddRequest:
        if (self.text is None) == (self.messages is None):
            raise ValueError("give exactly one of 'text' and 'messages'")
        return self


class OpOut(BaseModel):
    """What one input became (``WriteResult``)."""

    op: str
    note_id: str
    reason: str
    tier: str | None
    added_id: str | None

    @classmethod
    def of(cls, result: WriteResult) -> OpOut:
        return cls(op=result.op.value, note_id=result.note_id, reason=result.reason,
                   tier=result.tier.value if result.tier else None, added_id=result.added_id)


class AddResponse(BaseModel):
    results: list[OpOut]


# -- read ----------------------------------------------------------------------------------
class FiltersIn(Request):
    tags: list[str] = []
    keywords: list[str] = []
    since: datetime | None = None
    until: datetime | None = None
    session_id: str | None = None
    tier: Literal["long_term", "short_term"] | None = None
    speaker: str | None = Field(default=None, max_length=200,
                                description="Notes of what this speaker said.")
    text: str | None = Field(default=None, max_length=500, description="Notes whose "
                             "content contains this text (case-insensitive).")

    def to_filters(self) -> Filters:
        return Filters(tuple(self.tags), tuple(self.keywords), self.since, self.until,
                       self.session_id, Tier(self.tier) if self.tier else None,
                       self.speaker or None, self.text or None)


class ScopedQuery(Request):
    """Who asks, how many notes, and which notes may answer: shared by search and answer."""

    user_id: str | None = UserId
    agent_id: str | None = None
    session_id: str | None = None
    k: int | None = Field(default=None, ge=1, le=100)
    filters: FiltersIn | None = None


class SearchRequest(ScopedQuery):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"query": "what is my dog called", "k": 5, "filters": {"tags": []}}]})
    query: str
    expand_links: bool | None = None
    as_of: datetime | None = None
    """Only what held at this time (ISO 8601): past facts that held then instead of the
    ones that superseded them."""
    include_superseded: bool = False
    """Also past facts: notes superseded by a change or retracted."""
    min_trust: TrustLevel | None = None
    """Only notes from this source or a more trusted one (user_said is the most trusted),
    and none the injection detector flagged."""
    trust: list[TrustLevel] = []
    """Only notes from these sources, and none the injection detector flagged."""
    include_quarantined: bool = False
    """Also notes the injection detector quarantined."""


class HitOut(BaseModel):
    note: NoteOut
    score: float
    similarity: float
    lexical: float
    via: str
    superseded: bool = False
    """True for a past fact: its validity ended before the search."""
    parts: ScoreParts | None = None
    """The terms ``score`` sums, for a ``recall`` hit (null for ``bridge`` and ``link``)."""

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(note=NoteOut.of(hit.note), score=hit.score, similarity=hit.similarity,
                   lexical=hit.lexical, via=hit.via, superseded=hit.superseded, parts=hit.parts)


class SearchResponse(BaseModel):
    retrieval_id: str
    """Give feedback on this id."""
    query: str
    hits: list[HitOut]

    @classmethod
    def of(cls, result: SearchResult) -> SearchResponse:
        return cls(retrieval_id=result.retrieval_id, query=result.query,
                   hits=[HitOut.of(h) for h in result])


class AnswerRequest(ScopedQuery):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"question": "What is my dog called?"}]})
    question: str


class AnswerResponse(BaseModel):
    question: str
    answer: str
    note_ids: list[str]
    abstained: bool
    retrieval_id: str
    hits: list[HitOut]

    @classmethod
    def of(cls, answer: Answer) -> AnswerResponse:
        return cls(question=answer.question, answer=answer.text,
                   note_ids=list(answer.note_ids), abstained=answer.abstained,
                   retrieval_id=answer.retrieval_id, hits=[HitOut.of(h) for h in answer.hits])


# -- feedback ------------------------------------------------------------------------------
class FeedbackRequest(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"retrieval_id": "9f2c4d0e6b8a4f1e9d3c2b1a0f9e8d7c", "reward": 1.0}]})
    retrieval_id: str
    reward: float = Field(ge=-1.0, le=1.0)
    note_ids: list[str] | None = Field(default=None, description="Reward only these notes "
                                       "of the retrieval (default: every note it returned).")
    user_id: str | None = UserId
    episode: bool | str | None = Field(
        default=None, description="Keep the interaction as an experience note linked to the "
        "notes used: true, or the answer that was given.")


class UtilityOut(BaseModel):
    old: float
    new: float


class FeedbackResponse(BaseModel):
    retrieval_id: str
    reward: float
    utilities: dict[str, UtilityOut]
    experience_id: str | None = None
    """The experience note the episode became (with ``episode``)."""
    promoted: list[str] = []
    """Short-term notes the positive reward made long-term."""


# -- lifecycle -----------------------------------------------------------------------------
class MaintainRequest(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"dry_run": True}, {"user_id": "alice", "max_notes": 5000}]})
    user_id: str | None = UserId
    all_users: bool = Field(default=False, description="Every tenant (admin keys only).")
    dry_run: bool = Field(default=False, description="Say what would be archived; change "
                          "nothing.")
    max_notes: int | None = Field(default=None, ge=0, description="Capacity for this run "
                                  "(admin keys only; default: the configured one).")
    max_tokens: int | None = Field(default=None, ge=0, description="Token budget (words) for "
                                   "this run (admin keys only).")


class EvictionOut(BaseModel):
    note_id: str
    reason: str


class MaintenanceOut(BaseModel):
    user_id: str
    dry_run: bool
    notes_before: int
    notes_after: int
    words_before: int
    max_notes: int | None
    max_tokens: int | None
    expired: list[str]
    evicted: list[EvictionOut]


class MaintainResponse(BaseModel):
    dry_run: bool
    users: list[MaintenanceOut]


class ForgetOut(BaseModel):
    user_id: str
    forgotten: int
    """How many notes were removed for good (an audit row without content stays of each)."""
    note_id: str | None = None


# -- overview ------------------------------------------------------------------------------
class Bucket(BaseModel):
    start: str
    """The first instant of the bucket (ISO 8601), or the bucket's lower bound."""
    count: int


class OverviewOut(BaseModel):
    """A tenant's notes at a glance (``GET /v1/overview``)."""

    user_id: str
    notes: int
    """Current notes (not deleted, validity not ended)."""
    tiers: dict[str, int]
    over_time: list[Bucket]
    """Notes by event time: by day, week or month, whichever gives at most 60 buckets."""
    granularity: Literal["day", "week", "month"]
    utility: list[Bucket]
    """Notes by utility in 20 bins of width 0.1 over [−1, 1] (``start``: the bin's lower
    bound)."""
    mean_utility: float
    jobs: dict[str, int] | None
    """LLM jobs by status (pending, running, done, failed); null without a model."""


# -- tenants -------------------------------------------------------------------------------
class ImportOut(BaseModel):
    added: int
    already_stored: int
    skipped_deleted: int


class DeleteUserOut(BaseModel):
    user_id: str
    deleted: int
    """How many live notes were soft-deleted."""
