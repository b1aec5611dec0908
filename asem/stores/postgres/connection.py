"""Opening a PostgreSQL database: the pool, the migrations, and error translation.

psycopg is imported here and only here (with ``asem.stores.postgres``), so ``import asem``
never needs the ``postgres`` extra.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from asem.errors import (
    InvalidInputError,
    NotConfiguredError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnreachableError,
)
from asem.stores.open import redacted

try:
    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg import errors as pg_errors
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as e:  # pragma: no cover - the extra is installed wherever tests run
    raise NotConfiguredError(f"a PostgreSQL store needs the postgres extra ({e.name} is "
                             "missing): pip install 'asem[postgres]'") from e

MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"asem migrations").digest()[:8], "big",
                                signed=True)
"""The advisory lock key migrations are applied under (one process migrates at a time)."""


def translate(error: Exception, url: str) -> StoreError:
    """A psycopg error as the ASEM error a user can act on."""
    where = redacted(url)
    if isinstance(error, PoolTimeout) and "couldn't get a connection" in str(error):
        return StoreLockedError(f"every connection to {where} stayed busy ({error}); give the "
                                "pool more (?pool_max=N in the URL) or send fewer requests "
                                "at once")
    # Before OperationalError: a lock timeout, a full disk and an I/O error are its
    # subclasses, and none of them means the server is out of reach.
    if isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled
                  | pg_errors.DeadlockDetected):
        return StoreLockedError(f"the database {where} stayed locked by another writer "
                                "longer than the busy timeout; nothing was written: retry later")
    if isinstance(error, pg_errors.DiskFull):
        return StoreFullError(f"the disk of the database server {where} is full; nothing was "
                              "written: free some space on the server, then retry")
    if isinstance(error, pg_errors.ReadOnlySqlTransaction):
        return StoreReadOnlyError(f"the database server {where} accepts no writes now (a "
                                  "standby, or default_transaction_read_only is on); nothing "
                                  "was written: point the URL at the primary, or retry once "
                                  "it accepts writes")
    if isinstance(error, pg_errors.IoError):
        return StoreError(f"the database server {where} failed to read or write its files "
                          f"({str(error).strip()}); nothing was written: check the server's "
                          "disk, then retry")
    if isinstance(error, psycopg.OperationalError | PoolTimeout):
        return StoreUnreachableError(
            f"cannot reach the PostgreSQL database {where} ({str(error).strip()}); check that "
            "the server runs and that the URL, user and password are right, then retry")
    return StoreError(f"database error in {where}: {str(error).strip()}")


@contextmanager
def translated(url: str) -> Iterator[None]:
    try:
        yield
    except (psycopg.Error, PoolTimeout) as e:
        if isinstance(e, psycopg.DataError) and "0x00" in str(e):
            raise InvalidInputError("a text given holds a NUL character, which PostgreSQL "
                                    "cannot store; remove it") from e
        raise translate(e, url) from e
    except UnicodeEncodeError as e:
        bad = e.object[e.start:e.end]
        raise InvalidInputError(f"a text given holds {bad!r}, which is not a Unicode "
                                "character; give UTF-8 text") from e


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, script) of each PostgreSQL migration, in order."""
    folder = resources.files("asem.stores.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name,
                          entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(url: str, connect_timeout_s: float = 10.0) -> list[str]:
    """Apply the migrations the database lacks; returns the names of those applied.

    Each runs in its own transaction with its row in ``schema_migrations``, all under one
    advisory lock: processes opening a new database at once wait for the first, then find
    nothing left to do.
    """
    applied: list[str] = []
    with translated(url), psycopg.connect(url, autocommit=True,
                                          connect_timeout=max(1, int(connect_timeout_s))) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer "
                         "PRIMARY KEY, name text NOT NULL, applied_at timestamp NOT NULL "
                         "DEFAULT (now() AT TIME ZONE 'utc'))")
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, script in migrations():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(script)  # type: ignore[arg-type]  (a trusted, shipped file)
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                 (version, name))
                applied.append(name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def ensure_vector_index(url: str, dimension: int) -> None:
    """The HNSW cosine index over notes of ``dimension`` (one per dimension in use), made
    under the migration lock so two processes never build it twice."""
    name = f"notes_embedding_hnsw_{dimension}"
    with translated(url), psycopg.connect(url, autocommit=True) as conn:
        # Looked up first: CREATE INDEX IF NOT EXISTS would lock the table against writes
        # even when the index is there (every server start would stall the writers).
        if conn.execute("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND "
                        "indexname = %s", (name,)).fetchone() is not None:
            return
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON notes USING hnsw "
                f"((embedding::vector({dimension})) vector_cosine_ops) "
                f"WHERE vector_dims(embedding) = {dimension} AND deleted_at IS NULL")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _configure(conn: psycopg.Connection[Any]) -> None:
    register_vector(conn)
    conn.commit()


def open_pool(url: str, *, min_size: int, max_size: int, timeout_s: float) -> ConnectionPool:
    """A pool of connections returning rows as dicts, with pgvector's types registered.

    Each connection is checked as it is handed out: after a server restart (or a
    connection's backend terminated) the pool's idle connections are dead, and the first
    write would otherwise fail on one of them although the server is back."""
    with translated(url):
        # A request waits for a free connection longer than a server takes to answer.
        pool = ConnectionPool(url, min_size=min_size, max_size=max(max_size, min_size),
                              timeout=max(timeout_s, 30.0),
                              kwargs={"row_factory": dict_row, "autocommit": False,
                                      "connect_timeout": max(1, int(timeout_s))},
                              configure=_configure,
                              check=ConnectionPool.check_connection,
                              open=False, name="asem")
        try:
            pool.open(wait=True, timeout=timeout_s)
        except BaseException:
            pool.close()  # it would go on trying to connect in its threads
            raise
    return pool
