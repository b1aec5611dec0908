"""API keys over the store: created once, kept as a SHA-256 hash, looked up per request.

A key reads ``asem_<key id>_<secret>``: the id is public (``asem keys list`` shows it, logs
may name it), the secret is ``secrets.token_urlsafe(32)`` and only its hash is stored. The
lookup goes by id, then compares hashes in constant time.

>>> from asem.stores.sqlite import SQLiteStore
>>> ring = StoreKeyRing(SQLiteStore(":memory:", embedder_id="hash"))
>>> key, raw = ring.create(user_id="alice", name="laptop")
>>> ring.principal(raw)
Principal(user_id='alice', admin=False, key_id='...')
>>> _ = ring.revoke(key.id)
>>> ring.principal(raw) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from asem.errors import InvalidInputError
from asem.server.auth import Principal
from asem.stores.base import ApiKey, KeyStore
from asem.types import now

PREFIX = "asem"


def secret_hash(secret: str) -> str:
    """Hex SHA-256 of a key's secret (the secret is random, so no salt or slow hash is
    needed: there is nothing to guess from a dictionary)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(raw_key: str) -> tuple[str, str] | None:
    """(key id, secret) of a raw key, or None when it is not of ASEM's form."""
    prefix, _, rest = raw_key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    return key_id, secret


def key_store(store: object) -> KeyStore:
    """``store`` as a KeyStore; InvalidInputError for a store that keeps no keys."""
    needed = ("add_api_key", "api_key", "api_keys", "revoke_api_key")
    if not all(hasattr(store, name) for name in needed):
        raise InvalidInputError(f"{type(store).__name__} keeps no API keys; serve an SQLite or "
                                "PostgreSQL database, or start the server with --no-auth on "
                                "loopback")
    return store  # type: ignore[return-value]


class StoreKeyRing:
    """The KeyRing of a server: keys kept (hashed) in the same database as the notes."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store

    def create(self, *, user_id: str | None = None, admin: bool = False,
               name: str = "") -> tuple[ApiKey, str]:
        """A new key and its raw form (shown once: only its hash is kept). A key grants
        exactly one tenant, or every tenant with ``admin``."""
        if admin == bool(user_id and user_id.strip()):
            raise InvalidInputError("a key is either for one user (--user ID) or an admin "
                                    "key (--admin), not both and not neither")
        key = ApiKey(id=secrets.token_hex(6), user_id=None if admin else user_id.strip(),
                     admin=admin, name=name.strip(), created_at=now())
        secret = secrets.token_urlsafe(32)
        self.store.add_api_key(key, secret_hash(secret))
        return key, f"{PREFIX}_{key.id}_{secret}"

    def list(self) -> list[ApiKey]:
        return self.store.api_keys()

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key for good (it stays listed); NotFoundError for an unknown id."""
        return self.store.revoke_api_key(key_id)

    def principal(self, raw_key: str) -> Principal | None:
        """The principal of a live key, or None for an unknown, malformed or revoked one."""
        parts = split_key(raw_key)
        if parts is None:
            return None
        found = self.store.api_key(parts[0])
        if found is None:
            return None
        key, stored = found
        if not hmac.compare_digest(stored, secret_hash(parts[1])) or key.revoked_at:
            return None
        return Principal(key.user_id, admin=key.admin, key_id=key.id)
