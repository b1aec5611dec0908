"""The named local embedders side by side: size on disk, speed, and dense recall on LoCoMo.

    python benchmarks/embedders.py --data ../shared/data [--json bench-out/embedders.json]
                                   [--embedders minilm,e5-small] [--conversations conv-26]
                                   [--no-timing]

For each embedder (``asem.providers.registry``):
  size_mb        the files of the package that ships its weights;
  single_ms      median latency of embedding one short query (what ``search`` pays);
  batch_per_s    raw LoCoMo turns embedded per second in one batched call (``ingest``'s
                 ceiling);
  dense R@k      turn recall@1/5/10/20 of cosine similarity over raw turns (LoCoMo
                 categories 1–4, the "dense" baseline of ``asem bench locomo``): the
                 embedder alone, without ASEM's notes, lexical side or ranking.
Timings need an otherwise idle machine; recall does not (``--no-timing`` skips the timings).
Recall of the whole memory with each embedder: ``asem --embedder NAME bench locomo``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

from asem.cli.output import save_report
from asem.eval import locomo
from asem.eval.dataset import raw_document
from asem.eval.metrics import mean, recall_at_k
from asem.eval.systems import DenseSystem
from asem.providers import Embedder
from asem.providers.registry import EMBEDDERS, resolve_embedder

KS = (1, 5, 10, 20)


def size_mb(package: str) -> float:
    """Megabytes of the installed package's files (the weights are most of them)."""
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return float("nan")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1)


def timings(embedder: Embedder, texts: list[str], repeats: int = 50) -> dict[str, float]:
    embedder.embed(["warm up the model"], kind="query")
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        embedder.embed([f"What did Caroline do with her friends last week? ({i})"],
                       kind="query")
        samples.append(time.perf_counter() - start)
    start = time.perf_counter()
    embedder.embed(texts)
    return {"single_ms": round(statistics.median(samples) * 1000, 2),
            "batch_per_s": round(len(texts) / (time.perf_counter() - start), 1)}


def dense_recall(embedder: Embedder, convs: list[locomo.Conversation]) -> dict[str, float]:
    system = DenseSystem(embedder)
    scores: dict[int, list[float]] = {k: [] for k in KS}
    for conv in convs:
        case = locomo.as_case(conv, (1, 2, 3, 4))
        system.index(conv.sample_id, case.turns)
        for query in case.queries:
            ranked = system.rank(query.question, max(KS))
            for k in KS:
                scores[k].append(recall_at_k(ranked, query.evidence, k))
    return {f"dense_R@{k}": round(mean(v), 4) for k, v in scores.items()} | {
        "questions": len(scores[KS[0]])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--conversations", help="comma-separated LoCoMo ids (default: all 10)")
    parser.add_argument("--no-timing", action="store_true", help="recall and size only")
    args = parser.parse_args()
    ids = args.conversations.split(",") if args.conversations else None
    convs = locomo.load(args.data / "locomo" / "locomo10.json", ids)
    figures: dict[str, dict[str, object]] = {}
    for name in args.embedders.split(","):
        info = EMBEDDERS[name]
        embedder = resolve_embedder(name)
        row: dict[str, object] = {"model": info.model, "package": info.package,
                                  "size_mb": size_mb(info.package)}
        if not args.no_timing:
            row |= timings(embedder, [raw_document(t) for t in convs[0].turns])
        row |= dense_recall(embedder, convs)
        figures[name] = row
        print(json.dumps({name: row}), file=sys.stderr)
    print(json.dumps(figures, indent=2))
    save_report(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
