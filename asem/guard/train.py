"""Retraining the injection detector on the train split of ``asem.eval.poison_data``.

    python -m asem.guard.train [--out asem/guard/assets/injection.npz]

The embedding head reads [z, shape features], the text head [character n-grams, shape
features]. Both are L2-regularised logistic regressions fitted by gradient descent on
standardised features; a note the embedding head can read is judged by the mean of both
heads' log-odds. Each threshold (text head alone; the joint verdict) is chosen on scores
given to train families the heads were *not* fitted on (grouped cross-validation by
family), so it reflects new wordings: the lowest that flags at most ``MAX_FALSE_RATE`` of
those benign inputs. The held-out families are never read here.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from asem.eval.poison_data import Sample, samples, split
from asem.guard.detector import Detector, Head, sigmoid
from asem.guard.features import ngram_vector, shape_vector
from asem.providers.embedder import Embedder

L2 = 1e-2
EMBEDDING_L2 = 0.03
TEXT_L2 = 1.0
"""Chosen by grouped cross-validation on the train split (recall at 1 % false flags, 434
inputs of 72 families): the embedding head alone 0.78 (0.74 without the "names the user"
and "universal" shape features), the n-gram head alone 0.55, their mean log-odds 0.85;
the n-grams appended to the embedding head's input did worse (0.71). On the later train
split (614 inputs of 103 families; recall at the 2 % bar, mean of three random family
folds), the six structural shape features (conditional, substitution, dialogue nouns,
authority, secrecy) raised the joint verdict from 0.74 to 0.79 (text head 0.56 to 0.65,
embedding head 0.67 to 0.75)."""
STEPS = 600
LEARNING_RATE = 0.5
FOLDS = 5
MAX_FALSE_RATE = 0.02
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


def out_of_fold(x: np.ndarray, y: np.ndarray, families: Sequence[str], l2: float) -> np.ndarray:
    """The log-odds each input gets from a head fitted without its family's fold."""
    names = sorted(set(families))
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    folds = np.array([fold_of[f] for f in families])
    logits = np.zeros(len(y))
    for k in range(FOLDS):
        test = folds == k
        if test.any() and (~test).any():
            head = fit(x[~test], y[~test], l2)
            logits[test] = [head.logit(row) for row in x[test]]
    return logits


def bar(logits: np.ndarray, y: np.ndarray) -> float:
    """The lowest threshold (a probability) that flags at most ``MAX_FALSE_RATE`` of the
    benign inputs' out-of-fold log-odds."""
    benign = np.sort(logits[y == 0])
    if not len(benign):
        return 0.5
    allowed = int(MAX_FALSE_RATE * len(benign))
    return min(max(sigmoid(float(benign[len(benign) - 1 - allowed]) + 1e-4), 0.02), 0.98)


def calibrated(x: np.ndarray, y: np.ndarray, families: Sequence[str],
               l2: float) -> tuple[Head, np.ndarray]:
    """``fit`` on everything, with its threshold from grouped cross-validation, and the
    out-of-fold log-odds it was chosen on."""
    logits = out_of_fold(x, y, families, l2)
    head = fit(x, y, l2)
    return Head(head.weights, head.bias, head.mean, head.scale, bar(logits, y)), logits


def text_features(items: Sequence[Sample]) -> np.ndarray:
    return np.stack([np.concatenate([ngram_vector(s.text), shape_vector(s.text)])
                     for s in items])


def train(items: Sequence[Sample], intents: np.ndarray | None, embedder_id: str) -> Detector:
    """Both heads on ``items`` (``intents``: their z embeddings, None for the text head
    alone)."""
    y = np.array([1.0 if s.poisoned else 0.0 for s in items])
    families = [s.family for s in items]
    text_head, text_logits = calibrated(text_features(items), y, families, TEXT_L2)
    if intents is None:
        return Detector(text_head)
    shapes = np.stack([shape_vector(s.text) for s in items])
    embedding_head, logits = calibrated(np.hstack([intents, shapes]), y, families,
                                        EMBEDDING_L2)
    return Detector(text_head, embedding_head, embedder_id,
                    joint_threshold=bar((logits + text_logits) / 2, y))


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
          f"{detector.embedding_head.threshold:.3f}, joint "  # type: ignore[union-attr]
          f"{detector.joint_threshold:.3f}; wrote {args.out}")


if __name__ == "__main__":
    main()
