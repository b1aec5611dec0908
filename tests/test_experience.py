"""Experience notes: an interaction kept as a note of the tenant, linked to the notes used,
found again by a like question (asem.lifecycle.experience)."""

from __future__ import annotations

import json

import pytest

from asem import Filters, Memory
from asem.llm.fake import ScriptedLLM
from asem.providers import HashEmbedder


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL."""
    return store_target


def test_an_episode_without_a_model_is_a_structured_record(memory):
    (fact,) = memory.add("Buddy is allergic to chicken", user_id="ana")
    result = memory.search("what food is Buddy allergic to", user_id="ana")
    fed = memory.feedback(result.retrieval_id, -1.0, user_id="ana", episode="beef")
    assert fed.experience_id is not None
    note = memory.get(fed.experience_id, user_id="ana")
    assert note.content.startswith('Experience: for "what food is Buddy allergic to" the '
                                   "memory's answer failed (reward -1.00). Answered: beef.")
    assert "experience" in note.tags and note.provenance.channel == "experience"
    assert [(lk.target_id, lk.relation) for lk in note.links] == [
        (fact.note_id, "used in an episode that failed")]
    # "Last time this failed" is found for a like question, and by its tag.
    later = memory.search("Buddy allergic food", user_id="ana", filters=Filters(tags="experience"))
    assert [h.note.id for h in later] == [fed.experience_id]


def test_no_episode_no_experience_note(memory):
    memory.add("Buddy is allergic to chicken", user_id="ana")
    result = memory.search("Buddy", user_id="ana")
    assert memory.feedback(result.retrieval_id, 1.0, user_id="ana").experience_id is None
    assert memory.count_notes("ana") == 1


def test_with_a_model_the_episode_is_a_one_sentence_lesson(db_path):
    lesson = "Check Buddy's allergy note before suggesting dog food."
    llm = ScriptedLLM([json.dumps({"lesson": lesson})])
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", llm=llm,
                background=False) as m:
        m.add("Buddy is allergic to chicken", user_id="ana")
        result = m.search("which dog food should I buy for Buddy", user_id="ana")
        fed = m.feedback(result.retrieval_id, 1.0, user_id="ana", episode=True)
        note = m.get(fed.experience_id, user_id="ana")
        assert note.content == lesson
        assert "which dog food should I buy for Buddy" in note.context  # the record's facts
        prompt = llm.requests[-1]["messages"][-1].content
        assert "Outcome: it worked" in prompt and "Buddy is allergic to chicken" in prompt


def test_a_failing_model_leaves_the_structured_record(db_path):
    llm = ScriptedLLM(default="not json at all")
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", llm=llm,
                background=False) as m:
        m.add("Buddy is allergic to chicken", user_id="ana")
        result = m.search("Buddy", user_id="ana")
        fed = m.feedback(result.retrieval_id, 0.5, user_id="ana", episode=True)
        assert m.get(fed.experience_id, user_id="ana").content.startswith("Experience: ")
