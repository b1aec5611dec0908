"""Row-level changes inside an open PostgreSQL transaction (the SQLite store's
``writes`` and ``validity``, one statement set for another engine).

Each writes its history row and makes the note's row version one higher, so a write decided
on the old version is refused (``check_versions``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from asem.errors import InvalidInputError, WriteConflictError
from asem.stores.base import Merge, NewNote, Supersession, Turn
from asem.stores.postgres.codec import COLUMNS, NOTE_COLUMNS, note_params, row_to_note, ts
from asem.types import Note

Conn = psycopg.Connection[dict[str, Any]]

SUPERSEDED_BY = "superseded by"
SUPERSEDES = "supersedes"

_INSERT_NOTE = (
    f"INSERT INTO notes ({', '.join(NOTE_COLUMNS)}) "
    f"VALUES ({', '.join(f'%({c})s' for c in NOTE_COLUMNS)}) ON CONFLICT DO NOTHING RETURNING id"
)
# Utility and usage belong to feedback (one atomic increment each): an update keeps them.
_FEEDBACK_COLUMNS = ("utility", "usage_count", "last_used")
_UPDATE_NOTE = (
    "UPDATE notes SET "
    + ", ".join(f"{c} = %({c})s" for c in NOTE_COLUMNS if c not in ("id", *_FEEDBACK_COLUMNS))
    + ", version = version + 1 WHERE id = %(id)s"
)
_LINK = ("INSERT INTO links (src, dst, relation, strength, created_at) VALUES (%s, %s, %s, %s, %s) "
         "ON CONFLICT (src, dst) DO UPDATE SET relation = EXCLUDED.relation, "
         "strength = EXCLUDED.strength, created_at = EXCLUDED.created_at")


def tenant_changes(conn: Conn, user_id: str) -> int:
    """The tenant's change counter: every write of its notes bumps it in its transaction."""
    row = conn.execute("SELECT changes FROM tenant_changes WHERE user_id = %s",
                       (user_id,)).fetchone()
    return int(row["changes"]) if row is not None else 0


def history(conn: Conn, note_id: str, op: str, old: Any, new: Any, at: datetime | None,
            reason: str, actor: str) -> None:
    conn.execute(
        "INSERT INTO history (note_id, op, old, new, at, reason, actor) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (note_id, op, json.dumps(old) if old is not None else None,
         json.dumps(new) if new is not None else None, at, reason, actor))


def live_row(conn: Conn, note_id: str, *, lock: bool = True) -> dict[str, Any] | None:
    """The live note's row, locked against other writers until the transaction ends."""
    return conn.execute(f"SELECT {COLUMNS} FROM notes WHERE id = %s AND deleted_at IS NULL"
                        + (" FOR UPDATE" if lock else ""), (note_id,)).fetchone()


def check_versions(conn: Conn, expected: Sequence[tuple[str, int]]) -> None:
    """WriteConflictError naming the notes among ``expected`` no longer live at the version
    read. The rows are locked (FOR UPDATE, in id order so two writers never deadlock): none
    can change between this check and the commit."""
    if not expected:
        return
    ids = sorted({note_id for note_id, _ in expected})
    rows = conn.execute("SELECT id, version FROM notes WHERE id = ANY(%s) AND deleted_at IS "
                        "NULL ORDER BY id FOR UPDATE", (ids,)).fetchall()
    live = {r["id"]: r["version"] for r in rows}
    changed = tuple(note_id for note_id, version in expected if live.get(note_id) != version)
    if changed:
        raise WriteConflictError(
            f"notes {', '.join(changed)} changed while this write was decided; retry it",
            changed)


def link_both_ways(conn: Conn, links: Iterable[tuple[str, str, str, float]],
                   at: datetime | None) -> None:
    """(source, target, relation, strength) links, stored in both directions."""
    rows = [(a, b, relation, strength, at) for src, dst, relation, strength in links
            for a, b in ((src, dst), (dst, src))]
    if rows:
        conn.cursor().executemany(_LINK, rows)


def insert(conn: Conn, new: NewNote, embedder: str, at: datetime | None, actor: str) -> bool:
    """Insert a note and its links; False if its content is already live in its scope (the
    unique index decides, so two writers racing on one content make one note)."""
    note = new.note
    if conn.execute(_INSERT_NOTE, note_params(note, embedder)).fetchone() is None:
        holder = conn.execute(
            "SELECT id FROM notes WHERE user_id = %s AND agent_id = %s AND session_id = %s "
            "AND content_hash = %s AND deleted_at IS NULL AND valid_until IS NULL",
            (note.scope.user_id, note.scope.agent_id or "", note.scope.session_id or "",
             note.content_hash)).fetchone()
        if holder is not None:
            merge(conn, Merge(holder["id"], note.provenance.turn_ids,
                              "same content is already stored"), at, actor)
        return False
    link_both_ways(conn, ((note.id, target, relation, strength)
                          for target, relation, strength in new.links), at)
    history(conn, note.id, "ADD", None, note.to_dict(), at, new.reason, actor)
    if note.quarantined:
        history(conn, note.id, "QUARANTINE", None, {"score": note.quarantine_score}, at,
                "the injection detector found instructions aimed at the agent", "detector")
    return True


def merge(conn: Conn, change: Merge, at: datetime | None, actor: str) -> None:
    """Add provenance to a note (a NOOP that keeps where the input came from); a short-term
    note said again is promoted to long-term."""
    row = conn.execute("SELECT turn_ids, tier FROM notes WHERE id = %s FOR UPDATE",
                       (change.note_id,)).fetchone()
    if row is None:
        return
    old = list(row["turn_ids"])
    new = old + [t for t in change.turn_ids if t not in old]
    if new != old:
        conn.execute("UPDATE notes SET turn_ids = %s, version = version + 1 WHERE id = %s",
                     (new, change.note_id))
    history(conn, change.note_id, "NOOP", {"turn_ids": old}, {"turn_ids": new}, at,
            change.reason, actor)
    if row["tier"] == "short_term":  # said again: promoted to long-term (asem.lifecycle)
        from asem.stores.postgres.lifecycle import promote_rows  # it builds on this module

        promote_rows(conn, [change.note_id], at, "said again", actor)


def update(conn: Conn, note: Note, embedder: str, at: datetime | None, reason: str,
           actor: str, old: dict[str, Any]) -> None:
    """Replace the live note ``old`` (its row) with ``note``; history keeps the old version."""
    conn.execute(_UPDATE_NOTE, note_params(note, embedder))
    history(conn, note.id, "UPDATE", row_to_note(old).to_dict(), note.to_dict(), at, reason,
            actor)


def soft_delete(conn: Conn, row: dict[str, Any], at: datetime | None, reason: str,
                actor: str) -> None:
    """Mark the live note ``row`` deleted with ``reason`` (it leaves every index: they hold
    live notes only)."""
    conn.execute("UPDATE notes SET deleted_at = %s, delete_reason = %s, version = version + 1 "
                 "WHERE id = %s", (at, reason, row["id"]))
    history(conn, row["id"], "DELETE", row_to_note(row).to_dict(), None, at, reason, actor)


def log_turns(conn: Conn, turns: Sequence[Turn]) -> None:
    """Append inputs, in the order said, to the order of conversation."""
    if turns:
        conn.cursor().executemany(
            "INSERT INTO turns (user_id, agent_id, thread, speaker, note_id) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(t.user_id, t.agent_id, t.thread, t.speaker, t.note_id) for t in turns])


def same_content_live(conn: Conn, row: dict[str, Any]) -> str | None:
    """The id of another live, current note holding ``row``'s content in its scope."""
    clash = conn.execute(
        "SELECT id FROM notes WHERE user_id = %s AND agent_id = %s AND session_id = %s AND "
        "content_hash = %s AND deleted_at IS NULL AND valid_until IS NULL AND id <> %s",
        (row["user_id"], row["agent_id"], row["session_id"], row["content_hash"], row["id"]),
    ).fetchone()
    return None if clash is None else clash["id"]


def supersede(conn: Conn, change: Supersession, at: datetime | None, actor: str) -> None:
    """Close the validity of ``change.note_id`` and link it to its successor (skipped when
    it is no longer live or closed already; a successor not stored leaves it without one)."""
    row = conn.execute("SELECT valid_until FROM notes WHERE id = %s AND deleted_at IS NULL "
                       "FOR UPDATE", (change.note_id,)).fetchone()
    if row is None or row["valid_until"] is not None:
        return
    successor = change.successor_id
    if successor is not None and conn.execute(
            "SELECT 1 FROM notes WHERE id = %s AND deleted_at IS NULL", (successor,)
    ).fetchone() is None:
        successor = None
    until = ts(change.valid_until)
    conn.execute("UPDATE notes SET valid_until = %s, superseded_by = %s, "
                 "version = version + 1 WHERE id = %s", (until, successor, change.note_id))
    if successor is not None:
        link_superseded(conn, change.note_id, successor, at)
    history(conn, change.note_id, "SUPERSEDE", {"valid_until": None, "superseded_by": None},
            {"valid_until": iso(until), "superseded_by": successor}, at, change.reason, actor)


def link_superseded(conn: Conn, note_id: str, successor: str, at: datetime | None) -> None:
    """"superseded by" from the note to its successor, "supersedes" back."""
    conn.cursor().executemany(_LINK, [(note_id, successor, SUPERSEDED_BY, 1.0, at),
                                      (successor, note_id, SUPERSEDES, 1.0, at)])


def reopen(conn: Conn, row: dict[str, Any], at: datetime | None, actor: str) -> None:
    """Undo the supersession of the live note ``row`` (see the SQLite store's
    ``validity.reopen``)."""
    if row["valid_until"] is None:
        raise InvalidInputError(f"note {row['id']} is current (not superseded); nothing to "
                                "undo")
    clash = same_content_live(conn, row)
    if clash is not None:
        raise InvalidInputError(f"note {row['id']} cannot be reopened: note {clash} "
                                "holds the same content now; delete that one first")
    conn.execute("UPDATE notes SET valid_until = NULL, superseded_by = NULL, "
                 "version = version + 1 WHERE id = %s", (row["id"],))
    history(conn, row["id"], "REOPEN",
            {"valid_until": iso(row["valid_until"]), "superseded_by": row["superseded_by"]},
            {"valid_until": None, "superseded_by": None}, at, "supersession undone", actor)
    successor = row["superseded_by"]
    if successor is None:
        return
    conn.execute("DELETE FROM links WHERE (src = %s AND dst = %s AND relation = %s) OR "
                 "(src = %s AND dst = %s AND relation = %s)",
                 (row["id"], successor, SUPERSEDED_BY, successor, row["id"], SUPERSEDES))
    start = conn.execute("SELECT valid_from FROM notes WHERE id = %s FOR UPDATE",
                         (successor,)).fetchone()
    if start is not None and start["valid_from"] is not None:
        conn.execute("UPDATE notes SET valid_from = NULL, version = version + 1 WHERE id = %s",
                     (successor,))
        history(conn, successor, "UPDATE", {"valid_from": iso(start["valid_from"])},
                {"valid_from": None}, at, f"supersession of {row['id']} undone", actor)


def iso(value: datetime | None) -> str | None:
    """A time as the SQLite store's history rows give it (ISO 8601, to the second)."""
    return value.isoformat(timespec="seconds") if value is not None else None
