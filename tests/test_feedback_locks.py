"""Feedback given at once on retrievals that share notes: every increment lands, nothing
deadlocks, and a store that is busy says so with a typed, retryable error."""

from __future__ import annotations

import pytest

from asem import Memory
from asem.errors import StoreLockedError
from asem.providers import HashEmbedder
from asem.types import Scope
from tests.test_write_concurrency import run_threads


@pytest.fixture
def db_path(store_target):
    return store_target


def test_feedback_on_notes_returned_in_both_orders_never_deadlocks(db_path):
    rounds, threads = 25, 6
    with Memory(db_path, embedder=HashEmbedder(), manager="always-add") as memory:
        ids = [r.note_id for r in memory.add([{"content": f"fact number {i} about Buddy"}
                                                for i in range(4)], user_id="u")]
        # Half the retrievals returned the notes in one order, half in the other.
        for n, order in enumerate((ids, ids[::-1])):
            memory.store.record_retrieval(f"r{n}", Scope("u"), "Buddy", order)

        def work(worker: int) -> None:
            with Memory(db_path, embedder=HashEmbedder(), manager="always-add") as own:
                for _ in range(rounds):
                    own.feedback(f"r{worker % 2}", 1.0, user_id="u")

        run_threads(threads, work)
        utilities = {n.id: n.utility for n in memory.list_notes("u")}
    # Every increment of reward 1: q = 1 − (1 − q0)(1 − α)^n, n = threads × rounds.
    expected = 1 - 0.5 * 0.9 ** (threads * rounds)
    assert utilities == pytest.approx({i: expected for i in ids}, abs=1e-9)


def test_a_deadlock_reported_by_postgresql_is_a_typed_retryable_error():
    pytest.importorskip("psycopg")
    from psycopg import errors as pg_errors

    from asem.stores.postgres.connection import translate

    for error in (pg_errors.DeadlockDetected("deadlock detected"),
                  pg_errors.LockNotAvailable("could not obtain lock"),
                  pg_errors.QueryCanceled("canceling statement due to lock timeout")):
        found = translate(error, "postgresql://u@h/db")
        assert isinstance(found, StoreLockedError) and "retry" in str(found)
