"""Crash loop (``benchmarks/checks/crash.py``) at the fast size, and the faults it must report
when they are planted."""

from __future__ import annotations

import random
import sqlite3

import pytest
from checks import Size, crash
from checks.acknowledged import Input
from checks.store_audit import half_written

WHERE = [f"{store}, {surface}" for store in ("sqlite", "postgresql")
         for surface in ("CLI", "library", "server")]


def assert_every_row_ok(rows, size: Size) -> None:
    assert [r.where for r in rows] == WHERE
    for row in rows:
        assert row.ok, row
        assert row.runs == crash.SIZES[size][row.where.split(",")[0]]
    # Nothing silently skipped: inputs were acknowledged before kills, and jobs resumed.
    assert sum(r.counts["inputs acknowledged"] for r in rows) > 0
    assert sum(r.counts["jobs resumed"] for r in rows) > 0


@pytest.mark.parametrize("size", [Size.FAST, pytest.param(Size.FULL, marks=pytest.mark.slow)])
def test_every_row_passes(size, pg_server):
    assert_every_row_ok(crash.run(size, postgres_url=pg_server), size)


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """Library writers killed on one SQLite file (until they acknowledged inputs held by
    three notes): the file and what was acknowledged."""
    folder = tmp_path_factory.mktemp("crash")
    target = folder / "m.db"
    crash.prepared(target)
    rng = random.Random(3)
    acked: list[Input] = []
    for life in range(8):
        got, unexpected = crash.library_life(target, folder, f"L{life}", rng, "")
        assert unexpected == 0
        acked += got
        if len({i.holder for i in acked}) >= 3:
            break
    assert len({i.holder for i in acked}) >= 3
    return target, acked


def checked(target, acked, tmp_path):
    planted = tmp_path / "planted.db"
    with sqlite3.connect(target) as src, sqlite3.connect(planted) as dst:
        src.backup(dst)
    return planted


def test_a_clean_kill_checks_clean(killed, tmp_path):
    target, acked = killed
    planted = checked(target, acked, tmp_path)
    assert set(crash.reopened(planted, acked, crash.Counter()).values()) == {0}


def test_a_lost_input_a_half_written_note_and_a_lost_job_are_counted(killed, tmp_path):
    target, acked = killed
    planted = checked(target, acked, tmp_path)
    with sqlite3.connect(planted) as conn:
        live = {r[0] for r in conn.execute("SELECT id FROM notes WHERE deleted_at IS NULL")}
        dropped, unlogged, jobless = sorted(dict.fromkeys(
            i.holder for i in acked if i.holder in live))[:3]
        conn.execute("DELETE FROM notes WHERE id = ?", (dropped,))
        conn.execute("DELETE FROM history WHERE op = 'ADD' AND note_id = ?", (unlogged,))
        conn.execute("DELETE FROM llm_jobs WHERE note_id = ?", (jobless,))
    missing = half_written(planted, crash.DIMENSION, jobs=True)
    found = crash.reopened(planted, acked, crash.Counter())
    assert found["lost"] >= 1
    assert missing["no ADD history row"] == 1 and missing["no LLM job"] == 1
    assert missing["stale lexical row"] == 1  # the dropped note's
    assert found["half-written"] == sum(missing.values()) == 3
