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
