"""The feedback path: the EMA utility update, its validation, and that it never loses updates."""

from __future__ import annotations

import json
import math
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from asem import FeedbackConfig, InvalidInputError, Memory, MemoryConfig, NotFoundError
from asem.providers import HashEmbedder
from tests.conftest import query

NOTES = ["Alice likes green tea", "Alice likes green tea with honey", "Alice likes coffee"]


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL."""
    return store_target


@pytest.fixture
def retrieval(memory):
    """(retrieval id, note ids it returned, in rank order) for three stored notes."""
    for text in NOTES:
        memory.add(text, user_id="u")
    result = memory.search("Alice likes green tea", user_id="u")
    assert len(result) == 3
    return result.retrieval_id, [h.note.id for h in result]


def ema(q: float, reward: float, alpha: float, times: int) -> float:
    for _ in range(times):
        q = q + alpha * (reward - q)
    return q


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utilities(memory, ids):
    return [memory.get(i, user_id="u").utility for i in ids]


def test_utility_follows_the_ema_exactly(memory, retrieval):
    rid, ids = retrieval
    first = memory.feedback(rid, 1.0, user_id="u")
    assert first.retrieval_id == rid and first.reward == 1.0
    assert first.utilities == {i: (0.5, pytest.approx(0.55)) for i in ids}
    second = memory.feedback(rid, 1.0, user_id="u")
    assert second.utilities == {i: (pytest.approx(0.55), pytest.approx(0.595)) for i in ids}
    assert utilities(memory, ids) == [pytest.approx(0.595)] * 3


def test_negative_and_fractional_rewards(memory, retrieval):
    rid, ids = retrieval
    memory.feedback(rid, -1.0, [ids[0]], user_id="u")
    memory.feedback(rid, 0.25, [ids[1]], user_id="u")
    memory.feedback(rid, 0, [ids[2]], user_id="u")
    assert utilities(memory, ids) == [pytest.approx(0.35), pytest.approx(0.475),
                                      pytest.approx(0.45)]


def test_utility_converges_to_the_expected_reward(memory, retrieval):
    rid, ids = retrieval
    for _ in range(200):
        memory.feedback(rid, 0.2, [ids[0]], user_id="u")
    assert memory.get(ids[0], user_id="u").utility == pytest.approx(0.2, abs=1e-8)


def test_learning_rate_comes_from_the_config(open_memory, retrieval):
    rid, ids = retrieval
    m = open_memory(MemoryConfig(feedback=FeedbackConfig(learning_rate=0.5)))
    assert m.feedback(rid, 1.0, [ids[0]], user_id="u").utilities[ids[0]] == (0.5, 0.75)


def test_only_the_named_notes_change(memory, retrieval):
    rid, ids = retrieval
    result = memory.feedback(rid, 1.0, [ids[1], ids[1]], user_id="u")
    assert list(result.utilities) == [ids[1]]
    assert utilities(memory, ids) == [0.5, pytest.approx(0.55), 0.5]
    assert [memory.get(i, user_id="u").usage_count for i in ids] == [0, 1, 0]


def test_usage_count_and_last_used_are_updated(memory, retrieval):
    rid, ids = retrieval
    start = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    memory.feedback(rid, 1.0, user_id="u")
    memory.feedback(rid, -0.5, [ids[0]], user_id="u")
    notes = [memory.get(i, user_id="u") for i in ids]
    assert [n.usage_count for n in notes] == [2, 1, 1]
    assert all(start <= n.last_used <= utcnow() + timedelta(seconds=1)
               for n in notes)


def test_feedback_is_recorded(memory, retrieval, db_path):
    rid, ids = retrieval
    memory.feedback(rid, 0.5, [ids[0]], user_id="u")
    rows = query(db_path, "SELECT retrieval_id, reward, note_ids FROM feedback")
    # SQLite keeps the ids as JSON text, PostgreSQL as an array
    assert [(r, w, json.loads(n) if isinstance(n, str) else n) for r, w, n in rows] == [
        (rid, 0.5, [ids[0]])]


def test_a_note_not_in_the_retrieval_is_refused(memory, retrieval, snapshot):
    rid, ids = retrieval
    (other,) = memory.add("Bob plays chess", user_id="u")
    before = snapshot()
    with pytest.raises(InvalidInputError, match="not returned by retrieval"):
        memory.feedback(rid, 1.0, [ids[0], other.note_id], user_id="u")
    with pytest.raises(InvalidInputError, match="not returned by retrieval"):
        memory.feedback(rid, 1.0, ["no-such-note"], user_id="u")
    assert snapshot() == before


# Input checks, made before any store is asked: on one store.
@pytest.mark.parametrize("store_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("reward", [1.01, -1.5, 2, math.nan, math.inf, -math.inf, True, False,
                                    "1", "0.5", None, [1.0], np.bool_(True)])
def test_a_bad_reward_is_refused_and_changes_nothing(memory, retrieval, snapshot, reward):
    rid, _ = retrieval
    before = snapshot()
    with pytest.raises(InvalidInputError, match="reward"):
        memory.feedback(rid, reward, user_id="u")
    assert snapshot() == before


# Input checks, made before any store is asked: on one store.
@pytest.mark.parametrize("store_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("reward", [np.float32(0.5), np.float64(0.5), np.int64(1), -1, 1])
def test_numeric_rewards_of_any_type_are_accepted(memory, retrieval, reward):
    rid, ids = retrieval
    (old, new) = memory.feedback(rid, reward, [ids[0]], user_id="u").utilities[ids[0]]
    assert new == pytest.approx(old + 0.1 * (float(reward) - old))


def test_an_unknown_retrieval_id_is_not_found(memory, retrieval, snapshot):
    before = snapshot()
    with pytest.raises(NotFoundError, match="retrieval_id that search returned"):
        memory.feedback("0123456789abcdef", 1.0, user_id="u")
    for bad in ("", "   ", None):
        with pytest.raises(InvalidInputError):
            memory.feedback(bad, 1.0, user_id="u")
    assert snapshot() == before


def test_empty_note_ids_are_refused(memory, retrieval, snapshot):
    rid, _ = retrieval
    before = snapshot()
    with pytest.raises(InvalidInputError, match="note_ids is empty"):
        memory.feedback(rid, 1.0, [], user_id="u")
    assert snapshot() == before


def test_a_note_deleted_since_the_search_is_skipped(memory, retrieval):
    rid, ids = retrieval
    memory.delete(ids[0], user_id="u")
    result = memory.feedback(rid, 1.0, user_id="u")
    assert set(result.utilities) == set(ids[1:])
    assert memory.get(ids[0], include_deleted=True, user_id="u").utility == 0.5


# -- concurrency ---------------------------------------------------------------------------
ALPHA = 0.01  # small, so that a lost update would show in the final utility


def _feedback_many(path: str, retrieval_id: str, note_id: str, times: int) -> None:
    config = MemoryConfig(feedback=FeedbackConfig(learning_rate=ALPHA), busy_timeout_s=30.0)
    with Memory(path, embedder=HashEmbedder(), config=config) as m:
        for _ in range(times):
            m.feedback(retrieval_id, 1.0, [note_id], user_id="u")


def _assert_no_update_lost(memory, note_id: str, total: int) -> None:
    note = memory.get(note_id, user_id="u")
    assert note.usage_count == total
    # With a constant reward the EMA does not depend on the order of the updates.
    assert note.utility == ema(0.5, 1.0, ALPHA, total)
    assert sum(h.op == "FEEDBACK" for h in memory.history(note_id, user_id="u")) == total


def _run_threads(target, count: int) -> None:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            errors.append(e)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_threads_sharing_one_memory_lose_no_update(open_memory, retrieval):
    rid, ids = retrieval
    m = open_memory(MemoryConfig(feedback=FeedbackConfig(learning_rate=ALPHA)))

    def work() -> None:
        for _ in range(25):
            m.feedback(rid, 1.0, [ids[0]], user_id="u")

    _run_threads(work, 8)
    _assert_no_update_lost(m, ids[0], 8 * 25)


def test_threads_with_their_own_connections_lose_no_update(memory, retrieval, db_path):
    rid, ids = retrieval
    _run_threads(lambda: _feedback_many(str(db_path), rid, ids[0], 25), 8)
    _assert_no_update_lost(memory, ids[0], 8 * 25)


def test_two_processes_lose_no_update(memory, retrieval, db_path):
    rid, ids = retrieval
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_feedback_many, args=(str(db_path), rid, ids[0], 40))
               for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    _assert_no_update_lost(memory, ids[0], 80)

