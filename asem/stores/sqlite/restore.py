"""Restoring archived notes into the SQLite store exactly as they were
(``asem.stores.base.Archive``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from asem.stores.base import ArchivedNote, ArchivedRetrieval, Turn, grouped_links
from asem.stores.sqlite import writes
from asem.stores.sqlite.codec import NOTE_COLUMNS, blob, fts_values, note_params, ts, vector
from asem.stores.sqlite.connection import transaction, translated
from asem.types import Link, Scope

if TYPE_CHECKING:
    import threading

_COLUMNS = (*NOTE_COLUMNS, "deleted_at", "delete_reason", "version", "archived_at")
_INSERT = (f"INSERT INTO notes ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(':' + c for c in _COLUMNS)})")


def _stored(conn: sqlite3.Connection, archived: ArchivedNote) -> bool:
    """Whether the note is stored already: its id, or its content live and current in its
    scope (the unique index would refuse a second)."""
    note = archived.note
    if conn.execute("SELECT 1 FROM notes WHERE id = ?", (note.id,)).fetchone() is not None:
        return True
    if note.deleted_at is not None or note.valid_until is not None:
        return False
    return conn.execute(
        "SELECT 1 FROM notes WHERE user_id = ? AND agent_id = ? AND session_id = ? AND "
        "content_hash = ? AND deleted_at IS NULL AND valid_until IS NULL",
        (note.scope.user_id, note.scope.agent_id or "", note.scope.session_id or "",
         note.content_hash)).fetchone() is not None


def _insert(conn: sqlite3.Connection, archived: ArchivedNote) -> None:
    note = archived.note
    cursor = conn.execute(_INSERT, note_params(note, archived.embedder) | {
        "deleted_at": ts(note.deleted_at), "delete_reason": note.delete_reason,
        "version": note.version or 1, "archived_at": ts(note.archived_at)})
    if note.deleted_at is None:  # the lexical index holds live notes only
        conn.execute(writes.INDEX_TEXT, (cursor.lastrowid, *fts_values(note)))
    conn.executemany(
        "INSERT OR REPLACE INTO links (src, dst, relation, strength, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
            archived.link_rows(ts(note.created_at)))
    for entry in archived.history:
        writes.history(conn, note.id, entry.op, entry.old, entry.new, ts(entry.at),
                       entry.reason, entry.actor)


def _by_retrieval(rows: Iterable[sqlite3.Row]) -> dict[str, list[sqlite3.Row]]:
    found: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        found.setdefault(row["retrieval_id"], []).append(row)
    return found


def _insert_retrieval(conn: sqlite3.Connection, r: ArchivedRetrieval) -> None:
    """The retrieval with its feedback, unless its id is stored already."""
    done = conn.execute(
        "INSERT OR IGNORE INTO retrievals (id, user_id, agent_id, session_id, query, note_ids, "
        "created_at, query_embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (r.id, r.scope.user_id, r.scope.agent_id or "", r.scope.session_id or "", r.query,
         json.dumps(list(r.note_ids)), ts(r.created_at),
         None if r.query_vector is None else blob(r.query_vector)))
    if done.rowcount == 0:
        return
    conn.executemany("INSERT INTO feedback (retrieval_id, reward, note_ids, at) "
                     "VALUES (?, ?, ?, ?)",
                     [(r.id, reward, json.dumps(list(ids)), ts(at))
                      for reward, ids, at in r.feedback])
    conn.executemany("INSERT INTO note_feedback (note_id, retrieval_id, reward, learning_rate, "
                     "utility_before, at) VALUES (?, ?, ?, ?, ?, ?)",
                     [(note_id, r.id, reward, rate, before, ts(at))
                      for note_id, reward, rate, before, at in r.note_feedback])


class ArchiveMixin:
    """Archive methods of SQLiteStore."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    path: str

    def _forget_index(self, user_ids: Sequence[str]) -> None:
        raise NotImplementedError

    def links_from(self, note_ids: Sequence[str]) -> dict[str, list[Link]]:
        if not note_ids:
            return {}
        marks = ",".join("?" * len(note_ids))
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                f"SELECT src, dst, relation, strength FROM links WHERE src IN ({marks}) "
                "ORDER BY strength DESC, dst", list(note_ids)).fetchall()
        return grouped_links(rows)

    def retrievals(self, user_id: str) -> list[ArchivedRetrieval]:
        with self._lock, translated(self.path):
            rows = self._conn.execute("SELECT * FROM retrievals WHERE user_id = ? ORDER BY "
                                      "rowid", (user_id,)).fetchall()
            given = _by_retrieval(self._conn.execute(
                "SELECT f.* FROM feedback f JOIN retrievals r ON r.id = f.retrieval_id "
                "WHERE r.user_id = ? ORDER BY f.id", (user_id,)))
            updates = _by_retrieval(self._conn.execute(
                "SELECT f.* FROM note_feedback f JOIN retrievals r ON r.id = f.retrieval_id "
                "WHERE r.user_id = ? ORDER BY f.id", (user_id,)))
        return [ArchivedRetrieval(
            r["id"], Scope(user_id, r["agent_id"] or None, r["session_id"] or None),
            r["query"], tuple(json.loads(r["note_ids"])), datetime.fromisoformat(r["created_at"]),
            None if r["query_embedding"] is None else vector(r["query_embedding"]),
            tuple((f["reward"], tuple(json.loads(f["note_ids"])),
                   datetime.fromisoformat(f["at"])) for f in given.get(r["id"], ())),
            tuple((f["note_id"], f["reward"], f["learning_rate"], f["utility_before"],
                   datetime.fromisoformat(f["at"])) for f in updates.get(r["id"], ())))
            for r in rows]

    def restore(self, notes: Sequence[ArchivedNote], turns: Sequence[Turn],
                retrievals: Sequence[ArchivedRetrieval] = ()) -> set[str]:
        stored: set[str] = set()
        with self._lock:
            with transaction(self._conn, self.path) as conn:
                for archived in notes:
                    if not _stored(conn, archived):
                        _insert(conn, archived)
                        stored.add(archived.note.id)
                writes.log_turns(conn, [t for t in turns if t.note_id in stored])
                for retrieval in retrievals:
                    _insert_retrieval(conn, retrieval)
            self._forget_index(sorted({a.note.scope.user_id for a in notes}))
        return stored


