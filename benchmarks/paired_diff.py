"""How far apart two systems of one benchmark run are, question by question.

Reads the result cache that `asem bench locomo|longmemeval|multihop --json OUT` keeps next to
OUT (OUT with ``.cache.jsonl``), pairs the two systems' rows question by question, and prints
the mean difference of a metric with a paired bootstrap 95% interval (questions resampled
with replacement, fixed seed), plus how many questions each system wins.

    python benchmarks/paired_diff.py bench-out/locomo-mgr.cache.jsonl asem asem-rule
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def rows(cache: Path, system: str) -> dict[str, list[dict]]:
    """The newest cached result of ``system`` per conversation (case): its question rows."""
    found: dict[str, list[dict]] = {}
    for line in cache.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("system") == system:
            found[entry["conversation"]] = entry["result"]["questions"]
    return found


def paired(a: dict[str, list[dict]], b: dict[str, list[dict]], metric: str,
           index: int) -> np.ndarray:
    """Per-question differences a − b over the cases both systems answered."""
    diffs = []
    for case in sorted(set(a) & set(b)):
        if len(a[case]) != len(b[case]):
            raise SystemExit(f"{case}: the systems answered different questions")
        diffs += [ra[metric][index] - rb[metric][index]
                  for ra, rb in zip(a[case], b[case], strict=True)]
    return np.array(diffs, dtype=float)


def bootstrap(diffs: np.ndarray, samples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = rng.choice(diffs, size=(samples, len(diffs)), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path, help="a benchmark's .cache.jsonl")
    parser.add_argument("system_a")
    parser.add_argument("system_b")
    parser.add_argument("--metric", default="turn", help="row field (turn, session, ...)")
    parser.add_argument("--k-index", type=int, default=1,
                        help="position in the row's list of ks (LoCoMo: 0→@1, 1→@5, 2→@10)")
    args = parser.parse_args()
    if not args.cache.is_file():
        raise SystemExit(f"no cache file at {args.cache}")
    a, b = rows(args.cache, args.system_a), rows(args.cache, args.system_b)
    for name, found in ((args.system_a, a), (args.system_b, b)):
        if not found:
            raise SystemExit(f"{args.cache} holds no results of {name}")
    diffs = paired(a, b, args.metric, args.k_index)
    low, high = bootstrap(diffs)
    print(json.dumps({"a": args.system_a, "b": args.system_b, "metric": args.metric,
                      "k_index": args.k_index, "questions": len(diffs),
                      "mean_difference": round(float(diffs.mean()), 4),
                      "ci95": [round(low, 4), round(high, 4)],
                      "a_better": int((diffs > 0).sum()), "b_better": int((diffs < 0).sum()),
                      "ties": int((diffs == 0).sum())}, indent=1))


if __name__ == "__main__":
    main()
