"""A check shared by the tests of the manager's readings of pairs (``asem.manager.known``,
``asem.manager.replaces``): the logit at decision time is the fitted one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from asem.manager import known
from asem.manager.features import features


def assert_served_as_fitted(pairs: Sequence[known.Pair], weights: Path, embedder, make,
                            served: Callable, words: known.Words = known.new_words) -> None:
    """``served(said, x, notes, pairs)`` (the decision-time probabilities) of each pair's
    proposal (``make(said, note)``) is the logistic of the features ``known.rows`` fits on
    (by name, each once) and the mean score of ``words`` pieces, with the weights saved at
    ``weights``."""
    with np.load(weights) as data:
        names, w, b = list(data["names"]), data["w"].astype(np.float64), float(data["b"])
        pieces = data["pieces"].astype(np.float64)
    x, _, fitted_names = known.rows(pairs, embedder.embed, np.zeros((30522, 1)), words)
    assert fitted_names == names
    for p, row in zip(pairs, x, strict=True):
        said = sorted(words(p.said, p.note))
        lexical = np.mean([pieces[list(known._pieces(t))].mean() for t in said]) if said else 0
        f = features(make(p.said, p.note))
        probability = served(p.said, f.x, [p.note], f.pairs)[0]
        # float32 at decision time: the duplicate-name bug this guards against was 1.7–2.2
        assert np.log(probability / (1 - probability)) == pytest.approx(
            row @ w + b + lexical, abs=0.02)
