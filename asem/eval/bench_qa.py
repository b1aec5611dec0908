"""`asem bench locomo --llm ...`: question answering with a language model, and what the
model costs, next to retrieval recall — every system in the same run.

Systems:
- ``dense``: raw-turn RAG — the k turns most similar to the question (MiniLM cosine), then
  the same answer prompt as ASEM;
- ``asem``: ASEM with the extractive enricher (recall only: the reference for LLM notes);
- ``asem-llm``: ASEM whose notes were enriched, linked and evolved by the model (one call
  per batch of turns), answering by distil-and-answer over its top k notes.

Both answering systems put the same number of notes (k) in the prompt. Category 5
(adversarial) is scored as abstention: the right answer is that memory does not say.
Ingestion of ``asem-llm`` is kept in ``workdir`` and resumes where it stopped; finished
per-conversation results are cached like the recall benchmark's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from asem.eval import locomo
from asem.eval.cache import QA_CODE, ResultCache, code_digest, config_hash
from asem.eval.metrics import exact_match, mean, percentile, recall_at_k, token_f1
from asem.eval.systems import AsemSystem, DenseSystem
from asem.llm.base import LLM, LLMError
from asem.llm.usage import UsageMeter
from asem.memory import Memory
from asem.prompts.answer import Evidence
from asem.read.answer import Distilled, distil_and_answer, evidence_of

KS = (1, 5, 10, 20)
SYSTEMS = ("dense", "asem", "asem-llm")
Progress = Callable[[str, int, int], None]


def run(data: str | Path, *, embedder, llm: LLM, workdir: Path,
        conversations: list[str] | None = None, k: int = 5,
        categories: Sequence[int] = (1, 2, 3, 4, 5), progress: Progress | None = None,
        cache: ResultCache | None = None, questions: int | None = None,
        sessions: int | None = None) -> dict[str, Any]:
    """``questions``: ask only that many per conversation, evenly spaced over the file's
    order (every category keeps its share); None asks them all. ``sessions``: keep only
    each conversation's first that many sessions (see ``first_sessions``)."""
    started = time.perf_counter()
    convs = locomo.load(data, conversations)
    if sessions is not None:
        convs = [first_sessions(c, sessions) for c in convs]
    cache = cache or ResultCache(None)
    workdir.mkdir(parents=True, exist_ok=True)
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in SYSTEMS}
    for conv in convs:
        asked = sample([q for q in conv.questions if q.category in categories], questions)
        for name in SYSTEMS:
            key = config_hash(name, llm.model_id, embedder.model_id, k, sorted(categories),
                              questions, sessions, code_digest(QA_CODE))
            record = cache.get(conv.sample_id, name, key)
            if record is None:
                record = _evaluate(name, conv, asked, embedder, llm, workdir, k, progress,
                                   f"-s{sessions}" if sessions else "")
                cache.put(conv.sample_id, name, key, record)
            records[name].append(record)
    report = summarise(records, convs, llm.model_id, k, categories,
                       time.perf_counter() - started)
    report["questions_asked_per_conversation"] = questions or "all"
    report["sessions_per_conversation"] = sessions or "all"
    return report


def first_sessions(conv: locomo.Conversation, n: int) -> locomo.Conversation:
    """``conv`` up to the end of its n-th session, with the questions whose evidence all
    lies there (questions without evidence are dropped)."""
    def session(dia_id: str) -> int:
        head = dia_id.split(":", 1)[0].lstrip("D")
        return int(head) if head.isdigit() else 0

    return replace(conv, turns=tuple(t for t in conv.turns if session(t.dia_id) <= n),
                   questions=tuple(q for q in conv.questions if q.evidence
                                   and all(session(e) <= n for e in q.evidence)))


def sample(items: list[locomo.Question], n: int | None) -> list[locomo.Question]:
    """``n`` items evenly spaced over ``items`` (all of them when n is None or too big)."""
    if n is None or n >= len(items):
        return items
    return [items[(i * len(items)) // n] for i in range(n)]


def _evaluate(name: str, conv: locomo.Conversation, asked: Sequence[locomo.Question],
              embedder, llm: LLM, workdir: Path, k: int, progress: Progress | None,
              variant: str = "") -> dict[str, Any]:
    def say(stage: str, done: int, total: int) -> None:
        if progress:
            progress(f"{conv.sample_id} {name}: {stage}", done, total)

    if name == "dense":
        dense = DenseSystem(embedder)
        dense.index(conv.sample_id, conv.turns)
        turns = {t.dia_id: t for t in conv.turns}

        def dense_answer(question: str, meter: UsageMeter) -> tuple[list[str], Distilled]:
            ranked = dense.rank(question, max(KS))
            shown = [turns[i] for i in ranked[:k]]
            evidence = [Evidence(t.text, t.speaker, t.timestamp) for t in shown]
            return ranked, _distil(question, evidence, llm, meter)

        return _ask_all(asked, dense_answer, say) | {"turns": len(conv.turns)}
    path = workdir / f"{conv.sample_id}{variant}-{name}.db"
    memory = Memory(path, embedder=embedder, llm=llm if name == "asem-llm" else None,
                    background=False)
    try:
        record = _ingest(memory, conv, say)
        system = AsemSystem(None, embedder, memory=memory)
        system._user = conv.sample_id
        if name == "asem":
            rows = [_recall_row(q, system.rank(q.question, max(KS))) for q in asked
                    if q.evidence and q.category != 5]
            return record | {"questions": rows}

        def asem_answer(question: str, meter: UsageMeter) -> tuple[list[str], Distilled]:
            ranked = system.rank(question, max(KS))
            result = memory.search(question, user_id=conv.sample_id, k=k)
            return ranked, _distil(question, [evidence_of(h.note) for h in result], llm, meter)

        return record | _ask_all(asked, asem_answer, say)
    finally:
        memory.close()


def _ingest(memory: Memory, conv: locomo.Conversation,
            say: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Store the turns (a resumed run finds them stored) and drain the LLM jobs."""
    from asem.chat import ChatTurn
    from asem.types import Message

    start = time.perf_counter()
    memory.ingest([ChatTurn(Message(t.text, t.speaker, t.timestamp, t.dia_id), t.session_id)
                   for t in conv.turns], user_id=conv.sample_id, channel="benchmark")
    record: dict[str, Any] = {"turns": len(conv.turns),
                              "ingest_seconds": time.perf_counter() - start}
    if memory.worker is None:
        return record
    before = memory.llm_usage.snapshot()
    counts = memory.store.job_counts(conv.sample_id)
    settled_before = counts["done"] + counts["failed"]  # by an earlier, killed run
    llm_start = time.perf_counter()
    while True:
        counts = memory.store.job_counts(conv.sample_id)
        done = counts["done"] + counts["failed"]
        say("LLM enrichment (turns)", done, sum(counts.values()))
        if not memory.process_llm_jobs(max_batches=1):
            break
    counts = memory.store.job_counts(conv.sample_id)
    usage = memory.llm_usage.snapshot() - before
    record["llm_ingest"] = usage.to_dict() | {"jobs": counts,
                                              "settled_here": counts["done"] + counts["failed"]
                                              - settled_before,
                                              "seconds": time.perf_counter() - llm_start,
                                              "rejected_refs": len(memory.worker.stats.rejected)}
    return record


def _distil(question: str, evidence: list[Evidence], llm: LLM, meter: UsageMeter) -> Distilled:
    try:
        return distil_and_answer(question, evidence, llm, meter)
    except LLMError as e:  # counted as a wrong answer, never a crash of the run
        return Distilled(f"[error: {e}]", (), False)


def _ask_all(asked: Sequence[locomo.Question], answer_fn, say) -> dict[str, Any]:
    rows = []
    for number, q in enumerate(asked):
        say("questions", number, len(asked))
        meter = UsageMeter()
        start = time.perf_counter()
        ranked, distilled = answer_fn(q.question, meter)
        seconds = time.perf_counter() - start
        usage = meter.snapshot()
        row: dict[str, Any] = {"category": q.category, "answer": distilled.text,
                               "gold": q.answer, "abstained": distilled.abstained,
                               "cited": len(distilled.cited), "seconds": round(seconds, 3),
                               "llm": usage.to_dict()}
        if q.category != 5:
            row["f1"] = token_f1(distilled.text, q.answer) if not distilled.abstained else 0.0
            row["em"] = exact_match(distilled.text, q.answer) if not distilled.abstained else 0.0
        if q.evidence and q.category != 5:
            row |= _recall_row(q, ranked)
        rows.append(row)
    return {"questions": rows}


def _recall_row(q: locomo.Question, ranked: list[str]) -> dict[str, Any]:
    return {"category": q.category, "turn": [recall_at_k(ranked, q.evidence, k) for k in KS]}


def summarise(records: dict[str, list[dict[str, Any]]], convs: Sequence[locomo.Conversation],
              model_id: str, k: int, categories: Sequence[int], seconds: float
              ) -> dict[str, Any]:
    report: dict[str, Any] = {
        "benchmark": "locomo-qa", "llm": model_id, "notes_in_context": k,
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in categories},
        "conversations": [c.sample_id for c in convs],
        "questions": {locomo.CATEGORIES[c]: sum(1 for v in convs for q in v.questions
                                                if q.category == c) for c in categories},
        "systems": {}, "run_seconds": round(seconds, 1),
    }
    for name, recs in records.items():
        rows = [q for r in recs for q in r["questions"]]
        answered = [q for q in rows if "f1" in q]
        summary: dict[str, Any] = {}
        recall_rows = [q for q in rows if "turn" in q]
        if recall_rows:
            summary["recall"] = {f"recall@{kk}": round(mean([q["turn"][i] for q in recall_rows]),
                                                       4) for i, kk in enumerate(KS)}
        if answered:
            summary["f1"] = round(mean([q["f1"] for q in answered]), 4)
            summary["exact_match"] = round(mean([q["em"] for q in answered]), 4)
            summary["per_category_f1"] = {
                locomo.CATEGORIES[c]: round(mean([q["f1"] for q in answered
                                                  if q["category"] == c]), 4)
                for c in categories if c != 5 and any(q["category"] == c for q in answered)}
            summary["answered_questions"] = len(answered)
            adversarial = [q for q in rows if q["category"] == 5 and "abstained" in q]
            if adversarial:
                summary["abstention_rate_cat5"] = round(mean([float(q["abstained"])
                                                              for q in adversarial]), 4)
                summary["false_abstention_rate_cat1_4"] = round(
                    mean([float(q["abstained"]) for q in answered]), 4)
            summary["per_question_llm"] = _per_question(rows)
        summary |= _ingest_cost(recs)
        report["systems"][name] = summary
    return report


def _per_question(rows: list[dict[str, Any]]) -> dict[str, float]:
    asked = [q for q in rows if "llm" in q]
    return {"calls": round(mean([q["llm"]["calls"] for q in asked]), 3),
            "prompt_tokens": round(mean([q["llm"]["prompt_tokens"] for q in asked]), 1),
            "completion_tokens": round(mean([q["llm"]["completion_tokens"] for q in asked]), 1),
            "latency_p50_s": round(percentile([q["seconds"] for q in asked], 50), 2)}


def _ingest_cost(recs: list[dict[str, Any]]) -> dict[str, Any]:
    with_llm = [r["llm_ingest"] for r in recs if "llm_ingest" in r]
    # per turn whose note the model worked on in this run (a resumed run did only the rest;
    # a turn that made no new note has no job, so this errs high, never low)
    turns = sum(u.get("settled_here", r["turns"]) for r in recs
                if (u := r.get("llm_ingest")) is not None)
    if not with_llm or not turns:
        return {}
    calls = sum(u["calls"] for u in with_llm)
    return {"llm_per_ingested_turn": {
        "calls": round(calls / turns, 3),
        "prompt_tokens": round(sum(u["prompt_tokens"] for u in with_llm) / turns, 1),
        "completion_tokens": round(sum(u["completion_tokens"] for u in with_llm) / turns, 1),
        "seconds": round(sum(u["seconds"] for u in with_llm) / turns, 2),
        "failed_jobs": sum(u["jobs"]["failed"] for u in with_llm),
        "rejected_refs": sum(u["rejected_refs"] for u in with_llm)}}
