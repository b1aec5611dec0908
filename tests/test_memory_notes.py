"""Listing a tenant's notes, rewarding a note by id, and a manager chosen for one add."""

from __future__ import annotations

import pytest

from asem.errors import InvalidInputError, NotFoundError
from asem.types import Op


def test_list_notes_pages_oldest_first_within_the_scope(memory):
    texts = [f"Fact number {i} is about topic {chr(97 + i)}" for i in range(5)]
    ids = [memory.add(t, user_id="alice")[0].note_id for t in texts]
    memory.add("Bob has a cat", user_id="bob")
    memory.add("Alice's agent note", user_id="alice", agent_id="helper")

    everything = memory.list_notes("alice", limit=100)
    assert len(everything) == memory.count_notes("alice") == 6
    pages = [memory.list_notes("alice", limit=2, offset=o) for o in (0, 2, 4)]
    assert [n.id for page in pages for n in page] == [n.id for n in everything]
    order = [(n.created_at, n.id) for n in everything]
    assert order == sorted(order)  # oldest first; notes of one second in id order
    assert set(ids) <= {n.id for n in everything}
    assert [n.content for n in memory.list_notes("alice", agent_id="helper")] == [
        "Alice's agent note"]
    assert memory.count_notes("alice", agent_id="helper") == 1
    assert memory.list_notes("alice", limit=10, offset=6) == []
    assert memory.count_notes("carol") == 0


def test_list_notes_leaves_out_deleted_notes(memory):
    keep = memory.add("I live in Lisbon", user_id="alice")[0].note_id
    gone = memory.add("My car is a red Fiat", user_id="alice")[0].note_id
    memory.delete(gone, user_id="alice")
    assert [n.id for n in memory.list_notes("alice")] == [keep]
    assert memory.count_notes("alice") == 1


@pytest.mark.parametrize("limit, offset", [(0, 0), (-1, 0), (5, -1), (True, 0), ("5", 0)])
def test_list_notes_rejects_a_bad_page(memory, limit, offset):
    with pytest.raises(InvalidInputError):
        memory.list_notes("alice", limit=limit, offset=offset)


def test_feedback_note_rewards_the_latest_retrieval_that_returned_it(memory):
    note_id = memory.add("I adopted a dog named Buddy", user_id="alice")[0].note_id
    memory.search("dog", user_id="alice")
    latest = memory.search("what is my dog called", user_id="alice")
    assert note_id in [h.note.id for h in latest]

    result = memory.feedback_note(note_id, 1.0, user_id="alice")
    assert result.retrieval_id == latest.retrieval_id
    assert result.utilities == {note_id: (0.5, 0.55)}
    events = memory.store.feedback_events([note_id])[note_id]
    assert events[0].query_vector is not None  # conditioned on the query that found it


def test_feedback_note_on_a_note_never_retrieved_counts_for_every_query(memory):
    note_id = memory.add("I adopted a dog named Buddy", user_id="alice")[0].note_id
    result = memory.feedback_note(note_id, -1.0, user_id="alice")
    assert result.utilities[note_id] == (0.5, pytest.approx(0.35))
    assert memory.get(note_id, user_id="alice").utility == pytest.approx(0.35)
    assert memory.store.feedback_events([note_id])[note_id][0].query_vector is None


def test_feedback_note_of_another_tenant_is_not_found(memory):
    note_id = memory.add("I adopted a dog named Buddy", user_id="alice")[0].note_id
    memory.search("dog", user_id="alice")
    with pytest.raises(NotFoundError):
        memory.feedback_note(note_id, 1.0, user_id="bob")
    assert memory.get(note_id, user_id="alice").utility == 0.5


def test_a_manager_named_for_one_add_is_used_for_that_add_only(memory):
    first = memory.add("I adopted a dog named Buddy", user_id="alice")[0]
    # The rule manager records a near repeat on the note it repeats; always-add keeps the
    # input as it was said; the next add is the rule manager's again.
    assert memory.add("I adopted a dog named Buddy!", user_id="alice")[0].op is Op.NOOP
    again = memory.add("I adopted a dog named Buddy!!", user_id="alice",
                       manager="always-add")[0]
    assert again.op is Op.ADD and again.note_id != first.note_id
    assert memory.get(again.note_id, user_id="alice").content == "I adopted a dog named Buddy!!"
    assert memory.add("I adopted a dog named Buddy!!!", user_id="alice")[0].op is Op.NOOP
