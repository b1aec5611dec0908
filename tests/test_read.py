"""The read path: scope isolation, filters, Phase B value-aware ranking, link expansion."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from asem import (
    Filters,
    InvalidInputError,
    MemoryConfig,
    ReadConfig,
    ScopeError,
    SearchResult,
    Tier,
)


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


TEA = [
    "Alice likes green tea",
    "Alice likes green tea with honey",
    "Alice likes black tea with lemon and sugar",
    "Alice likes coffee",
]
OFF_TOPIC = "The quarterly tax return is due in April"
QUERY = "Alice likes green tea"
# Dense similarity only, no timeliness or usage terms: Phase B is exactly the SPEC formula.
PURE = ReadConfig(lexical_weight=0.0, timeliness_weight=0.0, usage_weight=0.0,
                  diversity_weight=0.0)  # Phase B alone: no re-scoring of the top k after it


def zscore(values):
    values = np.asarray(values, dtype=np.float64)
    return (values - values.mean()) / values.std()


@pytest.fixture
def tea(memory):
    """The TEA notes plus one off-topic note; returns their ids in order."""
    return [memory.add(text, user_id="u")[0].note_id for text in [*TEA, OFF_TOPIC]]


def ids(result: SearchResult) -> list[str]:
    return [h.note.id for h in result]


# -- scope ---------------------------------------------------------------------------------
def test_a_search_never_returns_another_users_note(memory):
    (mine,) = memory.add("My bank PIN is 4921", user_id="alice")
    (theirs,) = memory.add("My bank PIN is 4921", user_id="bob")
    result = memory.search("bank PIN", user_id="alice", k=10)
    assert ids(result) == [mine.note_id]
    assert ids(memory.search("bank PIN", user_id="bob", k=10)) == [theirs.note_id]
    assert memory.search("bank PIN", user_id="carol").empty


def test_feedback_cannot_reach_another_users_note(memory):
    memory.add("My bank PIN is 4921", user_id="alice")
    (theirs,) = memory.add("My bank PIN is 4921", user_id="bob")
    result = memory.search("bank PIN", user_id="alice")
    with pytest.raises(InvalidInputError):
        memory.feedback(result.retrieval_id, 1.0, [theirs.note_id], user_id="alice")
    assert memory.get(theirs.note_id, user_id="bob").utility == 0.5


def test_agent_and_session_narrow_the_scope(memory):
    a1 = memory.add("Alice likes green tea", user_id="u", agent_id="a1",
                    session_id="s1")[0].note_id
    a2 = memory.add("Alice likes green tea with honey", user_id="u", agent_id="a2",
                    session_id="s2")[0].note_id
    shared = memory.add("Alice likes green tea at noon", user_id="u")[0].note_id
    assert set(ids(memory.search(QUERY, user_id="u", k=10))) == {a1, a2, shared}
    assert ids(memory.search(QUERY, user_id="u", agent_id="a1", k=10)) == [a1]
    assert ids(memory.search(QUERY, user_id="u", agent_id="a2", k=10)) == [a2]
    assert ids(memory.search(QUERY, user_id="u", session_id="s2", k=10)) == [a2]
    assert memory.search(QUERY, user_id="u", agent_id="a1", session_id="s2").empty


def test_link_expansion_stays_in_the_callers_scope(memory):
    a1 = memory.add("Alice likes green tea", user_id="u", agent_id="a1")[0].note_id
    shared = memory.add("Alice likes green tea with honey", user_id="u")[0].note_id
    assert a1 in {lk.target_id for lk in memory.links(shared, user_id="u")}
    result = memory.search("honey", user_id="u", agent_id="a1", expand_links=True)
    assert shared not in ids(result)
    result = memory.search("honey", user_id="u", expand_links=True, k=1)
    assert ids(result) == [shared, a1]


@pytest.mark.parametrize("user_id", ["", "   ", None])
def test_a_search_without_a_user_is_refused(memory, user_id):
    memory.add("Alice likes green tea", user_id="u")
    with pytest.raises(ScopeError, match="user scope is required"):
        memory.search(QUERY, user_id=user_id)
    with pytest.raises(ScopeError):
        memory.add("Alice likes green tea", user_id=user_id)


def test_an_empty_agent_id_is_refused(memory):
    with pytest.raises(ScopeError):
        memory.search(QUERY, user_id="u", agent_id="")


# -- filters -------------------------------------------------------------------------------
def test_tag_filter(memory):
    dog = memory.add("Alice adopted a dog named Rex", user_id="u")[0].note_id
    guitar = memory.add("Alice plays the guitar every day", user_id="u")[0].note_id
    assert set(ids(memory.search("Alice", user_id="u"))) == {dog, guitar}
    assert ids(memory.search("Alice", user_id="u", filters=Filters(tags=("pets",)))) == [dog]
    assert ids(memory.search("Alice", user_id="u", filters=Filters(tags=("music",)))) == [guitar]
    both = Filters(tags=("music", "pets"))
    assert set(ids(memory.search("Alice", user_id="u", filters=both))) == {dog, guitar}
    assert memory.search("Alice", user_id="u", filters=Filters(tags=("travel",))).empty


def test_keyword_filter_is_case_insensitive(memory):
    dog = memory.add("Alice adopted a dog named Rex", user_id="u")[0].note_id
    guitar = memory.add("Alice plays the guitar every day", user_id="u")[0].note_id
    keyword = next(k for k in memory.get(dog, user_id="u").keywords
                   if k not in memory.get(guitar, user_id="u").keywords)
    found = memory.search("Alice", user_id="u", filters=Filters(keywords=(keyword.upper(),)))
    assert ids(found) == [dog]


def test_since_and_until_filter_on_event_time(memory, monday):
    rome = memory.add("Alice visited Rome last year", user_id="u", timestamp=monday)[0].note_id
    paris = memory.add("Alice visited Paris yesterday", user_id="u",
                       timestamp=monday)[0].note_id
    oslo = memory.add("Alice visited Oslo", user_id="u", timestamp=monday)[0].note_id

    def visited(**kw):
        return set(ids(memory.search("Alice visited", user_id="u", k=10,
                                     filters=Filters(**kw))))

    assert visited() == {rome, paris, oslo}
    assert visited(since=datetime(2023, 5, 1)) == {paris, oslo}
    assert visited(until=datetime(2023, 1, 1)) == {rome}
    assert visited(since=datetime(2023, 5, 7), until=datetime(2023, 5, 7)) == {paris}
    assert visited(since=datetime(2023, 5, 8, 13, 56)) == {oslo}
    assert visited(since=datetime(2024, 1, 1)) == set()


def test_filters_accept_one_tag_as_a_string_and_aware_times(memory, monday):
    from datetime import timedelta, timezone

    dog = memory.add("Alice adopted a dog named Rex", user_id="u", timestamp=monday)[0].note_id
    memory.add("Alice plays the guitar every day", user_id="u", timestamp=monday)
    assert ids(memory.search("Alice", user_id="u", filters=Filters(tags="pets"))) == [dog]
    assert Filters(tags=None, keywords=["a", "b"]) == Filters(keywords=("a", "b"))
    eastern = timezone(timedelta(hours=-5))  # 13:56 UTC is 08:56 at UTC−5
    after = Filters(since=datetime(2023, 5, 8, 9, 0, tzinfo=eastern))
    before = Filters(since=datetime(2023, 5, 8, 8, 0, tzinfo=eastern), tags=("pets",))
    assert memory.search("Alice", user_id="u", filters=after).empty
    assert ids(memory.search("Alice", user_id="u", filters=before)) == [dog]
    with pytest.raises(InvalidInputError, match="datetime"):
        Filters(since="2023-05-08")


def test_since_after_until_is_refused():
    with pytest.raises(InvalidInputError, match="swap"):
        Filters(since=datetime(2024, 1, 1), until=datetime(2023, 1, 1))


def test_session_and_tier_filters(memory):
    s1 = memory.add("Alice likes green tea", user_id="u", session_id="s1")[0].note_id
    memory.add("Alice likes green tea with honey", user_id="u", session_id="s2")
    assert ids(memory.search(QUERY, user_id="u", filters=Filters(session_id="s1"))) == [s1]
    assert len(memory.search(QUERY, user_id="u", filters=Filters(tier=Tier.LONG_TERM))) == 2
    assert memory.search(QUERY, user_id="u", filters=Filters(tier=Tier.SHORT_TERM)).empty


def test_filters_combine_with_similarity(memory):
    """"Notes tagged pets" is a filter plus similarity: the best match among the pets notes."""
    dog = memory.add("Alice adopted a dog named Rex", user_id="u")[0].note_id
    cat = memory.add("Alice has a cat named Tom", user_id="u")[0].note_id
    memory.add("Alice named her guitar Rex", user_id="u")
    result = memory.search("dog named Rex", user_id="u", filters=Filters(tags=("pets",)))
    assert ids(result)[0] == dog and set(ids(result)) <= {dog, cat}


# -- Phase B -------------------------------------------------------------------------------
def test_phase_b_is_z_scored_similarity_and_utility_within_the_pool(open_memory, tea):
    m = open_memory(MemoryConfig(read=PURE))
    first = m.search(QUERY, user_id="u", k=10)
    m.feedback(first.retrieval_id, 1.0, [tea[2]], user_id="u")
    m.feedback(first.retrieval_id, -1.0, [tea[3]], user_id="u")

    result = m.search(QUERY, user_id="u", k=10)
    assert tea[4] not in ids(result)  # the off-topic note is outside the pool C(q)
    assert len(result) == 4
    sims = [h.similarity for h in result]
    utilities = [h.note.utility for h in result]
    expected = 0.6 * zscore(sims) + 0.4 * zscore(utilities)  # (1 − λ)·ẑ(sim) + λ·ẑ(q)
    np.testing.assert_allclose([h.score for h in result], expected, atol=1e-9)
    assert [h.score for h in result] == sorted((h.score for h in result), reverse=True)
    for hit in result:
        assert hit.similarity == pytest.approx(float(hit.note.embedding @ m.embedder.embed(
            [QUERY], kind="query")[0]), abs=1e-6)


def test_with_equal_utilities_the_order_is_by_relevance(open_memory, tea):
    m = open_memory(MemoryConfig(read=PURE))
    result = m.search(QUERY, user_id="u", k=10)
    assert ids(result) == tea[:4]
    assert [h.similarity for h in result] == sorted((h.similarity for h in result),
                                                    reverse=True)
    np.testing.assert_allclose([h.score for h in result],
                               0.6 * zscore([h.similarity for h in result]), atol=1e-9)


def test_k_limits_the_hits(memory, tea):
    assert ids(memory.search(QUERY, user_id="u", k=2)) == tea[:2]
    assert len(memory.search(QUERY, user_id="u")) == 4  # default k2 = 5, pool of 4
    with pytest.raises(InvalidInputError):
        memory.search(QUERY, user_id="u", k=0)


def test_feedback_moves_a_useful_note_up(memory, tea):
    assert ids(memory.search(QUERY, user_id="u", k=2)) == tea[:2]
    result = memory.search(QUERY, user_id="u", k=2)
    for _ in range(2):
        memory.feedback(result.retrieval_id, 1.0, [tea[1]], user_id="u")
    assert ids(memory.search(QUERY, user_id="u", k=2)) == [tea[1], tea[0]]


def test_negative_feedback_moves_a_note_down(memory, tea):
    result = memory.search(QUERY, user_id="u", k=2)
    for _ in range(3):
        memory.feedback(result.retrieval_id, -1.0, [tea[0]], user_id="u")
    assert ids(memory.search(QUERY, user_id="u", k=2)) == [tea[1], tea[0]]


def test_with_lambda_zero_utility_is_ignored(open_memory, tea):
    m = open_memory()
    result = m.search(QUERY, user_id="u", k=10)
    for _ in range(5):
        m.feedback(result.retrieval_id, 1.0, [tea[3]], user_id="u")
        m.feedback(result.retrieval_id, -1.0, [tea[0]], user_id="u")
    blind = open_memory(MemoryConfig(read=ReadConfig(
        lexical_weight=0.0, timeliness_weight=0.0, usage_weight=0.0, utility_weight=0.0,
        diversity_weight=0.0)))
    result = blind.search(QUERY, user_id="u", k=10)
    assert ids(result) == tea[:4]
    np.testing.assert_allclose([h.score for h in result],
                               zscore([h.similarity for h in result]), atol=1e-9)
    assert ids(m.search(QUERY, user_id="u", k=10)) != tea[:4]  # λ = 0.4 does see it


def test_min_similarity_bounds_the_dense_channel(open_memory, tea):
    strict = open_memory(MemoryConfig(read=ReadConfig(min_similarity=0.8, lexical_weight=0.0)))
    dense_only = [h for h in strict.search("green tea honey", user_id="u", k=10)
                  if h.lexical == 0.0]
    assert all(h.similarity > 0.8 for h in dense_only)


def test_lexical_recall_finds_rare_words_below_the_similarity_threshold(memory):
    (r,) = memory.add("The wifi password at the cabin is Zq7-kestrel-88 and the door code "
                      "is written on the fridge next to the calendar", user_id="u")
    result = memory.search("kestrel", user_id="u")
    assert ids(result) == [r.note_id]
    assert result[0].similarity < 0.30 and result[0].lexical > 0


# -- link expansion ------------------------------------------------------------------------
def test_link_expansion_adds_neighbours_marked_as_links(memory, tea):
    plain = memory.search(QUERY, user_id="u", k=1)
    assert ids(plain) == [tea[0]] and plain[0].via == "recall"
    result = memory.search(QUERY, user_id="u", k=1, expand_links=True)
    assert result[0].note.id == tea[0] and result[0].via == "recall"
    linked = result[1:]
    assert linked and {h.via for h in linked} == {"link"}
    assert {h.note.id for h in linked} == {lk.target_id for lk in memory.links(tea[0], user_id="u")}
    assert all(h.score < result[0].score for h in linked)
    assert [h.score for h in linked] == sorted((h.score for h in linked), reverse=True)


def test_link_expansion_skips_deleted_neighbours(memory, tea):
    memory.delete(tea[1], user_id="u")
    result = memory.search(QUERY, user_id="u", k=1, expand_links=True)
    assert tea[1] not in ids(result)


def test_expand_links_can_be_the_default(open_memory, tea):
    m = open_memory(MemoryConfig(read=ReadConfig(expand_links=True)))
    assert "link" in {h.via for h in m.search(QUERY, user_id="u", k=1)}


# -- results -------------------------------------------------------------------------------
def test_empty_memory_gives_an_empty_result_with_a_retrieval_id(memory):
    result = memory.search("anything at all", user_id="u")
    assert isinstance(result, SearchResult) and result.empty and len(result) == 0
    assert result.retrieval_id and result.query == "anything at all"
    assert memory.feedback(result.retrieval_id, 1.0, user_id="u").utilities == {}


def test_no_match_is_empty(memory, tea):
    assert memory.search("zebra xylophone", user_id="u").empty


def test_every_search_has_its_own_recorded_retrieval_id(memory, tea):
    a = memory.search(QUERY, user_id="u")
    b = memory.search(QUERY, user_id="u")
    assert a.retrieval_id != b.retrieval_id and ids(a) == ids(b)
    assert set(memory.feedback(a.retrieval_id, 0.5, user_id="u").utilities) == set(ids(a))
    assert memory.stats("u")["retrievals"] == 2


def test_search_result_is_a_sequence_of_hits(memory, tea):
    result = memory.search(QUERY, user_id="u")
    assert result[0] is result.hits[0] and list(result) == list(result.hits)
    assert not result.empty


@pytest.mark.parametrize("query", ["", "   ", "\x00"])
def test_an_empty_query_is_refused(memory, query):
    with pytest.raises(InvalidInputError, match="empty"):
        memory.search(query, user_id="u")
