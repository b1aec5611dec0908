"""The LoCoMo harness on real data, through the real embedder.

The default run checks one conversation (about 20 s); the whole benchmark is marked slow.
The data is read from ../shared/data (or $ASEM_LOCOMO) and never copied.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from asem.eval import bench_locomo, locomo
from asem.eval.metrics import percentile, recall_at_k
from asem.providers.onnx_minilm import MiniLMEmbedder

DATA = Path(os.environ.get("ASEM_LOCOMO", Path(__file__).parents[1] / "../shared/data/locomo/"
                                                                    "locomo10.json"))
needs_data = pytest.mark.skipif(not DATA.exists(), reason=f"LoCoMo data not found at {DATA}")


def test_recall_at_k_counts_the_share_of_evidence_found():
    assert recall_at_k(["a", "b", "c"], ["b", "z"], 1) == 0.0
    assert recall_at_k(["a", "b", "c"], ["b", "z"], 2) == 0.5
    assert recall_at_k(["a", "b"], ["a", "b"], 10) == 1.0
    with pytest.raises(ValueError):
        recall_at_k(["a"], [], 1)


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5


@pytest.mark.realdata
@needs_data
def test_loader_reads_the_published_counts():
    conversations = locomo.load(DATA)
    assert len(conversations) == 10
    assert sum(len(c.turns) for c in conversations) == 5882
    answerable = [q for c in conversations for q in c.questions
                  if q.category <= 4 and q.evidence]
    assert len(answerable) == 1535  # categories 1-4 with resolvable evidence (data README)
    conv26 = conversations[0]
    assert conv26.sample_id == "conv-26"
    assert conv26.turns[2].dia_id == "D1:3" and conv26.turns[2].speaker == "Caroline"
    assert any("[shares a photo of" in t.text for t in conv26.turns)  # captions kept


@pytest.mark.realdata
@needs_data
def test_one_conversation_asem_beats_both_raw_turn_baselines():
    report = bench_locomo.run(DATA, embedder=MiniLMEmbedder(), conversations=["conv-26"])
    systems = report["systems"]
    best_baseline = max(systems["bm25"]["recall@5"], systems["dense"]["recall@5"])
    assert report["questions"]["total"] == 150
    assert systems["asem"]["recall@5"] >= 1.1 * best_baseline, systems
    assert systems["asem"]["recall@10"] >= systems["asem"]["recall@5"]
    assert report["cost"]["asem"]["notes_per_turn"] <= 1.0


class MemoEmbedder:
    """MiniLM that embeds each (text, kind) once per test: the systems below share most of
    their documents and every query, and this test checks recall, not ingest speed."""

    def __init__(self) -> None:
        self._inner = MiniLMEmbedder()
        self.model_id, self.dimension = self._inner.model_id, self._inner.dimension
        self._vectors: dict[tuple[str, str], np.ndarray] = {}
        self._parts: dict[tuple[str, tuple[int, int]], np.ndarray] = {}

    def embed(self, texts, *, kind="document"):
        todo = list(dict.fromkeys(t for t in texts if (t, kind) not in self._vectors))
        if todo:
            self._vectors.update(zip([(t, kind) for t in todo],
                                     self._inner.embed(todo, kind=kind), strict=True))
        return np.stack([self._vectors[t, kind] for t in texts])

    def embed_with_spans(self, texts, spans):
        pairs = list(zip(texts, spans, strict=True))
        todo = list(dict.fromkeys(p for p in pairs if p not in self._parts))
        if todo:
            full, part = self._inner.embed_with_spans(*zip(*todo, strict=True))
            for pair, e, z in zip(todo, full, part, strict=True):
                self._vectors[pair[0], "document"], self._parts[pair] = e, z
        return (np.stack([self._vectors[t, "document"] for t in texts]),
                np.stack([self._parts[p] for p in pairs]))


@pytest.mark.realdata
@needs_data
def test_one_conversation_peer_baselines_and_an_ablation():
    names = ["memrl", "dense", "amem", "asem-no-lexical"]
    report = bench_locomo.run(DATA, embedder=MemoEmbedder(), conversations=["conv-26"],
                              systems=names)
    assert report["questions"]["total"] == 150
    for key in ("systems", "systems_session"):
        for name in names:
            row = report[key][name]
            assert 0.0 <= row["recall@1"] <= row["recall@5"] <= row["recall@20"] <= 1.0, row
    turn, cost = report["systems"], report["cost"]
    # Without feedback every utility is q0: MemRL-style ranking is dense retrieval.
    assert abs(turn["memrl"]["recall@5"] - turn["dense"]["recall@5"]) <= 0.02, turn
    assert cost["memrl"]["links_per_note"] == 0 and cost["amem"]["links_per_note"] > 0
    assert cost["amem"]["notes_per_turn"] <= 1.0 and "db_bytes" in cost["asem-no-lexical"]
    assert report["per_category_session"]["amem"]["temporal"]["recall@5"] > 0


@pytest.mark.slow
@pytest.mark.realdata
@needs_data
def test_all_conversations_reach_the_published_targets():
    report = bench_locomo.run(DATA, embedder=MiniLMEmbedder())
    systems = report["systems"]
    best_baseline = max(systems["bm25"]["recall@5"], systems["dense"]["recall@5"])
    assert systems["asem"]["recall@5"] >= 0.50, systems
    assert systems["asem"]["recall@5"] >= 1.15 * best_baseline, systems
