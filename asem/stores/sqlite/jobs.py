"""The LLM job queue of the SQLite store, and applying what a job produced.

A job is claimed in a transaction (so two workers never take the same one) and finished in
the same transaction that writes its results, so a crash either leaves the job to be
claimed again or leaves it done with all of its changes: never half of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from asem.stores.base import Evolution, Job
from asem.stores.sqlite import writes
from asem.stores.sqlite.codec import ts
from asem.stores.sqlite.connection import transaction, translated
from asem.types import now

if TYPE_CHECKING:
    import threading



def enqueue(conn: sqlite3.Connection, notes: Sequence[tuple[str, str]], at: str) -> None:
    """One pending job per (note id, user id), inside the caller's transaction."""
    conn.executemany("INSERT INTO llm_jobs (note_id, user_id, created_at) VALUES (?, ?, ?)",
                     [(n, u, at) for n, u in notes])


class JobsMixin:
    """Queue methods of SQLiteStore (see ``asem.stores.base.JobQueue`` for the contract)."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    path: str
    _embedder_id: str

    def _catch_up(self) -> None:
        raise NotImplementedError

    def enqueue_jobs(self, notes: Sequence[tuple[str, str]]) -> None:
        """One pending job per (note id, user id)."""
        if not notes:
            return
        with self._lock, transaction(self._conn, self.path) as conn:
            enqueue(conn, notes, ts(now()))

    def claim_jobs(self, limit: int, lease_s: float) -> list[Job]:
        """Up to ``limit`` claimable jobs of the user whose oldest job is first in line."""
        at = now()
        stale = ts(at - timedelta(seconds=lease_s))
        claimable = ("(status = 'pending' OR (status = 'running' AND claimed_at < ?))")
        with self._lock, transaction(self._conn, self.path) as conn:
            first = conn.execute(f"SELECT user_id FROM llm_jobs WHERE {claimable} ORDER BY id "
                                 "LIMIT 1", (stale,)).fetchone()
            if first is None:
                return []
            rows = conn.execute(
                f"SELECT id, note_id, user_id, attempts FROM llm_jobs WHERE {claimable} "
                "AND user_id = ? ORDER BY id LIMIT ?", (stale, first["user_id"], limit),
            ).fetchall()
            conn.executemany("UPDATE llm_jobs SET status = 'running', claimed_at = ?, "
                             "attempts = attempts + 1 WHERE id = ?",
                             [(ts(at), r["id"]) for r in rows])
        return [Job(r["id"], r["note_id"], r["user_id"], r["attempts"] + 1) for r in rows]

    def release_jobs(self, job_ids: Sequence[int], error: str, *, failed: bool,
                     count_attempt: bool = True) -> None:
        """Give jobs back: pending again, or failed for good (their notes keep the extractive
        enrichment). ``count_attempt=False`` (an outage, not the job's fault) undoes the
        attempt that claiming counted."""
        if not job_ids:
            return
        status = "failed" if failed else "pending"
        finished = ts(now()) if failed else None
        undo = 0 if count_attempt else 1
        with self._lock, transaction(self._conn, self.path) as conn:
            conn.executemany(
                "UPDATE llm_jobs SET status = ?, last_error = ?, finished_at = ?, "
                "attempts = attempts - ? WHERE id = ?",
                [(status, error[:500], finished, undo, i) for i in job_ids])

    def apply_evolution(self, evolution: Evolution) -> None:
        """Note updates and links, with history rows, and the jobs marked done: one commit."""
        at = ts(now())
        with self._lock, transaction(self._conn, self.path) as conn:
            for note, reason in evolution.updates:
                old = conn.execute("SELECT rowid, * FROM notes WHERE id = ? AND "
                                   "deleted_at IS NULL", (note.id,)).fetchone()
                if old is None or old["version"] != note.version:
                    continue  # deleted or changed since the job read it: leave it alone
                writes.update(conn, note, self._embedder_id, at, reason, evolution.actor, old)
            for src, dst, relation, strength in evolution.links:
                for a, b in ((src, dst), (dst, src)):
                    conn.execute("INSERT OR REPLACE INTO links (src, dst, relation, strength, "
                                 "created_at) VALUES (?, ?, ?, ?, ?)",
                                 (a, b, relation, strength, at))
                writes.history(conn, src, "LINK", None,
                              {"target_id": dst, "relation": relation, "strength": strength},
                              at, "link proposed by the language model", evolution.actor)
            conn.executemany("UPDATE llm_jobs SET status = 'done', finished_at = ?, "
                             "last_error = NULL WHERE id = ?",
                             [(at, i) for i in evolution.job_ids])
        self._catch_up()

    def job_status(self, note_ids: Sequence[str]) -> dict[str, str]:
        """note id → status of its latest job (notes without a job are absent)."""
        if not note_ids:
            return {}
        marks = ",".join("?" * len(note_ids))
        with self._lock, translated(self.path):
            rows = self._conn.execute(
                f"SELECT note_id, status FROM llm_jobs WHERE id IN (SELECT max(id) FROM "
                f"llm_jobs WHERE note_id IN ({marks}) GROUP BY note_id)", list(note_ids),
            ).fetchall()
        return {r["note_id"]: r["status"] for r in rows}

    def job_counts(self, user_id: str | None = None) -> dict[str, int]:
        """How many jobs are pending, running, done and failed."""
        where, params = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock, translated(self.path):
            rows = self._conn.execute(f"SELECT status, count(*) AS n FROM llm_jobs {where} "
                                      "GROUP BY status", params).fetchall()
        counts = {"pending": 0, "running": 0, "done": 0, "failed": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts
