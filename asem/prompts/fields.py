"""Lenient field types shared by the response models.

Small models write a string where a list belongs, 12 tags where 3 were asked for, or a
paragraph for a sentence: these types coerce and trim instead of rejecting, so only
replies that are really unusable cost a re-prompt.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _terms(limit: int, chars: int):
    def coerce(value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [v for v in value.replace(";", ",").split(",")]
        if not isinstance(value, list):
            raise ValueError("must be a list of short strings")
        seen: dict[str, None] = {}
        for item in value:
            text = " ".join(str(item).split())[:chars].strip(" .,;")
            if text and text.lower() not in {s.lower() for s in seen}:
                seen[text] = None
        return list(seen)[:limit]
    return coerce


def _sentence(chars: int):
    def coerce(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        return " ".join(str(value).split())[:chars]
    return coerce


Keywords = Annotated[list[str], BeforeValidator(_terms(8, 40))]
Tags = Annotated[list[str], BeforeValidator(_terms(4, 30))]
Sentence = Annotated[str, BeforeValidator(_sentence(300))]
Answer = Annotated[str, BeforeValidator(_sentence(400))]
