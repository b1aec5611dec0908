"""Restoring archived notes into the PostgreSQL store exactly as they were
(``asem.stores.base.Archive``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

import numpy as np

from asem.stores.base import ArchivedNote, ArchivedRetrieval, Turn, grouped_links
from asem.stores.postgres import writes
from asem.stores.postgres.codec import NOTE_COLUMNS, array, note_params, ts
from asem.stores.postgres.writes import Conn
from asem.types import Link, Scope

_COLUMNS = (*NOTE_COLUMNS, "deleted_at", "delete_reason", "version", "archived_at")
_INSERT = (f"INSERT INTO notes ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(f'%({c})s' for c in _COLUMNS)}) ON CONFLICT DO NOTHING "
           "RETURNING id")


def _insert(conn: Conn, archived: ArchivedNote) -> bool:
    """Insert the note as it was; False when its id, or its content live and current in
    its scope, is stored already (the unique indexes decide)."""
    note = archived.note
    done = conn.execute(_INSERT, note_params(note, archived.embedder) | {
        "deleted_at": ts(note.deleted_at), "delete_reason": note.delete_reason,
        "version": note.version or 1, "archived_at": ts(note.archived_at)}).fetchone()
    if done is None:
        return False
    if archived.links:
        conn.cursor().executemany(
            "INSERT INTO links (src, dst, relation, strength, created_at) VALUES "
            "(%s, %s, %s, %s, %s) ON CONFLICT (src, dst) DO NOTHING",
            archived.link_rows(ts(note.created_at)))
    for entry in archived.history:
        writes.history(conn, note.id, entry.op, entry.old, entry.new, ts(entry.at),
                       entry.reason, entry.actor)
    return True


def _by_retrieval(rows: Iterable[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row["retrieval_id"], []).append(row)
    return found


def _insert_retrieval(conn: Conn, r: ArchivedRetrieval) -> None:
    """The retrieval with its feedback, unless its id is stored already."""
    done = conn.execute(
        "INSERT INTO retrievals (id, user_id, agent_id, session_id, query, note_ids, "
        "created_at, query_embedding) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        (r.id, r.scope.user_id, r.scope.agent_id or "", r.scope.session_id or "", r.query,
         list(r.note_ids), ts(r.created_at),
         None if r.query_vector is None else np.asarray(r.query_vector, np.float32)),
    ).fetchone()
    if done is None:
        return
    cursor = conn.cursor()
    cursor.executemany("INSERT INTO feedback (retrieval_id, reward, note_ids, at) "
                       "VALUES (%s, %s, %s, %s)",
                       [(r.id, reward, list(ids), ts(at)) for reward, ids, at in r.feedback])
    cursor.executemany("INSERT INTO note_feedback (note_id, retrieval_id, reward, "
                       "learning_rate, utility_before, at) VALUES (%s, %s, %s, %s, %s, %s)",
                       [(note_id, r.id, reward, rate, before, ts(at))
                        for note_id, reward, rate, before, at in r.note_feedback])


class ArchiveMixin:
    """Archive methods of PostgresStore."""

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def links_from(self, note_ids: Sequence[str]) -> dict[str, list[Link]]:
        if not note_ids:
            return {}
        with self._read() as conn:
            rows = conn.execute("SELECT src, dst, relation, strength FROM links WHERE "
                                "src = ANY(%s) ORDER BY strength DESC, dst",
                                (list(note_ids),)).fetchall()
        return grouped_links(rows)

    def retrievals(self, user_id: str) -> list[ArchivedRetrieval]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM retrievals WHERE user_id = %s ORDER BY seq",
                                (user_id,)).fetchall()
            given = _by_retrieval(conn.execute(
                "SELECT f.* FROM feedback f JOIN retrievals r ON r.id = f.retrieval_id "
                "WHERE r.user_id = %s ORDER BY f.id", (user_id,)))
            updates = _by_retrieval(conn.execute(
                "SELECT f.* FROM note_feedback f JOIN retrievals r ON r.id = f.retrieval_id "
                "WHERE r.user_id = %s ORDER BY f.id", (user_id,)))
        return [ArchivedRetrieval(
            r["id"], Scope(user_id, r["agent_id"] or None, r["session_id"] or None),
            r["query"], tuple(r["note_ids"]), r["created_at"],
            None if r["query_embedding"] is None else array(r["query_embedding"]),
            tuple((f["reward"], tuple(f["note_ids"]), f["at"]) for f in given.get(r["id"], ())),
            tuple((f["note_id"], f["reward"], f["learning_rate"], f["utility_before"], f["at"])
                  for f in updates.get(r["id"], ())))
            for r in rows]

    def restore(self, notes: Sequence[ArchivedNote], turns: Sequence[Turn],
                retrievals: Sequence[ArchivedRetrieval] = ()) -> set[str]:
        stored: set[str] = set()
        with self._write({a.note.scope.user_id for a in notes}) as conn:
            for archived in notes:
                if _insert(conn, archived):
                    stored.add(archived.note.id)
            writes.log_turns(conn, [t for t in turns if t.note_id in stored])
            for retrieval in retrievals:
                _insert_retrieval(conn, retrieval)
        return stored
