"""Memory(path, read_only=True): an existing file is read and never written."""

from __future__ import annotations

import sqlite3

import pytest

from asem import Memory, StoreError, StoreReadOnlyError
from asem.errors import InvalidInputError
from asem.providers import HashEmbedder
from asem.stores.sqlite import SQLiteStore


def reader(path) -> Memory:
    return Memory(path, embedder=HashEmbedder(), manager="rule", read_only=True)


@pytest.fixture
def saved(memory):
    """A file with one of Alice's notes and one retrieval: (note id, retrieval id)."""
    (note,) = memory.add("I adopted a dog named Buddy", user_id="alice")
    return note.note_id, memory.search("dog", user_id="alice").retrieval_id


WRITES = {
    "add": lambda m, note, rid: m.add("I adopted a cat", user_id="alice"),
    "ingest": lambda m, note, rid: m.ingest([{"content": "I adopted a cat"}], user_id="alice"),
    "update": lambda m, note, rid: m.update(note, "Buddy is a labrador", user_id="alice"),
    "delete": lambda m, note, rid: m.delete(note, user_id="alice"),
    "feedback": lambda m, note, rid: m.feedback(rid, 1.0, user_id="alice"),
}


def test_reads_work_and_nothing_is_written(db_path, saved, snapshot):
    note_id, _ = saved
    before = snapshot()
    with reader(db_path) as memory:
        result = memory.search("what is my dog called", user_id="alice")
        assert [hit.note.id for hit in result] == [note_id]
        assert memory.get(note_id, user_id="alice").content == "I adopted a dog named Buddy"
        assert [h.op for h in memory.history(note_id, user_id="alice")] == ["ADD"]
        assert memory.stats("alice")["notes"] == 1
        assert memory.store.read_only
    assert snapshot() == before  # searches opened read-only are not recorded


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_raises_store_read_only(db_path, saved, snapshot, write):
    before = snapshot()
    with reader(db_path) as memory, pytest.raises(StoreReadOnlyError):
        WRITES[write](memory, *saved)
    assert snapshot() == before


def test_a_reader_sees_what_a_writer_adds_later(memory, db_path, saved):
    with reader(db_path) as other:
        assert other.stats("alice")["notes"] == 1
        other.search("cat Luna", user_id="alice")  # builds the reader's vector index
        (cat,) = memory.add("My sister adopted a cat named Luna", user_id="alice")
        found = other.search("cat Luna", user_id="alice", k=5)
        assert cat.note_id in {hit.note.id for hit in found}


def test_a_missing_file_is_not_created(tmp_path):
    with pytest.raises(StoreError, match="no database at"):
        reader(tmp_path / "missing.db")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_an_asem_database_is_refused(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="not an ASEM database"):
        reader(empty)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 200)
    with pytest.raises(StoreError, match="not a usable ASEM database"):
        reader(junk)


def test_a_file_that_needs_an_upgrade_says_so(db_path, saved):
    with sqlite3.connect(db_path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {version - 1}")
    with pytest.raises(StoreReadOnlyError, match="needs an upgrade"):
        reader(db_path)


def test_read_only_applies_to_a_path_not_a_writable_store(db_path, saved):
    store = SQLiteStore(db_path, embedder_id=HashEmbedder().model_id)
    try:
        with pytest.raises(InvalidInputError, match="read_only=True applies to a path"):
            Memory(store=store, embedder=HashEmbedder(), read_only=True)
    finally:
        store.close()
    ro_store = SQLiteStore(db_path, embedder_id=HashEmbedder().model_id, read_only=True)
    with Memory(store=ro_store, embedder=HashEmbedder(), read_only=True) as memory:
        assert memory.stats("alice")["notes"] == 1
