"""Bad input and bad files: every failure is an ASEM error that says what to do, and leaves the
notes already stored exactly as they were."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from asem import (
    ASEMError,
    InvalidInputError,
    Memory,
    MemoryConfig,
    NotFoundError,
    StoreError,
    StoreLockedError,
    StoreReadOnlyError,
    WriteConfig,
)
from asem.providers import HashEmbedder
from asem.stores.sqlite.connection import translate

LIMIT = 60


@pytest.fixture
def small(open_memory):
    """A memory with a 60-character limit holding two notes; returns (memory, note ids)."""
    m = open_memory(MemoryConfig(write=WriteConfig(max_content_chars=LIMIT)))
    ids = [m.add(text, user_id="u")[0].note_id
           for text in ("Alice likes green tea", "Alice likes green tea with honey")]
    m.search("green tea", user_id="u")
    return m, ids


@pytest.fixture
def unchanged(small, snapshot):
    """Asserts, after the test, that the file holds exactly what it held before."""
    before = snapshot()
    yield
    assert snapshot() == before


@pytest.mark.parametrize("content", ["", "   ", "\n\t ", "\x00\x00", b"", b"  "])
def test_empty_text_is_refused(small, unchanged, content):
    m, _ = small
    with pytest.raises(InvalidInputError, match="empty"):
        m.add(content, user_id="u")


def test_text_over_the_limit_is_refused_and_at_the_limit_accepted(small, snapshot):
    m, _ = small
    before = snapshot()
    with pytest.raises(InvalidInputError, match=f"more than the limit of {LIMIT}"):
        m.add("x" * (LIMIT + 1), user_id="u")
    with pytest.raises(InvalidInputError, match="limit"):
        m.add([{"content": "fine"}, {"content": "y" * (LIMIT + 1)}], user_id="u")
    with pytest.raises(InvalidInputError, match="limit"):
        m.search("q" * (LIMIT + 1), user_id="u")
    assert snapshot() == before
    (r,) = m.add("z" * LIMIT, user_id="u")
    assert len(m.get(r.note_id, user_id="u").content) == LIMIT


def test_non_utf8_bytes_are_refused(small, unchanged):
    m, _ = small
    with pytest.raises(InvalidInputError, match="not valid UTF-8"):
        m.add("Café".encode("latin-1"), user_id="u")


def test_utf8_bytes_are_accepted(memory):
    (r,) = memory.add("Café au lait every morning".encode(), user_id="u")
    assert memory.get(r.note_id, user_id="u").content == "Café au lait every morning"


def test_nul_and_control_characters_are_stripped(memory):
    (r,) = memory.add("Buddy\x00 is a\x07 good dog\nand\tloyal\x1b", user_id="u")
    assert memory.get(r.note_id, user_id="u").content == "Buddy is a good dog\nand\tloyal"


@pytest.mark.parametrize("content", [42, 4.2, None, {"content": "hi"}, object()])
def test_non_string_content_is_refused(small, unchanged, content):
    m, _ = small
    with pytest.raises(InvalidInputError):
        m.add(content, user_id="u")


@pytest.mark.parametrize("messages", [
    [],
    [{"speaker": "A"}],
    [{"content": 42}],
    [{"content": None}],
    ["just a string"],
    [{"content": "ok", "timestamp": "not a date at all, really"}],
    [{"content": "ok", "timestamp": 12345}],
    [{"content": "fine"}, {"content": "   "}],
])
def test_bad_messages_are_refused(small, unchanged, messages):
    m, _ = small
    with pytest.raises(InvalidInputError):
        m.add(messages, user_id="u")


def test_a_timestamp_must_be_a_datetime(small, unchanged):
    m, _ = small
    with pytest.raises(InvalidInputError, match="timestamp must be a datetime"):
        m.add("Alice likes tea", user_id="u", timestamp="2023-05-08")


@pytest.mark.parametrize("call", [
    lambda m: m.get("no-such-id", user_id="u"),
    lambda m: m.update("no-such-id", "new text", user_id="u"),
    lambda m: m.delete("no-such-id", user_id="u"),
    lambda m: m.undo_delete("no-such-id", user_id="u"),
    lambda m: m.history("no-such-id", user_id="u"),
    lambda m: m.links("no-such-id", user_id="u"),
])
def test_unknown_note_ids_are_not_found(small, unchanged, call):
    m, _ = small
    with pytest.raises(NotFoundError, match="no-such-id"):
        call(m)


@pytest.mark.parametrize("call", [
    lambda m, i: m.get(i, user_id="mallory"),
    lambda m, i: m.update(i, "Mallory was here", user_id="mallory"),
    lambda m, i: m.delete(i, user_id="mallory"),
])
def test_another_users_note_is_not_found(small, unchanged, call):
    m, ids = small
    with pytest.raises(NotFoundError):
        call(m, ids[0])


def test_deleting_twice_is_not_found(small, snapshot):
    m, ids = small
    m.delete(ids[0], user_id="u")
    before = snapshot()
    with pytest.raises(NotFoundError):
        m.delete(ids[0], user_id="u")
    with pytest.raises(NotFoundError):
        m.update(ids[0], "something else", user_id="u")
    assert snapshot() == before


@pytest.mark.parametrize("content", ["", "  ", 42, "w" * (LIMIT + 1)])
def test_a_bad_update_changes_nothing(small, unchanged, content):
    m, ids = small
    with pytest.raises(InvalidInputError):
        m.update(ids[0], content, user_id="u")


# -- the database file -----------------------------------------------------------------------
def test_a_locked_database_raises_store_locked_and_loses_nothing(db_path, snapshot):
    config = MemoryConfig(busy_timeout_s=0.1)
    with Memory(db_path, embedder=HashEmbedder(), config=config) as m:
        (kept,) = m.add("Alice likes green tea", user_id="u")
        result = m.search("green tea", user_id="u")
        before = snapshot()
        locker = sqlite3.connect(db_path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            start = time.monotonic()
            with pytest.raises(StoreLockedError, match="locked by another process"):
                m.add("Alice also likes coffee", user_id="u")
            assert time.monotonic() - start < 3  # the configured timeout, not the default 5 s
            with pytest.raises(StoreLockedError):
                m.feedback(result.retrieval_id, 1.0, user_id="u")
            with pytest.raises(StoreLockedError):
                m.delete(kept.note_id, user_id="u")
            with pytest.raises(StoreLockedError):
                m.update(kept.note_id, "Alice likes black tea", user_id="u")
            # reads still work
            assert m.get(kept.note_id, user_id="u").content == "Alice likes green tea"
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert snapshot() == before
        (added,) = m.add("Alice also likes coffee", user_id="u")  # works once the lock is gone
        rewarded = m.feedback(result.retrieval_id, 1.0, user_id="u")
        assert rewarded.utilities[kept.note_id] == (0.5, 0.55)
        assert {h.note.id for h in m.search("Alice likes", user_id="u", k=10)} == {
            kept.note_id, added.note_id}


def test_a_read_only_file_is_refused_on_open(db_path, snapshot):
    with Memory(db_path, embedder=HashEmbedder()) as m:
        m.add("Alice likes green tea", user_id="u")
    before = snapshot()
    os.chmod(db_path, 0o444)
    try:
        if os.access(db_path, os.W_OK):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod does not stop writes")
        with pytest.raises(StoreReadOnlyError, match="read-only"):
            Memory(db_path, embedder=HashEmbedder())
    finally:
        os.chmod(db_path, 0o644)
    assert snapshot() == before


def test_a_file_the_process_may_not_write_is_refused_on_open(db_path, monkeypatch):
    """The same check with os.access answering as it does for a non-root user (the test
    above is skipped where the tests run as root)."""
    from asem.stores.sqlite import connection

    Memory(db_path, embedder=HashEmbedder()).close()
    monkeypatch.setattr(connection.os, "access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(StoreReadOnlyError, match="chmod u\\+w"):
        Memory(db_path, embedder=HashEmbedder())


@pytest.mark.parametrize(("message", "error"), [
    ("attempt to write a readonly database", StoreReadOnlyError),
    ("database is locked", StoreLockedError),
    ("file is not a database", StoreError),
    ("database disk image is malformed", StoreError),
    ("unable to open database file", StoreError),
    ("disk I/O error", StoreError),
])
def test_sqlite_errors_become_asem_errors(message, error):
    translated = translate(sqlite3.OperationalError(message), "m.db")
    assert type(translated) is error and "m.db" in str(translated)


@pytest.mark.parametrize("data", [b"hello, this is a text file and not a database\n" * 20,
                                  bytes(range(256)) * 16])
def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path, data):
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(StoreError, match="not a usable ASEM database"):
        Memory(path, embedder=HashEmbedder())
    assert path.read_bytes() == data


def test_a_missing_folder_or_a_folder_path_is_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Memory(tmp_path / "nope" / "m.db", embedder=HashEmbedder())
    with pytest.raises(StoreError):
        Memory(tmp_path, embedder=HashEmbedder())


def test_every_error_is_an_asem_error_and_keeps_builtin_bases():
    assert issubclass(InvalidInputError, ValueError) and issubclass(NotFoundError, LookupError)
    for error in (InvalidInputError, NotFoundError, StoreError, StoreLockedError,
                  StoreReadOnlyError):
        assert issubclass(error, ASEMError)
