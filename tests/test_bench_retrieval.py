"""The LongMemEval and multi-hop harness without the real data: the new metrics with
hand-computed values, chunking, the loaders' recipes on tiny synthetic files, the embedding
cache, and the commands end to end."""

from __future__ import annotations

import gzip
import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from asem.cli.app import app
from asem.errors import InvalidInputError
from asem.eval import bench_longmemeval, bench_multihop, longmemeval, multihop
from asem.eval.dataset import Turn, chunk_text, chunked, select
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.metrics import ndcg_at_k, recall_all_at_k, recall_any_at_k, sessions_ranked
from asem.providers import HashEmbedder


# -- metrics ---------------------------------------------------------------------------------
def test_recall_any_and_all():
    ranked = ["a", "b", "c", "d"]
    assert recall_any_at_k(ranked, ["c", "z"], 3) == 1.0
    assert recall_any_at_k(ranked, ["c", "z"], 2) == 0.0
    assert recall_all_at_k(ranked, ["b", "d"], 3) == 0.0
    assert recall_all_at_k(ranked, ["b", "d"], 4) == 1.0
    with pytest.raises(ValueError):
        recall_all_at_k(ranked, [], 1)


def test_ndcg_by_hand():
    ranked = ["a", "b", "c", "d"]
    # relevances 0 1 0 1 → DCG = 0 + 1/log2(2) + 0 + 1/log2(4) = 1.5; ideal 1 + 1/log2(2) = 2
    assert ndcg_at_k(ranked, ["b", "d"], 4) == pytest.approx(0.75)
    assert ndcg_at_k(ranked, ["b", "d"], 1) == 0.0
    assert ndcg_at_k(ranked, ["b", "d"], 2) == pytest.approx(0.5)  # ideal at k=2 is 2
    assert ndcg_at_k(["x", "y", "a"], ["a"], 3) == pytest.approx(1 / math.log2(3))
    # LongMemEval's DCG weighs ranks 1 and 2 the same
    assert ndcg_at_k(["x", "a"], ["a"], 2) == 1.0
    assert ndcg_at_k(["a", "a", "b"], ["b"], 2) == 1.0  # a ranking names an id once


def test_sessions_rank_where_their_best_turn_ranks():
    session_of = {"t1": "s1", "t2": "s2", "t3": "s1", "t4": "s3"}
    assert sessions_ranked(["t3", "t2", "t1", "t4", "unknown"], session_of) == ["s1", "s2",
                                                                                "s3"]


# -- chunking and selection ------------------------------------------------------------------
def test_long_text_is_cut_at_sentences_within_the_word_limit():
    text = "One two three. Four five six seven. " + " ".join(f"w{i}" for i in range(11))
    pieces = chunk_text(text, max_words=5)
    assert pieces[:2] == ["One two three.", "Four five six seven."]
    assert all(len(p.split()) <= 5 for p in pieces)
    assert " ".join(pieces).split() == text.split()  # nothing lost, order kept
    assert chunk_text("short text", max_words=5) == ["short text"]


def test_chunks_keep_the_turn_id():
    turn = Turn("s1_3", "", " ".join(["word"] * 300), "s1", None)
    parts = chunked([turn], max_words=128)
    assert len(parts) == 3 and {p.dia_id for p in parts} == {"s1_3"}


def test_select_takes_every_kth_then_limits():
    assert select(list(range(10)), stride=4) == [0, 4, 8]
    assert select(list(range(10)), stride=3, limit=2) == [0, 3]
    with pytest.raises(ValueError):
        select([1], stride=0)


def test_offsets_give_disjoint_samples_of_one_stride():
    samples = [select(list(range(10)), stride=4, offset=o) for o in range(4)]
    assert samples == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]
    assert sorted(sum(samples, [])) == list(range(10))
    with pytest.raises(ValueError):
        select([1, 2], stride=2, offset=2)


# -- the embedding cache ---------------------------------------------------------------------
class CountingEmbedder:
    """A HashEmbedder that records every text it is asked to embed."""

    def __init__(self) -> None:
        self._inner = HashEmbedder()
        self.model_id, self.dimension = self._inner.model_id, self._inner.dimension
        self.embedded: list[str] = []

    def embed(self, texts, *, kind="document"):
        self.embedded += list(texts)
        return self._inner.embed(texts, kind=kind)

    def embed_with_spans(self, texts, spans):
        self.embedded += list(texts)
        return self._inner.embed_with_spans(texts, spans)


def test_embedding_cache_embeds_each_text_once_and_survives_reopening(tmp_path):
    inner = CountingEmbedder()
    path = tmp_path / "embeddings.sqlite"
    cached = CachedEmbedder(inner, path)
    first = cached.embed(["a cat", "a dog", "a cat"])
    assert inner.embedded == ["a cat", "a dog"]
    np.testing.assert_array_equal(first, HashEmbedder().embed(["a cat", "a dog", "a cat"]))
    full, part = cached.embed_with_spans(["Ana: a cat"], [(5, 10)])
    cached.close()
    again = CachedEmbedder(inner, path)
    np.testing.assert_array_equal(again.embed(["a dog", "a cat"]), first[[1, 0]])
    full2, part2 = again.embed_with_spans(["Ana: a cat"], [(5, 10)])
    np.testing.assert_array_equal(full, full2)
    np.testing.assert_array_equal(part, part2)
    assert again.embed(["a cat"], kind="query").shape == (1, inner.dimension)
    assert inner.embedded == ["a cat", "a dog", "Ana: a cat", "a cat"]  # the query is new
    assert (again.hits, again.misses) == (3, 1)


# -- LongMemEval on a synthetic file ---------------------------------------------------------
def _lme_question(qid: str, qtype: str, evidence_role: str = "user") -> dict:
    answer = [{"role": "user", "content": "I moved to Lisbon last spring.",
               "has_answer": evidence_role == "user"},
              {"role": "assistant", "content": "Lisbon is lovely.",
               "has_answer": evidence_role == "assistant"},
              {"role": "user", "content": " ".join(f"w{i}" for i in range(300)),
               "has_answer": False}]
    other = [{"role": "user", "content": "What is a good pasta recipe?"},
             {"role": "assistant", "content": "Try carbonara."}]
    return {"question_id": qid, "question_type": qtype, "question": "Where do I live now?",
            "answer": "Lisbon", "question_date": "2023/05/30 (Tue) 10:00",
            "haystack_session_ids": ["sharegpt_x_0", "answer_1"],
            "haystack_dates": ["2023/05/01 (Mon) 09:00", "2023/05/20 (Sat) 17:50"],
            "haystack_sessions": [other, answer], "answer_session_ids": ["answer_1"]}


def _lme_file(tmp_path: Path) -> Path:
    questions = [_lme_question("q1", "multi-session"), _lme_question("q1_abs", "multi-session"),
                 _lme_question("q2", "single-session-assistant", "assistant"),
                 _lme_question("q3", "knowledge-update")]
    path = tmp_path / "longmemeval_s_tiny.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump(questions, file)
    return path


def test_longmemeval_loader_follows_the_official_recipe(tmp_path):
    loaded = longmemeval.load(_lme_file(tmp_path))
    assert [c.id for c in loaded.cases] == ["q1", "q3"]
    assert loaded.skipped == {"abstention": 1,
                              "no user-turn evidence (single-session-assistant)": 1}
    case = loaded.cases[0]
    assert case.turn_count == 3  # user turns only; the 300-word turn is chunked
    assert [t.dia_id for t in case.turns] == ["sharegpt_x_0_1", "answer_1_1", "answer_1_3",
                                              "answer_1_3", "answer_1_3"]
    assert case.queries[0].evidence == ("answer_1_1",)
    assert case.turns[1].timestamp.day == 20  # the file's own session date
    assert longmemeval.variant_of(tmp_path / "longmemeval_oracle.json") == "oracle"
    assert longmemeval.variant_of(_lme_file(tmp_path)) == "s"


def test_longmemeval_loader_keeps_only_the_question_types_asked_for(tmp_path):
    loaded = longmemeval.load(_lme_file(tmp_path), types=("knowledge-update",))
    assert [c.id for c in loaded.cases] == ["q3"]
    assert loaded.skipped["another question type"] == 2  # q1 and q2; q1_abs is an abstention
    with pytest.raises(InvalidInputError, match="unknown question type"):
        longmemeval.load(_lme_file(tmp_path), types=("multi_session",))


def test_longmemeval_skips_empty_user_turns(tmp_path):
    question = _lme_question("q1", "multi-session")
    question["haystack_sessions"][0].insert(0, {"role": "user", "content": " \n"})
    path = tmp_path / "longmemeval_s_empty.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump([question], file)
    case = longmemeval.load(path).cases[0]
    # the empty turn (position 1) is not indexed; the others keep their positions
    assert [t.dia_id for t in case.turns][:2] == ["sharegpt_x_0_2", "answer_1_1"]
    report = bench_longmemeval.run(path, embedder=HashEmbedder(), systems=["asem"])
    assert report["questions"]["total"] == 1  # ASEM ingests the haystack without an error


def test_longmemeval_bench_scores_sessions_and_turns(tmp_path):
    report = bench_longmemeval.run(_lme_file(tmp_path), embedder=HashEmbedder(),
                                   systems=["bm25", "asem"])
    assert report["questions"] == {"multi-session": 1, "knowledge-update": 1, "total": 2}
    session = report["levels"]["session"]["systems"]["bm25"]
    # 'live' matches nothing, 'Lisbon' is not in the question: any ranking holds both
    # sessions by k = 5, so recall_all@5 is 1 whatever the order.
    assert session["recall_all@5"] == 1.0 and session["recall_any@20"] == 1.0
    assert set(report["levels"]["turn"]["per_category"]["asem"]) == {"multi-session",
                                                                     "knowledge-update"}
    assert report["cost"]["asem"]["notes_per_turn"] > 1  # chunks are notes of their own


# -- multi-hop on a synthetic file -----------------------------------------------------------
def _hotpot_files(tmp_path: Path) -> Path:
    corpus = {"Alu": ["Alu is a demon in Akkadian myth.", " It is kin to Gallu."],
              "Lilu (mythology)": ["Lilu is a wind spirit."],
              "Demon Dice": ["Demon Dice is a dice game."]}
    questions = [{"_id": "h1", "type": "bridge", "question": "Gallu is a demon, Lilu is what?",
                  "answer": "a spirit", "supporting_facts": [["Alu", 1],
                                                             ["Lilu (mythology)", 0]]}]
    (tmp_path / "tiny_hipporag_corpus.json").write_text(json.dumps(corpus))
    path = tmp_path / "tiny_hipporag.json"
    path.write_text(json.dumps(questions))
    return path


def test_multihop_loader_maps_supporting_facts_to_passages(tmp_path):
    case = multihop.load(_hotpot_files(tmp_path))
    assert case.queries[0].evidence == ("Alu", "Lilu (mythology)")
    assert case.turns[0].text == "Alu: Alu is a demon in Akkadian myth. It is kin to Gallu."
    assert case.queries[0].category == "bridge"
    assert len(multihop.load(_hotpot_files(tmp_path), max_passages=2).turns) == 2


def test_musique_passages_are_matched_by_title_and_text(tmp_path):
    corpus = [{"title": "X", "text": "first X"}, {"title": "X", "text": "second X"}]
    question = {"id": "2hop__1_2", "question": "q?", "answer": "a", "paragraphs": [
        {"title": "X", "paragraph_text": "second X", "is_supporting": True},
        {"title": "X", "paragraph_text": "first X", "is_supporting": False}]}
    (tmp_path / "m_hipporag_corpus.json").write_text(json.dumps(corpus))
    (tmp_path / "m_hipporag.json").write_text(json.dumps([question]))
    case = multihop.load(tmp_path / "m_hipporag.json")
    assert case.queries[0].evidence == ("p1",) and case.queries[0].category == "2hop"


def test_multihop_bench_needs_every_supporting_passage_for_recall_all(tmp_path):
    report = bench_multihop.run(_hotpot_files(tmp_path), embedder=HashEmbedder(),
                                systems=["bm25"])
    row = report["levels"]["passage"]["systems"]["bm25"]
    # BM25 ranks the two passages naming Gallu/Lilu first, the dice game last
    assert row["recall_all@2"] == 1.0 and row["recall@2"] == 1.0


# -- the commands ----------------------------------------------------------------------------
def test_multihop_command_writes_a_report_and_resumes(tmp_path):
    pytest.importorskip("matplotlib")
    data, out = _hotpot_files(tmp_path), tmp_path / "report"
    args = ["--json", "bench", "multihop", "--data", str(data), "--systems", "bm25",
            "--report", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert {p.name for p in out.iterdir()} >= {"multihop-tiny.md", "multihop-tiny-curves.png",
                                                "multihop-tiny-per-category.png"}
    page = (out / "multihop-tiny.md").read_text()
    assert "bench multihop --data" in page and "## Passage-level recall_all@k" in page
    assert json.loads(CliRunner().invoke(app, args).stdout)["cached_results"] == 1


def test_longmemeval_command_rejects_an_offset_past_the_stride(tmp_path):
    result = CliRunner().invoke(app, ["bench", "longmemeval", "--data",
                                      str(_lme_file(tmp_path)), "--stride", "2",
                                      "--offset", "2"])
    assert result.exit_code != 0 and "--offset 2 must be less than --stride 2" in result.output
    assert "Traceback" not in result.output


def test_longmemeval_command_builds_the_memories_on_postgresql_alike(tmp_path, pg_server):
    """``--store URL``: each question's memory is a new database on the server; the
    rankings are those of SQLite files, and the command that repeats the run says so."""
    data = _lme_file(tmp_path)
    reports = []
    for store, out in (("sqlite", tmp_path / "sqlite.json"), (pg_server, tmp_path / "pg.json")):
        result = CliRunner().invoke(app, ["--json", "bench",
                                          "longmemeval", "--data", str(data), "--systems",
                                          "asem", "--store", store, "--json", str(out)])
        assert result.exit_code == 0, result.output
        reports.append(json.loads(out.read_text()))
    assert [r["store"] for r in reports] == ["sqlite", "postgres"]
    assert reports[0]["levels"] == reports[1]["levels"]
    assert "--store" in reports[1]["command"] and "--store" not in reports[0]["command"]
    bad = CliRunner().invoke(app, ["bench", "longmemeval", "--data", str(data), "--store",
                                   "nowhere"])
    assert bad.exit_code == 1 and "give sqlite, postgres" in bad.stderr


def test_longmemeval_command_runs_one_question_type_and_says_so(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["--json", "bench", "longmemeval", "--data",
                                      str(_lme_file(tmp_path)), "--types", "knowledge-update",
                                      "--systems", "bm25", "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["questions"] == {"knowledge-update": 1, "total": 1}
    assert "of type knowledge-update" in report["data"][0]
    assert "--types knowledge-update" in report["command"]
    bad = CliRunner().invoke(app, ["bench", "longmemeval", "--data", str(_lme_file(tmp_path)),
                                   "--types", "multi"])
    assert bad.exit_code == 1 and "unknown question type(s) multi" in bad.stderr
    assert "Traceback" not in bad.output


def test_longmemeval_command_rejects_a_bad_variant(tmp_path):
    result = CliRunner().invoke(app, ["bench", "longmemeval", "--data",
                                      str(_lme_file(tmp_path)), "--variant", "m"])
    assert result.exit_code == 1 and "unknown --variant" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["longmemeval", "multihop"])
def test_the_new_commands_have_help_on_every_option(command):
    import typer

    group = typer.main.get_command(app).commands["bench"]  # type: ignore[attr-defined]
    target = group.commands[command]
    result = CliRunner().invoke(app, ["bench", command, "--help"])
    assert result.exit_code == 0 and target.help.split("\n")[0][:30] in result.stdout
    assert all(getattr(p, "help", None) for p in target.params), command


def test_longmemeval_report_has_recall_per_question_kind(tmp_path):
    question = _lme_question("q1", "temporal-reasoning")
    question["question"] = "Where did I move to in May 2023, as I told Ana last week?"
    path = tmp_path / "longmemeval_s_dated.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump([question], file)
    loaded = longmemeval.load(path)
    assert loaded.cases[0].queries[0].asked_at == datetime(2023, 5, 30, 10, 0)
    report = bench_longmemeval.run(path, embedder=HashEmbedder(), systems=["bm25", "asem"])
    assert report["kinds"]["questions"] == {"date": 1, "broad": 0, "name": 1}  # Ana, not May
    turn = report["levels"]["turn"]["per_kind"]
    assert set(turn["asem"]) == {"date", "name", "question_above_answer"}
    assert turn["asem"]["date"]["recall_all@5"] == \
        report["levels"]["turn"]["systems"]["asem"]["recall_all@5"]  # its only question
    assert 0 <= turn["bm25"]["question_above_answer"]["share"] <= 1
