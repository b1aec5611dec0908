"""Row-level changes inside an open transaction: insert, merge, update, soft delete.

Each writes its history row, so every path that changes a note (a batch write, a manual
edit, a manager's UPDATE or DELETE) leaves the same trail, and each makes the note's row
version one higher (see migration 0009), so a write decided on the old version is refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from asem.errors import InvalidInputError, WriteConflictError
from asem.stores.base import Merge, NewNote, Turn
from asem.stores.sqlite.codec import NOTE_COLUMNS, fts_values, note_params, row_to_note
from asem.types import Note

INDEX_TEXT = ("INSERT INTO notes_fts (rowid, content, keywords, tags, context, entities, owner) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")
_INSERT_NOTE = (
    f"INSERT OR IGNORE INTO notes ({', '.join(NOTE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in NOTE_COLUMNS)})"
)
# Utility and usage belong to feedback (one atomic increment each): an update rewrites what
# the note says and keeps them, so it never undoes feedback given since the note was read.
_FEEDBACK_COLUMNS = ("utility", "usage_count", "last_used")
_UPDATE_NOTE = (
    "UPDATE notes SET "
    + ", ".join(f"{c} = :{c}" for c in NOTE_COLUMNS if c not in ("id", *_FEEDBACK_COLUMNS))
    + ", version = version + 1 WHERE id = :id"
)


def history(conn: sqlite3.Connection, note_id: str, op: str, old: Any, new: Any,
            at: str | None, reason: str, actor: str) -> None:
    conn.execute(
        "INSERT INTO history (note_id, op, old, new, at, reason, actor) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (note_id, op, json.dumps(old) if old is not None else None,
         json.dumps(new) if new is not None else None, at, reason, actor),
    )


def live_row(conn: sqlite3.Connection, note_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT rowid, * FROM notes WHERE id = ? AND deleted_at IS NULL",
                        (note_id,)).fetchone()


def check_versions(conn: sqlite3.Connection, expected: Sequence[tuple[str, int]]) -> None:
    """WriteConflictError (the open transaction then rolls back) naming the notes among
    ``expected`` (id, version read) that are no longer live at that version: changed,
    deleted or gone since they were read."""
    if not expected:
        return
    ids = [note_id for note_id, _ in expected]
    rows = conn.execute(f"SELECT id, version FROM notes WHERE id IN ({','.join('?' * len(ids))})"
                        " AND deleted_at IS NULL", ids).fetchall()
    live = {r["id"]: r["version"] for r in rows}
    changed = tuple(note_id for note_id, version in expected if live.get(note_id) != version)
    if changed:
        raise WriteConflictError(
            f"notes {', '.join(changed)} changed while this write was decided; retry it",
            changed)


def insert(conn: sqlite3.Connection, new: NewNote, embedder: str, at: str | None,
           actor: str) -> bool:
    """Insert a note, its lexical entry and links; False if its content is already live."""
    note = new.note
    cursor = conn.execute(_INSERT_NOTE, note_params(note, embedder))
    if cursor.rowcount == 0:  # another writer stored this content first: keep provenance
        holder = conn.execute(
            "SELECT id FROM notes WHERE user_id = ? AND agent_id = ? AND session_id = ? "
            "AND content_hash = ? AND deleted_at IS NULL AND valid_until IS NULL",
            (note.scope.user_id, note.scope.agent_id or "", note.scope.session_id or "",
             note.content_hash),
        ).fetchone()
        if holder is not None:
            merge(conn, Merge(holder["id"], note.provenance.turn_ids,
                              "same content is already stored"), at, actor)
        return False
    conn.execute(INDEX_TEXT, (cursor.lastrowid, *fts_values(note)))
    for target, relation, strength in new.links:
        for src, dst in ((note.id, target), (target, note.id)):
            conn.execute(
                "INSERT OR REPLACE INTO links (src, dst, relation, strength, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (src, dst, relation, strength, at),
            )
    history(conn, note.id, "ADD", None, note.to_dict(), at, new.reason, actor)
    if note.quarantined:
        history(conn, note.id, "QUARANTINE", None, {"score": note.quarantine_score}, at,
                "the injection detector found instructions aimed at the agent", "detector")
    return True


def merge(conn: sqlite3.Connection, change: Merge, at: str | None, actor: str) -> str | None:
    """Add provenance to a note (a NOOP that keeps where the input came from). A short-term
    note said again is promoted to long-term (``asem.lifecycle``): returns its user then."""
    row = conn.execute("SELECT turn_ids, tier, user_id FROM notes WHERE id = ?",
                       (change.note_id,)).fetchone()
    if row is None:
        return None
    old = json.loads(row["turn_ids"])
    new = old + [t for t in change.turn_ids if t not in old]
    if new != old:
        conn.execute("UPDATE notes SET turn_ids = ?, version = version + 1 WHERE id = ?",
                     (json.dumps(new), change.note_id))
    history(conn, change.note_id, "NOOP", {"turn_ids": old}, {"turn_ids": new}, at,
            change.reason, actor)
    if row["tier"] != "short_term":
        return None
    from asem.stores.sqlite.lifecycle import promote_rows  # it builds on this module

    promote_rows(conn, [change.note_id], at, "said again", actor)
    return str(row["user_id"])


def update(conn: sqlite3.Connection, note: Note, embedder: str, at: str | None, reason: str,
           actor: str, old: sqlite3.Row) -> None:
    """Replace the live note ``old`` (its row) with ``note``; history keeps the old version."""
    conn.execute(_UPDATE_NOTE, note_params(note, embedder))
    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (old["rowid"],))
    conn.execute(INDEX_TEXT, (old["rowid"], *fts_values(note)))
    history(conn, note.id, "UPDATE", row_to_note(old).to_dict(), note.to_dict(), at, reason,
            actor)


def soft_delete(conn: sqlite3.Connection, row: sqlite3.Row, at: str | None, reason: str,
                actor: str) -> None:
    """Mark the live note ``row`` deleted with ``reason``; it leaves the lexical index."""
    conn.execute("UPDATE notes SET deleted_at = ?, delete_reason = ?, version = version + 1 "
                 "WHERE id = ?", (at, reason, row["id"]))
    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (row["rowid"],))
    history(conn, row["id"], "DELETE", row_to_note(row).to_dict(), None, at, reason, actor)


def check_restorable(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """InvalidInputError when the deleted or archived note ``row`` cannot come back because a
    live current note of its scope holds the same content now."""
    clash = conn.execute(
        "SELECT id FROM notes WHERE user_id = ? AND agent_id = ? AND session_id = ? "
        "AND content_hash = ? AND deleted_at IS NULL AND valid_until IS NULL",
        (row["user_id"], row["agent_id"], row["session_id"], row["content_hash"]),
    ).fetchone()
    if clash is not None and row["valid_until"] is None:
        raise InvalidInputError(
            f"note {row['id']} cannot be restored: note {clash['id']} holds the same "
            "content now; delete that one first")


def log_turns(conn: sqlite3.Connection, turns: Sequence[Turn]) -> None:
    """Append inputs, in the order said, to the order of conversation."""
    conn.executemany(
        "INSERT INTO turns (user_id, agent_id, thread, speaker, note_id) VALUES (?, ?, ?, ?, ?)",
        [(t.user_id, t.agent_id, t.thread, t.speaker, t.note_id) for t in turns],
    )
