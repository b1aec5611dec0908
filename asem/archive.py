"""Complete export lines and exact restores: moving a memory to another store losing nothing.

A complete export line (``asem export``, ``export_notes(..., complete=True)``) is the usual
export line (``asem.transfer``) plus what an import would otherwise make anew: the note's
vectors (float32, base64), its embedder, content hash and row version, and every link from
it (to deleted notes too). After the notes come the user's turns, in the order said, one
``{"turn": {...}}`` line each. Imported into a memory of the same embedder, such lines are
restored as they were (``asem.stores.base.Archive``): ids, utilities and usage, history,
validity, deleted notes, links and the order of conversation. Into a memory of another
embedder, they import as new notes (the vectors would not compare).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from asem.errors import InvalidInputError
from asem.stores.base import ArchivedNote, Turn
from asem.types import HistoryEntry, Link, Note, Provenance, ResolvedDate, Scope, Tier, utc_naive


def encode_vector(vector: np.ndarray | None) -> str | None:
    """float32 bytes as base64: exact, and a third of the size of a JSON list of floats."""
    if vector is None:
        return None
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: Any, name: str) -> np.ndarray:
    if not isinstance(text, str):
        raise InvalidInputError(f"{name} must be base64 float32 bytes, as an export writes it")
    try:
        return np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4").astype(
            np.float32)
    except ValueError as e:
        raise InvalidInputError(f"{name} is not base64 float32 bytes ({e})") from e


def complete_fields(note: Note, embedder: str, links: Sequence[Link]) -> dict[str, Any]:
    """What a complete export line adds to ``note.to_dict()``."""
    return {
        "content_hash": note.content_hash, "version": note.version, "embedder": embedder,
        "embedding": encode_vector(note.embedding),
        "intent_embedding": encode_vector(note.intent_embedding),
        "links": [{"target_id": lk.target_id, "relation": lk.relation, "strength": lk.strength}
                  for lk in links],
    }


def turn_line(turn: Turn) -> dict[str, Any]:
    return {"turn": {"agent_id": turn.agent_id, "thread": turn.thread,
                     "speaker": turn.speaker, "note_id": turn.note_id}}


def is_complete(record: dict[str, Any]) -> bool:
    """A complete export line (a note with its vectors) or a turn line."""
    return "turn" in record or ("embedding" in record and "embedder" in record)


def archived(record: dict[str, Any], user_id: str) -> ArchivedNote:
    """The note of a complete export line, as it was stored (InvalidInputError when a field
    is not as an export writes it)."""
    try:
        note = Note(
            id=_text(record, "id"), content=_text(record, "content"),
            scope=Scope(user_id, record.get("agent_id"), record.get("session_id")),
            created_at=_time(record, "created_at", required=True),
            observed_at=_time(record, "observed_at", required=True),
            event_time=_time(record, "event_time", required=True),
            keywords=tuple(record.get("keywords") or ()), tags=tuple(record.get("tags") or ()),
            context=str(record.get("context") or ""),
            entities=tuple(record.get("entities") or ()),
            dates=tuple(ResolvedDate(d["phrase"], date.fromisoformat(d["date"]),
                                     d["granularity"]) for d in record.get("dates") or ()),
            embedding=decode_vector(record.get("embedding"), "embedding"),
            intent_embedding=decode_vector(record.get("intent_embedding"), "intent_embedding"),
            utility=float(record["utility"]), usage_count=int(record.get("usage_count") or 0),
            last_used=_time(record, "last_used"), tier=Tier(record.get("tier", "long_term")),
            provenance=Provenance(record.get("source_id"), tuple(record.get("turn_ids") or ()),
                                  record.get("writer") or "user", record.get("channel") or "api"),
            content_hash=_text(record, "content_hash"), updated_at=_time(record, "updated_at"),
            deleted_at=_time(record, "deleted_at"), delete_reason=record.get("delete_reason"),
            valid_from=_time(record, "valid_from"), valid_until=_time(record, "valid_until"),
            superseded_by=record.get("superseded_by"), version=int(record.get("version") or 1))
        history = tuple(HistoryEntry(0, note.id, str(h["op"]), h.get("old"), h.get("new"),
                                     _time(h, "at", required=True), str(h.get("reason", "")),
                                     str(h.get("actor", "system")))
                        for h in record.get("history") or ())
        links = tuple(Link(str(lk["target_id"]), str(lk["relation"]), float(lk["strength"]))
                      for lk in record.get("links") or ())
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInputError(f"not a complete export line: {e!r}") from e
    return ArchivedNote(note, str(record["embedder"]), history, links)


def turn_of_line(record: dict[str, Any], user_id: str) -> Turn:
    found = record["turn"]
    if not isinstance(found, dict) or not isinstance(found.get("note_id"), str):
        raise InvalidInputError("a turn line is {\"turn\": {\"note_id\": ..., ...}}")
    return Turn(user_id, str(found.get("agent_id") or ""), str(found.get("thread") or ""),
                str(found.get("speaker") or ""), found["note_id"])


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{name} must be a non-empty string")
    return value


def _time(record: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = record.get(name)
    if value is None and not required:
        return None
    try:
        return utc_naive(datetime.fromisoformat(value))  # type: ignore[arg-type]
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name} must be an ISO 8601 time, not {value!r}") from e
