"""benchmarks/contention.py: concurrent merges into a few notes lose nothing (small sizes)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

# Imported by name from its folder: the writer processes it spawns import it the same way.
sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
contention = importlib.import_module("contention")


@pytest.mark.parametrize(("setup", "writers"), [("threads", 4), ("processes", 2)])
def test_every_acknowledged_merge_is_in_a_live_note(tmp_path, setup, writers):
    report = contention.measure(setup, writers, 10, 2, tmp_path)
    assert report["acknowledged"] == writers * 10 and report["gave_up"] == 0
    assert report["ops"] == {"UPDATE": writers * 10}
    assert report["lost"] == 0 and report["duplicates"] == 0


def test_processes_on_one_postgresql_database_lose_no_merge(tmp_path, pg_server):
    from asem.eval.databases import PostgresDatabases

    databases = PostgresDatabases(pg_server)
    try:
        report = contention.measure("processes", 2, 10, 2, tmp_path, databases)
    finally:
        databases.close()
    assert report["store"] == "postgres" and report["acknowledged"] == 20
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["gave_up"] == 0


def test_a_lost_merge_is_counted(tmp_path):
    """The count the benchmark reports is the count of inputs no live note holds."""
    path = tmp_path / "m.db"
    contention.seed(path, 1)
    memory, _ = contention.open_memory(path)
    with memory:
        (note_id,) = memory.store.vector_index("u").ids
        memory.add("topic0 w0i0", user_id="u")
        memory.update(note_id, "topic0 notes", user_id="u")  # the merged line is written over
    assert contention.live_lines(path)["topic0 w0i0"] == 0
