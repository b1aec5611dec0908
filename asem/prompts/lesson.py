"""The experience prompt (SPEC stage 5, optional): one interaction — the question, what was
answered from which notes, and the reward — as a one-sentence lesson for next time."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import AliasChoices, BaseModel, Field

from asem.llm.base import ChatMessage

SYSTEM = ("You keep an agent's memory of its own experience. Write one short sentence an agent "
          "can act on next time. Reply with one JSON object only.")


class LessonReply(BaseModel):
    lesson: str = Field(min_length=3, max_length=400,
                        validation_alias=AliasChoices("lesson", "sentence", "text"))


def build(query: str, answer: str | None, reward: float, notes: Sequence[str]) -> list[ChatMessage]:
    outcome = "worked" if reward > 0 else "failed" if reward < 0 else "was neither good nor bad"
    lines = [f"Question: {query or '(none recorded)'}",
             f"Answer given: {answer or '(not recorded)'}",
             f"Outcome: it {outcome} (reward {reward:+.2f} on a scale from -1 to 1).",
             "Memory notes used:"]
    lines += [f"- {text}" for text in notes] or ["- (none)"]
    lines += ["", 'Reply as {"lesson": "<one sentence: what to do or avoid next time for a '
                  'question like this>"}']
    return [ChatMessage("system", SYSTEM), ChatMessage("user", "\n".join(lines))]
