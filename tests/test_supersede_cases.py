"""Supersession end to end with the real MiniLM embedder and the default manager:
a change of a single-valued fact keeps the old value as a past fact, never returned as
current, returned ``as_of`` a time before the change and with ``include_superseded``;
history shows it and ``reopen`` undoes it."""

from __future__ import annotations

from datetime import datetime

import pytest

from asem import Memory
from asem.types import Op

SAID, CHANGED = datetime(2024, 1, 10, 9), datetime(2024, 6, 1, 18)
BEFORE = datetime(2024, 3, 1)

CASES = [
    pytest.param("My favourite food is pizza.", "My favourite food is sushi now.",
                 "What is my favourite food?", id="favourite-food"),
    pytest.param("My favourite colour is blue.", "Actually my favourite colour is green.",
                 "What is my favourite colour?", id="favourite-colour"),
    pytest.param("I am a nurse.", "I quit nursing and became a teacher.",
                 "What is my job?", id="job-change"),
    pytest.param("I live in Boston.", "I moved to Denver.", "Where do I live?",
                 id="moved"),
    pytest.param("I work at Google.", "I now work at Meta.", "Where do I work?",
                 id="employer"),
]


@pytest.fixture
def memory(db_path, embedder):
    with Memory(db_path, embedder=embedder) as m:  # the default manager
        yield m


@pytest.fixture
def learned_memory(db_path, embedder):
    with Memory(db_path, embedder=embedder, manager="learned") as m:
        yield m


def contents(result) -> list[str]:
    return [h.note.content for h in result]


@pytest.mark.parametrize(("before", "after", "question"), CASES)
def test_a_change_supersedes_the_old_value(memory, before, after, question):
    supersedes(memory, before, after, question)


@pytest.mark.parametrize(("before", "after", "question"), [
    pytest.param(*case.values, id=case.id) for case in CASES
    if case.id not in ("moved", "employer")])  # it merges these two into one note
def test_the_checkpoint_before_the_same_attribute_feature_still_supersedes(
        learned_memory, before, after, question):
    supersedes(learned_memory, before, after, question)


def supersedes(memory: Memory, before: str, after: str, question: str) -> None:
    (a,) = memory.add(before, user_id="u", timestamp=SAID)
    (b,) = memory.add(after, user_id="u", timestamp=CHANGED)
    assert (b.op, b.note_id) == (Op.SUPERSEDE, a.note_id), b.reason
    assert memory.get(b.added_id, user_id="u").content == after
    assert before not in contents(memory.search(question, user_id="u", expand_links=True))
    assert after in contents(memory.search(question, user_id="u"))
    past = memory.search(question, user_id="u", include_superseded=True)
    assert {(h.note.content, h.superseded) for h in past} >= {(before, True), (after, False)}
    assert contents(memory.search(question, user_id="u", as_of=BEFORE)) == [before]
    assert [e.op for e in memory.history(a.note_id, user_id="u")] == ["ADD", "SUPERSEDE"]
    memory.reopen(a.note_id, user_id="u")
    assert before in contents(memory.search(question, user_id="u"))


def test_a_retraction_ends_the_fact_with_no_successor(memory):
    (a,) = memory.add("I eat meat.", user_id="u", timestamp=SAID)
    (b,) = memory.add("I don't eat meat anymore.", user_id="u", timestamp=CHANGED)
    assert (b.op, b.note_id, b.added_id) == (Op.SUPERSEDE, a.note_id, None), b.reason
    assert "I eat meat." not in contents(memory.search("Do I eat meat?", user_id="u"))
    assert contents(memory.search("Do I eat meat?", user_id="u", as_of=BEFORE)) == [
        "I eat meat."]


@pytest.mark.parametrize(("before", "after"), [
    ("I am allergic to peanuts.", "I am allergic to shellfish too."),
    ("I adopted a dog named Buddy.", "I adopted another dog named Scout."),
])
def test_complementary_facts_merge_and_supersede_nothing(memory, before, after):
    (a,) = memory.add(before, user_id="u", timestamp=SAID)
    (b,) = memory.add(after, user_id="u", timestamp=CHANGED)
    assert (b.op, b.note_id) == (Op.UPDATE, a.note_id), b.reason
    note = memory.get(a.note_id, user_id="u")
    assert before.rstrip(".") in note.content and note.valid_until is None
