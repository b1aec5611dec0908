"""The memory manager seam (SPEC stage 2), the rule manager and the always-ADD baseline.

A policy sees the new information and its k nearest notes (as indexed candidates) and
returns a Decision. The learned (GRPO) and LLM-prompted policies implement the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import numpy as np

from asem.types import Decision, Op, Tier


@dataclass(frozen=True)
class Candidate:
    """An existing note near the new information."""

    note_id: str
    content: str
    """The note's current content (what an UPDATE would merge into)."""
    similarity: float
    """Cosine of the notes' embeddings (e), in [-1, 1]."""
    intent_similarity: float
    """Cosine of the raw-content embeddings (z), in [-1, 1]."""
    observed_at: datetime | None = None
    """When the note's content was last said (recency signal)."""
    tier: Tier = Tier.LONG_TERM
    speaker: str | None = None
    """Who said the note's content, when known."""
    intent: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The note's raw-content embedding (z), when the caller has it."""


@dataclass(frozen=True)
class Proposal:
    """New information as the manager sees it."""

    content: str
    speaker: str | None
    candidates: Sequence[Candidate]
    """Nearest first. A decision's target must be one of them."""
    observed_at: datetime | None = None
    """When the new information was said."""
    replies_to: str | None = None
    """The note holding the turn just before this one in its conversation, when someone
    else said it: what this input answers. An answer is no restatement of the turn it
    answers ("Yeah, customizing … is what makes it unique" after "It's all about those small
    details that make it unique"), whatever words they share."""
    intent: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The raw-content embedding (z) of the new information, when the caller has it."""
    embedder: str | None = None
    """The model id of the embedder that made ``intent`` and the candidates' embeddings
    (None: not known); readings learnt on one embedder's vectors skip another's."""


class ManagerPolicy(Protocol):
    """Chooses ADD / UPDATE / DELETE / NOOP, a target among the candidates, and a tier."""

    def decide(self, proposal: Proposal) -> Decision:
        ...


class RuleManager:
    """ADD everything, except NOOP for a near-duplicate of a candidate."""

    def __init__(self, duplicate_similarity: float = 0.97) -> None:
        self.duplicate_similarity = duplicate_similarity

    def decide(self, proposal: Proposal) -> Decision:
        for candidate in proposal.candidates:
            if candidate.intent_similarity >= self.duplicate_similarity:
                return Decision(
                    Op.NOOP, candidate.note_id,
                    reason=f"near-duplicate of {candidate.note_id} "
                           f"(cosine {candidate.intent_similarity:.3f})",
                )
        return Decision(Op.ADD, tier=Tier.LONG_TERM, reason="new information")


class AlwaysAdd:
    """ADD every input as a new long-term note: no consolidation (the A-MEM-style baseline).

    Exact repeats of stored content still merge: the write path dedupes by content hash
    before any policy is asked.
    """

    def decide(self, proposal: Proposal) -> Decision:
        return Decision(Op.ADD, tier=Tier.LONG_TERM, reason="always add")


class AlwaysMerge:
    """UPDATE the nearest candidate with the input appended on a line of its own; ADD when
    there is none. Nothing is ever replaced, so every input stays findable: the policy
    concurrency tests and ``benchmarks/contention.py`` merge with (not a real manager)."""

    def decide(self, proposal: Proposal) -> Decision:
        if not proposal.candidates:
            return Decision(Op.ADD, tier=Tier.LONG_TERM, reason="nothing to merge into")
        nearest = proposal.candidates[0]
        return Decision(Op.UPDATE, nearest.note_id,
                        merged_content=f"{nearest.content}\n{proposal.content}",
                        reason="always merge")


def checked(decision: Decision, candidates: Sequence[Candidate]) -> Decision:
    """``decision`` if its target is one of the candidates, else a safe replacement.

    A policy (an LLM above all) may name a note it was not shown; that target is rejected
    and the input is added instead, so nothing outside the candidate set is ever touched
    (SPEC stage 2). A NOOP without a target has nothing to attach to: it discards.
    """
    if decision.op is Op.ADD:
        return decision
    if decision.op is Op.SUPERSEDE:  # a result op; as a decision, a DELETE that changes a fact
        decision = replace(decision, op=Op.DELETE, supersedes=True)
    if decision.target_id is None and decision.op is Op.NOOP:
        return Decision(Op.ADD, tier=Tier.DISCARD, reason=decision.reason or "nothing to keep")
    if decision.target_id not in {c.note_id for c in candidates}:
        return Decision(Op.ADD, tier=Tier.LONG_TERM,
                        reason=f"rejected {decision.op.value} of {decision.target_id!r} (not a "
                               f"candidate); added instead")
    return decision
