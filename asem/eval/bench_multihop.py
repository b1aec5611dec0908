"""`asem bench multihop`: do the notes of a multi-hop question's supporting passages all come
back? HotpotQA and MuSiQue subsets, passages as notes (see ``asem.eval.multihop``).

Per question and k: recall_all (every supporting passage in the top k: what a reader needs
to answer a multi-hop question), recall_any, and recall (the share found).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asem.eval import baselines, multihop, runner
from asem.eval.cache import ResultCache
from asem.eval.dataset import Case, Query
from asem.eval.metrics import recall_all_at_k, recall_any_at_k, recall_at_k
from asem.providers.embedder import Embedder

KS = (2, 5, 10, 20)
LEVELS = ("passage",)
METRICS = ("recall_all", "recall_any", "recall")
SYSTEMS = baselines.ALL
DEFAULT_SYSTEMS = ("asem", "asem-bridge", "asem-expand", "bm25", "dense", "amem")


def run(data: str | Path, *, embedder: Embedder, limit: int | None = None,
        max_passages: int | None = None, systems: Sequence[str] = DEFAULT_SYSTEMS,
        progress: runner.Progress | None = None, cache: ResultCache | None = None
        ) -> dict[str, Any]:
    """Evaluate ``systems`` on the questions of ``data`` (the first ``limit``; for
    ``max_passages`` see ``multihop.load``)."""
    started = time.perf_counter()
    runner.check_systems(systems, SYSTEMS)
    case = multihop.load(data, limit=limit, max_passages=max_passages)
    records, reused = runner.run_cases([case], systems=systems, embedder=embedder,
                                       scorer=score, depth=max(KS), key=(KS, METRICS),
                                       cache=cache, progress=progress)
    queries = sorted(case.queries, key=lambda q: q.category)  # categories in name order
    return {
        "benchmark": f"multihop-{case.id}",
        "title": f"Multi-hop retrieval: {case.id}",
        "data": [f"{len(case.queries)} questions, {case.turn_count:,} passages "
                 f"({len(case.turns):,} notes' worth after chunking long passages), one "
                 "scope; evidence = every gold supporting passage."],
        "category_label": "question type",
        "headline": {"metric": "recall_all", "k": 10},
        **runner.report_fields(records, queries, LEVELS, METRICS, KS),
        "cached_results": reused,
        "run_seconds": round(time.perf_counter() - started, 1),
    }


def score(ranked: Sequence[str], query: Query, case: Case) -> dict[str, list[float]]:
    gold = set(query.evidence)
    return {"passage:recall_all": [recall_all_at_k(ranked, gold, k) for k in KS],
            "passage:recall_any": [recall_any_at_k(ranked, gold, k) for k in KS],
            "passage:recall": [round(recall_at_k(ranked, gold, k), 5) for k in KS]}
