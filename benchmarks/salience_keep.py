"""What a content prior alone keeps: turns ranked by rare-word information, by salience, by both.

Each pool of turns is cut to a share by one ranking (the highest kept); reported per share:
the share of questions with at least one evidence turn kept ("any") and the share of
evidence turns kept ("turns"), and how often an evidence turn outranks another turn of its
pool ("auc"). Rankings: ``information`` (``asem.lifecycle.keep``), the
salience model alone (``asem.lifecycle.salience``), their sum information + w · salience
(both percentile ranks) for each ``--weights`` w, word count, and first-in-first-out.

- ``--longmemeval``: the user turns of the questions the salience model was *not* fitted on
  (``train_salience.held_out``, same share and seed), pooled in file order into tenants of
  at least ``--pool`` turns; this is where the keep score's salience weight is chosen.
- ``--locomo``: each LoCoMo conversation's turns, with the held-out questions of
  ``asem bench learn``'s split (seed 0); where salience is judged, never chosen.

    .venv/bin/python benchmarks/salience_keep.py \\
        --longmemeval ../shared/data/longmemeval/longmemeval_oracle.json \\
        --locomo ../shared/data/locomo/locomo10.json \\
        --embeddings bench-out/salience-embeddings.sqlite --json bench-out/salience-keep.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from asem.eval import locomo
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.learn import split_questions
from asem.guard.train import content_intents
from asem.lifecycle.keep import information, percentile_rank
from asem.lifecycle.salience import Salience, load_salience
from asem.lifecycle.train_salience import HELD_OUT, auc, held_out, turns
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.stores.base import NoteLife

SHARES = (0.5, 0.25)
EPOCH = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Pool:
    """One tenant's turns in the order said, and its questions' evidence (turn indexes)."""

    texts: list[str]
    questions: list[set[int]]


def rankings(pool: Pool, salience: np.ndarray, weights: Sequence[float]
             ) -> dict[str, np.ndarray]:
    """Name → keep score of each turn (higher kept)."""
    lives = [NoteLife(str(i), "u", "long_term", EPOCH, None, None, 0.5, 0, None, 0, t)
             for i, t in enumerate(pool.texts)]
    info = information(lives)
    ranked = percentile_rank(salience)
    found = {"information": info, "salience": ranked,
             "words": np.array([len(t.split()) for t in pool.texts], dtype=float),
             "fifo": np.arange(len(pool.texts), dtype=float)}
    return found | {f"information + {w:g} salience": info + w * ranked for w in weights}


def kept(scores: np.ndarray, share: float) -> set[int]:
    count = max(1, round(share * len(scores)))
    order = np.argsort(-scores, kind="stable")
    return set(order[:count].tolist())


def measure(pools: Sequence[Pool], model: Salience, intents: Callable[[list[str]], np.ndarray],
            weights: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Ranking → share → {"any", "turns"} over every pool's questions, and ranking → "auc":
    how often an evidence turn outranks another turn of its pool (percentile ranks pooled)."""
    tallies: dict[str, dict[str, list[float]]] = {}
    ranks: dict[str, list[np.ndarray]] = {}
    labels: list[np.ndarray] = []
    for pool in pools:
        salience = model.logits(pool.texts, intents(pool.texts))
        evidence = set().union(*pool.questions) if pool.questions else set()
        labels.append(np.array([i in evidence for i in range(len(pool.texts))], dtype=float))
        for name, scores in rankings(pool, salience, weights).items():
            ranks.setdefault(name, []).append(percentile_rank(scores))
            for share in SHARES:
                keep = kept(scores, share)
                row = tallies.setdefault(name, {}).setdefault(f"{share:g}", [0, 0, 0, 0])
                for evidence in pool.questions:
                    row[0] += bool(evidence & keep)
                    row[1] += 1
                    row[2] += len(evidence & keep)
                    row[3] += len(evidence)
    found: dict[str, dict[str, Any]] = {
        name: {share: {"any": round(r[0] / max(r[1], 1), 4),
                       "turns": round(r[2] / max(r[3], 1), 4), "questions": r[1]}
               for share, r in rows.items()} for name, rows in tallies.items()}
    for name, rows in ranks.items():
        found[name]["auc"] = round(auc(np.concatenate(rows), np.concatenate(labels)), 4)
    return found


def longmemeval_pools(path: Path, size: int) -> list[Pool]:
    """The held-out questions' user turns, pooled in file order into tenants."""
    pools, texts, questions = [], [], []
    by_question: dict[str, list[int]] = {}
    for turn in turns(path):
        if not held_out(turn.question, HELD_OUT, 0):
            continue
        if len(texts) >= size and turn.question not in by_question:
            pools.append(Pool(texts, [set(v) for v in questions]))
            texts, questions, by_question = [], [], {}
        if turn.question not in by_question:
            by_question[turn.question] = []
            questions.append(by_question[turn.question])
        if turn.evidence:
            by_question[turn.question].append(len(texts))
        texts.append(turn.text)
    if texts:
        pools.append(Pool(texts, [set(v) for v in questions]))
    return pools


def locomo_pools(path: Path) -> list[Pool]:
    pools = []
    for conv in locomo.load(path):
        row = {t.dia_id: i for i, t in enumerate(conv.turns)}
        questions = [{row[e] for e in q.evidence if e in row}
                     for q in split_questions(conv, seed=0).held_out]
        pools.append(Pool([t.text for t in conv.turns], questions))
    return pools


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--longmemeval", type=Path, help="longmemeval_oracle.json")
    parser.add_argument("--locomo", type=Path, help="locomo10.json")
    parser.add_argument("--pool", type=int, default=500, help="turns per LongMemEval tenant")
    parser.add_argument("--weights", default="0.25,0.5,1,2",
                        help="salience weights beside information 1.0")
    parser.add_argument("--embeddings", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    weights = [float(w) for w in args.weights.split(",")]
    embedder = CachedEmbedder(MiniLMEmbedder(), args.embeddings)
    model = load_salience()
    report: dict[str, object] = {"held_out_auc": model.auc}
    try:
        def intents(texts: list[str]) -> np.ndarray:
            return content_intents(texts, embedder)
        if args.longmemeval:
            pools = longmemeval_pools(args.longmemeval, args.pool)
            report["longmemeval"] = measure(pools, model, intents, weights)
            report["longmemeval_tenants"] = [len(p.texts) for p in pools]
        if args.locomo:
            report["locomo"] = measure(locomo_pools(args.locomo), model, intents, weights)
    finally:
        embedder.close()
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
