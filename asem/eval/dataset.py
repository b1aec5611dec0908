"""The dataset-neutral shape every retrieval benchmark is loaded into.

A ``Case`` is one scope of memory (a LoCoMo conversation, a LongMemEval question's haystack,
a multi-hop passage corpus): the turns a system indexes and the queries asked of it, each
with the ids of its evidence turns. Turns that are too long for the embedder's window are
split into chunks that keep their turn id, so a hit on any chunk is a hit on the turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

CHUNK_WORDS = 128
"""Longest chunk, in words. all-MiniLM-L6-v2 reads 256 word pieces; chat English runs at
~1.3–1.5 pieces per word, and ASEM's note text adds a context line, so 128 words keep a chunk
inside the window with room to spare (longer text would be silently truncated)."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Turn:
    dia_id: str
    """The turn id evidence refers to (shared by every chunk of a long turn)."""
    speaker: str
    """'' where the dataset has no speaker worth indexing."""
    text: str
    session_id: str
    timestamp: datetime | None


@dataclass(frozen=True)
class Query:
    id: str
    question: str
    evidence: tuple[str, ...]
    """Ids of the turns that hold the answer (at least one)."""
    category: str
    asked_at: datetime | None = None
    """When the question is asked, where the data says (relative dates in it are read
    against it; None: now)."""


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[Turn, ...]
    queries: tuple[Query, ...]

    @property
    def turn_count(self) -> int:
        """Distinct turns (chunks of one turn count once)."""
        return len(self.session_of)

    @cached_property
    def session_of(self) -> dict[str, str]:
        """Turn id → session id."""
        return {t.dia_id: t.session_id for t in self.turns}

    @cached_property
    def text_of(self) -> dict[str, str]:
        """Turn id → its text (the chunks of a long turn joined again)."""
        texts: dict[str, list[str]] = {}
        for turn in self.turns:
            texts.setdefault(turn.dia_id, []).append(turn.text)
        return {turn_id: " ".join(parts) for turn_id, parts in texts.items()}

    @cached_property
    def speaker_words(self) -> frozenset[str]:
        """The words of every speaker label, lower-cased."""
        return frozenset(word.lower() for t in self.turns for word in t.speaker.split())


def raw_document(turn: Turn) -> str:
    """A turn as a plain document for the raw-turn baselines: 'Speaker: text' (or the text)."""
    return f"{turn.speaker}: {turn.text}" if turn.speaker else turn.text


def chunk_text(text: str, max_words: int = CHUNK_WORDS) -> list[str]:
    """``text`` in pieces of at most ``max_words`` words, cut at sentence ends where it can."""
    words = text.split()
    if len(words) <= max_words:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in (s for s in _SENTENCE_END.split(text) if s.strip()):
        tokens = sentence.split()
        while tokens:  # a sentence longer than a chunk is cut by words
            room = max_words - len(current)
            if len(tokens) > room and current:
                pieces.append(" ".join(current))
                current = []
                continue
            current += tokens[:max_words]
            tokens = tokens[max_words:]
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunked(turns: Iterable[Turn], max_words: int = CHUNK_WORDS) -> tuple[Turn, ...]:
    """``turns`` with every over-long turn replaced by its chunks (same id, session, time)."""
    return tuple(replace(turn, text=piece) for turn in turns
                 for piece in chunk_text(turn.text, max_words))


def select(items: Sequence[object], *, stride: int = 1, limit: int | None = None,
           offset: int = 0) -> list:
    """Every ``stride``-th item from the ``offset``-th (0: the first), then at most ``limit``
    of them. Samples with one stride and different offsets do not overlap, so one can be used
    to choose a setting and another to check it."""
    if stride < 1 or (limit is not None and limit < 1):
        raise ValueError("stride and limit must be positive")
    if not 0 <= offset < stride:
        raise ValueError("offset must be at least 0 and less than the stride")
    chosen = list(items[offset::stride])
    return chosen if limit is None else chosen[:limit]
