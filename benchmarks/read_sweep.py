"""Re-rank one benchmark sample under several read settings, ingesting it only once.

Read-path settings (ReadConfig) do not change what is stored, so each scope is ingested once
with the `asem` recipe into a SQLite file under --work and kept; every setting of --grid then
searches those files. Figures match `asem bench` for the same sample and settings (the same
scorer and depth); this script only makes a sweep over settings fast enough to run.

    .venv/bin/python benchmarks/read_sweep.py longmemeval \
        --data ../shared/data/longmemeval/longmemeval_s_cleaned_498.json.gz --stride 8 \
        --grid '{"min_similarity": [0.3, 0.1], "k_candidates": [20, 50]}'
    .venv/bin/python benchmarks/read_sweep.py locomo --data ../shared/data/locomo/locomo10.json \
        --conversations conv-26,conv-30,conv-41 --grid '{"bridge_hops": [false, true]}'
    .venv/bin/python benchmarks/read_sweep.py multihop \
        --data ../shared/data/multihop/musique_train100_hipporag.json \
        --grid '{"bridge_hops": [false, true], "bridge_seeds": [2, 3, 5]}'
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from asem.config import MemoryConfig, ReadConfig
from asem.eval import (
    baselines,
    bench_locomo,
    bench_longmemeval,
    bench_multihop,
    locomo,
    longmemeval,
    multihop,
)
from asem.eval.dataset import Case
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.metrics import mean
from asem.eval.systems import AsemSystem
from asem.manager.registry import MANAGERS
from asem.memory import Memory
from asem.providers.registry import DEFAULT_EMBEDDER, EMBEDDERS, resolve_embedder

Scorer = Callable[[Sequence[str], Any, Case], dict[str, Any]]


Shown = list[tuple[str, int, int]]
"""(metric, k, index of k in the benchmark's ks) to print; LoCoMo's "turn" is turn recall."""


def load(args: argparse.Namespace) -> tuple[list[Case], Scorer, int, Shown]:
    """The cases, the benchmark's scorer and depth, and the figures to print."""
    if args.benchmark == "longmemeval":
        cases = longmemeval.load(args.data, stride=args.stride, offset=args.offset).cases
        if args.only:
            types = sorted({q.category for c in cases for q in c.queries})
            cases = [c for c in cases if any(q.category == args.only for q in c.queries)]
            if not cases:
                raise SystemExit(f"--only: no question of type {args.only!r} here; "
                                 f"types: {', '.join(types)}")
        return cases, bench_longmemeval.score, bench_longmemeval.DEPTH, [
            ("session:recall_all", 5, 1), ("session:recall_all", 10, 2),
            ("turn:recall_all", 5, 1), ("turn:recall_all", 10, 2)]
    if args.benchmark == "locomo":
        ids = args.conversations.split(",") if args.conversations else None
        cases = [locomo.as_case(c, (1, 2, 3, 4)) for c in locomo.load(args.data, ids)]
        return cases, bench_locomo.score, max(bench_locomo.KS), [("turn", 5, 1),
                                                                 ("turn", 10, 2)]
    case = multihop.load(args.data)
    return [case], bench_multihop.score, max(bench_multihop.KS), [
        ("passage:recall_all", 5, 1), ("passage:recall_all", 10, 2),
        ("passage:recall_all", 20, 3)]


def ingest(cases: Sequence[Case], work: Path, embedder: CachedEmbedder) -> None:
    recipe = baselines.RECIPES["asem"]
    for number, case in enumerate(cases, start=1):
        db = work / f"{case.id}.db"
        if db.exists():
            continue
        partial = work / f"{case.id}.partial.db"  # renamed when complete: a killed run redoes it
        partial.unlink(missing_ok=True)
        system = AsemSystem(partial, embedder, recipe.config,
                            enricher=baselines.ENRICHERS[recipe.enricher](),
                            manager=MANAGERS[recipe.manager](recipe.config))
        system.index(case.id, case.turns)
        system.memory.close()
        partial.rename(db)
        print(f"ingested {case.id} ({number}/{len(cases)})", flush=True)


def rows(cases: Sequence[Case], work: Path, embedder: CachedEmbedder, read: ReadConfig,
         scorer: Scorer, depth: int) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for case in cases:
        memory = Memory(work / f"{case.id}.db", embedder=embedder,
                        config=MemoryConfig(read=read))
        system = AsemSystem(None, embedder, memory=memory)
        system._user = case.id
        found += [(q.category, scorer(system.rank(q.question, depth, q.asked_at), q, case))
                  for q in case.queries]
        memory.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=["longmemeval", "locomo", "multihop"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--stride", type=int, default=1, help="LongMemEval: every K-th question")
    parser.add_argument("--offset", type=int, default=0, help="LongMemEval: from the I-th")
    parser.add_argument("--conversations", help="LoCoMo: comma-separated sample ids")
    parser.add_argument("--grid", default="{}",
                        help='JSON: ReadConfig field → values, e.g. {"k_candidates": [20, 50]}')
    parser.add_argument("--category", help="also print the figures of this category alone "
                        "('each': of every category)")
    parser.add_argument("--kinds", help="also print the figures of these question kinds "
                        "(asem.eval.kinds, comma-separated: date,broad,name)")
    parser.add_argument("--only", help="LongMemEval: keep only questions of this type")
    parser.add_argument("--work", type=Path, default=Path("bench-out/sweep"),
                        help="where the ingested scopes are kept")
    parser.add_argument("--embeddings", type=Path, default=Path("bench-out/embeddings.sqlite"),
                        help="embedding cache (the one `asem bench ... --json bench-out/X` uses)")
    parser.add_argument("--embedder", choices=list(EMBEDDERS), default=DEFAULT_EMBEDDER,
                        help="a named local embedder (docs/embedders.md)")
    args = parser.parse_args()
    cases, scorer, depth, shown = load(args)
    name = f"{args.benchmark}-{args.data.stem}-s{args.stride}-o{args.offset}"
    if args.only:
        name += f"-{args.only}"
    if args.embedder != DEFAULT_EMBEDDER:  # stored vectors belong to one embedder
        name += f"-{args.embedder}"
    work = args.work / name
    work.mkdir(parents=True, exist_ok=True)
    embedder = CachedEmbedder(resolve_embedder(args.embedder), args.embeddings)
    ingest(cases, work, embedder)
    grid = json.loads(args.grid)
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values, strict=True))
        found = rows(cases, work, embedder, replace(ReadConfig(), **setting), scorer, depth)
        parts = []
        named = (list(dict.fromkeys(r[0] for r in found)) if args.category == "each"
                 else [args.category])
        groups = [("all", found), *((c, [r for r in found if r[0] == c]) for c in named)]
        groups += [(f"kind {kind}", [r for r in found if kind in r[1].get("kinds", ())])
                   for kind in (args.kinds.split(",") if args.kinds else [])]
        for label, chosen in groups:
            if label and chosen:
                figures = ", ".join(f"{metric}@{k} {mean([r[metric][i] for _, r in chosen]):.3f}"
                                    for metric, k, i in shown)
                parts.append(f"{label} (n={len(chosen)}): {figures}")
        above = [r["question_above_answer"] for _, r in found if "question_above_answer" in r]
        if above:
            parts.append(f"question above answer {sum(above) / len(above):.3f}")
        print(f"{json.dumps(setting)}  " + "; ".join(parts), flush=True)
    embedder.close()


if __name__ == "__main__":
    main()
