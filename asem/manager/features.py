"""Features of a proposal: one vector for the new information x, one per (x, candidate) pair.

Everything comes from what the write path already has (texts, cosines, times, tiers), so a
decision costs no model call. The same function serves training and the write path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from asem.manager import attribute, known, news, text
from asem.read.when import Period, periods
from asem.write.dates import date_phrases
from asem.write.manager import Candidate, Proposal

K = 5
"""Candidates the policy looks at (the write path's k_links default)."""
X_FEATURES = ("bias", "length", "has_name", "has_number", "chitchat", "question", "retraction",
              "change", "addition", "first_person", "no_candidates", "exclamation", "dated")
PAIR_FEATURES = ("cosine", "jaccard", "x_in_c", "c_in_x", "same_text", "shared_name",
                 "new_name", "number_mismatch", "retraction_vs_c", "change", "addition", "rank",
                 "cosine_gap", "age", "short_term", "length_ratio", "c_long", "x_adds",
                 "c_only", "restates", "new_value", "lost_value", "substitution", "frame",
                 "other_date", "same_attribute")
MAX_MERGE_CHARS = 1200
"""A candidate at least this long is not merged into (notes stay atomic)."""


@dataclass(frozen=True)
class Features:
    x: np.ndarray
    """(len(X_FEATURES),)"""
    pairs: np.ndarray
    """(n, len(PAIR_FEATURES)) for the first n ≤ K candidates."""
    mergeable: np.ndarray
    """(n,) bool: the candidate is short enough to merge into."""
    discardable: bool = True
    """x may be discarded: it says little beyond pleasantries (``text.discardable``)."""
    restates: np.ndarray | None = None
    """(n,) bool: x may be recorded on the candidate as already known (NOOP): it shares a
    content word with it and adds at most ``MAX_RESTATE_NEW`` (``text.restates``).
    None: every candidate."""
    amends: np.ndarray | None = None
    """(n,) bool: x may update the candidate (merge or replace): it adds at most
    ``MAX_AMEND_NEW`` content words to it (``text.amends``). None: every candidate."""
    asks: bool = False
    """x ends on a question (``text.asks``) and takes no targeted action. A question in a
    conversation is the context of the reply that follows it; recorded on an older note or
    merged into one, its words are gone from the index and the reply loses its neighbour."""
    closed: np.ndarray | None = None
    """(n,) bool: x takes no targeted action on the candidate. It holds the turn x answers
    (``Proposal.replies_to``): an answer is no restatement of what it answers. Or it ends on
    a question: a question holds no fact to know already, to update or to retract. Or x is
    not about it: no content word in common and a cosine below ``text.MIN_RELATED`` ("My
    flight is on gate 12." is no update of "I have 3 cats."). Or the two speak of different
    people (``text.relations``): "My sister lives in Lisbon." is no update of "I live in
    Boston.", nor a restatement of "I live in Lisbon.". None: no candidate is closed."""
    news: np.ndarray | None = None
    """(n,) bool: x is news about the candidate, never already known: no NOOP. The candidate
    retracts nothing (``text.retracts``) and x retracts something or denies a word it says
    (``text.negates``): "I no longer have Buddy, he passed away." recorded on "I have a dog
    named Buddy." left the note saying Buddy is there. Or x names a change the candidate
    does not (``news.CHANGE_CUES``: "I switched from the ferry to the bike for my
    commute." of "Every day I take the ferry to work."). Or x is news about it by its shape
    (``news.about``): it says it with another value ("I love pizza." of "I love sushi.") or
    says more than it in words no paraphrase would use instead ("I work as a nurse at Mercy
    Hospital." of "I work as a nurse."). Or the learned reading of news (``known``), asked
    only where NOOP is otherwise open, reads it so ("Max is sick." of "I have a dog named
    Max.", "I passed my driving test." of "I'm taking driving lessons."). Or x says
    something of its speaker and someone else said the candidate (``news.of_speaker``:
    Ben's "I live in Boston as well." of Ana's "I live in Boston."). Recorded on the note,
    the new value was lost. None: no candidate is."""
    foreign: np.ndarray | None = None
    """(n,) bool: someone else said the candidate (both speakers known), so x may neither
    change nor retract it: merged into Ana's "I adopted a dog named Buddy.", Ben's "I've been
    training for the Berlin marathon." would read as Ana's. x may still be recorded on it as
    already known (NOOP: its content is unchanged). None: no candidate is foreign."""
    apart: np.ndarray | None = None
    """(n,) bool: x and the candidate state different attributes, so x is never merged into
    it nor replaces it: their cosine after the merge gate's projection (``attribute.ASSET``,
    whatever projection the checkpoint's feature reads) is below the gate it was saved with
    (``attribute.min_same``: "Bob is allergic to peanuts." is no update of "Bob's secret
    bank PIN is 4321."). None: no candidate is apart (no embeddings, or another embedder's)."""
    other_time: np.ndarray | None = None
    """(n,) bool: x and the candidate each say when something happened, and no time of one
    overlaps a time of the other (``read.when.periods``, read at when each was said): two
    events, each with its own event time and both true, so x is never merged into it nor
    replaces it ("I took a trip to Rome in March." is no more of "I visited Vienna last
    weekend.", nor "I went to Seoul in 2021." a change of "I went to Tokyo in 2019.").
    None: no candidate is.

    ``asks``, ``closed``, ``news``, ``foreign``, ``apart`` and ``other_time`` are
    decision-time guards (``features(..., guards=False)`` in training): the shipped weights
    were trained without them (docs/manager.md)."""


def x_features(content: str, n_candidates: int) -> np.ndarray:
    ws = text.words(content)
    return np.array([
        1.0,
        min(len(ws) / 20.0, 3.0),
        float(bool(text.names(content))),
        float(bool(text.numbers(content))),
        text.chitchat_share(content),
        float(text.asks(content)),
        float(text.retracts(content)),
        float(text.has_cue(content, text.CHANGE)),
        float(text.has_cue(content, text.ADDITION)),
        float(any(w in ("i", "my", "we", "our", "me") for w in ws)),
        float(n_candidates == 0),
        float("!" in content),
        float(bool(date_phrases(content))),
    ], dtype=np.float32)


def features(proposal: Proposal, *, guards: bool = True,
             projection: str = attribute.ASSET) -> Features:
    x = text.substance(proposal.content)
    candidates = list(proposal.candidates)[:K]
    xw, xn, xnum = text.content_words(x), text.names(x), text.numbers(x)
    xv, x_said = text.value_words(x), set(text.words(x))
    retraction = text.retracts(x)
    change, addition = text.has_cue(x, text.CHANGE), text.has_cue(x, text.ADDITION)
    best = max((c.intent_similarity for c in candidates), default=0.0)
    x_frame, x_dates = _frame(xw, xv, xnum), date_phrases(x)
    x_attribute = (None if proposal.intent is None
                   else attribute.project(proposal.intent, projection))
    rows = []
    for rank, c in enumerate(candidates):
        content = text.substance(c.content)
        cw, cn, cnum = text.content_words(content), text.names(content), text.numbers(content)
        shared = len(xw & cw)
        adds, unsaid = text.novelty(x, content)
        new_value = xv - set(text.words(content))
        days = 0.0
        if proposal.observed_at and c.observed_at:
            days = max((proposal.observed_at - c.observed_at).total_seconds() / 86400, 0.0)
        rows.append([
            c.intent_similarity,
            shared / max(len(xw | cw), 1),
            shared / max(len(xw), 1),
            shared / max(len(cw), 1),
            float(text.normalised(x) == text.normalised(content)),
            float(bool(xn & cn)),
            float(bool(xn - cn)),
            float(bool(xnum) and bool(cnum) and xnum != cnum),
            float(retraction and not text.retracts(content)),
            float(change),
            float(addition),
            rank / K,
            c.intent_similarity - best,
            math.log1p(days) / 5.0,
            float(c.tier.value == "short_term"),
            min(len(content) / max(len(x), 1), 8.0) / 4.0,
            float(len(c.content) >= MAX_MERGE_CHARS / 2),
            min(len(adds), 6) / 6,
            min(len(unsaid), 6) / 6,
            float(not adds),
            float(bool(new_value)),
            float(bool(text.value_words(content) - x_said)),
            float(shared > 0 and 1 <= len(adds) <= 2 and bool(unsaid)),
            _jaccard(x_frame, _frame(cw, text.value_words(content), cnum)),
            float(bool(x_dates) and x_dates != date_phrases(content)),
            _same_attribute(x_attribute, c, projection),
        ])
    pairs = np.array(rows, dtype=np.float32).reshape(len(rows), len(PAIR_FEATURES))
    x_row = x_features(x, len(candidates))
    mergeable = np.array([len(c.content) < MAX_MERGE_CHARS for c in candidates], dtype=bool)
    contents = [text.substance(c.content) for c in candidates]
    restates = np.array([text.restates(x, c) for c in contents], dtype=bool)
    amends = np.array([text.amends(x, c) for c in contents], dtype=bool)
    closed = foreign = fresh = apart = other_time = None
    if guards:
        said = text.relations(x)
        closed = np.array([c.note_id == proposal.replies_to or text.asks(content)
                           or not text.related(x, content, c.intent_similarity)
                           or text.relations(content) != said
                           for c, content in zip(candidates, contents, strict=True)], dtype=bool)
        foreign = np.array([_other_speaker(proposal.speaker, c.speaker) for c in candidates],
                           dtype=bool)
        own, changes = news.of_speaker(x), text.has_cue(x, news.CHANGE_CUES)
        read = _read_as_news(x, x_row, contents, pairs, restates & ~closed)
        fresh = np.array([(not text.retracts(content)
                           and (retraction or text.negates(x, content)))
                          or (changes and not text.has_cue(content, news.CHANGE_CUES))
                          or (own and other) or news.about(x, content) or bool(reading)
                          for content, other, reading in zip(contents, foreign, read,
                                                             strict=True)],
                         dtype=bool)
        apart = _apart(proposal.intent, candidates)
        other_time = _other_times(x, proposal.observed_at, candidates, contents)
    return Features(x_row, pairs, mergeable, text.discardable(x),
                    restates, amends, guards and text.asks(x), closed, fresh, foreign,
                    apart, other_time)


def _read_as_news(x: str, x_row: np.ndarray, contents: list[str], pairs: np.ndarray,
                  asked: np.ndarray) -> np.ndarray:
    """Which candidates the learned reading of news (``known``) reads x as news about. It
    is asked only of those ``asked`` (where NOOP is otherwise open): the others are not."""
    read = np.zeros(len(contents), dtype=bool)
    if asked.any():
        at = np.flatnonzero(asked)
        read[at] = known.probabilities(x, x_row, [contents[i] for i in at],
                                       pairs[at]) >= known.bar()
    return read


@lru_cache(maxsize=65536)
def _periods(said: str, at: datetime | None) -> tuple[Period, ...]:
    """When ``said`` says something happened (``read.when.periods``: "last Friday", "in
    March", "3 Jan 2024"), read at the time it was said; none when that is unknown."""
    return () if at is None else periods(said, at)


def _other_times(x: str, at: datetime | None, candidates: list[Candidate],
                 contents: list[str]) -> np.ndarray:
    """Which candidates name a time and none that a time x names overlaps
    (``Features.other_time``); the candidates' times are read only when x names one."""
    when = _periods(x, at)
    return np.array([bool(when) and _apart_in_time(when, _periods(content, c.observed_at))
                     for c, content in zip(candidates, contents, strict=True)], dtype=bool)


def _apart_in_time(x: tuple[Period, ...], c: tuple[Period, ...]) -> bool:
    """Both name a time, and no time of one overlaps a time of the other."""
    return bool(x and c) and not any(a.start < b.end and b.start < a.end
                                     for a in x for b in c)


def _apart(intent: np.ndarray | None, candidates: list[Candidate]) -> np.ndarray | None:
    """Which candidates state another attribute than x (``Features.apart``); a candidate
    without an embedding never is."""
    gate = attribute.min_same()
    x = None if intent is None or gate is None else attribute.project(intent)
    if x is None:
        return None
    return np.array([c.intent is not None and _same_attribute(x, c, attribute.ASSET) < gate
                     for c in candidates], dtype=bool)


def _frame(words: frozenset[str], values: frozenset[str],
           numbers: frozenset[str]) -> frozenset[str]:
    """What a text says of its value, the value left out: its content words but names,
    values and numbers ("live" of "I live in Boston.")."""
    return words - values - numbers


def _same_attribute(x: np.ndarray | None, c: Candidate, projection: str) -> float:
    """Cosine of x and the candidate in the attribute projection (``attribute``): high for
    one attribute with two values ("I moved to Denver." of "I live in Boston."), low for two
    attributes of one person. Without both embeddings (or with another embedder's), the
    raw-content cosine."""
    other = None if x is None or c.intent is None else attribute.project(c.intent, projection)
    return c.intent_similarity if other is None else float(x @ other)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _other_speaker(said_by: str | None, candidate_by: str | None) -> bool:
    if not said_by or not candidate_by:
        return False
    return said_by.strip().casefold() != candidate_by.strip().casefold()
