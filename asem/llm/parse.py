"""Getting one JSON value out of what a model actually writes.

Local models wrap JSON in Markdown fences, prefix it with ``<think>…</think>`` reasoning,
add prose after it, or stop mid-object when they hit the token limit. This module finds the
JSON value, and closes a truncated one at its last complete element; the pydantic response
model then decides whether what is left is usable.
"""

from __future__ import annotations

import json
import re
from typing import Any

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)(?:```|$)", re.DOTALL)
_CLOSER = {"{": "}", "[": "]"}


class NoJSONError(ValueError):
    """The text holds no JSON object or array."""


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text``, repaired if it was cut short."""
    cleaned = _THINK.sub("", text or "")
    if "<think>" in cleaned.lower():  # reasoning never closed: the JSON, if any, is after it
        cleaned = cleaned[cleaned.lower().index("<think>") + len("<think>"):]
    fenced = _FENCE.search(cleaned)
    candidates = ([fenced.group(1)] if fenced else []) + [cleaned]
    for candidate in candidates:
        start = _first_bracket(candidate)
        if start is None:
            continue
        body = candidate[start:]
        try:
            return json.JSONDecoder().raw_decode(body)[0]
        except json.JSONDecodeError:
            repaired = _close_truncated(body)
            if repaired is not None:
                return repaired
    raise NoJSONError("the reply holds no JSON object" if not (text or "").strip()
                      else "the reply holds no parseable JSON object")


def _first_bracket(text: str) -> int | None:
    positions = [p for p in (text.find("{"), text.find("[")) if p >= 0]
    return min(positions) if positions else None


def _close_truncated(body: str) -> Any:
    """Parse ``body`` cut at its end or at its last top-level-safe comma, brackets closed."""
    stack: list[str] = []
    in_string = escaped = False
    cuts: list[tuple[int, list[str]]] = []  # (index of a comma, open brackets there)
    for i, char in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in _CLOSER:
            stack.append(char)
        elif char in "}]":
            if not stack:
                break
            stack.pop()
            if not stack:  # a complete value followed by junk that raw_decode disliked
                return None
        elif char == ",":
            cuts.append((i, list(stack)))
    attempts = []
    tail = body + ('"' if in_string else "")
    attempts.append(tail.rstrip().rstrip(",:") + "".join(_CLOSER[b] for b in reversed(stack)))
    for index, open_brackets in reversed(cuts[-8:]):
        attempts.append(body[:index] + "".join(_CLOSER[b] for b in reversed(open_brackets)))
    for attempt in attempts:
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            continue
    return None
