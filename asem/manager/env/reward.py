"""The frozen answerer and the reward: probe accuracy minus the cost of what is stored.

The answerer retrieves the single long-term note nearest to the question (cosine, as the
read path's dense channel) and extracts an answer from it:

- a list slot ("What are my dogs called?"): every known value named in a sentence that is
  not a retraction — correct when it is exactly the gold set;
- a single or activity slot ("Which city do I live in?"): the value named last in the last
  sentence that names one, or nothing if that sentence is a retraction ("I stopped going to
  the book club") or if an earlier sentence still says another value ("I live in Boston. I
  moved to Denver.": the old value is still said as current, and a reader cannot tell which
  holds) — correct when it equals the gold value; after a retraction (gold None)
  correct only when the note names no value at all (the old one should not come up);
- a real-stream probe (LongMemEval): correct when the note contains the gold answer (at
  least half of its content words, for some stated alternative);
- an episode's detail ("Where did I go hiking last weekend?"): the answerer reads the
  turns of the nearest notes in rank order, as the read path returns them (a note stands
  for all the turns on it, first said first); correct when the episode's own turn is among
  the first ``EVIDENCE_TURNS`` and its note still says the detail. This is what a merge of
  unrelated things costs with no labels at all: a note holding many turns pushes them out
  of the top ranks, and a blend of topics embeds far from each of them.

Short-term notes are not read: the cache expires unless the note is confirmed. Reward
functions are plain callables ``(memory, probes, decision) -> float``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from asem.manager import text
from asem.manager.env.sim import EmbeddingCache, SimMemory, SimNote
from asem.manager.env.streams import Probe
from asem.types import Decision, Op

MIN_SIMILARITY = 0.2
"""Below this cosine the answerer finds nothing (and answers nothing)."""
EVIDENCE_TURNS = 3
"""An episode's turn must be among the first this many turns the answerer reads."""
Reward = Callable[[SimMemory, Sequence[Probe], Decision], float]


def _named(sentence: str, vocabulary: Sequence[str]) -> list[tuple[int, str]]:
    low = sentence.lower()
    found = []
    for value in vocabulary:
        match = re.search(r"\b" + re.escape(value.lower()) + r"\b", low)
        if match:
            found.append((match.start(), value))
    return sorted(found)


def extract(probe: Probe, note: SimNote | None) -> frozenset[str] | str | None:
    """The answerer's answer to ``probe`` read from ``note`` (None: nothing)."""
    if note is None:
        return frozenset() if probe.kind == "list" else None
    sentences = text.sentences(note.content)
    if probe.kind == "list":
        return frozenset(v for s in sentences if not text.retracts(s)
                         for _, v in _named(s, probe.vocabulary))
    said = [None if text.retracts(s) else named[-1][1] for s in sentences
            if (named := _named(s, probe.vocabulary))]
    if not said or said[-1] is None:
        return None
    return said[-1] if all(v in (None, said[-1]) for v in said) else None


def _names_any(probe: Probe, note: SimNote | None) -> bool:
    return note is not None and bool(_named(note.content, probe.vocabulary))


def contains_answer(gold: str, content: str) -> bool:
    """Half the content words of one stated alternative ("25:50 (or 25 minutes)") appear."""
    have = text.content_words(content) | set(text.words(content))
    for alternative in re.split(r"\(or |\bor\b|;", gold):
        want = text.content_words(alternative) or frozenset(text.words(alternative))
        if want and len(want & have) / len(want) >= 0.5:
            return True
    return False


def ranked_notes(memory: SimMemory, questions: Sequence[str],
                 embed: EmbeddingCache) -> list[list[SimNote]]:
    """Long-term notes at or above MIN_SIMILARITY to each question, nearest first."""
    notes = memory.long_term()
    if not notes:
        return [[] for _ in questions]
    sims = (np.stack([embed(q, "query") for q in questions])
            @ np.stack([n.embedding for n in notes]).T)
    order = np.argsort(-sims, axis=1, kind="stable")
    return [[notes[j] for j in row if sims[i, j] >= MIN_SIMILARITY]
            for i, row in enumerate(order)]


def evidence_found(probe: Probe, ranked: Sequence[SimNote]) -> bool:
    """The episode's turn is among the first EVIDENCE_TURNS turns read, on a note that
    still says the detail."""
    seen = 0
    for note in ranked:
        for turn in note.turns:
            if turn == probe.turn:
                return str(probe.gold).lower() in note.content.lower()
            seen += 1
            if seen >= EVIDENCE_TURNS:
                return False
    return False


def correct(probe: Probe, note: SimNote | None) -> bool:
    if probe.kind == "text":
        if probe.gold is None:  # a user's retracted answer: none of the earlier ones comes up
            return note is None or not any(contains_answer(old, note.content)
                                           for old in probe.vocabulary)
        return note is not None and contains_answer(str(probe.gold), note.content)
    if probe.gold is None:  # retracted: the memory should no longer bring the old value up
        return not _names_any(probe, note)
    return extract(probe, note) == probe.gold


def probe_results(memory: SimMemory, probes: Sequence[Probe],
                  embed: EmbeddingCache) -> list[bool]:
    ranked = ranked_notes(memory, [p.question for p in probes], embed) if probes else []
    return [evidence_found(p, r) if p.kind == "detail" else correct(p, r[0] if r else None)
            for p, r in zip(probes, ranked, strict=True)]


def probe_accuracy(memory: SimMemory, probes: Sequence[Probe], embed: EmbeddingCache) -> float:
    return float(np.mean(probe_results(memory, probes, embed))) if probes else 1.0


@dataclass(frozen=True)
class Costs:
    """What storing costs, in units of probe accuracy (one probe of six ≈ 0.17).

    ``per_note``: bounded memory (a short-term note costs half). ``per_extra_slot``: a note
    mixing facts about different things (SPEC stage 1: notes are atomic) costs this for each
    thing beyond the first. ``per_word``: long notes cost more to store and read.
    """

    per_note: float = 0.03
    per_extra_slot: float = 0.06
    per_word: float = 0.001
    per_edit: float = 0.03
    """An UPDATE or DELETE rewrites and re-embeds a note and keeps a history row: it costs
    what storing a note costs, so rewriting a note with a restatement (or a repeat) is worse
    than a NOOP onto it (at 0.01 the policy could hardly tell the two apart)."""
    per_attribution: float = 0.02
    """Credit for an input recorded on a note about the same thing (provenance that
    evidence recall follows); a NOOP onto the right note beats discarding a repeat."""
    per_misattribution: float = 0.02
    """Cost of an input recorded on a note about something else."""
    per_misdeletion: float = 0.1
    """Cost of deleting a note about something other than the input: it destroys what no
    probe may be asking about yet (without it, deleting any note that no current probe
    needs saves its storage cost and looks like a gain)."""


def memory_cost(memory: SimMemory, costs: Costs = Costs()) -> float:
    total = 0.0
    for note in memory.notes:
        share = 1.0 if note.tier.value == "long_term" else 0.5
        total += share * costs.per_note + costs.per_extra_slot * max(len(note.slots) - 1, 0)
        total += costs.per_word * len(text.words(note.content))
    return (total - costs.per_attribution * memory.attributed
            + costs.per_misattribution * memory.misattributed
            + costs.per_misdeletion * memory.misdeleted)


def make_reward(embed: EmbeddingCache, costs: Costs = Costs()) -> Reward:
    """The training reward: probe accuracy of the memory minus its storage cost."""
    def reward(memory: SimMemory, probes: Sequence[Probe], decision: Decision) -> float:
        edit = costs.per_edit if decision.op in (Op.UPDATE, Op.DELETE) else 0.0
        return probe_accuracy(memory, probes, embed) - memory_cost(memory, costs) - edit
    return reward
