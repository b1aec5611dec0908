"""`asem bench longmemeval`: session- and turn-level retrieval on LongMemEval (oracle or S).

One scope per question (its haystack; see ``asem.eval.longmemeval`` for the official recipe
this follows). Every system ranks the user turns of the haystack; a session ranks where its
best turn ranks. Metrics at each k, as the official evaluation defines them: recall_any (an
evidence item is in the top k), recall_all (every one is) and nDCG, for turns and for
sessions (the first k distinct sessions of the turn ranking). recall_any saturates on S, so
recall_all is the figure that separates systems.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asem.eval import baselines, kinds, longmemeval, runner
from asem.eval.cache import ResultCache
from asem.eval.databases import DatabasesFor, SQLiteFiles
from asem.eval.dataset import Case, Query
from asem.eval.metrics import (
    ndcg_at_k,
    recall_all_at_k,
    recall_any_at_k,
    sessions_ranked,
)
from asem.providers.embedder import Embedder

KS = (1, 5, 10, 20)
DEPTH = 50
"""Turns ranked per question: deep enough to hold 20 distinct sessions almost always."""
LEVELS = ("session", "turn")
METRICS = ("recall_all", "recall_any", "ndcg")
SYSTEMS = baselines.ALL


def run(data: str | Path, *, embedder: Embedder, variant: str | None = None, stride: int = 1,
        limit: int | None = None, offset: int = 0, types: Sequence[str] = (),
        systems: Sequence[str] = baselines.DEFAULT,
        progress: runner.Progress | None = None, cache: ResultCache | None = None,
        databases: DatabasesFor = SQLiteFiles) -> dict[str, Any]:
    """Evaluate ``systems`` on every ``stride``-th question of ``data`` from the
    ``offset``-th (at most ``limit``; with ``types``, of those question types only);
    ``databases``: where ASEM's memories are built
    (SQLite files by default)."""
    started = time.perf_counter()
    runner.check_systems(systems, SYSTEMS)
    variant = variant or longmemeval.variant_of(data)
    if variant not in longmemeval.VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose oracle or s")
    loaded = longmemeval.load(data, stride=stride, limit=limit, offset=offset, types=types)
    store = databases(Path(".")).kind
    # Results of another store are kept apart (they should match; that is what a run checks).
    key = (KS, METRICS) if store == "sqlite" else (KS, METRICS, store)
    records, reused = runner.run_cases(loaded.cases, systems=systems, embedder=embedder,
                                       scorer=score, depth=DEPTH, key=key, cache=cache,
                                       progress=progress, databases=databases)
    report = summarise(records, loaded, variant, stride, limit, offset, types)
    report["cached_results"] = reused
    report["store"] = store
    report["run_seconds"] = round(time.perf_counter() - started, 1)
    return report


def score(ranked: Sequence[str], query: Query, case: Case) -> dict[str, list[float]]:
    """recall_any, recall_all and nDCG at ``KS`` for turns and for sessions."""
    sessions = sessions_ranked(ranked, case.session_of)
    gold_sessions = {case.session_of[t] for t in query.evidence}
    row: dict[str, list[float]] = {}
    for level, items, gold in (("turn", list(ranked), set(query.evidence)),
                               ("session", sessions, gold_sessions)):
        row[f"{level}:recall_all"] = [recall_all_at_k(items, gold, k) for k in KS]
        row[f"{level}:recall_any"] = [recall_any_at_k(items, gold, k) for k in KS]
        row[f"{level}:ndcg"] = [round(ndcg_at_k(items, gold, k), 5) for k in KS]
    return kinds.annotate(row, ranked, query, case)


def summarise(records: dict[str, list[dict[str, Any]]], loaded: longmemeval.Loaded,
              variant: str, stride: int, limit: int | None, offset: int = 0,
              types: Sequence[str] = ()) -> dict[str, Any]:
    """The report: metrics per level, overall and per question type, and costs."""
    cases = loaded.cases
    order = {t: i for i, t in enumerate(longmemeval.TYPES)}
    queries = sorted((c.queries[0] for c in cases), key=lambda q: order.get(q.category, 99))
    title = "LongMemEval oracle" if variant == "oracle" else "LongMemEval_S"
    of = f" of type {', '.join(types)}" if types else ""
    sample = f"all answerable questions{of}" if stride == 1 and limit is None else (
        ("the answerable questions" if stride == 1 else f"every {stride}th answerable question")
        + of + (f" from the {offset + 1}th" if offset else "")
        + (f", at most {limit}" if limit else ""))
    report = {
        "benchmark": f"longmemeval-{variant}",
        "title": f"{title} retrieval",
        "data": [f"{len(cases)} questions ({sample}) of {loaded.questions_in_file} in the "
                 f"file; skipped: " + (", ".join(f"{n} {why}" for why, n in
                                                 loaded.skipped.items()) or "none") + ".",
                 f"{sum(c.turn_count for c in cases):,} user turns indexed "
                 f"({sum(len(c.turns) for c in cases):,} documents after chunking long "
                 "turns); one scope per question; sessions ranked by their best turn.",
                 "nDCG follows the official evaluation code (ranks 1 and 2 weigh the "
                 "same)."],
        "category_label": "question type",
        "headline": {"metric": "recall_all", "k": 5},
        **runner.report_fields(records, queries, LEVELS, METRICS, KS),
        "kinds": {"rules": kinds.RULES, "questions": kinds.counts(queries, cases)},
    }
    for level, tables in report["levels"].items():
        tables["per_kind"] = kinds.per_kind(records, lambda rows, level=level: {
            key.split(":", 1)[1]: value for metric in METRICS
            for key, value in runner.averages(rows, f"{level}:{metric}", KS).items()})
    return report
