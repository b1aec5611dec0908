"""The QA benchmark harness on a tiny made-up LoCoMo-shaped file, with the scripted LLM."""

from __future__ import annotations

import json

from asem.eval import bench_qa
from asem.eval.cache import ResultCache
from asem.llm import ScriptedLLM
from asem.providers import HashEmbedder
from tests.test_llm_worker import good_reply

SAMPLE = [{
    "sample_id": "conv-x",
    "conversation": {
        "speaker_a": "Ann", "speaker_b": "Bob",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            {"speaker": "Ann", "dia_id": "D1:1", "text": "I adopted a dog named Buddy."},
            {"speaker": "Bob", "dia_id": "D1:2", "text": "I started learning the violin."},
            {"speaker": "Ann", "dia_id": "D1:3", "text": "We went hiking in the Alps."},
        ],
    },
    "qa": [
        {"question": "What is Ann's dog called?", "answer": "Buddy", "evidence": ["D1:1"],
         "category": 4},
        {"question": "What instrument does Bob learn?", "answer": "violin",
         "evidence": ["D1:2"], "category": 1},
        {"question": "What is Bob's cat called?", "adversarial_answer": "Tom",
         "evidence": ["D1:2"], "category": 5},
    ],
}]


def reply(messages):
    text = messages[-1].content
    if "New turns:" in text:
        return good_reply(messages)
    question = text.split("Question:", 1)[1]
    answer = ("Buddy" if "dog" in question else "the violin" if "instrument" in question
              else "unknown")
    return json.dumps({"evidence": [1], "answer": answer})


def test_qa_harness_scores_f1_abstention_and_llm_costs(tmp_path):
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps(SAMPLE))
    llm = ScriptedLLM(default=reply)
    cache = ResultCache(tmp_path / "cache.jsonl")
    report = bench_qa.run(data, embedder=HashEmbedder(), llm=llm, workdir=tmp_path / "work",
                          cache=cache)
    systems = report["systems"]
    assert set(systems) == {"dense", "asem", "asem-llm"}
    assert systems["asem-llm"]["f1"] == 1.0 and systems["dense"]["f1"] == 1.0
    assert systems["asem-llm"]["abstention_rate_cat5"] == 1.0
    assert systems["asem-llm"]["llm_per_ingested_turn"]["calls"] == round(1 / 3, 3)
    assert systems["asem-llm"]["per_question_llm"]["calls"] == 1.0
    assert "f1" not in systems["asem"] and "recall" in systems["asem"]
    assert report["category_mapping"]["5"] == "adversarial"
    calls = llm.calls
    again = bench_qa.run(data, embedder=HashEmbedder(), llm=llm, workdir=tmp_path / "work",
                         cache=ResultCache(tmp_path / "cache.jsonl"))
    assert llm.calls == calls and again["systems"] == systems  # resumed from the cache


def test_sample_spreads_over_the_list():
    items = list(range(10))
    assert bench_qa.sample(items, 3) == [0, 3, 6]
    assert bench_qa.sample(items, None) == items and bench_qa.sample(items, 20) == items


def test_llm_cost_per_turn_counts_only_the_turns_this_run_enriched():
    from asem.eval.bench_qa import _ingest_cost

    usage = {"calls": 10, "prompt_tokens": 6000, "completion_tokens": 1200, "seconds": 30.0,
             "jobs": {"done": 120, "failed": 0}, "rejected_refs": 0}
    fresh = _ingest_cost([{"turns": 120, "llm_ingest": usage | {"settled_here": 120}}])
    resumed = _ingest_cost([{"turns": 120, "llm_ingest": usage | {"settled_here": 60}}])
    assert fresh["llm_per_ingested_turn"]["calls"] == round(10 / 120, 3)
    assert resumed["llm_per_ingested_turn"]["calls"] == round(10 / 60, 3)
    assert _ingest_cost([{"turns": 120}]) == {}


def test_first_sessions_keeps_the_turns_and_questions_they_hold(tmp_path):
    two = json.loads(json.dumps(SAMPLE))
    conv = two[0]["conversation"]
    conv["session_2_date_time"] = "2:00 pm on 9 May, 2023"
    conv["session_2"] = [{"speaker": "Ann", "dia_id": "D2:1", "text": "Buddy learnt to sit."}]
    two[0]["qa"].append({"question": "What did Buddy learn?", "answer": "to sit",
                         "evidence": ["D2:1"], "category": 4})
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps(two))
    (full,) = bench_qa.locomo.load(data)
    first = bench_qa.first_sessions(full, 1)
    assert [t.dia_id for t in first.turns] == ["D1:1", "D1:2", "D1:3"]
    assert [q.question for q in first.questions] == [q["question"] for q in SAMPLE[0]["qa"]]
    report = bench_qa.run(data, embedder=HashEmbedder(), llm=ScriptedLLM(default=reply),
                          workdir=tmp_path / "work", sessions=1)
    assert report["sessions_per_conversation"] == 1
    assert (tmp_path / "work" / "conv-x-s1-asem-llm.db").exists()
    assert report["systems"]["asem-llm"]["answered_questions"] == 2  # not D2:1's question
