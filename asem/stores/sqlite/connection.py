"""Opening an SQLite database: pragmas, migrations, transactions, and error translation."""

from __future__ import annotations

import os
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from asem.errors import (
    InvalidInputError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
)
from asem.stores.sqlite.codec import owner_token


def translate(error: sqlite3.Error, path: str) -> StoreError:
    """An SQLite error as the ASEM error a user can act on."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"the database {path} is locked by another process; close it or retry later"
        )
    if "readonly" in text or "read-only" in text:
        return StoreReadOnlyError(
            f"the database {path} is read-only; make it writable or copy it somewhere writable"
        )
    if "disk is full" in text:
        return StoreFullError(f"the disk holding the database {path} is full (or the file "
                              "reached its size limit); nothing was written: free some "
                              "space, then retry")
    if "disk i/o error" in text:
        return StoreError(f"the disk holding the database {path} failed to read or write "
                          "(disk I/O error); nothing was written: check the disk, then retry")
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a usable ASEM database ({error}); use another --db path")
    if "unable to open" in text:
        return StoreError(f"cannot open the database {path}; check that its folder exists "
                          "and is writable")
    return StoreError(f"database error in {path}: {error}")


def not_unicode(error: UnicodeEncodeError) -> InvalidInputError:
    """A text that SQLite cannot store (a lone surrogate) as the error a user can act on."""
    bad = error.object[error.start:error.end]
    return InvalidInputError(f"a text given holds {bad!r}, which is not a Unicode character "
                             "(bytes that are not UTF-8, or half of a surrogate pair); give "
                             "UTF-8 text")


@contextmanager
def translated(path: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as e:
        raise translate(e, path) from e
    except UnicodeEncodeError as e:
        raise not_unicode(e) from e


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("asem.stores") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def open_database(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path`` (":memory:" works)."""
    if not path.strip():
        # SQLite would open a private temporary file, silently gone on close.
        raise InvalidInputError("the database path is empty; give a file path (e.g. "
                                "memory.db), or ':memory:' for a memory that is not kept")
    if path != ":memory:":
        target = Path(path)
        if target.is_dir():
            raise StoreError(f"{path} is a folder, not a database file; give a file path "
                             f"such as {target / 'memory.db'}")
        if target.exists() and not os.access(target, os.W_OK):
            raise StoreReadOnlyError(
                f"the database {path} is read-only; make it writable (chmod u+w) or copy it"
            )
        if not target.parent.exists():
            raise StoreError(f"cannot create {path}: the folder {target.parent} does not exist")
    deadline = time.monotonic() + busy_timeout_s
    while True:
        conn = _connect(path, path, busy_timeout_s, uri=False)
        try:
            with translated(path):
                _prepare(conn)
            return conn
        except StoreLockedError:
            # Connections racing to set up a new file (WAL mode, the first migration) can be
            # told SQLITE_BUSY at once, without SQLite's busy handler: try again until the
            # busy timeout has passed, as a wait on the lock would.
            conn.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))
        except BaseException:
            # A failed migration leaves its transaction open: closing rolls it back and frees
            # the write lock, which would otherwise block every other connection to the file.
            conn.close()
            raise


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Migration 0006 rebuilds the lexical index, whose owner tokens only Python makes.
    conn.create_function("asem_owner_token", 1, owner_token, deterministic=True)
    _migrate(conn)


def open_read_only(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """Open the existing database at ``path`` for reading only: nothing is created, migrated
    or written, and every write fails with StoreReadOnlyError.

    In a folder this process cannot write, SQLite cannot make the shared-memory file a WAL
    database is read through; the file is then read as immutable (right while no one else
    writes it, which a folder no one may write makes likely).
    """
    target = Path(path)
    if path == ":memory:" or not target.is_file():
        raise StoreError(f"no database at {path}; check the --db path (a read-only open "
                         "creates nothing)")
    uri = target.resolve().as_uri() + "?mode=ro"
    try:
        conn, version = _connect_read_only(uri, path, busy_timeout_s)
    except StoreReadOnlyError:
        if Path(f"{path}-wal").exists():
            raise
        conn, version = _connect_read_only(uri + "&immutable=1", path, busy_timeout_s)
    latest = _migrations()[-1][0]
    if version < latest:
        conn.close()
        if version == 0:
            raise StoreError(f"{path} is not an ASEM database (it is empty or another "
                             "program's); use another --db path")
        raise StoreReadOnlyError(f"the database {path} needs an upgrade that a read-only "
                                 "open cannot make; open it once where it can be written")
    return conn


def _connect_read_only(uri: str, path: str,
                       busy_timeout_s: float) -> tuple[sqlite3.Connection, int]:
    conn = _connect(uri, path, busy_timeout_s, uri=True)
    try:
        with translated(path):
            conn.execute("PRAGMA query_only = ON")
            return conn, _version(conn)
    except BaseException:
        conn.close()
        raise


def _connect(target: str, path: str, busy_timeout_s: float, *,
             uri: bool) -> sqlite3.Connection:
    """A connection to ``target`` (``path`` itself, or with ``uri`` a ``file:`` URI for it)
    that returns rows by name and waits ``busy_timeout_s`` for a lock."""
    with translated(path):
        conn = sqlite3.connect(target, uri=uri, timeout=busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        with translated(path):
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations the file lacks, all in one transaction.

    The version is read again under the write lock: several processes opening a new file at
    once all see version 0 first, and only the first to take the lock may migrate.
    """
    migrations = _migrations()
    if _version(conn) >= migrations[-1][0]:
        return  # up to date: no write lock taken
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = _version(conn)
        for version, script in migrations:
            if version <= current:
                continue
            # One statement at a time: executescript would commit the open transaction.
            for statement in _statements(script):
                if not _adds_existing_column(conn, statement):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate_file(path: str, busy_timeout_s: float = 5.0) -> list[str]:
    """Create or upgrade the database at ``path``; returns the migrations applied (as
    ``NNNN``, the file's user_version steps)."""
    before = 0
    if Path(path).is_file():
        conn = _connect(path, path, busy_timeout_s, uri=False)
        try:
            with translated(path):
                before = _version(conn)
        finally:
            conn.close()
    open_database(path, busy_timeout_s).close()
    return [f"{v:04d}" for v, _ in _migrations() if v > before]


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQL script, in order (a trigger body stays one statement)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):  # not a ';' inside a string or a trigger
            yield pending
            pending = ""
    pending = pending[:-1]  # the ';' split added after the last piece
    if pending.strip():
        yield pending  # trailing comments, or an unfinished statement SQLite reports


_ADD_COLUMN = re.compile(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(\w+)", re.IGNORECASE)


def _adds_existing_column(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether ``statement`` adds a column its table already has. SQLite has no
    ``ADD COLUMN IF NOT EXISTS``: skipping such a statement lets a migration run again on a
    database whose version was set back, as the other statements (``IF NOT EXISTS``) can."""
    code = " ".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    found = _ADD_COLUMN.match(code.strip())
    if found is None:
        return False
    table, column = found.groups()
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


@contextmanager
def transaction(conn: sqlite3.Connection, path: str) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (so a failed write changes nothing).

    Inside a transaction already open (``SQLiteStore.snapshot(exclusive=True)``) it is a
    savepoint of that one: undone alone on an error, committed with it."""
    nested = conn.in_transaction
    with translated(path):
        conn.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
    try:
        yield conn
        with translated(path):
            conn.execute("RELEASE nested" if nested else "COMMIT")
    except BaseException as e:
        # After a full disk or an I/O error SQLite may have rolled the whole transaction
        # back itself, the savepoint with it: there is nothing left to undo then.
        if nested and conn.in_transaction:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
        elif conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(e, UnicodeEncodeError):
            raise not_unicode(e) from e
        if isinstance(e, sqlite3.Error):  # e.g. a full disk, or a file damaged meanwhile
            raise translate(e, path) from e
        raise
