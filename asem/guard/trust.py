"""How far a note's source is trusted: what the user said is trusted most, tool output least.

A note's trust is derived once, when it is written, from the input's ``writer`` and
``channel`` (``asem.types.Provenance``); searches may then keep to trusted sources
(``Filters.min_trust`` or ``Filters.trust``).
"""

from __future__ import annotations

from enum import StrEnum

from asem.errors import InvalidInputError


class Trust(StrEnum):
    """The source of a note, most trusted first."""

    USER_SAID = "user_said"
    ASSISTANT_SAID = "assistant_said"
    IMPORTED = "imported"
    DOCUMENT = "document"
    TOOL_OUTPUT = "tool_output"

    @property
    def rank(self) -> int:
        """Higher is more trusted (``USER_SAID`` 4 … ``TOOL_OUTPUT`` 0)."""
        return len(_ORDER) - 1 - _ORDER.index(self)

    def at_least(self) -> tuple[Trust, ...]:
        """This level and every more trusted one."""
        return tuple(t for t in _ORDER if t.rank >= self.rank)


_ORDER = tuple(Trust)

_WRITERS = {
    "user": Trust.USER_SAID, "human": Trust.USER_SAID,
    "assistant": Trust.ASSISTANT_SAID, "agent": Trust.ASSISTANT_SAID,
    "ai": Trust.ASSISTANT_SAID, "system": Trust.ASSISTANT_SAID,
    "tool": Trust.TOOL_OUTPUT, "function": Trust.TOOL_OUTPUT, "ipython": Trust.TOOL_OUTPUT,
    "document": Trust.DOCUMENT, "web": Trust.DOCUMENT, "file": Trust.DOCUMENT,
    "import": Trust.IMPORTED,
}
"""Writer names (chat roles among them) and the trust they carry."""

_CHANNELS = {"tool": Trust.TOOL_OUTPUT, "document": Trust.DOCUMENT, "web": Trust.DOCUMENT}
"""Channels that say more than the writer does: content read from a tool or a document is
that source's, whoever hands it in. (A conversation file given to ``ingest`` comes through
the ``import`` channel: it is what its writer said, so that channel lowers nothing.)"""


def trust_of(writer: str, channel: str) -> Trust:
    """The trust of an input written by ``writer`` through ``channel``: the lower of what
    each says. A writer name not known here is taken as a document (outside content)."""
    by_writer = _WRITERS.get(writer.strip().lower(), Trust.DOCUMENT)
    by_channel = _CHANNELS.get(channel.strip().lower())
    if by_channel is None or by_channel.rank >= by_writer.rank:
        return by_writer
    return by_channel


def parse_trust(value: object, what: str = "trust") -> Trust:
    """A Trust from its name; InvalidInputError naming the levels otherwise."""
    try:
        return Trust(value)
    except ValueError as e:
        raise InvalidInputError(
            f"{what} must be one of {', '.join(t.value for t in Trust)}, not {value!r}"
        ) from e
