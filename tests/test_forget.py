"""Forgetting for real: after ``forget`` no byte of the note's text is left in the database
files (the main file, its write-ahead log), while a soft delete keeps it (to undo)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from asem import Memory, MemoryConfig
from asem.errors import NotFoundError, StoreLockedError
from asem.providers import HashEmbedder

SECRET = "My locker code at the Zanzibarquux gym is 73914"
WORDS = (b"Zanzibarquux", b"zanzibarquux", b"73914", SECRET.encode())


def leaked(path: Path) -> list[str]:
    """The files next to ``path`` (the database, -wal, -shm) holding any word of the secret."""
    found = []
    for file in path.parent.glob(path.name + "*"):
        data = file.read_bytes()
        found += [f"{file.name}: {w!r}" for w in WORDS if w in data]
    return found


def remember_secret(m: Memory) -> str:
    m.add("I go to the gym on Mondays", user_id="ana")
    (secret,) = m.add(SECRET, user_id="ana", turn_id="t1")
    m.add("My locker is next to the sauna", user_id="ana")
    m.add(SECRET, user_id="bob")  # another tenant's copy stays
    result = m.search("Zanzibarquux locker code", user_id="ana")
    m.feedback(result.retrieval_id, 1.0, user_id="ana", episode="It is 73914")
    m.update(secret.note_id, SECRET + " since May", user_id="ana")
    return secret.note_id


def test_a_soft_delete_keeps_the_text_in_the_file(db_path):
    """The control: the grep finds what a soft delete keeps, so it can fail."""
    with Memory(db_path, embedder=HashEmbedder(), manager="rule") as m:
        note_id = remember_secret(m)
        m.delete(note_id, user_id="ana")
        m.forget_user("bob")
        m.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert leaked(db_path)


def test_forget_leaves_no_byte_of_the_text_in_the_files(db_path):
    with Memory(db_path, embedder=HashEmbedder(), manager="rule") as m:
        note_id = remember_secret(m)
        experience = [n for n in m.list_notes("ana") if "Experience" in n.content]
        assert experience and SECRET in experience[0].content
        m.forget(note_id, user_id="ana")  # the experience note quoting it goes with it
        # (No search for the secret words here: the query would be stored anew.)
        assert all("Zanzibarquux" not in n.content for n in m.list_notes("ana"))
        # Still open (a WAL file next to it): nothing there either.
        bob_leaks = leaked(db_path)
        assert bob_leaks, "bob's copy must still be stored"
        m.forget_user("bob")
        assert leaked(db_path) == []
        with pytest.raises(NotFoundError):
            m.get(note_id, user_id="ana")
        with pytest.raises(NotFoundError):
            m.forget(note_id, user_id="ana")
        assert m.stats("ana")["lifecycle"]["forgotten"] == 1 + len(experience)
        assert m.count_notes("ana") == 2
        assert len(m.search("gym sauna", user_id="ana")) == 2
    assert leaked(db_path) == []
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT note_id, user_id, reason FROM forgotten").fetchall()
        assert (note_id, "ana", "forgotten") in rows
        assert not conn.execute("SELECT 1 FROM history WHERE note_id = ?", (note_id,)).fetchall()
        assert not conn.execute("SELECT 1 FROM links WHERE src = ? OR dst = ?",
                                (note_id, note_id)).fetchall()
        assert not conn.execute("SELECT 1 FROM turns WHERE note_id = ?", (note_id,)).fetchall()
        assert conn.execute("SELECT count(*) FROM retrievals WHERE user_id = 'bob'"
                            ).fetchone()[0] == 0
    finally:
        conn.close()


def test_forget_is_the_tenants_own(memory):
    (theirs,) = memory.add("Bob's note", user_id="bob")
    with pytest.raises(NotFoundError):
        memory.forget(theirs.note_id, user_id="ana")
    assert memory.count_notes("bob") == 1
    assert memory.forget_user("ana") == 0
    assert memory.forget_user("bob") == 1 and memory.count_notes("bob") == 0


def test_a_deleted_or_archived_note_can_be_forgotten(memory):
    (a,) = memory.add("The sky is blue", user_id="ana")
    (b,) = memory.add("The sea is green", user_id="ana")
    memory.delete(a.note_id, user_id="ana")
    memory.maintain("ana", max_notes=0)
    memory.forget(a.note_id, user_id="ana")
    memory.forget(b.note_id, user_id="ana")
    assert memory.stats("ana")["notes"] == 0 and memory.stats("ana")["deleted"] == 0


def test_forget_says_when_a_reader_keeps_the_file_from_being_compacted(db_path):
    config = MemoryConfig(busy_timeout_s=0.2)
    with Memory(db_path, embedder=HashEmbedder(), manager="rule", config=config) as m:
        (note,) = m.add(SECRET, user_id="ana")
        reader = sqlite3.connect(db_path)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM notes").fetchone()  # holds a snapshot
            with pytest.raises(StoreLockedError, match="could not be compacted"):
                m.forget(note.note_id, user_id="ana")
        finally:
            reader.close()
        with pytest.raises(NotFoundError):  # the rows are gone all the same
            m.get(note.note_id, user_id="ana", include_deleted=True)
        m.store._conn.execute("VACUUM")
        m.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert leaked(db_path) == []
