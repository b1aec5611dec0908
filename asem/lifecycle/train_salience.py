"""Retraining the salience model (``asem.lifecycle.salience``) on LongMemEval.

    python -m asem.lifecycle.train_salience \
        --data ../shared/data/longmemeval/longmemeval_oracle.json \
        [--out asem/lifecycle/assets/salience.npz] [--embeddings FILE]

Each question's evidence sessions are read once (a session two questions share, once): the
user turns marked ``has_answer`` are positives, the other user turns of the same sessions
negatives. A share of the questions (``--held-out``, seeded) is held out with every session
they use; the L2 strength is chosen by cross-validation grouped by question on the rest,
the model fitted on the rest, and its area under the ROC curve on the held-out turns is
printed and stored with the weights. The data is read from its path, never copied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asem.guard.train import content_intents, fit
from asem.lifecycle.salience import WEIGHTS, Salience, shape
from asem.providers.embedder import Embedder

L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
HELD_OUT = 0.2


@dataclass(frozen=True)
class Turn:
    text: str
    evidence: bool
    question: str
    """The question whose sessions it came from (the group a split keeps together)."""


def turns(path: str | Path) -> list[Turn]:
    """The user turns of every question's evidence sessions in a LongMemEval file, each
    session once (under the first question that uses it), sessions without evidence left
    out."""
    with open(path, encoding="utf-8") as f:
        questions = json.load(f)
    seen: set[str] = set()
    found: list[Turn] = []
    for q in questions:
        for sid, session in zip(q["haystack_session_ids"], q["haystack_sessions"],
                                strict=True):
            user = [t for t in session if t.get("role") == "user" and t.get("content")]
            if sid in seen or not any(t.get("has_answer") for t in user):
                continue
            seen.add(sid)
            found += [Turn(t["content"], bool(t.get("has_answer")), q["question_id"])
                      for t in user]
    return found


def held_out(question: str, share: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}/{question}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The area under the ROC curve: the chance a positive outscores a negative (ties half)."""
    pos, neg = int((labels == 1).sum()), int((labels == 0).sum())
    if not pos or not neg:
        return float("nan")
    values, inverse = np.unique(scores, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(values))
    mean_rank = np.cumsum(counts) - (counts - 1) / 2  # ties share their mean rank
    ranks = mean_rank[inverse]
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def features(items: Sequence[Turn], embedder: Embedder) -> np.ndarray:
    """[z, shape] of each turn, z as the write path makes it."""
    intents = content_intents([t.text for t in items], embedder)
    return np.hstack([intents, np.stack([shape(t.text) for t in items])]).astype(np.float64)


def choose_l2(x: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> tuple[float, float]:
    """(the L2 strength of ``L2_GRID`` with the best AUC out of fold, that AUC)."""
    names = sorted(set(groups))
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    folds = np.array([fold_of[g] for g in groups])
    best = (L2_GRID[0], -1.0)
    for l2 in L2_GRID:
        scores = np.zeros(len(y))
        for k in range(FOLDS):
            test = folds == k
            if test.any() and (~test).any():
                head = fit(x[~test], y[~test], l2)
                scores[test] = Salience(head, "").scores(x[test])
        found = auc(scores, y)
        if found > best[1]:
            best = (l2, found)
    return best


def train(items: Sequence[Turn], embedder: Embedder, share: float = HELD_OUT,
          seed: int = 0) -> tuple[Salience, dict[str, float]]:
    """The model fitted on the questions not held out, and what was measured."""
    x = features(items, embedder)
    y = np.array([1.0 if t.evidence else 0.0 for t in items])
    test = np.array([held_out(t.question, share, seed) for t in items])
    groups = [t.question for t, out in zip(items, test, strict=True) if not out]
    l2, cv = choose_l2(x[~test], y[~test], groups)
    head = fit(x[~test], y[~test], l2)
    model = Salience(head, embedder.model_id)
    found = auc(model.scores(x[test]), y[test]) if test.any() else float("nan")
    model.auc = None if np.isnan(found) else round(found, 4)
    return model, {"turns": len(items), "evidence": int(y.sum()), "held_out": int(test.sum()),
                   "l2": l2, "cv_auc": round(cv, 4), "held_out_auc": round(found, 4)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retrain the salience model of the keep "
                                     "score on a LongMemEval file's labelled turns.")
    parser.add_argument("--data", type=Path, required=True,
                        help="a LongMemEval file (longmemeval_oracle.json)")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="weights file to write")
    parser.add_argument("--held-out", type=float, default=HELD_OUT,
                        help="share of questions held out to measure the model on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings", type=Path, default=None,
                        help="cache embeddings in this SQLite file")
    args = parser.parse_args(argv)
    from asem.eval.embed_cache import CachedEmbedder
    from asem.providers.onnx_minilm import MiniLMEmbedder

    embedder = CachedEmbedder(MiniLMEmbedder(), args.embeddings)
    try:
        model, measured = train(turns(args.data), embedder, args.held_out, args.seed)
    finally:
        embedder.close()
    model.save(args.out)
    print(json.dumps(measured | {"out": str(args.out)}))


if __name__ == "__main__":
    main()
