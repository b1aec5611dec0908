"""The second hop of retrieval through bridge entities (asem.read.bridge)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from asem import MemoryConfig, ReadConfig
from asem.read.bridge import RRF_K, bridge_query, chain_merge
from asem.read.rank import Ranked
from asem.types import Note, Scope

RIVER = "The Bubye River is a tributary of the Limpopo River in Zimbabwe."
FALLS = "Victoria Falls lies on the Zambezi, on the border of Zambia and Zimbabwe."
QUESTION = "Which waterfall is in the country of the Bubye River?"
DISTRACTORS = [  # each shares a word of the question, none names Zimbabwe
    "A paper waterfall hung over the stage.",
    "The hotel lobby has an indoor waterfall.",
    "We painted a waterfall last spring.",
    "The country fair opens on Friday.",
    "She moved to the country for the quiet.",
    "Country music played all night.",
]


def _note(*entities: str) -> Note:
    at = datetime(2024, 1, 1)
    return Note(id="n", scope=Scope("u"), content="text", created_at=at, observed_at=at,
                event_time=at, entities=entities)


def _ranked(*ids: str) -> list[Ranked]:
    return [Ranked(i, 1.0 - n / 10, 0.0, 0.0) for n, i in enumerate(ids)]


def test_the_bridge_query_adds_only_entities_the_question_does_not_name():
    note = _note("Bubye River", "Limpopo River", "Zimbabwe", "1960", "3.5", "Zambezi")
    assert bridge_query(QUESTION, note, limit=2) == f"{QUESTION} Limpopo River Zimbabwe"
    assert bridge_query(QUESTION, note, limit=9) == (f"{QUESTION} Limpopo River Zimbabwe "
                                                     "Zambezi")
    assert bridge_query(QUESTION, _note("bubye river", "1999"), limit=4) is None


def test_chains_put_each_seed_next_to_the_best_new_note_of_its_search():
    first = _ranked("a", "b", "c", "d")
    follow = [_ranked("a", "x", "y"), None, _ranked("x", "z", "b")]
    merged = [r.note_id for r in chain_merge(first, follow)]
    # a → x (a itself is skipped), b started no search, c → z (x is already placed);
    # the rest by fused rank: y (1/(60+3)) and d (1/(60+4)) — b is already placed.
    assert merged[:5] == ["a", "x", "b", "c", "z"]
    assert set(merged[5:]) == {"d", "y"} and len(merged) == len(set(merged))
    scores = [r.score for r in chain_merge(first, follow)]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1 / (RRF_K + 1)


def test_the_rest_follows_by_reciprocal_rank_fusion():
    first = _ranked("a", "b", "c")
    follow = [_ranked("q", "c")]
    # a → q; then c (1/63 + 1/62) before b (1/62 alone)
    assert [r.note_id for r in chain_merge(first, follow)] == ["a", "q", "c", "b"]


@pytest.fixture
def two_steps(memory):
    """The river, the falls and notes that share the question's words but not its answer."""
    ids = {text: memory.add(text, user_id="u")[0].note_id
           for text in [RIVER, FALLS, *DISTRACTORS]}
    return ids[RIVER], ids[FALLS]


def test_a_second_hop_finds_the_note_named_only_by_a_first_hit(open_memory, two_steps):
    river, falls = two_steps
    # δ = 0.3 keeps the falls (cosine ~0.2 with the question) out of the first search's pool
    first = ReadConfig(min_similarity=0.3)
    plain = open_memory(MemoryConfig(read=first)).search(QUESTION, user_id="u", k=3)
    assert falls not in [h.note.id for h in plain]
    bridged = open_memory(MemoryConfig(read=replace(first, bridge_hops=True)))
    hits = bridged.search(QUESTION, user_id="u", k=3)
    found = {h.note.id: h for h in hits}
    assert river in found and found[river].via == "recall"
    assert falls in found and found[falls].via == "bridge"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_without_entities_to_follow_a_bridged_search_ranks_as_a_plain_one(open_memory,
                                                                           memory):
    for text in ["green tea with honey", "black tea with lemon", "coffee with milk"]:
        memory.add(text, user_id="u")
    plain = open_memory().search("green tea", user_id="u", k=3)
    bridged = open_memory(MemoryConfig(read=ReadConfig(bridge_hops=True))).search(
        "green tea", user_id="u", k=3)
    assert [h.note.id for h in bridged] == [h.note.id for h in plain]
