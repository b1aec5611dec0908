"""Converting notes to PostgreSQL rows and back."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import numpy as np

from asem.types import Link, Note, Provenance, ResolvedDate, Scope, Tier

NOTE_COLUMNS = (
    "id", "user_id", "agent_id", "session_id", "content", "content_hash", "created_at",
    "observed_at", "event_time", "updated_at", "keywords", "tags", "context", "entities",
    "dates", "embedding", "intent_embedding", "embedder", "utility", "usage_count",
    "last_used", "tier", "source_id", "turn_ids", "writer", "channel", "valid_from",
    "valid_until", "superseded_by", "trust", "quarantined", "quarantine_score", "expires_at",
)
"""The columns a write sets (the rest: seq, deleted_at, delete_reason, version, lexical)."""

COLUMNS = ", ".join(c for c in (*NOTE_COLUMNS, "deleted_at", "delete_reason", "version",
                                 "archived_at"))
"""What a note is read back from (never the lexical index)."""


def ts(value: datetime | None) -> datetime | None:
    """A time as stored: naive UTC to the second, as the SQLite store keeps it."""
    return value.replace(microsecond=0) if value is not None else None


def vector(value: np.ndarray | None) -> np.ndarray:
    if value is None:
        raise ValueError("a note needs its vectors before it is stored")
    return np.asarray(value, dtype=np.float32)


def given_notes(ids: str = "%s") -> str:
    """The notes whose ids the parameter ``ids`` lists (an SQL subquery to alias), read by
    primary key first: ``OFFSET 0`` keeps the conditions around it (the tenant's, a
    search's) out of that lookup, whatever the planner estimates of the tenant's rows. Beside
    those conditions, ``id = ANY(...)`` was planned as a walk of every note of the tenant on
    a table not analysed yet (25 ms for 80 ids among 10,000 notes)."""
    return f"(SELECT * FROM notes WHERE id = ANY({ids}) OFFSET 0)"


def array(value: Any) -> np.ndarray:
    """A stored vector as float32 (pgvector loads a ``Vector``, or an array)."""
    found = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(found, dtype=np.float32)


def note_params(note: Note, embedder: str) -> dict[str, Any]:
    return {
        "id": note.id,
        "user_id": note.scope.user_id,
        "agent_id": note.scope.agent_id or "",
        "session_id": note.scope.session_id or "",
        "content": note.content,
        "content_hash": note.content_hash,
        "created_at": ts(note.created_at),
        "observed_at": ts(note.observed_at),
        "event_time": ts(note.event_time),
        "updated_at": ts(note.updated_at),
        "keywords": list(note.keywords),
        "tags": list(note.tags),
        "context": note.context,
        "entities": list(note.entities),
        "dates": json.dumps([[d.phrase, d.value.isoformat(), d.granularity]
                             for d in note.dates]),
        "embedding": vector(note.embedding),
        "intent_embedding": vector(note.intent_embedding),
        "embedder": embedder,
        "utility": note.utility,
        "usage_count": note.usage_count,
        "last_used": ts(note.last_used),
        "tier": note.tier.value,
        "source_id": note.provenance.source_id,
        "turn_ids": list(note.provenance.turn_ids),
        "writer": note.provenance.writer,
        "channel": note.provenance.channel,
        "valid_from": ts(note.valid_from),
        "valid_until": ts(note.valid_until),
        "superseded_by": note.superseded_by,
        "trust": note.trust,
        "quarantined": note.quarantined,
        "quarantine_score": note.quarantine_score,
        "expires_at": ts(note.expires_at),
    }


def row_to_note(row: dict[str, Any], links: tuple[Link, ...] = ()) -> Note:
    return Note(
        id=row["id"],
        content=row["content"],
        scope=Scope(row["user_id"], row["agent_id"] or None, row["session_id"] or None),
        created_at=row["created_at"],
        observed_at=row["observed_at"],
        event_time=row["event_time"],
        keywords=tuple(row["keywords"]),
        tags=tuple(row["tags"]),
        context=row["context"],
        entities=tuple(row["entities"]),
        dates=tuple(ResolvedDate(p, date.fromisoformat(d), g)
                    for p, d, g in json.loads(row["dates"])),
        embedding=array(row["embedding"]),
        intent_embedding=array(row["intent_embedding"]),
        links=links,
        utility=row["utility"],
        usage_count=row["usage_count"],
        last_used=row["last_used"],
        tier=Tier(row["tier"]),
        provenance=Provenance(row["source_id"], tuple(row["turn_ids"]), row["writer"],
                              row["channel"]),
        content_hash=row["content_hash"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
        delete_reason=row["delete_reason"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        superseded_by=row["superseded_by"],
        trust=row["trust"],
        quarantined=bool(row["quarantined"]),
        quarantine_score=row["quarantine_score"],
        version=row["version"],
        expires_at=row["expires_at"],
        archived_at=row["archived_at"],
    )
