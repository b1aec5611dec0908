"""Restoring archived notes into the PostgreSQL store exactly as they were
(``asem.stores.base.Archive``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

from asem.stores.base import ArchivedNote, Turn, grouped_links
from asem.stores.postgres import writes
from asem.stores.postgres.codec import NOTE_COLUMNS, note_params, ts
from asem.stores.postgres.writes import Conn
from asem.types import Link

_COLUMNS = (*NOTE_COLUMNS, "deleted_at", "delete_reason", "version")
_INSERT = (f"INSERT INTO notes ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(f'%({c})s' for c in _COLUMNS)}) ON CONFLICT DO NOTHING "
           "RETURNING id")


def _insert(conn: Conn, archived: ArchivedNote) -> bool:
    """Insert the note as it was; False when its id, or its content live and current in
    its scope, is stored already (the unique indexes decide)."""
    note = archived.note
    done = conn.execute(_INSERT, note_params(note, archived.embedder) | {
        "deleted_at": ts(note.deleted_at), "delete_reason": note.delete_reason,
        "version": note.version or 1}).fetchone()
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

    def restore(self, notes: Sequence[ArchivedNote], turns: Sequence[Turn]) -> set[str]:
        stored: set[str] = set()
        with self._write({a.note.scope.user_id for a in notes}) as conn:
            for archived in notes:
                if _insert(conn, archived):
                    stored.add(archived.note.id)
            writes.log_turns(conn, [t for t in turns if t.note_id in stored])
        return stored
