"""Converting notes to SQLite rows and back."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, datetime
from typing import Any

import numpy as np

from asem.types import Link, Note, Provenance, ResolvedDate, Scope, Tier


def ts(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def parse_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def blob(vector: np.ndarray | None) -> bytes:
    if vector is None:
        raise ValueError("a note needs its vectors before it is stored")
    return np.asarray(vector, dtype=np.float32).tobytes()


def vector(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


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
        "keywords": json.dumps(list(note.keywords)),
        "tags": json.dumps(list(note.tags)),
        "context": note.context,
        "entities": json.dumps(list(note.entities)),
        "dates": json.dumps(
            [[d.phrase, d.value.isoformat(), d.granularity] for d in note.dates]
        ),
        "embedding": blob(note.embedding),
        "intent_embedding": blob(note.intent_embedding),
        "embedder": embedder,
        "utility": note.utility,
        "usage_count": note.usage_count,
        "last_used": ts(note.last_used),
        "tier": note.tier.value,
        "source_id": note.provenance.source_id,
        "turn_ids": json.dumps(list(note.provenance.turn_ids)),
        "writer": note.provenance.writer,
        "channel": note.provenance.channel,
        "valid_from": ts(note.valid_from),
        "valid_until": ts(note.valid_until),
        "superseded_by": note.superseded_by,
        "trust": note.trust,
        "quarantined": int(note.quarantined),
        "quarantine_score": note.quarantine_score,
        "expires_at": ts(note.expires_at),
    }


NOTE_COLUMNS = (
    "id", "user_id", "agent_id", "session_id", "content", "content_hash", "created_at",
    "observed_at", "event_time", "updated_at", "keywords", "tags", "context", "entities",
    "dates", "embedding", "intent_embedding", "embedder", "utility", "usage_count",
    "last_used", "tier", "source_id", "turn_ids", "writer", "channel", "valid_from",
    "valid_until", "superseded_by", "expires_at", "trust", "quarantined", "quarantine_score",
)


def owner_token(user_id: str) -> str:
    """One alphanumeric token standing for a user in the lexical index."""
    return "u" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24]


def fts_values(note: Note) -> tuple[str, str, str, str, str, str]:
    return (note.content, " ".join(note.keywords), " ".join(note.tags), note.context,
            " ".join(note.entities), owner_token(note.scope.user_id))


def row_to_note(row: sqlite3.Row, links: tuple[Link, ...] = ()) -> Note:
    return Note(
        id=row["id"],
        content=row["content"],
        scope=Scope(row["user_id"], row["agent_id"] or None, row["session_id"] or None),
        created_at=datetime.fromisoformat(row["created_at"]),
        observed_at=datetime.fromisoformat(row["observed_at"]),
        event_time=datetime.fromisoformat(row["event_time"]),
        keywords=tuple(json.loads(row["keywords"])),
        tags=tuple(json.loads(row["tags"])),
        context=row["context"],
        entities=tuple(json.loads(row["entities"])),
        dates=tuple(ResolvedDate(p, date.fromisoformat(d), g)
                    for p, d, g in json.loads(row["dates"])),
        embedding=vector(row["embedding"]),
        intent_embedding=vector(row["intent_embedding"]),
        links=links,
        utility=row["utility"],
        usage_count=row["usage_count"],
        last_used=parse_ts(row["last_used"]),
        tier=Tier(row["tier"]),
        provenance=Provenance(row["source_id"], tuple(json.loads(row["turn_ids"])),
                              row["writer"], row["channel"]),
        content_hash=row["content_hash"],
        updated_at=parse_ts(row["updated_at"]),
        deleted_at=parse_ts(row["deleted_at"]),
        delete_reason=row["delete_reason"],
        valid_from=parse_ts(row["valid_from"]),
        valid_until=parse_ts(row["valid_until"]),
        superseded_by=row["superseded_by"],
        trust=row["trust"],
        quarantined=bool(row["quarantined"]),
        quarantine_score=row["quarantine_score"],
        version=row["version"],
        expires_at=parse_ts(row["expires_at"]),
        archived_at=parse_ts(row["archived_at"]),
    )
