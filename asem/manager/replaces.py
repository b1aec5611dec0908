"""Whether an input replaces what its note says: a learned reading of changes.

News about a note either replaces what the note says ("I work at Meta now." of "I work at
Google.", "Wait, it's tree nuts I'm allergic to, not peanuts." of "I'm allergic to
peanuts.", "I've started to really hate my job." of "I love my job.") or adds to it ("Also
allergic to latex.", "Max is sick." of "I have a dog named Max."). Replaced, the old note
is superseded: kept, not current. Added beside it, both read as current and the stale
value stays. The policy learnt the difference on its training templates only; at decision
time (``asem.manager.learned``) this reading turns the policy's ADD beside a note it may
replace, and its merge into one, into a replacement when it reads the input as replacing
the note.

It is the news reading's model (``known``: a class-balanced logistic regression over the
policy's features of the pair and a lexicon learnt over the embedder's vocabulary) fitted
to another label, and reading the words x says anew but its values (``said_anew``: which
value is said is no sign of a change, how it is said may be). Its data:

- the hand-written pairs of ``news_pairs/train-*.jsonl``: a change, a correction, a turned
  opinion, a new number, a retraction and a denial replace what the note says
  (``REPLACES``); every other kind (a restatement, a paraphrase, one value more, a detail,
  a description, what happened to something the note names, a clause about the speaker)
  does not; a milestone ("I published my novel." of "I'm writing a novel.") may read
  either way and is left out (``UNSURE``);
- the manager's training streams (``stream_pairs``): a change or retraction of a slot
  replaces its last statement, one more value or a paraphrase does not, and a new fact, a
  change or a retraction does not replace the earlier note of another slot or episode
  most like it (cosine of the embeddings): the candidate the write path would show the
  policy ("I moved to Denver." is no change of "I work at Google.");
- the correctness benchmark's training families and wordings (``correctness_pairs``).

``news_pairs/heldout.jsonl`` is never fitted or chosen on: ``benchmarks/news_pairs.py``
measures the write decisions on it. Fitted by ``asem train replaces``, shipped as
``assets/replaces.npz``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from asem.manager import known, text
from asem.manager.known import Embed, Pair

ASSET = "replaces.npz"
"""The shipped weights, inside ``asem/manager/assets``."""
BAR = 0.95
"""An input replaces a note when the reading gives it at least this probability."""
L2 = 300.0
"""The fit's L2 penalty (``cardinality.fit``). With ``BAR``, read off ``benchmarks/
news_pairs.py --sets`` (each training set left out of the fit in turn and measured there,
penalties 0.1, 30 and 300 at bars 0.9 and 0.95): the setting that supersedes fewest notes
the input only adds to (a true fact read as no longer current) for each stale value it
supersedes; docs/manager.md."""
REPLACES = frozenset(("change", "correction", "opinion-turn", "number", "retraction",
                      "denial"))
"""Kinds of the hand-written pairs whose message replaces what the note says."""
UNSURE = frozenset(("milestone",))
"""Kinds left out of the fit: "I published my novel." of "I'm writing a novel." ends a
state, "Got hired!" of "I'm applying for jobs." reads as either."""
MAX_WORDS = 20
"""The reading is asked only of an input and a note of at most this many words each, as
long as what it was fitted on (the hand-written messages and notes have at most 18 and 16,
the streams' at most 21 and 20): a turn of a conversation that tells several things is read
by the policy alone."""
MIN_COSINE = 0.34
"""Nor is it asked of a note whose cosine with the input is below this: the 5th percentile
of the cosines of the replacing pairs it was fitted on (0.338). The reading reads how a
change is worded more than what it is about ("I moved to Denver." reads as a change of
anything); below it lie 59 % of the notes of other slots it was fitted on, and 5 % of the
notes a message replaces."""
STREAM_SEEDS = known.STREAM_SEEDS
DRAWS = 4
"""Pairs of values drawn for each pair of correctness wordings."""
STREAM_REPLACES = ("changed", "retracted")
"""Follow-ups of a slot in the manager's streams that replace its last statement."""


def hand_pairs(leave_out: Sequence[str] = ()) -> list[Pair]:
    """The hand-written training pairs but those of ``UNSURE`` kinds and the sets named in
    ``leave_out``."""
    return [p for name in known.training_sets(leave_out) for p in known.load_pairs(name)
            if p.kind not in UNSURE]


def stream_pairs(embed: Embed, seeds: int = STREAM_SEEDS) -> list[tuple[Pair, bool]]:
    """(a note, a later statement) of the training split of the manager's streams, each
    with whether it replaces the note: a slot's follow-ups on its last statement, and each
    new fact, change or retraction beside the earlier note of another slot or episode whose
    embedding is nearest its own (kind ``other``; it replaces nothing there: "I moved to
    Denver." is no change of "I work at Google.")."""
    from asem.manager.env import streams

    out: list[tuple[Pair, bool]] = []
    beside: list[tuple[str, list[str]]] = []
    for seed in range(seeds):
        last: dict[str | None, str] = {}
        for e in streams.generate(seed, "train").events:
            if e.slot in last and e.kind in ("paraphrase", "complementary", *STREAM_REPLACES):
                out.append((Pair(last[e.slot], e.text, e.kind != "paraphrase", e.kind),
                            e.kind in STREAM_REPLACES))
            if (e.kind in ("novel", "episode", *STREAM_REPLACES)
                    and any(s != e.slot for s in last)):
                beside.append((e.text, [t for s, t in last.items() if s != e.slot]))
            if e.kind in ("novel", "complementary", "changed", "episode"):
                last[e.slot] = e.text
    texts = list(dict.fromkeys(t for said, notes in beside for t in (said, *notes)))
    vectors = dict(zip(texts, embed(texts), strict=True))
    for said, notes in beside:
        nearest = max(notes, key=lambda n: float(vectors[said] @ vectors[n]))
        out.append((Pair(nearest, said, True, "other"), False))
    return out


def correctness_pairs(seed: int = 0) -> list[tuple[Pair, bool]]:
    """(a statement, a change or one more value of it) of the correctness benchmark's
    training families and wordings (``eval.correctness_data``), each with whether it
    replaces the statement: "I moved to Denver." replaces "I live in Boston."; "I speak
    Italian." adds to "I speak French."."""
    from asem.eval import correctness_data as c
    from asem.manager.env.templates import HELD_OUT_SLOTS, PEOPLE

    rng = random.Random(f"replaces:{seed}")
    out = []
    for a in c.SELF + c.OTHERS:
        if a.name in HELD_OUT_SLOTS:
            continue
        for kind, options, change in (("change", a.change, True), ("same-list", a.more, False)):
            if not options or kind in a.held_out:
                continue
            for state in c.train_wordings(a.state):
                for wording in c.train_wordings(options) * DRAWS:
                    old, new = rng.sample(a.values, 2)
                    person = rng.choice(PEOPLE)
                    said = wording.replace("{p}", person).format(v=new, old=old)
                    note = state.replace("{p}", person).format(v=old)
                    out.append((Pair(note[0].upper() + note[1:], said[0].upper() + said[1:],
                                     True, kind), change))
    return out


def training_pairs(embed: Embed, leave_out: Sequence[str] = ()) -> list[tuple[Pair, bool]]:
    """Every pair the shipped weights are fitted on, each with whether it replaces its
    note, but the hand-written sets named in ``leave_out``."""
    return (stream_pairs(embed) + correctness_pairs()
            + [(p, p.kind in REPLACES) for p in hand_pairs(leave_out)])


def fitted(pairs: Sequence[tuple[Pair, bool]], embed: Embed,
           vectors: np.ndarray) -> known.Weights:
    """The reading fitted on labelled ``pairs`` (``training_pairs``: what ``asem train
    replaces`` writes)."""
    return known.fitted([p for p, _ in pairs], embed, vectors,
                        labels=[label for _, label in pairs], l2=L2, words=said_anew)


def said_anew(x: str, note: str) -> frozenset[str]:
    """The words x says and the note does not (``known.new_words``) but its values (names,
    a capitalised first word: ``text.value_words``, plurals and possessives folded as
    ``new_words`` folds them): which value is said is no sign of a change ("Muse" for
    "Radiohead"); how it is said may be ("switched", "anymore")."""
    values = text.value_words(text.substance(x))
    return frozenset(w for w in known.new_words(x, note)
                     if w not in values and w.rstrip("'") not in values
                     and not any(text.stem(v) == w for v in values))


def asset_path() -> Path:
    return Path(str(resources.files("asem.manager") / "assets" / ASSET))


_read: dict[str, Path | float | None] = {"path": None, "bar": BAR}
"""The weights the write path reads (None: the shipped ones) and its bar."""


def use(path: Path | None = None, bar: float = BAR) -> None:
    """Read the weights at ``path`` (None: the shipped ones) with ``bar`` (``inf``: the
    reading off): for measuring a refit and for tests, between decisions."""
    _read.update(path=path, bar=bar)
    known.served.cache_clear()


def bar() -> float:
    return float(_read["bar"])  # type: ignore[arg-type]


def asked(said: str, note: str) -> bool:
    """Whether the reading is asked of the pair: both are as short as what it was fitted
    on (``MAX_WORDS``)."""
    return len(text.words(said)) <= MAX_WORDS and len(text.words(note)) <= MAX_WORDS


def probabilities(said: str, x: np.ndarray, notes: Sequence[str],
                  pairs: np.ndarray) -> np.ndarray:
    """How probably ``said`` replaces what each of ``notes`` says: ``x`` its features
    (``X_FEATURES``), ``pairs`` theirs (n, ``PAIR_FEATURES``)."""
    weights = known.served(_read["path"] or asset_path(), "asem train replaces")
    return known.probabilities(said, x, notes, pairs, weights, said_anew)
