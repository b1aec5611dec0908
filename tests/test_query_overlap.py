"""A search embeds its query on a thread of its own while the store reads the lexical index
(``embed_query_soon``, ``asem.read.pipeline.search``): the two overlap, the results and the
recorded query vector are those of a search that embeds first, and what the embedder raises
reaches the caller as before."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from asem import Memory
from asem.errors import ProviderError
from asem.eval.embed_cache import CachedEmbedder
from asem.providers import HashEmbedder
from asem.providers.embedder import embed_queries, embed_query_soon
from asem.read.pipeline import ReadDeps
from asem.read.pipeline import search as read_search
from asem.types import Filters, Scope

NOTES = ("I adopted a dog named Scout.", "My sister lives in Lisbon.",
         "I play tennis on Sundays.", "Scout loves the beach.")


class WaitingEmbedder(HashEmbedder):
    """Embeds a query only once the store has begun its lexical read (or after a second):
    ``overlapped`` says which."""

    def __init__(self) -> None:
        super().__init__()
        self.lexical_started = threading.Event()
        self.overlapped: list[bool] = []

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        if kind == "query":
            self.overlapped.append(self.lexical_started.wait(timeout=1.0))
        return super().embed(texts, kind=kind)


def test_the_query_is_embedded_while_the_lexical_index_is_read(tmp_path: Path) -> None:
    embedder = WaitingEmbedder()
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        for note in NOTES:
            memory.add(note, user_id="u")
        lexical = memory.store.lexical

        def reading(*args, **kwargs):
            embedder.lexical_started.set()
            return lexical(*args, **kwargs)

        memory.store.lexical = reading  # type: ignore[method-assign]
        result = memory.search("Where does my sister live?", user_id="u", k=2)
    assert embedder.overlapped == [True]
    assert result.hits[0].note.content == "My sister lives in Lisbon."


def test_results_and_recorded_vector_are_those_of_embedding_first(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        for note in NOTES:
            memory.add(note, user_id="u")
        query = "What does Scout love?"
        result = memory.search(query, user_id="u", k=3)
        deps = ReadDeps(memory.store, memory.embedder, memory._read_config("u"))
        vector = embed_queries(memory.embedder, [query])[0]
        first = read_search(query, Scope("u"), Filters(), 3, False, deps, vector)
        assert [h.note.id for h in result.hits] == [h.note.id for h in first]
        assert [h.score for h in result.hits] == pytest.approx([h.score for h in first])
        row = memory.store._conn.execute(
            "SELECT query_embedding FROM retrievals WHERE id = ?",
            (result.retrieval_id,)).fetchone()
    assert np.array_equal(np.frombuffer(row[0], dtype=np.float32), vector)


class BrokenQueries(HashEmbedder):
    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        if kind == "query":
            raise RuntimeError("model file missing")
        return super().embed(texts, kind=kind)


def test_an_embedder_failure_on_its_thread_is_the_search_s_typed_error(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=BrokenQueries()) as memory:
        memory.add(NOTES[0], user_id="u")
        with pytest.raises(ProviderError, match="model file missing"):
            memory.search("my dog", user_id="u")
        assert len(memory.list_notes("u")) == 1


def test_the_embedding_cache_answers_from_another_thread(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashEmbedder(), tmp_path / "cache.sqlite")
    try:
        here = embed_queries(cached, ["my dog"])[0]
        there = embed_query_soon(cached, "my dog").result(timeout=10)
        assert np.array_equal(here, there)
        assert (cached.hits, cached.misses) == (1, 1)
    finally:
        cached.close()
