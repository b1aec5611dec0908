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
