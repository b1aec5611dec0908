"""Optional 1-hop expansion along links, for questions that need connected notes."""

from __future__ import annotations

from asem.read.rank import Ranked
from asem.types import Note


def expand(top: list[Ranked], notes: dict[str, Note], discount: float) -> list[Ranked]:
    """Link neighbours of the top hits not already among them, each scored below its parent
    by the link's weakness: parent − (1 − strength) − discount."""
    seen = {r.note_id for r in top}
    extra: list[Ranked] = []
    for hit in top:
        note = notes.get(hit.note_id)
        for link in note.links if note is not None else ():
            if link.target_id in seen:
                continue
            seen.add(link.target_id)
            extra.append(Ranked(link.target_id, hit.score - (1 - link.strength) - discount,
                                0.0, 0.0))
    return sorted(extra, key=lambda r: -r.score)
