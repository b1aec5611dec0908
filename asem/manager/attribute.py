"""The same attribute, whatever its value: a learned projection of content embeddings.

"I moved to Denver." and "I live in Boston." speak of one attribute (where I live) with two
values; "Bob is allergic to peanuts." and "Bob's secret bank PIN is 4321." of two
attributes of one person. Their raw cosines do not tell the two apart (0.42 and 0.30), nor
do their words ("moved" is not "live"). A linear projection of the raw-content embeddings
(z) learnt by linear discriminant analysis does: sentences of the training templates are
grouped by the attribute they state (every wording and value of it), and the projection
keeps the directions along which attributes differ most against how much wordings and
values of one attribute differ. Cosine after it: 0.96 and 0.23.

The projection (384 x ``DIM`` numbers) is fitted offline from the training split only
(``fit``: the manager's training slots and phrasings, the correctness benchmark's
training families and wordings, neither's held-out families, slots or wordings; and the
attributes of ``attribute_data``, which no stream says) and
shipped as ``assets/attribute-person.npz``; a checkpoint names the projection it was trained
on (``LEGACY`` for one that names none). At decision time it costs one small matrix product
per candidate: the embeddings are those the write path already has.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.manager.attribute_data import EXTRA

DIM = 62
"""Directions kept: every discriminant direction of the 63 training attributes (one fewer
than the classes). Of 16, 32, 40, 48, 56 and 62, the more kept, the larger the share of
pairs of two attributes left out of the fit that the merge gate stops (``separation``:
0.76, 0.85, 0.89, 0.89, 0.89, 0.90)."""
ASSET = "attribute-person.npz"
"""The projection training reads, inside ``asem/manager/assets`` (another person's facts
said of a person drawn per sentence, ``training_sentences``)."""
LEGACY = "attribute.npz"
"""The projection of checkpoints that name none (``learned-attribute``): fitted with one
person per attribute, so a name told attributes apart."""
KEEP_SAME = 0.95
"""Share of same-attribute pairs the write path's merge gate lets through (``separation``)."""
FOLDS = 5
"""Groups of attributes left out in turn when the merge gate is chosen (``separation``)."""
REPEATS = 5
"""Ways of dealing the attributes into those groups, pooled: one way alone moves the gate
by several hundredths."""
RIDGE = 1e-3
"""Added to the within-attribute scatter's diagonal: a direction no wording varies along
is not taken for an attribute on that ground alone."""

Embed = Callable[[list[str]], np.ndarray]


@cache
def asset_path(name: str = ASSET) -> Path:
    """A projection shipped in ``asem/manager/assets`` (a path as it is); looked up once
    per name, since every candidate of every decision asks."""
    if Path(name).name != name:
        return Path(name)
    return Path(str(resources.files("asem.manager") / "assets" / name))


def training_sentences(seed: int = 0) -> dict[str, list[str]]:
    """Attribute → sentences stating it: every training wording of it with every value,
    the other value of a change drawn at random, another person's facts each said of a
    person drawn at random (one person for all the sentences of an attribute would make
    the name tell the attribute, and two facts of one person look like one attribute).
    Held-out slots, families and wordings are left out."""
    from asem.eval import correctness_data as c
    from asem.manager.env.templates import HELD_OUT_PHRASINGS, HELD_OUT_SLOTS, PEOPLE, SLOTS

    rng = random.Random(f"attribute:{seed}")
    groups: dict[str, list[str]] = {}

    def say(name: str, templates: Sequence[str], values: Sequence[str]) -> None:
        for template in templates:
            for value in values:
                old = rng.choice([v for v in values if v != value])
                person = rng.choice(PEOPLE)  # the person varies within an attribute
                said = template.replace("{p}", person).format(v=value, old=old)
                groups.setdefault(name, []).append(said[0].upper() + said[1:])

    def trained(options: tuple[str, ...]) -> tuple[str, ...]:
        return options[:-HELD_OUT_PHRASINGS] if len(options) > HELD_OUT_PHRASINGS else options

    for slot in SLOTS:
        if slot.name not in HELD_OUT_SLOTS:
            say(slot.name, trained(slot.novel + slot.more + slot.change + slot.para),
                slot.values)
    for a in c.SELF + c.OTHERS:
        if a.name in HELD_OUT_SLOTS:
            continue
        for kind, options in (("atomic", a.state), ("change", a.change), ("same-list", a.more)):
            if options and kind not in a.held_out:
                say(f"correctness:{a.name}", c.train_wordings(options), a.values)
    for name, templates, values in EXTRA:
        say(f"extra:{name}", templates, values)
    return groups


def fit(embed: Embed, groups: dict[str, list[str]] | None = None, dim: int = DIM) -> np.ndarray:
    """The (embedding size, ``dim``) projection: linear discriminant analysis with one class
    per attribute (the top generalised eigenvectors of between- against within-attribute
    scatter, each attribute weighted alike)."""
    groups = groups if groups is not None else training_sentences()
    return _discriminant([np.asarray(embed(s), dtype=np.float64) for s in groups.values()],
                         dim)


def _discriminant(classes: Sequence[np.ndarray], dim: int) -> np.ndarray:
    """``fit`` on the embeddings of each attribute's sentences."""
    if len(classes) < 2:
        raise InvalidInputError("fitting the attribute projection needs two attributes or more")
    means, within = [], np.zeros((classes[0].shape[1],) * 2)
    for x in classes:
        mean = x.mean(axis=0)
        within += (x - mean).T @ (x - mean) / len(x)
        means.append(mean)
    m = np.stack(means)
    between = (m - m.mean(axis=0)).T @ (m - m.mean(axis=0)) / len(m)
    within = within / len(m) + RIDGE * np.eye(len(within))
    values, vectors = np.linalg.eigh(within)
    whiten = vectors @ np.diag(values ** -0.5) @ vectors.T
    _, directions = np.linalg.eigh(whiten @ between @ whiten)
    return (whiten @ directions[:, ::-1][:, :dim]).astype(np.float32)


def separation(embed: Embed, groups: dict[str, list[str]] | None = None, dim: int = DIM,
               folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Cosines after the projection of sentence pairs of one attribute and of two, each
    attribute compared on a projection fitted without it: the attributes are dealt into
    ``folds`` groups (``REPEATS`` ways) and the projection fitted without each group in
    turn, so the pairs are compared as the write path meets attributes, unseen. The write
    path's merge gate (``min_same``) is the cosine that ``KEEP_SAME`` of the same-attribute
    pairs reach; the share of different-attribute pairs below it is what the gate stops."""
    groups = groups if groups is not None else training_sentences()
    if len(groups) < folds + 2:
        raise InvalidInputError(f"choosing the gate needs more than {folds + 1} attributes")
    vectors = {name: np.asarray(embed(sentences), dtype=np.float64)
               for name, sentences in groups.items()}
    same, other = [], []
    for repeat, k in itertools.product(range(REPEATS), range(folds)):
        names = sorted(groups)
        random.Random(f"attribute-folds:{repeat}").shuffle(names)
        left_out = names[k::folds]
        p = _discriminant([vectors[name] for name in names if name not in left_out], dim)
        unit = {name: _unit(vectors[name] @ p) for name in left_out}
        for i, a in enumerate(left_out):
            cos = unit[a] @ unit[a].T
            same.append(cos[np.triu_indices(len(cos), 1)])
            other.extend((unit[a] @ unit[b].T).ravel() for b in left_out[i + 1:])
    return np.concatenate(same), np.concatenate(other) if other else np.zeros(0)


def merge_gate(same: np.ndarray) -> float:
    """The cosine that ``KEEP_SAME`` of the same-attribute pairs of ``separation`` reach."""
    return float(np.quantile(same, 1.0 - KEEP_SAME))


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def save(projection: np.ndarray, path: str | Path, min_same: float | None = None) -> None:
    extra = {} if min_same is None else {"min_same": np.float32(min_same)}
    np.savez_compressed(path, projection=projection, **extra)


def projection(path: str | None = None) -> np.ndarray:
    """The shipped projection (or the one at ``path``), read once."""
    return _read(path)[0]


def min_same(name: str = ASSET) -> float | None:
    """The merge gate saved with the projection ``name`` (``separation``): an input is never
    merged into a note whose cosine with it, after the projection, is below it. None for a
    projection saved without one (no gate)."""
    return _read(str(asset_path(name)))[1]


@cache
def _read(path: str | None) -> tuple[np.ndarray, float | None]:
    where = path or asset_path()
    try:
        with np.load(where) as data:
            gate = float(data["min_same"]) if "min_same" in data.files else None
            return np.asarray(data["projection"], dtype=np.float32), gate
    except (OSError, ValueError, KeyError) as e:
        raise InvalidInputError(f"cannot read the attribute projection {where}: {e}; "
                                "refit it with 'asem train attribute'") from e


def project(embedding: np.ndarray, name: str = ASSET) -> np.ndarray | None:
    """``embedding`` projected by the projection ``name`` (``asset_path``) and scaled to
    unit length (zeros stay zeros); None for an embedding of another size than the
    projection was fitted on (another embedder)."""
    p = projection(str(asset_path(name)))
    if len(embedding) != len(p):
        return None
    v = np.asarray(embedding, dtype=np.float32) @ p
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v
