"""The server's API keys in the PostgreSQL store (see ``asem.stores.base.KeyStore``)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from asem.errors import NotFoundError
from asem.stores.base import ApiKey
from asem.stores.postgres.codec import ts
from asem.stores.postgres.writes import Conn
from asem.types import now

_COLUMNS = "id, user_id, admin, name, created_at, revoked_at"


def _key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(row["id"], row["user_id"], row["admin"], row["name"], row["created_at"],
                  row["revoked_at"])


class KeysMixin:
    """API key methods of PostgresStore."""

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        with self._write(()) as conn:
            conn.execute(
                "INSERT INTO api_keys (id, secret_hash, user_id, admin, name, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (key.id, secret_hash, key.user_id, key.admin, key.name, ts(key.created_at)))

    def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS}, secret_hash FROM api_keys WHERE id = %s",
                               (key_id,)).fetchone()
        return None if row is None else (_key(row), row["secret_hash"])

    def api_keys(self) -> list[ApiKey]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys "
                                "ORDER BY created_at, seq").fetchall()
        return [_key(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> ApiKey:
        with self._write(()) as conn:
            row = conn.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, %s) WHERE id = %s "
                f"RETURNING {_COLUMNS}", (ts(now()), key_id)).fetchone()
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}; `asem keys list` shows them")
        return _key(row)
