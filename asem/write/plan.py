"""What a batch of decisions will write: one Step per input, folded into one WriteBatch.

A Step is a value: the result reported for its input, the changes it makes, and the stored
notes it was decided on. The batch commits every step at once, and only if each of those
notes is still at the version read (``WriteBatch.expected``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asem.stores.base import Merge, NewNote, NoteDelete, NoteUpdate, Turn, WriteBatch
from asem.types import Note, WriteResult


@dataclass(frozen=True)
class Step:
    """What one input does to the memory."""

    result: WriteResult
    new: NewNote | None = None
    update: NoteUpdate | None = None
    delete: NoteDelete | None = None
    merge: Merge | None = None
    decided_on: tuple[Note, ...] = ()
    """The notes the decision acts on, as read (a stored one at its ``version``)."""


@dataclass
class Plan:
    """The steps of one batch, in the order decided, and each input's result by position."""

    results: list[WriteResult | None]
    steps: list[Step] = field(default_factory=list)

    def take(self, position: int, step: Step) -> None:
        self.results[position] = step.result
        self.steps.append(step)

    def batch(self, actor: str, turns: tuple[Turn, ...]) -> WriteBatch:
        """Everything the steps write, as one atomic batch.

        A note added and then updated in the batch is inserted, then updated; a note updated
        several times keeps its last version; a deleted one drops its updates.
        """
        new: dict[str, NewNote] = {}
        updates: dict[str, NoteUpdate] = {}
        deletes: dict[str, NoteDelete] = {}
        merges: list[Merge] = []
        for step in self.steps:
            if step.delete is not None:
                updates.pop(step.delete.note_id, None)
                deletes[step.delete.note_id] = step.delete
            if step.new is not None:
                new[step.new.note.id] = step.new
            if step.update is not None:
                updates[step.update.note.id] = step.update
            if step.merge is not None:
                merges.append(step.merge)
        return WriteBatch(tuple(new.values()), tuple(merges), actor, tuple(updates.values()),
                          tuple(deletes.values()), turns, self.expected())

    def expected(self) -> tuple[tuple[str, int], ...]:
        """(id, version) of every stored note a step was decided on, as first read."""
        versions: dict[str, int] = {}
        for step in self.steps:
            for note in step.decided_on:
                if note.version:  # 0: added by this batch, nothing stored to check
                    versions.setdefault(note.id, note.version)
        return tuple(versions.items())
