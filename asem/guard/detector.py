"""The injection detector: logistic classifiers over ``asem.guard.features``.

Two heads ship in one weights file (``assets/injection.npz``, made by
``python -m asem.guard.train``): one reads the content embedding and the shape features, the
other the text alone (character n-grams and shape features). A note embedded by the embedder
the weights were trained with (the default MiniLM) is judged by both, their log-odds
averaged (the two read different things: meaning, and the marks of a text in any script);
a note from any other embedder (the fakes of the tests among them) by the text head alone.
A verdict costs a dot product and a pass over the text, a few hundred microseconds, on top
of the embedding the write path computes anyway.

Scores are calibrated so that ``FLAG_BAR`` (0.5) is the bar whatever head judged: the raw
log-odds are moved by the head's threshold, chosen in training (``asem.guard.train``). A note
scored at or above it is *flagged*; whether a flagged note is quarantined depends on its
source (``GuardConfig.quarantine_sources``), and a trusted-only search leaves out every
flagged note whatever its source.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.guard.features import NGRAM_BUCKETS, SHAPE_DIM, ngram_vector, shape_vector

WEIGHTS = "injection.npz"
FLAG_BAR = 0.5
"""A calibrated score at or above this is flagged as carrying instructions aimed at the
agent (``Verdict.score``; trusted-only searches leave such notes out)."""


@dataclass(frozen=True)
class Verdict:
    """What the detector makes of one text."""

    score: float
    """Calibrated score in [0, 1] that the text carries instructions aimed at the agent:
    ``FLAG_BAR`` (0.5) is the bar chosen in training."""
    quarantined: bool
    """``score`` at or above the threshold (``FLAG_BAR`` unless configured), and the text
    comes from a source whose flagged texts are held back."""


@dataclass(frozen=True)
class Head:
    """One logistic model: standardised features → probability."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float

    def score(self, x: np.ndarray) -> float:
        """The probability the head gives ``x`` (before calibration)."""
        return sigmoid(self.logit(x))

    def logit(self, x: np.ndarray) -> float:
        return float(((x - self.mean) / self.scale) @ self.weights) + self.bias


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


class Detector:
    """Scores texts; ``embedder_id`` names the embedder the embedding head was trained on."""

    def __init__(self, text_head: Head, embedding_head: Head | None = None,
                 embedder_id: str = "", threshold: float | None = None,
                 sources: Collection[str] | None = None,
                 joint_threshold: float | None = None) -> None:
        self.text_head = text_head
        self.embedding_head = embedding_head
        self.embedder_id = embedder_id
        self.joint_threshold = joint_threshold
        """The bar, as a probability, of the two heads' averaged log-odds (None: the
        embedding head judges alone where it applies, as weights from before the joint
        verdict do)."""
        self.threshold = threshold
        """The calibrated score at or above which a text is quarantined (None:
        ``FLAG_BAR``; ``GuardConfig.threshold``)."""
        self.sources = None if sources is None else frozenset(sources)
        """The trust levels whose flagged texts are quarantined (None: every level;
        ``GuardConfig.quarantine_sources``)."""

    def judge(self, text: str, intent: np.ndarray | None = None,
              embedder_id: str = "", trust: str | None = None) -> Verdict:
        """The verdict on ``text``; ``intent`` (its z embedding) is read when it comes from
        the embedder the embedding head was trained with. A text from a source of ``trust``
        outside ``sources`` gets its score but is not quarantined."""
        score = self.score(text, intent, embedder_id)
        threshold = FLAG_BAR if self.threshold is None else self.threshold
        held = self.sources is None or trust is None or trust in self.sources
        return Verdict(score, held and score >= threshold)

    def score(self, text: str, intent: np.ndarray | None = None,
              embedder_id: str = "") -> float:
        """The calibrated score of ``text`` (``Verdict.score``)."""
        shape = shape_vector(text)
        text_logit = self.text_head.logit(np.concatenate([ngram_vector(text), shape]))
        text_score = sigmoid(text_logit - logit(self.text_head.threshold))
        head = self.embedding_head
        if (head is None or intent is None or embedder_id != self.embedder_id
                or len(intent) + len(shape) != len(head.weights)):
            return text_score
        meaning = head.logit(np.concatenate([np.asarray(intent, dtype=np.float32), shape]))
        if self.joint_threshold is None:
            return sigmoid(meaning - logit(head.threshold))
        return sigmoid((meaning + text_logit) / 2 - logit(self.joint_threshold))

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {"embedder_id": np.array(self.embedder_id)}
        if self.joint_threshold is not None:
            arrays["joint_threshold"] = np.array(self.joint_threshold)
        for name, head in (("text", self.text_head), ("embedding", self.embedding_head)):
            if head is not None:
                arrays |= {f"{name}_weights": head.weights, f"{name}_mean": head.mean,
                           f"{name}_scale": head.scale,
                           f"{name}_bias": np.array(head.bias),
                           f"{name}_threshold": np.array(head.threshold)}
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def load_detector(path: str | Path | None = None, threshold: float | None = None,
                  sources: Collection[str] | None = None) -> Detector:
    """The detector in ``path``, or the one shipped with the package."""
    try:
        if path is None:
            with resources.files("asem.guard").joinpath("assets", WEIGHTS).open("rb") as f:
                data = dict(np.load(f))
        else:
            data = dict(np.load(path))
    except (OSError, ValueError) as e:
        raise InvalidInputError(f"cannot read detector weights {path}: {e}; retrain them "
                                "with `python -m asem.guard.train`") from e

    def head(name: str) -> Head | None:
        if f"{name}_weights" not in data:
            return None
        return Head(data[f"{name}_weights"].astype(np.float32), float(data[f"{name}_bias"]),
                    data[f"{name}_mean"].astype(np.float32),
                    data[f"{name}_scale"].astype(np.float32),
                    float(data[f"{name}_threshold"]))

    text_head = head("text")
    if text_head is None:
        raise InvalidInputError(f"detector weights {path} hold no text head; retrain them")
    if len(text_head.weights) != NGRAM_BUCKETS + SHAPE_DIM:
        raise InvalidInputError(f"detector weights {path} read {len(text_head.weights)} text "
                                f"features, this version makes {NGRAM_BUCKETS + SHAPE_DIM}; "
                                "retrain them with `python -m asem.guard.train`")
    joint = data.get("joint_threshold")
    return Detector(text_head, head("embedding"), str(data.get("embedder_id", "")), threshold,
                    sources, None if joint is None else float(joint))
