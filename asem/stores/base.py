"""The store contract every backend implements, and the in-memory vector index it serves.

A store owns durability: each call that writes does all of its work (notes, vectors, lexical
index, links, history) in one transaction, or none of it.

Every stored note has a row version (``Note.version``): 1 when inserted, one higher with each
change to it (feedback on its utility excepted). A write decided on what was read names the
versions it read (``WriteBatch.expected``); the store checks them inside its transaction and
refuses the whole write with ``WriteConflictError`` when one has moved on. That is how
writers that decide outside the transaction (other threads, processes, servers) never
overwrite each other: SQLite checks under BEGIN IMMEDIATE; PostgreSQL would lock the rows
(``SELECT ... FOR UPDATE``) and compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from asem.types import FeedbackEvent, FeedbackResult, Filters, HistoryEntry, Note, Scope


@dataclass(frozen=True)
class NewNote:
    """A note to insert and the links to make from it (stored in both directions)."""

    note: Note
    links: tuple[tuple[str, str, float], ...] = ()
    """(target note id, relation text, strength)."""
    reason: str = ""


@dataclass(frozen=True)
class Merge:
    """Provenance to add to an existing note (a NOOP that keeps where the input came from)."""

    note_id: str
    turn_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class NoteUpdate:
    """A live note's new version (content, attributes, vectors); history keeps the old."""

    note: Note
    reason: str


@dataclass(frozen=True)
class TurnHolder:
    """A note whose provenance holds a turn id: enough to tell that turn given again."""

    note_id: str
    content_hash: str
    source_id: str | None
    delete_reason: str | None
    """Why the note stopped holding: its delete reason, or the reason of its supersession
    (which quotes a retraction); None while it is live and current."""


@dataclass(frozen=True)
class NoteDelete:
    """A soft delete of a live note, with the reason."""

    note_id: str
    user_id: str
    reason: str


@dataclass(frozen=True)
class Supersession:
    """A live note that stops holding at ``valid_until``: it stays stored and searchable as
    a past fact, linked to ``successor_id`` (None for a retraction with no successor)."""

    note_id: str
    user_id: str
    valid_until: datetime
    successor_id: str | None
    reason: str


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


@dataclass(frozen=True)
class WriteBatch:
    """Everything one write commits atomically: inserts, updates, deletes, then merges."""

    new: tuple[NewNote, ...] = ()
    merges: tuple[Merge, ...] = ()
    actor: str = "user"
    updates: tuple[NoteUpdate, ...] = ()
    deletes: tuple[NoteDelete, ...] = ()
    turns: tuple[Turn, ...] = ()
    """The batch's inputs in the order said, each with the note holding it."""
    expected: tuple[tuple[str, int], ...] = ()
    """(note id, version read) of each stored note the batch's decisions were made on: if
    one is no longer live at that version, nothing is written (``WriteConflictError``)."""
    supersessions: tuple[Supersession, ...] = ()
    """Applied after the inserts (a successor is inserted in the same batch)."""


@dataclass(frozen=True)
class Job:
    """A claimed LLM job: enrich, link and evolve one new note."""

    id: int
    note_id: str
    user_id: str
    attempts: int
    """Attempts so far, this one included."""


@dataclass(frozen=True)
class ApiKey:
    """A server API key as stored: its public id and grant, never its secret."""

    id: str
    user_id: str | None
    """The tenant the key grants; None for an admin key."""
    admin: bool
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Evolution:
    """What one LLM job batch changes, committed with the jobs marked done."""

    updates: tuple[tuple[Note, str], ...] = ()
    """(note with new attributes and vectors, reason for the history row)."""
    links: tuple[tuple[str, str, str, float], ...] = ()
    """(source id, target id, relation, strength), stored in both directions."""
    job_ids: tuple[int, ...] = ()
    actor: str = "llm"


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
                 validity: Sequence[Validity] = ()) -> None:
        self.ids = list(ids)
        self.agents = list(agents)
        self.sessions = list(sessions)
        # valid_from and valid_until as seconds since the epoch (-inf, +inf: open).
        self._start, self._end = _bounds(validity) if validity else (
            np.full(len(self.ids), -np.inf), np.full(len(self.ids), np.inf))
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


@dataclass(frozen=True)
class NoteSignals:
    """What value-aware ranking needs of a note, without its text or vectors."""

    utility: float
    usage_count: int
    last_used: datetime | None
    created_at: datetime


class Store(Protocol):
    """Persistence for notes, links, history, retrievals and feedback."""

    path: str
    """Where the notes live (a file path, ":memory:" or a database URL), for messages."""
    read_only: bool
    """True when opened for reading only: every write raises StoreReadOnlyError."""

    def vector_index(self, user_id: str) -> VectorIndex:
        """The user's live notes as matrices (cached; kept in step with every write)."""
        ...

    def note_ids_for_hashes(self, scope: Scope, hashes: Sequence[str]) -> dict[str, str]:
        """content hash → id of the live, current note (not superseded) in exactly this
        scope with that hash."""
        ...

    def turn_holders(self, scope: Scope, turn_ids: Sequence[str]) -> dict[str, list[TurnHolder]]:
        """turn id → the notes, live or deleted, in exactly this scope whose provenance holds
        that turn (live notes first)."""
        ...

    def write(self, batch: WriteBatch) -> set[str]:
        """Insert, update, soft-delete and supersede notes and merge provenance, with history
        rows, in one transaction; returns the ids of the notes actually inserted.

        First checks ``batch.expected`` inside that transaction: a note that is no longer
        live at the version given makes it write nothing and raise ``WriteConflictError``
        naming the notes (``note_ids``)."""
        ...

    def snapshot(self, *, exclusive: bool = False) -> AbstractContextManager[None]:
        """Reads made inside (from this thread) all see one committed state: a search never
        finds half of a write (a note deleted but its replacement not yet added).

        ``exclusive`` also holds the store's write lock: no other writer commits until it
        ends, and ``write`` calls inside join its transaction (committed at the end, undone
        with it on an error). Write only inside an exclusive snapshot; a snapshot inside
        another is part of the outer one."""
        ...

    def lexical(self, user_id: str, terms: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """(note id, BM25 score ≥ 0, higher is better) for notes matching any term."""
        ...

    def term_stats(self, user_id: str, terms: Sequence[str], note_ids: Sequence[str]
                   ) -> dict[str, tuple[int, set[str]]]:
        """Per term: how many of the user's notes the lexical index matches it in (the
        document frequency BM25 weighs it by), and which of ``note_ids`` it matches."""
        ...

    def filtered_ids(self, scope: Scope, filters: Filters) -> set[str]:
        """Ids of the live notes in ``scope`` that pass the metadata ``filters`` (validity,
        ``as_of`` and ``include_superseded``, is the vector index's to apply)."""
        ...

    def list_notes(self, scope: Scope, filters: Filters, *, limit: int, offset: int = 0,
                   include_deleted: bool = False) -> list[Note]:
        """The notes in ``scope`` passing ``filters``, oldest first (notes of one second in
        id order), one page. Validity counts here (as a search applies it): by default the
        notes current now, with ``filters.as_of`` those that held then, with
        ``filters.include_superseded`` past facts too."""
        ...

    def count_notes(self, scope: Scope, filters: Filters) -> int:
        """How many live notes ``list_notes`` pages through for ``scope`` and ``filters``."""
        ...

    def get_notes(self, ids: Sequence[str], *, include_deleted: bool = False) -> dict[str, Note]:
        ...

    def signals(self, ids: Sequence[str]) -> dict[str, NoteSignals]:
        """Ranking signals of the live notes among ``ids``."""
        ...

    def record_retrieval(self, retrieval_id: str, scope: Scope, query: str,
                         note_ids: Sequence[str], query_vector: np.ndarray | None = None) -> None:
        """Remember what a search returned (and its query embedding), for feedback."""
        ...

    def last_retrieval_of(self, user_id: str, note_id: str) -> str | None:
        """The id of ``user_id``'s latest retrieval that returned ``note_id`` (None for none)."""
        ...

    def apply_feedback(self, retrieval_id: str, reward: float, note_ids: Sequence[str] | None,
                       learning_rate: float, user_id: str | None = None) -> FeedbackResult:
        """q ← q + α(r − q) for the retrieval's notes (or the named subset), atomically.

        With ``user_id``, a retrieval of another user is reported as not found."""
        ...

    def feedback_events(self, note_ids: Sequence[str]) -> dict[str, list[FeedbackEvent]]:
        """note id → its utility updates, oldest first, each with its retrieval's query vector
        (notes never rewarded are absent)."""
        ...

    def update_note(self, note: Note, reason: str, actor: str) -> None:
        """Replace a live note's content and attributes (vectors included), with history;
        its utility and usage stay as stored. ``WriteConflictError`` when the stored note is
        no longer at ``note.version`` (it changed since ``note`` was read)."""
        ...

    def delete_note(self, note_id: str, reason: str, actor: str) -> None:
        ...

    def restore_note(self, note_id: str, actor: str) -> None:
        ...

    def reopen_note(self, note_id: str, actor: str) -> None:
        """Undo a supersession: the note holds again (valid_until and superseded_by cleared),
        the supersession links to its successor are removed and the successor's valid_from
        is cleared, each with a history row."""
        ...

    def history(self, note_id: str) -> list[HistoryEntry]:
        ...

    def stats(self, user_id: str | None) -> dict[str, int | float | str]:
        ...

    def close(self) -> None:
        ...


class JobQueue(Protocol):
    """The durable queue of LLM work a store keeps next to its notes.

    Jobs are claimed oldest first, one user per claim (a batch shares its neighbours);
    a claimed job whose worker died is claimed again after ``lease_s`` seconds.
    """

    def enqueue_jobs(self, notes: Sequence[tuple[str, str]]) -> None:
        """One pending job per (note id, user id)."""
        ...

    def claim_jobs(self, limit: int, lease_s: float) -> list[Job]:
        ...

    def release_jobs(self, job_ids: Sequence[int], error: str, *, failed: bool,
                     count_attempt: bool = True) -> None:
        ...

    def apply_evolution(self, evolution: Evolution) -> None:
        """Note updates (history rows included), links, and the jobs done, in one commit.
        An update of a note no longer live at the version it was read at is left out."""
        ...

    def job_status(self, note_ids: Sequence[str]) -> dict[str, str]:
        """note id → pending / running / done / failed (notes without a job are absent)."""
        ...

    def job_counts(self, user_id: str | None = None) -> dict[str, int]:
        ...


class KeyStore(Protocol):
    """The server's API keys, kept next to the notes: only a hash of each secret is stored."""

    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        """Store a new key (its id is new)."""
        ...

    def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with this id and its secret's hash (revoked keys too), or None."""
        ...

    def api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        ...

    def revoke_api_key(self, key_id: str) -> ApiKey:
        """Mark a key revoked (now, or keep the earlier time); NotFoundError for an unknown id."""
        ...
