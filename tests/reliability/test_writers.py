"""Concurrent writers (``benchmarks/checks/writers.py``) at the fast size, and the faults it
must report when they are planted."""

from __future__ import annotations

import sqlite3

import pytest
from checks import Size, writers
from checks.acknowledged import read
from checks.store_audit import audit

WHERE = ["sqlite, in-process", "sqlite, server", "postgresql, in-process",
         "postgresql, server"]


def assert_every_row_ok(rows, size: Size) -> None:
    processes, ops = writers.SIZES[size]
    assert [r.where for r in rows] == WHERE
    for row in rows:
        assert row.ok, row
        assert row.runs == processes * ops
        # Nothing silently skipped: most calls were acknowledged, inputs were checked.
        assert row.counts["acknowledged"] + row.counts["typed busy errors"] >= row.runs * 0.9
        assert row.counts["inputs present"] > 0 and row.counts["feedback increments"] > 0


@pytest.mark.parametrize("size", [Size.FAST, pytest.param(Size.FULL, marks=pytest.mark.slow)])
def test_every_row_passes(size, pg_server):
    assert_every_row_ok(writers.run(size, postgres_url=pg_server), size)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A small run on SQLite, in-process: the store and the writers' logs."""
    folder = tmp_path_factory.mktemp("writers")
    target = folder / "m.db"
    row = writers.measure(target, "sqlite, in-process", False, 2, 40, folder / "run")
    assert row.ok, row
    logs = writers.logs(folder / "run", 2)
    return target, logs


def judged(target, logs):
    return writers.judge(read(target), logs, ["writer-0", "writer-1"])[0]


def copy(target, tmp_path):
    planted = tmp_path / "planted.db"
    with sqlite3.connect(target) as src, sqlite3.connect(planted) as dst:
        src.backup(dst)
    return planted


def test_a_clean_run_judges_clean(written):
    target, logs = written
    assert set(judged(target, logs).values()) == {0}


def test_a_dropped_note_is_lost(written, tmp_path):
    target, logs = written
    planted = copy(target, tmp_path)
    added = next(r["note_id"] for _, e in logs if e["kind"] == "add" and e["outcome"] == "ack"
                 for r in e["got"] if r["op"] == "ADD")
    with sqlite3.connect(planted) as conn:
        conn.execute("DELETE FROM notes WHERE id = ?", (added,))
    assert judged(planted, logs)["lost"] >= 1


def test_a_note_stored_twice_is_duplicated(written, tmp_path):
    target, logs = written
    planted = copy(target, tmp_path)
    with sqlite3.connect(planted) as conn:  # a second live copy of one note, turn ids too
        conn.execute("DROP INDEX notes_scope_hash")
        columns = [c[1] for c in conn.execute("PRAGMA table_info(notes)") if c[1] != "rowid"]
        copied = ["id || '-copy'" if c == "id" else c for c in columns]
        conn.execute(f"INSERT INTO notes ({', '.join(columns)}) SELECT {', '.join(copied)} "
                     "FROM notes WHERE deleted_at IS NULL AND valid_until IS NULL AND "
                     "turn_ids <> '[]' LIMIT 1")
    assert judged(planted, logs)["duplicated"] >= 1


def test_a_lost_feedback_increment_and_a_wrong_utility_are_counted(written, tmp_path):
    target, logs = written
    planted = copy(target, tmp_path)
    with sqlite3.connect(planted) as conn:
        (note,) = conn.execute("SELECT note_id FROM note_feedback LIMIT 1").fetchone()
        conn.execute("DELETE FROM note_feedback WHERE id = (SELECT max(id) FROM note_feedback "
                     "WHERE note_id = ?)", (note,))
    zero = judged(planted, logs)
    assert zero["feedback increments lost"] == 1 and zero["utility not the replay"] >= 1


def test_a_lost_edit_and_a_half_written_note_are_counted(written, tmp_path):
    target, logs = written
    planted = copy(target, tmp_path)
    with sqlite3.connect(planted) as conn:
        conn.execute("DELETE FROM history WHERE op = 'UPDATE' AND actor LIKE 'writer-%'")
        conn.execute("DELETE FROM notes_fts WHERE rowid = (SELECT min(rowid) FROM notes "
                     "WHERE deleted_at IS NULL)")
    assert judged(planted, logs)["edits lost"] >= 1
    assert audit(planted, writers.DIMENSION)["half-written"] == 1
