"""`asem bench locomo`: evidence recall@k for ASEM, its ablations and baselines, in one run.

Every system indexes each conversation (one scope per conversation) and answers every
category 1–4 question that has resolvable evidence. Two granularities:

- turn: recall@k = share of the question's evidence turns in the top k turns;
- session: a session is found when any of its turns is ranked; recall@k = share of the
  evidence turns' sessions among the first k distinct sessions of the same ranking.

Results are kept per (conversation, system) in a ``ResultCache``, so a killed run resumes.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asem.eval import baselines, kinds, locomo, runner
from asem.eval.cache import ResultCache
from asem.eval.databases import DatabasesFor, SQLiteFiles
from asem.eval.dataset import Case, Query
from asem.eval.metrics import recall_at_k, session_recall_at_k
from asem.providers.embedder import Embedder

KS = (1, 5, 10, 20)
SYSTEMS = baselines.ALL
"""Every system the harness knows, in report order."""
DEFAULT_SYSTEMS = baselines.DEFAULT
GRANULARITIES = ("turn", "session")
Progress = runner.Progress


def run(data: str | Path, *, embedder: Embedder, conversations: list[str] | None = None,
        systems: Sequence[str] = DEFAULT_SYSTEMS, categories: Sequence[int] = (1, 2, 3, 4),
        progress: Progress | None = None, cache: ResultCache | None = None,
        databases: DatabasesFor = SQLiteFiles) -> dict[str, Any]:
    """Evaluate ``systems`` on the conversations in ``data``; returns the report dict.

    ``databases``: where ASEM's memories are built (SQLite files by default)."""
    started = time.perf_counter()
    runner.check_systems(systems, SYSTEMS)
    convs = locomo.load(data, conversations)
    cases = [locomo.as_case(c, categories) for c in convs]
    store = databases(Path(".")).kind
    # Results of another store are kept apart (they should match; that is what a run checks).
    key = (KS, sorted(categories)) if store == "sqlite" else (KS, sorted(categories), store)
    records, reused = runner.run_cases(cases, systems=systems, embedder=embedder, scorer=score,
                                       depth=max(KS), key=key, cache=cache,
                                       progress=progress, databases=databases)
    report = summarise(records, cases, categories)
    report["cached_results"] = reused
    report["store"] = store
    report["run_seconds"] = round(time.perf_counter() - started, 1)
    return report


def score(ranked: Sequence[str], query: Query, case: Case) -> dict[str, Any]:
    """Turn- and session-level recall at ``KS``, and the question's kinds
    (``asem.eval.kinds``)."""
    return kinds.annotate(
        {"turn": [recall_at_k(ranked, query.evidence, k) for k in KS],
         "session": [session_recall_at_k(ranked, query.evidence, case.session_of, k)
                     for k in KS]}, ranked, query, case)


def summarise(records: dict[str, list[dict[str, Any]]], cases: Sequence[Case],
              categories: Sequence[int]) -> dict[str, Any]:
    """The report: recall overall and per category at both granularities, and costs."""
    names = [locomo.CATEGORIES[c] for c in categories]
    report: dict[str, Any] = {
        "benchmark": "locomo",
        "granularity": "turn",
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in categories},
        "conversations": [c.id for c in cases],
        "turns": sum(len(c.turns) for c in cases),
        "questions": ({n: sum(q.category == n for c in cases for q in c.queries)
                       for n in names} | {"total": sum(len(c.queries) for c in cases)}),
        "system_descriptions": {s: baselines.DESCRIPTIONS[s] for s in records},
    }
    for granularity, suffix in (("turn", ""), ("session", "_session")):
        report["systems" + suffix] = {
            s: _recall(runner.rows_of(rs), granularity) for s, rs in records.items()}
        report["per_category" + suffix] = {
            s: {n: _recall(rows, granularity) for n in names
                if (rows := runner.rows_of(rs, n))}
            for s, rs in records.items()}
    report["kinds"] = {"rules": kinds.RULES,
                       "questions": kinds.counts([q for c in cases for q in c.queries], cases)}
    report["per_kind"] = kinds.per_kind(records, lambda rows: _recall(rows, "turn"))
    report["cost"] = {s: runner.cost(rs) for s, rs in records.items()}
    report["machine"] = {"python": platform.python_version(), "processor": platform.machine()}
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return report


def _recall(rows: list[dict[str, Any]], granularity: str) -> dict[str, float]:
    return {k.replace(granularity, "recall"): v
            for k, v in runner.averages(rows, granularity, KS).items()}
