"""Opening a store from what a user types: a file path or a database URL.

A small registry from URL scheme to opener; anything that is not a URL (``memory.db``,
``:memory:``, a ``Path``) is an SQLite file. A new backend is one more entry here, imported
only when its scheme is used (so ``import asem`` never imports psycopg).

>>> is_url("postgresql://localhost/asem"), is_url("memory.db"), is_url(":memory:")
(True, False, False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from asem.errors import InvalidInputError

if TYPE_CHECKING:
    from asem.stores.base import Store


@dataclass(frozen=True)
class StoreOptions:
    """What every opener is given besides the target."""

    embedder_id: str
    dimension: int | None = None
    """The embedder's vector size (a PostgreSQL store indexes that dimension)."""
    busy_timeout_s: float = 5.0
    read_only: bool = False
    index_cache_mb: float = 1024
    """Memory for tenants' vector indexes held between searches (``MemoryConfig``)."""


Opener = Callable[[str, StoreOptions], "Store"]


def _sqlite_path(target: str) -> str:
    """``sqlite:///m.db`` → ``m.db``, ``sqlite:////abs/m.db`` → ``/abs/m.db``; a path as is."""
    return target.removeprefix("sqlite:///") if target.startswith("sqlite://") else target


def _sqlite(target: str, options: StoreOptions) -> Store:
    from asem.stores.sqlite import SQLiteStore

    return SQLiteStore(_sqlite_path(target), embedder_id=options.embedder_id,
                       busy_timeout_s=options.busy_timeout_s, read_only=options.read_only,
                       index_cache_mb=options.index_cache_mb)


POOL_OPTIONS = {"pool_min": 1, "pool_max": 1, "exact_limit": 0, "ef_search": 1}
"""Query parameters of a PostgreSQL URL that the store takes, with their least value: the
connection pool's size (``postgresql://host/asem?pool_max=20``), the tenant size up to
which a search scans a tenant's vectors exactly rather than through the HNSW index, and the
candidate list of that index's walk (``ef_search``; ``asem.stores.postgres.nearest``); the
rest go to the server."""


def pool_options(url: str) -> tuple[str, dict[str, int]]:
    """``url`` without the store's parameters, and those parameters.

    >>> pool_options("postgresql://db/asem?pool_max=20&sslmode=require")
    ('postgresql://db/asem?sslmode=require', {'pool_max': 20})
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    sizes: dict[str, int] = {}
    for key, value in query:
        if key in POOL_OPTIONS:
            least = POOL_OPTIONS[key]
            if not value.isdigit() or int(value) < least:
                raise InvalidInputError(f"{key} must be a whole number (at least {least}), "
                                        f"not {value!r}")
            sizes[key] = int(value)
    rest = urlencode([(k, v) for k, v in query if k not in POOL_OPTIONS])
    return urlunsplit(parts._replace(query=rest)), sizes


def _postgres(target: str, options: StoreOptions) -> Store:
    from asem.stores.postgres import PostgresStore  # NotConfiguredError without the extra

    url, sizes = pool_options(target)
    return PostgresStore(url, embedder_id=options.embedder_id,
                         dimension=options.dimension, read_only=options.read_only,
                         timeout_s=max(options.busy_timeout_s, 5.0),
                         busy_timeout_s=options.busy_timeout_s, **sizes)


def _sqlite_migrate(target: str) -> list[str]:
    from asem.stores.sqlite.connection import migrate_file

    return migrate_file(_sqlite_path(target))


def _postgres_migrate(target: str) -> list[str]:
    from asem.stores.postgres.connection import migrate

    return migrate(target)


@dataclass(frozen=True)
class Backend:
    open: Opener
    migrate: Callable[[str], list[str]]
    """Bring the database to the latest schema; returns the migrations applied."""


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend(_sqlite, _sqlite_migrate),
    "postgresql": Backend(_postgres, _postgres_migrate),
    "postgres": Backend(_postgres, _postgres_migrate),
}
"""URL scheme → how to open and migrate a store there."""


def is_url(target: str | Path) -> bool:
    """True for ``scheme://...`` (a database URL), False for a file path."""
    return isinstance(target, str) and "://" in target and bool(urlsplit(target).scheme)


def redacted(target: str) -> str:
    """``target`` without the password of a URL, for messages.

    >>> redacted("postgresql://ana:secret@db.local/asem")
    'postgresql://ana:***@db.local/asem'
    """
    if not is_url(target):
        return target
    parts = urlsplit(target)
    if not parts.password:
        return target
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def scheme(target: str | Path) -> str:
    """The registry key of ``target``: its URL scheme, ``sqlite`` for a path."""
    return urlsplit(target).scheme.lower() if is_url(target) else "sqlite"


def backend(target: str | Path) -> Backend:
    kind = scheme(target)
    found = BACKENDS.get(kind)
    if found is None:
        raise InvalidInputError(f"no store for {kind}:// URLs; give a file path (SQLite) or a "
                                f"postgresql:// URL (known schemes: {', '.join(BACKENDS)})")
    return found


def open_store(target: str | Path, options: StoreOptions) -> Store:
    """The store at ``target``: a path or ``sqlite:///m.db``, or ``postgresql://...``."""
    return backend(target).open(str(target), options)


def migrate_store(target: str | Path) -> list[str]:
    """Bring the database at ``target`` to the latest schema (creating it for SQLite);
    returns the migrations applied."""
    return backend(target).migrate(str(target))
