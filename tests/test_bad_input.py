"""Bad input and bad files: every failure is an ASEM error that says what to do, and leaves the
notes already stored exactly as they were."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

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
    for folder in (tmp_path, str(tmp_path), Path("")):  # Path("") is the current folder
        with pytest.raises(StoreError, match="is a folder, not a database file"):
            Memory(folder, embedder=HashEmbedder())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_database_path_is_refused(tmp_path, monkeypatch, path):
    """SQLite opens "" as a private temporary file that is gone on close: notes would be
    lost without a word."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match="database path is empty"):
        Memory(path, embedder=HashEmbedder())
    assert list(tmp_path.iterdir()) == []


def test_every_error_is_an_asem_error_and_keeps_builtin_bases():
    assert issubclass(InvalidInputError, ValueError) and issubclass(NotFoundError, LookupError)
    for error in (InvalidInputError, NotFoundError, StoreError, StoreLockedError,
                  StoreReadOnlyError):
        assert issubclass(error, ASEMError)


# -- text that is not Unicode ------------------------------------------------------------------
# Python turns bytes that are not UTF-8 in a command-line argument into lone surrogates
# ("\udcff"), and JSON's "\ud800" escape makes one too: SQLite cannot store either.
BAD = "caf\udce9"


@pytest.mark.parametrize("call", [
    lambda m, i: m.add(BAD, user_id="u"),
    lambda m, i: m.add(BAD.encode("utf-8", "surrogateescape"), user_id="u"),
    lambda m, i: m.add("fine", user_id=BAD),
    lambda m, i: m.add("fine", user_id="u", agent_id=BAD),
    lambda m, i: m.add("fine", user_id="u", session_id=BAD),
    lambda m, i: m.add("fine", user_id="u", speaker=BAD),
    lambda m, i: m.add("fine", user_id="u", turn_id=BAD),
    lambda m, i: m.add("fine", user_id="u", source_id=BAD),
    lambda m, i: m.add([{"content": "fine"}, {"content": "a \ud800 b"}], user_id="u"),
    lambda m, i: m.add([{"content": "fine", "speaker": BAD}], user_id="u"),
    lambda m, i: m.ingest([{"content": "fine", "id": BAD}], user_id="u"),
    lambda m, i: m.search(BAD, user_id="u"),
    lambda m, i: m.get(BAD, user_id="u"),
    lambda m, i: m.history(BAD, user_id="u"),
    lambda m, i: m.delete(BAD, user_id="u"),
    lambda m, i: m.update(i[0], BAD, user_id="u"),
    lambda m, i: m.feedback(BAD, 1.0, user_id="u"),
])
def test_text_that_is_not_unicode_is_refused(small, unchanged, call):
    m, ids = small
    with pytest.raises(InvalidInputError, match="not (valid UTF-8|a Unicode character)"):
        call(m, ids)


# -- sizes -------------------------------------------------------------------------------------
def test_twenty_megabytes_of_text_are_refused(small, unchanged):
    m, _ = small
    for content in ("x" * 20_000_000, b"x" * 20_000_000):
        with pytest.raises(InvalidInputError, match=f"more than the limit of {LIMIT} characters"):
            m.add(content, user_id="u")


# -- the command line: bad arguments, stdin and chat files -----------------------------------
def cli_error(db_path, *args: str, input=None, fragment: str = "") -> None:
    from tests.test_cli import assert_one_line_error, run

    assert_one_line_error(run("--db", str(db_path), *args, input=input), fragment)


@pytest.fixture
def kept(db_path, snapshot):
    """A database holding one note; asserts after the test that nothing changed."""
    from tests.test_cli import run

    assert run("--db", str(db_path), "add", "keep me").exit_code == 0
    before = snapshot()
    yield
    assert snapshot() == before


@pytest.mark.parametrize("args", [
    ["add", BAD], ["add", "fine", "--speaker", BAD], ["add", "fine", "--session", BAD],
    ["-u", BAD, "add", "fine"], ["--agent", BAD, "add", "fine"], ["search", BAD],
])
def test_arguments_that_are_not_utf8_are_one_error_line(db_path, kept, args):
    cli_error(db_path, *args, fragment="not a Unicode character")


def test_stdin_that_is_not_utf8_is_one_error_line(db_path, kept):
    cli_error(db_path, "add", "-", input="café".encode("latin-1"), fragment="not valid UTF-8")


@pytest.mark.parametrize("text", [
    '{"sessions": 5}',
    '{"sessions": {"id": "s1"}}',
    '{"sessions": [5]}',
    '{"sessions": [{"messages": 5}]}',
    '{"sessions": [{"messages": [{"content": "ok"}]}, {"messages": "hello"}]}',
    '{"messages": 5}',
    '{"messages": {"content": "hello"}}',
    '[{"content": "ok"}, [{"content": "nested"}]]',
    '[{"content": {"text": "hello"}}]',
    '[{"content": "ok", "speaker": {"name": "Ana"}}]',
    '[{"content": "ok", "id": ["D1:1"]}]',
    '[{"content": "ok", "id": true}]',
    '[{"content": "a \\ud800 b"}]',
    '[{"content": "ok", "speaker": "\\udcff"}]',
    '{"sessions": [{"id": "\\ud800", "messages": [{"content": "ok"}]}]}',
    "[" * 100_000 + "]" * 100_000,
    '[{"content": ' + "[" * 100_000 + "]" * 100_000 + "}]",
    '{"messages": [{"content": "ok"}], "x": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}",
])
def test_chat_files_of_the_wrong_shape_are_one_error_line(db_path, tmp_path, kept, text):
    """Every shape is checked before anything is written (these were TypeError,
    RecursionError or UnicodeEncodeError tracebacks)."""
    (tmp_path / "chat.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    cli_error(db_path, "ingest", str(tmp_path / "chat.json"))


def test_deep_jsonl_lines_are_one_error_line(db_path, tmp_path, kept):
    (tmp_path / "chat.jsonl").write_text('{"content": "ok"}\n' + "[" * 100_000 + "]" * 100_000)
    cli_error(db_path, "ingest", str(tmp_path / "chat.jsonl"), fragment="line 2 nests")


def test_a_twenty_megabyte_chat_file_is_refused_naming_the_limit(db_path, tmp_path, kept):
    chat = tmp_path / "big.json"
    with chat.open("wb") as f:
        f.truncate(20_000_000)
    cli_error(db_path, "ingest", str(chat), fragment="larger than the limit of 16.0 MB")
    cli_error(db_path, "ingest", str(chat), fragment="--max-mb")


def test_a_chat_file_over_the_limit_is_not_read_whole(db_path, tmp_path, kept):
    """A pipe fed 20 MB: the reader stops after the limit, so the writer is cut off."""
    import threading

    fifo = tmp_path / "chat.json"
    os.mkfifo(fifo)
    written = []

    def feed() -> None:
        chunk = b"[" + b" " * 65_535
        with fifo.open("wb") as f:
            try:
                for _ in range(20_000_000 // len(chunk)):
                    f.write(chunk)
                    written.append(len(chunk))
            except BrokenPipeError:
                pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    cli_error(db_path, "ingest", "--max-mb", "0.2", str(fifo), fragment="0.2 MB")
    feeder.join(timeout=30)
    assert not feeder.is_alive()
    assert sum(written) < 1_000_000


def test_twenty_megabytes_on_stdin_are_refused_without_reading_them(db_path, kept,
                                                                    monkeypatch):
    import io
    import sys

    from asem.cli import write

    cli_error(db_path, "add", "-", input=b"x" * 20_000_000,
              fragment="longer than the limit of 20,000 characters")
    stdin = io.BytesIO(b"x" * 20_000_000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
    with pytest.raises(InvalidInputError, match="split it"):
        write._stdin(20_000)
    assert stdin.tell() <= 4 * 20_000 + 1


def test_an_sqlite_error_inside_a_write_is_a_store_error(db_path):
    from asem.stores.sqlite.connection import open_database, transaction

    conn = open_database(str(db_path), 1.0)
    try:
        with pytest.raises(StoreError, match="no such table"):
            with transaction(conn, str(db_path)):
                conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert not conn.in_transaction
    finally:
        conn.close()
