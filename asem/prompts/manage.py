"""The LLM memory manager's prompt (SPEC stage 2): ADD, UPDATE, DELETE or NOOP for new
information against its k nearest notes, which the model sees as numbers 1..k."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field

from asem.llm.base import ChatMessage
from asem.prompts.fields import Sentence

SYSTEM = ("You maintain a long-term memory of facts. You decide what to do with new "
          "information given the most similar stored notes. Reply with one JSON object only.")


def _upper(value: object) -> object:
    return str(value).strip().upper() if isinstance(value, str) else value


def _target(value: object) -> object:
    if value in (None, "", "null", "none"):
        return None
    digits = "".join(c for c in str(value) if c.isdigit())
    return int(digits) if digits else value


def _tier(value: object) -> object:
    text = str(value or "long_term").strip().lower().replace("-", "_").replace(" ", "_")
    return "short_term" if text.startswith("short") else "long_term"


class ManageReply(BaseModel):
    operation: Annotated[Literal["ADD", "UPDATE", "DELETE", "NOOP"], BeforeValidator(_upper)] = (
        Field(validation_alias=AliasChoices("operation", "op", "action", "event")))
    target: Annotated[int | None, BeforeValidator(_target)] = Field(
        None, validation_alias=AliasChoices("target", "note", "id", "index"))
    merged: Sentence = Field("", validation_alias=AliasChoices("merged", "text", "content",
                                                               "updated", "memory"))
    tier: Annotated[Literal["long_term", "short_term"], BeforeValidator(_tier)] = "long_term"
    reason: Sentence = ""


def build(new: str, speaker: str | None, candidates: Sequence[str]) -> list[ChatMessage]:
    who = f"{speaker}: " if speaker else ""
    lines = [f"New information: {who}{new}", "", "Stored notes:"]
    lines += [f"[{i}] {text}" for i, text in enumerate(candidates, start=1)] or ["(none)"]
    lines += [
        "",
        'Reply as {"operation": ..., "target": note number or null, "merged": "...", '
        '"tier": "long_term" or "short_term", "reason": "a few words"}.',
        "ADD: new information no note holds. UPDATE target: the note holds a related or older "
        "version of this fact; merged is one note combining both. DELETE target: the new "
        "information shows that note is wrong or obsolete (the new one is then added). "
        "NOOP target: a note already says this. short_term: small talk or passing details.",
    ]
    return [ChatMessage("system", SYSTEM), ChatMessage("user", "\n".join(lines))]
