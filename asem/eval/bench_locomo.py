"""`asem bench locomo`: turn-level evidence recall@k for ASEM and raw-turn baselines.

Every system indexes each conversation and answers every category 1–4 question that has
resolvable evidence; recall@k = share of the question's evidence turns in the top k turns.
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from asem.eval import locomo
from asem.eval.metrics import mean, percentile, recall_at_k
from asem.eval.systems import AsemSystem, BM25System, DenseSystem, RetrievalSystem
from asem.providers.embedder import Embedder

KS = (1, 5, 10, 20)
SYSTEMS = ("asem", "bm25", "dense")
Progress = Callable[[str, int, int], None]
"""(stage description, done, total)."""


def make_systems(names: Sequence[str], embedder: Embedder, workdir: Path) -> list[RetrievalSystem]:
    factories: dict[str, Callable[[], RetrievalSystem]] = {
        "asem": lambda: AsemSystem(workdir / "asem-locomo.db", embedder),
        "bm25": BM25System,
        "dense": lambda: DenseSystem(embedder),
    }
    return [factories[n]() for n in names]


def run(data: str | Path, *, embedder: Embedder, conversations: list[str] | None = None,
        systems: Sequence[str] = SYSTEMS, categories: Sequence[int] = (1, 2, 3, 4),
        progress: Progress | None = None) -> dict[str, Any]:
    convs = locomo.load(data, conversations)
    questions = [(c, q) for c in convs for q in c.questions
                 if q.category in categories and q.evidence]
    recalls: dict[str, dict[int, list[dict[int, float]]]] = {
        s: {cat: [] for cat in categories} for s in systems
    }
    with tempfile.TemporaryDirectory(prefix="asem-bench-") as tmp:
        built = make_systems(systems, embedder, Path(tmp))
        for number, conv in enumerate(convs, start=1):
            asked = [q for c, q in questions if c is conv]
            for system in built:
                if progress:
                    progress(f"{conv.sample_id}: {system.name} indexing", number - 1, len(convs))
                system.index(conv.sample_id, conv.turns)
                for q in asked:
                    ranked = system.rank(q.question, max(KS))
                    recalls[system.name][q.category].append(
                        {k: recall_at_k(ranked, q.evidence, k) for k in KS})
            if progress:
                progress(f"{conv.sample_id}: done", number, len(convs))
        report = _report(recalls, convs, questions, categories)
        report["cost"] = {s.name: _cost(s) for s in built if isinstance(s, AsemSystem)}
        for s in built:
            if isinstance(s, AsemSystem):
                s.memory.close()
    return report


def _summary(rows: list[dict[int, float]]) -> dict[str, float]:
    return {f"recall@{k}": round(mean([r[k] for r in rows]), 4) for k in KS}


def _report(recalls: dict[str, dict[int, list[dict[int, float]]]],
            convs: list[locomo.Conversation], questions: list, categories: Sequence[int]
            ) -> dict[str, Any]:
    return {
        "benchmark": "locomo",
        "granularity": "turn",
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in categories},
        "conversations": [c.sample_id for c in convs],
        "turns": sum(len(c.turns) for c in convs),
        "questions": {locomo.CATEGORIES[c]: sum(1 for _, q in questions if q.category == c)
                      for c in categories} | {"total": len(questions)},
        "systems": {s: _summary([r for rows in by_cat.values() for r in rows])
                    for s, by_cat in recalls.items()},
        "per_category": {s: {locomo.CATEGORIES[c]: _summary(rows) for c, rows in by_cat.items()
                             if rows}
                         for s, by_cat in recalls.items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def _cost(system: AsemSystem) -> dict[str, float]:
    stats = system.memory.stats()
    seconds = system.search_seconds
    return {
        "ingest_turns_per_s": round(system.ingested_turns / max(system.ingest_seconds, 1e-9), 1),
        "notes_per_turn": round(int(stats["notes"]) / max(system.ingested_turns, 1), 3),
        "search_p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "search_p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "db_bytes": int(stats["file_bytes"]),
    }
