"""The server's API keys in the SQLite store (see ``asem.stores.base.KeyStore``)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from asem.errors import NotFoundError
from asem.stores.base import ApiKey
from asem.stores.sqlite.codec import parse_ts, ts
from asem.stores.sqlite.connection import transaction, translated
from asem.types import now

if TYPE_CHECKING:
    import threading

_COLUMNS = "id, user_id, admin, name, created_at, revoked_at"


def _key(row: sqlite3.Row) -> ApiKey:
    created = parse_ts(row["created_at"])
    assert created is not None
    return ApiKey(row["id"], row["user_id"], bool(row["admin"]), row["name"], created,
                  parse_ts(row["revoked_at"]))


class KeysMixin:
    """API key methods of SQLiteStore."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    path: str

    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        with self._lock, transaction(self._conn, self.path) as conn:
            conn.execute(
                "INSERT INTO api_keys (id, secret_hash, user_id, admin, name, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key.id, secret_hash, key.user_id, int(key.admin), key.name,
                 ts(key.created_at)))

    def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._lock, translated(self.path):
            row = self._conn.execute(f"SELECT {_COLUMNS}, secret_hash FROM api_keys "
                                     "WHERE id = ?", (key_id,)).fetchone()
        return None if row is None else (_key(row), row["secret_hash"])

    def api_keys(self) -> list[ApiKey]:
        with self._lock, translated(self.path):
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM api_keys "
                                      "ORDER BY created_at, rowid").fetchall()
        return [_key(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> ApiKey:
        with self._lock, transaction(self._conn, self.path) as conn:
            conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                         "WHERE id = ?", (ts(now()), key_id))
            row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?",
                               (key_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}; `asem keys list` shows them")
        return _key(row)
