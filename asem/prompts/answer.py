"""The answer agent's prompt (SPEC stage 4, distillation): cite the fewest notes that
answer the question, answer from them, or say the memory does not hold the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, field_validator

from asem.llm.base import ChatMessage
from asem.prompts.fields import Answer

UNKNOWN = "unknown"
SYSTEM = ("You answer questions from a person's memory notes. Use only the notes. Be brief. "
          "Reply with one JSON object only.")


@dataclass(frozen=True)
class Evidence:
    """One retrieved note as the answerer sees it."""

    text: str
    speaker: str | None = None
    when: datetime | None = None
    context: str = ""


def _numbers(value: object) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    found = []
    for item in value:
        digits = "".join(c for c in str(item) if c.isdigit())
        if digits:
            found.append(int(digits))
    return list(dict.fromkeys(found))[:10]


class AnswerReply(BaseModel):
    evidence: Annotated[list[int], BeforeValidator(_numbers)] = Field(
        default_factory=list,
        validation_alias=AliasChoices("evidence", "notes", "note_ids", "cited", "sources"))
    answer: Answer = Field(validation_alias=AliasChoices("answer", "response", "reply"))

    @field_validator("answer")
    @classmethod
    def _not_the_instructions(cls, value: str) -> str:
        if _echoes_instructions(value):
            raise ValueError(f"{value!r} repeats the instructions; write the answer itself "
                             f"(or {UNKNOWN!r})")
        return value


_INSTRUCTION_ECHOES = ("short answer", "a few words", "your answer", "ten words")


def _echoes_instructions(answer: str) -> bool:
    """A small model sometimes copies the format's description instead of answering."""
    low = answer.lower()
    return any(echo in low for echo in _INSTRUCTION_ECHOES)


def build(question: str, notes: Sequence[Evidence]) -> list[ChatMessage]:
    lines = ["Notes:"]
    for number, note in enumerate(notes, start=1):
        when = f"({note.when:%d %B %Y}) " if note.when else ""
        who = f"{note.speaker}: " if note.speaker else ""
        extra = f" [{note.context}]" if note.context else ""
        lines.append(f"[{number}] {when}{who}{note.text}{extra}")
    if not notes:
        lines.append("(none)")
    lines += [
        "",
        f"Question: {question}",
        "",
        'Reply with a JSON object with two keys: "evidence", the list of the numbers of '
        'the fewest notes that answer the question, and "answer", your answer in at most '
        'ten words. Use dates from the notes for when-questions. Check that the notes say '
        'it of the person the question names: a note in which someone else did it does '
        'not answer. If the notes do not answer the question, reply '
        f'{{"evidence": [], "answer": "{UNKNOWN}"}}.',
    ]
    return [ChatMessage("system", SYSTEM), ChatMessage("user", "\n".join(lines))]


_ABSTAIN = ("unknown", "not mentioned", "no information", "not enough information",
            "i don't know", "i do not know", "cannot be determined", "not specified",
            "the notes do not", "no answer", "not stated", "none")


def is_abstention(answer: str) -> bool:
    """True when the answer says the memory does not hold it."""
    text = answer.strip().lower().strip(".!")
    return not text or any(text.startswith(p) for p in _ABSTAIN)
