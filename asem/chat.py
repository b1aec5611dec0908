"""Chat input: messages as dicts or ``Message`` objects, and chat files (JSON or JSONL).

A message is ``{"speaker" | "role": str, "content" | "text": str, "timestamp"?: str,
"turn_id" | "id"?: str, "session_id"?: str}``. A JSON file holds a list of messages,
``{"messages": [...]}``, or ``{"sessions": [{"id", "timestamp", "messages": [...]}, ...]}``;
a JSONL file holds one message per line. A message of a file without an id gets its place
in the file as one (``chat.json#3``, the third message).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from asem.errors import InvalidInputError
from asem.types import Message


@dataclass(frozen=True)
class ChatTurn:
    """A message plus the session it came from (for provenance)."""

    message: Message
    session_id: str | None = None


def parse_timestamp(value: object, where: str = "timestamp") -> datetime | None:
    """ISO 8601 or a plain-English date ("1:56 pm on 8 May, 2023"); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise InvalidInputError(f"{where} must be a string such as 2024-05-08T13:56:00")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        pass
    import dateparser

    parsed = dateparser.parse(value, languages=["en"])
    if parsed is None:
        raise InvalidInputError(f"{where} {value!r} is not a date; use ISO 8601, e.g. "
                                "2024-05-08T13:56:00")
    return parsed


def to_message(raw: Message | Mapping[str, Any], where: str = "message") -> Message:
    if isinstance(raw, Message):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{where} must be an object with 'content', not "
                                f"{type(raw).__name__}")
    content = raw.get("content", raw.get("text"))
    if content is None:
        raise InvalidInputError(f"{where} has no 'content' (or 'text') field")
    return Message(
        content=content,
        speaker=label(raw.get("speaker", raw.get("role", raw.get("name"))), f"{where} speaker"),
        timestamp=parse_timestamp(raw.get("timestamp", raw.get("time")), f"{where} timestamp"),
        turn_id=label(raw.get("turn_id", raw.get("id", raw.get("dia_id"))), f"{where} id"),
    )


def label(value: object, where: str) -> str | None:
    """A speaker or an id as text: a string or a whole number (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInputError(f"{where} must be a string, not {type(value).__name__}")
    return str(value)


def to_messages(raw: Iterable[Message | Mapping[str, Any]]) -> list[Message]:
    return [to_message(m, f"message {i + 1}") for i, m in enumerate(raw)]


MAX_FILE_BYTES = 16_000_000
"""The largest chat file read by default (LoCoMo's ten conversations take 2.8 MB)."""


def load_chat_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> list[ChatTurn]:
    """Every turn in a chat file, in order. Raises InvalidInputError naming the bad spot.

    A file over ``max_bytes`` is refused after reading no more than that.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as e:
        raise InvalidInputError(f"cannot read {file}: {e.strerror}") from e
    if len(data) > max_bytes:
        raise InvalidInputError(
            f"{file} is larger than the limit of {max_bytes / 1e6:,.1f} MB for one chat file; "
            "split it into smaller files (or raise the limit: asem ingest --max-mb)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"{file} is not UTF-8 (byte {e.start}); re-encode it") from e
    if file.suffix.lower() == ".jsonl":
        return _placed(_jsonl(text, file), file)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInputError(f"{file} is not valid JSON (line {e.lineno}, column {e.colno}:"
                                f" {e.msg}); for one message per line name it .jsonl") from e
    except RecursionError as e:
        raise InvalidInputError(_too_deep(str(file))) from e
    return _placed(_document(document, file), file)


def _placed(turns: list[ChatTurn], file: Path) -> list[ChatTurn]:
    """Each message without an id gets its place in the file (``chat.json#3``): a turn
    keeps its provenance, and ingesting the file again finds it already stored."""
    return [t if t.message.turn_id is not None else
            replace(t, message=replace(t.message, turn_id=f"{file.name}#{n}"))
            for n, t in enumerate(turns, start=1)]


def _too_deep(where: str) -> str:
    return (f"{where} nests lists or objects too deeply to be chat messages; give a list of "
            "messages, {'messages': [...]} or {'sessions': [...]}")


def _jsonl(text: str, file: Path) -> list[ChatTurn]:
    turns = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as e:
            raise InvalidInputError(f"{file} line {number} is not valid JSON: {e.msg}") from e
        except RecursionError as e:
            raise InvalidInputError(_too_deep(f"{file} line {number}")) from e
        message = to_message(raw, f"{file} line {number}")
        turns.append(ChatTurn(message, label(raw.get("session_id"),
                                             f"{file} line {number} session_id")))
    if not turns:
        raise InvalidInputError(f"{file} holds no messages")
    return turns


def _document(document: Any, file: Path) -> list[ChatTurn]:
    if isinstance(document, Mapping) and "sessions" in document:
        sessions = document["sessions"]
        if not isinstance(sessions, list):
            raise InvalidInputError(f"{file}: 'sessions' must be a list of sessions "
                                    f"({{'id', 'timestamp', 'messages': [...]}}), not "
                                    f"{type(sessions).__name__}")
        turns = []
        for s, session in enumerate(sessions, start=1):
            if not isinstance(session, Mapping) or not isinstance(session.get("messages"), list):
                raise InvalidInputError(f"{file} session {s} needs a 'messages' list")
            session_id = label(session.get("id", session.get("session_id", f"session_{s}")),
                               f"{file} session {s} id")
            default_time = parse_timestamp(session.get("timestamp"), f"{file} session {s}")
            for i, raw in enumerate(session["messages"], start=1):
                message = to_message(raw, f"{file} session {s} message {i}")
                if message.timestamp is None and default_time is not None:
                    message = Message(message.content, message.speaker, default_time,
                                      message.turn_id)
                turns.append(ChatTurn(message, session_id))
        return _non_empty(turns, file)
    if isinstance(document, Mapping) and "messages" in document:
        document = document["messages"]
    if not isinstance(document, list):
        raise InvalidInputError(f"{file} must hold a list of messages, {{'messages': [...]}} "
                                "or {'sessions': [...]}")
    return _non_empty([ChatTurn(to_message(m, f"{file} message {i + 1}"))
                       for i, m in enumerate(document)], file)


def _non_empty(turns: list[ChatTurn], file: Path) -> list[ChatTurn]:
    if not turns:
        raise InvalidInputError(f"{file} holds no messages")
    return turns
