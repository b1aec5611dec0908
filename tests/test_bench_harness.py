"""The benchmark harness without the real data: session recall, the baselines' parts, the
resumable result cache, and the report writer.

A tiny synthetic LoCoMo file and the HashEmbedder keep every test here fast.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asem import InvalidInputError, Memory, MemoryConfig, ReadConfig
from asem.cli.app import app
from asem.cli.bench import _system_names
from asem.eval import bench_locomo, locomo, report
from asem.eval.baselines import RECIPES, Builder, RawEnricher
from asem.eval.cache import ResultCache, config_hash
from asem.eval.databases import SQLiteFiles
from asem.eval.metrics import session_recall_at_k
from asem.providers import HashEmbedder
from asem.types import Scope
from asem.write.enrich import ExtractiveEnricher
from asem.write.inputs import WriteInput
from asem.write.manager import AlwaysAdd

MONDAY = datetime(2023, 5, 8, 13, 56)


# -- session recall --------------------------------------------------------------------------
SESSION_OF = {"D1:1": "s1", "D1:2": "s1", "D2:1": "s2", "D3:1": "s3", "D3:2": "s3"}


def test_a_session_is_found_when_any_of_its_turns_is_ranked():
    assert session_recall_at_k(["D1:2"], ["D1:1"], SESSION_OF, 1) == 1.0
    assert session_recall_at_k(["D2:1", "D1:2"], ["D1:1"], SESSION_OF, 1) == 0.0


def test_session_recall_counts_distinct_sessions_not_turns():
    ranked = ["D1:1", "D1:2", "D2:1", "D3:1"]  # sessions s1, s1, s2, s3
    assert session_recall_at_k(ranked, ["D3:2"], SESSION_OF, 2) == 0.0
    assert session_recall_at_k(ranked, ["D3:2"], SESSION_OF, 3) == 1.0
    # two evidence turns in one session are one evidence session
    assert session_recall_at_k(ranked, ["D3:1", "D3:2", "D2:1"], SESSION_OF, 2) == 0.5
    with pytest.raises(ValueError):
        session_recall_at_k(ranked, [], SESSION_OF, 1)


# -- the baselines' parts --------------------------------------------------------------------
def test_always_add_keeps_near_duplicates_the_rule_manager_merges(tmp_path):
    texts = ["I adopted a dog named Buddy", "I adopted a dog named Buddy!"]
    for manager, expected in (("rule", ["ADD", "NOOP"]), (AlwaysAdd(), ["ADD", "ADD"])):
        with Memory(tmp_path / f"{expected[1]}.db", embedder=HashEmbedder(),
                    manager=manager) as memory:
            ops = [memory.add(t, user_id="u")[0].op.value for t in texts]
        assert ops == expected


def test_the_date_ablation_leaves_relative_dates_unresolved():
    item = WriteInput("I went hiking yesterday", Scope("u"), "Mel", MONDAY)
    (resolved,) = ExtractiveEnricher().enrich([item])
    (plain,) = ExtractiveEnricher(resolve_dates=False).enrich([item])
    assert resolved.dates and "yesterday = " in resolved.context
    assert plain.dates == () and "yesterday" not in plain.context
    assert plain.keywords == resolved.keywords


def test_raw_enricher_adds_nothing():
    (raw,) = RawEnricher().enrich([WriteInput("Hiking in Boston", Scope("u"), "Mel", MONDAY)])
    assert raw.keywords == raw.tags == raw.entities == raw.dates == () and raw.context == ""


def test_a_zero_lexical_weight_switches_the_bm25_channel_off(tmp_path):
    # The word 'zebra' is in the note, but the hashed vectors of these texts are orthogonal
    # enough that only the lexical channel could recall it.
    config = MemoryConfig(read=ReadConfig(lexical_weight=0.0, min_similarity=0.9))
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), config=config) as memory:
        memory.add("a zebra crossed the road near the old mill", user_id="u")
        assert memory.search("zebra", user_id="u").empty
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(),
                config=MemoryConfig(read=ReadConfig(min_similarity=0.9))) as memory:
        assert len(memory.search("zebra", user_id="u")) == 1


def test_read_only_ablations_share_one_ingestion(tmp_path):
    (conv,) = locomo.load(_data_file(tmp_path))
    builder = Builder(HashEmbedder(), SQLiteFiles(tmp_path))
    try:
        systems = {n: builder.make(n) for n in ("asem", "asem-no-utility", "asem-no-dates")}
        for system in systems.values():
            system.index(conv.sample_id, conv.turns)
        assert len(list(tmp_path.glob("*.db"))) == 2  # asem-no-utility reads asem's notes
        assert systems["asem"].ingest_seconds == systems["asem-no-utility"].ingest_seconds
        assert systems["asem"].rank("hiking", 5) == systems["asem-no-utility"].rank("hiking", 5)
    finally:
        builder.close()
    assert RECIPES["asem"].write_key == RECIPES["asem-no-lexical"].write_key
    assert RECIPES["asem"].write_key != RECIPES["asem-no-links"].write_key


# -- the resumable cache ---------------------------------------------------------------------
def test_cache_returns_what_was_put_under_the_same_key_only(tmp_path):
    path = tmp_path / "run.cache.jsonl"
    cache = ResultCache(path)
    cache.put("conv-1", "asem", "k1", {"recall": 0.5})
    again = ResultCache(path)
    assert again.get("conv-1", "asem", "k1") == {"recall": 0.5}
    assert again.get("conv-1", "asem", "k2") is None
    assert again.get("conv-1", "bm25", "k1") is None
    assert ResultCache(path, fresh=True).get("conv-1", "asem", "k1") is None


def test_cache_survives_a_line_torn_by_a_kill(tmp_path):
    path = tmp_path / "run.cache.jsonl"
    ResultCache(path).put("conv-1", "asem", "k", {"recall": 0.5})
    with path.open("a") as file:
        file.write('{"conversation": "conv-2", "sys')  # killed mid-write
    cache = ResultCache(path)
    assert cache.get("conv-1", "asem", "k") == {"recall": 0.5}
    cache.put("conv-2", "asem", "k", {"recall": 0.25})
    assert ResultCache(path).get("conv-2", "asem", "k") == {"recall": 0.25}


def test_config_hash_is_stable_and_sensitive():
    assert config_hash({"a": 1, "b": 2}, "x") == config_hash({"b": 2, "a": 1}, "x")
    assert config_hash({"a": 1}, "x") != config_hash({"a": 2}, "x")


def test_a_rerun_reuses_finished_results_and_fresh_recomputes(tmp_path):
    data = _data_file(tmp_path)
    names = ["asem", "bm25", "amem", "memrl", "asem-no-lexical"]
    cache_path = tmp_path / "out.cache.jsonl"
    first = bench_locomo.run(data, embedder=HashEmbedder(), systems=names,
                             cache=ResultCache(cache_path))
    assert first["cached_results"] == 0
    assert len(cache_path.read_text().splitlines()) == len(names)
    second = bench_locomo.run(data, embedder=HashEmbedder(), systems=names,
                              cache=ResultCache(cache_path))
    assert second["cached_results"] == len(names)
    for key in ("systems", "per_category", "systems_session", "per_category_session"):
        assert second[key] == first[key]
    fresh = bench_locomo.run(data, embedder=HashEmbedder(), systems=["bm25"],
                             cache=ResultCache(cache_path, fresh=True))
    assert fresh["cached_results"] == 0
    assert first["questions"] == {"multi-hop": 1, "temporal": 1, "open-domain": 0,
                                  "single-hop": 2, "total": 4}
    assert set(first["cost"]["asem"]) >= {"notes_per_turn", "db_bytes", "ingest_turns_per_s",
                                          "search_p50_ms", "search_p95_ms"}
    assert "db_bytes" not in first["cost"]["bm25"]
    assert first["cost"]["memrl"]["links_per_note"] == 0


# -- the command -----------------------------------------------------------------------------
def test_systems_option_takes_names_or_all():
    assert _system_names("all", bench_locomo.SYSTEMS) == list(bench_locomo.SYSTEMS)
    assert _system_names("bm25, asem,bm25", bench_locomo.SYSTEMS) == ["bm25", "asem"]
    with pytest.raises(InvalidInputError, match="unknown systems.*mem0"):
        _system_names("asem,mem0", bench_locomo.SYSTEMS)


def test_the_command_writes_a_report_and_resumes_from_its_cache(tmp_path):
    pytest.importorskip("matplotlib")
    data, out = _data_file(tmp_path), tmp_path / "out"
    args = ["--json", "bench", "locomo", "--data", str(data), "--systems", "bm25,dense",
            "--report", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert {p.name for p in out.iterdir()} == {"locomo.md", "locomo-cache.jsonl",
                                                report.CURVES, report.BARS}
    assert "bench locomo --data" in (out / "locomo.md").read_text()
    second = CliRunner().invoke(app, args)
    assert json.loads(second.stdout)["cached_results"] == 2
    third = CliRunner().invoke(app, [*args, "--fresh"])
    assert json.loads(third.stdout)["cached_results"] == 0


# -- the report ------------------------------------------------------------------------------
def test_report_writes_a_page_and_two_charts(tmp_path):
    pytest.importorskip("matplotlib")
    files = report.write_report(_tiny_report(), tmp_path / "report")
    assert [f.name for f in files] == ["locomo.md", report.CURVES, report.BARS]
    for chart in files[1:]:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    page = files[0].read_text()
    assert "asem bench locomo --systems asem,bm25" in page
    assert "2025-01-02T03:04:05" in page
    assert "| 1 | multi-hop | 3 |" in page  # category mapping and counts
    assert "## Turn-level recall@k" in page and "## Session-level recall@k" in page
    assert "| **all** (5) | asem | **0.400** | **0.600** |" in page  # best per column in bold
    assert ("| **single-hop** (2) | asem | **0.500** | 0.750 |\n"
            "|  | bm25 | **0.500** | **0.800** |") in page  # a group per category
    assert "| bm25 | — | — | — (in memory) | 9000.0 |" in page


def _tiny_report() -> dict:
    def row(r1: float, r5: float) -> dict[str, float]:
        return {"recall@1": r1, "recall@5": r5}

    by_category = {"asem": {"multi-hop": row(0.3, 0.5), "single-hop": row(0.5, 0.75)},
                   "bm25": {"multi-hop": row(0.1, 0.4), "single-hop": row(0.5, 0.8)}}
    return {
        "command": "asem bench locomo --systems asem,bm25",
        "finished_at": "2025-01-02T03:04:05", "run_seconds": 90.0,
        "machine": {"python": "3.11", "processor": "x86_64"},
        "category_mapping": {"1": "multi-hop", "4": "single-hop"},
        "conversations": ["conv-1"], "turns": 40,
        "questions": {"multi-hop": 3, "single-hop": 2, "total": 5},
        "system_descriptions": {"asem": "ASEM", "bm25": "BM25 over raw turns"},
        "systems": {"asem": row(0.4, 0.6), "bm25": row(0.2, 0.55)},
        "per_category": by_category,
        "systems_session": {"asem": row(0.6, 0.9), "bm25": row(0.5, 0.8)},
        "per_category_session": by_category,
        "cost": {"asem": {"ingest_turns_per_s": 30.0, "search_p50_ms": 12.0,
                          "search_p95_ms": 20.0, "notes_per_turn": 1.0,
                          "links_per_note": 9.9, "db_bytes": 3_000_000},
                 "bm25": {"ingest_turns_per_s": 9000.0, "search_p50_ms": 0.1,
                          "search_p95_ms": 0.3}},
    }


def _data_file(tmp_path: Path) -> Path:
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps([_conversation()]), encoding="utf-8")
    return path


def _conversation() -> dict:
    """A two-session LoCoMo sample with four answerable questions."""
    session_1 = [
        {"speaker": "Mel", "dia_id": "D1:1", "text": "I went hiking in the Alps yesterday."},
        {"speaker": "Caro", "dia_id": "D1:2", "text": "Lovely! I adopted a dog named Buddy."},
        {"speaker": "Mel", "dia_id": "D1:3", "text": "Buddy is a great name for a dog.",
         "blip_caption": "a brown dog on a sofa"},
    ]
    session_2 = [
        {"speaker": "Caro", "dia_id": "D2:1", "text": "I started a pottery class last week."},
        {"speaker": "Mel", "dia_id": "D2:2", "text": "My sister plays the violin in Boston."},
    ]
    return {
        "sample_id": "conv-1",
        "conversation": {"speaker_a": "Mel", "speaker_b": "Caro",
                         "session_1": session_1, "session_1_date_time": "1:56 pm on 8 May, 2023",
                         "session_2": session_2,
                         "session_2_date_time": "10:00 am on 20 May, 2023"},
        "qa": [
            {"question": "Where did Mel go hiking?", "answer": "the Alps", "evidence": ["D1:1"],
             "category": 4},
            {"question": "What is the name of Caro's dog?", "answer": "Buddy",
             "evidence": ["D1:2"], "category": 4},
            {"question": "When did Caro start pottery?", "answer": "May 2023",
             "evidence": ["D2:1"], "category": 2},
            {"question": "What does Mel's family do?", "answer": "violin",
             "evidence": ["D2:2; D1:1"], "category": 1},
            {"question": "What did Mel adopt?", "adversarial_answer": "a cat",
             "evidence": ["D1:2"], "category": 5},
        ],
    }
