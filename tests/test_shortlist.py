"""A large vector index ranks a shortlist found by sign codes (``asem.stores.sign_codes``):
the codes are what they say, follow every write, and the nearest notes of a search and of
the write path are those an exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from asem import Memory
from asem.providers import HashEmbedder
from asem.stores import vector_index
from asem.stores.dense import MatrixSource
from asem.stores.sign_codes import SignCodes
from asem.stores.vector_index import IndexRow, VectorIndex
from asem.types import Scope
from asem.write.link import Neighbourhood


def clustered(rng: np.random.Generator, rows: int, dim: int = 96,
              clusters: int = 60) -> np.ndarray:
    """Unit vectors around a shared direction and ``clusters`` centres, as sentence
    embeddings lie."""
    common = rng.normal(size=dim)
    centres = rng.normal(size=(clusters, dim)) + 2 * common
    vectors = centres[rng.integers(clusters, size=rows)] + 0.6 * rng.normal(size=(rows, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def index_of(vectors: np.ndarray, agents: list[str] | None = None) -> VectorIndex:
    agents = agents or ["a"] * len(vectors)
    return VectorIndex([f"n{i}" for i in range(len(vectors))], vectors, vectors.copy(),
                       agents, [""] * len(vectors))


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int,
              mask: np.ndarray | None = None) -> set[int]:
    sims = vectors @ query
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    return set(np.argsort(-sims)[:k].tolist())


@pytest.fixture
def small_shortlists(monkeypatch):
    """Indexes of 1,000 rows or more rank a shortlist of 150 rows (10 per result)."""
    monkeypatch.setattr(VectorIndex, "shortlist_from", 1000)
    monkeypatch.setattr(vector_index, "SHORTLIST_ROWS", 150)
    monkeypatch.setattr(vector_index, "SHORTLIST_PER_RESULT", 10)


@pytest.mark.parametrize("dim", [384, 100])
def test_a_code_is_the_sign_bits_of_the_centred_vector(dim):
    rng = np.random.default_rng(dim)
    vectors, (query,) = np.split(clustered(rng, 301, dim), [300])
    codes = SignCodes.of(vectors)
    centre = vectors.mean(axis=0)
    expected = ((vectors > centre) != (query > centre)).sum(axis=1)
    assert codes.distances(query).tolist() == expected.tolist()


def test_codes_extended_by_each_write_are_the_codes_made_at_once():
    vectors, (query,) = np.split(clustered(np.random.default_rng(1), 501), [500])
    base = SignCodes.of(vectors[:300])
    grown = base.extended(vectors[300:400]).extended(vectors[400:])
    at_once = ((vectors > base.centre) != (query > base.centre)).sum(axis=1)
    assert grown.distances(query).tolist() == at_once.tolist()
    # Two writes on the same older codes (an index extended twice) do not overwrite
    # each other's rows, and the older codes still cover their own rows alone.
    first = base.extended(vectors[400:401])
    other = base.extended(vectors[401:402])
    assert first.distances(query)[-1] == at_once[400]
    assert other.distances(query)[-1] == at_once[401]
    assert base.distances(query).tolist() == at_once[:300].tolist()


def test_below_the_threshold_every_row_is_ranked():
    index = index_of(clustered(np.random.default_rng(2), 50))
    assert not index.shortlists
    assert index.shortlist(index.embeddings[0], np.ones(50, bool), 5) is None


def test_the_nearest_of_a_large_index_are_the_exact_nearest(small_shortlists):
    rng = np.random.default_rng(3)
    vectors, queries = np.split(clustered(rng, 3040), [3000])
    agents = ["a" if i % 3 else "b" for i in range(len(vectors))]
    index = index_of(vectors, agents)
    assert index.shortlists
    mask = index.scope_mask(Scope("u", "a"))
    source = MatrixSource(index, mask)
    found = []
    for query in queries:
        rows = index.shortlist(query, mask, 10)
        assert rows is not None and len(rows) == 150 and mask[rows].all()
        nearest = source.nearest(query, 10)
        assert [s for _, s in nearest] == sorted((s for _, s in nearest), reverse=True)
        got = {int(note_id[1:]) for note_id, _ in nearest}
        assert all(agents[r] == "a" for r in got)
        found.append(len(got & exact_top(vectors, query, 10, mask)) / 10)
        ids = [f"n{r}" for r in range(0, 3000, 7)]
        sims = source.similarities(query, ids)
        assert set(sims) == {i for i in ids if mask[int(i[1:])]}
        assert np.allclose([sims[i] for i in sims], [vectors[int(i[1:])] @ query for i in sims],
                           atol=1e-6)
    # 150 of 2,000 visible rows: drawn at random, a shortlist would hold 0.75 of 10.
    assert np.mean(found) >= 0.95


def test_a_scope_of_few_notes_is_ranked_whole(small_shortlists):
    vectors = clustered(np.random.default_rng(4), 2000)
    index = index_of(vectors, ["a" if i < 100 else "b" for i in range(2000)])
    mask = index.scope_mask(Scope("u", "a"))
    rows = index.shortlist(vectors[5], mask, 10)
    assert rows is not None and sorted(rows.tolist()) == list(range(100))


def test_the_write_path_finds_the_exact_nearest_among_a_shortlist(small_shortlists):
    rng = np.random.default_rng(5)
    vectors, queries = np.split(clustered(rng, 2520), [2500])
    index = index_of(vectors)
    hits = []
    for query in queries:
        place = Neighbourhood(index, lambda ids: {})
        _, sims = place._stored(Scope("u"), query, 5)
        assert len(sims) == 150
        rows, _ = place._stored(Scope("u"), query, 5)
        best = {int(rows[i]) for i in np.argsort(-sims)[:5]}
        hits.append(len(best & exact_top(vectors, query, 5)) / 5)
    assert np.mean(hits) >= 0.95


def test_codes_follow_writes_updates_deletes_and_compaction(small_shortlists, monkeypatch):
    monkeypatch.setattr(VectorIndex, "compact_after", 100)
    rng = np.random.default_rng(6)
    vectors, (fresh,) = np.split(clustered(rng, 1501), [1500])
    index = index_of(vectors)
    everyone = Scope("u")
    probe = vectors[0]
    index.shortlist(probe, index.scope_mask(everyone), 5)  # the codes are made now

    def nearest(ix: VectorIndex, query: np.ndarray) -> str:
        return MatrixSource(ix, ix.scope_mask(everyone)).nearest(query, 1)[0][0]

    row = IndexRow("new", fresh, fresh, "a", "", (None, None))
    grown = index.patched([row])
    assert nearest(grown, fresh) == "new"
    moved = -fresh  # re-embedded: its old row is dead, the new one is found
    grown = grown.patched([IndexRow("new", moved, moved, "a", "", (None, None))])
    assert nearest(grown, moved) == "new"
    assert nearest(grown, fresh) != "new"
    # deleting 400 notes compacts the index; the codes are taken with the live rows
    gone = [f"n{i}" for i in range(1, 401)]
    compacted = grown.patched([], gone)
    assert len(compacted) < len(grown)
    for i in (0, 401, 900, 1499):
        assert nearest(compacted, vectors[i]) == f"n{i}"
    assert nearest(compacted, moved) == "new"


def test_a_memory_with_a_large_index_finds_a_new_note_at_once(tmp_path, small_shortlists):
    memory = Memory(tmp_path / "m.db", embedder=HashEmbedder())
    texts = [f"note number {i} about topic {i % 37} and colour {i % 11}" for i in range(1100)]
    memory.add([{"role": "user", "content": t} for t in texts], user_id="u",
               manager="always-add")
    assert memory.store.vector_index("u").shortlists
    memory.search("topic 3", user_id="u")  # the codes are made at this search
    memory.add("the heron nests by the old mill pond", user_id="u", manager="always-add")
    hits = memory.search("heron nests by the old mill pond", user_id="u", k=3)
    assert hits[0].note.content == "the heron nests by the old mill pond"


def test_the_shortlist_benchmark_measures_recall_against_every_row(small_shortlists,
                                                                    monkeypatch):
    """benchmarks/shortlist.py: recall is 1 where the shortlist holds every visible row, and
    falls where it holds too few of them to find the nearest."""
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    bench = importlib.import_module("shortlist")
    vectors, queries = np.split(clustered(np.random.default_rng(7), 1220), [1200])
    monkeypatch.setattr(vector_index, "SHORTLIST_ROWS", 1200)
    whole = bench.measure(vectors, queries, [10])
    assert whole["k10"]["recall"] == 1.0 and whole["k10"]["queries_all_found"] == 1.0
    monkeypatch.setattr(vector_index, "SHORTLIST_ROWS", 12)
    monkeypatch.setattr(vector_index, "SHORTLIST_PER_RESULT", 1)
    few = bench.measure(vectors, queries, [10])
    assert few["k10"]["recall"] < 1.0
    assert few["k10"]["shortlist_ms"]["p50"] > 0 and few["k10"]["exact_ms"]["p50"] > 0
