"""The PostgreSQL store's lexical channel: BM25 with each tenant's own statistics, kept
between searches while the tenant is unchanged, and scored from postings that follow every
write of a note."""

from __future__ import annotations

import numpy as np
import pytest

from asem import Memory
from asem.providers import HashEmbedder
from asem.types import Filters, Scope
from tests.conftest import executed, query


def memory(url: str, manager: str = "always-add") -> Memory:
    return Memory(url, embedder=HashEmbedder(), manager=manager, background=False)


def test_one_tenants_notes_never_change_another_tenants_lexical_scores(pg_url):
    with memory(pg_url, "always-add") as m:
        for text in ("Alice plays the cello", "Alice walks her dog", "Bob fixes bikes"):
            m.add(text, user_id="a")
        terms = ["alice", "cello"]
        ids = list(m.store.vector_index("a").ids)
        scores = m.store.lexical("a", terms, 10)
        stats = m.store.term_stats("a", terms, ids)
        for i in range(30):  # another tenant full of the same words
            m.add(f"cello player {i} named alice", user_id="b")
        assert m.store.lexical("a", terms, 10) == scores
        assert m.store.term_stats("a", terms, ids) == stats
    assert [s > 0 for _, s in scores] == [True, True]
    assert stats["alice"][0] == 2 and stats["cello"][0] == 1
    best, _ = scores[0]
    assert best == ids[0]  # the note holding both terms ranks first


def test_lexical_statistics_are_kept_until_any_process_writes_the_tenant(pg_url):
    """The counts of a tenant (N, mean length, each term's notes) are read once per state of
    the tenant: kept while nothing of it changes, counted again after a write by this store
    or another one, and the scores always those a store counting afresh gives."""
    terms = ["alice", "cello"]
    with memory(pg_url, "always-add") as one, memory(pg_url, "always-add") as two:
        one.add("Alice plays the cello", user_id="a")
        one.add("Alice walks her dog", user_id="a")
        counted = one.store.lexical("a", terms, 10)
        with executed() as statements:
            assert one.store.lexical("a", terms, 10) == counted
            assert one.store.dense(Scope("a"), Filters()).live_count() == 2
        kept = [s for s in statements if "count(*)" in s]
        assert kept == []  # nothing was counted again
        two.add("Alice tunes her cello", user_id="a")  # another store, another process
        one.add("Bob fixes bikes", user_id="b")  # another tenant: a's counts stand
        with memory(pg_url, "always-add") as fresh:
            expected = fresh.store.lexical("a", terms, 10)
            expected_stats = fresh.store.term_stats("a", terms, [])
        assert one.store.lexical("a", terms, 10) == expected and len(expected) == 3
        assert one.store.term_stats("a", terms, []) == expected_stats
        assert expected_stats["cello"][0] == 2
        assert one.store.dense(Scope("a"), Filters()).live_count() == 3
        one.delete(expected[0][0], user_id="a")
        assert len(one.store.lexical("a", terms, 10)) == 2


_POSTINGS = ("SELECT seq, lexeme, len, round(tf::numeric, 6) FROM note_terms "
             "ORDER BY seq, lexeme")
_FROM_NOTES = ("SELECT n.seq, x.lexeme, n.lexical_len, round(sum(CASE w WHEN 'A' THEN 1.0 "
               "WHEN 'B' THEN 0.6 WHEN 'C' THEN 0.4 ELSE 0.3 END)::numeric, 6) "
               "FROM notes n, unnest(n.lexical) x, unnest(x.weights) w "
               "WHERE n.deleted_at IS NULL GROUP BY n.seq, x.lexeme, n.lexical_len "
               "ORDER BY n.seq, x.lexeme")


def test_bm25_postings_follow_every_write_of_a_note(pg_url):
    """The postings BM25 scores are read from (``note_terms``) are what the notes' tsvectors
    say after every kind of write: an add, an update of the text, a delete and its undo, a
    forget; and the scores are those of the notes' own tsvectors."""
    terms = ["alice", "cello", "dog"]
    with memory(pg_url, "always-add") as m:
        first = m.add("Alice plays the cello", user_id="a")[0].note_id
        second = m.add("Alice walks her dog every morning", user_id="a")[0].note_id
        m.add("Bob fixes bikes", user_id="b")
        steps = [lambda: None,
                 lambda: m.update(first, "Alice plays the cello and the dog sings",
                                  user_id="a"),
                 lambda: m.delete(second, user_id="a"),
                 lambda: m.undo_delete(second, user_id="a"),
                 lambda: m.forget(first, user_id="a")]
        for step in steps:
            step()
            assert query(pg_url, _POSTINGS) == query(pg_url, _FROM_NOTES)
            assert_counts_kept(pg_url)
            stats = m.store.term_stats("a", [*terms, "walks every", "the"], [])
            assert {t: n for t, (n, _) in stats.items()} == {
                t: query(pg_url, "SELECT count(*) FROM notes WHERE user_id = 'a' AND "
                                 "deleted_at IS NULL AND lexical @@ plainto_tsquery("
                                 "'asem_text', ?)", t)[0][0] for t in stats}
            got, expected = m.store.lexical("a", terms, 10), _reference_scores(pg_url, terms)
            assert [i for i, _ in got] == [i for i, _ in expected]
            assert [s for _, s in got] == pytest.approx([s for _, s in expected])
        assert [i for i, _ in m.store.lexical("a", terms, 10)] == [second]


_TENANT_COUNTS = "SELECT user_id, notes, tokens FROM tenant_lexical WHERE notes > 0 ORDER BY 1"
_TENANT_COUNTED = ("SELECT user_id, count(*), sum(lexical_len) FROM notes "
                   "WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1")
_LEXEME_COUNTS = "SELECT user_id, lexeme, notes FROM lexeme_notes ORDER BY 1, 2"
_LEXEME_COUNTED = "SELECT user_id, lexeme, count(*) FROM note_terms GROUP BY 1, 2 ORDER BY 1, 2"


def assert_counts_kept(url: str) -> None:
    """The counts the triggers keep (migration 0014) are what counting gives: each tenant's
    live notes and tokens, each lexeme's live notes, and no row for a lexeme none holds."""
    assert query(url, _TENANT_COUNTS) == query(url, _TENANT_COUNTED)
    assert query(url, _LEXEME_COUNTS) == query(url, _LEXEME_COUNTED)


def test_the_counts_are_backfilled_for_a_database_of_an_earlier_schema(pg_url):
    from pathlib import Path

    import psycopg

    import asem.stores.postgres as package

    with memory(pg_url, "always-add") as m:
        m.add("Alice plays the cello", user_id="a")
        m.add("Bob fixes bikes and the cello", user_id="b")
        scores = m.store.lexical("a", ["alice", "cello"], 10)
    sql = (Path(package.__file__).parent / "migrations" / "0014_lexical_counts.sql").read_text()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE tenant_lexical, lexeme_notes")
        conn.execute(sql)  # type: ignore[arg-type]
    assert_counts_kept(pg_url)
    assert query(pg_url, "SELECT count(*) FROM lexeme_notes")[0][0] > 0
    with memory(pg_url, "always-add") as m:
        assert m.store.lexical("a", ["alice", "cello"], 10) == scores


def _reference_scores(url: str, terms: list[str]) -> list[tuple[str, float]]:
    """BM25 as FTS5 computes it, from the tenant's tsvectors alone (no postings)."""
    rows = query(url, "SELECT id, lexical::text, lexical_len FROM notes WHERE user_id = 'a' "
                      "AND deleted_at IS NULL ORDER BY seq")
    weight = {"A": 1.0, "B": 0.6, "C": 0.4, "D": 0.3}
    notes = []
    for note_id, vector, length in rows:
        tf: dict[str, float] = {}
        for entry in vector.split():
            lexeme, _, positions = entry.rpartition(":")
            tf[lexeme.strip("'")] = sum(weight.get(p[-1], 0.3)  # no letter: D
                                        for p in positions.split(","))
        notes.append((note_id, tf, length))
    n = len(notes)
    avgdl = max(sum(length for *_, length in notes) / n, 1) if n else 1
    lexemes = {lexeme for t in terms for lexeme in _lexemes(url, t)}
    scored = []
    for note_id, tf, length in notes:
        found = [lx for lx in lexemes if lx in tf]
        if not found:
            continue
        score = 0.0
        for lx in found:
            df = sum(lx in other for _, other, _ in notes)
            idf = max(np.log((n - df + 0.5) / (df + 0.5)), 1e-6)
            score += idf * tf[lx] * 2.2 / (tf[lx] + 1.2 * (0.25 + 0.75 * length / avgdl))
        scored.append((note_id, score))
    return sorted(scored, key=lambda pair: -pair[1])  # ties in the order written


def _lexemes(url: str, term: str) -> list[str]:
    return [r[0] for r in query(url, "SELECT unnest(tsvector_to_array("
                                     "to_tsvector('asem_text', ?)))", term)]
