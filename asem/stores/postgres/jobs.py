"""The LLM job queue of the PostgreSQL store, claimable by many workers at once.

A claim locks the rows it takes (``FOR UPDATE SKIP LOCKED``): workers in several processes
or servers each get other jobs, never the same one, and never wait on each other. A job is
finished in the transaction that writes its results, so a crash leaves it to be claimed
again or done with all of its changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta

from asem.stores.base import Evolution, Job
from asem.stores.postgres import writes
from asem.stores.postgres.codec import ts
from asem.stores.postgres.writes import Conn
from asem.types import now

_CLAIMABLE = "(status = 'pending' OR (status = 'running' AND claimed_at < %(stale)s))"
_CLAIM = f"""
WITH first AS (
    SELECT user_id FROM llm_jobs WHERE {_CLAIMABLE} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED),
picked AS (
    SELECT id FROM llm_jobs WHERE {_CLAIMABLE} AND user_id = (SELECT user_id FROM first)
    ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
UPDATE llm_jobs j SET status = 'running', claimed_at = %(at)s, attempts = j.attempts + 1
FROM picked WHERE j.id = picked.id
RETURNING j.id, j.note_id, j.user_id, j.attempts
"""


def enqueue(conn: Conn, notes: Sequence[tuple[str, str]], at: object) -> None:
    """One pending job per (note id, user id), inside the caller's transaction."""
    conn.cursor().executemany(
        "INSERT INTO llm_jobs (note_id, user_id, created_at) VALUES (%s, %s, %s)",
        [(n, u, at) for n, u in notes])


class JobsMixin:
    """Queue methods of PostgresStore (see ``asem.stores.base.JobQueue`` for the contract)."""

    _embedder_id: str

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def enqueue_jobs(self, notes: Sequence[tuple[str, str]]) -> None:
        if not notes:
            return
        with self._write(()) as conn:
            enqueue(conn, notes, ts(now()))

    def claim_jobs(self, limit: int, lease_s: float) -> list[Job]:
        """Up to ``limit`` claimable jobs of the user whose oldest unlocked job is first."""
        at = now()
        with self._write(()) as conn:
            rows = conn.execute(_CLAIM, {"stale": ts(at - timedelta(seconds=lease_s)),
                                         "limit": limit, "at": ts(at)}).fetchall()
        return sorted((Job(r["id"], r["note_id"], r["user_id"], r["attempts"]) for r in rows),
                      key=lambda job: job.id)

    def release_jobs(self, job_ids: Sequence[int], error: str, *, failed: bool,
                     count_attempt: bool = True) -> None:
        if not job_ids:
            return
        with self._write(()) as conn:
            conn.execute(
                "UPDATE llm_jobs SET status = %s, last_error = %s, finished_at = %s, "
                "attempts = attempts - %s WHERE id = ANY(%s)",
                ("failed" if failed else "pending", error[:500], ts(now()) if failed else None,
                 0 if count_attempt else 1, list(job_ids)))

    def apply_evolution(self, evolution: Evolution) -> None:
        """Note updates and links, with history rows, and the jobs marked done: one commit.
        An update of a note no longer at the version the job read is left out."""
        at = ts(now())
        users = {note.scope.user_id for note, _ in evolution.updates}
        with self._write(users) as conn:
            for note, reason in evolution.updates:
                old = writes.live_row(conn, note.id)
                if old is None or old["version"] != note.version:
                    continue  # deleted or changed since the job read it: leave it alone
                writes.update(conn, note, self._embedder_id, at, reason, evolution.actor, old)
            writes.link_both_ways(conn, evolution.links, at)
            for src, dst, relation, strength in evolution.links:
                writes.history(conn, src, "LINK", None,
                               {"target_id": dst, "relation": relation, "strength": strength},
                               at, "link proposed by the language model", evolution.actor)
            if evolution.job_ids:
                conn.execute("UPDATE llm_jobs SET status = 'done', finished_at = %s, "
                             "last_error = NULL WHERE id = ANY(%s)",
                             (at, list(evolution.job_ids)))

    def job_status(self, note_ids: Sequence[str]) -> dict[str, str]:
        if not note_ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (note_id) note_id, status FROM llm_jobs "
                "WHERE note_id = ANY(%s) ORDER BY note_id, id DESC", (list(note_ids),)).fetchall()
        return {r["note_id"]: r["status"] for r in rows}

    def job_counts(self, user_id: str | None = None) -> dict[str, int]:
        where, params = ("WHERE user_id = %s", [user_id]) if user_id else ("", [])
        with self._read() as conn:
            rows = conn.execute(f"SELECT status, count(*) AS n FROM llm_jobs {where} "
                                "GROUP BY status", params).fetchall()
        counts = {"pending": 0, "running": 0, "done": 0, "failed": 0}
        counts.update({r["status"]: r["n"] for r in rows})
        return counts


