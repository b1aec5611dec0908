"""benchmarks/news_pairs.py: the write decisions on the hand-written news pairs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from asem.types import Decision, Op

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

import news_pairs  # noqa: E402

ROOT = Path(__file__).parents[1]


def test_the_figures_count_known_recorded_and_news_lost():
    pairs = [{"note": "n", "said": "a", "label": "known", "kind": "paraphrase"},
             {"note": "n", "said": "b", "label": "known", "kind": "duplicate"},
             {"note": "n", "said": "c", "label": "news", "kind": "milestone"},
             {"note": "n", "said": "d", "label": "news", "kind": "milestone"},
             {"note": "n", "said": "e", "label": "news", "kind": "change"}]
    made = [Decision(op) for op in (Op.NOOP, Op.ADD, Op.NOOP, Op.UPDATE, Op.NOOP)]
    f = news_pairs.figures(pairs, made)
    assert f["known_recorded_as_known"] == 0.5 and (f["known"], f["news"]) == (2, 3)
    assert f["news_lost"] == 2 and f["news_lost_by_kind"] == {"change": 1, "milestone": 1}
    assert (f["replacing"], f["replacing_superseding"], f["adding"]) == (1, 0, 0)


def test_superseding_counts_changes_and_additions_apart():
    pairs = [{"note": "n", "said": s, "label": "news", "kind": kind}
             for s, kind in (("a", "change"), ("b", "correction"), ("c", "list-more"),
                             ("d", "detail"), ("e", "milestone"))]
    made = [Decision(Op.UPDATE, "n", merged_content="a", supersedes=True),
            Decision(Op.UPDATE, "n", merged_content="n b"),
            Decision(Op.UPDATE, "n", merged_content="c", supersedes=True),
            Decision(Op.ADD), Decision(Op.UPDATE, "n", merged_content="e", supersedes=True)]
    assert news_pairs.superseding(pairs, made) == {
        "replacing": 2, "replacing_superseding": 1, "adding": 2, "adding_superseding": 1}


def test_the_benchmark_reads_every_set_and_writes_its_figures(tmp_path):
    out = tmp_path / "news.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/news_pairs.py"),
                           "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert set(result["sets"]) == {"heldout", "train-1", "train-2", "train-3", "train-4",
                                   "train-5"}
    held = result["sets"]["heldout"]
    assert (held["pairs"], held["known"], held["news"]) == (240, 108, 132)
    assert "heldout" in done.stdout and "left_out" not in result
