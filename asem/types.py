"""Frozen value objects that cross module boundaries: notes, hits, scopes, decisions.

Times are naive UTC ``datetime`` objects (an aware time is converted to UTC first), so
they compare and sort without surprises and store as ISO 8601 text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import numpy as np

from asem.errors import InvalidInputError, ScopeError
from asem.guard.trust import parse_trust


def utc_naive(value: datetime) -> datetime:
    """``value`` as naive UTC (aware times are converted; naive ones are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def now() -> datetime:
    return utc_naive(datetime.now(UTC))


def unicode_text(text: str, what: str) -> str:
    """``text``, if it can be stored as UTF-8. A lone surrogate (what Python makes of bytes
    that are not UTF-8 in a command-line argument, or a JSON ``\\ud800`` escape) raises
    InvalidInputError."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidInputError(
            f"{what} holds {text[e.start]!r} at character {e.start + 1}, which is not a "
            "Unicode character (bytes that are not UTF-8, or half of a surrogate pair); "
            "give the text as UTF-8"
        ) from e
    return text


class Op(StrEnum):
    """What the memory manager does with new information."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NOOP = "NOOP"
    SUPERSEDE = "SUPERSEDE"
    """What the write path makes of an UPDATE or DELETE that changes a fact
    (``Decision.supersedes``): the target stays as a past fact, its validity closed and
    linked to its successor. A result and history op; a policy decides UPDATE or DELETE."""


class Tier(StrEnum):
    """Where a note lives: kept long-term, or in a short-term cache.

    ``DISCARD`` is a manager's choice, never a stored note's tier: the input is not kept.
    """

    LONG_TERM = "long_term"
    SHORT_TERM = "short_term"
    DISCARD = "discard"


def require_user(user_id: object) -> str:
    """``user_id`` when it names a tenant; ScopeError when it is missing, empty or not a
    string. Every call that reads or changes notes goes through this: it fails closed."""
    if not isinstance(user_id, str) or not user_id.strip():
        raise ScopeError(
            "a user scope is required: pass user_id='...' (a non-empty string naming the "
            "tenant; the CLI takes --user)"
        )
    return user_id


@dataclass(frozen=True)
class Scope:
    """Who a note belongs to. ``user_id`` is required; agent and session narrow it."""

    user_id: str
    agent_id: str | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        require_user(self.user_id)
        for name in ("agent_id", "session_id"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ScopeError(f"{name} must be a non-empty string or None")
        for name in ("user_id", "agent_id", "session_id"):
            if (value := getattr(self, name)) is not None:
                try:
                    unicode_text(value, name)
                except InvalidInputError as e:
                    raise ScopeError(str(e)) from e

    def contains(self, other: Scope) -> bool:
        """True when a note in scope ``other`` is visible to a caller in this scope."""
        return (other.user_id == self.user_id
                and (self.agent_id is None or other.agent_id == self.agent_id)
                and (self.session_id is None or other.session_id == self.session_id))


@dataclass(frozen=True)
class Message:
    """One chat turn: what was said, by whom, when, and an optional turn id."""

    content: str
    speaker: str | None = None
    timestamp: datetime | None = None
    turn_id: str | None = None


def speaker_of(context: str) -> str | None:
    """The speaker named by a context line of the form "<speaker>, on <date>; ..."."""
    head, found, _ = context.partition(", on ")
    return head.strip() or None if found else None


@dataclass(frozen=True)
class Provenance:
    """Where a note came from: source (e.g. session) id, turn ids, writer, channel."""

    source_id: str | None = None
    turn_ids: tuple[str, ...] = ()
    writer: str = "user"
    channel: str = "api"


@dataclass(frozen=True)
class ResolvedDate:
    """A time expression found in the text and the absolute date it refers to."""

    phrase: str
    value: date
    granularity: str = "day"
    """``day``, ``weekend``, ``week``, ``month``, ``season`` or ``year``: its precision."""


@dataclass(frozen=True)
class Link:
    """A directed link to another note with free-form relation text."""

    target_id: str
    relation: str
    strength: float = 0.0


@dataclass(frozen=True)
class Enrichment:
    """The attributes note construction adds to raw content (SPEC stage 1)."""

    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    context: str = ""
    entities: tuple[str, ...] = ()
    dates: tuple[ResolvedDate, ...] = ()


@dataclass(frozen=True)
class Note:
    """A multi-attribute atomic note (SPEC stage 1)."""

    id: str
    content: str
    scope: Scope
    created_at: datetime
    observed_at: datetime
    """When the content was said or written (the message timestamp)."""
    event_time: datetime
    """The time the content speaks of (t): a resolved date if the text names one."""
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    context: str = ""
    entities: tuple[str, ...] = ()
    dates: tuple[ResolvedDate, ...] = ()
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    """e: embedding of content + keywords + tags + context (unit length)."""
    intent_embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    """z: embedding of the raw content (unit length)."""
    links: tuple[Link, ...] = ()
    utility: float = 0.5
    usage_count: int = 0
    last_used: datetime | None = None
    tier: Tier = Tier.LONG_TERM
    provenance: Provenance = field(default_factory=Provenance)
    content_hash: str = ""
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    delete_reason: str | None = None
    valid_from: datetime | None = None
    """When the fact became true (None: as far back as is known). Set on a successor."""
    valid_until: datetime | None = None
    """When the fact stopped being true (None: still true). Set when it is superseded."""
    superseded_by: str | None = None
    """The note that holds the fact now (None for a retraction with no successor)."""
    trust: str = "user_said"
    """How far its source is trusted (an ``asem.guard.Trust`` value), set when written."""
    quarantined: bool = False
    """The injection detector found instructions aimed at the agent: kept and listed, never
    returned by a default search nor promoted by feedback (``Memory.release`` lifts it)."""
    quarantine_score: float | None = None
    """The detector's score in [0, 1] when the note was written (None: not judged)."""

    def valid_at(self, at: datetime) -> bool:
        """True when the note held at ``at``: valid_from <= at < valid_until (None: open)."""
        return ((self.valid_from is None or self.valid_from <= at)
                and (self.valid_until is None or at < self.valid_until))

    def ended_by(self, at: datetime) -> bool:
        """True when the note's validity ended at or before ``at`` (superseded then)."""
        return self.valid_until is not None and self.valid_until <= at

    version: int = field(default=0, compare=False)
    """The stored row's version when this note was read (0: not stored yet). Every change
    to the note in the store makes it one higher; a write decided on this note is refused if
    it is no longer at this version (``asem.stores.base.WriteBatch.expected``)."""
    expires_at: datetime | None = None
    """When a short-term note expires (None: it does not; every long-term note). A search
    never returns a note past this time; maintenance archives it (``asem.lifecycle``)."""
    archived_at: datetime | None = None
    """When maintenance archived the note (expired, or over its tenant's budget); an
    archived note is also marked deleted (out of search and listings) until restored."""

    def expired_by(self, at: datetime) -> bool:
        """True when the note is short-term and its expiry time is at or before ``at``."""
        return self.expires_at is not None and self.expires_at <= at

    @property
    def speaker(self) -> str | None:
        """Who said it, read back from a context of the form "<speaker>, on <date>; ..."."""
        return speaker_of(self.context)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view without the vectors."""
        return {
            "id": self.id,
            "content": self.content,
            "user_id": self.scope.user_id,
            "agent_id": self.scope.agent_id,
            "session_id": self.scope.session_id,
            "created_at": self.created_at.isoformat(),
            "observed_at": self.observed_at.isoformat(),
            "event_time": self.event_time.isoformat(),
            "keywords": list(self.keywords),
            "tags": list(self.tags),
            "context": self.context,
            "entities": list(self.entities),
            "dates": [
                {"phrase": d.phrase, "date": d.value.isoformat(), "granularity": d.granularity}
                for d in self.dates
            ],
            "links": [
                {"target_id": lk.target_id, "relation": lk.relation, "strength": lk.strength}
                for lk in self.links
            ],
            "utility": self.utility,
            "usage_count": self.usage_count,
            "last_used": self.last_used.isoformat() if self.last_used else None,
            "tier": self.tier.value,
            "source_id": self.provenance.source_id,
            "turn_ids": list(self.provenance.turn_ids),
            "writer": self.provenance.writer,
            "channel": self.provenance.channel,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "deleted_at": self.deleted_at.isoformat() if self.deleted_at else None,
            "delete_reason": self.delete_reason,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "superseded_by": self.superseded_by,
            "trust": self.trust,
            "quarantined": self.quarantined,
            "quarantine_score": self.quarantine_score,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "archived_at": self.archived_at.isoformat() if self.archived_at else None,
        }


@dataclass(frozen=True)
class Decision:
    """A memory manager's choice for one piece of new information (SPEC stage 2).

    - ADD: store the input as a new note in ``tier`` (``Tier.DISCARD``: store nothing).
    - UPDATE: ``target_id``'s content becomes ``merged_content`` (the input itself when None);
      the note is re-enriched and re-embedded, history keeps the old version.
    - DELETE: soft-delete ``target_id`` (contradicted, obsolete); the input is then stored
      as a new note in ``tier``, or not at all with ``Tier.DISCARD``.
    - NOOP: already known as ``target_id``, which gains the input's provenance.

    ``supersedes`` marks an UPDATE or DELETE as a change of the fact ``target_id`` holds
    (not a merge of complementary facts): the target is kept as a past fact instead of
    being overwritten or deleted (see ``asem.write.supersede``).
    """

    op: Op
    target_id: str | None = None
    tier: Tier = Tier.LONG_TERM
    merged_content: str | None = None
    reason: str = ""
    supersedes: bool = False


@dataclass(frozen=True)
class WriteResult:
    """What one input became: the operation applied and the note it touched.

    ``note_id`` is the note added, updated, deleted, superseded or matched; it is empty
    when the input was discarded (op NOOP, tier DISCARD). A DELETE that also stored the
    input names the new note in ``added_id``; a SUPERSEDE names the successor there (None
    for a retraction with no successor).
    """

    op: Op
    note_id: str
    reason: str = ""
    tier: Tier | None = None
    """Tier of the note written (ADD, UPDATE), or DISCARD when nothing was stored."""
    added_id: str | None = None


@dataclass(frozen=True)
class Filters:
    """Metadata filters applied before similarity (SPEC stage 1: filter plus similarity)."""

    tags: tuple[str, ...] = ()
    """Notes must carry at least one of these tags."""
    keywords: tuple[str, ...] = ()
    """Notes must carry at least one of these keywords (case-insensitive)."""
    since: datetime | None = None
    """Event time at or after this."""
    until: datetime | None = None
    """Event time at or before this."""
    session_id: str | None = None
    tier: Tier | None = None
    speaker: str | None = None
    """Notes of what this speaker said (``Note.speaker``, case-insensitive)."""
    text: str | None = None
    """Notes whose content contains this text (case-insensitive)."""
    as_of: datetime | None = None
    """Only notes that held at this time (valid_from <= as_of < valid_until; None: open).
    Without it a search returns every note whose validity has not ended by now."""
    include_superseded: bool = False
    """Also notes whose validity has ended (superseded or retracted facts)."""
    trust: tuple[str, ...] = ()
    """Only notes from these sources (``asem.guard.Trust`` values, e.g. "user_said"). A
    trusted-only search (``trust`` or ``min_trust`` given) also leaves out every note the
    injection detector flagged (``quarantine_score`` at or above ``FLAG_BAR``), whatever its
    source, unless ``include_quarantined``: a note that gives the agent orders is not
    trusted, even in the user's words."""
    min_trust: str | None = None
    """Only notes from this source or a more trusted one (``Trust`` order: user_said,
    assistant_said, imported, document, tool_output); flagged notes left out as for
    ``trust``."""
    include_quarantined: bool = False
    """Also notes the injection detector quarantined (never returned otherwise)."""

    def __post_init__(self) -> None:
        # One tag given as a string is that tag, not its letters; times compare as naive UTC,
        # the way they are stored.
        for name in ("tags", "keywords", "trust"):
            value = getattr(self, name)
            value = () if value is None else (value,) if isinstance(value, str) else value
            object.__setattr__(self, name, tuple(value))
        for name in ("since", "until", "as_of"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, datetime):
                    raise InvalidInputError(f"filter '{name}' must be a datetime")
                object.__setattr__(self, name, utc_naive(value))
        if self.since and self.until and self.since > self.until:
            raise InvalidInputError("filter 'since' is after 'until': swap them")
        _check_trust(self)
        if self.as_of is not None and self.include_superseded:
            raise InvalidInputError("give as_of (what held then) or include_superseded (every "
                                    "note, past facts too), not both")

    @property
    def empty(self) -> bool:
        """True when no metadata filter is set (validity, ``as_of`` and
        ``include_superseded``, is applied by the vector index, not by this)."""
        return not (self.tags or self.keywords or self.since or self.until or self.session_id
                    or self.tier or self.speaker or self.text or self.trust or self.min_trust)

    @property
    def trusted(self) -> tuple[str, ...]:
        """The trust levels a note may have to pass (empty: any)."""
        allowed = [parse_trust(t).value for t in self.trust] if self.trust else []
        if self.min_trust is not None:
            floor = [t.value for t in parse_trust(self.min_trust, "min_trust").at_least()]
            allowed = [t for t in allowed if t in floor] if allowed else floor
            if not allowed:
                allowed = ["none"]  # trust and min_trust leave no level: nothing passes
        return tuple(allowed)


def _check_trust(filters: Filters) -> None:
    """InvalidInputError for a trust level that does not exist."""
    for value in filters.trust:
        parse_trust(value)
    if filters.min_trust is not None:
        parse_trust(filters.min_trust, "min_trust")


@dataclass(frozen=True)
class ScoreParts:
    """The terms a Phase B score is the sum of (``asem.read.rank``), so a reader sees why a
    note ranked where it did: ``score = dense + lexical + context + utility + timeliness +
    usage + date + diversity + speaker``.

    With relevance r = (1 − w_lex)·ẑ(cosine) + w_lex·ẑ(bm25) + w_c·boost and ẑ(r) =
    (r − mean r) / std r, the relevance term (1 − λ)·ẑ(r) splits exactly into the share of
    each channel: ``dense`` = (1 − λ)(1 − w_lex)·ẑ(cosine) / std r, ``lexical`` likewise for
    BM25, and ``context`` = (1 − λ)(w_c·boost − mean r) / std r (the centring goes with the
    context term; the z-scored channels have mean 0). ``utility`` = λ·ẑ(q),
    ``timeliness`` = w_t·timeliness, ``usage`` = w_u·usage.
    """

    dense: float
    lexical: float
    context: float
    utility: float
    timeliness: float
    usage: float
    date: float = 0.0
    """The rise of a note whose event time falls in a period the query names
    (``ReadConfig.date_weight``, see ``asem.read.when``)."""
    diversity: float = 0.0
    """What a note lost, at most 0, for repeating the hits ranked above it
    (``ReadConfig.diversity_weight``, see ``asem.read.diverse``)."""
    speaker: float = 0.0
    """The rise of a note said by a speaker the query names (``ReadConfig.speaker_weight``,
    see ``asem.read.speakers``)."""

    @property
    def total(self) -> float:
        """The score these parts make up."""
        return (self.dense + self.lexical + self.context + self.utility + self.timeliness
                + self.usage + self.date + self.diversity + self.speaker)


@dataclass(frozen=True)
class Hit:
    """One retrieved note with the scores that placed it."""

    note: Note
    score: float
    """Phase B score (higher is better; comparable only within one search)."""
    similarity: float
    """Dense cosine similarity of the query and the note's embedding, in [-1, 1]. For a
    question that counts or sums, the query the dense channel searched with: the expanded
    one (``ReadConfig.query_expansion``)."""
    lexical: float
    """BM25 score of the note for the query (0 if it was not a lexical match)."""
    via: str = "recall"
    """``recall`` for Phase A candidates, ``bridge`` for notes found by a second hop through
    bridge entities (their similarity and lexical scores are for that second query), ``link``
    for 1-hop expansions."""
    superseded: bool = False
    """True when the note is no longer current (its validity ended before the search):
    only a search with ``include_superseded`` or ``as_of`` returns such notes."""
    parts: ScoreParts | None = None
    """The terms ``score`` is the sum of, for a ``recall`` hit; None for ``bridge`` hits
    (their score is a fused rank) and ``link`` hits (their parent's score less the link's
    weakness and the discount)."""


@dataclass(frozen=True)
class SearchResult(Sequence[Hit]):
    """The hits of one search and the retrieval id to give feedback on."""

    retrieval_id: str
    query: str
    hits: tuple[Hit, ...]

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index):  # type: ignore[override]
        return self.hits[index]

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    @property
    def empty(self) -> bool:
        """True when Phase A found nothing: the agent should answer without memory."""
        return not self.hits


@dataclass(frozen=True)
class HistoryEntry:
    """One change to a note: what it was, what it became, when and why.

    ``op`` is an ``Op`` value (ADD, UPDATE, DELETE, NOOP, SUPERSEDE) or one of RESTORE (a
    delete undone), REOPEN (a supersession undone), FEEDBACK (a utility update), LINK,
    PROMOTE (a short-term note made long-term), ARCHIVE (maintenance took the note out of
    the memory), UNARCHIVE (an archived note restored), QUARANTINE (the injection detector,
    or a person, held the note back) and RELEASE (it was let out). A note removed by
    ``forget`` has no history left: its audit row (no content) is in the store's
    ``forgotten`` table.
    """

    id: int
    note_id: str
    op: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    at: datetime
    reason: str
    actor: str


@dataclass(frozen=True)
class FeedbackEvent:
    """One utility update of one note: what the read path needs to condition utility on intent."""

    query_vector: np.ndarray | None = field(repr=False, compare=False)
    """Embedding of the query whose retrieval was rewarded (None if it was not recorded)."""
    reward: float
    learning_rate: float
    """α used for this update."""
    utility_before: float


@dataclass(frozen=True)
class FeedbackResult:
    """Utilities before and after one feedback call."""

    retrieval_id: str
    reward: float
    utilities: dict[str, tuple[float, float]]
    """note id → (old utility, new utility)."""
    experience_id: str | None = None
    """The experience note the episode became (``feedback(..., episode=...)``), if any."""
    promoted: tuple[str, ...] = ()
    """Short-term notes the (positive) reward made long-term."""
