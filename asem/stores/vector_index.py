"""The live notes of one user as matrices (the in-memory vector index a store serves), and
the turns of conversations that give each note its conversational neighbours."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from asem.types import Note, Scope


@dataclass(frozen=True)
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



class VectorIndex:
    """The live notes of one user as matrices, for brute-force cosine search.

    Rows align across ``ids``, ``embeddings`` (e), ``intents`` (z), ``agents``, ``sessions``
    and each row's validity (given as (valid_from, valid_until), None at an open end; read
    with ``valid_at``, ``ended_by`` and ``closed``);
    ``turns`` is the order of conversation that conversational context reads.
    An index is never changed in place: ``extended`` returns a new one, so a search holding
    the old index keeps a consistent view. Appends share row buffers that grow by doubling,
    so adding one note does not copy the whole matrix.
    """

    def __init__(self, ids: Sequence[str] = (), embeddings: np.ndarray | None = None,
                 intents: np.ndarray | None = None, agents: Sequence[str] = (),
                 sessions: Sequence[str] = (), turns: Sequence[Turn] = (),
                 validity: Sequence[Validity] = (),
                 expiry: Sequence[datetime | None] = ()) -> None:
        self.ids = list(ids)
        self.agents = list(agents)
        self.sessions = list(sessions)
        # valid_from and valid_until as seconds since the epoch (-inf, +inf: open).
        self._start, self._end = _bounds(validity) if validity else (
            np.full(len(self.ids), -np.inf), np.full(len(self.ids), np.inf))
        # expires_at of each row (+inf: never, every long-term note).
        self._expiry = (_instants(expiry, np.inf) if expiry
                        else np.full(len(self.ids), np.inf))
        self.turns = list(turns)
        """The user's stored inputs in the order said, each with the note holding it."""
        dim = embeddings.shape[1] if embeddings is not None and embeddings.ndim == 2 else 0
        self._e = embeddings if embeddings is not None else np.zeros((0, dim), np.float32)
        self._z = intents if intents is not None else np.zeros((0, dim), np.float32)
        self._row_of: dict[str, int] | None = None
        self._turn_neighbours: dict[int, tuple[int, ...]] | None = None
        self._last_turns: dict[tuple[str, str], Turn] | None = None
        # Rows of the shared buffers in use, shared by every index on those buffers: only the
        # index that ends at that mark may append in place.
        self._filled = [len(self.ids)]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def embeddings(self) -> np.ndarray:
        return self._e[: len(self.ids)]

    @property
    def intents(self) -> np.ndarray:
        return self._z[: len(self.ids)]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of ``vector`` (unit length, float32) with every row's note embedding."""
        return single_threaded_matvec(self.embeddings, vector)

    def row_of(self, note_id: str) -> int | None:
        if self._row_of is None:
            self._row_of = {note_id: row for row, note_id in enumerate(self.ids)}
        return self._row_of.get(note_id)

    def turn_neighbours(self, row: int) -> tuple[int, ...]:
        """The rows holding the turns just before and after those ``row`` holds, in the same
        conversation: what it replies to and what replies to it.

        Read from ``turns``, so a turn the manager recorded on an older note (NOOP) or merged
        into one (UPDATE) still sits between the turns around it, held by that note. Only a
        turn by someone else counts (not the same person going on, nor a turn whose speaker
        nobody recorded); a turn whose note was deleted breaks the chain, and a discarded one
        was never recorded. Notes from no known conversation have none.
        """
        if self._turn_neighbours is None:
            self._turn_neighbours = _thread_neighbours(self.turns, self.row_of)
        return self._turn_neighbours.get(row, ())

    def last_turn(self, agent_id: str, thread: str) -> Turn | None:
        """The latest stored input of conversation ``thread`` (None for none)."""
        if self._last_turns is None:
            self._last_turns = {(t.agent_id, t.thread): t for t in self.turns if t.thread}
        return self._last_turns.get((agent_id, thread))

    def scope_mask(self, scope: Scope) -> np.ndarray:
        """Rows visible to ``scope`` (agent and session narrow when given)."""
        mask = np.ones(len(self.ids), dtype=bool)
        if scope.agent_id is not None:
            mask &= np.array([a == scope.agent_id for a in self.agents], dtype=bool)
        if scope.session_id is not None:
            mask &= np.array([s == scope.session_id for s in self.sessions], dtype=bool)
        return mask

    def valid_at(self, at: datetime) -> np.ndarray:
        """Rows that held at ``at``: valid_from <= at < valid_until (``Note.valid_at``)."""
        t = _seconds(at)
        return (self._start <= t) & (t < self._end)

    def ended_by(self, at: datetime) -> np.ndarray:
        """Rows whose validity ended at or before ``at`` (``Note.ended_by``)."""
        return self._end <= _seconds(at)

    def expired_by(self, at: datetime) -> np.ndarray:
        """Rows of short-term notes whose expiry time is at or before ``at``
        (``Note.expired_by``): a search leaves them out before maintenance archives them."""
        return self._expiry <= _seconds(at)

    def closed(self) -> np.ndarray:
        """Rows with a valid_until at all: superseded or retracted, now or later."""
        return np.isfinite(self._end)

    def extended(self, notes: Sequence[Note],
                 turns: Sequence[Turn] | None = None) -> VectorIndex:
        """A new index with ``notes`` appended after these rows and ``turns`` after these
        turns (by default one per note: each note a turn of its own)."""
        if turns is None:
            turns = [turn_of(note) for note in notes]
        if not notes:
            if not turns:
                return self
            grown = VectorIndex(self.ids, self._e, self._z, self.agents, self.sessions,
                                self.turns + list(turns))
            grown._start, grown._end = self._start, self._end
            grown._expiry = self._expiry
            grown._filled = self._filled
            return grown
        e = np.stack([n.embedding for n in notes]).astype(np.float32)  # type: ignore[misc]
        z = np.stack([n.intent_embedding for n in notes]).astype(np.float32)  # type: ignore[misc]
        n, need = len(self.ids), len(self.ids) + len(notes)
        buf_e, buf_z = self._e, self._z
        if (buf_e.shape[0] < need or buf_e.shape[1] != e.shape[1]
                or self._filled[0] != n):
            capacity = max(need, 2 * n, 64)
            buf_e = np.zeros((capacity, e.shape[1]), np.float32)
            buf_z = np.zeros((capacity, z.shape[1]), np.float32)
            if n:
                buf_e[:n], buf_z[:n] = self.embeddings, self.intents
        # Rows past n are invisible to this index and to any older one: writing them is safe.
        buf_e[n:need], buf_z[n:need] = e, z
        grown = VectorIndex(self.ids + [x.id for x in notes], buf_e, buf_z,
                            self.agents + [x.scope.agent_id or "" for x in notes],
                            self.sessions + [x.scope.session_id or "" for x in notes],
                            self.turns + list(turns))
        start, end = _bounds([(x.valid_from, x.valid_until) for x in notes])
        grown._start = np.concatenate([self._start, start])
        grown._end = np.concatenate([self._end, end])
        grown._expiry = np.concatenate([self._expiry,
                                        _instants([x.expires_at for x in notes], np.inf)])
        if buf_e is self._e:
            grown._filled = self._filled
        grown._filled[0] = need
        return grown


Validity = tuple[datetime | None, datetime | None]
"""(valid_from, valid_until) of a note; None at an open end."""

_EPOCH = datetime(1970, 1, 1)


def _seconds(at: datetime) -> float:
    return (at - _EPOCH).total_seconds()


def _bounds(validity: Sequence[Validity]) -> tuple[np.ndarray, np.ndarray]:
    """valid_from and valid_until of each row as seconds since the epoch (-inf, +inf:
    open)."""
    return (np.array([-np.inf if a is None else _seconds(a) for a, _ in validity]),
            np.array([np.inf if b is None else _seconds(b) for _, b in validity]))


def _instants(times: Sequence[datetime | None], missing: float) -> np.ndarray:
    """Each time as seconds since the epoch, ``missing`` for None."""
    return np.array([missing if t is None else _seconds(t) for t in times], dtype=np.float64)


_blas: Any = None


def single_threaded_matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on one BLAS thread.

    OpenBLAS splits a 10,000 × 384 product over every core; when the cores are busy (other
    searches, the embedder, another process) the threads wait on each other and the product
    takes 4–5 times longer than on one thread.
    """
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    with _blas.limit(limits=1, user_api="blas"):
        return matrix @ vector


def turn(scope: Scope, source_id: str | None, speaker: str | None, note_id: str) -> Turn:
    """An input of ``scope`` held by ``note_id``; its conversation is its provenance source,
    else the scope's session."""
    return Turn(scope.user_id, scope.agent_id or "", source_id or scope.session_id or "",
                speaker or "", note_id)


def turn_of(note: Note) -> Turn:
    """The turn a note stands for when it was written as one input of its own."""
    return turn(note.scope, note.provenance.source_id, note.speaker, note.id)


def replies(before: Turn, turn: Turn) -> bool:
    """``turn``, said right after ``before`` in one conversation, answers it: someone else
    said it (not the same person going on, nor a turn whose speaker nobody recorded)."""
    return bool(turn.speaker) and before.speaker not in ("", turn.speaker)


def _thread_neighbours(turns: Sequence[Turn],
                       row_of: Callable[[str], int | None]) -> dict[int, tuple[int, ...]]:
    """Rows holding consecutive turns of one thread said by two different known speakers."""
    last: dict[tuple[str, str], Turn] = {}
    around: dict[int, list[int]] = {}
    for turn in turns:
        if not turn.thread:
            continue
        key = (turn.agent_id, turn.thread)
        before, last[key] = last.get(key), turn
        if before is None or not replies(before, turn):
            continue
        a, b = row_of(before.note_id), row_of(turn.note_id)
        if a is None or b is None or a == b:
            continue
        for row, other in ((a, b), (b, a)):
            rows = around.setdefault(row, [])
            if other not in rows:
                rows.append(other)
    return {row: tuple(rows) for row, rows in around.items()}
