"""`asem bench locomo`: evidence recall@k for ASEM, its ablations and baselines, in one run.

Every system indexes each conversation (one scope per conversation) and answers every
category 1–4 question that has resolvable evidence. Two granularities:

- turn: recall@k = share of the question's evidence turns in the top k turns;
- session: a session is found when any of its turns is ranked; recall@k = share of the
  evidence turns' sessions among the first k distinct sessions of the same ranking.

Results are kept per (conversation, system) in a ``ResultCache``, so a killed run resumes.
"""

from __future__ import annotations

import hashlib
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asem.eval import baselines, locomo
from asem.eval.cache import ResultCache, code_digest, config_hash
from asem.eval.metrics import mean, percentile, recall_at_k, session_recall_at_k
from asem.eval.systems import RetrievalSystem
from asem.providers.embedder import Embedder

KS = (1, 5, 10, 20)
SYSTEMS = baselines.ALL
"""Every system the harness knows, in report order."""
DEFAULT_SYSTEMS = baselines.DEFAULT
GRANULARITIES = ("turn", "session")
Progress = Callable[[str, int, int], None]
"""(stage description, done, total)."""


@runtime_checkable
class _HasFootprint(Protocol):
    def footprint(self) -> dict[str, int]:
        ...


def run(data: str | Path, *, embedder: Embedder, conversations: list[str] | None = None,
        systems: Sequence[str] = DEFAULT_SYSTEMS, categories: Sequence[int] = (1, 2, 3, 4),
        progress: Progress | None = None, cache: ResultCache | None = None) -> dict[str, Any]:
    """Evaluate ``systems`` on the conversations in ``data``; returns the report dict."""
    started = time.perf_counter()
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"unknown systems {unknown}; choose from {', '.join(SYSTEMS)}")
    convs = locomo.load(data, conversations)
    cache = cache or ResultCache(None)
    code = code_digest()
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    reused = 0
    with tempfile.TemporaryDirectory(prefix="asem-bench-") as tmp:
        for number, conv in enumerate(convs):
            asked = [q for q in conv.questions if q.category in categories and q.evidence]
            data_hash = hashlib.sha256(repr(conv).encode()).hexdigest()
            builder = baselines.Builder(embedder, Path(tmp))
            try:
                for name in systems:
                    key = config_hash(baselines.settings(name), embedder.model_id, KS,
                                      sorted(categories), data_hash, code)
                    record = cache.get(conv.sample_id, name, key)
                    if record is None:
                        if progress:
                            progress(f"{conv.sample_id}: {name}", number, len(convs))
                        record = evaluate(builder.make(name), conv, asked)
                        cache.put(conv.sample_id, name, key, record)
                    else:
                        reused += 1
                    records[name].append(record)
            finally:
                builder.close()
            if progress:
                progress(f"{conv.sample_id}: done", number + 1, len(convs))
    report = summarise(records, convs, categories)
    report["cached_results"] = reused
    report["run_seconds"] = round(time.perf_counter() - started, 1)
    return report


def evaluate(system: RetrievalSystem, conv: locomo.Conversation,
             asked: Sequence[locomo.Question]) -> dict[str, Any]:
    """One system on one conversation: per-question recalls at ``KS`` and its costs."""
    system.index(conv.sample_id, conv.turns)
    session_of = {t.dia_id: t.session_id for t in conv.turns}
    rows, seconds = [], []
    for q in asked:
        start = time.perf_counter()
        ranked = system.rank(q.question, max(KS))
        seconds.append(time.perf_counter() - start)
        rows.append({
            "category": q.category,
            "turn": [recall_at_k(ranked, q.evidence, k) for k in KS],
            "session": [session_recall_at_k(ranked, q.evidence, session_of, k) for k in KS],
        })
    record: dict[str, Any] = {"questions": rows, "turns": len(conv.turns),
                              "ingest_seconds": system.ingest_seconds,
                              "search_seconds": seconds}
    if isinstance(system, _HasFootprint):
        record["footprint"] = system.footprint()
    return record


def summarise(records: dict[str, list[dict[str, Any]]], convs: Sequence[locomo.Conversation],
              categories: Sequence[int]) -> dict[str, Any]:
    """The report: recall overall and per category at both granularities, and costs."""
    report: dict[str, Any] = {
        "benchmark": "locomo",
        "granularity": "turn",
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in categories},
        "conversations": [c.sample_id for c in convs],
        "turns": sum(len(c.turns) for c in convs),
        "questions": _counts(convs, categories),
        "system_descriptions": {s: baselines.DESCRIPTIONS[s] for s in records},
    }
    for granularity, suffix in (("turn", ""), ("session", "_session")):
        report["systems" + suffix] = {
            s: _summary([q[granularity] for r in rs for q in r["questions"]])
            for s, rs in records.items()}
        report["per_category" + suffix] = {
            s: {locomo.CATEGORIES[c]: _summary(rows) for c in categories
                if (rows := [q[granularity] for r in rs for q in r["questions"]
                             if q["category"] == c])}
            for s, rs in records.items()}
    report["cost"] = {s: _cost(rs) for s, rs in records.items()}
    report["machine"] = {"python": platform.python_version(), "processor": platform.machine()}
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return report


def _counts(convs: Sequence[locomo.Conversation], categories: Sequence[int]) -> dict[str, int]:
    asked = [q for c in convs for q in c.questions if q.category in categories and q.evidence]
    return ({locomo.CATEGORIES[c]: sum(1 for q in asked if q.category == c)
             for c in categories} | {"total": len(asked)})


def _summary(rows: list[list[float]]) -> dict[str, float]:
    return {f"recall@{k}": round(mean([r[i] for r in rows]), 4) for i, k in enumerate(KS)}


def _cost(records: list[dict[str, Any]]) -> dict[str, float]:
    """Ingest speed and search latency; notes, links and disk size where there is a store."""
    turns = sum(r["turns"] for r in records)
    seconds = [s for r in records for s in r["search_seconds"]]
    cost: dict[str, float] = {
        "ingest_turns_per_s": round(turns / max(sum(r["ingest_seconds"] for r in records),
                                                1e-9), 1),
        "search_p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "search_p95_ms": round(percentile(seconds, 95) * 1000, 2),
    }
    prints = [r["footprint"] for r in records if "footprint" in r]
    if prints and len(prints) == len(records):
        notes = sum(p["notes"] for p in prints)
        cost["notes_per_turn"] = round(notes / max(turns, 1), 3)
        cost["links_per_note"] = round(sum(p["links"] for p in prints) / max(notes, 1), 2)
        cost["db_bytes"] = sum(p["db_bytes"] for p in prints)
    return cost
