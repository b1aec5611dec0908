"""The named speaker's own notes first: a question about a person is most often answered by
what that person said.

"What are Marta's hobbies?" shares the word "hobby" with whichever turn happens to say it,
by anyone; the evidence ("I started a boxing class", "piano lessons are going well") is
Marta's own and never names the category. Which speaker said each note is structure the
store keeps (``VectorIndex.turns``), so no wording is needed: a query word that is a
speaker's label (compared case-blind, "Marta's" as "marta") names that speaker, and every
note of the pool that they said rises by ``ReadConfig.speaker_weight``, and the
``ReadConfig.speaker_pool`` notes of theirs most similar to the query join the candidate
pool. A query that names every speaker of the tenant, or none, changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from asem.stores.vector_index import VectorIndex

if TYPE_CHECKING:  # rank imports recall, which imports this module
    from asem.read.rank import Ranked

_WORD = re.compile(r"[\w']+")


def speakers_of(index: VectorIndex) -> dict[str, frozenset[str]]:
    """Note id → the labels (lower-cased) of the speakers of its turns (a map the index
    keeps and each write updates, ``VectorIndex.speakers``); notes with no recorded
    speaker are left out."""
    return index.speakers()


def named_in(query: str, index: VectorIndex) -> frozenset[str]:
    """The speakers of ``index`` that ``query`` names; none when it names every one."""
    labels = index.speaker_labels()
    named = named_speakers(query, labels)
    return frozenset() if named == labels else named


def named_speakers(query: str, labels: frozenset[str]) -> frozenset[str]:
    """The ``labels`` (lower-cased) that ``query`` names as a word of its own."""
    words = {w.strip("'").removesuffix("'s") for w in _WORD.findall(query.lower())}
    return frozenset(labels & words)


def speaker_lifted(ranked: list[Ranked], named: frozenset[str],
                   said_by: dict[str, frozenset[str]], weight: float) -> list[Ranked]:
    """``ranked`` with ``weight`` added to the score of each note said by one of ``named``
    (``said_by``: note id → its speakers), best first again (the rise is kept in
    ``ScoreParts.speaker``)."""
    if weight == 0 or not named:
        return ranked
    rose = [replace(r, score=r.score + weight,
                    parts=r.parts and replace(r.parts, speaker=r.parts.speaker + weight))
            if said_by.get(r.note_id, frozenset()) & named else r for r in ranked]
    return sorted(rose, key=lambda r: -r.score)
