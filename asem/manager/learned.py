"""The learned manager: a trained checkpoint behind the ManagerPolicy protocol."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np

from asem.manager import policy, text
from asem.manager.features import features
from asem.types import Decision, Op, Tier
from asem.write.manager import Proposal

DEFAULT_CHECKPOINT = "manager-grpo.npz"
"""The checkpoint inside the package (``asem/manager/assets``)."""


def default_checkpoint_path() -> Path:
    return Path(str(resources.files("asem.manager") / "assets" / DEFAULT_CHECKPOINT))


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

    @classmethod
    def load(cls, path: str | Path | None = None) -> LearnedManager:
        """The checkpoint at ``path``, or the one shipped with the package."""
        return cls(*policy.load(path or default_checkpoint_path()))

    def probabilities(self, proposal: Proposal) -> np.ndarray:
        return np.exp(policy.log_softmax(policy.forward(self.params,
                                                        features(proposal)).logits))

    def decide(self, proposal: Proposal) -> Decision:
        """The most probable action. A DELETE keeps its input as a long-term note when the
        input says more than the retraction (``text.retracts_only``): the policy's DELETE
        discards it, as in training, where every retraction says nothing else."""
        probs = self.probabilities(proposal)
        action = int(np.argmax(probs))
        decision = policy.to_decision(action, proposal, f" (p={probs[action]:.2f})")
        if decision.op is Op.DELETE:
            target = next(c for c in proposal.candidates if c.note_id == decision.target_id)
            if not text.retracts_only(text.substance(proposal.content),
                                      text.substance(target.content)):
                return replace(decision, tier=Tier.LONG_TERM,
                               reason=f"{decision.reason}; the input says more: kept")
        return decision
