"""The store contract every backend implements (its vector index: ``asem.stores.vector_index``).

A store owns durability: each call that writes does all of its work (notes, vectors, lexical
index, links, history) in one transaction, or none of it.

Every stored note has a row version (``Note.version``): 1 when inserted, one higher with each
change to it (feedback on its utility excepted). A write decided on what was read names the
versions it read (``WriteBatch.expected``); the store checks them inside its transaction and
refuses the whole write with ``WriteConflictError`` when one has moved on. That is how
writers that decide outside the transaction (other threads, processes, servers) never
overwrite each other: SQLite checks under BEGIN IMMEDIATE; PostgreSQL locks the rows
(``SELECT ... FOR UPDATE``) and compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np

from asem.errors import EmbedderMismatchError
from asem.stores.dense import DenseSource
from asem.stores.turns import (  # noqa: F401  (re-exported: part of the contract)
    Turn,
    replies,
    turn,
    turn_of,
)
from asem.stores.vector_index import VectorIndex  # noqa: F401  (re-exported)
from asem.types import FeedbackEvent, FeedbackResult, Filters, HistoryEntry, Link, Note, Scope


def check_embedder(found: Iterable[str], expected: str, user_id: str, where: str) -> None:
    """Raise EmbedderMismatchError when any of ``found`` (the model ids stored with a user's
    notes) is not ``expected`` (the memory's embedder): vectors are never mixed."""
    others = tuple(sorted(set(found) - {expected}))
    if not others:
        return
    from asem.providers.registry import name_of

    names = [name_of(m) for m in others]
    how = (f"embedder={names[0]!r} (asem --embedder {names[0]})" if len(others) == 1
           and names[0] else "the embedder that made them")
    raise EmbedderMismatchError(
        f"the notes of user {user_id!r} in {where} were embedded with {', '.join(others)}, "
        f"not {expected}; open the memory with {how}, or move them to this embedder (asem "
        "export with the old one, asem import with this one re-embeds)", others, expected)


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
class NameUse:
    """How often a name was used for one speaker of a scope (``asem.write.addressed``)."""

    user_id: str
    agent_id: str
    speaker: str
    name: str
    addressed: int = 0
    """Turns said to ``speaker`` (by someone else, after them) that called them this."""
    said: int = 0
    """Times ``speaker`` said this word themselves."""


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
    names: tuple[NameUse, ...] = ()
    """Added to the name counts of the batch's scopes (``NameStore``)."""
    jobs: bool = False
    """Queue an LLM job (``asem.write.worker``) for every note inserted that is not
    quarantined, in the same transaction: a crash after the commit cannot leave a new
    note without its job."""


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
        """The user's live notes as matrices (cached; kept in step with every write). The
        write path reads neighbours from it; a search asks ``dense`` instead."""
        ...

    def dense(self, scope: Scope, filters: Filters) -> DenseSource:
        """The dense channel of a search of ``scope`` with ``filters``, now: the notes it
        may return (live, in the scope, valid for the search as ``asem.read.validity`` has
        it, passing the filters, not quarantined unless they include quarantined notes),
        nearest first. Read inside the search's snapshot."""
        ...

    def replies(self, user_id: str, note_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Per note of ``note_ids`` that has any: the notes, live or not, holding the turns
        said right after its turns in the same conversation by someone else
        (``asem.stores.dense.reply_map``), in the order said."""
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

    def snapshot(self, *, exclusive: bool = False,
                 users: Sequence[str] = ()) -> AbstractContextManager[None]:
        """Reads made inside (from this thread) all see one committed state: a search never
        finds half of a write (a note deleted but its replacement not yet added).

        ``exclusive`` also holds the write lock of ``users`` (every tenant when none is
        named; SQLite's one lock is always the whole file's): no other writer of them
        commits until it ends, and ``write`` calls inside join its transaction (committed at
        the end, undone with it on an error). Write only inside an exclusive snapshot; a
        snapshot inside another is part of the outer one."""
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

    def quarantined_ids(self, user_id: str) -> set[str]:
        """Ids of the user's live notes the injection detector quarantined (few: a search
        asks on every call, so a backend should index them)."""
        ...

    def set_quarantined(self, note_id: str, quarantined: bool, reason: str, actor: str) -> None:
        """Quarantine a live note or lift its quarantine, with a QUARANTINE or RELEASE
        history row; InvalidInputError when it is in that state already."""
        ...

    def list_notes(self, scope: Scope, filters: Filters, *, limit: int, offset: int = 0,
                   include_deleted: bool = False, newest_first: bool = False) -> list[Note]:
        """The notes in ``scope`` passing ``filters``, oldest first (notes of one second in
        id order; ``newest_first`` reverses that order), one page. Validity counts here (as
        a search applies it): by default the notes current now, with ``filters.as_of``
        those that held then, with ``filters.include_superseded`` past facts too."""
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


@runtime_checkable
class NameStore(Protocol):
    """The names the speakers of each scope are addressed by: the ``NameUse`` counts that
    ``WriteBatch.names`` added up, in the transaction of their batch."""

    def names(self, user_id: str, agent_id: str | None, names: Sequence[str]) -> list[NameUse]:
        """The counts of ``names`` in ``user_id``'s scopes (of one agent, when given; else
        every agent's, each row by itself)."""
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


@dataclass(frozen=True)
class NoteLife:
    """What maintenance weighs of one live note (``LifecycleStore.life_signals``)."""

    note_id: str
    user_id: str
    tier: str
    created_at: datetime
    expires_at: datetime | None
    superseded_at: datetime | None
    """When its validity ended (None: current); a superseded note is archived first."""
    utility: float
    usage_count: int
    """Feedback uses."""
    last_used: datetime | None
    retrievals: int
    """How many recorded searches returned it."""
    content: str
    """What it says: a token budget counts its words, the keep score how specific it is."""

    @property
    def words(self) -> int:
        return len(self.content.split())


class LifecycleStore(Protocol):
    """Memory over months: promotion, archiving and what maintenance needs to decide it
    (``asem.lifecycle``). An archived note is out of search, listings and the lexical index
    like a soft-deleted one, kept with its history and restorable."""

    def promote(self, note_ids: Sequence[str], reason: str, actor: str) -> list[str]:
        """Make the live short-term notes among ``note_ids`` long-term (their expiry
        cleared), each with a PROMOTE history row; returns the ids promoted."""
        ...

    def archive(self, notes: Sequence[tuple[str, str]], actor: str) -> list[str]:
        """Archive the live notes among ``notes`` (note id, reason) in one transaction, each
        with an ARCHIVE history row giving its reason; returns the ids archived."""
        ...

    def unarchive(self, note_id: str, actor: str) -> None:
        """Bring an archived note back (UNARCHIVE history row); an expired short-term note
        comes back long-term. NotFoundError when it is not archived; InvalidInputError when a
        live note holds its content now."""
        ...

    def life_signals(self, user_id: str | None) -> list[NoteLife]:
        """The live notes of ``user_id`` (of every tenant for None), oldest first."""
        ...

    def tenants(self) -> list[str]:
        """Every user id with live notes, sorted."""
        ...


class MaintenanceLog(Protocol):
    """What maintenance did, and the counts ``stats`` shows of the lifecycle."""

    def record_maintenance(self, user_id: str, report: dict[str, Any], dry_run: bool) -> None:
        """Keep what one maintenance run of ``user_id`` did (``report``: JSON-ready)."""
        ...

    def lifecycle_counts(self, user_id: str | None) -> dict[str, Any]:
        """Counts for ``stats``: short-term, expired (not archived yet), archived and
        forgotten notes, and the latest maintenance report (None before the first)."""
        ...


class Eraser(Protocol):
    """Forgetting for real (SPEC section 2): unlike a soft delete, nothing is left to undo."""

    def forget(self, user_id: str, note_ids: Sequence[str] | None, actor: str) -> list[str]:
        """Remove ``user_id``'s notes ``note_ids`` (every note of the tenant for None) for
        good: content, vectors, lexical rows, links, history text, conversation turns, LLM
        jobs, the experience notes that quote them, and the retrievals and feedback that
        returned them; one audit row per note (id, tenant, when, who, why; no content)
        remains. Afterwards no byte of the forgotten text is left in the database files
        (secure delete, lexical index merge, checkpoint, VACUUM).
        Returns the ids forgotten (NotFoundError for an id that is not the tenant's)."""
        ...


class RetrievalLog(Protocol):
    """What a recorded search was, for experience notes (``asem.lifecycle.experience``)."""

    def retrieval(self, retrieval_id: str, user_id: str) -> tuple[str, list[str]] | None:
        """(query, note ids returned) of ``user_id``'s retrieval; None for an unknown one or
        another tenant's."""
        ...


@dataclass(frozen=True)
class ArchivedNote:
    """Everything a store holds of one note, to move it to another store unchanged: the
    note as stored (id, vectors, utility and usage, version, validity, deleted or not), the
    embedder of its vectors, its history rows in order and every link from it."""

    note: Note
    embedder: str
    history: tuple[HistoryEntry, ...] = ()
    links: tuple[Link, ...] = ()
    """Every link from the note, to deleted notes too (``Note.links`` shows live ones)."""

    def link_rows(self, at: object) -> list[tuple[str, str, str, float, object]]:
        """(src, dst, relation, strength, created_at) of each link, made at ``at``."""
        return [(self.note.id, lk.target_id, lk.relation, lk.strength, at) for lk in self.links]


def grouped_links(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Link]]:
    """Link rows (src, dst, relation, strength, in the order read) by source note."""
    found: dict[str, list[Link]] = {}
    for r in rows:
        found.setdefault(r["src"], []).append(Link(r["dst"], r["relation"], r["strength"]))
    return found


@dataclass(frozen=True)
class ArchivedRetrieval:
    """A search as the store recorded it, with the feedback given on it: what
    intent-conditioned utility replays (``ReadConfig.intent_utility``)."""

    id: str
    scope: Scope
    query: str
    note_ids: tuple[str, ...]
    created_at: datetime
    query_vector: np.ndarray | None = None
    feedback: tuple[tuple[float, tuple[str, ...], datetime], ...] = ()
    """(reward, note ids, at) of each feedback call on it."""
    note_feedback: tuple[tuple[str, float, float, float, datetime], ...] = ()
    """(note id, reward, learning rate, utility before, at) of each utility update."""


class Archive(Protocol):
    """Moving notes between stores without losing anything (``asem.transfer``: an export
    that carries vectors, restored into a memory of the same embedder)."""

    def links_from(self, note_ids: Sequence[str]) -> dict[str, list[Link]]:
        """note id → every link from it (deleted targets too), strongest first."""
        ...

    def retrievals(self, user_id: str) -> list[ArchivedRetrieval]:
        """The user's recorded searches, oldest first, with their feedback."""
        ...

    def restore(self, notes: Sequence[ArchivedNote], turns: Sequence[Turn],
                retrievals: Sequence[ArchivedRetrieval] = ()) -> set[str]:
        """Store ``notes`` exactly as given, in one transaction; returns the ids stored.

        A note whose id is stored already, or whose content is live and current in its
        scope under another id, is skipped with its history and links. ``turns`` (the
        order of conversation) are appended for the notes stored only, and a retrieval
        whose id is stored already is skipped with its feedback, so restoring the same
        archive twice changes nothing."""
        ...
