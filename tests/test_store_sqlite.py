"""The SQLite store's own file handling: migrations, WAL, one transaction per write, an
in-memory database, and the vector index it keeps (the contract is in tests/test_store.py)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from asem import Memory, Scope, Tier
from asem.providers import HashEmbedder
from asem.stores import NewNote, SQLiteStore
from asem.stores.base import WriteBatch
from asem.stores.sqlite import connection
from asem.write.construct import new_note
from asem.write.enrich import Enrichment
from asem.write.inputs import WriteInput


def raw(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_new_file_is_migrated_to_the_latest_version(memory, db_path):
    latest = max(version for version, _ in connection._migrations())
    assert latest >= 1
    assert raw(db_path, "PRAGMA user_version") == [(latest,)]
    tables = {r[0] for r in raw(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"notes", "notes_fts", "links", "history", "retrievals", "feedback"} <= tables



def test_file_is_in_wal_mode(memory, db_path):
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]



def test_reopening_runs_only_new_migrations_and_keeps_data(db_path, monkeypatch):
    with Memory(db_path, embedder=HashEmbedder()) as m:
        note_id = m.add("Alice plays the cello", user_id="u")[0].note_id
    current = connection._migrations()
    latest = max(v for v, _ in current)
    monkeypatch.setattr(connection, "_migrations", lambda: [
        *current, (latest + 1, "CREATE TABLE extra (x INTEGER);")])
    with Memory(db_path, embedder=HashEmbedder()) as m:
        assert m.get(note_id, user_id="u").content == "Alice plays the cello"
    assert raw(db_path, "PRAGMA user_version") == [(latest + 1,)]
    assert raw(db_path, "SELECT count(*) FROM extra") == [(0,)]



def test_a_failed_migration_changes_nothing_and_releases_the_file(db_path, monkeypatch):
    SQLiteStore(db_path, embedder_id="x").close()
    current = connection._migrations()
    latest = max(v for v, _ in current)
    monkeypatch.setattr(connection, "_migrations", lambda: [
        *current, (latest + 1, "CREATE TABLE extra (x); SELECT no_such_function();")])
    with pytest.raises(Exception, match="no_such_function"):
        SQLiteStore(db_path, embedder_id="x")
    assert raw(db_path, "PRAGMA user_version") == [(latest,)]
    assert raw(db_path, "SELECT name FROM sqlite_master WHERE name = 'extra'") == []
    other = sqlite3.connect(db_path, timeout=0.2)
    other.execute("BEGIN IMMEDIATE")  # the write lock must not be left held
    other.execute("ROLLBACK")
    other.close()


# -- atomic writes -------------------------------------------------------------------------

def test_chat_messages_are_written_in_one_transaction(memory):
    statements: list[str] = []
    memory.store._conn.set_trace_callback(statements.append)
    memory.add([{"speaker": "A", "content": f"message number {i} about ducks"}
                for i in range(5)], user_id="u")
    memory.store._conn.set_trace_callback(None)
    assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
        "BEGIN IMMEDIATE", "COMMIT"]
    assert memory.stats("u")["notes"] == 5


# -- uniqueness ----------------------------------------------------------------------------

def test_in_memory_database_works(tmp_path):
    with Memory(":memory:", embedder=HashEmbedder()) as m:
        (r,) = m.add("Alice plays the cello", user_id="u")
        assert m.search("cello", user_id="u")[0].note.id == r.note_id
        assert m.stats(all_users=True)["file_bytes"] == 0



def test_vector_index_extensions_never_change_an_older_index():
    from datetime import datetime

    from asem.stores import VectorIndex
    from asem.types import Note, Scope

    def note(i: int) -> Note:
        vector = np.zeros(4, np.float32)
        vector[i % 4] = 1.0
        stamp = datetime(2024, 1, 1)
        return Note(id=f"n{i}", content=str(i), scope=Scope("u"), created_at=stamp,
                    observed_at=stamp, event_time=stamp, embedding=vector,
                    intent_embedding=vector)

    base = VectorIndex().extended([note(0)])
    first = base.extended([note(1)])
    second = base.extended([note(2)])  # a second child of the same parent: must not clobber
    assert first.ids == ["n0", "n1"] and second.ids == ["n0", "n2"]
    assert first.embeddings[1].tolist() == [0, 1, 0, 0]
    assert second.embeddings[1].tolist() == [0, 0, 1, 0]
    assert len(base) == 1 and base.embeddings.shape == (1, 4)
    grown = first
    for i in range(3, 200):  # many appends: buffers grow, rows stay put
        grown = grown.extended([note(i)])
    assert grown.row_of("n150") == 149
    assert grown.embeddings[149].tolist() == note(150).embedding.tolist()
    assert first.embeddings.shape == (2, 4)


# -- lexical statistics --------------------------------------------------------------------------
def fts5_bm25(path, user_id: str, terms: list[str]) -> list[tuple[str, float]]:
    """FTS5's own bm25() for the user's matches: statistics of the whole table."""
    from asem.stores.sqlite.lexical import _match

    rows = raw(path, "SELECT n.id, -bm25(notes_fts, 1.0, 0.6, 0.3, 0.4, 0.6, 0.0) AS s "
                     "FROM notes_fts JOIN notes n ON n.rowid = notes_fts.rowid "
                     "WHERE notes_fts MATCH ? ORDER BY s DESC", _match(user_id, terms))
    return [(i, s) for i, s in rows]


def assert_fts5_scores(m, db_path, terms):
    scores = m.store.lexical("a", terms, 10)
    assert [i for i, _ in scores] == [i for i, _ in fts5_bm25(db_path, "a", terms)]
    assert [s for _, s in scores] == pytest.approx(
        [s for _, s in fts5_bm25(db_path, "a", terms)], rel=1e-9)


def test_fts5_scores_each_match_of_a_whole_table_ranking_once(db_path):
    """Sorting by the returned score, not by a second bm25() call: every match of a common
    word is scored, so a second call doubles the lexical channel's cost."""
    with Memory(db_path, embedder=HashEmbedder()) as m:
        m.add("The kayak is red", user_id="a")
        m.search("kayak", user_id="a")
        conn, seen = m.store._conn, []
        conn.set_trace_callback(seen.append)
        try:
            assert m.store.lexical("a", ["kayak", "red"], 5)
        finally:
            conn.set_trace_callback(None)
        (ranking,) = [q for q in seen if "bm25" in q]
        program = conn.execute(f"EXPLAIN {ranking}").fetchall()
        assert [op[1] for op in program].count("Function") == 1


def tagged(content: str, tags: tuple[str, ...], m: Memory) -> None:
    """A note of tenant "a" with ``tags``, written to the store as an import writes it."""
    (vector,) = m.embedder.embed([content])
    note = new_note(WriteInput(content, Scope("a")), Enrichment(tags=tags), vector, vector,
                    utility=0.5, tier=Tier.LONG_TERM)
    with m.store.snapshot(exclusive=True, users=["a"]):
        m.store.write(WriteBatch(new=(NewNote(note),)))


def test_one_tenants_notes_never_change_another_tenants_lexical_scores(db_path):
    with Memory(db_path, embedder=HashEmbedder(), manager="always-add") as m:
        for text in ("Alice plays the cello", "Alice walks her dog by the cello shop",
                     "Bob fixes bikes", "Alice: cello, cello and more cello"):
            m.add(text, user_id="a")
        # a term in a weighted column beside the content, and a tag holding the byte that
        # marks a term's instances (``lexical._HITS``): it must not count as one
        tagged("Alice bought rosin", ("cello", "shop\x01\x01"), m)
        terms = ["alice", "cello", "shop"]
        m.search("cello", user_id="a")  # the tenant's index held, with its lexical size
        assert_fts5_scores(m, db_path, terms)  # with one tenant in the file
        (added,) = m.add("Alice tunes the cello before the concert tonight", user_id="a")
        assert_fts5_scores(m, db_path, terms)  # its size kept current through its writes
        m.update(added.note_id, "Alice tunes her old cello", user_id="a")
        assert_fts5_scores(m, db_path, terms)
        m.delete(added.note_id, user_id="a")
        assert_fts5_scores(m, db_path, terms)
        scores = m.store.lexical("a", terms, 10)
        for i in range(30):  # another tenant full of the same words, longer notes
            m.add(f"cello player number {i} named alice, who plays in a band", user_id="b")
        # (to rounding: with one tenant in the file FTS5 ranks, after that the store does)
        for limit in (10, 2):
            again = m.store.lexical("a", terms, limit)
            assert [i for i, _ in again] == [i for i, _ in scores[:limit]]
            assert [s for _, s in again] == pytest.approx([s for _, s in scores[:limit]],
                                                          rel=1e-9, abs=1e-12)
        # FTS5's bm25() would have moved: the statistics it mixes in are b's.
        assert [s for _, s in fts5_bm25(db_path, "a", terms)] != pytest.approx(
            [s for _, s in scores], rel=1e-6)
        # No statement walks other tenants' notes of a term: no count in the whole table,
        # and no bm25(), which counts a term's notes in the whole table for its IDF.
        conn, seen = m.store._conn, []
        conn.set_trace_callback(seen.append)
        try:
            m.store.lexical("a", terms, 10)
        finally:
            conn.set_trace_callback(None)
        assert seen and [q for q in seen if "count(" in q or "bm25(" in q] == []
