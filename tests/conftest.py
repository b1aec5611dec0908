"""Shared fixtures: a fresh memory on a temp file with the deterministic HashEmbedder.

The fixtures write through the rule manager, so storage, linking and retrieval tests do not
depend on what the learned policy decides; tests/test_manager_learned.py covers the default.
"""

from __future__ import annotations

import json
import sqlite3
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
    """``snapshot()``: every row of every ASEM table in the file, read by a separate connection,
    so a test can assert that a failed call changed nothing."""

    def take(path=None) -> dict[str, list[tuple]]:
        conn = sqlite3.connect(path or db_path)
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'notes_fts%' AND name NOT LIKE 'sqlite_%'")]
            data = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                    for t in tables}
            data["notes_fts"] = sorted(conn.execute(
                "SELECT rowid, content FROM notes_fts").fetchall())
            return data
        finally:
            conn.close()

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
