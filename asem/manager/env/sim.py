"""A simulated memory for training: notes as (content, embedding, tier, slots) in a tuple.

Applying an action returns a new memory (the old one is untouched), so the G actions of a
GRPO group are each applied to their own copy of the same state (SPEC stage 2). Texts are
embedded with the real embedder, each distinct text once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from asem.providers.embedder import Embedder
from asem.types import Decision, Op, Tier
from asem.write.manager import Candidate, Proposal

EPOCH = datetime(2024, 1, 1)
"""Event t of a stream is said on day t after this."""


class EmbeddingCache:
    """Embeddings of texts by the real embedder, computed once per distinct text."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def warm(self, texts: Sequence[str], kind: str = "document") -> None:
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self._cache))
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            for t, v in zip(chunk, self.embedder.embed(chunk, kind=kind), strict=True):
                self._cache[kind, t] = np.asarray(v, dtype=np.float32)

    def __call__(self, text: str, kind: str = "document") -> np.ndarray:
        if (kind, text) not in self._cache:
            self.warm([text], kind)
        return self._cache[kind, text]


@dataclass(frozen=True)
class SimNote:
    id: str
    content: str
    embedding: np.ndarray
    tier: Tier
    slots: frozenset[str]
    """The environment's ground truth: which slots the note speaks of."""
    day: int
    turns: tuple[int, ...] = ()
    """Provenance: the events (turns) recorded on the note, first said first — what the
    read path returns for the note, in this order."""


@dataclass(frozen=True)
class SimMemory:
    notes: tuple[SimNote, ...] = ()
    next_id: int = 0
    attributed: int = 0
    """Inputs about a slot whose turn is now recorded on a note about that slot (ADD, or
    UPDATE / NOOP of such a note): provenance that evidence recall can follow."""
    misattributed: int = 0
    """Inputs recorded on a note about something else (chit-chat included)."""
    misdeleted: int = 0
    """Notes deleted by an input about something else."""

    def proposal(self, content: str, embedding: np.ndarray, day: int, k: int) -> Proposal:
        """What the write path would show a manager: the k nearest notes, nearest first."""
        if not self.notes:
            return Proposal(content, None, (), EPOCH + timedelta(days=day), intent=embedding)
        sims = np.stack([n.embedding for n in self.notes]) @ embedding
        order = np.argsort(-sims, kind="stable")[:k]
        candidates = tuple(
            Candidate(self.notes[i].id, self.notes[i].content, float(sims[i]), float(sims[i]),
                      EPOCH + timedelta(days=self.notes[i].day), self.notes[i].tier,
                      intent=self.notes[i].embedding)
            for i in order)
        return Proposal(content, None, candidates, EPOCH + timedelta(days=day),
                        intent=embedding)

    def apply(self, decision: Decision, content: str, slot: str | None, day: int,
              embed: EmbeddingCache) -> SimMemory:
        """The memory after ``decision`` on input ``content`` (about ``slot``), said as
        event (turn) ``day``."""
        slots = frozenset([slot]) if slot else frozenset()
        notes = list(self.notes)
        at = {n.id: i for i, n in enumerate(notes)}
        target = at.get(decision.target_id or "")
        if decision.op in (Op.NOOP, Op.UPDATE) and target is not None:
            fits = slot is not None and slot in notes[target].slots
            mem = replace(self, attributed=self.attributed + fits,
                          misattributed=self.misattributed + (not fits))
            old = notes[target]
            turns = old.turns + (day,)
            if decision.op is Op.NOOP:
                notes[target] = replace(old, turns=turns)
                return replace(mem, notes=tuple(notes))
            text = decision.merged_content or content
            kept = old.slots | slots if text != content else slots
            notes[target] = replace(old, content=text, embedding=embed(text), slots=kept,
                                    day=day, tier=Tier.LONG_TERM, turns=turns)
            return replace(mem, notes=tuple(notes))
        mem = self
        if decision.op is Op.DELETE and target is not None:
            wrong = slot is None or slot not in notes[target].slots
            mem = replace(self, misdeleted=self.misdeleted + wrong)
            del notes[target]
        if decision.tier is Tier.DISCARD or decision.op is Op.NOOP:
            return replace(mem, notes=tuple(notes))
        notes.append(SimNote(f"n{self.next_id}", content, embed(content), decision.tier,
                             slots, day, (day,)))
        return replace(mem, notes=tuple(notes), next_id=self.next_id + 1,
                       attributed=self.attributed + (slot is not None))

    def long_term(self) -> list[SimNote]:
        """What outlives the short-term cache: the notes probes are answered from."""
        return [n for n in self.notes if n.tier is Tier.LONG_TERM]
