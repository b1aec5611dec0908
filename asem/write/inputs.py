"""Validating raw input: one ``WriteInput`` per chat turn or text, ready for the pipeline."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from asem.errors import InvalidInputError
from asem.types import Scope, now, unicode_text, utc_naive

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters (Unicode category Cc: NUL and friends) but newline and tab."""


@dataclass(frozen=True)
class WriteInput:
    """One piece of raw input with its scope and provenance."""

    content: str
    scope: Scope
    speaker: str | None = None
    observed_at: datetime = field(default_factory=now)
    turn_ids: tuple[str, ...] = ()
    source_id: str | None = None
    writer: str = "user"
    channel: str = "api"
    valid_from: datetime | None = None
    """When the fact started to hold, if known before it is written (an imported note's);
    a new note made of the input holds from then."""


def clean_text(value: object, max_chars: int, what: str = "text") -> str:
    """The text to store, or InvalidInputError saying what is wrong with it."""
    if isinstance(value, bytes | bytearray):
        if len(value) > 4 * max_chars:  # more characters than the limit, whatever they are
            raise InvalidInputError(_too_long(what, f"{len(value):,} bytes", max_chars))
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidInputError(
                f"{what} is not valid UTF-8 (byte {e.start}); re-encode it as UTF-8"
            ) from e
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, not {type(value).__name__}")
    unicode_text(value, what)
    text = _CONTROL.sub("", value).strip()
    if not text:
        raise InvalidInputError(f"{what} is empty; give some text to remember")
    if len(text) > max_chars:
        raise InvalidInputError(_too_long(what, f"{len(text):,} characters", max_chars))
    return text


def _too_long(what: str, size: str, max_chars: int) -> str:
    return (f"{what} has {size}, more than the limit of {max_chars:,} characters; split it "
            "into smaller pieces (or raise WriteConfig.max_content_chars)")


def content_hash(text: str) -> str:
    """Hash of the text with case and white space folded: the same input twice, one note."""
    folded = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def make_input(content: object, scope: Scope, *, max_chars: int, speaker: str | None = None,
               timestamp: datetime | None = None, turn_ids: tuple[str, ...] = (),
               source_id: str | None = None, writer: str = "user",
               channel: str = "api") -> WriteInput:
    if timestamp is not None and not isinstance(timestamp, datetime):
        raise InvalidInputError("timestamp must be a datetime (or an ISO 8601 string in files)")
    return WriteInput(
        content=clean_text(content, max_chars),
        scope=scope,
        speaker=_label(speaker, "speaker").strip() or None if speaker is not None else None,
        observed_at=utc_naive(timestamp) if timestamp else now(),
        turn_ids=tuple(_label(t, "turn id") for t in turn_ids),
        source_id=_label(source_id, "source id") if source_id is not None else None,
        writer=_label(writer, "writer"),
        channel=_label(channel, "channel"),
    )


def _label(value: object, what: str) -> str:
    """A speaker, id or provenance name, checked as storable text."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, not {type(value).__name__}")
    return unicode_text(value, what)
