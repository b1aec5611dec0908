"""The live notes of one user as matrices (the in-memory vector index a store serves), with
the turns of conversations that give each note its conversational neighbours (the turns and
the maps over them: ``asem.stores.turns``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from asem.stores.rows import Rows
from asem.stores.sign_codes import SignCodes
from asem.stores.turns import Lookups, Turn, paired, remap, turn_of
from asem.types import Note, Scope

SCOPES_KEPT = 8
"""Agent and session masks an index keeps (and extends at each write) for the scopes last
searched."""

SHORTLIST_ROWS = 2_000
"""Rows a shortlist holds, at least. Over 86,272 LongMemEval_S user turns searched with its
questions, it holds every one of the 5 nearest by cosine and 99.97 % of the 10 nearest
(4,000 rows: all of them, for 1 ms more a search; ``benchmarks/shortlist.py``)."""
SHORTLIST_PER_RESULT = 100
"""Rows a shortlist holds per result asked for, when that is more than ``SHORTLIST_ROWS``
(the 20 candidates of a search: 2,000 rows, holding 99.93 % of the 20 nearest)."""


class VectorIndex:
    """The live notes of one user as matrices, for brute-force cosine search.

    Rows align across ``ids``, ``embeddings`` (e), ``intents`` (z), ``agents``, ``sessions``
    and each row's validity (given as (valid_from, valid_until), None at an open end; read
    with ``valid_at``, ``ended_by`` and ``closed``);
    ``turns`` is the order of conversation that conversational context reads.
    An index is never changed in place: ``extended`` returns a new one, so a search holding
    the old index keeps a consistent view. Appends share row buffers that grow by doubling,
    and lists that grow (``Rows``), so adding one note copies neither the matrix nor the
    lists.
    """

    shortlist_from = 20_000
    """Rows from which a nearest-neighbour search ranks a shortlist (``shortlist``) instead
    of every row: below it the exact product over every row costs under 3 ms."""

    compact_after = 1024
    """Dead rows (of notes deleted or re-embedded) an index keeps before it is compacted
    (and at least a quarter of its rows)."""

    def __init__(self, ids: Sequence[str] = (), embeddings: np.ndarray | None = None,
                 intents: np.ndarray | None = None, agents: Sequence[str] = (),
                 sessions: Sequence[str] = (), turns: Sequence[Turn] = (),
                 validity: Sequence[Validity] = (),
                 expiry: Sequence[datetime | None] = ()) -> None:
        self.ids = Rows(list(ids))
        self.agents = Rows(list(agents))
        self.sessions = Rows(list(sessions))
        # valid_from and valid_until as seconds since the epoch (-inf, +inf: open).
        self._start, self._end = _bounds(validity) if validity else (
            np.full(len(self.ids), -np.inf), np.full(len(self.ids), np.inf))
        # expires_at of each row (+inf: never, every long-term note).
        self._expiry = (_instants(expiry, np.inf) if expiry
                        else np.full(len(self.ids), np.inf))
        self.turns = Rows(list(turns))
        """The user's stored inputs in the order said, each with the note holding it."""
        dim = embeddings.shape[1] if embeddings is not None and embeddings.ndim == 2 else 0
        self._e = embeddings if embeddings is not None else np.zeros((0, dim), np.float32)
        self._z = intents if intents is not None else np.zeros((0, dim), np.float32)
        self._alive: np.ndarray | None = None
        """Rows still live (None: all): a row whose note was deleted or re-embedded since the
        index was loaded stays in the matrices, masked out (``patched``)."""
        self._lookups: Lookups | None = None
        self._generation = 0
        """The maps are this index's while their generation is this one (``_maps``)."""
        # Rows of the shared buffers in use, shared by every index on those buffers: only the
        # index that ends at that mark may append in place.
        self._filled = [len(self.ids)]
        self._scoped: dict[tuple[str, str], np.ndarray] = {}
        """(column, value) → rows whose agent or session is that value: made at the first
        search of that scope, extended by each write (``_appended``)."""
        self._codes: SignCodes | None = None
        """The rows' sign codes (``shortlist``): made at the first shortlist, extended by
        each write."""

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

    @property
    def shortlists(self) -> bool:
        """Whether a nearest-neighbour search ranks a shortlist (``shortlist_from`` rows or
        more) rather than every row."""
        return len(self) >= self.shortlist_from

    def similarities_at(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of ``vector`` with the note embedding of each of ``rows``."""
        return single_threaded_matvec(self.embeddings[rows], vector)

    def shortlist(self, vector: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray | None:
        """Rows of ``mask`` among which the ``k`` most similar to ``vector`` lie, with high
        probability (those nearest by the Hamming distance of their sign codes,
        ``asem.stores.sign_codes``); None where ranking every row exactly is about as
        cheap (``shortlists`` false). Every visible row when there are not many more than
        the shortlist holds."""
        if not self.shortlists:
            return None
        size = max(SHORTLIST_ROWS, SHORTLIST_PER_RESULT * k)
        if int(np.count_nonzero(mask)) <= size:
            return np.flatnonzero(mask)
        if self._codes is None:
            self._codes = SignCodes.of(self.embeddings)
        distance = np.where(mask, self._codes.distances(vector), np.iinfo(np.uint16).max)
        return np.argpartition(distance, size - 1)[:size]

    def row_of(self, note_id: str) -> int | None:
        """The live row holding ``note_id`` (None when the index holds no live one)."""
        maps = self._maps()
        row = maps.row_of.get(note_id)
        if maps.generation != self._generation:  # a newer index took the maps meanwhile
            return self.row_of(note_id)
        return row

    def turn_neighbours(self, row: int) -> tuple[int, ...]:
        """The rows holding the turns just before and after those ``row`` holds, in the same
        conversation: what it replies to and what replies to it.

        Read from ``turns``, so a turn the manager recorded on an older note (NOOP) or merged
        into one (UPDATE) still sits between the turns around it, held by that note. Only a
        turn by someone else counts (not the same person going on, nor a turn whose speaker
        nobody recorded); a turn whose note was deleted breaks the chain, and a discarded one
        was never recorded. Notes from no known conversation have none.
        """
        maps = self._maps()
        if maps.around is None:
            maps.around = paired(self.turns, maps.row_of)
        found = tuple(maps.around.get(row, ()))
        if maps.generation != self._generation:
            return self.turn_neighbours(row)
        return found

    def last_turn(self, agent_id: str, thread: str) -> Turn | None:
        """The latest stored input of conversation ``thread`` (None for none)."""
        maps = self._maps()
        found = maps.last.get((agent_id, thread))
        if maps.generation != self._generation:
            return self.last_turn(agent_id, thread)
        return found

    def speakers(self) -> dict[str, frozenset[str]]:
        """Note id → the labels (lower-cased) of the speakers of its turns; notes with no
        recorded speaker are left out. Like ``threads`` and ``replies_to``, a map kept by
        the index and updated by each write (read it before the next one)."""
        return self._maps().said

    def speaker_labels(self) -> frozenset[str]:
        """Every speaker label (lower-cased) of the turns."""
        return frozenset(self._maps().labels)

    def said_rows(self, labels: frozenset[str]) -> np.ndarray:
        """The live rows of the notes said by any of ``labels``, in order."""
        spoken = self._maps().spoken
        rows = np.unique(np.fromiter(
            (row for label in labels for row in spoken.get(label, ())), dtype=np.int64))
        return rows if self._alive is None else rows[self._alive[rows]]

    def threads(self) -> dict[str, str]:
        """Note id → the conversation its first recorded turn belongs to ("agent\x1fthread");
        notes of no known conversation are left out."""
        return self._maps().threads

    def replies_to(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Per note of ``ids`` with any: the notes holding the turns said right after its
        turns, by someone else, in the same conversation (``asem.stores.dense.reply_map``)."""
        found = self._maps().replies
        return {note_id: found[note_id] for note_id in ids if note_id in found}

    def _maps(self) -> Lookups:
        """The maps over this index's rows and turns: built at the first question, then
        handed on to the index made by each write and updated there by what it changed
        (``_carry_lookups``). An index asked after it has handed them on builds its own."""
        maps = self._lookups
        if maps is None or maps.generation != self._generation:
            maps = self._lookups = Lookups(self.ids, self._alive, self.turns)
            self._generation = maps.generation
        return maps

    def scope_mask(self, scope: Scope) -> np.ndarray:
        """Live rows visible to ``scope`` (agent and session narrow when given)."""
        mask = np.ones(len(self.ids), dtype=bool) if self._alive is None else self._alive.copy()
        if scope.agent_id is not None:
            mask &= self._holding("agent", scope.agent_id)
        if scope.session_id is not None:
            mask &= self._holding("session", scope.session_id)
        return mask

    def _holding(self, column: str, value: str) -> np.ndarray:
        """Rows whose agent (``column`` "agent") or session is ``value``."""
        found = self._scoped.get((column, value))
        if found is None:
            values = self.agents if column == "agent" else self.sessions
            found = np.fromiter((v == value for v in values), dtype=bool, count=len(self))
            if len(self._scoped) >= SCOPES_KEPT:
                self._scoped.clear()
            self._scoped[(column, value)] = found
        return found

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
        copied, and so are the lists of ids, scopes and turns: appended to). The maps this
        index has built (rows, neighbours, speakers, conversations, replies) are handed to
        the new one and updated by the change, not rebuilt: a write to a large index costs
        what it changes."""
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
        ids, agents, sessions = self.ids.items, self.agents.items, self.sessions.items
        index = VectorIndex([ids[r] for r in live], self.embeddings[live].copy(),
                            self.intents[live].copy(), [agents[r] for r in live],
                            [sessions[r] for r in live], self.turns)
        index._start, index._end = self._start[live].copy(), self._end[live].copy()
        index._expiry = self._expiry[live].copy()
        if self._codes is not None:
            index._codes = self._codes.taken(live)
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
        grown = copy.copy(self)  # the lists appended to in place, not copied
        grown.ids = self.ids.plus([r.id for r in rows])
        grown.agents = self.agents.plus([r.agent for r in rows])
        grown.sessions = self.sessions.plus([r.session for r in rows])
        grown.turns = self.turns.plus(turns)
        grown._e, grown._z = buf_e, buf_z
        start, end = _bounds([r.validity for r in rows])
        grown._start = np.concatenate([self._start, start])
        grown._end = np.concatenate([self._end, end])
        grown._expiry = np.concatenate([self._expiry,
                                        _instants([r.expires for r in rows], np.inf)])
        grown._alive, grown._lookups, grown._generation = None, None, 0
        grown._scoped = {(column, value): np.concatenate([held, np.fromiter(
            ((r.agent if column == "agent" else r.session) == value for r in rows),
            dtype=bool, count=len(rows))]) for (column, value), held in self._scoped.items()}
        grown._filled = self._filled if buf_e is self._e else [n]
        grown._filled[0] = need
        if self._codes is not None and rows:
            grown._codes = self._codes.extended(e)
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
    """Hand the maps ``old`` has built to ``new`` (``old`` with ``dead`` rows masked,
    ``added`` rows and ``turns`` appended), updated by the change instead of rebuilt."""
    maps = old._lookups
    if maps is None or maps.generation != old._generation:
        return  # new builds its own when asked
    maps.generation += 1  # first: from here on ``old`` no longer reads them
    new._lookups, new._generation = maps, maps.generation
    rows, first = maps.row_of, len(old.ids)
    moved = {was: first + offset for offset, row in enumerate(added)
             if (was := rows.get(row.id)) is not None}
    for at in dead:
        rows.pop(old.ids[at], None)
    for offset, row in enumerate(added):
        rows[row.id] = first + offset
        for label in maps.said.get(row.id, ()):  # a note of known speakers on a new row
            maps.spoken.setdefault(label, []).append(first + offset)
    turned = {t.note_id for t in turns}
    back = any(row.id not in turned and first + i not in moved.values()
               for i, row in enumerate(added))  # a restored note: its old turns pair again
    if back:
        maps.around = None  # built again when next asked
    elif maps.around is not None:
        remap(maps.around, moved, set(dead) - set(moved))
    maps.read(turns)


