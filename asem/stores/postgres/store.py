"""PostgresStore: notes in PostgreSQL with pgvector, shared by many processes and servers.

Every call takes a connection from a pool (or the one its thread's snapshot holds) and writes
in one transaction. Writers of one tenant take that tenant's advisory lock in the
transaction that writes, and ``snapshot(exclusive=True)`` holds those locks until it ends,
so a write decided under it stays right across servers. Each write transaction also bumps
the tenant's row of ``tenant_changes``: a process holding the tenant's vector index compares
that counter (one indexed read) and, when any process wrote, patches in what the change log
lists since (``asem.stores.postgres.matrix``); the lexical statistics are kept by it too.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from psycopg import IsolationLevel

from asem.errors import InvalidInputError, NotFoundError, StoreReadOnlyError
from asem.stores.base import (
    TurnHolder,
    VectorIndex,
    WriteBatch,
    check_embedder,
    turn_of,
)
from asem.stores.batch import Statements, apply_batch
from asem.stores.dense import DenseSource
from asem.stores.postgres import jobs, matrix, writes
from asem.stores.postgres.codec import COLUMNS, row_to_note, ts
from asem.stores.postgres.connection import (
    ensure_vector_index,
    migrate,
    open_pool,
    redacted,
    translated,
)
from asem.stores.postgres.dense import PostgresDense, replies
from asem.stores.postgres.feedback import FeedbackMixin
from asem.stores.postgres.forget import ForgetMixin
from asem.stores.postgres.jobs import JobsMixin
from asem.stores.postgres.keys import KeysMixin
from asem.stores.postgres.lexical import TermCounts
from asem.stores.postgres.lifecycle import LifecycleMixin
from asem.stores.postgres.names import NamesMixin, count_names
from asem.stores.postgres.nearest import EF_SEARCH, EXACT_LIMIT
from asem.stores.postgres.reads import ReadsMixin
from asem.stores.postgres.restore import ArchiveMixin
from asem.stores.postgres.writes import Conn, tenant_changes
from asem.types import Filters, Note, Scope, now

_ALL_TENANTS = "*"
"""The advisory lock every writer takes shared, and an exclusive snapshot naming no tenant
takes exclusive."""


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"asem tenant {name}".encode()).digest()[:8], "big",
                          signed=True)


_STATEMENTS = Statements(
    check_versions=writes.check_versions, insert=writes.insert,
    link_superseded=writes.link_superseded, live_row=writes.live_row, update=writes.update,
    soft_delete=writes.soft_delete, supersede=writes.supersede, merge=writes.merge,
    log_turns=writes.log_turns, enqueue_jobs=jobs.enqueue)
"""PostgreSQL's statements for the steps of a write batch."""


class PostgresStore(ReadsMixin, JobsMixin, KeysMixin, FeedbackMixin, ArchiveMixin,
                    LifecycleMixin, ForgetMixin, NamesMixin):
    """Notes in a PostgreSQL database (with the pgvector extension). Thread-safe; any number
    of processes and servers may share the database."""

    def __init__(self, url: str, *, embedder_id: str, dimension: int | None = None,
                 read_only: bool = False, pool_min: int = 1, pool_max: int = 10,
                 timeout_s: float = 10.0, busy_timeout_s: float = 5.0,
                 exact_limit: int = EXACT_LIMIT, ef_search: int = EF_SEARCH) -> None:
        """``timeout_s``: how long to wait for the server to answer a connection;
        ``busy_timeout_s``: how long a write waits for a lock another connection holds
        before StoreLockedError; ``exact_limit``: a search of a tenant of at most this many
        notes scans its vectors exactly instead of the HNSW index; ``ef_search``: the
        candidate list of that index's walk, more for recall, fewer for speed
        (``asem.stores.postgres.nearest``)."""
        self.path = redacted(url)
        self._url = url
        self.read_only = read_only
        self._embedder_id = embedder_id
        if not read_only:
            migrate(url, timeout_s)
            if dimension is not None:
                ensure_vector_index(url, dimension)
        self._pool = open_pool(url, min_size=pool_min, max_size=pool_max, timeout_s=timeout_s)
        # A write waits this long for a lock another connection holds, then fails with
        # StoreLockedError (SQLite's busy timeout) instead of waiting without end. Set per
        # transaction: the store keeps no session state (PgBouncer in transaction mode).
        self._lock_wait = f"SET LOCAL lock_timeout = {max(1, int(busy_timeout_s * 1000))}"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._indexes: dict[str, matrix.Matrix] = {}
        self._matrix_locks: dict[str, threading.Lock] = {}
        self.index_loads = 0
        """Matrices loaded whole (not brought up to date from the change log)."""
        self._term_counts = TermCounts()
        self._exact_limit = exact_limit
        self._ef_search = ef_search

    # -- connections and transactions ------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Conn]:
        """The thread's snapshot connection, else one from the pool for this call."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            with translated(self.path):
                yield held
            return
        with translated(self.path), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self, users: Iterable[str]) -> Iterator[Conn]:
        """One transaction (a savepoint inside a snapshot) holding the tenants' write locks,
        with their change counters bumped (the matrices held elsewhere catch up from the
        change log, which the bump prunes now and then: ``matrix.prune``)."""
        if self.read_only:
            raise StoreReadOnlyError(f"the database {self.path} was opened read-only; open it "
                                     "without read_only to write")
        users = sorted(set(users))
        with self._read() as conn, conn.transaction():
            conn.execute(self._lock_wait)  # type: ignore[arg-type]
            _lock_tenants(conn, users, exclusive=False)
            for user_id in users:
                bumped = conn.execute(
                    "INSERT INTO tenant_changes (user_id, changes) VALUES (%s, 1) ON CONFLICT "
                    "(user_id) DO UPDATE SET changes = tenant_changes.changes + 1 "
                    "RETURNING changes", (user_id,)).fetchone()
                matrix.prune(conn, user_id, int(bumped["changes"]))
            yield conn

    @contextmanager
    def snapshot(self, *, exclusive: bool = False,
                 users: Sequence[str] = ()) -> Iterator[None]:
        """Reads inside (from this thread) see one committed state: a REPEATABLE READ
        transaction. ``exclusive`` takes the write locks of ``users`` (of every tenant when
        none is named) and reads the latest state under them; writes inside join the
        transaction, committed at the end."""
        if getattr(self._local, "conn", None) is not None:  # part of the outer snapshot
            yield
            return
        with translated(self.path), self._pool.connection() as conn:
            conn.isolation_level = (IsolationLevel.READ_COMMITTED if exclusive
                                    else IsolationLevel.REPEATABLE_READ)
            self._local.conn = conn
            try:
                with conn.transaction():
                    if exclusive:
                        conn.execute(self._lock_wait)  # type: ignore[arg-type]
                        _lock_tenants(conn, sorted(set(users)), exclusive=True)
                    yield
            except BaseException:
                with self._lock:
                    self._indexes.clear()  # they may hold notes of the writes just undone
                raise
            finally:
                self._local.conn = None
                conn.isolation_level = None

    # -- vectors -----------------------------------------------------------------------------
    def dense(self, scope: Scope, filters: Filters) -> DenseSource:
        """Answered by the database (``asem.stores.postgres.dense``): no vectors are held."""
        with self._read() as conn:  # one of the tenant's notes shows its embedder
            row = conn.execute("SELECT embedder, vector_dims(embedding) AS dimension FROM "
                               "notes WHERE user_id = %s AND deleted_at IS NULL LIMIT 1",
                               (scope.user_id,)).fetchone()
        if row is not None:
            check_embedder([row["embedder"]], self._embedder_id, scope.user_id, self.path)
        return PostgresDense(self._read, scope, filters, now(), exact_limit=self._exact_limit,
                             ef_search=self._ef_search,
                             dimension=0 if row is None else int(row["dimension"]),
                             counts=self._term_counts)

    def replies(self, user_id: str, note_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        with self._read() as conn:
            return replies(conn, user_id, note_ids)

    def vector_index(self, user_id: str) -> VectorIndex:
        """The tenant's matrices, for the write path (a search asks ``dense``): the cached
        ones while no write of the tenant came since, else brought up to date from the
        change log (``asem.stores.postgres.matrix``), else loaded anew."""
        with self._lock:
            tenant_lock = self._matrix_locks.setdefault(user_id, threading.Lock())
        # One thread at a time brings a tenant's matrix up to date: patches share its
        # buffers, and two patches of one matrix at once would write the same rows.
        with tenant_lock, self._read() as conn:
            changes = tenant_changes(conn, user_id)
            with self._lock:
                held = self._indexes.get(user_id)
            if held is not None and held.changes == changes:
                return held.index
            current = None if held is None else matrix.caught_up(
                conn, held, user_id, changes, self._embedder_id, self.path)
            loaded = current is None
            if current is None:
                current = matrix.load(conn, user_id, changes, self._embedder_id, self.path)
            with self._lock:
                self._indexes[user_id] = current
                self.index_loads += loaded
        return current.index

    # -- writes ------------------------------------------------------------------------------
    def note_ids_for_hashes(self, scope: Scope, hashes: Sequence[str]) -> dict[str, str]:
        if not hashes:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT content_hash, id FROM notes WHERE user_id = %s AND agent_id = %s AND "
                "session_id = %s AND deleted_at IS NULL AND valid_until IS NULL "
                "AND content_hash = ANY(%s)",
                (scope.user_id, scope.agent_id or "", scope.session_id or "", list(hashes)),
            ).fetchall()
        return {r["content_hash"]: r["id"] for r in rows}

    def turn_holders(self, scope: Scope, turn_ids: Sequence[str]) -> dict[str, list[TurnHolder]]:
        if not turn_ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.turn_id, n.id, n.content_hash, n.source_id, n.deleted_at, "
                "n.delete_reason, n.valid_until, (SELECT h.reason FROM history h WHERE "
                "h.note_id = n.id AND h.op = 'SUPERSEDE' ORDER BY h.id DESC LIMIT 1) AS closed "
                "FROM note_turns t JOIN notes n ON n.id = t.note_id WHERE t.user_id = %s "
                "AND n.agent_id = %s AND n.session_id = %s AND t.turn_id = ANY(%s) "
                "ORDER BY n.deleted_at IS NOT NULL, n.seq",
                (scope.user_id, scope.agent_id or "", scope.session_id or "", list(turn_ids)),
            ).fetchall()
        found: dict[str, list[TurnHolder]] = {}
        for r in rows:
            found.setdefault(r["turn_id"], []).append(TurnHolder(
                r["id"], r["content_hash"], r["source_id"],
                (r["delete_reason"] or "") if r["deleted_at"] is not None
                else (r["closed"] or "") if r["valid_until"] is not None else None))
        return found

    def write(self, batch: WriteBatch) -> set[str]:
        """Commit the batch in one transaction, in the order ``asem.stores.batch`` gives;
        returns the ids inserted."""
        turns = batch.turns or tuple(turn_of(new.note) for new in batch.new)
        users = ({n.note.scope.user_id for n in batch.new} | {t.user_id for t in turns}
                 | {c.note.scope.user_id for c in batch.updates}
                 | {d.user_id for d in batch.deletes} | {s.user_id for s in batch.supersessions})
        with self._write(users) as conn:
            inserted = apply_batch(_STATEMENTS, conn, batch, turns, self._embedder_id,
                                   ts(now()))
            count_names(conn, batch.names)
        return {n.id for n in inserted}

    def update_note(self, note: Note, reason: str, actor: str) -> None:
        with self._write([note.scope.user_id]) as conn:
            old = self._live_row(conn, note.id)
            writes.check_versions(conn, [(note.id, note.version)])
            writes.update(conn, note, self._embedder_id, ts(now()), reason, actor, old)

    def delete_note(self, note_id: str, reason: str, actor: str) -> None:
        with self._write([self._owner(note_id)]) as conn:
            row = self._live_row(conn, note_id)
            writes.soft_delete(conn, row, ts(now()), reason, actor)

    def restore_note(self, note_id: str, actor: str) -> None:
        with self._write([self._owner(note_id)]) as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM notes WHERE id = %s FOR UPDATE",
                               (note_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no note with id {note_id!r}; check the id with 'asem show'")
            if row["deleted_at"] is None:
                raise InvalidInputError(f"note {note_id} is not deleted; nothing to undo")
            clash = writes.same_content_live(conn, row)
            if clash is not None and row["valid_until"] is None:
                raise InvalidInputError(f"note {note_id} cannot be restored: note {clash} "
                                        "holds the same content now; delete that one first")
            conn.execute("UPDATE notes SET deleted_at = NULL, delete_reason = NULL, "
                         "version = version + 1 WHERE id = %s", (note_id,))
            writes.history(conn, note_id, "RESTORE", None,
                           row_to_note(row).to_dict() | {"deleted_at": None}, ts(now()),
                           "undo delete", actor)

    def quarantined_ids(self, user_id: str) -> set[str]:
        with self._read() as conn:
            rows = conn.execute("SELECT id FROM notes WHERE user_id = %s AND quarantined "
                                "AND deleted_at IS NULL", (user_id,)).fetchall()
        return {r["id"] for r in rows}

    def set_quarantined(self, note_id: str, quarantined: bool, reason: str, actor: str) -> None:
        with self._write([self._owner(note_id)]) as conn:
            row = self._live_row(conn, note_id)
            if bool(row["quarantined"]) == quarantined:
                state = "quarantined already" if quarantined else "not quarantined"
                raise InvalidInputError(f"note {note_id} is {state}; nothing to change")
            conn.execute("UPDATE notes SET quarantined = %s, version = version + 1 "
                         "WHERE id = %s", (quarantined, note_id))
            writes.history(conn, note_id, "QUARANTINE" if quarantined else "RELEASE",
                           {"quarantined": not quarantined}, {"quarantined": quarantined},
                           ts(now()), reason, actor)

    def reopen_note(self, note_id: str, actor: str) -> None:
        with self._write([self._owner(note_id)]) as conn:
            writes.reopen(conn, self._live_row(conn, note_id), ts(now()), actor)

    def _owner(self, note_id: str) -> str:
        with self._read() as conn:
            row = conn.execute("SELECT user_id FROM notes WHERE id = %s", (note_id,)).fetchone()
        return row["user_id"] if row is not None else ""

    def _live_row(self, conn: Conn, note_id: str) -> dict:
        row = writes.live_row(conn, note_id)
        if row is None:
            raise NotFoundError(f"no live note with id {note_id!r}; list notes with 'asem search'"
                                " or undo a delete with 'asem delete --undo'")
        return row

    def close(self) -> None:
        self._pool.close()


def _lock_tenants(conn: Conn, users: Sequence[str], *, exclusive: bool) -> None:
    """Advisory write locks until the transaction ends: every tenant shared and ``users``
    exclusive (in order, so two writers never deadlock); with ``exclusive`` and no users,
    every tenant exclusive."""
    if exclusive and not users:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(_ALL_TENANTS),))
        return
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (_lock_key(_ALL_TENANTS),))
    for user in users:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(user),))
