"""Retraining the injection detector on the train split of ``asem.eval.poison_data``.

    python -m asem.guard.train [--out asem/guard/assets/injection.npz]

The embedding head reads [z, shape features], the text head [character n-grams, shape
features]. Both are L2-regularised logistic regressions fitted by gradient descent on
standardised features. Each head's threshold is chosen on scores the head gave to train
families it was *not* fitted on (grouped cross-validation by family), so it reflects new
wordings: the lowest threshold that quarantines at most ``MAX_FALSE_RATE`` of those benign
inputs. The held-out families are never read here.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from asem.eval.poison_data import Sample, samples, split
from asem.guard.detector import Detector, Head
from asem.guard.features import ngram_vector, shape_vector
from asem.providers.embedder import Embedder

L2 = 1e-2
EMBEDDING_L2 = 0.1
TEXT_L2 = 1.0
"""Chosen by grouped cross-validation on the train split (recall at 2 % false quarantines):
the embedding with the shape features beat it with the n-grams added (0.970 against 0.910
at this L2), and the n-gram head held up best strongly regularised (0.767)."""
STEPS = 600
LEARNING_RATE = 0.5
FOLDS = 5
MAX_FALSE_RATE = 0.01
DEFAULT_OUT = Path(__file__).parent / "assets" / "injection.npz"


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = STEPS) -> Head:
    """A logistic regression on standardised ``x`` (threshold 0.5 until calibrated)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-3
    xs = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = 0.0
    # Each class weighs the same, whatever its count.
    weight = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xs @ w + b)))
        g = (p - y) * weight
        w -= LEARNING_RATE * (xs.T @ g + l2 * w)
        b -= LEARNING_RATE * g.sum()
    return Head(w.astype(np.float32), float(b), mean.astype(np.float32),
                scale.astype(np.float32), 0.5)


def calibrated(x: np.ndarray, y: np.ndarray, families: Sequence[str], l2: float) -> Head:
    """``fit`` on everything, with its threshold from grouped cross-validation."""
    names = sorted(set(families))
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    folds = np.array([fold_of[f] for f in families])
    out_of_fold = np.zeros(len(y))
    for k in range(FOLDS):
        test = folds == k
        if test.any() and (~test).any():
            head = fit(x[~test], y[~test], l2)
            out_of_fold[test] = [head.score(row) for row in x[test]]
    benign = np.sort(out_of_fold[y == 0])
    allowed = int(MAX_FALSE_RATE * len(benign))
    threshold = float(benign[len(benign) - 1 - allowed]) + 1e-6 if len(benign) else 0.5
    head = fit(x, y, l2)
    return Head(head.weights, head.bias, head.mean, head.scale, min(max(threshold, 0.05), 0.95))


def text_features(items: Sequence[Sample]) -> np.ndarray:
    return np.stack([np.concatenate([ngram_vector(s.text), shape_vector(s.text)])
                     for s in items])


def train(items: Sequence[Sample], intents: np.ndarray | None, embedder_id: str) -> Detector:
    """Both heads on ``items`` (``intents``: their z embeddings, None for the text head
    alone)."""
    y = np.array([1.0 if s.poisoned else 0.0 for s in items])
    families = [s.family for s in items]
    text = text_features(items)
    embedding_head = None
    if intents is not None:
        shapes = np.stack([shape_vector(s.text) for s in items])
        embedding_head = calibrated(np.hstack([intents, shapes]), y, families, EMBEDDING_L2)
    return Detector(calibrated(text, y, families, TEXT_L2), embedding_head, embedder_id)


def content_intents(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """The z embedding of each text as the write path makes it (``construct.drafts`` with
    the extractive enricher), so the detector is trained on what it will read."""
    from asem.types import Scope
    from asem.write.construct import drafts
    from asem.write.enrich import ExtractiveEnricher
    from asem.write.inputs import WriteInput

    scope = Scope("train")
    made = drafts([WriteInput(t, scope) for t in texts], ExtractiveEnricher(), embedder,
                  with_terms=False)
    return np.stack([d.intent for d in made]).astype(np.float32)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retrain the injection detector on the "
                                     "train split of asem.eval.poison_data.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="weights file to write")
    args = parser.parse_args(argv)
    from asem.providers.onnx_minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    items = split(samples(), "train")
    detector = train(items, content_intents([s.text for s in items], embedder),
                     embedder.model_id)
    detector.save(args.out)
    print(f"trained on {len(items)} inputs; thresholds text "
          f"{detector.text_head.threshold:.3f}, embedding "
          f"{detector.embedding_head.threshold:.3f}; wrote {args.out}")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
