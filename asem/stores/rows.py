"""A list shared along a chain of vector indexes (``asem.stores.vector_index``): each index
reads the first items it was made with, and the index a write makes appends to the same
list instead of copying it."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Rows(Sequence[T]):
    """The first ``len`` items of a list that the indexes made after this one extend: one
    list is shared along a chain of indexes, so a write appends to it instead of copying
    it (a copy of every note's id after each write, and the garbage collector's walk over
    that new list, cost O(notes)). Items below ``len`` never change."""

    __slots__ = ("items", "_n")

    def __init__(self, items: list[T], n: int | None = None) -> None:
        self.items = items
        """The shared list (read only the first ``len`` items)."""
        self._n = len(items) if n is None else n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            items = self.items
            return [items[j] for j in range(*i.indices(self._n))]
        at = operator.index(i)
        if not -self._n <= at < self._n:
            raise IndexError(f"row {at} of {self._n}")
        return self.items[at % self._n]

    def __iter__(self) -> Iterator[T]:
        return itertools.islice(self.items, self._n)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({list(self)!r})"

    def plus(self, more: Sequence[T]) -> Rows[T]:
        """These items then ``more``: appended to the shared list when these are all of it,
        else (an index before the last one extended) to a copy."""
        items = self.items if len(self.items) == self._n else self.items[: self._n]
        items.extend(more)
        return Rows(items)
