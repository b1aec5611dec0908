"""Distil and answer (SPEC stage 4): pick the fewest retrieved notes that answer the
question, answer from them, and abstain when the memory does not hold the answer.

Notes are shown to the model as numbers 1..n; cited numbers outside that range are
dropped, so an answer can only ever cite notes that were actually retrieved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asem.llm.base import LLM
from asem.llm.retry import RetryPolicy
from asem.llm.structured import ask
from asem.llm.usage import Usage, UsageMeter
from asem.prompts import answer as prompt
from asem.prompts.answer import Evidence, is_abstention
from asem.types import Hit, Note
from asem.write.evolve import SEPARATOR


@dataclass(frozen=True)
class Answer:
    """An answer, the notes it rests on, and the retrieval id to give feedback on."""

    question: str
    text: str
    note_ids: tuple[str, ...]
    """The distilled subset: the retrieved notes the answer cites."""
    abstained: bool
    """True when the memory holds no answer (``text`` then says so)."""
    retrieval_id: str
    hits: tuple[Hit, ...]
    usage: Usage
    """LLM calls and tokens this answer cost."""

    def to_dict(self) -> dict[str, object]:
        return {"question": self.question, "answer": self.text, "note_ids": list(self.note_ids),
                "abstained": self.abstained, "retrieval_id": self.retrieval_id,
                "usage": self.usage.to_dict()}


@dataclass(frozen=True)
class Distilled:
    text: str
    cited: tuple[int, ...]
    """0-based positions of the cited evidence."""
    abstained: bool


def distil_and_answer(question: str, evidence: Sequence[Evidence], llm: LLM,
                      meter: UsageMeter, max_tokens: int = 160,
                      retry: RetryPolicy | None = None) -> Distilled:
    """One call: the cited subset of ``evidence`` and the answer drawn from it."""
    if not evidence:  # nothing retrieved: say so without asking the model
        return Distilled(prompt.UNKNOWN, (), True)
    reply = ask(llm, prompt.build(question, evidence), prompt.AnswerReply, meter=meter,
                max_tokens=max_tokens, retry=retry)
    cited = tuple(n - 1 for n in reply.evidence if 1 <= n <= len(evidence))
    abstained = is_abstention(reply.answer)
    return Distilled(prompt.UNKNOWN if abstained else reply.answer,
                     () if abstained else cited, abstained)


def evidence_of(note: Note) -> Evidence:
    """A note as the answerer sees it: content, speaker, when it was said, and whatever the
    context adds beyond speaker and date (resolved dates, the model's sentence)."""
    speaker = note.speaker
    context = note.context
    if speaker and context.startswith(f"{speaker}, on "):
        ends = [i for i in (context.find(";"), context.find(SEPARATOR)) if i >= 0]
        context = context[min(ends):].lstrip(";— ").strip() if ends else ""
    return Evidence(note.content, speaker, note.observed_at, context)
