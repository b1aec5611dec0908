"""The learned manager: a trained checkpoint behind the ManagerPolicy protocol."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np

from asem.manager import attribute, cardinality, news, policy, replaces, text
from asem.manager.features import MAX_MERGE_CHARS, Features, features
from asem.types import Decision, Op, Tier
from asem.write.manager import Candidate, Proposal
from asem.write.pipeline import retraction_reason

DEFAULT_CHECKPOINT = "manager-grpo.npz"
"""The checkpoint of the manager ``learned`` inside the package (``asem/manager/assets``),
and what ``LearnedManager.load()`` loads."""
ATTRIBUTE_CHECKPOINT = "manager-attribute.npz"
"""The checkpoint retrained with the same-attribute feature (manager ``learned-attribute``,
the default): it supersedes changes and keeps facts apart where ``learned`` merged them
(docs/manager.md, "The same-attribute feature")."""


def asset(name: str) -> Path:
    """A file of ``asem/manager/assets``."""
    return Path(str(resources.files("asem.manager") / "assets" / name))


def default_checkpoint_path() -> Path:
    return asset(DEFAULT_CHECKPOINT)


class LearnedManager:
    """Picks the most probable action of the trained policy (no sampling at inference).

    >>> from asem.write.manager import Candidate, Proposal
    >>> manager = LearnedManager.load()
    >>> buddy = Candidate("n1", "I adopted a dog named Buddy.", 0.8, 0.8)
    >>> d = manager.decide(Proposal("I adopted another dog named Scout.", None, [buddy]))
    >>> d.op.value, d.target_id, d.merged_content
    ('UPDATE', 'n1', 'I adopted a dog named Buddy. I adopted another dog named Scout.')
    """

    def __init__(self, params: policy.Params, meta: dict | None = None) -> None:
        self.params = params
        self.meta = meta or {}
        self.columns = policy.columns(self.meta) if "x_features" in self.meta else None
        self.projection = self.meta.get("attribute", attribute.ASSET)
        """The attribute projection its ``same_attribute`` feature was trained on."""

    @classmethod
    def load(cls, path: str | Path | None = None) -> LearnedManager:
        """The checkpoint at ``path``, or the one shipped with the package. One that names
        no attribute projection was trained on ``attribute.LEGACY``."""
        params, meta = policy.load(path or default_checkpoint_path())
        return cls(params, {"attribute": attribute.LEGACY, **meta})

    def forward(self, f: Features) -> policy.Forward:
        """The policy on ``f``, reading only the features the checkpoint was trained on."""
        if self.columns is not None:
            x, pairs = self.columns
            f = replace(f, x=f.x[x], pairs=f.pairs[:, pairs])
        return policy.forward(self.params, f)

    def probabilities(self, proposal: Proposal) -> np.ndarray:
        return self._read(proposal)[2]

    def _read(self, proposal: Proposal) -> tuple[Features, policy.Forward, np.ndarray]:
        """The proposal's features, the policy on them, and its action probabilities."""
        f = features(proposal, projection=self.projection)
        forward = self.forward(f)
        return f, forward, np.exp(policy.log_softmax(forward.logits))

    def decide(self, proposal: Proposal) -> Decision:
        """The most probable action, with a DELETE and an UPDATE-replace made safe for notes
        that say more than one thing (``retraction``, ``replacement``), an UPDATE-replace by
        an input that only says more of the note made a merge (``elaboration``), an ADD
        beside a note the input replaces and an UPDATE-merge into it made a replacement
        (``instead_of_add``, ``merge``), and a change of a fact marked as one
        (``supersession``)."""
        return supersession(self._decide(proposal), proposal)

    def _decide(self, proposal: Proposal) -> Decision:
        f, forward, probs = self._read(proposal)
        action = int(np.argmax(probs))
        decision = policy.to_decision(action, proposal, f" (p={probs[action]:.2f})")
        if decision.op is Op.ADD and decision.tier is not Tier.DISCARD:
            return instead_of_add(decision, proposal, f, forward.mask) or decision
        if decision.op is Op.DELETE:
            return retraction(decision, proposal)
        if decision.op is Op.UPDATE and decision.merged_content == proposal.content:
            return elaboration(decision, proposal) or replacement(decision, proposal)
        if decision.op is Op.UPDATE:
            return merge(decision, proposal, f)
        return decision


def instead_of_add(decision: Decision, proposal: Proposal, f: Features,
                   mask: np.ndarray) -> Decision | None:
    """The policy's ADD (kept) as a replacement of the note the input replaces: of the
    candidates the policy may replace (``mask``), the one the reading of changes
    (``replaces``) reads it as replacing most probably, at least ``replaces.bar()`` ("I'm
    on the 6:50 now." of "I take the 7:15 train."; "Also allergic to latex." stays beside
    "I'm allergic to shellfish."). Made safe as the policy's own replacement is
    (``elaboration``, ``replacement``). None: the ADD stands."""
    open_ = [j for j in range(len(f.pairs)) if mask[4 * j + policy.Targeted.REPLACE]]
    if not open_:
        return None
    p = _replacing(proposal, f, open_)
    best = int(np.argmax(p))
    if p[best] < replaces.bar():
        return None
    target = proposal.candidates[open_[best]]
    instead = Decision(Op.UPDATE, target.note_id, merged_content=proposal.content,
                       reason=f"{decision.reason}; replaces {target.note_id} "
                              f"(p={p[best]:.2f})")
    return elaboration(instead, proposal) or replacement(instead, proposal)


def _replacing(proposal: Proposal, f: Features, at: list[int]) -> np.ndarray:
    """The reading of changes on the candidates at ``at``; zero where it is not asked
    (``_asked``)."""
    asked = [i for i, j in enumerate(at) if _asked(proposal, proposal.candidates[j])]
    p = np.zeros(len(at))
    if asked:
        notes = [text.substance(proposal.candidates[at[i]].content) for i in asked]
        p[asked] = replaces.probabilities(text.substance(proposal.content), f.x, notes,
                                          f.pairs[[at[i] for i in asked]])
    return p


def supersession(decision: Decision, proposal: Proposal) -> Decision:
    """``decision`` with ``supersedes`` set when it changes the fact its target holds: a
    DELETE (the target no longer holds), or an UPDATE whose content drops a sentence of the
    target (it replaces a value: "My favourite food is sushi now." of "My favourite food is
    pizza."). An UPDATE that keeps every sentence of the target merges complementary facts
    ("I am allergic to shellfish too.") and supersedes nothing."""
    if decision.op is Op.DELETE:
        return replace(decision, supersedes=True)
    if decision.op is not Op.UPDATE:
        return decision
    kept = f" {text.normalised(decision.merged_content or proposal.content)} "
    target = _target(decision, proposal).content
    return replace(decision, supersedes=any(f" {text.normalised(s)} " not in kept
                                            for s in text.sentences(target)))


def replacement(decision: Decision, proposal: Proposal) -> Decision:
    """The policy's UPDATE-replace at decision time: a note that holds other facts keeps
    them (``text.untouched``) and the input replaces only the sentences it touches ("I
    started working at Initech instead of Stark Industries." replaces the job, not the
    garden, of "I have a job at Stark Industries. Weekends I volunteer at a community
    garden.")."""
    rest = text.untouched(_target(decision, proposal).content,
                          text.substance(proposal.content))
    if not rest:
        return decision
    return replace(decision, merged_content=" ".join([*rest, proposal.content]),
                   reason=f"{decision.reason}; the rest of the note kept")


def elaboration(decision: Decision, proposal: Proposal) -> Decision | None:
    """The policy's UPDATE-replace of a note the input only says more of (``news.adds_to``:
    "My Honda Civic needs new brakes." of "I drive a red Honda Civic."): a merge, the note
    is not what changed (added beside it if the note is too long to merge into). None for
    any other replacement."""
    target = _target(decision, proposal)
    if not news.adds_to(text.substance(proposal.content), text.substance(target.content)):
        return None
    return _merged(decision, target, proposal, "says more of the note")


def merge(decision: Decision, proposal: Proposal, f: Features) -> Decision:
    """The policy's UPDATE-merge at decision time. Merged, a change or a correction would
    leave the note saying both values: it replaces what it changes instead when the reading
    of changes (``replaces``) reads it so ("Actually my favourite colour is green." of "My
    favourite colour is blue.") or both read as one value at a time
    (``one_value_change``) and the reading of changes does not read it as surely adding
    (``_adds``), the note's other sentences kept, and history keeps the old content. Any
    other merge stands: an input that says every word of the note need not say what the
    note means ("I ran into volunteers from the homeless shelter." of "I volunteer at the
    homeless shelter.")."""
    target = _target(decision, proposal)
    at = next(j for j, c in enumerate(proposal.candidates) if c.note_id == target.note_id)
    p = float(_replacing(proposal, f, [at])[0])
    if p >= replaces.bar():
        return replacement(replace(decision, merged_content=proposal.content,
                                   reason=f"{decision.reason}; replaces it (p={p:.2f})"),
                           proposal)
    if _adds(proposal, target, p):
        return replace(decision, reason=f"{decision.reason}; adds to it (p={p:.2f})")
    return one_value_change(decision, proposal, target) or decision


def _adds(proposal: Proposal, target: Candidate, p: float) -> bool:
    """The reading of changes, asked, reads the input as adding to the note as surely as
    it must read a replacement (at most ``1 - replaces.bar()``): "I also play golf." of
    "I play tennis.", which the one-value reading of each sentence alone would replace."""
    return _asked(proposal, target) and p <= 1 - replaces.bar()


def _asked(proposal: Proposal, candidate: Candidate) -> bool:
    """Whether the reading of changes is asked of the candidate: both texts as short as
    what it was fitted on (``replaces.asked``), their cosine at least
    ``replaces.MIN_COSINE``."""
    return (candidate.intent_similarity >= replaces.MIN_COSINE
            and replaces.asked(text.substance(proposal.content),
                               text.substance(candidate.content)))


def one_value_change(decision: Decision, proposal: Proposal,
                     target: Candidate) -> Decision | None:
    """The policy's UPDATE-merge as a replacement when the input and the note both state an
    attribute that holds one value at a time (``cardinality.one_value`` at least
    ``cardinality.BAR`` for each: "I got a job at Amazon." of "I work at Microsoft."), the
    note's other sentences kept (``replacement``); history keeps the old content. None when
    either reads as a list ("I'm allergic to shellfish too."), when another embedder than
    the one the reading was fitted on made the embeddings, or when the note says more than
    one thing and which of its sentences the input changes is unknown."""
    x = cardinality.one_value(proposal.intent, proposal.embedder)
    note = cardinality.one_value(target.intent, proposal.embedder)
    if x is None or note is None or min(x, note) < cardinality.BAR:
        return None
    replaced = replacement(replace(decision, merged_content=proposal.content,
                                   reason=f"{decision.reason}; one value at a time "
                                          f"(p={min(x, note):.2f}): replaced"), proposal)
    if replaced.merged_content == proposal.content and len(text.sentences(target.content)) > 1:
        return None
    return replaced


def retraction(decision: Decision, proposal: Proposal) -> Decision:
    """What the policy's DELETE becomes at decision time. The policy learnt it on notes of
    one fact and on inputs that only retract, and its DELETE discards the input:

    - the note holds other facts (``text.untouched``): the note keeps them, without the
      sentences the input retracts ("I adopted a dog named Buddy." is left of Buddy and
      Scout after "We gave Scout away.");
    - the note lists another value (``text.lists_more``: "I play tennis and chess." and "I
      stopped playing chess."): the input is merged into it (added beside it if the note
      is too long to merge into);
    - the input says more than the retraction (``text.retracts_only``, ``news.reaches``:
      "I left the band and joined a choir."): the input is kept, as a note of its own or
      after what is left; one that names a change (``text.CHANGE``: "I quit nursing and
      became a teacher.") replaces the note instead, and history keeps what it said.
    """
    target = _target(decision, proposal)
    note, said = text.substance(target.content), text.substance(proposal.content)
    more = not text.retracts_only(said, note) or news.reaches(said, note)
    rest = text.untouched(target.content, said)
    if rest:  # the history row says what was said: the content may no longer hold it
        content = " ".join([*rest, proposal.content] if more else rest)
        return Decision(Op.UPDATE, target.note_id, merged_content=content,
                        reason=retraction_reason(f"{decision.reason}; the rest of the note "
                                                 "kept", proposal.content))
    if text.lists_more(note, said):
        return _merged(decision, target, proposal, "the note says more")
    if more and text.has_cue(said, text.CHANGE):
        return Decision(Op.UPDATE, target.note_id, merged_content=proposal.content,
                        reason=retraction_reason(f"{decision.reason}; a change: replaced",
                                                 proposal.content))
    if more:
        return replace(decision, tier=Tier.LONG_TERM,
                       reason=f"{decision.reason}; the input says more: kept")
    return decision


def _merged(decision: Decision, target: Candidate, proposal: Proposal, why: str) -> Decision:
    """The input merged into ``target`` (added beside it, long-term, if the note is too long
    to merge into); the reason says ``why``."""
    if len(target.content) >= MAX_MERGE_CHARS:
        return Decision(Op.ADD, tier=Tier.LONG_TERM, reason=f"{decision.reason}; {why}: added")
    return Decision(Op.UPDATE, target.note_id,
                    merged_content=text.merged(target.content, proposal.content),
                    reason=f"{decision.reason}; {why}: merged")


def _target(decision: Decision, proposal: Proposal) -> Candidate:
    return next(c for c in proposal.candidates if c.note_id == decision.target_id)
