"""SQLiteStore: the embedded default store (one file, WAL, FTS5, vectors with the note)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from asem.errors import InvalidInputError, NotFoundError
from asem.guard.detector import FLAG_BAR
from asem.stores.base import (
    NoteSignals,
    TurnHolder,
    VectorIndex,
    WriteBatch,
    grouped_links,
    turn_of,
)
from asem.stores.batch import Statements, apply_batch
from asem.stores.dense import DenseSource, matrix_source
from asem.stores.sqlite import jobs, lexical, validity, writes
from asem.stores.sqlite.codec import (
    blob,
    fts_values,
    parse_ts,
    row_to_note,
    ts,
)
from asem.stores.sqlite.connection import (
    open_database,
    open_read_only,
    transaction,
    translated,
)
from asem.stores.sqlite.feedback import read_feedback_events
from asem.stores.sqlite.forget import ForgetMixin
from asem.stores.sqlite.index_cache import IndexCache, prune_changes
from asem.stores.sqlite.jobs import JobsMixin
from asem.stores.sqlite.keys import KeysMixin
from asem.stores.sqlite.lifecycle import LifecycleMixin
from asem.stores.sqlite.names import NamesMixin, count_names
from asem.stores.sqlite.restore import ArchiveMixin
from asem.types import (
    FeedbackEvent,
    FeedbackResult,
    Filters,
    HistoryEntry,
    Link,
    Note,
    Scope,
    now,
)

_STATEMENTS = Statements(
    check_versions=writes.check_versions, insert=writes.insert, link_superseded=validity.link,
    live_row=writes.live_row, update=writes.update, soft_delete=writes.soft_delete,
    supersede=validity.supersede, merge=writes.merge, log_turns=writes.log_turns,
    enqueue_jobs=jobs.enqueue)
"""SQLite's statements for the steps of a write batch."""


class SQLiteStore(JobsMixin, KeysMixin, ArchiveMixin, LifecycleMixin, ForgetMixin,
                  NamesMixin):
    """Notes in one SQLite file. Thread-safe; several processes may share the file.

    The LLM job queue (``JobQueue``) lives in ``asem.stores.sqlite.jobs``, the server's API
    keys (``KeyStore``) in ``asem.stores.sqlite.keys``, promotion and archiving
    (``LifecycleStore``) in ``asem.stores.sqlite.lifecycle``, forgetting (``Eraser``) in
    ``asem.stores.sqlite.forget``.
    """

    def __init__(self, path: str | Path, *, embedder_id: str, busy_timeout_s: float = 5.0,
                 read_only: bool = False, index_cache_mb: float = 1024):
        self.path = str(path)
        self.read_only = read_only
        """Opened with ``read_only``: an existing file, never written (writes raise
        StoreReadOnlyError)."""
        self._embedder_id = embedder_id
        self._conn = (open_read_only(self.path, busy_timeout_s) if read_only
                      else open_database(self.path, busy_timeout_s))
        self._lock = threading.RLock()
        self._indexes = IndexCache(self._conn, self.path, embedder_id,
                                   int(index_cache_mb * 2**20))

    # -- vectors -----------------------------------------------------------------------------
    def vector_index(self, user_id: str) -> VectorIndex:
        with self._lock, translated(self.path):
            return self._indexes.get(user_id)

    def dense(self, scope: Scope, filters: Filters) -> DenseSource:
        """Brute force over the user's vector index (``asem.stores.dense.MatrixSource``)."""
        return matrix_source(self, scope, filters, now())

    def replies(self, user_id: str, note_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return self.vector_index(user_id).replies_to(note_ids)

    @property
    def index_loads(self) -> int:
        """Vector indexes loaded whole from the file so far (not patched)."""
        return self._indexes.loads

    def cached_users(self) -> list[str]:
        """The users whose vector index is held in memory, least recently used first."""
        with self._lock:
            return self._indexes.users()

    def _catch_up(self) -> None:
        """Bring the cached indexes up to date with this store's own writes (and any other)."""
        with self._lock, translated(self.path):
            self._indexes.catch_up()

    def _forget_index(self, user_ids: Sequence[str]) -> None:
        """After a write of the mixins: the change log says what changed, for every user."""
        self._catch_up()

    # -- writes ------------------------------------------------------------------------------
    def note_ids_for_hashes(self, scope: Scope, hashes: Sequence[str]) -> dict[str, str]:
        if not hashes:
            return {}
        marks = ",".join("?" * len(hashes))
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                f"SELECT content_hash, id FROM notes WHERE user_id = ? AND agent_id = ? AND "
                f"session_id = ? AND deleted_at IS NULL AND valid_until IS NULL "
                f"AND content_hash IN ({marks})",
                (scope.user_id, scope.agent_id or "", scope.session_id or "", *hashes),
            ).fetchall()
        return {r["content_hash"]: r["id"] for r in rows}

    def turn_holders(self, scope: Scope, turn_ids: Sequence[str]) -> dict[str, list[TurnHolder]]:
        if not turn_ids:
            return {}
        marks = ",".join("?" * len(turn_ids))
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                "SELECT t.turn_id, n.id, n.content_hash, n.source_id, n.deleted_at, "
                "n.delete_reason, n.valid_until, (SELECT h.reason FROM history h WHERE "
                "h.note_id = n.id AND h.op = 'SUPERSEDE' ORDER BY h.id DESC LIMIT 1) AS closed "
                "FROM note_turns t JOIN notes n ON n.id = t.note_id WHERE t.user_id = ? "
                f"AND n.agent_id = ? AND n.session_id = ? AND t.turn_id IN ({marks}) "
                "ORDER BY n.deleted_at IS NOT NULL, n.rowid",
                (scope.user_id, scope.agent_id or "", scope.session_id or "", *turn_ids),
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
        returns the ids of the notes actually inserted. A note not at its expected version
        rolls everything back with WriteConflictError."""
        # A batch that does not give the order of conversation: each new note a turn.
        turns = batch.turns or tuple(turn_of(new.note) for new in batch.new)
        with self._lock:
            with transaction(self._conn, self.path) as conn:
                inserted = apply_batch(_STATEMENTS, conn, batch, turns, self._embedder_id,
                                       ts(now()))
                count_names(conn, batch.names)
                prune_changes(conn)
            # Still under the lock, so no other thread of this store reads the indexes
            # between the commit and their update; older index objects stay as they were.
            self._catch_up()
        return {n.id for n in inserted}

    def update_note(self, note: Note, reason: str, actor: str) -> None:
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            old = self._live_row(conn, note.id)
            writes.check_versions(conn, [(note.id, note.version)])
            writes.update(conn, note, self._embedder_id, at, reason, actor, old)
        self._catch_up()

    def delete_note(self, note_id: str, reason: str, actor: str) -> None:
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            row = self._live_row(conn, note_id)
            writes.soft_delete(conn, row, at, reason, actor)
        self._catch_up()

    def restore_note(self, note_id: str, actor: str) -> None:
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            row = conn.execute("SELECT rowid, * FROM notes WHERE id = ?", (note_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no note with id {note_id!r}; check the id with 'asem show'")
            if row["deleted_at"] is None:
                raise InvalidInputError(f"note {note_id} is not deleted; nothing to undo")
            writes.check_restorable(conn, row)
            conn.execute("UPDATE notes SET deleted_at = NULL, delete_reason = NULL, "
                         "archived_at = NULL, version = version + 1 WHERE id = ?", (note_id,))
            note = row_to_note(row)
            conn.execute(writes.INDEX_TEXT, (row["rowid"], *fts_values(note)))
            writes.history(conn, note_id, "RESTORE", None, note.to_dict() | {"deleted_at": None},
                          at, "undo delete", actor)
        self._catch_up()

    def reopen_note(self, note_id: str, actor: str) -> None:
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            row = self._live_row(conn, note_id)
            validity.reopen(conn, row, at, actor)
        self._catch_up()

    def _live_row(self, conn: sqlite3.Connection, note_id: str) -> sqlite3.Row:
        row = writes.live_row(conn, note_id)
        if row is None:
            raise NotFoundError(f"no live note with id {note_id!r}; list notes with 'asem search'"
                                " or undo a delete with 'asem delete --undo'")
        return row

    # -- reads -------------------------------------------------------------------------------
    @contextmanager
    def snapshot(self, *, exclusive: bool = False,
                 users: Sequence[str] = ()) -> Iterator[None]:
        """Reads inside see one committed state of the file: this store's lock is held (no
        write of this store lands in between) and one transaction is open (none of another
        connection does; WAL keeps the snapshot while they commit). ``exclusive`` takes the
        file's write lock at once (BEGIN IMMEDIATE): writes inside join the transaction and
        every other writer waits until it commits (of every user: ``users`` changes nothing
        here)."""
        with self._lock:
            if self._conn.in_transaction:  # inside a snapshot already: part of that one
                yield
                return
            with translated(self.path):
                self._conn.execute("BEGIN IMMEDIATE" if exclusive else "BEGIN")
            try:
                yield
                with translated(self.path):
                    if self._conn.in_transaction:
                        self._conn.execute("COMMIT")
            except BaseException:
                # A COMMIT that failed (an I/O error, a full disk) may leave the transaction
                # open: every later write of this connection would join it, never committed.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._indexes.reset()  # they may hold notes of the writes just undone
                raise

    def lexical(self, user_id: str, terms: Sequence[str], limit: int) -> list[tuple[str, float]]:
        with self._lock, translated(self.path):
            size = self._indexes.lexical_size(user_id) if terms else None
            return lexical.ranked(self._conn, user_id, terms, limit, size)

    def term_stats(self, user_id: str, terms: Sequence[str], note_ids: Sequence[str]
                   ) -> dict[str, tuple[int, set[str]]]:
        with self._lock, translated(self.path):
            return lexical.term_stats(self._conn, user_id, terms, note_ids,
                                      self._indexes.term_counts(user_id))

    def filtered_ids(self, scope: Scope, filters: Filters) -> set[str]:
        where, params = _filter_clauses(scope, filters)
        with self._lock, translated(self.path):
            rows = self._conn.execute(f"SELECT id FROM notes WHERE {where}", params).fetchall()
        return {r["id"] for r in rows}

    def quarantined_ids(self, user_id: str) -> set[str]:
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                # The partial index by name: the planner took the index of every note of the
                # user (a scan of all of them, 15 ms at 10,000 notes) over this one.
                "SELECT id FROM notes INDEXED BY notes_quarantined WHERE user_id = ? AND "
                "quarantined = 1 AND deleted_at IS NULL", (user_id,)).fetchall()
        return {r["id"] for r in rows}

    def set_quarantined(self, note_id: str, quarantined: bool, reason: str, actor: str) -> None:
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            row = self._live_row(conn, note_id)
            if bool(row["quarantined"]) == quarantined:
                state = "quarantined already" if quarantined else "not quarantined"
                raise InvalidInputError(f"note {note_id} is {state}; nothing to change")
            conn.execute("UPDATE notes SET quarantined = ?, version = version + 1 WHERE id = ?",
                         (int(quarantined), note_id))
            writes.history(conn, note_id, "QUARANTINE" if quarantined else "RELEASE",
                           {"quarantined": not quarantined}, {"quarantined": quarantined},
                           at, reason, actor)

    def list_notes(self, scope: Scope, filters: Filters, *, limit: int, offset: int = 0,
                   include_deleted: bool = False, newest_first: bool = False) -> list[Note]:
        where, params = _listed(scope, filters, include_deleted)
        order = "created_at DESC, id DESC" if newest_first else "created_at, id"
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                f"SELECT * FROM notes WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, limit, offset]).fetchall()
            links = self._links([r["id"] for r in rows]) if rows else {}
        return [row_to_note(r, tuple(links.get(r["id"], ()))) for r in rows]

    def count_notes(self, scope: Scope, filters: Filters) -> int:
        where, params = _listed(scope, filters, False)
        with self._lock, translated(self.path):
            return self._conn.execute(f"SELECT count(*) FROM notes WHERE {where}",
                                      params).fetchone()[0]

    def get_notes(self, ids: Sequence[str], *, include_deleted: bool = False) -> dict[str, Note]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        live = "" if include_deleted else " AND deleted_at IS NULL"
        with self._lock, translated(self.path):
            rows = self._conn.execute(f"SELECT * FROM notes WHERE id IN ({marks}){live}",
                                      list(ids)).fetchall()
            links = self._links(list(ids))
        return {r["id"]: row_to_note(r, tuple(links.get(r["id"], ()))) for r in rows}

    def signals(self, ids: Sequence[str]) -> dict[str, NoteSignals]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                "SELECT id, utility, usage_count, last_used, created_at FROM notes "
                f"WHERE id IN ({marks}) AND deleted_at IS NULL", list(ids),
            ).fetchall()
        return {r["id"]: NoteSignals(r["utility"], r["usage_count"], parse_ts(r["last_used"]),
                                     datetime.fromisoformat(r["created_at"])) for r in rows}

    def _links(self, ids: list[str]) -> dict[str, list[Link]]:
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            f"SELECT l.src, l.dst, l.relation, l.strength FROM links l JOIN notes n "
            f"ON n.id = l.dst AND n.deleted_at IS NULL WHERE l.src IN ({marks}) "
            "ORDER BY l.strength DESC", ids,
        ).fetchall()
        return grouped_links(rows)

    def history(self, note_id: str) -> list[HistoryEntry]:
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                "SELECT * FROM history WHERE note_id = ? ORDER BY id", (note_id,)
            ).fetchall()
        if not rows:
            raise NotFoundError(f"no note with id {note_id!r} has any history; check the id")
        return [
            HistoryEntry(r["id"], r["note_id"], r["op"],
                         json.loads(r["old"]) if r["old"] else None,
                         json.loads(r["new"]) if r["new"] else None,
                         datetime.fromisoformat(r["at"]), r["reason"], r["actor"])
            for r in rows
        ]

    # -- retrievals and feedback -------------------------------------------------------------
    def record_retrieval(self, retrieval_id: str, scope: Scope, query: str,
                         note_ids: Sequence[str], query_vector: np.ndarray | None = None) -> None:
        with self._lock, transaction(self._conn, self.path) as conn:
            conn.execute(
                "INSERT INTO retrievals (id, user_id, agent_id, session_id, query, note_ids, "
                "created_at, query_embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (retrieval_id, scope.user_id, scope.agent_id or "", scope.session_id or "",
                 query, json.dumps(list(note_ids)), ts(now()),
                 None if query_vector is None else blob(query_vector)),
            )

    def last_retrieval_of(self, user_id: str, note_id: str) -> str | None:
        # Newest first by rowid: the scan stops at the first retrieval that returned the note.
        with self._lock, translated(self.path):
            row = self._conn.execute(
                "SELECT id FROM retrievals WHERE user_id = ? AND EXISTS "
                "(SELECT 1 FROM json_each(note_ids) WHERE value = ?) ORDER BY rowid DESC LIMIT 1",
                (user_id, note_id)).fetchone()
        return row["id"] if row else None

    def apply_feedback(self, retrieval_id: str, reward: float, note_ids: Sequence[str] | None,
                       learning_rate: float, user_id: str | None = None) -> FeedbackResult:
        at = ts(now())
        changed: dict[str, tuple[float, float]] = {}
        with self._lock, transaction(self._conn, self.path) as conn:
            row = conn.execute("SELECT note_ids, user_id FROM retrievals WHERE id = ?",
                               (retrieval_id,)).fetchone()
            if row is None or (user_id is not None and row["user_id"] != user_id):
                raise NotFoundError(f"no retrieval with id {retrieval_id!r}; use the "
                                    "retrieval_id that search returned")
            returned = json.loads(row["note_ids"])
            targets = list(returned) if note_ids is None else list(dict.fromkeys(note_ids))
            unknown = [n for n in targets if n not in returned]
            if unknown:
                raise InvalidInputError(
                    f"notes {unknown} were not returned by retrieval {retrieval_id}; give "
                    "feedback only on notes that retrieval returned"
                )
            for note_id in targets:
                current = conn.execute(
                    "SELECT utility, quarantined FROM notes WHERE id = ? "
                    "AND deleted_at IS NULL", (note_id,)
                ).fetchone()
                if current is None:
                    continue  # deleted since the search: nothing to update
                if current["quarantined"] and reward > float(current["utility"]):
                    continue  # feedback never promotes a quarantined note (SPEC §2)
                old = float(current["utility"])
                new = old + learning_rate * (reward - old)  # EMA, SPEC stage 5
                conn.execute(
                    "UPDATE notes SET utility = ?, usage_count = usage_count + 1, "
                    "last_used = ? WHERE id = ?", (new, at, note_id),
                )
                writes.history(conn, note_id, "FEEDBACK", {"utility": old}, {"utility": new},
                              at, f"reward {reward:+.3f} for retrieval {retrieval_id}", "feedback")
                conn.execute(
                    "INSERT INTO note_feedback (note_id, retrieval_id, reward, learning_rate, "
                    "utility_before, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (note_id, retrieval_id, reward, learning_rate, old, at),
                )
                changed[note_id] = (old, new)
            conn.execute(
                "INSERT INTO feedback (retrieval_id, reward, note_ids, at) VALUES (?, ?, ?, ?)",
                (retrieval_id, reward, json.dumps(targets), at),
            )
        return FeedbackResult(retrieval_id, reward, changed)

    def feedback_events(self, note_ids: Sequence[str]) -> dict[str, list[FeedbackEvent]]:
        with self._lock, translated(self.path):
            return read_feedback_events(self._conn, note_ids)

    # -- bookkeeping -------------------------------------------------------------------------
    def stats(self, user_id: str | None) -> dict[str, int | float | str]:
        where, params = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock, translated(self.path):
            row = self._conn.execute(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS notes, "
                "count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted, "
                "count(DISTINCT user_id) AS users, "
                "coalesce(avg(utility) FILTER (WHERE deleted_at IS NULL), 0) AS mean_utility, "
                f"coalesce(sum(usage_count), 0) AS uses FROM notes {where}", params,
            ).fetchone()
            links = self._conn.execute(
                "SELECT count(*) FROM links l JOIN notes n ON n.id = l.src "
                + ("WHERE n.user_id = ?" if user_id else ""), params,
            ).fetchone()[0]
            retrievals = self._conn.execute(f"SELECT count(*) FROM retrievals {where}",
                                            params).fetchone()[0]
        size = Path(self.path).stat().st_size if self.path != ":memory:" else 0
        return {
            "path": self.path, "notes": row["notes"], "deleted": row["deleted"],
            "users": row["users"], "links": links, "retrievals": retrievals,
            "feedback_uses": row["uses"], "mean_utility": round(float(row["mean_utility"]), 4),
            "file_bytes": size,
        }

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _listed(scope: Scope, filters: Filters, include_deleted: bool) -> tuple[str, list[Any]]:
    """The WHERE clause of the notes ``list_notes`` and ``count_notes`` give: those passing
    ``filters``, validity included (``asem.read.validity``: current now by default)."""
    where, params = _filter_clauses(scope, filters, include_deleted=include_deleted)
    if filters.include_superseded:
        return where, params
    if filters.as_of is not None:
        at = ts(filters.as_of)
        return (f"{where} AND (valid_from IS NULL OR valid_from <= ?) AND "
                "(valid_until IS NULL OR valid_until > ?)", [*params, at, at])
    at = ts(now())  # current, and not an expired short-term note (asem.lifecycle)
    return (f"{where} AND (valid_until IS NULL OR valid_until > ?) AND "
            "(expires_at IS NULL OR expires_at > ?)", [*params, at, at])


def _filter_clauses(scope: Scope, filters: Filters, *,
                    include_deleted: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of the notes in ``scope`` passing ``filters``."""
    clauses = ["user_id = ?"] + ([] if include_deleted else ["deleted_at IS NULL"])
    params: list[Any] = [scope.user_id]
    for column, value in (("agent_id", scope.agent_id), ("session_id", scope.session_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if filters.session_id is not None:  # a session scope, or the session a turn came from
        clauses.append("(session_id = ? OR source_id = ?)")
        params.extend([filters.session_id, filters.session_id])
    if filters.tags:
        clauses.append("EXISTS (SELECT 1 FROM json_each(tags) WHERE value IN "
                       f"({','.join('?' * len(filters.tags))}))")
        params.extend(filters.tags)
    if filters.keywords:
        clauses.append("EXISTS (SELECT 1 FROM json_each(keywords) WHERE lower(value) IN "
                       f"({','.join('?' * len(filters.keywords))}))")
        params.extend(k.lower() for k in filters.keywords)
    if filters.since is not None:
        clauses.append("event_time >= ?")
        params.append(ts(filters.since))
    if filters.until is not None:
        clauses.append("event_time <= ?")
        params.append(ts(filters.until))
    if filters.tier is not None:
        clauses.append("tier = ?")
        params.append(filters.tier.value)
    if trusted := filters.trusted:
        clauses.append(f"trust IN ({','.join('?' * len(trusted))})")
        params.extend(trusted)
    if filters.trusted and not filters.include_quarantined:  # and not flagged
        clauses.append("(quarantine_score IS NULL OR quarantine_score < ?)")
        params.append(FLAG_BAR)
    if filters.speaker:  # the head of the context line "<speaker>, on <date>; ..."
        head = f"{filters.speaker.strip().lower()}, on "
        clauses.append("lower(substr(context, 1, ?)) = ?")
        params.extend([len(head), head])
    if filters.text:
        clauses.append("instr(lower(content), ?) > 0")
        params.append(filters.text.lower())
    return " AND ".join(clauses), params
