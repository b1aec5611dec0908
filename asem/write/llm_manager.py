"""A memory manager that asks a language model (SPEC stage 2, prompted LLM policy).

The baseline the learned manager must beat. Candidates are shown as numbers 1..k; a target
outside them turns the decision into a plain ADD (nothing outside the candidate set is ever
touched), and when the model cannot be used at all the fallback policy decides, so a write
never fails because of the model. It makes ``add`` wait for one call per input: use it for
evaluation and offline ingestion, not on a latency-critical path.
"""

from __future__ import annotations

from asem.llm.base import LLM, LLMError
from asem.llm.retry import RetryPolicy
from asem.llm.structured import ask
from asem.llm.usage import UsageMeter
from asem.prompts import manage
from asem.types import Decision, Op, Tier
from asem.write.manager import ManagerPolicy, Proposal, RuleManager


class LLMManager:
    """ADD / UPDATE / DELETE / NOOP chosen by ``llm`` over the proposal's candidates."""

    def __init__(self, llm: LLM, *, meter: UsageMeter | None = None,
                 fallback: ManagerPolicy | None = None, max_tokens: int = 200,
                 retry: RetryPolicy | None = None) -> None:
        self.llm = llm
        self.retry = retry
        """Retries of transient failures (RetryPolicy's defaults when None)."""
        self.meter = meter or UsageMeter()
        self.fallback = fallback or RuleManager()
        self.max_tokens = max_tokens
        self.rejected = 0
        """Decisions whose target was outside the candidate set (made ADDs)."""

    def decide(self, proposal: Proposal) -> Decision:
        shown = list(proposal.candidates)
        if not shown:
            return Decision(Op.ADD, reason="no stored neighbours")
        try:
            reply = ask(self.llm, manage.build(proposal.content, proposal.speaker,
                                               [c.content for c in shown]),
                        manage.ManageReply, meter=self.meter, max_tokens=self.max_tokens,
                        retry=self.retry)
        except LLMError as e:
            decision = self.fallback.decide(proposal)
            return Decision(decision.op, decision.target_id, decision.tier,
                            decision.merged_content, f"{decision.reason} (model unusable: {e})")
        tier = Tier(reply.tier)
        if reply.operation == "ADD":
            return Decision(Op.ADD, tier=tier, reason=reply.reason or "new information")
        if not isinstance(reply.target, int) or not 1 <= reply.target <= len(shown):
            self.rejected += 1
            return Decision(Op.ADD, tier=tier, reason=f"model chose {reply.operation} on "
                            f"{reply.target!r}, not a candidate: added instead")
        target = shown[reply.target - 1].note_id
        op = Op(reply.operation)
        merged = reply.merged or None if op is Op.UPDATE else None
        if op is Op.UPDATE and not merged:
            return Decision(Op.ADD, tier=tier, reason="UPDATE without merged text: added")
        # The prompt's DELETE: the note is wrong or obsolete; kept as a past fact
        # (superseded). Its UPDATE combines both versions in one note: no supersession.
        return Decision(op, target, tier, merged, reply.reason or op.value.lower(),
                        supersedes=op is Op.DELETE)
