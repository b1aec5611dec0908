"""Forgetting for real in the SQLite store (``asem.stores.base.Eraser``).

A soft delete keeps everything (it can be undone); ``forget`` keeps nothing of the text. In
SQLite that takes more than DELETE: a freed page keeps its old bytes until reused (hence
``secure_delete``), the FTS5 index keeps a deleted row's terms in its segments until they
are merged (hence ``optimize``), and the write-ahead log keeps old page images until it is
checkpointed and truncated. VACUUM then rebuilds the file from the live rows only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from asem.errors import InvalidInputError, NotFoundError, StoreLockedError
from asem.stores.sqlite.codec import ts
from asem.stores.sqlite.connection import transaction, translated
from asem.stores.sqlite.lifecycle import StoreParts
from asem.types import now


class ForgetMixin(StoreParts):
    """``forget`` of SQLiteStore."""

    def forget(self, user_id: str, note_ids: Sequence[str] | None, actor: str) -> list[str]:
        with self._lock:
            if self._conn.in_transaction:
                raise InvalidInputError("forget cannot run inside a snapshot; call it alone")
            with translated(self.path):
                secure = self._conn.execute("PRAGMA secure_delete").fetchone()[0]
                self._conn.execute("PRAGMA secure_delete = ON")
            try:
                with transaction(self._conn, self.path) as conn:
                    rows = _targets(conn, user_id, note_ids)
                    _erase(conn, user_id, rows, whole_tenant=note_ids is None, actor=actor)
                try:
                    with translated(self.path):
                        _compact(self._conn)
                except StoreLockedError as e:
                    # The rows are gone (their freed pages zeroed); rebuilding the file and
                    # resetting its log wait for the other connection's read to end.
                    raise StoreLockedError(
                        f"the notes are forgotten, but {self.path} could not be compacted while "
                        "another connection reads it; once it is closed, run: sqlite3 "
                        f"{self.path} 'VACUUM; PRAGMA wal_checkpoint(TRUNCATE)'") from e
            finally:
                with translated(self.path):
                    self._conn.execute(f"PRAGMA secure_delete = {int(secure)}")
            self._forget_index([user_id])
        return [r["id"] for r in rows]


def _targets(conn: sqlite3.Connection, user_id: str,
             note_ids: Sequence[str] | None) -> list[sqlite3.Row]:
    """The rows to forget (deleted and archived ones too); NotFoundError naming an id that is
    not the tenant's, before anything changes."""
    if note_ids is None:
        return conn.execute("SELECT rowid, id, content FROM notes WHERE user_id = ?",
                            (user_id,)).fetchall()
    wanted = list(dict.fromkeys(note_ids))
    if not wanted:
        raise InvalidInputError("no note ids given; name the notes to forget")
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"SELECT rowid, id, content FROM notes WHERE user_id = ? "
                        f"AND id IN ({marks})", (user_id, *wanted)).fetchall()
    missing = set(wanted) - {r["id"] for r in rows}
    if missing:
        raise NotFoundError(f"no note with id {sorted(missing)[0]!r}; search to find note ids "
                            "(a note already forgotten is gone)")
    # An experience note quotes the notes its episode used: it goes with them.
    derived = conn.execute(
        "SELECT DISTINCT n.rowid, n.id, n.content FROM links l JOIN notes n ON n.id = l.src "
        f"WHERE l.dst IN ({marks}) AND n.user_id = ? AND n.channel = 'experience'",
        (*wanted, user_id)).fetchall()
    return rows + [r for r in derived if r["id"] not in set(wanted)]


def _erase(conn: sqlite3.Connection, user_id: str, rows: Sequence[sqlite3.Row], *,
           whole_tenant: bool, actor: str) -> None:
    ids = [r["id"] for r in rows]
    if not ids:
        return
    at = ts(now())
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM links WHERE src IN ({marks}) OR dst IN ({marks})",
                     (*chunk, *chunk))
        for table in ("history", "turns", "llm_jobs", "note_feedback"):
            conn.execute(f"DELETE FROM {table} WHERE note_id IN ({marks})", chunk)
    for chunk in _chunks([r["rowid"] for r in rows]):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM notes_fts WHERE rowid IN ({marks})", chunk)
        conn.execute(f"DELETE FROM notes WHERE rowid IN ({marks})", chunk)
    if whole_tenant:
        for table in ("feedback", "note_feedback"):
            conn.execute(f"DELETE FROM {table} WHERE retrieval_id IN "
                         "(SELECT id FROM retrievals WHERE user_id = ?)", (user_id,))
        conn.execute("DELETE FROM retrievals WHERE user_id = ?", (user_id,))
        conn.execute("DELETE FROM maintenance_runs WHERE user_id = ?", (user_id,))
        conn.execute("DELETE FROM name_uses WHERE user_id = ?", (user_id,))  # read from text
    else:
        _scrub_mentions(conn, user_id, set(ids), [r["content"] for r in rows])
    conn.executemany("INSERT INTO forgotten (note_id, user_id, at, actor, reason) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [(i, user_id, at, actor, "forgotten" + (" with its tenant's notes"
                                                            if whole_tenant else ""))
                      for i in ids])


def _scrub_mentions(conn: sqlite3.Connection, user_id: str, ids: set[str],
                    contents: Sequence[str]) -> None:
    """What other rows of the tenant say of the forgotten notes: their ids in retrievals
    and feedback, their text in queries and in other notes' history."""
    retrievals = conn.execute("SELECT id, query, note_ids FROM retrievals WHERE user_id = ?",
                              (user_id,)).fetchall()
    for r in retrievals:
        returned = json.loads(r["note_ids"])
        said = any(text and text in r["query"] for text in contents)
        if said or ids & set(returned):
            # The query may have named the forgotten fact: it goes too (its vector stays, so
            # the feedback of the other notes it returned keeps its intent).
            conn.execute("UPDATE retrievals SET note_ids = ?, query = '' WHERE id = ?",
                         (json.dumps([i for i in returned if i not in ids]), r["id"]))
            for f in conn.execute("SELECT id, note_ids FROM feedback WHERE retrieval_id = ?",
                                  (r["id"],)).fetchall():
                conn.execute("UPDATE feedback SET note_ids = ? WHERE id = ?",
                             (json.dumps([i for i in json.loads(f["note_ids"]) if i not in ids]),
                              f["id"]))
    for text in contents:
        for needle in dict.fromkeys([text, json.dumps(text)[1:-1]]):
            if needle:
                conn.execute(
                    "UPDATE history SET old = NULL, new = NULL, reason = '(text forgotten)' "
                    "WHERE note_id IN (SELECT id FROM notes WHERE user_id = ?) AND "
                    "(instr(coalesce(old, ''), ?) OR instr(coalesce(new, ''), ?) OR "
                    "instr(reason, ?))", (user_id, needle, needle, needle))


def _compact(conn: sqlite3.Connection) -> None:
    """Merge the lexical index (dropping deleted rows' terms), rebuild the file from its live
    rows, and empty the write-ahead log."""
    conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('optimize')")
    conn.execute("VACUUM")
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:  # a reader still needs the old pages: the file keeps them until it ends
        raise sqlite3.OperationalError("database is locked")


def _chunks(values: Sequence, size: int = 500) -> list[Sequence]:  # type: ignore[type-arg]
    return [values[i:i + size] for i in range(0, len(values), size)]
