"""benchmarks/scale_postgres.py runs end to end on a small database and reports sane numbers."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
scale = importlib.import_module("scale_postgres")


def test_a_small_run_reports_every_figure(pg_url):
    report = scale.measure(pg_url, tenants=3, notes=60, dim=32, queries=3)
    assert set(report["ms"]) == {"load", "dense", "nearest", "lexical"}
    assert all(v["p50"] > 0 for v in report["ms"].values())
    assert report["nearest_recall_at_10"] >= 0.9  # 60 notes: the index finds the exact top
    assert report["db_bytes"] > 0


def test_the_scale_fill_stores_distinct_vectors_and_the_recall_check_sweeps_ef_search(pg_url):
    """benchmarks/scale.py: a reused pool gives every note a vector of its own, and the HNSW
    recall figure is reported at each ``hnsw.ef_search`` asked for."""
    import random

    import numpy as np

    from asem.providers.onnx_minilm import MiniLMEmbedder
    from asem.stores.postgres import PostgresStore
    from asem.types import Scope

    bench = importlib.import_module("scale")
    real = MiniLMEmbedder()
    bench.fill(pg_url, bench.templates_corpus(real, 40, random.Random(0)), real, 1, 200)
    store = PostgresStore(pg_url, embedder_id=real.model_id)
    try:
        index = store.vector_index("t0")
        vectors = index.embeddings
        assert len(vectors) == 200
        assert len({v.tobytes() for v in vectors}) == 200  # no two alike
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert store.dense(Scope("t0"), bench.Filters()).live_count() == 200
    finally:
        store.close()
    report = bench.hnsw_recall(pg_url, real, "t0", 5, random.Random(1), ef_searches=[10, 200])
    assert set(report["hnsw_by_ef_search"]) == {"10", "200"}
    assert report["hnsw_recall_at_10"] == report["hnsw_by_ef_search"]["10"]["recall_at_10"]
    assert report["hnsw_by_ef_search"]["200"]["recall_at_10"] >= 0.9
    assert all(0 <= f["recall_at_10"] <= 1 and f["ms_p50"] > 0
               for f in report["hnsw_by_ef_search"].values())
