"""The BM25 channel's confidence: IDF coverage of the query by the best lexical match."""

from __future__ import annotations

import numpy as np
import pytest

from asem import MemoryConfig, ReadConfig
from asem.read.lexical import coverage, idf, weight_scale
from asem.read.rank import rank
from asem.read.recall import Candidates, _held_share, _within_budget, recall
from asem.types import Filters, Scope, now


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


def test_idf_falls_as_a_term_gets_common_and_stays_positive():
    values = [idf(n, 100) for n in (0, 1, 10, 50, 100)]
    assert values == sorted(values, reverse=True)
    assert values[-1] > 0
    assert idf(500, 100) == idf(100, 100)  # a count above N is clamped


def test_coverage_is_the_best_single_notes_share_of_the_idf_mass():
    stats = {"battery": (0, set()), "life": (40, {"a", "b"}), "tips": (10, {"b"})}
    weights = {t: idf(n, 200) for t, (n, _) in stats.items()}
    assert coverage(stats, 200) == pytest.approx(
        (weights["life"] + weights["tips"]) / sum(weights.values()))
    assert coverage({"rare": (1, {"a"})}, 200) == 1.0
    assert coverage({}, 200) == 0.0
    assert coverage({"rare": (1, set())}, 200) == 0.0


@pytest.mark.parametrize(("share", "expected"), [(0.0, 0.5), (0.3, 0.6), (0.5, 1.0), (0.9, 1.0)])
def test_weight_scale_is_share_over_sigma_between_the_floor_and_one(share, expected):
    assert weight_scale(share, 0.5, 0.5) == pytest.approx(max(0.5, expected))


def test_weight_scale_is_one_when_switched_off():
    assert weight_scale(0.0, 0.0, 0.5) == 1.0


def test_term_stats_count_the_callers_notes_and_name_the_candidates_that_match(memory):
    ids = [memory.add(text, user_id="u")[0].note_id
           for text in ["I love my life in Denver.", "Tips for a calm life.", "Tea tips."]]
    memory.add("Life, life, life.", user_id="someone else")
    stats = memory.store.term_stats("u", ["life", "tips", "battery"], ids[:2])
    assert stats["life"] == (2, {ids[0], ids[1]})
    assert stats["tips"] == (2, {ids[1]})  # the third note matches but is no candidate
    assert stats["battery"] == (0, set())


def test_a_weak_lexical_pool_no_longer_outvotes_the_closest_note(memory):
    # "a" matches generic words only (BM25 high, cosine low); "b" is the closest note.
    note_ids = [memory.add(text, user_id="u")[0].note_id for text in "abcd"]
    signals = memory.store.signals(note_ids)

    def first(scale: float) -> str:
        pool = Candidates(note_ids, np.array([0.05, 0.45, 0.10, 0.12]),
                          np.array([4.8, 0.0, 3.6, 2.9]), lexical_scale=scale)
        return "abcd"[note_ids.index(rank(pool, signals, ReadConfig(), now())[0].note_id)]

    assert first(1.0) == "a"
    assert first(0.5) == "b"


def test_recall_scales_the_lexical_weight_by_how_much_of_the_query_matched(open_memory):
    m = open_memory(MemoryConfig(read=ReadConfig(lexical_confidence=0.5)))
    for text in ["I love my life in Denver.", "Some tips for painting.",
                 "I went to a LGBTQ support group yesterday.", "My garden has tomatoes.",
                 "We hiked near the lake.", "The concert was loud."]:
        m.add(text, user_id="u")

    def scale(query: str, config: ReadConfig) -> float:
        vector = m.embedder.embed([query], kind="query")[0]
        return recall(vector, query, Scope("u"), Filters(), m.store, config).lexical_scale

    generic = "Any tips for the battery life of my phone lately?"
    named = "When did I go to the LGBTQ support group?"
    assert scale(generic, m.config.read) == 0.5  # "tips" and "life" are a small share
    assert scale(named, m.config.read) == 1.0
    assert scale(generic, ReadConfig(lexical_confidence=0.0)) == 1.0


class _Counted:
    """A store's ``term_stats`` over fixed postings (term → notes holding it), recording
    each call's note ids."""

    def __init__(self, postings: dict[str, set[str]]) -> None:
        self.postings = postings
        self.asked: list[list[str]] = []

    def term_stats(self, user_id, terms, note_ids):
        self.asked.append(list(note_ids))
        return {t: (len(self.postings.get(t, set())), self.postings.get(t, set()) & set(note_ids))
                for t in terms}


def _notes(prefix: str, count: int) -> set[str]:
    return {f"{prefix}{i}" for i in range(count)}


def test_a_query_over_the_postings_budget_ranks_by_its_rarest_terms_only():
    store = _Counted({"previous": _notes("p", 500), "conversation": _notes("c", 300),
                      "netflix": _notes("n", 20), "seasons": _notes("s", 60)})
    terms = ["previous", "conversation", "netflix", "seasons"]
    notes = 10_000  # live notes of the tenant
    assert _within_budget(store, "u", terms, notes, 400) == ["conversation", "netflix",
                                                             "seasons"]
    assert _within_budget(store, "u", terms, notes, 100) == ["netflix", "seasons"]
    assert _within_budget(store, "u", terms, notes, 5) == ["netflix"]  # the rarest stays
    assert _within_budget(store, "u", terms, notes, 880) == terms
    assert _within_budget(store, "u", terms, notes, None) == terms


def test_a_term_the_tenant_never_uses_does_not_push_out_the_rarest_it_does():
    store = _Counted({"remember": _notes("r", 450), "tell": _notes("t", 600)})
    terms = ["recomend", "remember", "tell"]  # a typo: no notes hold it
    assert _within_budget(store, "u", terms, 10_000, 400) == ["recomend", "remember"]
    assert _within_budget(store, "u", ["remember", "tell"], 10_000, 400) == ["remember"]


def test_a_tenant_too_small_to_reach_the_budget_is_never_counted():
    store = _Counted({"previous": _notes("p", 50)})
    assert _within_budget(store, "u", ["previous", "talk"], 100, 200) == [
        "previous", "talk"]
    assert store.asked == []


def test_the_held_share_asks_about_the_other_matches_only_when_the_best_holds_too_little():
    store = _Counted({"lgbtq": {"a"}, "support": {"a", "b"}, "group": {"b", "c"},
                      "tips": {"c"}})
    ranked = ["a", "b", "c"]
    full = coverage(store.term_stats("u", ["lgbtq", "support", "group"], ranked), 200)
    store.asked.clear()
    assert _held_share(store, "u", ["lgbtq", "support", "group"], ranked, 200, 0.5) == full
    assert store.asked == [["a"]]  # "a" holds the rarest words: the scale is 1 already
    for terms in (["tips", "group", "support"], ["group", "tips"]):
        full = coverage(store.term_stats("u", terms, ranked), 200)
        store.asked.clear()
        assert _held_share(store, "u", terms, ranked, 200, 0.99) == full
        assert store.asked == [["a"], ["b", "c"]]


def test_a_search_over_the_budget_ranks_by_the_rare_term_and_finds_its_note(open_memory):
    m = open_memory(MemoryConfig(read=ReadConfig(lexical_postings=5)))
    for i in range(10):
        m.add(f"Weekend plan number {i}: groceries, laundry and a walk.", user_id="u")
    wanted = m.add("The weekend we spent on the Zanzibar beach.", user_id="u")[0].note_id
    asked: list[list[str]] = []
    lexical = m.store.lexical

    def spy(user_id, terms, limit):
        asked.append(list(terms))
        return lexical(user_id, terms, limit)

    weighed: list[list[str]] = []
    term_stats = m.store.term_stats

    def stats_spy(user_id, terms, note_ids):
        if note_ids:  # the confidence's question, not the budget's count
            weighed.append(list(terms))
        return term_stats(user_id, terms, note_ids)

    m.store.lexical, m.store.term_stats = spy, stats_spy
    hits = m.search("Which weekend did we spend in Zanzibar?", user_id="u", k=3)
    assert len(asked) == 1 and "zanzibar" in asked[0]
    assert "weekend" not in asked[0]  # in every note: over the budget, left out
    assert weighed and all("weekend" in terms for terms in weighed)  # still weighed
    assert hits[0].note.id == wanted
