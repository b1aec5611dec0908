"""Dense pseudo-relevance feedback for questions that count or sum."""

from __future__ import annotations

import numpy as np
import pytest

from asem import MemoryConfig, ReadConfig
from asem.read.recall import _expanded
from asem.read.terms import asks_for_total
from asem.stores.base import VectorIndex
from asem.stores.dense import MatrixSource


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


@pytest.mark.parametrize(("question", "total"), [
    ("How many different doctors did I visit?", True),
    ("How much did I spend on coffee?", True),
    ("What is the total weight of the feed I bought?", True),
    ("How many days passed between the two trips, in all?", True),
    ("What did Melanie paint recently?", False),
    ("How did Gina promote her store?", False),
    ("Did I mention a totally new hobby?", False),
])
def test_a_question_asks_for_a_total_when_it_counts_or_sums(question, total):
    assert asks_for_total(question) is total


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_expanded_query_leans_towards_the_mean_of_the_nearest_notes():
    index = VectorIndex(["a", "b", "c"], np.stack([_unit(1, 0, 0), _unit(0, 1, 0),
                                                   _unit(0, 0, 1)]), np.zeros((3, 3)))
    q = _unit(1, 0.2, 0)
    config = ReadConfig(query_expansion=0.5, expansion_notes=2)
    expanded = _expanded(q, MatrixSource(index, np.ones(3, dtype=bool)), config)
    want = q + 0.5 * (index.embeddings[0] + index.embeddings[1]) / 2
    np.testing.assert_allclose(expanded, want / np.linalg.norm(want), rtol=1e-6)
    masked = MatrixSource(index, np.array([True, False, True]))  # "b" out of scope: not averaged
    expanded = _expanded(q, masked, ReadConfig(query_expansion=0.5, expansion_notes=5))
    want = q + 0.5 * (index.embeddings[0] + index.embeddings[2]) / 2
    np.testing.assert_allclose(expanded, want / np.linalg.norm(want), rtol=1e-6)

def _pool(memory, question: str) -> dict[str, float]:
    result = memory.search(question, user_id="u", k=10)
    return {h.note.content: h.similarity for h in result}


def test_a_counting_question_reaches_notes_that_share_no_word_with_it(open_memory):
    read = dict(lexical_weight=0.0, context_weight=0.0, expansion_notes=1)
    plain = open_memory(MemoryConfig(read=ReadConfig(query_expansion=0.0, **read)))
    for text in ["I own two dogs now", "Buddy the beagle chases squirrels in the yard",
                 "Sourdough bread rises slowly overnight"]:
        plain.add(text, user_id="u")
    expanding = open_memory(MemoryConfig(read=ReadConfig(query_expansion=1.0, **read)))
    buddy = "Buddy the beagle chases squirrels in the yard"
    assert buddy not in _pool(plain, "How many dogs do I own?")
    assert buddy in _pool(expanding, "How many dogs do I own?")  # through "I own two dogs"
    assert buddy not in _pool(expanding, "Which dogs do I own?")  # not a count: no expansion
    everything = open_memory(MemoryConfig(read=ReadConfig(query_expansion=1.0,
                                                          expand_all_queries=True, **read)))
    assert buddy in _pool(everything, "Which dogs do I own?")
