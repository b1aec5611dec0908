"""Complete export lines and exact restores: moving a memory to another store losing nothing.

A complete export line (``asem export``, ``export_notes(..., complete=True)``) is the usual
export line (``asem.transfer``) plus what an import would otherwise make anew: the note's
vectors (float32, base64), its embedder, content hash and row version, and every link from
it (to deleted notes too). After the notes come the user's turns, in the order said, one
``{"turn": {...}}`` line each. Imported into a memory of the same embedder, such lines are
restored as they were (``asem.stores.base.Archive``): ids, utilities and usage, history,
validity, deleted notes, links and the order of conversation. Last come the user's
recorded searches, one ``{"retrieval": {...}}`` line each with the feedback given on it, so
intent-conditioned utility ranks as before. Into a memory of another embedder, the lines
import as new notes (the vectors would not compare).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from asem.errors import InvalidInputError
from asem.guard.trust import parse_trust, trust_of
from asem.stores.base import ArchivedNote, ArchivedRetrieval, Turn
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


def retrieval_line(r: ArchivedRetrieval) -> dict[str, Any]:
    return {"retrieval": {
        "id": r.id, "agent_id": r.scope.agent_id, "session_id": r.scope.session_id,
        "query": r.query, "note_ids": list(r.note_ids), "created_at": r.created_at.isoformat(),
        "query_embedding": encode_vector(r.query_vector),
        "feedback": [[reward, list(ids), at.isoformat()] for reward, ids, at in r.feedback],
        "note_feedback": [[note_id, reward, rate, before, at.isoformat()]
                          for note_id, reward, rate, before, at in r.note_feedback]}}


EXTRA_LINES = ("turn", "retrieval")
"""The keys of a complete export's lines that are not notes."""


def is_complete(record: dict[str, Any]) -> bool:
    """A complete export line: a note with its vectors, a turn or a retrieval."""
    return (any(key in record for key in EXTRA_LINES)
            or ("embedding" in record and "embedder" in record))


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
            superseded_by=record.get("superseded_by"), version=int(record.get("version") or 1),
            # An export made before notes recorded trust: what its writer and channel say.
            trust=parse_trust(record.get("trust") or trust_of(record.get("writer") or "user",
                                                              record.get("channel") or "api")
                              ).value,
            quarantined=bool(record.get("quarantined", False)),
            quarantine_score=(None if record.get("quarantine_score") is None
                              else float(record["quarantine_score"])),
            expires_at=_time(record, "expires_at"), archived_at=_time(record, "archived_at"))
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


def retrieval_of_line(record: dict[str, Any], user_id: str) -> ArchivedRetrieval:
    found = record["retrieval"]
    try:
        vector = found.get("query_embedding")
        return ArchivedRetrieval(
            _text(found, "id"), Scope(user_id, found.get("agent_id"), found.get("session_id")),
            str(found.get("query", "")), tuple(str(i) for i in found.get("note_ids") or ()),
            _time(found, "created_at", required=True),  # type: ignore[arg-type]
            None if vector is None else decode_vector(vector, "query_embedding"),
            tuple((float(reward), tuple(map(str, ids)), _at(at))
                  for reward, ids, at in found.get("feedback") or ()),
            tuple((str(note_id), float(reward), float(rate), float(before), _at(at))
                  for note_id, reward, rate, before, at in found.get("note_feedback") or ()))
    except (AttributeError, TypeError, ValueError) as e:
        raise InvalidInputError(f"not a retrieval line as an export writes it: {e!r}") from e


def _at(value: Any) -> datetime:
    return utc_naive(datetime.fromisoformat(value))


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
