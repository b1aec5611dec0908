"""Ingesting a conversation again changes nothing: a turn is known by its id.

A turn is recognised before the manager sees it when a note of its scope holds its turn ids
and either comes from the same source with the same content (live, or deleted since) or was
deleted by that turn; a NOOP onto a note that holds the input's turn ids records no
provenance, history or turn row a second time.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from asem import Memory, Op
from asem.providers import HashEmbedder
from tests.test_cli import run

CHAT = {"sessions": [
    {"id": "s1", "timestamp": "2023-05-08T13:56:00", "messages": [
        {"speaker": "Ana", "content": "I adopted a dog named Buddy", "id": "D1:1"},
        {"speaker": "Ben", "content": "Nice!", "id": "D1:2"},
        {"speaker": "Ana", "content": "I drink coffee every morning", "id": "D1:3"},
        {"speaker": "Ana", "content": "Nice!", "id": "D1:4"},
    ]},
    {"id": "s2", "timestamp": "2023-05-09T13:56:00", "messages": [
        {"speaker": "Ana", "content": "I don't drink coffee anymore", "id": "D2:1"},
        {"speaker": "Ana", "content": "I adopted another dog named Scout", "id": "D2:2"},
        {"speaker": "Ben", "content": "Nice!", "id": "D2:3"},
    ]},
]}
"""A session, and a later one that retracts a fact of the first and adds to another."""


def learned(path):
    """The manager ``learned``, which on these hash vectors merges, deletes and discards."""
    return Memory(path, embedder=HashEmbedder(), manager="learned")


def default(path):
    return Memory(path, embedder=HashEmbedder())


def rule(path):
    return Memory(path, embedder=HashEmbedder(), manager="rule")


@pytest.mark.parametrize("factory", [rule, learned, default])
def test_ingesting_a_file_again_changes_nothing(db_path, tmp_path, snapshot, factory):
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps(CHAT), encoding="utf-8")

    def ingest() -> dict:
        result = run("--db", str(db_path), "--json", "ingest", str(chat), factory=factory)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    first = ingest()
    if factory is learned:  # the turns that are hard to recognise again were there
        assert first["ops"]["UPDATE"] >= 1 and first["ops"]["SUPERSEDE"] >= 1, first
    before = snapshot()
    assert len(before["turns"]) >= (5 if factory is learned else 3)
    second = ingest()
    assert second["ops"] == {"ADD": 0, "UPDATE": 0, "DELETE": 0, "NOOP": 7, "SUPERSEDE": 0}, (
        second)
    assert snapshot() == before  # no note, provenance, history or turn row changed


def test_a_file_without_ids_ingested_again_changes_nothing(db_path, tmp_path, snapshot):
    """Its messages are known by their place in the file."""
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps({"speaker": m["speaker"], "content": m["content"],
                                        "session_id": s["id"]}) + "\n"
                            for s in CHAT["sessions"] for m in s["messages"]), encoding="utf-8")
    for number in (1, 2):
        result = run("--db", str(db_path), "--json", "ingest", str(chat), factory=learned)
        assert result.exit_code == 0, result.output
        if number == 1:
            before = snapshot()
    assert json.loads(result.stdout)["ops"]["NOOP"] == 7
    assert snapshot() == before


def test_the_same_turn_twice_is_recorded_once(memory, snapshot):
    (first,) = memory.add("Buddy loves the beach", user_id="u", turn_id="t1", source_id="s")
    before = snapshot()
    (again,) = memory.add("Buddy loves the beach", user_id="u", turn_id="t1", source_id="s")
    assert again.op is Op.NOOP and again.note_id == first.note_id
    assert snapshot() == before


def test_the_same_words_in_another_turn_are_still_recorded(memory, snapshot):
    (first,) = memory.add("Buddy loves the beach", user_id="u", turn_id="t1", source_id="s")
    before = snapshot()
    (other,) = memory.add("Buddy loves the beach", user_id="u", turn_id="t2", source_id="s")
    assert other.op is Op.NOOP and other.note_id == first.note_id
    assert memory.get(first.note_id, user_id="u").provenance.turn_ids == ("t1", "t2")
    assert len(snapshot()["turns"]) == len(before["turns"]) + 1


@pytest.mark.parametrize(("turn_id", "source_id"), [("t1", "s"), ("t1", "another session")])
def test_a_turn_id_given_again_with_other_words_is_not_lost(memory, turn_id, source_id):
    """A reused id is no reason to drop what was said: new content is decided as usual."""
    memory.add("Buddy loves the beach", user_id="u", turn_id="t1", source_id="s")
    (r,) = memory.add("Scout is afraid of thunder", user_id="u", turn_id=turn_id,
                      source_id=source_id)
    assert r.op is Op.ADD
    assert memory.search("thunder", user_id="u")[0].note.id == r.note_id


def test_a_retracted_turn_given_again_stays_retracted(db_path):
    """The note a later turn retracted (superseded with no successor) holds its turn:
    saying it again does not restore it."""
    with learned(db_path) as m:
        turns = [{"speaker": "Ana", "content": "I drink coffee every morning", "id": "1"},
                 {"speaker": "Ana", "content": "I don't drink coffee anymore", "id": "2"}]
        first = m.add(turns, user_id="u", source_id="s")
        assert first[1].op is Op.SUPERSEDE and first[1].added_id is None, first
        again = m.add(turns, user_id="u", source_id="s")
        assert [r.op for r in again] == [Op.NOOP, Op.NOOP]
        assert first[0].note_id not in {h.note.id for h in m.search("coffee", user_id="u")}
        assert m.get(first[0].note_id, user_id="u").valid_until is not None  # a past fact, kept
        assert m.stats("u")["notes"] == 1
        # Another input under a retracted turn's id is still what it says.
        (boston,) = m.add("I live in Boston", user_id="u", turn_id="1", source_id="s")
        assert boston.op is Op.ADD


def test_turn_index_follows_every_write_of_turn_ids(tmp_path):
    """note_turns (migration 0010) is kept by triggers: a turn recorded on a note by a
    NOOP is found by turn id, and a note made before the index existed is found too."""
    from asem.types import Scope

    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder(), manager="rule") as memory:
        first = memory.add("I adopted a dog named Buddy", user_id="u", turn_id="t1")[0]
        again = memory.add("I adopted a dog named Buddy", user_id="u", turn_id="t2")[0]
        assert again.note_id == first.note_id
        held = memory.store.turn_holders(Scope("u"), ["t1", "t2"])
        assert {h.note_id for h in held["t1"]} == {h.note_id for h in held["t2"]} == {
            first.note_id}
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM note_turns")  # as before the index: 0010 fills it on open
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    with Memory(path, embedder=HashEmbedder(), manager="rule") as memory:
        assert set(memory.store.turn_holders(Scope("u"), ["t1", "t2"])) == {"t1", "t2"}
        assert memory.store.turn_holders(Scope("other"), ["t1"]) == {}
