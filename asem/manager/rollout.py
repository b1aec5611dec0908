"""Running a policy through streams: probe accuracy, notes kept, and canonical cases.

Probe accuracy follows the policy's own decisions from an empty memory to the stream's end.
Canonical cases are judged teacher-forced: each event is decided on the memory that the
canonical decisions of all earlier events built, so one early mistake does not spoil
every later case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from asem.manager.env.reward import probe_results
from asem.manager.env.sim import EmbeddingCache, SimMemory
from asem.manager.env.streams import KINDS, Event, Stream
from asem.manager.features import K
from asem.manager.text import merged
from asem.types import Decision, Op, Tier
from asem.write.manager import ManagerPolicy, Proposal

Timer = Callable[[], float]
LABELLED = frozenset(KINDS)
"""Event kinds that carry a canonical decision (the built-in kinds; a user's labels are
these)."""


@dataclass
class StreamOutcome:
    correct: list[bool]
    notes: int
    decisions: list[Decision]
    seconds: list[float]


def run_stream(manager: ManagerPolicy, stream: Stream, embed: EmbeddingCache,
               clock: Timer | None = None) -> StreamOutcome:
    """The manager decides every event in order; the final probes are then asked."""
    embed.warm([e.text for e in stream.events])
    memory, decisions, seconds = SimMemory(), [], []
    for day, event in enumerate(stream.events):
        proposal = memory.proposal(event.text, embed(event.text), day, K)
        start = clock() if clock else 0.0
        decision = manager.decide(proposal)
        if clock:
            seconds.append(clock() - start)
        decisions.append(decision)
        memory = memory.apply(decision, event.text, event.slot, day, embed)
    return StreamOutcome(probe_results(memory, stream.final_probes, embed), len(memory.notes),
                         decisions, seconds)


def canonical(event: Event, proposal: Proposal, slot_note: str | None) -> Decision:
    """The labelled decision for ``event`` given the note holding its slot."""
    if event.kind == "novel" or (event.kind != "chit-chat" and slot_note is None):
        return Decision(Op.ADD, tier=Tier.LONG_TERM, reason=event.kind)
    if event.kind == "chit-chat":
        return Decision(Op.ADD, tier=Tier.DISCARD, reason=event.kind)
    if event.kind == "complementary":
        old = next((c.content for c in proposal.candidates if c.note_id == slot_note), "")
        return Decision(Op.UPDATE, slot_note, merged_content=merged(old, event.text)
                        if old else None, reason=event.kind)
    if event.kind == "changed":
        return Decision(Op.UPDATE, slot_note, merged_content=event.text, reason=event.kind)
    if event.kind == "retracted":
        return Decision(Op.DELETE, slot_note, tier=Tier.DISCARD, reason=event.kind)
    return Decision(Op.NOOP, slot_note, reason=event.kind)


def agrees(decision: Decision, label: Decision, memory: SimMemory, slot: str | None) -> bool:
    """Same op (chit-chat: discarded or cached short-term), and a target about the slot."""
    if label.reason == "chit-chat":
        return decision.op is Op.ADD and decision.tier in (Tier.DISCARD, Tier.SHORT_TERM)
    if decision.op is not label.op:
        return False
    if label.op is Op.ADD:
        return decision.tier is Tier.LONG_TERM
    target = next((n for n in memory.notes if n.id == decision.target_id), None)
    return target is not None and slot in target.slots


def label(event: Event, proposal: Proposal, memory: SimMemory) -> Decision | None:
    """The labelled decision for ``event`` on ``memory``; None for an event with no label
    (a real or user stream's)."""
    if event.kind not in LABELLED:
        return None
    holder = next((n.id for n in memory.notes if event.slot in n.slots), None)
    return canonical(event, proposal, holder)


def canonical_cases(manager: ManagerPolicy, stream: Stream,
                    embed: EmbeddingCache) -> list[tuple[str, bool, Decision]]:
    """(event kind, the manager agreed with the label, its decision) per labelled event.

    An event with no label takes the manager's own decision and is no case."""
    embed.warm([e.text for e in stream.events])
    memory, cases = SimMemory(), []
    for day, event in enumerate(stream.events):
        proposal = memory.proposal(event.text, embed(event.text), day, K)
        labelled = label(event, proposal, memory)
        decision = manager.decide(proposal)
        if labelled is not None:
            cases.append((event.kind, agrees(decision, labelled, memory, event.slot),
                          decision))
        memory = memory.apply(labelled or decision, event.text, event.slot, day, embed)
    return cases


def user_figures(manager, streams: Sequence[Stream], embed: EmbeddingCache,
                 progress: Callable[[int], None] | None = None) -> dict:
    """Probe accuracy, label agreement and notes per event of ``manager`` on a user's
    streams (None where the streams have no probes or no labels); ``progress(i)`` before
    stream i."""
    correct: list[bool] = []
    agreed: list[bool] = []
    notes = events = 0
    for i, stream in enumerate(streams):
        if progress:
            progress(i)
        outcome = run_stream(manager, stream, embed)
        correct += outcome.correct
        notes, events = notes + outcome.notes, events + len(stream.events)
        agreed += [ok for _, ok, _ in canonical_cases(manager, stream, embed)]
    return {"user_probe_accuracy": float(np.mean(correct)) if correct else None,
            "user_labels": float(np.mean(agreed)) if agreed else None,
            "user_notes_per_event": notes / max(events, 1)}
