"""One value at a time: whether the attribute a sentence states holds one value or a list.

Said without a change word, a new value of a single-valued attribute and one more value of
a list read alike: "I got a job at Amazon." of "I work at Microsoft." should supersede the
old employer; "I speak Italian." of "I speak French." should keep both. The learned
policy cannot tell them apart (it merges both), so its merge is read again at decision time
(``asem.manager.learned.merge``): when the input and the note it merges into both read as
one value at a time, the input replaces the sentence it changes and history keeps the old
one.

The reading is a class-balanced logistic regression over the raw-content embedding (z)
of a sentence, fitted offline on the training split only (``training_sentences``: the
manager's training slots and phrasings and the correctness benchmark's training families
and wordings, labelled by whether the data says a change of them or one more of them; the
attributes of ``attribute_data`` labelled by what they mean) and shipped as
``assets/one-value.npz``; ``benchmarks/one_value.py`` measures it on attributes left out of
the fit. At decision time it costs two dot products: the embeddings are those the write
path already has.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.manager.attribute_data import EXTRA

ASSET = "one-value.npz"
"""The shipped weights, inside ``asem/manager/assets``."""
MODEL_ID = "all-MiniLM-L6-v2-int8-onnx"
"""The embedder whose vectors the weights were fitted on; another's are never read."""
BAR = 0.6
"""Both the input and the note must read as one value at a time at least this probably."""
ONE_VALUE = {"hometown": 1, "colour": 1, "eyes": 1, "school": 1, "doctor": 1, "gym": 1,
             "phone-brand": 1, "sleep": 1, "coffee": 1, "height": 1, "anniversary": 1,
             "neighbourhood": 1, "blood": 1, "shoe": 1, "workout": 1, "holiday": 1,
             "landlord": 1, "show": 0, "podcast": 0, "plant": 0, "game": 0, "genre": 0,
             "medication": 0}
"""``attribute_data`` attributes by what they mean (1: one value at a time); degree, bank
and email are left out (either reading holds)."""
STEPS = 800
RATE = 0.5


def training_sentences(seed: int = 0, *, held_out: bool = False
                       ) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Attribute → its training sentences, and attribute → 1 when it holds one value at a
    time. Held-out slots, families and wordings are left out, unless ``held_out`` (for
    measuring the reading on every attribute the data labels, ``benchmarks/one_value.py``)."""
    from asem.eval import correctness_data as c
    from asem.manager.env.templates import HELD_OUT_PHRASINGS, HELD_OUT_SLOTS, PEOPLE, SLOTS

    rng = random.Random(f"one-value:{seed}")
    groups: dict[str, list[str]] = {}
    label: dict[str, int] = {}

    def say(name: str, templates: tuple[str, ...], values: tuple[str, ...], one: int) -> None:
        for template in templates:
            for value in values:
                old = rng.choice([v for v in values if v != value])
                said = template.replace("{p}", rng.choice(PEOPLE)).format(v=value, old=old)
                groups.setdefault(name, []).append(said[0].upper() + said[1:])
        label[name] = one

    def trained(options: tuple[str, ...]) -> tuple[str, ...]:
        if held_out or len(options) <= HELD_OUT_PHRASINGS:
            return options
        return options[:-HELD_OUT_PHRASINGS]

    for slot in SLOTS:
        if (slot.name in HELD_OUT_SLOTS and not held_out) or not (slot.change or slot.more):
            continue
        said = tuple(w for options in (slot.novel, slot.change, slot.more, slot.para)
                     for w in trained(options))
        say(f"slot:{slot.name}", said, slot.values, int(bool(slot.change)))
    for a in c.SELF + c.OTHERS:
        if a.name in HELD_OUT_SLOTS and not held_out:
            continue
        for kind, options, one in (("change", a.change, 1), ("same-list", a.more, 0)):
            if options and (held_out or kind not in a.held_out):
                wordings = (a.state + options if held_out
                            else c.train_wordings(a.state) + c.train_wordings(options))
                say(f"correctness:{a.name}", wordings, a.values, one)
    for name, templates, values in EXTRA:
        if name in ONE_VALUE:
            say(f"extra:{name}", templates, values, ONE_VALUE[name])
    return groups, label


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent, both classes weighing alike, with an L2
    penalty of ``l2`` / 2 · |w|² over the data."""
    w, b = np.zeros(x.shape[1]), 0.0
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(STEPS):
        g = (1 / (1 + np.exp(-(x @ w + b))) - y) * weight
        w -= RATE * (x.T @ g / len(y) + w * l2 / len(y))
        b -= RATE * g.mean()
    return w, b


def fitted(embed: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, float]:
    """The weights fitted on the training split (``training_sentences``) with ``embed``
    (texts → unit vectors): what ``asem train one-value`` writes."""
    groups, label = training_sentences()
    x = np.vstack([embed(groups[name]) for name in groups])
    y = np.concatenate([[label[name]] * len(groups[name]) for name in groups]).astype(float)
    return fit(x, y)


def save(w: np.ndarray, b: float, path: str | Path) -> None:
    np.savez_compressed(path, w=w.astype(np.float32), b=np.float32(b))


@cache
def _weights() -> tuple[np.ndarray, float]:
    """The shipped weights, read once (every merge asks)."""
    path = asset_path()
    try:
        with np.load(path) as data:
            return np.asarray(data["w"], dtype=np.float32), float(data["b"])
    except (OSError, ValueError, KeyError) as e:
        raise InvalidInputError(f"cannot read the one-value weights {path}: {e}; refit them "
                                "with 'asem train one-value'") from e


def asset_path() -> Path:
    return Path(str(resources.files("asem.manager") / "assets" / ASSET))


def one_value(intent: np.ndarray | None, embedder: str | None = None) -> float | None:
    """How probably the sentence whose raw-content embedding is ``intent`` states an
    attribute that holds one value at a time; None without an embedding of the right size,
    or one that the embedder ``embedder`` (a model id; None: not known) made when it is not
    ``MODEL_ID``."""
    w, b = _weights()
    if intent is None or intent.shape != w.shape or embedder not in (None, MODEL_ID):
        return None
    return float(1 / (1 + np.exp(-(float(intent @ w) + b))))
