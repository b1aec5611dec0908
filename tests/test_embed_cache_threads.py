"""The embedding cache is thread-safe, as the embedder protocol asks: a server searches from
many threads at once."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from asem.eval.embed_cache import CachedEmbedder
from asem.providers import HashEmbedder
from asem.providers.embedder import embed_queries


def test_the_embedding_cache_answers_from_other_threads(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashEmbedder(), tmp_path / "cache.sqlite")
    try:
        here = embed_queries(cached, ["my dog"])[0]
        found: list[np.ndarray] = []
        errors: list[BaseException] = []

        def ask() -> None:
            try:
                found.append(embed_queries(cached, ["my dog"])[0])
            except BaseException as e:  # a thread's failure, reported by the test
                errors.append(e)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert errors == []
        assert len(found) == 4 and all(np.array_equal(here, v) for v in found)
        assert (cached.hits, cached.misses) == (4, 1)
    finally:
        cached.close()
