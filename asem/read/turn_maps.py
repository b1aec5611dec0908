"""Maps read from a vector index's turns (who said each note, its conversation), built once
per index and carried over to the next one.

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
