"""Moving one user's notes out of a memory and into another: JSON lines.

An export line is a note's ``Note.to_dict()`` (deleted notes too, with ``deleted_at``) plus
``speaker`` and its ``history``: a complete record of what the memory held. An import
stores the live notes of such lines again, as they are: through the write path with the
always-add manager (nothing is merged or dropped), so a note whose content is already live
in its scope is not stored twice and importing the same file twice changes nothing. Ids,
utilities and history are not carried over: the notes are new notes, written by ``import``.
A complete export (``complete=True``, ``asem export``) imported into a memory of the same
embedder is restored exactly instead, ids, utilities and history included (``asem.archive``).

Validity is (SPEC §2: supersession): a note keeps its ``valid_from``, and a past fact (a note
whose validity was closed) is stored closed at its ``valid_until``, linked to the new note
of its successor ("superseded by", "supersedes" back), so a default search still leaves it
out and ``as_of`` / ``include_superseded`` still reach it.

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
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asem.archive import (
    EXTRA_LINES,
    archived,
    complete_fields,
    is_complete,
    retrieval_line,
    retrieval_of_line,
    turn_line,
    turn_of_line,
)
from asem.errors import ForbiddenError, InvalidInputError
from asem.stores.base import ArchivedNote, ArchivedRetrieval, NewNote, Turn, WriteBatch
from asem.types import Filters, Op, Scope, Tier, utc_naive
from asem.write.construct import drafts, new_note
from asem.write.inputs import WriteInput, content_hash, make_input
from asem.write.manager import AlwaysAdd
from asem.write.pipeline import WriteDeps, write

if TYPE_CHECKING:
    from asem.memory import Memory

PAGE = 500


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_stored: int
    """Notes whose content was live in their scope already, or past facts stored already
    with the same end (not stored twice)."""
    skipped_deleted: int
    """Lines of deleted notes: kept in the export for the record, not imported."""


def export_notes(memory: Memory, user_id: str, *,
                 complete: bool = False) -> Iterator[dict[str, Any]]:
    """Every note of ``user_id`` (deleted ones too) with its speaker and history, in the
    order stored; read page by page, so an export of any size streams.

    ``complete`` also gives each note's vectors, embedder, content hash, version and every
    link from it, then the user's turns (``asem.archive``): what an exact restore needs."""
    scope = Scope(user_id)
    offset = 0
    while True:
        page = memory.store.list_notes(scope, Filters(include_superseded=True), limit=PAGE,
                                       offset=offset, include_deleted=True)
        links = memory.store.links_from([n.id for n in page]) if complete else {}
        for note in page:
            history = [{"op": e.op, "old": e.old, "new": e.new, "at": e.at.isoformat(),
                        "reason": e.reason, "actor": e.actor}
                       for e in memory.store.history(note.id)]
            record = note.to_dict() | {"speaker": note.speaker, "history": history}
            if complete:
                record |= complete_fields(note, memory.embedder.model_id,
                                          links.get(note.id, ()))
            yield record
        if len(page) < PAGE:
            break
        offset += PAGE
    if complete:
        yield from map(turn_line, memory.store.vector_index(user_id).turns)
        yield from map(retrieval_line, memory.store.retrievals(user_id))


def to_json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def import_notes(memory: Memory, lines: Iterable[str | bytes], user_id: str) -> ImportResult:
    """Store the live notes of export lines for ``user_id``. Every line is checked before
    anything is written: a bad line, or a note of another user (ForbiddenError), changes
    nothing."""
    records = list(_records(lines, user_id))
    if records and all(is_complete(r) for _, r in records) and any(
            r.get("embedder") == memory.embedder.model_id for _, r in records):
        return _restore(memory, records, user_id)
    current: list[tuple[str | None, WriteInput]] = []
    closed: list[tuple[str | None, WriteInput, datetime, str | None]] = []
    deleted = 0
    for number, record in records:
        if any(key in record for key in EXTRA_LINES):
            continue  # turns and retrievals of a complete export: new notes make their own
        if record.get("deleted_at"):
            deleted += 1
            continue
        try:
            item = _input(record, user_id, memory.config.write.max_content_chars)
            until = _time(record, "valid_until")
            successor = record.get("superseded_by")
            if not isinstance(successor, str | None):
                raise InvalidInputError("superseded_by must be a note id or null")
        except (InvalidInputError, TypeError, ValueError) as e:
            raise InvalidInputError(f"line {number}: {e}") from e
        old_id = record.get("id") if isinstance(record.get("id"), str) else None
        if until is None:
            current.append((old_id, item))
        else:
            closed.append((old_id, item, until, successor))
    new_ids: dict[str, str] = {}
    added = _import_current(memory, current, new_ids)
    added += _import_closed(memory, closed, new_ids, user_id)
    return ImportResult(added, len(current) + len(closed) - added, deleted)


def _records(lines: Iterable[str | bytes], user_id: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of each line that is not blank; ForbiddenError for a note of
    another user."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _record(line, number)
        owner = record.get("user_id")
        if owner not in (None, user_id):
            raise ForbiddenError(f"line {number} is a note of user {owner!r}, not of "
                                 f"{user_id!r}; import it with that user's key")
        yield number, record


def _restore(memory: Memory, records: Sequence[tuple[int, dict[str, Any]]],
             user_id: str) -> ImportResult:
    """Restore complete export lines exactly (``asem.archive``): every line is read before
    anything is written, and the notes and turns are stored in one transaction."""
    notes: list[ArchivedNote] = []
    turns: list[Turn] = []
    retrievals: list[ArchivedRetrieval] = []
    for number, record in records:
        try:
            if "turn" in record:
                turns.append(turn_of_line(record, user_id))
            elif "retrieval" in record:
                retrievals.append(retrieval_of_line(record, user_id))
            else:
                notes.append(archived(record, user_id))
        except InvalidInputError as e:
            raise InvalidInputError(f"line {number}: {e}") from e
    others = {n.embedder for n in notes} - {memory.embedder.model_id}
    if others:
        raise InvalidInputError(f"the export mixes embedders ({', '.join(sorted(others))} "
                                f"besides {memory.embedder.model_id}); export one memory at "
                                "a time")
    stored = memory.store.restore(notes, turns, retrievals)
    return ImportResult(len(stored), len(notes) - len(stored), 0)


def _import_current(memory: Memory, current: Sequence[tuple[str | None, WriteInput]],
                    new_ids: dict[str, str]) -> int:
    """Write the notes that hold (with the always-add manager); ``new_ids`` learns the note
    each exported id is stored as. Returns how many were added."""
    deps = WriteDeps(memory.store, memory.embedder, memory.enricher, AlwaysAdd(),
                     memory.config, detector=memory.detector,  # imports are judged too
                     jobs=memory.worker is not None)
    added = 0
    size = memory.config.write.batch_size
    for start in range(0, len(current), size):
        part = current[start:start + size]
        results = memory._queued(write([item for _, item in part], deps, actor="import"))
        added += sum(r.op is Op.ADD for r in results)
        new_ids |= {old: r.note_id for (old, _), r in zip(part, results, strict=True)
                    if old is not None and r.note_id}
    return added


def _import_closed(memory: Memory,
                   closed: Sequence[tuple[str | None, WriteInput, datetime, str | None]],
                   new_ids: dict[str, str], user_id: str) -> int:
    """Store the notes whose validity ended (superseded or retracted) as they were: closed
    at their valid_until, linked to their successor's new note. They bypass the write path,
    whose dedupe would merge a past fact into a current note of the same content; a past
    fact stored already (same scope, content and end) is not stored twice. Returns how many
    were added."""
    if not closed:
        return 0
    held = _closed_held(memory, user_id)
    todo: list[tuple[str, WriteInput, datetime, str | None]] = []
    for old_id, item, until, successor in closed:
        key = (item.scope, content_hash(item.content), until)
        if key not in held:  # its id now, so a past successor's is known before it is stored
            held[key] = uuid.uuid4().hex
            todo.append((held[key], item, until, successor))
        if old_id is not None:
            new_ids[old_id] = held[key]
    made = drafts([item for _, item, _, _ in todo], memory.enricher, memory.embedder,
                  with_terms=memory.config.write.embed_terms)
    notes = []
    for draft, (note_id, item, until, successor) in zip(made, todo, strict=True):
        note = new_note(item, draft.enrichment, draft.embedding, draft.intent,
                        utility=memory.config.feedback.initial_utility, tier=Tier.LONG_TERM,
                        valid_from=item.valid_from)
        notes.append(NewNote(replace(note, id=note_id, valid_until=until,
                                     superseded_by=new_ids.get(successor or "")),
                             reason="imported past fact"))
    if notes:
        memory.store.write(WriteBatch(new=tuple(notes), actor="import"))
    return len(notes)


def _closed_held(memory: Memory, user_id: str) -> dict[tuple[Scope, str, datetime], str]:
    """(scope, content hash, valid_until) → id of each stored note of ``user_id`` whose
    validity is closed."""
    held: dict[tuple[Scope, str, datetime], str] = {}
    offset = 0
    while page := memory.store.list_notes(Scope(user_id), Filters(include_superseded=True),
                                          limit=PAGE, offset=offset):
        held |= {(n.scope, n.content_hash, n.valid_until): n.id for n in page
                 if n.valid_until is not None}
        offset += len(page)
    return held


def _time(record: dict[str, Any], name: str) -> datetime | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        return utc_naive(datetime.fromisoformat(value))
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{name} must be an ISO 8601 time (as an export writes it) "
                                f"or null, not {value!r}") from e


def _record(line: str | bytes, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"line {number} is not JSON ({e}); give one note per line, "
                                "as an export writes them") from e
    if not isinstance(record, dict) or not (isinstance(record.get("content"), str)
                                            or any(key in record for key in EXTRA_LINES)):
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
    item = make_input(
        record["content"], Scope(user_id, record.get("agent_id"), record.get("session_id")),
        max_chars=max_chars, speaker=record.get("speaker"),
        timestamp=datetime.fromisoformat(observed) if isinstance(observed, str) else None,
        turn_ids=tuple(turn_ids), source_id=record.get("source_id"), writer="import",
        channel="import")
    return replace(item, valid_from=_time(record, "valid_from"))
