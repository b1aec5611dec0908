"""The turns of conversations an index holds, and the maps an index answers from over them
and its rows: who said each note, its conversation, the replies to it, its conversational
neighbours. ``Lookups`` are built once per index and carried along by each write
(``asem.stores.vector_index``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from asem.types import Note, Scope


@dataclass(frozen=True, slots=True)
class Turn:
    """One input said in a conversation, and the note that now holds it.

    The note is the one the input was ADDed as, UPDATEd into or recorded on (NOOP). Turns
    in the order said give conversational context its neighbours
    (``VectorIndex.turn_neighbours``).
    """

    user_id: str
    agent_id: str
    thread: str
    """The conversation: provenance source, else scope session ("" for neither)."""
    speaker: str
    """"" when unknown."""
    note_id: str


def turn(scope: Scope, source_id: str | None, speaker: str | None, note_id: str) -> Turn:
    """An input of ``scope`` held by ``note_id``; its conversation is its provenance source,
    else the scope's session."""
    return Turn(scope.user_id, scope.agent_id or "", source_id or scope.session_id or "",
                speaker or "", note_id)


def turn_of(note: Note) -> Turn:
    """The turn a note stands for when it was written as one input of its own."""
    return turn(note.scope, note.provenance.source_id, note.speaker, note.id)


def thread_key(agent_id: str, thread: str) -> str:
    """How a conversation is named in the maps: threads of different agents are apart."""
    return f"{agent_id}\x1f{thread}"


def replies(before: Turn, turn: Turn) -> bool:
    """``turn``, said right after ``before`` in one conversation, answers it: someone else
    said it (not the same person going on, nor a turn whose speaker nobody recorded)."""
    return bool(turn.speaker) and before.speaker not in ("", turn.speaker)


class Lookups:
    """The maps an index answers from, over its rows and its turns.

    Built once from a whole index, then carried along: the index a write makes
    (``VectorIndex.patched``) takes them over and updates them in place by what changed
    (``vector_index._carry_lookups``: O(changed rows and turns), not O(notes)), and
    ``generation`` moves on, so the index before no longer reads them (it builds its own if
    it is asked again).
    A reader of the old index that raced the hand-over sees the generation move and asks
    again. Turns are only ever appended to (a turn gone for good makes the store load the
    user's index afresh), so the maps of turns grow with them."""

    def __init__(self, ids: Sequence[str], alive: np.ndarray | None,
                 turns: Sequence[Turn]) -> None:
        self.generation = 0
        self.row_of: dict[str, int] = {note_id: row for row, note_id in enumerate(ids)
                                       if alive is None or alive[row]}
        """Note id → its live row."""
        self.around: dict[int, tuple[int, ...]] | None = {}
        """Row → the rows of its conversational neighbours (None: built when asked). Tuples,
        like the maps' other values, so that the garbage collector need not follow them."""
        self.last: dict[tuple[str, str], Turn] = {}
        """(agent, thread) → the conversation's latest turn."""
        self.said: dict[str, frozenset[str]] = {}
        """Note id → the labels of its speakers."""
        self.labels: set[str] = set()
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        """One object per distinct set of labels, shared by the notes that have it."""
        self.spoken: dict[str, list[int]] = {}
        """Speaker label → the rows of the notes they said (dead rows too: masked on use)."""
        self.threads: dict[str, str] = {}
        """Note id → "agent\x1fthread" of its first turn (one string per conversation)."""
        self._names: dict[tuple[str, str], str] = {}
        self.replies: dict[str, tuple[str, ...]] = {}
        """Note id → the notes holding the replies to its turns."""
        self.read(turns)

    def read(self, turns: Sequence[Turn]) -> None:
        """Take in ``turns``, said after those read before (their notes' rows already in
        ``row_of``)."""
        around, last, row_of = self.around, self.last, self.row_of
        for turn in turns:
            note_id = turn.note_id
            if turn.speaker:
                label = turn.speaker.lower()
                labels = self.said.get(note_id, frozenset())
                if label not in labels:
                    labels = labels | {label}
                    self.said[note_id] = self._sets.setdefault(labels, labels)
                    self.labels.add(label)
                    if (row := row_of.get(note_id)) is not None:
                        self.spoken.setdefault(label, []).append(row)
            if not turn.thread:
                continue
            key = (turn.agent_id, turn.thread)
            if note_id not in self.threads:
                name = self._names.get(key)
                if name is None:
                    name = self._names[key] = thread_key(turn.agent_id, turn.thread)
                self.threads[note_id] = name
            before, last[key] = last.get(key), turn
            if before is None or not replies(before, turn):
                continue
            if before.note_id != note_id:
                held = self.replies.get(before.note_id, ())
                if note_id not in held:
                    self.replies[before.note_id] = (*held, note_id)
            if around is not None:
                pair(around, row_of.get(before.note_id), row_of.get(note_id))


def remap(around: dict[int, tuple[int, ...]], moved: dict[int, int], dropped: set[int]) -> None:
    """Rename moved rows and leave dropped rows out of the neighbour lists, in place. Pairs
    are kept both ways, so only the lists of those rows and of their neighbours change."""
    touched = set(moved) | dropped
    for row in list(touched):
        touched.update(around.get(row, ()))
    lists = {row: around.pop(row) for row in touched if row in around}
    for row, rows in lists.items():
        if row not in dropped:
            around[moved.get(row, row)] = tuple(moved.get(r, r) for r in rows
                                                if r not in dropped)


def pair(around: dict[int, tuple[int, ...]], a: int | None, b: int | None) -> None:
    """Record rows ``a`` and ``b`` as conversational neighbours (both ways)."""
    if a is None or b is None or a == b:
        return
    for row, other in ((a, b), (b, a)):
        if other not in around.get(row, ()):
            around[row] = (*around.get(row, ()), other)


def paired(turns: Sequence[Turn], row_of: dict[str, int]) -> dict[int, tuple[int, ...]]:
    """The neighbour lists of ``turns`` from scratch: rows holding consecutive turns of one
    thread said by two different known speakers."""
    around: dict[int, tuple[int, ...]] = {}
    last: dict[tuple[str, str], Turn] = {}
    for turn in turns:
        if not turn.thread:
            continue
        key = (turn.agent_id, turn.thread)
        before, last[key] = last.get(key), turn
        if before is not None and replies(before, turn):
            pair(around, row_of.get(before.note_id), row_of.get(turn.note_id))
    return around
