"""What the PostgreSQL store adds to the contract (tests/test_store.py runs that on it):
migrations under a lock, several servers on one database (tenant write locks, the job queue,
cached vector indexes), errors a user can act on, and moving a memory from SQLite to
PostgreSQL losing nothing. The lexical channel is tested in test_store_postgres_lexical.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import numpy as np
import psycopg
import pytest

from asem import InvalidInputError, Memory
from asem.errors import StoreUnreachableError
from asem.providers import HashEmbedder
from asem.stores.base import NewNote, Supersession, WriteBatch
from asem.stores.open import StoreOptions, open_store
from asem.stores.postgres.connection import migrate, migrations
from asem.stores.postgres.store import PostgresStore
from asem.types import Filters, Scope
from tests.conftest import executed, new_database, query
from tests.test_cli import run


@pytest.fixture
def empty_url(pg_server):
    """A new database that no migration has touched."""
    with new_database(pg_server, template=None) as url:
        yield url


def store(url: str) -> PostgresStore:
    return PostgresStore(url, embedder_id=HashEmbedder().model_id, dimension=256)


def memory(url: str, manager: str = "rule") -> Memory:
    return Memory(url, embedder=HashEmbedder(), manager=manager, background=False)


# -- migrations --------------------------------------------------------------------------------
def test_processes_opening_a_new_database_at_once_migrate_it_once(empty_url):
    applied: list[list[str]] = []
    threads = [threading.Thread(target=lambda: applied.append(migrate(empty_url)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    names = [name for _, name, _ in migrations()]
    assert sorted(applied, key=len) == [[], [], [], names]
    assert query(empty_url, "SELECT name FROM schema_migrations ORDER BY version") == [
        (n,) for n in names]
    assert migrate(empty_url) == []


def test_asem_migrate_brings_either_database_up_to_date(empty_url, tmp_path):
    first = run("--db", empty_url, "--json", "migrate")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["applied"] == [name for _, name, _ in migrations()]
    again = run("--db", empty_url, "--json", "migrate")
    assert json.loads(again.stdout)["applied"] == []
    made = run("--db", str(tmp_path / "new.db"), "--json", "migrate")
    assert made.exit_code == 0 and json.loads(made.stdout)["applied"][0] == "0001"
    assert (tmp_path / "new.db").is_file()


def test_the_vector_index_of_the_embedder_dimension_is_made_on_open(pg_url):
    store(pg_url).close()
    indexes = {r[0] for r in query(pg_url, "SELECT indexname FROM pg_indexes "
                                           "WHERE tablename = 'notes'")}
    assert "notes_embedding_hnsw_256" in indexes and "notes_lexical" in indexes


# -- errors ------------------------------------------------------------------------------------
def test_an_unreachable_server_is_a_typed_error_that_says_what_to_check():
    with pytest.raises(StoreUnreachableError, match="check that the server runs"):
        open_store("postgresql://asem:pw@127.0.0.1:9/asem?connect_timeout=2",
                   StoreOptions("hash-bow-256", busy_timeout_s=1))


def test_the_cli_reports_an_unreachable_server_in_one_line():
    result = run("--db", "postgresql://asem:secret@127.0.0.1:9/asem?connect_timeout=2",
                 "stats")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot reach the PostgreSQL database" in result.stderr
    assert "secret" not in result.stderr


def test_an_unknown_scheme_is_refused_with_the_known_ones():
    with pytest.raises(InvalidInputError, match="postgresql"):
        open_store("mysql://x/y", StoreOptions("hash-bow-256"))


# -- several servers on one database -------------------------------------------------------------
def test_an_exclusive_snapshot_holds_back_writers_of_its_tenant_only(pg_url):
    with memory(pg_url) as one, memory(pg_url) as two:
        one.add("Alice plays the cello", user_id="alice")
        done: dict[str, float] = {}

        def write(user: str) -> None:
            two.add(f"{user} takes violin lessons", user_id=user)
            done[user] = time.monotonic()

        with one.store.snapshot(exclusive=True, users=["alice"]):
            writers = [threading.Thread(target=write, args=(u,)) for u in ("alice", "bob")]
            for t in writers:
                t.start()
            writers[1].join(timeout=120)
            time.sleep(0.5)  # alice's writer had time to commit, were it not held back
            assert "bob" in done and "alice" not in done
            released = time.monotonic()
        writers[0].join(timeout=120)
        assert done["alice"] >= released
        assert one.count_notes("alice") == 2


def test_two_workers_never_claim_the_same_job(pg_url):
    with memory(pg_url) as m:
        ids = [r.note_id for r in m.add([{"content": f"fact number {i} about a topic {i}"}
                                         for i in range(40)], user_id="u")]
    one, two = store(pg_url), store(pg_url)
    try:
        one.enqueue_jobs([(i, "u") for i in ids])
        claimed: list[list[int]] = [[], []]

        def claim(worker: int, s: PostgresStore) -> None:
            while jobs := s.claim_jobs(3, lease_s=60):
                claimed[worker] += [j.id for j in jobs]

        threads = [threading.Thread(target=claim, args=(w, s)) for w, s in enumerate((one, two))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        every = claimed[0] + claimed[1]
        assert len(every) == len(set(every)) == 40
        assert one.job_counts("u") == {"pending": 0, "running": 40, "done": 0, "failed": 0}
    finally:
        one.close()
        two.close()


def test_a_cached_index_is_brought_up_to_date_from_the_change_log(pg_url):
    """The write path's matrix is loaded once; every later write, this worker's or another's
    (an add, an update, a delete, a supersession), is read from the change log and patched
    in, so the matrix always equals one loaded afresh; a note removed for good loads it
    anew."""
    with memory(pg_url) as one, memory(pg_url) as two:
        one.add("Alice plays the cello", user_id="u")
        first = one.store.vector_index("u")
        assert one.store.vector_index("u") is first  # nothing changed: the cached one
        one.add("Alice also plays the piano", user_id="u")
        assert len(one.store.vector_index("u")) == 2  # its own write patched in
        (r,) = two.add("Bob likes jazz", user_id="u")
        assert one.store.vector_index("u").ids[-1] == r.note_id
        two.add("Carol likes opera", user_id="other")
        assert len(one.store.vector_index("u")) == 3
        two.delete(r.note_id, user_id="u")
        (c,) = two.add("Dan sings in a choir", user_id="u")
        two.update(c.note_id, "Dan sings in two choirs", user_id="u")
        held = one.store.vector_index("u")
        assert one.store.index_loads == 1  # every change above came from the log
        with memory(pg_url) as fresh:
            loaded = fresh.store.vector_index("u")
            _same_matrix(held, loaded)
        two.forget(c.note_id, user_id="u")  # removed for good: its turns too
        assert c.note_id not in one.store.vector_index("u").ids
        assert one.store.index_loads == 2


def _same_matrix(held, loaded) -> None:
    live = {note_id for note_id in held.ids if held.row_of(note_id) is not None}
    assert live == set(loaded.ids) and held.live_count == loaded.live_count
    for note_id in loaded.ids:
        a, b = held.row_of(note_id), loaded.row_of(note_id)
        np.testing.assert_array_equal(held.embeddings[a], loaded.embeddings[b])
        np.testing.assert_array_equal(held.intents[a], loaded.intents[b])
    assert [t.note_id for t in held.turns] == [t.note_id for t in loaded.turns]


# -- SQLite to PostgreSQL --------------------------------------------------------------------------
def test_export_from_sqlite_and_import_into_postgresql_loses_nothing(tmp_path, pg_url):
    source = tmp_path / "m.db"
    with memory(str(source)) as m:
        (a,) = m.add([{"speaker": "ana", "content": "I adopted a dog named Buddy"}],
                     user_id="default", session_id="s1", turn_id="t1")
        m.add([{"speaker": "ben", "content": "What breed is Buddy?"},
               {"speaker": "ana", "content": "Buddy is a golden retriever"}],
              user_id="default", session_id="s1")
        (boston,) = m.add("I live in Boston", user_id="default", timestamp=datetime(2024, 1, 5))
        (moved,) = m.add("I moved to Denver", user_id="default",
                         timestamp=datetime(2024, 6, 1))
        m.store.write(WriteBatch(supersessions=(Supersession(
            boston.note_id, "default", datetime(2024, 6, 1), moved.note_id, "moved"),)))
        result = m.search("Buddy dog breed", user_id="default")
        m.feedback(result.retrieval_id, 1.0, user_id="default")
        (gone,) = m.add("I work at the bakery", user_id="default")
        m.delete(gone.note_id, reason="left", user_id="default")
        m.add("another tenant's note", user_id="someone else")
    exported = run("--db", str(source), "export")
    assert exported.exit_code == 0, exported.output
    imported = run("--db", pg_url, "--json", "import", input=exported.stdout)
    assert imported.exit_code == 0, imported.output
    again = run("--db", pg_url, "--json", "import", input=exported.stdout)
    assert json.loads(again.stdout)["added"] == 0  # nothing stored twice

    with memory(str(source)) as before, memory(pg_url) as after:
        old = before.list_notes("default", include_superseded=True, include_deleted=True)
        new = after.list_notes("default", include_superseded=True, include_deleted=True)
        assert json.loads(imported.stdout)["added"] == len(old) == len(new) >= 6
        assert [_fields(n) for n in new] == [_fields(n) for n in old]
        assert [n.version for n in new] == [n.version for n in old]
        for x, y in zip(old, new, strict=True):
            np.testing.assert_array_equal(x.embedding, y.embedding)
            np.testing.assert_array_equal(x.intent_embedding, y.intent_embedding)
            assert before.store.links_from([x.id]) == after.store.links_from([y.id])
            assert ([h[2:] for h in _history(before, x.id)]
                    == [h[2:] for h in _history(after, y.id)])
        assert before.store.vector_index("default").turns == after.store.vector_index(
            "default").turns
        assert any(n.valid_until for n in new) and any(n.deleted_at for n in new)
        assert any(n.usage_count for n in new)
        searches = before.store.retrievals("default"), after.store.retrievals("default")
        assert [_retrieval(r) for r in searches[1]] == [_retrieval(r) for r in searches[0]]
        assert any(r.note_feedback for r in searches[1])
        for x, y in zip(*searches, strict=True):
            np.testing.assert_array_equal(x.query_vector, y.query_vector)
        ids = [n.id for n in old]
        assert ({k: [(e.reward, e.utility_before) for e in v]
                 for k, v in before.store.feedback_events(ids).items()}
                == {k: [(e.reward, e.utility_before) for e in v]
                    for k, v in after.store.feedback_events(ids).items()})
        # the same ranking (scores differ a little: BM25 here counts the tenant's notes only)
        ranked = [[h.note.id for h in m.search("Buddy dog breed", user_id="default")]
                  for m in (before, after)]
        assert ranked[0] == ranked[1] and a.note_id in ranked[1]
        assert after.get(moved.note_id, user_id="default").content == "I moved to Denver"
        assert after.list_notes("someone else") == []


def _fields(note) -> dict:
    """Every field of a note; its links as a set (links of one strength come in any order)."""
    fields = note.to_dict()
    fields["links"] = sorted(map(json.dumps, fields["links"]))
    return fields | {"version": note.version, "content_hash": note.content_hash}


def _retrieval(r) -> tuple:
    return (r.id, r.scope, r.query, r.note_ids, r.created_at, r.feedback, r.note_feedback)


def _history(m: Memory, note_id: str) -> list[tuple]:
    return [(e.id, e.note_id, e.op, e.old, e.new, e.at, e.reason, e.actor)
            for e in m.store.history(note_id)]


# -- nearest notes from the HNSW index -------------------------------------------------------------
def test_the_k_nearest_notes_passing_a_rare_filter_come_from_the_hnsw_index(pg_url):
    """1,000 notes of one tenant, 8 of them tagged: the HNSW scan must go on past the rows
    it would return by default (ef_search) until 5 tagged ones are found."""
    from dataclasses import replace

    from tests.test_store import make_note

    s = store(pg_url)
    try:
        rng = np.random.default_rng(7)

        def dense(note, tags=()):  # spread-out vectors, as a real embedder gives
            vector = rng.normal(size=256).astype(np.float32)
            vector /= np.linalg.norm(vector)
            return NewNote(replace(note, embedding=vector, tags=tags))

        plain = [dense(make_note(f"note {i} of a large tenant", "big")) for i in range(1000)]
        rare = [dense(make_note(f"rare note {i}", "big"), ("rare",)) for i in range(8)]
        s.write(WriteBatch(tuple(plain[:500] + rare + plain[500:])))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE notes")
        query_vector = rare[3].note.embedding + 0.5 * rare[5].note.embedding
        query_vector = (query_vector / np.linalg.norm(query_vector)).astype(np.float32)
        found = s.nearest(Scope("big"), Filters(tags=("rare",)), query_vector, 5)
        tagged = s.filtered_ids(Scope("big"), Filters(tags=("rare",)))
        index = s.vector_index("big")
        exact = sorted(((i, float(x)) for i, x in zip(index.ids, index.similarities(
            query_vector), strict=True) if i in tagged), key=lambda pair: -pair[1])[:5]
        assert len(found) == 5 and {i for i, _ in found} <= tagged
        assert [i for i, _ in found] == [i for i, _ in exact]
        assert [round(x, 5) for _, x in found] == [round(x, 5) for _, x in exact]
        with s._read() as conn:
            plan = " ".join(r["QUERY PLAN"] for r in conn.execute(
                "EXPLAIN SELECT id FROM notes WHERE vector_dims(embedding) = 256 AND "
                "deleted_at IS NULL AND user_id = 'big' AND tags && '{rare}' ORDER BY "
                "embedding::vector(256) <=> %s::vector(256) LIMIT 5", (query_vector,)))
        assert "notes_embedding_hnsw_256" in plan
    finally:
        s.close()


def test_two_servers_over_one_database_serve_the_same_memory(pg_url):
    """`asem serve --db postgresql://...` twice: keys, notes and feedback are shared."""
    import os
    import subprocess

    import httpx

    from benchmarks.server_load import free_port, wait_ready
    from tests.test_cli import ASEM_SCRIPT, CLEAN_ENV

    env = {k: v for k, v in {**os.environ, **CLEAN_ENV}.items() if v is not None}
    made = subprocess.run([str(ASEM_SCRIPT), "--db", pg_url, "--json", "keys", "create",
                           "--user", "ana"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Token {json.loads(made.stdout)['key']}"}
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([str(ASEM_SCRIPT), "--db", pg_url, "serve", "--port", str(p),
                                 "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for p in ports]
    try:
        one, two = (httpx.Client(base_url=f"http://127.0.0.1:{p}", headers=headers,
                                 timeout=60) for p in ports)
        for port, server in zip(ports, servers, strict=True):
            wait_ready(f"http://127.0.0.1:{port}", server)
        added = one.post("/v1/notes", json={"text": "I adopted a dog named Buddy"})
        assert added.status_code == 201, added.text
        found = two.post("/v1/search", json={"query": "my dog"}).json()
        assert [h["note"]["content"] for h in found["hits"]] == ["I adopted a dog named Buddy"]
        rated = one.post("/v1/feedback", json={"retrieval_id": found["retrieval_id"],
                                               "reward": 1.0})
        assert rated.status_code == 200, rated.text
        assert two.get("/v1/stats").json()["feedback_uses"] == 1
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=60)


def test_without_the_extra_opening_a_url_says_what_to_install(monkeypatch):
    import sys

    from asem.errors import NotConfiguredError

    for name in [m for m in sys.modules if m.startswith("asem.stores.postgres")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(NotConfiguredError, match=r"pip install 'asem\[postgres\]'"):
        open_store("postgresql://localhost/asem", StoreOptions("hash-bow-256"))


def test_the_url_sizes_the_pool_and_the_registry_examples_run(pg_url):
    import doctest

    import asem.stores.open

    assert doctest.testmod(asem.stores.open).failed == 0
    with Memory(f"{pg_url}&pool_min=2&pool_max=3", embedder=HashEmbedder()) as m:
        assert (m.store._pool.min_size, m.store._pool.max_size) == (2, 3)
        assert "pool_max" not in m.store.path
    with pytest.raises(InvalidInputError, match="pool_max must be a whole number"):
        Memory(f"{pg_url}&pool_max=lots", embedder=HashEmbedder())


def test_the_url_sets_the_hnsw_walk(pg_url):
    """``?ef_search=N`` is the candidate list of the HNSW walk a search makes."""
    with Memory(f"{pg_url}&exact_limit=0&ef_search=321", embedder=HashEmbedder(),
                manager="always-add") as m:
        for text in ("Alice plays the cello", "Bob fixes bikes", "Cleo bakes bread"):
            m.add(text, user_id="a")
        with executed() as said:
            m.search("who plays the cello?", user_id="a")
        assert "SET LOCAL hnsw.ef_search = 321" in said
        assert "ef_search" not in m.store.path
    with pytest.raises(InvalidInputError, match="ef_search must be a whole number"):
        Memory(f"{pg_url}&ef_search=0", embedder=HashEmbedder())
