"""The storage fault family at its fast size, and proof that it sees a store that half-commits."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from checks import Size, storage

from asem.stores.sqlite import store as sqlite_store

SQLITE_FAULTS, SQLITE_HOLDS = 2, 3  # I/O error (plain, rolled back); full, read-only, locked
POSTGRES_FAULTS, POSTGRES_HOLDS = 3, 2  # I/O error, backend(s) terminated; read-only, locked
RESTARTS = 1  # a real server restart, at one statement per mode at the fast size


def test_every_storage_fault_commits_fully_or_raises_typed_and_heals(pg_server):
    sqlite, postgres = storage.run(Size.FAST, postgres_url=pg_server)
    modes = len(storage.MODES)
    assert (sqlite.where, postgres.where) == ("sqlite", "postgresql")
    assert sqlite.runs == modes * (SQLITE_FAULTS * storage.FAST_STATEMENTS + SQLITE_HOLDS) + 1
    assert postgres.runs == modes * (POSTGRES_FAULTS * storage.FAST_STATEMENTS + RESTARTS
                                     + POSTGRES_HOLDS)
    assert postgres.counts["server restarted at N: StoreUnreachableError"] == modes
    for row in (sqlite, postgres):
        assert row.ok, row
        assert row.counts["statements per batch"] > 20  # the batch writes for real


@pytest.mark.slow
def test_every_statement_of_the_batch_at_full_size(pg_server):
    rows = storage.run(Size.FULL, postgres_url=pg_server)
    assert all(row.ok for row in rows), rows
    assert all(row.runs > 100 for row in rows)


@contextmanager
def _commits_on_error(conn, path):
    """A broken transaction: what ran before an error is committed, not rolled back."""
    nested = conn.in_transaction
    conn.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("RELEASE nested" if nested else "COMMIT")


def test_the_check_counts_a_write_that_half_commits(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "transaction", _commits_on_error)
    row = storage._row("sqlite", storage._sqlite(tmp_path / "m.db"), Size.FAST)
    assert not row.ok
    assert row.zero["partly committed"] > 0


def test_the_check_counts_an_error_outside_the_tree(tmp_path, monkeypatch):
    def raw(error, path):  # the translation to asem.errors forgotten
        return error

    monkeypatch.setattr("asem.stores.sqlite.connection.translate", raw)
    row = storage._row("sqlite", storage._sqlite(tmp_path / "m.db"), Size.FAST)
    assert row.zero["untyped errors"] > 0
