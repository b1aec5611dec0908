"""The live notes of one user as matrices (the in-memory vector index a store serves), and
the turns of conversations that give each note its conversational neighbours."""

from __future__ import annotations

import copy
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

    compact_after = 1024
    """Dead rows (of notes deleted or re-embedded) an index keeps before it is compacted
    (and at least a quarter of its rows)."""

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
        self._alive: np.ndarray | None = None
        """Rows still live (None: all): a row whose note was deleted or re-embedded since the
        index was loaded stays in the matrices, masked out (``patched``)."""
        self._row_of: dict[str, int] | None = None
        self._turn_neighbours: dict[int, list[int]] | None = None
        self._last_turns: dict[tuple[str, str], Turn] | None = None
        # Rows of the shared buffers in use, shared by every index on those buffers: only the
        # index that ends at that mark may append in place.
        self._filled = [len(self.ids)]

    def __len__(self) -> int:
        """Rows, dead ones included: the length of every mask over the index."""
        return len(self.ids)

    @property
    def live_count(self) -> int:
        """The live notes the index holds."""
        return len(self.ids) if self._alive is None else int(self._alive.sum())

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
        """The live row holding ``note_id`` (None when the index holds no live one)."""
        return self._rows().get(note_id)

    def _rows(self) -> dict[str, int]:
        if self._row_of is None:
            alive = self._alive
            self._row_of = {note_id: row for row, note_id in enumerate(self.ids)
                            if alive is None or alive[row]}
        return self._row_of

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
            around: dict[int, list[int]] = {}
            last: dict[tuple[str, str], Turn] = {}
            _pair_turns(around, last, self.turns, self.row_of)
            self._turn_neighbours, self._last_turns = around, last
        return tuple(self._turn_neighbours.get(row, ()))

    def last_turn(self, agent_id: str, thread: str) -> Turn | None:
        """The latest stored input of conversation ``thread`` (None for none)."""
        if self._last_turns is None:
            self._last_turns = {(t.agent_id, t.thread): t for t in self.turns if t.thread}
        return self._last_turns.get((agent_id, thread))

    def scope_mask(self, scope: Scope) -> np.ndarray:
        """Live rows visible to ``scope`` (agent and session narrow when given)."""
        mask = np.ones(len(self.ids), dtype=bool) if self._alive is None else self._alive.copy()
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
        return self.patched([IndexRow.of(note) for note in notes], (), turns)

    def patched(self, rows: Sequence[IndexRow], gone: Sequence[str] = (),
                turns: Sequence[Turn] = ()) -> VectorIndex:
        """A new index in which each of ``rows`` is the live state of its note, the notes
        ``gone`` are no longer live, and ``turns`` follow these turns; this one is unchanged.

        A note whose vectors are as held keeps its row (its validity is updated); any other
        is appended, and the row it had is masked out (the matrices are shared, never
        copied). Row lookups and conversational neighbours are carried over and updated,
        not rebuilt: a write to a large index costs what it changes."""
        kept: dict[int, IndexRow] = {}
        dead: list[int] = []
        added: list[IndexRow] = []
        for row in rows:
            at = self.row_of(row.id)
            if at is not None and self._holds(at, row):
                kept[at] = row
                continue
            if at is not None:
                dead.append(at)
            added.append(row)
        dead += [at for at in map(self.row_of, dict.fromkeys(gone)) if at is not None]
        if not (added or dead or kept or turns):
            return self
        grown = self._appended(added, turns)
        if kept:
            start, end = _bounds([row.validity for row in kept.values()])
            grown._start[list(kept)], grown._end[list(kept)] = start, end
            grown._expiry[list(kept)] = _instants([r.expires for r in kept.values()], np.inf)
        if dead or self._alive is not None:
            alive = np.ones(len(grown.ids), dtype=bool)
            if self._alive is not None:
                alive[: len(self.ids)] = self._alive
            alive[dead] = False
            grown._alive = alive
        _carry_lookups(self, grown, dead, added, turns)
        if dead and len(grown.ids) - grown.live_count > max(self.compact_after,
                                                            len(grown.ids) // 4):
            return grown.compacted()
        return grown

    def compacted(self) -> VectorIndex:
        """The same live notes in fresh matrices without the dead rows."""
        live = np.flatnonzero(self._alive) if self._alive is not None else np.arange(len(self))
        index = VectorIndex([self.ids[r] for r in live], self.embeddings[live].copy(),
                            self.intents[live].copy(), [self.agents[r] for r in live],
                            [self.sessions[r] for r in live], self.turns)
        index._start, index._end = self._start[live].copy(), self._end[live].copy()
        index._expiry = self._expiry[live].copy()
        return index

    def _holds(self, row: int, data: IndexRow) -> bool:
        """The row holds these vectors and scope (only its validity may differ)."""
        return (self.agents[row] == data.agent and self.sessions[row] == data.session
                and np.array_equal(self._e[row], data.embedding)
                and np.array_equal(self._z[row], data.intent))

    def _appended(self, rows: Sequence[IndexRow], turns: Sequence[Turn]) -> VectorIndex:
        """A new index with ``rows`` after these rows (fresh validity arrays, shared
        matrices); lookups and liveness are the caller's to carry over."""
        n, need = len(self.ids), len(self.ids) + len(rows)
        buf_e, buf_z = self._e, self._z
        if rows:
            e = np.stack([r.embedding for r in rows]).astype(np.float32)
            z = np.stack([r.intent for r in rows]).astype(np.float32)
            if (buf_e.shape[0] < need or buf_e.shape[1] != e.shape[1]
                    or self._filled[0] != n):
                capacity = max(need + need // 4, 64)
                buf_e = np.zeros((capacity, e.shape[1]), np.float32)
                buf_z = np.zeros((capacity, z.shape[1]), np.float32)
                if n:
                    buf_e[:n], buf_z[:n] = self.embeddings, self.intents
            # Rows past n are invisible to this index and to any older one: writing is safe.
            buf_e[n:need], buf_z[n:need] = e, z
        grown = copy.copy(self)  # then each list copied once, not twice as by the constructor
        grown.ids = self.ids + [r.id for r in rows]
        grown.agents = self.agents + [r.agent for r in rows]
        grown.sessions = self.sessions + [r.session for r in rows]
        grown.turns = self.turns + list(turns)
        grown._e, grown._z = buf_e, buf_z
        start, end = _bounds([r.validity for r in rows])
        grown._start = np.concatenate([self._start, start])
        grown._end = np.concatenate([self._end, end])
        grown._expiry = np.concatenate([self._expiry,
                                        _instants([r.expires for r in rows], np.inf)])
        grown._alive = grown._row_of = grown._turn_neighbours = grown._last_turns = None
        grown._filled = self._filled if buf_e is self._e else [n]
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



@dataclass(frozen=True)
class IndexRow:
    """What a vector index holds of one live note."""

    id: str
    embedding: np.ndarray
    intent: np.ndarray
    agent: str
    session: str
    validity: Validity
    expires: datetime | None = None
    """When a short-term note expires (None: never)."""

    @classmethod
    def of(cls, note: Note) -> IndexRow:
        assert note.embedding is not None and note.intent_embedding is not None
        return cls(note.id, note.embedding, note.intent_embedding, note.scope.agent_id or "",
                   note.scope.session_id or "", (note.valid_from, note.valid_until),
                   note.expires_at)


def _carry_lookups(old: VectorIndex, new: VectorIndex, dead: Sequence[int],
                   added: Sequence[IndexRow], turns: Sequence[Turn]) -> None:
    """Give ``new`` (``old`` with ``dead`` rows masked, ``added`` rows and ``turns``
    appended) the lookups ``old`` has built, updated by the change instead of rebuilt."""
    if old._row_of is None:
        return
    first = len(old.ids)
    rows = old._row_of.copy()
    moved: dict[int, int] = {}
    for at in dead:
        rows.pop(old.ids[at], None)
    for offset, row in enumerate(added):
        if row.id in old._row_of:
            moved[old._row_of[row.id]] = first + offset
        rows[row.id] = first + offset
    new._row_of = rows
    if old._last_turns is None:
        return
    last = dict(old._last_turns)
    new._last_turns = last
    turned = {t.note_id for t in turns}
    back = any(row.id not in turned and first + i not in moved.values()
               for i, row in enumerate(added))  # a restored note: its old turns pair again
    if old._turn_neighbours is None or back:
        last.update(((t.agent_id, t.thread), t) for t in turns if t.thread)
        return  # neighbours are rebuilt when next asked for
    around = _remapped(old._turn_neighbours, moved, set(dead) - set(moved))
    _pair_turns(around, last, turns, rows.get)
    new._turn_neighbours = around


def _remapped(around: dict[int, list[int]], moved: dict[int, int],
              dropped: set[int]) -> dict[int, list[int]]:
    """Neighbour lists with moved rows renamed and dropped rows left out. Pairs are kept
    both ways, so only the lists of those rows and of their neighbours change."""
    out = dict(around)
    touched = set(moved) | dropped
    for row in list(touched):
        touched.update(around.get(row, ()))
    lists = {row: around[row] for row in touched if row in around}
    for row in lists:
        del out[row]
    for row, rows in lists.items():
        if row not in dropped:
            out[moved.get(row, row)] = [moved.get(r, r) for r in rows if r not in dropped]
    return out


def _pair_turns(around: dict[int, list[int]], last: dict[tuple[str, str], Turn],
                turns: Sequence[Turn], row_of: Callable[[str], int | None]) -> None:
    """Extend ``around`` (rows holding consecutive turns of one thread said by two
    different known speakers) and ``last`` (each thread's latest turn) by ``turns``, said
    after those they were built from. A neighbour list is replaced, never changed in
    place: another index may share it."""
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
            if other not in around.get(row, ()):
                around[row] = [*around.get(row, ()), other]
