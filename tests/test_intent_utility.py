"""Intent-conditioned utility (ReadConfig.intent_utility): feedback moves a note for the
queries like the one that was rewarded, not for unrelated ones."""

from __future__ import annotations

import numpy as np
import pytest

from asem import MemoryConfig, ReadConfig
from asem.read.intent import conditioned_utility, transfer
from asem.types import FeedbackEvent

NOTES = [
    "Alice likes green tea",
    "Alice likes green tea with honey",
    "Alice walks her dog Rex in the park",
    "Alice walks to the park with Rex",
]
TEA = "Alice likes green tea"
DOG = "Alice walks her dog Rex"
INTENT = MemoryConfig(read=ReadConfig(intent_utility=True))
GLOBAL = MemoryConfig(read=ReadConfig(intent_utility=False))


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def ema(q: float, rewards: list[float], alpha: float = 0.1) -> float:
    for r in rewards:
        q += alpha * (r - q)
    return q


def test_transfer_is_zero_below_the_threshold_and_one_for_the_same_query():
    np.testing.assert_allclose(transfer(np.array([0.2, 0.5, 0.75, 1.0]), 0.5),
                               [0.0, 0.0, 0.5, 1.0])


def test_for_the_rewarded_query_it_is_the_global_ema():
    x = unit(1, 0, 0)
    events = [FeedbackEvent(x, r, 0.1, before)
              for r, before in ((1.0, 0.5), (-1.0, 0.55), (1.0, ema(0.5, [1.0, -1.0])))]
    assert conditioned_utility(x, events, 0.5) == pytest.approx(ema(0.5, [1.0, -1.0, 1.0]))


def test_for_an_unrelated_query_it_is_the_utility_before_any_feedback():
    events = [FeedbackEvent(unit(1, 0, 0), 1.0, 0.1, 0.3)]
    assert conditioned_utility(unit(0, 1, 0), events, 0.5) == 0.3
    halfway = unit(1, 1, 0)  # cos 0.707 with the rewarded query: w ≈ 0.41
    assert 0.3 < conditioned_utility(halfway, events, 0.5) < ema(0.3, [1.0])


def test_feedback_without_a_recorded_query_counts_fully():
    events = [FeedbackEvent(None, 1.0, 0.1, 0.5)]
    assert conditioned_utility(unit(0, 1, 0), events, 0.5) == pytest.approx(0.55)


def test_searches_record_their_query_vector_and_feedback_its_events(memory):
    for text in NOTES:
        memory.add(text, user_id="u")
    result = memory.search(TEA, user_id="u")
    memory.feedback(result.retrieval_id, 1.0, [result[0].note.id], user_id="u")
    memory.feedback(result.retrieval_id, -1.0, [result[0].note.id], user_id="u")
    events = memory.store.feedback_events([h.note.id for h in result])
    assert list(events) == [result[0].note.id]
    first, second = events[result[0].note.id]
    assert (first.reward, first.utility_before, first.learning_rate) == (1.0, 0.5, 0.1)
    assert (second.reward, second.utility_before) == (-1.0, pytest.approx(0.55))
    np.testing.assert_allclose(first.query_vector,
                               memory.embedder.embed([TEA], kind="query")[0], atol=1e-6)


def ranks(memory, query: str) -> list[str]:
    return [h.note.content for h in memory.search(query, user_id="u", k=4)]


def test_intent_utility_is_the_default():
    assert MemoryConfig().read.intent_utility and MemoryConfig().read.intent_similarity == 0.9


@pytest.fixture
def both(open_memory, memory):
    """A global-utility memory and an intent-conditioned one on the same file."""
    for text in NOTES:
        memory.add(text, user_id="u")
    return open_memory(GLOBAL), open_memory(INTENT)


def test_without_feedback_both_rank_the_same(both):
    plain, intent = both
    for query in (TEA, DOG, "Rex", "honey"):
        a, b = plain.search(query, user_id="u"), intent.search(query, user_id="u")
        assert [h.note.id for h in a] == [h.note.id for h in b]
        # Timeliness decays with the clock between the two searches (~1e-8 a second).
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-6)


def test_feedback_moves_the_note_for_its_query_only(both):
    plain, intent = both
    dog_before, tea_before = ranks(plain, DOG), ranks(plain, TEA)
    assert tea_before[:2] == [NOTES[0], NOTES[1]] and dog_before[-1] == NOTES[1]
    result = intent.search(TEA, user_id="u", k=4)
    for _ in range(2):
        # the honey note
        intent.feedback(result.retrieval_id, 1.0, [result[1].note.id], user_id="u")
    assert ranks(intent, TEA)[0] == NOTES[1]  # learned for the rewarded query
    assert ranks(intent, DOG) == dog_before  # unchanged for an unrelated one (usage too)
    assert ranks(plain, DOG)[1] == NOTES[1]  # one global utility moves it for every query
