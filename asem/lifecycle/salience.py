"""Salience: how likely a note is to be the evidence a later question needs.

A learned prior of the keep score (``asem.lifecycle.keep``), beside ``information`` (rare
words). It is a logistic regression over the note's intent embedding z (the embedding of
its raw content the write path computes anyway) and a few features of the text's shape:

- its length (log of the words), the share of its words holding a digit (dates, counts,
  prices), the share of capitalised words after the first (names, places, titles),
- how much of it asks (``asem.read.answers.asking_share``: a question is seldom the fact),
- the share of first-person words (a person telling of themselves).

It was fitted on LongMemEval's labelled turns (``asem.lifecycle.train_salience``): the user
turns a question's answer is in (``has_answer``) against the other user turns of the same
evidence sessions, so it learns which turn of a personal conversation holds the fact, not
what tells a personal conversation from generic chat. The weights ship in
``assets/salience.npz`` with the embedder they were fitted on; a note embedded by another
embedder, or stored without z, gets no salience (the keep score then ranks it in the
middle of the tenant's notes for this term).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.guard.detector import Head
from asem.read.answers import asking_share

WEIGHTS = Path(__file__).parent / "assets" / "salience.npz"
SHAPE_NAMES = ("log_words", "digits", "capitalised", "asking", "first_person")
_WORD = re.compile(r"\w+", re.UNICODE)
_FIRST = frozenset("i me my mine myself we us our ours ourselves i'm i've i'd i'll".split())
"""First-person pronouns (a closed class)."""


def shape(text: str) -> np.ndarray:
    """The shape features of ``text`` (``SHAPE_NAMES``)."""
    words = _WORD.findall(text)
    count = max(len(words), 1)
    digits = sum(any(c.isdigit() for c in w) for w in words)
    capitals = sum(w[:1].isupper() for w in words[1:])
    first = sum(w.lower() in _FIRST for w in words)
    return np.array([math.log1p(len(words)), digits / count,
                     capitals / max(len(words) - 1, 1), asking_share(text), first / count],
                    dtype=np.float32)


class Salience:
    """The salience model: ``probability`` of a text with its z embedding."""

    def __init__(self, head: Head, embedder_id: str, auc: float | None = None) -> None:
        self.head = head
        self.embedder_id = embedder_id
        self.auc = auc
        """The area under the ROC curve on held-out questions when it was trained."""

    def reads(self, embedder_id: str, dimension: int) -> bool:
        """Whether vectors of this embedder are what it was fitted on."""
        return (embedder_id == self.embedder_id
                and dimension + len(SHAPE_NAMES) == len(self.head.weights))

    def logits(self, texts: Sequence[str], intents: np.ndarray) -> np.ndarray:
        """The log-odds of each text being evidence (``intents``: one z row per text)."""
        if not len(texts):
            return np.zeros(0)
        return self.scores(np.hstack([np.asarray(intents, dtype=np.float32),
                                      np.stack([shape(t) for t in texts])]))

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The log-odds of rows of features ([z, shape])."""
        return ((x - self.head.mean) / self.head.scale) @ self.head.weights + self.head.bias

    def of_notes(self, texts: Sequence[str], intents: Sequence[np.ndarray | None],
                 embedder_id: str) -> np.ndarray:
        """The log-odds of each note, NaN where it has no z or one from another embedder."""
        found = np.full(len(texts), np.nan)
        rows = [i for i, z in enumerate(intents)
                if z is not None and self.reads(embedder_id, len(z))]
        if rows:
            found[rows] = self.logits([texts[i] for i in rows],
                                      np.stack([intents[i] for i in rows]))  # type: ignore[misc]
        return found

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, weights=self.head.weights, bias=np.array(self.head.bias),
                            mean=self.head.mean, scale=self.head.scale,
                            embedder_id=np.array(self.embedder_id),
                            auc=np.array(np.nan if self.auc is None else self.auc),
                            shape_names=np.array(SHAPE_NAMES))


@lru_cache(maxsize=4)
def load_salience(path: str | Path | None = None) -> Salience:
    """The salience model in ``path``, or the one shipped with the package."""
    file = Path(path) if path is not None else WEIGHTS
    try:
        with np.load(file) as data:
            head = Head(data["weights"], float(data["bias"]), data["mean"], data["scale"], 0.5)
            auc = float(data["auc"])
            return Salience(head, str(data["embedder_id"]), None if math.isnan(auc) else auc)
    except (OSError, KeyError, ValueError) as e:
        raise InvalidInputError(f"cannot read the salience weights {file}: {e}; rebuild them with "
                          "'python -m asem.lifecycle.train_salience'") from e
