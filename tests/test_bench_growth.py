"""benchmarks/scale.py (one tenant growing, the default read path) runs end to end."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
growth = importlib.import_module("scale")


def test_the_growth_benchmark_reports_every_figure_and_never_reloads(tmp_path):
    out = tmp_path / "scale.json"
    assert growth.main(["--sizes", "300", "--queries", "3", "--adds", "2", "--pool", "40",
                        "--json", str(out)]) == 0
    result = json.loads(out.read_text())["results"][0]
    assert result["notes_per_tenant"] == 300
    for figure in ("search_ms", "add_ms", "search_after_add_ms", "search_after_update_ms",
                   "search_after_other_process_ms"):
        assert result[figure]["p50"] > 0
    assert result["index_loads"] == 1  # patched after every write, never reloaded


def test_the_growth_benchmark_stores_real_turns_once_each(tmp_path):
    """--texts longmemeval: every note a distinct turn of the file with its own vector,
    searches ask the file's questions; more notes than the file holds is a clear error."""
    import gzip

    import pytest

    sessions = [[{"role": "user", "content": f"I planted {n} tomato seedlings on day {d}."},
                 {"role": "assistant", "content": f"Day {d}: {n} seedlings need water."}]
                for d in range(15) for n in (3, 5)]
    data = tmp_path / "longmemeval_s.json.gz"
    with gzip.open(data, "wt") as handle:
        json.dump([{"question_id": "q1", "question": "How many seedlings did I plant?",
                    "haystack_sessions": sessions}], handle)
    out = tmp_path / "scale.json"
    args = ["--texts", "longmemeval", "--data", str(data), "--queries", "3", "--adds", "2",
            "--embeddings", str(tmp_path / "cache.sqlite"), "--json", str(out)]
    assert growth.main([*args, "--sizes", "30"]) == 0
    report = json.loads(out.read_text())
    assert report["texts"] == "longmemeval" and report["distinct_embeddings"] == 30
    assert report["results"][0]["search_ms"]["p50"] > 0
    with pytest.raises(SystemExit, match="holds 30 texts"):
        growth.main([*args, "--sizes", "35"])
