"""Supersession inside an open transaction: closing a note's validity, and undoing that.

A superseded note stays live (searchable for questions about the past); its history says
when and why it stopped holding, and which note holds the fact since.
"""

from __future__ import annotations

import sqlite3

from asem.errors import InvalidInputError
from asem.stores.base import Supersession
from asem.stores.sqlite.codec import ts
from asem.stores.sqlite.writes import history

SUPERSEDED_BY = "superseded by"
"""Relation text of the link from a superseded note to its successor."""
SUPERSEDES = "supersedes"
"""Relation text of the link back, from the successor."""
_STRONGEST = 1.0


def supersede(conn: sqlite3.Connection, change: Supersession, at: str | None,
              actor: str) -> None:
    """Close the validity of ``change.note_id`` and link it to its successor.

    Skipped when the note is no longer live or was closed already (another writer got
    there first); a successor that is not stored (its insert lost to the same content
    stored by another writer) leaves the note closed without one.
    """
    row = conn.execute("SELECT valid_until, superseded_by FROM notes WHERE id = ? AND "
                       "deleted_at IS NULL", (change.note_id,)).fetchone()
    if row is None or row["valid_until"] is not None:
        return
    successor = change.successor_id
    if successor is not None and conn.execute(
            "SELECT 1 FROM notes WHERE id = ? AND deleted_at IS NULL", (successor,)
    ).fetchone() is None:
        successor = None
    until = ts(change.valid_until)
    conn.execute("UPDATE notes SET valid_until = ?, superseded_by = ?, version = version + 1 "
                 "WHERE id = ?", (until, successor, change.note_id))
    if successor is not None:
        link(conn, change.note_id, successor, at)
    history(conn, change.note_id, "SUPERSEDE", {"valid_until": None, "superseded_by": None},
            {"valid_until": until, "superseded_by": successor}, at, change.reason, actor)


def link(conn: sqlite3.Connection, note_id: str, successor: str, at: str | None) -> None:
    """The links between a superseded note and its successor: "superseded by" from it,
    "supersedes" back."""
    for src, dst, relation in ((note_id, successor, SUPERSEDED_BY),
                               (successor, note_id, SUPERSEDES)):
        conn.execute("INSERT OR REPLACE INTO links (src, dst, relation, strength, "
                     "created_at) VALUES (?, ?, ?, ?, ?)", (src, dst, relation, _STRONGEST, at))


def reopen(conn: sqlite3.Connection, row: sqlite3.Row, at: str | None, actor: str) -> None:
    """Undo the supersession of the live note ``row``: it holds again, as if the input that
    superseded it had been added beside it (the successor stays, open, without the link
    and without its valid_from)."""
    if row["valid_until"] is None:
        raise InvalidInputError(f"note {row['id']} is current (not superseded); nothing to "
                                "undo")
    clash = conn.execute(
        "SELECT id FROM notes WHERE user_id = ? AND agent_id = ? AND session_id = ? AND "
        "content_hash = ? AND deleted_at IS NULL AND valid_until IS NULL AND id != ?",
        (row["user_id"], row["agent_id"], row["session_id"], row["content_hash"], row["id"]),
    ).fetchone()
    if clash is not None:
        raise InvalidInputError(f"note {row['id']} cannot be reopened: note {clash['id']} "
                                "holds the same content now; delete that one first")
    conn.execute("UPDATE notes SET valid_until = NULL, superseded_by = NULL, "
                 "version = version + 1 WHERE id = ?", (row["id"],))
    history(conn, row["id"], "REOPEN",
            {"valid_until": row["valid_until"], "superseded_by": row["superseded_by"]},
            {"valid_until": None, "superseded_by": None}, at, "supersession undone", actor)
    successor = row["superseded_by"]
    if successor is None:
        return
    conn.execute("DELETE FROM links WHERE (src = ? AND dst = ? AND relation = ?) OR "
                 "(src = ? AND dst = ? AND relation = ?)",
                 (row["id"], successor, SUPERSEDED_BY, successor, row["id"], SUPERSEDES))
    start = conn.execute("SELECT valid_from FROM notes WHERE id = ?", (successor,)).fetchone()
    if start is not None and start["valid_from"] is not None:
        conn.execute("UPDATE notes SET valid_from = NULL, version = version + 1 WHERE id = ?",
                     (successor,))
        history(conn, successor, "UPDATE", {"valid_from": start["valid_from"]},
                {"valid_from": None}, at, f"supersession of {row['id']} undone", actor)
