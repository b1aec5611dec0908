"""The dataset-neutral benchmark loop: every system indexes each case, then ranks turns for
each of its queries; a dataset's scorer turns a ranking into metrics.

Results are kept per (case, system) in a ``ResultCache``, so a killed run resumes. Each case
gets fresh systems in a temporary directory that is removed when the case is done, so stores
stay small and disk use stays flat however many cases there are.
"""

from __future__ import annotations

import hashlib
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asem.eval import baselines
from asem.eval.cache import ResultCache, code_digest, config_hash
from asem.eval.databases import DatabasesFor, SQLiteFiles
from asem.eval.dataset import Case, Query
from asem.eval.metrics import mean, percentile
from asem.eval.systems import RetrievalSystem
from asem.providers.embedder import Embedder

Scorer = Callable[[Sequence[str], Query, Case], dict[str, Any]]
"""(ranked turn ids, query, its case) → metric values for one question's row."""
Progress = Callable[[str, int, int], None]
"""(stage description, done, total)."""


@runtime_checkable
class _HasFootprint(Protocol):
    def footprint(self) -> dict[str, int]:
        ...


def check_systems(systems: Sequence[str], known: Sequence[str] = baselines.ALL) -> None:
    unknown = sorted(set(systems) - set(known))
    if unknown:
        raise ValueError(f"unknown systems {unknown}; choose from {', '.join(known)}")


def run_cases(cases: Sequence[Case], *, systems: Sequence[str], embedder: Embedder,
              scorer: Scorer, depth: int, key: Any, cache: ResultCache | None = None,
              progress: Progress | None = None,
              databases: DatabasesFor = SQLiteFiles,
              ) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Per system, one record per case (see ``evaluate``), and how many came from ``cache``.

    ``depth``: how many turns each system ranks per query. ``key``: JSON-able settings of
    the scorer (its ks, ...), so cached results are reused only under the same metric.
    ``databases``: where the memories are built (SQLite files in a temporary folder).
    """
    check_systems(systems)
    cache = cache or ResultCache(None)
    code = code_digest()
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    reused = 0
    for number, case in enumerate(cases):
        data_hash = hashlib.sha256(repr(case).encode()).hexdigest()
        keys = {name: config_hash(baselines.settings(name), embedder.model_id, key, depth,
                                  data_hash, code) for name in systems}
        found = {name: cache.get(case.id, name, keys[name]) for name in systems}
        reused += sum(record is not None for record in found.values())
        todo = [name for name, record in found.items() if record is None]
        if todo:
            with tempfile.TemporaryDirectory(prefix="asem-bench-") as tmp:
                builder = baselines.Builder(embedder, databases(Path(tmp)))
                try:
                    for name in todo:
                        if progress:
                            progress(f"{case.id}: {name}", number, len(cases))
                        found[name] = evaluate(builder.make(name), case, scorer, depth)
                        cache.put(case.id, name, keys[name], found[name])
                finally:
                    builder.close()
        for name in systems:
            records[name].append(found[name] or {})
        if progress:
            progress(f"{case.id}: done", number + 1, len(cases))
    return records, reused


def evaluate(system: RetrievalSystem, case: Case, scorer: Scorer, depth: int
             ) -> dict[str, Any]:
    """One system on one case: a row of metrics per query, and its costs."""
    system.index(case.id, case.turns)
    rows, seconds = [], []
    for query in case.queries:
        start = time.perf_counter()
        ranked = system.rank(query.question, depth, query.asked_at)
        seconds.append(time.perf_counter() - start)
        rows.append({"category": query.category, **scorer(ranked, query, case)})
    record: dict[str, Any] = {"questions": rows, "turns": case.turn_count,
                              "ingest_seconds": system.ingest_seconds,
                              "search_seconds": seconds}
    if isinstance(system, _HasFootprint):
        record["footprint"] = system.footprint()
    return record


def rows_of(records: list[dict[str, Any]], category: str | None = None
            ) -> list[dict[str, Any]]:
    """Every question's row in ``records`` (of one category, if given)."""
    return [q for r in records for q in r["questions"]
            if category is None or q["category"] == category]


def averages(rows: list[dict[str, Any]], metric: str, ks: Sequence[int]) -> dict[str, float]:
    """``{"metric@k": mean}`` over rows whose ``metric`` holds one value per k."""
    return {f"{metric}@{k}": round(mean([r[metric][i] for r in rows]), 4)
            for i, k in enumerate(ks)}


def cost(records: list[dict[str, Any]]) -> dict[str, float]:
    """Ingest speed and search latency; notes, links and disk size where there is a store.

    Turns are distinct turns (a long turn's chunks count once), so notes per turn shows
    what chunking costs.
    """
    turns = sum(r["turns"] for r in records)
    seconds = [s for r in records for s in r["search_seconds"]]
    summary: dict[str, float] = {
        "ingest_turns_per_s": round(turns / max(sum(r["ingest_seconds"] for r in records),
                                                1e-9), 1),
        "search_p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "search_p95_ms": round(percentile(seconds, 95) * 1000, 2),
    }
    prints = [r["footprint"] for r in records if "footprint" in r]
    if prints and len(prints) == len(records):
        notes = sum(p["notes"] for p in prints)
        summary["notes_per_turn"] = round(notes / max(turns, 1), 3)
        summary["links_per_note"] = round(sum(p["links"] for p in prints) / max(notes, 1), 2)
        summary["db_bytes"] = sum(p["db_bytes"] for p in prints)
        summary["db_bytes_per_turn"] = round(summary["db_bytes"] / max(turns, 1), 1)
    return summary


def level_tables(records: dict[str, list[dict[str, Any]]], levels: Sequence[str],
                 metrics: Sequence[str], ks: Sequence[int], categories: Sequence[str]
                 ) -> dict[str, dict[str, Any]]:
    """Per level (turn, session, passage...): every system's means of every metric at every
    k, overall and per category. Rows hold ``"<level>:<metric>"`` lists, one value per k."""
    def table(rows: list[dict[str, Any]], level: str) -> dict[str, float]:
        return {k.split(":", 1)[1]: v for metric in metrics
                for k, v in averages(rows, f"{level}:{metric}", ks).items()}

    return {level: {
        "systems": {s: table(rows_of(rs), level) for s, rs in records.items()},
        "per_category": {s: {c: table(rows, level) for c in categories
                             if (rows := rows_of(rs, c))}
                         for s, rs in records.items()},
    } for level in levels}


def report_fields(records: dict[str, list[dict[str, Any]]], queries: Sequence[Query],
                  levels: Sequence[str], metrics: Sequence[str], ks: Sequence[int]
                  ) -> dict[str, Any]:
    """The parts of a retrieval report every benchmark shares: question counts per
    category, the metric tables, system descriptions, costs and the machine."""
    categories = list(dict.fromkeys(q.category for q in queries))
    return {
        "questions": ({c: sum(q.category == c for q in queries) for c in categories}
                      | {"total": len(queries)}),
        "ks": list(ks),
        "levels": level_tables(records, levels, metrics, ks, categories),
        "system_descriptions": {s: baselines.DESCRIPTIONS[s] for s in records},
        "cost": {s: cost(rs) for s, rs in records.items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
