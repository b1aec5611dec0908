"""The write path: every stage-1 attribute, relative dates, links, NOOPs, chat and bulk input."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from asem import InvalidInputError, Memory, MemoryConfig, Message, Op, Scope, Tier, WriteConfig
from asem.chat import ChatTurn
from asem.providers import HashEmbedder

FRIENDS = ["Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan"]


def hike(name: str) -> str:
    return f"Alice went hiking on the mountain trail with her friend {name}"


def test_a_note_carries_every_stage_one_attribute(memory, monday):
    before = datetime.now().replace(microsecond=0) - timedelta(days=2)
    (r,) = memory.add("Yesterday I went to the gym with my friend Caroline and ran 5 km",
                      user_id="alice", agent_id="coach", session_id="s1", speaker="Melanie",
                      timestamp=monday, turn_id="D1:3", writer="agent", channel="chat")
    note = memory.get(r.note_id, user_id="alice")
    assert r.op is Op.ADD and note.id == r.note_id
    assert note.content == "Yesterday I went to the gym with my friend Caroline and ran 5 km"
    assert note.created_at >= before  # created now (UTC), not at the message time
    assert note.observed_at == monday
    assert note.event_time == datetime(2023, 5, 7)
    assert note.dates[0].phrase == "Yesterday" and note.dates[0].value == date(2023, 5, 7)
    assert note.keywords and all(k.lower() in note.content.lower() for k in note.keywords)
    assert note.tags == ("relationships", "fitness")
    assert "Melanie" in note.context and "8 May 2023" in note.context
    assert "7 May 2023" in note.context  # the resolved date, spelled out
    assert note.speaker == "Melanie"
    assert "Caroline" in note.entities and "5 km" in note.entities
    for vector in (note.embedding, note.intent_embedding):
        assert vector.dtype == np.float32 and vector.shape == (256,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)
    assert not np.allclose(note.embedding, note.intent_embedding)  # e also encodes attributes
    np.testing.assert_allclose(note.intent_embedding,
                               HashEmbedder().embed([note.content])[0], atol=1e-6)
    assert note.links == ()
    assert note.utility == 0.5 and note.usage_count == 0 and note.last_used is None
    assert note.tier is Tier.LONG_TERM
    assert note.scope == Scope("alice", "coach", "s1")
    assert note.provenance.source_id == "s1"
    assert note.provenance.turn_ids == ("D1:3",)
    assert note.provenance.writer == "agent" and note.provenance.channel == "chat"
    assert note.deleted_at is None


def test_a_note_without_speaker_has_no_speaker(memory, monday):
    (r,) = memory.add("I adopted a dog named Buddy last Friday", user_id="u", timestamp=monday)
    note = memory.get(r.note_id, user_id="u")
    assert note.context == "on 8 May 2023; last Friday = 5 May 2023"
    assert note.speaker is None


def test_initial_utility_comes_from_the_config(open_memory):
    from asem import FeedbackConfig

    m = open_memory(MemoryConfig(feedback=FeedbackConfig(initial_utility=0.2)))
    (r,) = m.add("Alice plays the cello", user_id="u")
    assert m.get(r.note_id, user_id="u").utility == 0.2


def test_timestamps_are_stored_as_naive_utc(memory):
    from datetime import timezone

    aware = datetime(2023, 5, 8, 15, 56, tzinfo=timezone(timedelta(hours=2)))
    (r,) = memory.add("Dinner at the harbour was lovely", user_id="u", timestamp=aware)
    assert memory.get(r.note_id, user_id="u").observed_at == datetime(2023, 5, 8, 13, 56)


@pytest.mark.parametrize(("text", "expected", "granularity"), [
    ("Yesterday I fixed the bike", date(2023, 5, 7), "day"),
    ("I adopted a dog last Friday", date(2023, 5, 5), "day"),
    ("We are moving to Berlin next month", date(2023, 6, 8), "month"),
    ("I quit my job two weeks ago", date(2023, 4, 24), "week"),
    ("The concert is tomorrow", date(2023, 5, 9), "day"),
    ("We went camping last weekend", date(2023, 5, 6), "weekend"),
    ("I ran a marathon last year", date(2022, 5, 8), "year"),
])
def test_relative_dates_become_absolute_dates_and_event_time(memory, monday, text, expected,
                                                             granularity):
    (r,) = memory.add(text, user_id="u", timestamp=monday)
    note = memory.get(r.note_id, user_id="u")
    assert [(d.value, d.granularity) for d in note.dates] == [(expected, granularity)]
    assert note.event_time == datetime.combine(expected, datetime.min.time())
    assert note.observed_at == monday
    assert note.to_dict()["dates"][0]["date"] == expected.isoformat()


def test_without_a_date_the_event_time_is_the_message_time(memory, monday):
    (r,) = memory.add("I like green tea", user_id="u", timestamp=monday)
    note = memory.get(r.note_id, user_id="u")
    assert note.dates == () and note.event_time == monday


def test_the_first_date_in_the_text_is_the_event_time(memory, monday):
    (r,) = memory.add("Two weeks ago I booked the flight we take next month", user_id="u",
                      timestamp=monday)
    note = memory.get(r.note_id, user_id="u")
    assert [d.value for d in note.dates] == [date(2023, 4, 24), date(2023, 6, 8)]
    assert note.event_time == datetime(2023, 4, 24)


def test_a_new_note_links_to_its_k_nearest_notes(memory):
    ids = [memory.add(hike(name), user_id="u")[0].note_id for name in FRIENDS[:6]]
    assert all(i is not None for i in ids) and len(set(ids)) == 6
    (last,) = memory.add(hike(FRIENDS[6]), user_id="u")
    links = memory.links(last.note_id, user_id="u")
    assert len(links) == 5  # k = 5 of the 6 candidates
    assert {lk.target_id for lk in links} <= set(ids)
    for link in links:
        assert link.relation == f"similar (cosine {link.strength:.2f})"
        assert link.strength >= 0.30
        back = {lk.target_id: lk for lk in memory.links(link.target_id, user_id="u")}
        assert back[last.note_id].relation == link.relation


def test_k_links_comes_from_the_config(open_memory):
    m = open_memory(MemoryConfig(write=WriteConfig(k_links=2)))
    for name in FRIENDS[:4]:
        m.add(hike(name), user_id="u")
    (last,) = m.add(hike(FRIENDS[4]), user_id="u")
    assert len(m.links(last.note_id, user_id="u")) == 2


def test_dissimilar_notes_are_not_linked(memory):
    (a,) = memory.add("Alice plays the cello in an orchestra every Thursday evening",
                      user_id="u", timestamp=datetime(2021, 3, 2))
    (b,) = memory.add("Quarterly tax returns are due before April for small businesses",
                      user_id="u", timestamp=datetime(2023, 11, 17))
    assert memory.links(a.note_id, user_id="u") == [] and memory.links(b.note_id, user_id="u") == []


def test_notes_of_other_users_are_never_linked(memory):
    memory.add(hike("Bob"), user_id="alice")
    (r,) = memory.add(hike("Carol"), user_id="mallory")
    assert memory.links(r.note_id, user_id="mallory") == []


def test_notes_in_one_batch_link_to_each_other(memory):
    results = memory.add([{"speaker": "A", "content": hike(n)} for n in FRIENDS[:3]],
                         user_id="u")
    first, second, third = (r.note_id for r in results)
    assert {lk.target_id for lk in memory.links(third, user_id="u")} == {first, second}


def test_the_rule_manager_says_noop_for_a_near_duplicate(memory):
    (a,) = memory.add("I adopted a dog named Buddy.", user_id="u", turn_id="t1")
    (b,) = memory.add("I adopted a dog named Buddy!!", user_id="u", turn_id="t2")
    assert b.op is Op.NOOP and b.note_id == a.note_id
    assert b.reason.startswith(f"near-duplicate of {a.note_id}")
    assert memory.get(a.note_id, user_id="u").provenance.turn_ids == ("t1", "t2")
    assert memory.get(a.note_id, user_id="u").content == "I adopted a dog named Buddy."
    assert memory.stats("u")["notes"] == 1


def test_a_merely_similar_text_is_added(memory):
    (a,) = memory.add("I adopted a dog named Buddy", user_id="u")
    (b,) = memory.add("I adopted another dog named Scout", user_id="u")
    assert b.op is Op.ADD and b.note_id != a.note_id


def test_the_duplicate_threshold_comes_from_the_config(open_memory):
    m = open_memory(MemoryConfig(write=WriteConfig(duplicate_similarity=0.5)))
    (a,) = m.add("I adopted a dog named Buddy", user_id="u")
    (b,) = m.add("I adopted another dog named Scout", user_id="u")
    assert b.op is Op.NOOP and b.note_id == a.note_id


def test_chat_messages_become_one_note_per_message(memory):
    messages = [
        {"speaker": "Caroline", "content": "I went to a support group yesterday",
         "timestamp": "2023-05-08T13:56:00", "turn_id": "D1:1"},
        {"speaker": "Melanie", "content": "That sounds great, how did it go?",
         "timestamp": "2023-05-08T13:57:00", "turn_id": "D1:2"},
        Message("It was really moving", "Caroline", datetime(2023, 5, 8, 13, 58), "D1:3"),
    ]
    results = memory.add(messages, user_id="u", session_id="session_1")
    assert [r.op for r in results] == [Op.ADD] * 3
    notes = [memory.get(r.note_id, user_id="u") for r in results]
    assert [n.content for n in notes] == [
        "I went to a support group yesterday", "That sounds great, how did it go?",
        "It was really moving"]
    assert [n.speaker for n in notes] == ["Caroline", "Melanie", "Caroline"]
    assert [n.provenance.turn_ids for n in notes] == [("D1:1",), ("D1:2",), ("D1:3",)]
    assert [n.observed_at.minute for n in notes] == [56, 57, 58]
    assert notes[0].event_time == datetime(2023, 5, 7)
    assert {n.provenance.source_id for n in notes} == {"session_1"}
    assert {n.scope for n in notes} == {Scope("u", None, "session_1")}


def test_role_and_text_are_accepted_as_message_fields(memory):
    (r,) = memory.add([{"role": "user", "text": "My sister lives in Lisbon", "id": 7}],
                      user_id="u")
    note = memory.get(r.note_id, user_id="u")
    assert note.speaker == "user" and note.provenance.turn_ids == ("7",)


def test_a_repeated_message_in_one_batch_is_a_noop(memory):
    results = memory.add([{"content": "Buddy loves the beach", "turn_id": "a"},
                          {"content": "Buddy loves the beach", "turn_id": "b"}], user_id="u")
    assert [r.op for r in results] == [Op.ADD, Op.NOOP]
    assert results[0].note_id == results[1].note_id
    assert memory.get(results[0].note_id, user_id="u").provenance.turn_ids == ("a", "b")


def test_ingest_writes_in_batches_and_reports_progress(open_memory):
    m = open_memory(MemoryConfig(write=WriteConfig(batch_size=3)))
    turns = [ChatTurn(Message(f"{name} came to the barbecue on Sunday", "Alice",
                              datetime(2023, 5, 8), f"D1:{i}"), "s1")
             for i, name in enumerate(FRIENDS[:7])]
    statements: list[str] = []
    m.store._conn.set_trace_callback(statements.append)
    progress: list[tuple[int, int]] = []
    results = m.ingest(turns, user_id="u", progress=lambda done, total: progress.append(
        (done, total)))
    m.store._conn.set_trace_callback(None)
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert statements.count("COMMIT") == 3  # one transaction per batch
    assert [r.op for r in results] == [Op.ADD] * 7
    notes = [m.get(r.note_id, user_id="u") for r in results]
    assert [n.provenance.turn_ids for n in notes] == [(f"D1:{i}",) for i in range(7)]
    assert {n.provenance.source_id for n in notes} == {"s1"}
    assert {n.provenance.channel for n in notes} == {"import"}


def test_ingest_accepts_plain_dicts(memory):
    results = memory.ingest([{"speaker": "A", "content": "Alice has two cats"},
                             {"speaker": "B", "content": "Bob has a parrot"}], user_id="u")
    assert len(results) == 2 and memory.stats("u")["notes"] == 2


def test_ingest_validates_every_turn_before_writing(memory, snapshot):
    memory.add("an earlier note", user_id="u")
    before = snapshot()
    turns = [{"content": "a fine turn"}, {"content": "another fine turn"}, {"content": "   "}]
    with pytest.raises(InvalidInputError, match="turn 3"):
        memory.ingest(turns, user_id="u")
    assert snapshot() == before


class StaleView:
    """The store as a writer saw it just before another writer stored the same content."""

    def __init__(self, store) -> None:
        self._store = store
        self._stale = True

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def vector_index(self, user_id: str):
        from asem.stores import VectorIndex

        return VectorIndex()

    def note_ids_for_hashes(self, scope, hashes):
        if self._stale:
            self._stale = False
            return {}
        return self._store.note_ids_for_hashes(scope, hashes)


def test_losing_a_race_to_the_same_content_is_a_noop_that_keeps_provenance(memory):
    from asem.write.inputs import make_input
    from asem.write.pipeline import WriteDeps, write

    (winner,) = memory.add("Buddy loves the beach", user_id="u", turn_id="t1")
    deps = WriteDeps(StaleView(memory.store), memory.embedder, memory.enricher,
                     memory.manager, memory.config)
    item = make_input("Buddy loves the beach", Scope("u"), max_chars=100, turn_ids=("t2",))
    (result,) = write([item], deps)
    assert result.op is Op.NOOP and result.note_id == winner.note_id
    assert memory.get(winner.note_id, user_id="u").provenance.turn_ids == ("t1", "t2")
    assert memory.stats("u")["notes"] == 1


def test_writes_record_the_writer_as_history_actor(memory):
    (r,) = memory.add("Alice plays the cello", user_id="u", writer="agent")
    (entry,) = memory.history(r.note_id, user_id="u")
    assert entry.op == "ADD" and entry.actor == "agent"


def test_memory_update_rebuilds_attributes_and_vectors(memory, monday):
    (r,) = memory.add("Alice plays the cello", user_id="u", speaker="Alice", timestamp=monday)
    old = memory.get(r.note_id, user_id="u")
    new = memory.update(r.note_id, "Alice plays the violin in a jazz band", user_id="u")
    assert new.content == "Alice plays the violin in a jazz band"
    assert "music" in new.tags and new.updated_at is not None
    assert new.speaker == "Alice" and new.observed_at == monday
    assert not np.allclose(new.embedding, old.embedding)
    assert memory.search("violin jazz band", user_id="u")[0].note.id == r.note_id


def test_update_of_a_note_without_speaker_keeps_no_speaker(memory, monday):
    (r,) = memory.add("I like green tea", user_id="u", timestamp=monday)
    note = memory.update(r.note_id, "I like black tea", user_id="u")
    assert note.context == "on 8 May 2023"


def test_update_moves_the_event_time_to_the_new_date(memory, monday):
    (r,) = memory.add("I adopted a dog", user_id="u", timestamp=monday)
    note = memory.update(r.note_id, "I adopted a dog yesterday", user_id="u")
    assert note.dates[0].value == date(2023, 5, 7)
    assert note.event_time == datetime(2023, 5, 7)


def test_update_to_content_another_note_holds_is_refused(memory, snapshot):
    (a,) = memory.add("Alice plays the cello", user_id="u")
    memory.add("Alice plays the violin", user_id="u")
    before = snapshot()
    with pytest.raises(InvalidInputError, match="already holds"):
        memory.update(a.note_id, "alice plays the VIOLIN", user_id="u")
    assert snapshot() == before


def test_memory_needs_a_path_or_a_store():
    with pytest.raises(InvalidInputError):
        Memory(embedder=HashEmbedder())
