"""A store that fails under a write: a typed error, nothing written, the next write works.

Regression tests for what the storage and provider fault checks (benchmarks/checks/storage.py,
provider.py) found: a full disk under the write lock surfaced SQLite's own error; a PostgreSQL
write waited without end for a lock held elsewhere; a lock timeout, a full disk and a
read-only server read as an unreachable server; after a restart the first write failed on a
dead pooled connection; an embedder that raised escaped as its own exception.
"""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import psycopg
import pytest
from psycopg import errors as pg_errors

from asem import Memory
from asem.config import MemoryConfig, WriteConfig
from asem.errors import (
    ProviderError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnreachableError,
)
from asem.llm import ScriptedLLM, TransientLLMError
from asem.llm.retry import RetryPolicy
from asem.providers import HashEmbedder
from asem.stores.postgres.connection import translate
from asem.stores.postgres.store import PostgresStore
from asem.stores.sqlite.connection import translate as translate_sqlite
from asem.types import Op
from asem.write.llm_manager import LLMManager
from tests.conftest import dump, query

UNDER_THE_LOCK = MemoryConfig(write=WriteConfig(conflict_retries=0))
"""Every write decided and written inside the store's exclusive snapshot (a savepoint)."""
MANY = [{"role": "user", "content": f"Ann wrote page {i} of her diary about the long trip north"}
        for i in range(40)]


@pytest.mark.parametrize("config", [MemoryConfig(), UNDER_THE_LOCK], ids=["versions", "lock"])
def test_a_full_disk_is_a_retryable_typed_error_and_writes_nothing(db_path, config):
    with Memory(db_path, embedder=HashEmbedder(), config=config, manager="always-add",
                background=False) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        conn = memory.store._conn
        limit = conn.execute("PRAGMA max_page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        before = dump(db_path)
        # Under the lock SQLite's own rollback took the savepoint with it: the error was
        # "no such savepoint", an sqlite3.OperationalError.
        with pytest.raises(StoreFullError, match="free some space, then retry") as raised:
            memory.add(MANY, user_id="ann")
        assert raised.value.retryable
        assert dump(db_path) == before
        conn.execute(f"PRAGMA max_page_count = {limit}")
        results = memory.add(MANY, user_id="ann")
        assert {r.op for r in results} == {Op.ADD}
        assert memory.search("diary page 7", user_id="ann", k=40).hits


class CommitFailsOnce:
    """The store's SQLite connection, its next COMMIT failing as on a disk I/O error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.failed = False

    def execute(self, sql: str, *params):
        if sql == "COMMIT" and not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *params)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_a_failed_commit_under_the_write_lock_leaves_no_transaction_open(db_path):
    with Memory(db_path, embedder=HashEmbedder(), config=UNDER_THE_LOCK, manager="always-add",
                background=False) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        memory.store._conn = CommitFailsOnce(memory.store._conn)
        with pytest.raises(StoreError, match="disk I/O error"):
            memory.add("Ann moved to Berlin", user_id="ann")
        assert memory.store._conn.failed
        # The snapshot's transaction stayed open: this write joined it and was never
        # committed, seen by this connection only.
        memory.add("Ann moved to Berlin", user_id="ann")
        assert len(query(db_path, "SELECT id FROM notes WHERE content = ?",
                         "Ann moved to Berlin")) == 1


def test_an_sqlite_io_error_says_nothing_was_written_and_what_to_do():
    error = translate_sqlite(sqlite3.OperationalError("disk I/O error"), "m.db")
    assert type(error) is StoreError and "check the disk, then retry" in str(error)


@pytest.mark.parametrize(("error", "kind", "retryable"), [
    (pg_errors.LockNotAvailable("canceling statement due to lock timeout"),
     StoreLockedError, True),
    (pg_errors.DiskFull("could not extend file: No space left on device"), StoreFullError,
     True),
    (pg_errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
     StoreReadOnlyError, False),
    (pg_errors.IoError("could not read block 7"), StoreError, False),
    (pg_errors.AdminShutdown("terminating connection due to administrator command"),
     StoreUnreachableError, True),
])
def test_postgresql_errors_are_told_apart(error, kind, retryable):
    # A lock timeout, a full disk and an I/O error are psycopg OperationalErrors: they were
    # all reported as an unreachable server.
    translated = translate(error, "postgresql://db/asem")
    assert type(translated) is kind
    assert translated.retryable is retryable


def _pg_memory(url: str, busy_timeout_s: float = 5.0) -> Memory:
    store = PostgresStore(url, embedder_id=HashEmbedder().model_id, dimension=256,
                          busy_timeout_s=busy_timeout_s, pool_max=3)
    return Memory(store=store, embedder=HashEmbedder(), manager="always-add", background=False)


def test_a_postgresql_write_waits_for_a_lock_only_as_long_as_the_busy_timeout(pg_url):
    with _pg_memory(pg_url, busy_timeout_s=0.3) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        with psycopg.connect(pg_url) as other:
            other.execute("LOCK TABLE notes IN EXCLUSIVE MODE")
            started = time.monotonic()
            with pytest.raises(StoreLockedError, match="retry") as raised:
                memory.add("Ann moved to Berlin", user_id="ann")  # waited for ever
            assert raised.value.retryable and time.monotonic() - started < 5
            other.rollback()
        assert memory.add("Ann moved to Berlin", user_id="ann")[0].op is Op.ADD


def test_the_first_write_after_a_postgresql_restart_succeeds(pg_url):
    with _pg_memory(pg_url) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        memory.search("Buddy", user_id="ann")
        name = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
        with psycopg.connect(pg_url, autocommit=True) as admin:  # what a restart does to
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = %s AND pid <> pg_backend_pid()", (name,))
        # The pool handed out one of its dead connections: StoreUnreachableError.
        assert memory.add("Ann moved to Berlin", user_id="ann")[0].op is Op.ADD


class RaisingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def embed(self, texts, *, kind="document"):
        if self.failing:
            raise RuntimeError("model file truncated")
        return super().embed(texts, kind=kind)


def test_an_embedder_failure_is_a_provider_error_that_writes_nothing(db_path):
    embedder = RaisingEmbedder()
    with Memory(db_path, embedder=embedder, background=False) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        before = dump(db_path)
        embedder.failing = True
        with pytest.raises(ProviderError, match="model file truncated.*then retry"):
            memory.add("Ann's dog Buddy is five", user_id="ann")  # was: RuntimeError
        with pytest.raises(ProviderError):
            memory.search("Buddy", user_id="ann")
        assert dump(db_path) == before
        embedder.failing = False
        assert memory.add("Ann's dog Buddy is five", user_id="ann")[0].op is Op.ADD


def test_an_embedder_returning_the_wrong_shape_is_a_provider_error(db_path):
    class Short(HashEmbedder):
        def embed(self, texts, *, kind="document"):
            return np.zeros((max(len(texts) - 1, 0), self.dimension), dtype=np.float32)

    with Memory(db_path, embedder=Short(), background=False) as memory:
        with pytest.raises(ProviderError, match="shape"):
            memory.add("Ann has a dog named Buddy", user_id="ann")


def test_the_worker_keeps_its_jobs_pending_while_the_embedder_fails(db_path):
    embedder = RaisingEmbedder()
    reply = ('{"notes": [{"turn": 1, "keywords": ["Buddy"], "tags": ["pets"], '
             '"context": "Ann has a dog named Buddy."}], "links": [], "updates": []}')
    llm = ScriptedLLM(default=reply)
    with Memory(db_path, embedder=embedder, llm=llm, background=False) as memory:
        memory.add("Ann has a dog named Buddy", user_id="ann")
        embedder.failing = True
        assert memory.process_llm_jobs() == 0  # an outage: not the job's fault
        assert memory.store.job_counts()["pending"] == 1
        assert memory.worker.stats.outages == 1
        embedder.failing = False
        assert memory.process_llm_jobs() == 1
        assert memory.store.job_counts()["done"] == 1


def test_the_llm_manager_retries_as_its_policy_says(db_path):
    reply = '{"operation": "NOOP", "target": 1, "tier": "long_term", "reason": "known"}'
    llm = ScriptedLLM([TransientLLMError("503"), TransientLLMError("503"), reply])
    manager = LLMManager(llm, retry=RetryPolicy(attempts=3, base_delay_s=0.0))
    with Memory(db_path, embedder=HashEmbedder(), manager=manager,
                background=False) as memory:
        (first,) = memory.add("Ann has a dog named Buddy", user_id="ann")
        started = time.monotonic()
        (again,) = memory.add("Ann has a dog called Buddy", user_id="ann")
        assert time.monotonic() - started < 1.0  # the default policy waits 1 s, then 2 s
        assert again.op is Op.NOOP and again.note_id == first.note_id and llm.calls == 3


def test_the_server_answers_a_store_that_may_recover_with_retry_after():
    from asem.server.errors import status_of

    assert status_of(StoreFullError("the disk is full")) == (507, "store_full")
    assert status_of(StoreUnreachableError("restarting")) == (503, "store_unreachable")
    assert status_of(StoreLockedError("busy")) == (503, "store_busy")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from asem.server.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/full")
    def full() -> None:
        raise StoreFullError("the disk is full; free some space, then retry")

    @app.get("/read-only")
    def read_only() -> None:
        raise StoreReadOnlyError("read-only")

    client = TestClient(app)
    answer = client.get("/full")
    assert answer.status_code == 507 and answer.headers["Retry-After"] == "1"
    assert answer.json() == {"code": "store_full",
                             "message": "the disk is full; free some space, then retry"}
    assert "Retry-After" not in client.get("/read-only").headers  # retrying will not help
