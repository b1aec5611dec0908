"""Answers over questions: a turn that asks passes part of its score to the reply after it.

"Which soup did you learn to make?" shares its words with the search that looks for the
answer; the reply that holds the answer ("a lentil soup with lemon") often shares none. So
the asking turn ranks first, and the turn a reader needs ranks below it or not at all. Two
structural signals fix the order, with no word lists: whether a note's text asks (its last
sentence ends with a question mark) and which note replies to it (the next turn of the same
conversation, said by someone else: ``Store.replies``). Among the top hits, a note that
asks and is answered by a note of the pool scored below it hands the reply a share ρ of the
gap between them and loses a share γ of it itself:

    gap = s(question) − s(reply);  s(reply) += ρ·gap;  s(question) −= γ·gap

A question nobody answered (the user's own questions in an assistant chat, whose replies
are not stored) keeps its score: it may well be the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from asem.config import ReadConfig
from asem.read.rank import Ranked
from asem.stores.base import Store
from asem.stores.dense import reply_map  # noqa: F401  (re-exported)
from asem.types import Note

_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_SENTENCE = re.compile(r"[^.!?]*[.!?]+")


def asking_share(text: str) -> float:
    """How much of the text asks: the share of its words in sentences that end with a
    question mark, 0 unless the last one does (brackets, where attached captions and asides
    sit, left out). "Hey Mel! What did you paint lately?" asks 5/7; "I went to a pride
    parade last Friday, it was amazing! Have you been?" states its news first (3/13)."""
    sentences = _SENTENCE.findall(_BRACKETED.sub(" ", text))
    if not sentences or not sentences[-1].rstrip().endswith("?"):
        return 0.0
    words = [len(s.split()) for s in sentences]
    asked = sum(n for s, n in zip(sentences, words, strict=True) if s.rstrip().endswith("?"))
    return asked / max(sum(words), 1)


def answers_first(ranked: Sequence[Ranked], asking: Mapping[str, float],
                  replies_to: Mapping[str, tuple[str, ...]], share: float,
                  discount: float) -> list[Ranked]:
    """``ranked`` re-scored and re-sorted: each note in ``asking`` (with how much of it
    asks, a) hands its first reply found in ``ranked`` (and scored below it) a·ρ of the gap
    between them, ρ = ``share``, and loses a·γ of it, γ = ``discount``. Gaps are read from
    the scores before any change; a reply to several questions keeps the largest gain. The
    change goes to ``parts.context``."""
    score = {r.note_id: r.score for r in ranked}
    gain: dict[str, float] = {}
    loss: dict[str, float] = {}
    for note_id, weight in asking.items():
        if note_id not in score:
            continue
        reply = next((r for r in replies_to.get(note_id, ()) if r in score), None)
        if reply is None or score[reply] >= score[note_id]:
            continue
        gap = weight * (score[note_id] - score[reply])
        gain[reply] = max(gain.get(reply, 0.0), share * gap)
        loss[note_id] = discount * gap
    if not gain:
        return list(ranked)
    moved = [_shifted(r, gain.get(r.note_id, 0.0) - loss.get(r.note_id, 0.0)) for r in ranked]
    return sorted(moved, key=lambda r: -r.score)


def _shifted(hit: Ranked, by: float) -> Ranked:
    if not by:
        return hit
    parts = None if hit.parts is None else replace(hit.parts, context=hit.parts.context + by)
    return replace(hit, score=hit.score + by, parts=parts)


def asking_shares(top: Mapping[str, Note]) -> dict[str, float]:
    """Note id → ``asking_share`` of its content, for the notes of ``top`` that ask."""
    return {note_id: a for note_id, note in top.items() if (a := asking_share(note.content))}


def answers_over_questions(ranked: list[Ranked], asking: Mapping[str, float], user_id: str,
                           store: Store, config: ReadConfig) -> list[Ranked]:
    """``answers_first`` over a search's pool: ``asking`` holds the notes that ask among
    the first 2·k of it (``asking_shares``; a question just below the top k can still lift
    its reply into it)."""
    if not asking:
        return ranked
    return answers_first(ranked, asking, store.replies(user_id, list(asking)),
                         config.answer_share, config.question_discount)
