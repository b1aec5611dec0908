"""The named speaker's own notes first: a question about a person is most often answered by
what that person said.

"What are Marta's hobbies?" shares the word "hobby" with whichever turn happens to say it,
by anyone; the evidence ("I started a boxing class", "piano lessons are going well") is
Marta's own and never names the category. Which speaker said each note is structure the
store keeps (its turns, read through the search's dense source: ``DenseSource.speakers``
and ``DenseSource.speakers_of``), so no wording is needed: a query word that is a speaker's
label (compared case-blind, "Marta's" as "marta") names that speaker, and every note of the
pool that they said rises by ``ReadConfig.speaker_weight``, and the
``ReadConfig.speaker_pool`` notes of theirs most similar to the query join the candidate
pool. A query that names every speaker of the tenant, or none, changes nothing.

The rise comes after answers over questions (``asem.read.answers``): the other speaker's
"What did you paint lately?" first hands the named speaker's reply its share, and then the
reply rises above it. A note the named speaker said that asks rises less, by how much of it
asks: "What type of guitar do you play?" is about the one asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rank imports recall, which imports this module
    from asem.read.rank import Ranked

_WORD = re.compile(r"[\w']+")


def named_in(query: str, labels: frozenset[str]) -> frozenset[str]:
    """The speakers of ``labels`` (the tenant's, lower-cased) that ``query`` names; none
    when it names every one."""
    named = named_speakers(query, labels)
    return frozenset() if named == labels else named


def named_speakers(query: str, labels: frozenset[str]) -> frozenset[str]:
    """The ``labels`` (lower-cased) that ``query`` names as a word of its own."""
    words = {w.strip("'").removesuffix("'s") for w in _WORD.findall(query.lower())}
    return frozenset(labels & words)


def speaker_lifted(ranked: list[Ranked], named: frozenset[str],
                   said_by: Mapping[str, frozenset[str]], weight: float,
                   asking: Mapping[str, float] | None = None) -> list[Ranked]:
    """``ranked`` with ``weight`` · (1 − a) added to the score of each note said by one of
    ``named`` (``said_by``: note id → its speakers; a: the share of the note's words that
    ask, from ``asking``, 0 for a note not in it), best first again (the rise is kept in
    ``ScoreParts.speaker``). A question a person asks is about the one they ask."""
    if weight == 0 or not named:
        return ranked
    asking = asking or {}
    rose = [_raised(r, weight * (1.0 - asking.get(r.note_id, 0.0)))
            if said_by.get(r.note_id, frozenset()) & named else r for r in ranked]
    return sorted(rose, key=lambda r: -r.score)


def _raised(hit: Ranked, by: float) -> Ranked:
    if not by:
        return hit
    return replace(hit, score=hit.score + by,
                   parts=hit.parts and replace(hit.parts, speaker=hit.parts.speaker + by))
