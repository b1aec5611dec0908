"""The ``asem`` command line: help, a full JSON round trip, ingestion, and one-line errors.

Commands run in-process through typer's CliRunner with a memory factory passed as the
context object (the deterministic HashEmbedder); one test runs the installed ``asem`` script
with the real default embedder end to end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asem import Memory, MemoryConfig, ProviderError, StoreLockedError, StoreReadOnlyError
from asem.cli.app import app
from asem.providers import HashEmbedder

COMMANDS = ["add", "ingest", "search", "feedback", "show", "history", "delete", "reopen",
            "maintain", "confirm", "restore", "forget",
            "stats", "mcp"]
ASEM_SCRIPT = Path(sys.executable).with_name("asem")
# No ASEM_* variables from the developer's shell; wide output so ids are never folded.
CLEAN_ENV: dict[str, str | None] = {"ASEM_DB": None, "ASEM_USER": None, "ASEM_AGENT": None,
                                    "ASEM_LLM": None, "ASEM_MANAGER": None, "COLUMNS": "200"}


def fake_memory(path: Path, *, read_only: bool = False) -> Memory:
    # The rule manager: these tests read back what they added; the learned manager's
    # decisions are tested in test_manager_learned with the real embedder's similarities.
    return Memory(path, embedder=HashEmbedder(), manager="rule", read_only=read_only)


def run(*args: str, factory=fake_memory, input: str | None = None, env=None):
    return CliRunner().invoke(app, list(args), obj=factory, input=input,
                              env={**CLEAN_ENV, **(env or {})})


def assert_one_line_error(result, fragment: str = "") -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def assert_json_error(result, kind: str, fragment: str = "", exit_code: int = 1) -> None:
    """With --json an error is one JSON line on stderr, and stdout stays empty."""
    assert result.exit_code == exit_code, result.output
    (line,) = result.stderr.splitlines()
    error = json.loads(line)["error"]
    assert error["type"] == kind and fragment in error["message"], error
    assert result.stdout == ""


# -- the round trip --------------------------------------------------------------------------
def test_add_search_feedback_show_history_delete_undo(cli):
    added = cli("add", "I adopted a dog named Buddy", "--speaker", "alice")
    assert added["op"] == "ADD"
    note_id = added["note_id"]
    assert cli("add", "i adopted a dog named  buddy")["op"] == "NOOP"
    other = cli("add", "Buddy the dog I adopted loves the beach")["note_id"]

    found = cli("search", "what is my dog called")
    assert set(found) == {"retrieval_id", "hits"}
    top = found["hits"][0]
    assert {"score", "similarity", "lexical", "via", "note"} <= set(top)
    assert top["note"]["id"] == note_id and top["note"]["content"] == "I adopted a dog named Buddy"
    assert top["via"] == "recall"

    rewarded = cli("feedback", found["retrieval_id"], "1", "--note", note_id)
    assert rewarded["utilities"] == {note_id: {"old": 0.5, "new": pytest.approx(0.55)}}
    lowered = cli("feedback", found["retrieval_id"], "-0.5")  # negative without "--"
    assert lowered["utilities"][note_id]["new"] == pytest.approx(0.55 + 0.1 * (-0.5 - 0.55))

    shown = cli("show", note_id)
    assert shown["id"] == note_id and shown["usage_count"] == 2 and shown["channel"] == "cli"
    assert shown["context"].startswith("alice")
    assert any(link["target_id"] == other for link in shown["links"])
    history = cli("history", note_id)
    assert history["note_id"] == note_id
    assert [e["op"] for e in history["entries"]] == ["ADD", "NOOP", "FEEDBACK", "FEEDBACK"]

    assert cli("delete", note_id, "--reason", "wrong dog") == {
        "op": "DELETE", "note_id": note_id, "reason": "wrong dog"}
    assert cli("show", note_id)["delete_reason"] == "wrong dog"
    ids = [h["note"]["id"] for h in cli("search", "what is my dog called")["hits"]]
    assert note_id not in ids
    restored = cli("delete", note_id, "--undo")
    assert restored["op"] == "RESTORE" and restored["note"]["deleted_at"] is None
    assert cli("search", "dog Buddy")["hits"][0]["note"]["id"] == note_id
    assert [e["op"] for e in cli("history", note_id)["entries"]][-2:] == ["DELETE", "RESTORE"]

    stats = cli("stats")
    assert stats["user_id"] == "default" and stats["notes"] == 2 and stats["retrievals"] == 3


def test_add_reads_stdin_and_keeps_provenance(cli):
    note_id = cli("add", "-", "--timestamp", "2024-05-08T13:56:00", "--session", "s1",
                  "--turn-id", "D1:3", input="Dinner with Carol on Friday\n")["note_id"]
    note = cli("show", note_id)
    assert note["content"] == "Dinner with Carol on Friday"
    assert note["observed_at"] == "2024-05-08T13:56:00"
    assert (note["session_id"], note["turn_ids"]) == ("s1", ["D1:3"])


def test_search_filters_and_link_expansion(cli):
    dog = cli("add", "I adopted a dog named Buddy", "--timestamp", "2024-05-08T10:00:00",
              "--session", "s1")["note_id"]
    cli("add", "My sister adopted a cat named Luna", "--timestamp", "2024-06-20T10:00:00")

    def ids(*options: str) -> list[str]:
        return [h["note"]["id"] for h in cli("search", "adopted", *options)["hits"]]

    assert len(ids()) == 2 and len(ids("-k", "1")) == 1
    assert ids("--keyword", "buddy") == [dog]
    assert ids("--session", "s1") == [dog]
    assert ids("--until", "2024-05-08") == [dog]  # a bare --until date includes that day
    assert dog not in ids("--since", "2024-06-01")
    assert ids("--tag", "no-such-tag") == []
    hits = cli("search", "Buddy", "-k", "1", "--expand")["hits"]
    assert hits[0]["note"]["id"] == dog and {h["via"] for h in hits} <= {"recall", "link"}


def test_stats_for_one_user_or_all(cli, db_path):
    cli("add", "a note for the default user")
    assert run("--db", str(db_path), "-u", "bob", "add", "a note for bob").exit_code == 0
    assert cli("stats")["notes"] == 1
    everyone = cli("stats", "--all-users")
    assert everyone["user_id"] is None and everyone["notes"] == 2 and everyone["users"] == 2


# -- ingest ----------------------------------------------------------------------------------
def test_ingest_jsonl_and_json(cli, tmp_path):
    lines = tmp_path / "chat.jsonl"
    lines.write_text("\n".join(json.dumps(m) for m in [
        {"speaker": "alice", "content": "I moved to Lisbon last year", "session_id": "s1"},
        {"role": "bob", "text": "Lisbon is lovely in spring", "turn_id": "t2"},
        {"speaker": "alice", "content": "I moved to Lisbon last year"},
    ]) + "\n", encoding="utf-8")
    summary = cli("ingest", str(lines))
    assert summary["turns"] == 3 and summary["ops"]["ADD"] == 2 and summary["ops"]["NOOP"] == 1
    assert summary["turns_per_second"] > 0

    sessions = tmp_path / "chat.json"
    message = {"role": "user", "text": "My cat is called Tom"}
    sessions.write_text(json.dumps(
        {"sessions": [{"id": "s9", "timestamp": "8 May, 2023", "messages": [message]}]}))
    assert cli("ingest", str(sessions))["ops"]["ADD"] == 1
    hit = cli("search", "cat Tom")["hits"][0]["note"]
    assert hit["source_id"] == "s9" and hit["observed_at"].startswith("2023-05-08")


def test_ingest_prints_a_summary(db_path, tmp_path):
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"speaker": "a", "content": "hello there"},
                                {"speaker": "b", "content": "general kenobi"}]))
    result = run("--db", str(db_path), "ingest", str(chat))
    assert result.exit_code == 0, result.output
    assert "ingested 2 turns" in result.stdout and "turns/s" in result.stdout
    assert "2 ADD" in result.stdout


# -- human output ----------------------------------------------------------------------------
def test_tables_show_ids_and_values(db_path, cli):
    note_id = cli("add", "I adopted a dog named Buddy")["note_id"]
    searched = run("--db", str(db_path), "search", "dog")
    assert searched.exit_code == 0 and note_id in searched.stdout
    retrieval_id = searched.stdout.split("retrieval id: ")[1].split()[0]
    rewarded = run("--db", str(db_path), "feedback", retrieval_id, "1")
    assert "0.500 → 0.550" in rewarded.stdout
    for command in (["show", note_id], ["history", note_id], ["stats"],
                    ["delete", note_id], ["delete", "--undo", note_id]):
        result = run("--db", str(db_path), *command)
        assert result.exit_code == 0, result.output
        assert (note_id if command[0] != "stats" else "notes") in result.stdout


# -- options from the environment ------------------------------------------------------------
def test_environment_sets_db_user_and_agent(db_path):
    env = {"ASEM_DB": str(db_path), "ASEM_USER": "alice", "ASEM_AGENT": "coach"}
    added = run("--json", "add", "Alice runs on Sundays", env=env)
    note_id = json.loads(added.stdout)["note_id"]
    shown = json.loads(run("--json", "show", note_id, env=env).stdout)
    assert (shown["user_id"], shown["agent_id"]) == ("alice", "coach")
    assert_json_error(run("--json", "-u", "bob", "show", note_id, env=env), "NotFoundError",
                      "no note")


def test_default_db_lives_in_the_user_data_dir(tmp_path, monkeypatch):
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda name: str(tmp_path / "d" / name))
    assert run("add", "--help").exit_code == 0
    assert not (tmp_path / "d").exists()  # created only when the default is used
    assert run("add", "remember me").exit_code == 0
    assert (tmp_path / "d" / "asem" / "memory.db").exists()


# -- errors ----------------------------------------------------------------------------------
@pytest.fixture
def saved(cli):
    """A note and a retrieval that returned it: (note id, retrieval id)."""
    note_id = cli("add", "I adopted a dog named Buddy")["note_id"]
    return note_id, cli("search", "dog")["retrieval_id"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["add", ""], "text is empty"),
    (["add", "-"], "text is empty"),  # empty stdin
    (["add", "x", "--timestamp", "not a date at all"], "--timestamp"),
    (["-u", " ", "add", "x"], "user scope is required"),
    (["show", "nope"], "no note with id 'nope'"),
    (["history", "nope"], "no note with id 'nope'"),
    (["delete", "nope"], "no note with id 'nope'"),
    (["delete", "--undo", "{note}"], "is not deleted"),
    (["feedback", "{retrieval}", "2"], "outside [-1, 1]"),
    (["feedback", "{retrieval}", "-1.5"], "outside [-1, 1]"),
    (["feedback", "unknown-retrieval", "1"], "no retrieval with id"),
    (["feedback", "{retrieval}", "1", "--note", "other"], "were not returned"),
    (["search", "x", "--since", "2024-06-01", "--until", "2024-05-01"], "swap them"),
    (["search", "   "], "query is empty"),
])
def test_bad_input_is_one_error_line(db_path, saved, args, fragment):
    note_id, retrieval_id = saved
    args = [a.format(note=note_id, retrieval=retrieval_id) for a in args]
    assert_one_line_error(run("--db", str(db_path), *args, input=""), fragment)


@pytest.mark.parametrize(("name", "text", "fragment"), [
    ("bad.jsonl", '{"content": "fine"}\nnot json\n', "line 2 is not valid JSON"),
    ("bad.json", '[{"content": "fine"},', "is not valid JSON"),
    ("shape.json", '{"turns": []}', "must hold a list of messages"),
    ("nocontent.json", '[{"speaker": "a"}]', "has no 'content'"),
    ("empty.jsonl", "\n\n", "holds no messages"),
    ("when.json", '[{"content": "x", "timestamp": "never ever"}]', "is not a date"),
])
def test_malformed_chat_files_are_one_error_line(db_path, tmp_path, snapshot, name, text,
                                                 fragment):
    run("--db", str(db_path), "add", "keep me")
    before = snapshot()
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert_one_line_error(run("--db", str(db_path), "ingest", str(tmp_path / name)), fragment)
    assert snapshot() == before  # a bad file changes nothing


def test_unreadable_files_are_one_error_line(db_path, tmp_path):
    (tmp_path / "latin1.json").write_bytes('[{"content": "caf\u00e9"}]'.encode("latin-1"))
    assert_one_line_error(run("--db", str(db_path), "ingest", str(tmp_path / "latin1.json")),
                          "not UTF-8")
    assert_one_line_error(run("--db", str(db_path), "ingest", str(tmp_path / "missing.json")),
                          "cannot read")


def test_unusable_databases_are_one_error_line(tmp_path):
    assert_one_line_error(run("--db", str(tmp_path / "no" / "m.db"), "add", "x"),
                          "does not exist")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an sqlite file at all" * 100)
    assert_one_line_error(run("--db", str(junk), "stats"), "not a usable ASEM database")


def test_a_locked_database_is_one_error_line(db_path):
    def impatient(path: Path) -> Memory:
        return Memory(path, embedder=HashEmbedder(), config=MemoryConfig(busy_timeout_s=0.1))

    assert run("--db", str(db_path), "add", "first").exit_code == 0
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = run("--db", str(db_path), "add", "second", factory=impatient)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_one_line_error(result, "locked")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write read-only files")
def test_a_read_only_database_is_one_error_line(db_path):
    assert run("--db", str(db_path), "add", "first").exit_code == 0
    db_path.chmod(0o444)
    try:
        assert_one_line_error(run("--db", str(db_path), "add", "second"), "read-only")
    finally:
        db_path.chmod(0o644)


@pytest.mark.parametrize("error", [
    StoreReadOnlyError("the database m.db is read-only; make it writable"),
    StoreLockedError("the database m.db is locked by another process"),
    ProviderError("the local embedder needs onnxruntime: reinstall asem"),
    PermissionError(13, "Permission denied", "/data/m.db"),
])
def test_store_and_provider_failures_are_one_error_line(db_path, error):
    def failing(path: Path) -> Memory:
        raise error

    db_path.touch()  # stats needs a file to read
    result = run("--db", str(db_path), "stats", factory=failing)
    assert_one_line_error(result, str(error).split(";")[0] if not isinstance(
        error, OSError) else "/data/m.db: Permission denied")


def test_ctrl_c_exits_130(db_path):
    def interrupted(path: Path) -> Memory:
        raise KeyboardInterrupt

    db_path.touch()
    result = run("--db", str(db_path), "stats", factory=interrupted)
    assert result.exit_code == 130 and "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["feedback", "rid", "not-a-number"],
    ["search", "x", "-k", "0"],
    ["delete", "some-id", "--undo", "--reason", "why"],
    ["no-such-command"],
    ["stats", "--no-such-option"],
])
def test_usage_errors_keep_exit_code_2(db_path, args):
    result = run("--db", str(db_path), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


# -- end to end, with the real embedder ------------------------------------------------------
@pytest.mark.skipif(not ASEM_SCRIPT.exists(), reason="the asem script is not installed")
def test_the_installed_script_with_the_default_embedder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASEM_")}

    def asem(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ASEM_SCRIPT), "--db", str(tmp_path / "e2e.db"), "--json",
                               *args], capture_output=True, text=True, env=env, timeout=300)

    added = asem("add", "I adopted a dog named Buddy")
    assert added.returncode == 0, added.stderr
    asem("add", "The quarterly report is due on Friday")
    found = asem("search", "what is my dog called")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["note"]["id"] == json.loads(added.stdout)["note_id"]

    missing = asem("show", "nope")
    assert missing.returncode == 1 and missing.stdout == ""
    assert [json.loads(line) for line in missing.stderr.strip().splitlines()] == [
        {"error": {"type": "NotFoundError",
                   "message": "no note with id 'nope'; search to find note ids"}}]
