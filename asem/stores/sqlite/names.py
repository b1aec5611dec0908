"""The names speakers are addressed by, in the SQLite store (``asem.stores.base.NameStore``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from asem.stores.base import NameUse
from asem.stores.sqlite.connection import translated

if TYPE_CHECKING:
    import threading

_UPSERT = ("INSERT INTO name_uses (user_id, agent_id, speaker, name, addressed, said) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, agent_id, speaker, name) DO UPDATE "
           "SET addressed = addressed + excluded.addressed, said = said + excluded.said")
_SELECT = ("SELECT user_id, agent_id, speaker, name, addressed, said FROM name_uses "
           "WHERE user_id = ?")


def count_names(conn: sqlite3.Connection, uses: Sequence[NameUse]) -> None:
    """Add ``uses`` to the counts, in the caller's transaction."""
    if not uses:
        return
    conn.executemany(_UPSERT, [(u.user_id, u.agent_id, u.speaker, u.name, u.addressed, u.said)
                               for u in uses])


class NamesMixin:
    """Name-use methods of SQLiteStore."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    path: str

    def names(self, user_id: str, agent_id: str | None, names: Sequence[str]) -> list[NameUse]:
        if not names:
            return []
        sql = _SELECT + " AND name IN (" + ", ".join("?" for _ in names) + ")"
        args: list[str] = [user_id, *names]
        if agent_id is not None:
            sql, args = sql + " AND agent_id = ?", [*args, agent_id]
        with self._lock, translated(self.path):
            rows = self._conn.execute(sql, args).fetchall()
        return [NameUse(*row) for row in rows]
