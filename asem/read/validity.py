"""Which notes a search may return, by their validity (SPEC §2: supersession).

- by default, every note whose validity has not ended by now: a superseded or retracted
  fact is never returned as current (one that starts later, a planned move, still is);
- with ``Filters.as_of``, the notes that held then: valid_from <= as_of < valid_until;
- with ``Filters.include_superseded``, every note, past facts too.

Whatever the filters, a short-term note past its expiry time is never returned, even before
maintenance archives it (``asem.lifecycle``).

A note without validity (open at both ends, every note never superseded) passes all three,
so searches over such notes are exactly what they were before supersession existed.
"""

from __future__ import annotations

from datetime import datetime

from asem.types import Filters, Note


def visible(note: Note, filters: Filters, at: datetime) -> bool:
    """Whether a search at ``at`` with ``filters`` may return ``note`` (a link expansion,
    found outside the dense channel; the stores apply the same rule to their notes, e.g.
    ``asem.stores.dense.visible_rows``)."""
    if note.expired_by(at):
        return False
    if filters.include_superseded:
        return True
    if filters.as_of is not None:
        return note.valid_at(filters.as_of)
    return not note.ended_by(at)
