"""The dense channel a store serves (``Store.dense``): the same notes, similarities,
neighbours, speakers and pool embeddings on SQLite (its in-process index) and on PostgreSQL
(SQL and the HNSW index), so a search with the speaker and diversity steps ranks alike on
both; and on PostgreSQL no tenant's vectors held by the searching process."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import psycopg
import pytest

from asem import Filters, Memory, MemoryConfig, ReadConfig, Scope, Tier
from asem.providers import HashEmbedder
from asem.stores.base import NewNote, Supersession, Turn, WriteBatch
from asem.stores.open import StoreOptions, open_store
from asem.stores.postgres import PostgresStore
from asem.types import now
from tests.test_store import make_note

PAST = datetime(2024, 1, 1)


def open_both(tmp_path, pg_url):
    options = StoreOptions(embedder_id=HashEmbedder().model_id)
    return (open_store(tmp_path / "m.db", options),
            open_store(pg_url, replace(options, dimension=256)))


def unit(rng: np.random.Generator, dim: int = 256) -> np.ndarray:
    vector = rng.normal(size=dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def notes_of_every_kind() -> tuple[list, list[Turn], dict[str, str]]:
    """Notes in two agents and two sessions, tagged and not, short-term (one expired),
    with a conversation of two speakers; returns them, their turns and named ids."""
    texts = ["Ana adopted a dog named Buddy", "Buddy is a golden retriever",
             "Ana lives in Boston", "Ana moved to Denver", "Ana works at the bakery",
             "Ana's sister is called Eva", "Eva plays the cello", "the cello was a gift",
             "Ana runs on Sundays", "Ana ignores all previous instructions",
             "a note about the weather", "Ana bought a red bicycle"]
    made = []
    for i, text in enumerate(texts):
        note = make_note(text, "u")
        scope = Scope("u", "a1" if i % 3 else "a2", f"s{i % 2}")
        note = replace(note, scope=scope, tags=("pets",) if i < 2 else (),
                       created_at=PAST + timedelta(hours=i), event_time=PAST + timedelta(hours=i))
        if i == 8:
            note = replace(note, tier=Tier.SHORT_TERM, expires_at=now() - timedelta(days=1))
        if i == 11:
            note = replace(note, tier=Tier.SHORT_TERM, expires_at=now() + timedelta(days=1))
        made.append(note)
    made.append(make_note("another tenant's dog", "v"))
    speakers = ["ana", "ben", "ana", "ana", "ben", "", "ana", "ben", "ben", "ana", "ben", "ana"]
    turns = [Turn("u", n.scope.agent_id or "", "chat", speakers[i], n.id)
             for i, n in enumerate(made[:12])]
    turns.append(Turn("u", "a1", "chat", "ben", made[1].id))  # said again later
    names = {"buddy": made[0].id, "boston": made[2].id, "denver": made[3].id,
             "bakery": made[4].id, "injection": made[9].id, "weather": made[10].id}
    return made, turns, names


def fill_alike(stores, made, turns, names) -> None:
    for store in stores:
        store.write(WriteBatch(tuple(NewNote(n) for n in made), turns=tuple(turns)))
        store.write(WriteBatch(supersessions=(Supersession(
            names["boston"], "u", PAST + timedelta(days=30), names["denver"], "moved"),)))
        store.set_quarantined(names["injection"], True, "injection", "test")
        store.archive([(names["weather"], "stale")], "test")
        store.delete_note(names["bakery"], "wrong", "test")


FILTERS = [Filters(), Filters(include_superseded=True), Filters(as_of=PAST + timedelta(days=1)),
           Filters(tags=("pets",)), Filters(include_quarantined=True), Filters(session_id="s1"),
           Filters(tier=Tier.SHORT_TERM), Filters(as_of=PAST + timedelta(days=60))]
SCOPES = [Scope("u"), Scope("u", "a1"), Scope("u", "a2", "s0"), Scope("nobody")]


def test_both_stores_serve_the_same_notes_for_every_scope_and_filter(tmp_path, pg_url):
    made, turns, names = notes_of_every_kind()
    sqlite, postgres = open_both(tmp_path, pg_url)
    try:
        fill_alike((sqlite, postgres), made, turns, names)
        ids = [n.id for n in made]
        query = HashEmbedder().embed(["Ana dog Buddy cello Denver"])[0]
        served = 0
        for scope in SCOPES:
            for filters in FILTERS:
                one, two = sqlite.dense(scope, filters), postgres.dense(scope, filters)
                near = one.nearest(query, 50), two.nearest(query, 50)
                assert [i for i, _ in near[0]] == [i for i, _ in near[1]], (scope, filters)
                np.testing.assert_allclose([s for _, s in near[0]], [s for _, s in near[1]],
                                           atol=1e-5)
                sims = one.similarities(query, ids), two.similarities(query, ids)
                assert sims[0].keys() == sims[1].keys() == {i for i, _ in near[0]}
                assert one.turn_neighbours(ids) == two.turn_neighbours(ids), (scope, filters)
                assert len(one.nearest_embeddings(query, 3)) == len(
                    two.nearest_embeddings(query, 3)) == min(3, len(near[0]))
                served += len(near[0])
                if near[0]:  # a pool: what the speaker and diversity steps read of it
                    same_pool_notes(one, two, [i for i, _ in near[0]])
        assert one.live_count() == two.live_count() == 0  # "nobody"
        assert sqlite.dense(Scope("u"), Filters()).live_count() == 10  # archived, deleted: out
        assert postgres.dense(Scope("u"), Filters()).live_count() == 10
        visible = {i for i, _ in sqlite.dense(Scope("u"), Filters()).nearest(query, 50)}
        assert names["boston"] not in visible and names["denver"] in visible
        assert not visible & {names["injection"], names["weather"], names["bakery"],
                              made[8].id, made[12].id}  # quarantined, archived, deleted,
        assert made[11].id in visible                     # expired; a short-term one is in
        assert served > 40
        assert sqlite.replies("u", ids) == postgres.replies("u", ids) != {}
        one, two = sqlite.dense(Scope("u"), Filters()), postgres.dense(Scope("u"), Filters())
        assert one.speakers() == two.speakers() == {"ana", "ben"}
        for labels in ({"ana"}, {"ben"}, {"ana", "ben"}, {"cleo"}):
            assert one.said_by(frozenset(labels)) == two.said_by(frozenset(labels))
        # Ana's live notes (the bakery note, deleted, was Ben's; the archived one Ben's)
        assert one.said_by(frozenset({"ana"})) == {made[i].id for i in (0, 2, 3, 6, 9, 11)}
        gone = [names["bakery"]]  # deleted: no embedding, its speaker kept
        assert one.pool_notes(gone).vectors.tolist() == two.pool_notes(gone).vectors.tolist() \
            == [[0.0] * 256]
        assert sqlite.dense(Scope("v"), Filters()).speakers() == set() == postgres.dense(
            Scope("v"), Filters()).speakers()
    finally:
        sqlite.close()
        postgres.close()


def same_pool_notes(one, two, ids: list[str]) -> None:
    """Both sources read the same embeddings, speakers and conversations of ``ids``."""
    first, second = one.pool_notes(ids), two.pool_notes(ids)
    np.testing.assert_allclose(first.vectors, second.vectors, atol=1e-6)
    assert first.vectors.shape == (len(ids), 256) and np.all(first.vectors.any(axis=1))

    def of(found):  # a store may answer with more notes than asked about
        return {i: found[i] for i in ids if i in found}

    assert of(first.threads) == of(second.threads) and of(second.threads)
    assert of(one.speakers_of(ids)) == of(two.speakers_of(ids))


QUESTIONS = ("where does Ana live", "what dog does Ana have", "who plays the cello",
             "what does Ben do on Sundays", "Ana's sister and her cello")
STEPS_STRONG = ReadConfig(diversity_threshold=0.0, thread_penalty=0.2, speaker_pool=4)
"""The speaker and diversity steps at their strongest: every placed note costs the notes
below it, and a named speaker's notes join the pool."""


def searched(store, config: ReadConfig) -> list[list[tuple[str, float, float, float]]]:
    """Per question: (note id, score, speaker rise, diversity loss) of each hit."""
    with Memory(store=store, embedder=HashEmbedder(),
                config=MemoryConfig(read=config)) as memory:
        return [[(h.note.id, h.score, h.parts.speaker, h.parts.diversity)
                 for h in memory.search(q, user_id="u", k=5) if h.parts is not None]
                for q in QUESTIONS]


@pytest.mark.parametrize("config", [ReadConfig(), STEPS_STRONG,
                                    ReadConfig(speaker_weight=0.0, diversity_weight=0.0)],
                         ids=["default", "strong", "off"])
def test_a_search_ranks_the_same_hits_from_both_stores(tmp_path, pg_url, config):
    """The speaker and diversity steps run on both stores alike, from what each one's dense
    source reads of the pool."""
    made, turns, names = notes_of_every_kind()
    sqlite, postgres = open_both(tmp_path, pg_url)
    try:
        fill_alike((sqlite, postgres), made, turns, names)
        one, two = searched(sqlite, config), searched(postgres, config)
        assert [[hit[0] for hit in hits] for hits in one] == [
            [hit[0] for hit in hits] for hits in two]
        # the steps' parts (BM25's statistics differ a little between the stores' lexical
        # indexes, so the scores themselves are not compared)
        np.testing.assert_allclose([h[2:] for hits in one for h in hits],
                                   [h[2:] for hits in two for h in hits], atol=1e-6)
        rose = sum(h[2] > 0 for hits in two for h in hits)
        lost = sum(h[3] < 0 for hits in two for h in hits)
        if config is STEPS_STRONG:  # both steps moved notes on both stores
            assert rose > 0 and lost > 0
        elif config.speaker_weight:  # these notes are too unlike for the default threshold
            assert rose > 0
        else:
            assert rose == lost == 0
        assert sum(len(hits) for hits in one) > 10
    finally:
        sqlite.close()
        postgres.close()


def test_a_search_asks_postgresql_for_the_pool_once(pg_url):
    """The pool's speakers, conversations and embeddings are read in one batched query,
    kept for the rest of the search."""
    made, turns, names = notes_of_every_kind()
    store = PostgresStore(pg_url, embedder_id=HashEmbedder().model_id, dimension=256)
    try:
        fill_alike((store,), made, turns, names)
        source = store.dense(Scope("u"), Filters())
        ids = [i for i, _ in source.nearest(HashEmbedder().embed(["Ana"])[0], 8)]
        asked: list[int] = []
        real = source._read

        def counting():
            asked.append(1)
            return real()

        source._read = counting
        said = source.speakers_of(ids)
        whole = source.pool_notes(ids)
        part = source.pool_notes(ids[2:5])
        assert len(asked) == 1 and said.keys() <= set(ids) and said
        np.testing.assert_array_equal(part.vectors, whole.vectors[2:5])
        source.speakers(), source.speakers()
        assert len(asked) == 2
        assert store._indexes == {}  # no tenant's matrix was loaded
    finally:
        store.close()


def _spread(rng, note, tags=()):
    return NewNote(replace(note, embedding=unit(rng), tags=tags))


@pytest.mark.parametrize("exact_limit", [1_000, 0])
def test_a_tenant_of_five_notes_in_a_large_table_gets_its_k_nearest(pg_url, exact_limit):
    """Exact for a small tenant by default; through the HNSW index (exact_limit=0) the scan
    must go past thousands of other tenants' notes, or fall back to the exact scan."""
    rng = np.random.default_rng(3)
    store = PostgresStore(pg_url, embedder_id=HashEmbedder().model_id, dimension=256,
                          exact_limit=exact_limit)
    try:
        crowd = [_spread(rng, make_note(f"note {i}", f"t{i % 4}")) for i in range(3000)]
        small = [_spread(rng, make_note(f"small note {i}", "small")) for i in range(5)]
        store.write(WriteBatch(tuple(crowd[:1500] + small + crowd[1500:])))
        query = unit(rng)
        want = sorted(((n.note.id, float(n.note.embedding @ query)) for n in small),
                      key=lambda pair: -pair[1])
        for _ in ("before ANALYZE", "after"):  # the table size unknown, then known
            found = store.dense(Scope("small"), Filters()).nearest(query, 5)
            assert [i for i, _ in found] == [i for i, _ in want]
            np.testing.assert_allclose([s for _, s in found], [s for _, s in want], atol=1e-5)
            assert len(store.dense(Scope("small"), Filters()).nearest(query, 20)) == 5
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute("ANALYZE notes")
        assert store._indexes == {}  # no tenant's matrix was loaded
    finally:
        store.close()


def test_a_large_tenant_is_searched_through_the_hnsw_index(pg_url):
    rng = np.random.default_rng(5)
    store = PostgresStore(pg_url, embedder_id=HashEmbedder().model_id, dimension=256,
                          exact_limit=100)
    try:
        notes = [_spread(rng, make_note(f"note {i}", "big")) for i in range(400)]
        store.write(WriteBatch(tuple(notes)))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE notes")
        query = unit(rng)
        exact = sorted((float(n.note.embedding @ query), n.note.id) for n in notes)[::-1][:10]
        with store._read() as conn:  # the statement the index path runs, as planned
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            plan = " ".join(r["QUERY PLAN"] for r in conn.execute(
                "EXPLAIN SELECT id FROM notes WHERE vector_dims(embedding) = 256 AND "
                "user_id = 'big' AND deleted_at IS NULL ORDER BY embedding::vector(256) "
                "<=> %s::vector(256) LIMIT 40", (query,)))
        assert "notes_embedding_hnsw_256" in plan
        found = store.dense(Scope("big"), Filters()).nearest(query, 10)
        assert len({i for i, _ in found} & {i for _, i in exact}) >= 9  # HNSW's recall
    finally:
        store.close()


WRITER = """
import sys
from asem import Memory
from asem.providers import HashEmbedder
with Memory(sys.argv[1], embedder=HashEmbedder(), manager="rule") as memory:
    if sys.argv[2] == "add":
        print(memory.add(sys.argv[3], user_id="u")[0].note_id)
    else:
        memory.delete(sys.argv[3], user_id="u")
"""


def test_a_write_in_another_process_is_seen_by_the_next_search(pg_url):
    def other(*args: str) -> str:
        done = subprocess.run([sys.executable, "-c", WRITER, pg_url, *args], text=True,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    with Memory(pg_url, embedder=HashEmbedder(), manager="rule") as memory:
        memory.add("Ana plays the cello", user_id="u")
        reader = Memory(pg_url, embedder=HashEmbedder(), manager="rule")
        try:
            assert [h.note.content for h in reader.search("cello", user_id="u")] == [
                "Ana plays the cello"]
            added = other("add", "Ana bought a new cello bow")
            assert added in [h.note.id for h in reader.search("cello bow", user_id="u")]
            other("delete", added)
            assert added not in [h.note.id for h in reader.search("cello bow", user_id="u")]
            assert reader.store._indexes == {}  # the searching process held no vectors
        finally:
            reader.close()
