"""``asem maintain``, ``asem confirm``, ``asem restore`` and ``asem forget``."""

from __future__ import annotations

import json

from tests.test_cli import run


def add(db, text: str, user: str = "ana") -> str:
    result = run("--db", str(db), "--user", user, "--json", "add", text)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["note_id"]


def test_maintain_dry_run_then_for_real_then_restore(db_path):
    ids = [add(db_path, f"The {w} is blue") for w in ("sky", "sea", "car")]
    dry = run("--db", str(db_path), "--user", "ana", "--json", "maintain", "--max-notes", "1",
              "--dry-run")
    assert dry.exit_code == 0, dry.output
    (report,) = json.loads(dry.stdout)["users"]
    assert report["dry_run"] and len(report["evicted"]) == 2 and report["notes_after"] == 1
    done = run("--db", str(db_path), "--user", "ana", "maintain", "--max-notes", "1")
    assert done.exit_code == 0, done.output
    assert "archived 2 notes" in done.stdout and "asem restore" in done.stdout
    stats = json.loads(run("--db", str(db_path), "--user", "ana", "--json", "stats").stdout)
    assert stats["notes"] == 1 and stats["lifecycle"]["archived"] == 2
    gone = report["evicted"][0]["note_id"]
    assert gone in ids
    back = run("--db", str(db_path), "--user", "ana", "restore", gone)
    assert back.exit_code == 0 and "restored" in back.stdout
    table = run("--db", str(db_path), "--user", "ana", "stats")
    assert "archived" in table.stdout and "utility" in table.stdout


def test_maintain_every_user(db_path):
    add(db_path, "The sky is blue", "ana")
    add(db_path, "The sea is green", "bob")
    result = run("--db", str(db_path), "--json", "maintain", "--all-users", "--max-notes", "0")
    users = {u["user_id"]: u for u in json.loads(result.stdout)["users"]}
    assert set(users) == {"ana", "bob"} and all(u["notes_after"] == 0 for u in users.values())


def test_forget_asks_for_yes_and_cannot_be_undone(db_path):
    note = add(db_path, "My PIN is 4921")
    refused = run("--db", str(db_path), "--user", "ana", "forget", note)
    assert refused.exit_code == 2 and "--yes" in refused.output
    done = run("--db", str(db_path), "--user", "ana", "--json", "forget", note, "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"op": "FORGET", "user_id": "ana", "forgotten": 1,
                                       "note_id": note}
    assert b"4921" not in db_path.read_bytes()
    again = run("--db", str(db_path), "--user", "ana", "show", note)
    assert again.exit_code == 1 and "no note" in again.stderr


def test_forget_every_note_of_a_user(db_path):
    add(db_path, "The sky is blue", "ana")
    add(db_path, "The sea is green", "bob")
    both = run("--db", str(db_path), "--user", "ana", "forget", "x", "--all-notes", "--yes")
    assert both.exit_code == 2
    done = run("--db", str(db_path), "--user", "ana", "forget", "--all-notes", "--yes")
    assert done.exit_code == 0 and "1 note" in done.stdout
    stats = json.loads(run("--db", str(db_path), "--json", "stats", "--all-users").stdout)
    assert stats["notes"] == 1


def test_confirm_keeps_a_note(db_path):
    note = add(db_path, "The sky is blue")
    done = run("--db", str(db_path), "--user", "ana", "--json", "confirm", note)
    assert done.exit_code == 0 and json.loads(done.stdout)["note"]["tier"] == "long_term"
