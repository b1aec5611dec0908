"""Small real-data slices of the LongMemEval and multi-hop benchmarks, through the real
embedder, so a broken harness fails the default test run. The full runs are marked slow.
Data is read from ../shared/data (never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asem import MemoryConfig, ReadConfig
from asem.eval import baselines, bench_longmemeval, bench_multihop, longmemeval
from asem.eval.databases import SQLiteFiles
from asem.providers.onnx_minilm import MiniLMEmbedder

DATA = Path(__file__).parents[1] / "../shared/data"
ORACLE = DATA / "longmemeval/longmemeval_oracle.json"
S = DATA / "longmemeval/longmemeval_s_cleaned_498.json.gz"
HOTPOT = DATA / "multihop/hotpotqa_train100_hipporag.json"
MUSIQUE = DATA / "multihop/musique_train100_hipporag.json"
pytestmark = pytest.mark.realdata


def _needs(*paths: Path) -> pytest.MarkDecorator:
    missing = [str(p) for p in paths if not p.exists()]
    return pytest.mark.skipif(bool(missing), reason=f"benchmark data not found: {missing}")


@_needs(ORACLE)
def test_oracle_loader_counts():
    loaded = longmemeval.load(ORACLE)
    assert loaded.questions_in_file == 500
    assert loaded.skipped["abstention"] == 30
    assert len(loaded.cases) == 500 - 30 - sum(
        n for why, n in loaded.skipped.items() if why.startswith("no user-turn evidence"))
    assert all(c.queries[0].evidence for c in loaded.cases)


@_needs(ORACLE)
def test_two_oracle_questions():
    # The oracle haystack holds only the evidence sessions, so a ranking of every user turn
    # (BM25, dense) must find every evidence session by k = 20 unless the harness broke.
    report = bench_longmemeval.run(ORACLE, embedder=MiniLMEmbedder(), limit=2,
                                   systems=["asem", "bm25", "dense"])
    assert report["questions"]["total"] == 2
    session = report["levels"]["session"]["systems"]
    turn = report["levels"]["turn"]["systems"]
    for name in ("bm25", "dense"):
        assert session[name]["recall_all@20"] == 1.0, session
        assert turn[name]["recall_any@20"] == 1.0, turn
    assert session["asem"]["recall_any@5"] == 1.0, session
    for name in ("asem", "bm25", "dense"):
        row = turn[name]
        assert 0 <= row["ndcg@1"] <= 1 and row["recall_all@1"] <= row["recall_all@20"]
    cost = report["cost"]["asem"]
    assert cost["notes_per_turn"] >= 0.9 and cost["db_bytes"] > 0
    assert cost["search_p95_ms"] >= cost["search_p50_ms"] > 0


@_needs(S)
def test_a_counting_question_of_s_finds_all_its_sessions_through_query_expansion(tmp_path):
    # d682f1a2, "How many different types of food delivery services have I used recently?":
    # two evidence turns say "food delivery services" (Domino's, Fresh Fusion); the third
    # says "my weekends have been all about Uber Eats lately" and shares no word of substance
    # with the question. The first two, in the expanded query, pull its session into the
    # top 5; without expansion it ranks 7th.
    (case,) = longmemeval.load(S, stride=100, offset=87, limit=1).cases
    assert case.id == "d682f1a2"
    builder = baselines.Builder(MiniLMEmbedder(), SQLiteFiles(tmp_path))
    try:
        asem = builder.make("asem")
        asem.index(case.id, case.turns)
        query = case.queries[0]
        found = {}
        for name, weight in (("expanded", 0.6), ("plain", 0.0)):
            config = MemoryConfig(read=ReadConfig(query_expansion=weight))
            system = asem._system.reading_as(name, config)
            ranked = system.rank(query.question, bench_longmemeval.DEPTH)
            found[name] = bench_longmemeval.score(ranked, query, case)["session:recall_all"][1]
    finally:
        builder.close()
    assert found == {"expanded": 1.0, "plain": 0.0}, found


@_needs(HOTPOT)
def test_three_hotpotqa_questions_over_a_small_corpus():
    _three_questions(HOTPOT)


@pytest.mark.slow
@_needs(MUSIQUE)
def test_three_musique_questions_over_a_small_corpus():
    _three_questions(MUSIQUE)


def _three_questions(data: Path) -> None:
    report = bench_multihop.run(data, embedder=MiniLMEmbedder(), limit=3, max_passages=20,
                                systems=["asem", "asem-expand", "asem-bridge", "bm25", "dense"])
    assert report["questions"]["total"] == 3
    rows = report["levels"]["passage"]["systems"]
    for name, row in rows.items():
        # 20 passages, depth 20: every system finds some support, and more with k
        assert row["recall_any@10"] >= 2 / 3, (name, row)
        assert row["recall_all@2"] <= row["recall_all@10"] <= row["recall_all@20"], row
    assert rows["bm25"]["recall_all@20"] == 1.0  # BM25 ranks all 20 passages
    assert report["cost"]["asem"]["links_per_note"] > 0


@pytest.mark.slow
@_needs(HOTPOT)
def test_hotpotqa_asem_with_expansion_beats_dense_by_ten_points():
    report = bench_multihop.run(HOTPOT, embedder=MiniLMEmbedder(),
                                systems=["asem-expand", "dense"])
    rows = report["levels"]["passage"]["systems"]
    assert rows["asem-expand"]["recall_all@10"] >= rows["dense"]["recall_all@10"] + 0.10, rows


@pytest.mark.slow
@_needs(MUSIQUE)
def test_musique_asem_with_a_second_hop_beats_dense_by_ten_points():
    report = bench_multihop.run(MUSIQUE, embedder=MiniLMEmbedder(),
                                systems=["asem-bridge", "dense"])
    rows = report["levels"]["passage"]["systems"]
    assert rows["asem-bridge"]["recall_all@10"] >= rows["dense"]["recall_all@10"] + 0.10, rows
