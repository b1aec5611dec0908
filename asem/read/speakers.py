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

The rise comes after answers over questions (``asem.read.answers``): the other speaker's
"What did you paint lately?" first hands the named speaker's reply its share, and then the
reply rises above it. A note the named speaker said that asks rises less, by how much of it
asks: "What type of guitar do you play?" is about the one asked.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from asem.read.turn_maps import TurnMap
from asem.stores.vector_index import Turn, VectorIndex

if TYPE_CHECKING:  # rank imports recall, which imports this module
    from asem.read.rank import Ranked

_WORD = re.compile(r"[\w']+")
_rows_cache: weakref.WeakKeyDictionary[VectorIndex, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary())


Said = tuple[dict[str, frozenset[str]], set[str]]
"""Note id → the labels of its speakers, and every label."""


def _add_speakers(said: Said, turns: Sequence[Turn]) -> None:
    by_note, labels = said
    for turn in turns:
        if turn.speaker:
            label = turn.speaker.lower()
            by_note[turn.note_id] = by_note.get(turn.note_id, frozenset()) | {label}
            labels.add(label)


_said = TurnMap[Said](lambda: ({}, set()), lambda s: (dict(s[0]), set(s[1])), _add_speakers)


def speakers_of(index: VectorIndex) -> dict[str, frozenset[str]]:
    """Note id → the labels (lower-cased) of the speakers of its turns (one map per index,
    carried over from the index before, ``asem.read.turn_maps``); notes with no recorded
    speaker are left out."""
    return _said.of(index)[0]


def speaker_rows(index: VectorIndex) -> dict[str, np.ndarray]:
    """Speaker label (lower-cased) → the live rows of the notes they said (built once per
    index)."""
    found = _rows_cache.get(index)
    if found is None:
        rows: dict[str, list[int]] = {}
        for note_id, labels in speakers_of(index).items():
            if (row := index.row_of(note_id)) is not None:
                for label in labels:
                    rows.setdefault(label, []).append(row)
        found = _rows_cache[index] = {label: np.array(sorted(r), dtype=np.int64)
                                      for label, r in rows.items()}
    return found


def notes_of(named: frozenset[str], index: VectorIndex) -> frozenset[str]:
    """The ids of the notes said by any of ``named``."""
    rows = speaker_rows(index)
    return frozenset(index.ids[int(r)] for label in named for r in rows.get(label, ()))


def named_in(query: str, index: VectorIndex) -> frozenset[str]:
    """The speakers of ``index`` that ``query`` names; none when it names every one."""
    labels = frozenset(_said.of(index)[1])
    named = named_speakers(query, labels)
    return frozenset() if named == labels else named


def named_speakers(query: str, labels: frozenset[str]) -> frozenset[str]:
    """The ``labels`` (lower-cased) that ``query`` names as a word of its own."""
    words = {w.strip("'").removesuffix("'s") for w in _WORD.findall(query.lower())}
    return frozenset(labels & words)


def speaker_lifted(ranked: list[Ranked], named: frozenset[str],
                   said_by: dict[str, frozenset[str]], weight: float,
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
