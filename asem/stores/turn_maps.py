"""Maps read from a vector index's turns (who said each note, its conversation), built once
per index and carried over to the next one: what an in-process dense source
(``asem.stores.dense.MatrixSource``) answers the speaker and diversity steps of a search from.

An index never changes: a write makes a new one (``VectorIndex.patched``) whose turns are
the old ones, the same objects, followed by the new turns. Rebuilding a map from every turn
after each write costs O(turns) in Python, seconds at a million notes; a map of the index
before is copied (in C) and only the new turns are read. Any other change of the turns (a
turn removed, another tenant's index) builds the map afresh.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

from asem.stores.vector_index import Turn, VectorIndex

M = TypeVar("M")

RECENT = 4
"""Maps of recent indexes (of any tenants) kept, with their turns, to carry over: the index
before a write is dropped by the store's cache as soon as the write is applied."""


class TurnMap(Generic[M]):
    """One kind of map: ``empty`` makes one, ``copy`` copies one, ``add`` reads turns into
    one in place."""

    def __init__(self, empty: Callable[[], M], copy: Callable[[M], M],
                 add: Callable[[M, Sequence[Turn]], None]) -> None:
        self._empty, self._copy, self._add = empty, copy, add
        self._maps: weakref.WeakKeyDictionary[VectorIndex, M] = weakref.WeakKeyDictionary()
        self._recent: list[tuple[Sequence[Turn], M]] = []

    def of(self, index: VectorIndex) -> M:
        found = self._maps.get(index)
        if found is not None:
            return found
        start, found = 0, None
        for turns, made in reversed(self._recent):
            if _extends(index.turns, turns):
                start, found = len(turns), self._copy(made)
                break
        if found is None:
            found = self._empty()
        self._add(found, index.turns[start:])
        self._maps[index] = found
        self._recent = [*self._recent[-(RECENT - 1):], (index.turns, found)]
        return found


def _extends(turns: Sequence[Turn], before: Sequence[Turn]) -> bool:
    """``turns`` starts with exactly the turn objects of ``before``."""
    n = len(before)
    return (0 < n <= len(turns) and turns[0] is before[0] and turns[n - 1] is before[n - 1]
            and all(map(operator.is_, turns[:n], before)))


Said = tuple[dict[str, frozenset[str]], set[str]]
"""Note id → the labels of its speakers, and every label."""


def _add_speakers(said: Said, turns: Sequence[Turn]) -> None:
    by_note, labels = said
    for turn in turns:
        if turn.speaker:
            label = turn.speaker.lower()
            by_note[turn.note_id] = by_note.get(turn.note_id, frozenset()) | {label}
            labels.add(label)


def _add_threads(found: dict[str, str], turns: Sequence[Turn]) -> None:
    for turn in turns:
        if turn.thread:
            found.setdefault(turn.note_id, thread_key(turn.agent_id, turn.thread))


_said = TurnMap[Said](lambda: ({}, set()), lambda s: (dict(s[0]), set(s[1])), _add_speakers)
_threads = TurnMap[dict[str, str]](dict, dict, _add_threads)
_rows_cache: weakref.WeakKeyDictionary[VectorIndex, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary())


def thread_key(agent_id: str, thread: str) -> str:
    """How a conversation is named in the maps: threads of different agents are apart."""
    return f"{agent_id}\x1f{thread}"


def speakers_of(index: VectorIndex) -> dict[str, frozenset[str]]:
    """Note id → the labels (lower-cased) of the speakers of its turns; notes with no
    recorded speaker are left out."""
    return _said.of(index)[0]


def speaker_labels(index: VectorIndex) -> frozenset[str]:
    """The label (lower-cased) of every speaker of the index's turns."""
    return frozenset(_said.of(index)[1])


def threads_of(index: VectorIndex) -> dict[str, str]:
    """Note id → the conversation its first recorded turn belongs to (``thread_key``);
    notes of no known conversation are left out."""
    return _threads.of(index)


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


def notes_of(labels: frozenset[str], index: VectorIndex) -> frozenset[str]:
    """The ids of the live notes said by any of ``labels``."""
    rows = speaker_rows(index)
    return frozenset(index.ids[int(r)] for label in labels for r in rows.get(label, ()))
