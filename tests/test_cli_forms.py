"""The CLI's forms: global options after the command, JSON errors, missing and read-only files."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
import typer

from asem.cli import context
from asem.cli.app import app
from tests.test_cli import assert_json_error, assert_one_line_error, run

GLOBAL = ("--db", "--user", "--agent", "--json", "--llm", "--manager")
READS = [["search", "dog"], ["stats"], ["show", "some-id"], ["history", "some-id"],
         ["llm", "status"]]
CHANGES = [["feedback", "some-retrieval", "1"], ["delete", "some-id"]]


def leaves(command, path=()):
    subs = getattr(command, "commands", None)
    if subs is None:
        yield path, command
        return
    for name, sub in subs.items():
        yield from leaves(sub, (*path, name))


LEAVES = dict(leaves(typer.main.get_command(app)))


def json_out(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", list(LEAVES), ids=" ".join)
def test_every_command_takes_the_global_options_after_it(path):
    opts = [opt for param in LEAVES[path].params for opt in param.opts]
    for option in GLOBAL:
        assert opts.count(option) == 1, f"asem {' '.join(path)} {option}"


def test_a_commands_own_option_keeps_its_meaning():
    own = next(p for p in LEAVES[("bench", "locomo")].params if "--json" in p.opts)
    assert own.expose_value and own.name != "as_json"  # --json OUT, the report file


def test_add_and_search_with_the_options_after_the_command(db_path):
    added = json_out(run("add", "I adopted a dog named Buddy", "--user", "u", "--db",
                         str(db_path), "--json"))
    found = json_out(run("search", "dog", "--db", str(db_path), "-u", "u", "--json"))
    assert found["hits"][0]["note"]["id"] == added["note_id"]
    assert found["hits"][0]["note"]["user_id"] == "u"
    before = json_out(run("--db", str(db_path), "--user", "u", "--json", "search", "dog"))
    assert [h["note"]["id"] for h in before["hits"]] == [added["note_id"]]
    assert json_out(run("--db", str(db_path), "--json", "search", "dog"))["hits"] == []


def test_an_option_after_the_command_wins(db_path):
    added = json_out(run("--user", "a", "--db", str(db_path), "add", "x y z", "--user", "b",
                         "--json"))
    shown = json_out(run("--db", str(db_path), "--json", "show", added["note_id"], "-u", "b"))
    assert shown["user_id"] == "b"
    result = run("--db", str(db_path), "show", added["note_id"], "--user", "a")
    assert_one_line_error(result, "no note with id")


def test_environment_options_are_overridden_after_the_command(db_path, tmp_path):
    env = {"ASEM_DB": str(tmp_path / "other.db"), "ASEM_USER": "alice"}
    added = json_out(run("add", "Alice runs", "--db", str(db_path), "--json", env=env))
    assert not (tmp_path / "other.db").exists()
    assert json_out(run("show", added["note_id"], "--db", str(db_path), "--json",
                        env=env))["user_id"] == "alice"


# -- errors with --json ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["before", "after"])
def test_json_errors_are_json_on_stderr(db_path, where):
    assert run("--db", str(db_path), "add", "keep me").exit_code == 0

    def json_run(*args: str):
        flag = ["--json"]
        return run("--db", str(db_path), *(flag if where == "before" else []), *args,
                   *(flag if where == "after" else []))

    assert_json_error(json_run("show", "nope"), "NotFoundError", "no note with id 'nope'")
    assert_json_error(json_run("-u", " ", "add", "x"), "ScopeError", "user scope is required")
    assert_json_error(json_run("feedback", "rid", "1"), "NotFoundError", "no retrieval")
    assert_json_error(json_run("search", "x", "-k", "0"), "BadParameter", "-k", exit_code=2)


def test_json_usage_errors_keep_exit_code_2(db_path):
    assert_json_error(run("--json", "search"), "MissingParameter", "QUERY", exit_code=2)
    plain = run("search")  # without --json: typer's usage message, as before
    assert plain.exit_code == 2 and "Usage" in plain.output


# -- a database that is missing or read-only ---------------------------------------------------
@pytest.mark.parametrize("args", READS + CHANGES, ids=lambda a: a[0] + "-" + a[-1])
def test_commands_that_need_a_database_never_create_one(tmp_path, args):
    missing = tmp_path / "missing.db"
    assert_one_line_error(run("--db", str(missing), *args), f"no database at {missing}")
    assert_json_error(run("--db", str(missing), "--json", *args), "StoreError", "no database")
    assert list(tmp_path.iterdir()) == []


def filled(db_path) -> str:
    assert run("--db", str(db_path), "add", "I adopted a dog named Buddy").exit_code == 0
    return json_out(run("--db", str(db_path), "--json", "search", "dog"))["hits"][0]["note"]["id"]


def test_a_file_that_cannot_be_written_is_read_read_only(db_path, snapshot, monkeypatch):
    note_id = filled(db_path)
    before = snapshot()
    # Root may write any file, so the permission check is what is replaced here; the file is
    # then really opened read-only (SQLite mode=ro), which a write would fail on.
    monkeypatch.setattr(context, "writable", lambda path: False)
    found = json_out(run("--db", str(db_path), "--json", "search", "dog"))
    assert found["hits"][0]["note"]["id"] == note_id
    assert json_out(run("--db", str(db_path), "--json", "stats"))["notes"] == 1
    assert json_out(run("--db", str(db_path), "--json", "show", note_id))["id"] == note_id
    assert [e["op"] for e in json_out(run("--db", str(db_path), "--json", "history",
                                          note_id))["entries"]] == ["ADD"]
    assert snapshot() == before  # the search was not even recorded


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write read-only files")
def test_a_read_only_file_can_be_searched_but_not_written(db_path):
    note_id = filled(db_path)
    db_path.chmod(0o444)
    try:
        found = json_out(run("--db", str(db_path), "--json", "search", "dog"))
        assert found["hits"][0]["note"]["id"] == note_id
        assert json_out(run("--db", str(db_path), "--json", "stats"))["notes"] == 1
        assert_one_line_error(run("--db", str(db_path), "add", "second"), "read-only")
    finally:
        db_path.chmod(0o644)


def test_writable_needs_the_file_and_its_folder(tmp_path):
    path = tmp_path / "m.db"
    sqlite3.connect(path).close()
    assert context.writable(path)
    assert not context.writable(tmp_path / "no" / "m.db")
