"""The injection detector: a logistic classifier over ``asem.guard.features``.

Two heads ship in one weights file (``assets/injection.npz``, made by
``python -m asem.guard.train``): one reads the content embedding and the shape features, for
notes embedded by the embedder it was trained with (the default MiniLM); the other reads the
text alone (character n-grams and shape features) and serves any other embedder (the fakes
of the tests among them). A verdict costs a dot product and a pass over the text: tens of
microseconds (a few hundred for the n-gram head), on top of the embedding the write path
computes anyway.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.guard.features import ngram_vector, shape_vector

WEIGHTS = "injection.npz"


@dataclass(frozen=True)
class Verdict:
    """What the detector makes of one text."""

    score: float
    """Probability in [0, 1] that the text carries instructions aimed at the agent."""
    quarantined: bool
    """``score`` at or above the head's threshold."""


@dataclass(frozen=True)
class Head:
    """One logistic model: standardised features → probability."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float

    def score(self, x: np.ndarray) -> float:
        z = float(((x - self.mean) / self.scale) @ self.weights) + self.bias
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


class Detector:
    """Scores texts; ``embedder_id`` names the embedder the embedding head was trained on."""

    def __init__(self, text_head: Head, embedding_head: Head | None = None,
                 embedder_id: str = "", threshold: float | None = None,
                 sources: Collection[str] | None = None) -> None:
        self.text_head = text_head
        self.embedding_head = embedding_head
        self.embedder_id = embedder_id
        self.threshold = threshold
        """Overrides both heads' thresholds when set (``GuardConfig.threshold``)."""
        self.sources = None if sources is None else frozenset(sources)
        """The trust levels whose flagged texts are quarantined (None: every level;
        ``GuardConfig.quarantine_sources``)."""

    def judge(self, text: str, intent: np.ndarray | None = None,
              embedder_id: str = "", trust: str | None = None) -> Verdict:
        """The verdict on ``text``; ``intent`` (its z embedding) is read when it comes from
        the embedder the embedding head was trained with. A text from a source of ``trust``
        outside ``sources`` gets its score but is not quarantined."""
        shape = shape_vector(text)
        head = self.embedding_head
        if (head is not None and intent is not None and embedder_id == self.embedder_id
                and len(intent) + len(shape) == len(head.weights)):
            x = np.concatenate([np.asarray(intent, dtype=np.float32), shape])
        else:
            head, x = self.text_head, np.concatenate([ngram_vector(text), shape])
        score = head.score(x)
        threshold = head.threshold if self.threshold is None else self.threshold
        held = self.sources is None or trust is None or trust in self.sources
        return Verdict(score, held and score >= threshold)

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {"embedder_id": np.array(self.embedder_id)}
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
    return Detector(text_head, head("embedding"), str(data.get("embedder_id", "")), threshold,
                    sources)
