"""benchmarks/tenant_lexical.py times one tenant's lexical channel in files of several
tenant counts, and reuses the files it made."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))


def test_a_small_run_times_each_file_and_reuses_it(tmp_path: Path) -> None:
    bench = importlib.import_module("tenant_lexical")
    args = ["--tenants", "1", "3", "--per-tenant", "40", "--queries", "5", "--pool", "30",
            "--dir", str(tmp_path / "files"), "--json", str(tmp_path / "out.json")]
    assert bench.main(args) == 0
    rows = json.loads((tmp_path / "out.json").read_text())["results"]
    assert [(r["tenants"], r["notes_of_tenant"], r["n"]) for r in rows] == [(1, 40, 5),
                                                                           (3, 40, 5)]
    assert all(0 < r["p50_ms"] <= r["p95_ms"] for r in rows)
    files = sorted((tmp_path / "files").glob("*.db"))
    assert [f.name for f in files] == ["tenants-1x40-pool30.db", "tenants-3x40-pool30.db"]
    made = [f.stat().st_mtime_ns for f in files]
    assert bench.main(args) == 0  # the files are read again, not made again
    assert [f.stat().st_mtime_ns for f in files] == made
