"""Moving one user's notes out of a memory and into another: JSON lines.

An export line is a note's ``Note.to_dict()`` (deleted notes too, with ``deleted_at``) plus
``speaker`` and its ``history``: a complete record of what the memory held. An import
stores the live notes of such lines again, as they are: through the write path with the
always-add manager (nothing is merged or dropped), so a note whose content is already live
in its scope is not stored twice and importing the same file twice changes nothing. Ids,
utilities and history are not carried over: the notes are new notes, written by ``import``.

>>> from asem import Memory
>>> from asem.providers import HashEmbedder
>>> source = Memory(":memory:", embedder=HashEmbedder())
>>> _ = source.add("I adopted a dog named Buddy", user_id="alice")
>>> lines = [to_json_line(r) for r in export_notes(source, "alice")]
>>> target = Memory(":memory:", embedder=HashEmbedder())
>>> import_notes(target, lines, "alice")
ImportResult(added=1, already_stored=0, skipped_deleted=0)
>>> import_notes(target, lines, "alice")
ImportResult(added=0, already_stored=1, skipped_deleted=0)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asem.errors import ForbiddenError, InvalidInputError
from asem.types import Filters, Op, Scope
from asem.write.inputs import WriteInput, make_input
from asem.write.manager import AlwaysAdd
from asem.write.pipeline import WriteDeps, write

if TYPE_CHECKING:
    from asem.memory import Memory

PAGE = 500


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_stored: int
    """Notes whose content was live in their scope already (not stored twice)."""
    skipped_deleted: int
    """Lines of deleted notes: kept in the export for the record, not imported."""


def export_notes(memory: Memory, user_id: str) -> Iterator[dict[str, Any]]:
    """Every note of ``user_id`` (deleted ones too) with its speaker and history, in the
    order stored; read page by page, so an export of any size streams."""
    scope = Scope(user_id)
    offset = 0
    while True:
        page = memory.store.list_notes(scope, Filters(), limit=PAGE, offset=offset,
                                       include_deleted=True)
        for note in page:
            history = [{"op": e.op, "old": e.old, "new": e.new, "at": e.at.isoformat(),
                        "reason": e.reason, "actor": e.actor}
                       for e in memory.store.history(note.id)]
            yield note.to_dict() | {"speaker": note.speaker, "history": history}
        if len(page) < PAGE:
            return
        offset += PAGE


def to_json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def import_notes(memory: Memory, lines: Iterable[str | bytes], user_id: str) -> ImportResult:
    """Store the live notes of export lines for ``user_id``. Every line is checked before
    anything is written: a bad line, or a note of another user (ForbiddenError), changes
    nothing."""
    items: list[WriteInput] = []
    deleted = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _record(line, number)
        owner = record.get("user_id")
        if owner not in (None, user_id):
            raise ForbiddenError(f"line {number} is a note of user {owner!r}, not of "
                                 f"{user_id!r}; import it with that user's key")
        if record.get("deleted_at"):
            deleted += 1
            continue
        try:
            items.append(_input(record, user_id, memory.config.write.max_content_chars))
        except (InvalidInputError, TypeError, ValueError) as e:
            raise InvalidInputError(f"line {number}: {e}") from e
    deps = WriteDeps(memory.store, memory.embedder, memory.enricher, AlwaysAdd(),
                     memory.config)
    added = 0
    size = memory.config.write.batch_size
    for start in range(0, len(items), size):
        results = memory._queued(write(items[start:start + size], deps, actor="import"))
        added += sum(r.op is Op.ADD for r in results)
    return ImportResult(added, len(items) - added, deleted)


def _record(line: str | bytes, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"line {number} is not JSON ({e}); give one note per line, "
                                "as an export writes them") from e
    if not isinstance(record, dict) or not isinstance(record.get("content"), str):
        raise InvalidInputError(f"line {number} is not a note: an object with 'content'")
    return record


def _input(record: dict[str, Any], user_id: str, max_chars: int) -> WriteInput:
    observed = record.get("observed_at")
    turn_ids = record.get("turn_ids") or ()
    if not isinstance(turn_ids, list | tuple) or not all(isinstance(t, str) for t in turn_ids):
        raise InvalidInputError("turn_ids must be a list of strings")
    for name in ("agent_id", "session_id", "source_id", "speaker"):
        if not isinstance(record.get(name), str | None):
            raise InvalidInputError(f"{name} must be a string or null")
    return make_input(
        record["content"], Scope(user_id, record.get("agent_id"), record.get("session_id")),
        max_chars=max_chars, speaker=record.get("speaker"),
        timestamp=datetime.fromisoformat(observed) if isinstance(observed, str) else None,
        turn_ids=tuple(turn_ids), source_id=record.get("source_id"), writer="import",
        channel="import")
