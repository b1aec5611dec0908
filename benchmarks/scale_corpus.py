"""What ``benchmarks/scale.py`` stores and asks (``--texts``): template sentences over a pool of
real embeddings reused with a little noise, or LongMemEval_S's distinct turns each with its
own embedding; the questions searches ask and the texts adds say. See ``scale.py``."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from server_load import CITIES, NAMES, THINGS  # the same vocabulary of names
from tqdm import tqdm

from asem.providers.embedder import Embedder

EMBED_BATCH = 2000
"""Texts embedded per call."""

TEMPLATES = ["{name} bought a {thing} in {city}.", "{name} lent the {thing} to a friend in {city}.",
             "{name} is learning to repair a {thing} in {city}.",
             "The {thing} {name} ordered from {city} arrived late.",
             "{name} sold an old {thing} at the {city} market."]
QUERIES = ["What did {name} buy in {city}?", "Who has a {thing}?",
           "Where did {name} get the {thing}?", "What happened in {city}?",
           "What is {name} learning to repair?"]


class Corpus:
    """What a run stores and asks: distinct texts with their real embeddings, the note
    stored at each position, the questions searches ask and the texts adds say."""

    name = "templates"

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.texts = list(texts)
        self.vectors = vectors

    def stored(self, tenant: int, rows: range,
               noise: np.random.Generator) -> tuple[list[str], np.ndarray]:
        """The texts and vectors of the notes at ``rows`` of a tenant: each a pool text with
        a running number, its vector the pool text's moved a little (``jittered``)."""
        texts = [f"{self.texts[i % len(self.texts)]} #{tenant}-{i}" for i in rows]
        moved = jittered(self.vectors[[i % len(self.texts) for i in rows]], noise)
        return texts, moved

    def ask(self, rng: random.Random) -> str:
        """A question a search asks."""
        return query(rng)

    def said(self, rng: random.Random, i: int) -> str:
        """The text of the ``i``-th add of the measurements."""
        return f"{query(rng)} Noted as item {i}."


class RealCorpus(Corpus):
    """LongMemEval_S's distinct turns (user turns first, then the assistant's, the first
    ``TURN_CHARS`` characters of each), each stored once with its own real embedding; its
    questions are what searches ask, and turns left over are what adds say."""

    name = "longmemeval"

    def __init__(self, texts: Sequence[str], vectors: np.ndarray,
                 questions: Sequence[str], spare: Sequence[str]) -> None:
        super().__init__(texts, vectors)
        self.questions = list(questions)
        self.spare = list(spare)

    def stored(self, tenant: int, rows: range,
               noise: np.random.Generator) -> tuple[list[str], np.ndarray]:
        if rows.stop > len(self.texts):
            raise SystemExit(f"the corpus holds {len(self.texts):,} texts (and some kept "
                             "for adds); ask for fewer notes")
        return [self.texts[i] for i in rows], self.vectors[rows.start:rows.stop]

    def ask(self, rng: random.Random) -> str:
        return rng.choice(self.questions)

    def said(self, rng: random.Random, i: int) -> str:
        return self.spare[i % len(self.spare)]


TURN_CHARS = 600
"""Characters of an assistant turn kept as a note (they run to pages)."""


def templates_corpus(real: Embedder, size: int, rng: random.Random) -> Corpus:
    pool = pool_texts(size, rng)
    return Corpus(pool, real.embed(pool))


def longmemeval_corpus(real: Embedder, data: Path, cache: Path | None, notes: int,
                       spare: int = 500) -> RealCorpus:
    """The first ``notes`` distinct turns of LongMemEval_S (and ``spare`` more for adds),
    embedded by ``real`` through the embedding cache ``cache``."""
    from asem.eval.embed_cache import CachedEmbedder
    from asem.eval.longmemeval import read

    raw = read(data)
    texts: dict[str, None] = {}
    for role in ("user", "assistant"):
        for entry in raw:
            for session in entry["haystack_sessions"]:
                for turn in session:
                    text = turn["content"].strip()[:TURN_CHARS]
                    if turn["role"] == role and text:
                        texts.setdefault(text)
    wanted = list(texts)[: notes + spare]
    embedder = CachedEmbedder(real, cache)
    vectors = np.concatenate([
        embedder.embed(wanted[i:i + EMBED_BATCH], kind="document")
        for i in tqdm(range(0, len(wanted), EMBED_BATCH), desc="embedding turns", unit="batch")])
    questions = [str(entry["question"]) for entry in raw]
    kept = min(notes, len(wanted) - min(spare, len(wanted) // 2))
    return RealCorpus(wanted[:kept], vectors[:kept].astype(np.float32), questions,
                      wanted[kept:])


def pool_texts(size: int, rng: random.Random) -> list[str]:
    texts = {t.format(name=n, thing=x, city=c) for t in TEMPLATES for n in NAMES
             for x in THINGS for c in CITIES}
    return rng.sample(sorted(texts), min(size, len(texts)))


JITTER = 0.01
"""Standard deviation, per dimension, of the noise that makes each stored vector its own."""


def jittered(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``vectors`` each moved by Gaussian noise (``JITTER``) and made unit length again."""
    moved = vectors + rng.normal(0.0, JITTER, vectors.shape)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def query(rng: random.Random) -> str:
    return rng.choice(QUERIES).format(name=rng.choice(NAMES), thing=rng.choice(THINGS),
                                      city=rng.choice(CITIES))
