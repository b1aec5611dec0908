"""Retrievals and feedback in the PostgreSQL store.

Each utility update is one UPDATE that reads the row it changes (q ← q + α(r − q) on the
stored q), so feedback given at once from several servers is never lost; a call locks its
notes in id order first, as write batches do, so concurrent calls never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

import numpy as np

from asem.errors import InvalidInputError, NotFoundError
from asem.stores.postgres import writes
from asem.stores.postgres.codec import array, ts
from asem.stores.postgres.writes import Conn
from asem.types import FeedbackEvent, FeedbackResult, Scope, now

_UPDATE_UTILITY = """
UPDATE notes n SET utility = n.utility + %(rate)s * (%(reward)s - n.utility),
                   usage_count = n.usage_count + 1, last_used = %(at)s
FROM (SELECT id, utility FROM notes WHERE id = %(id)s AND deleted_at IS NULL FOR UPDATE) old
WHERE n.id = old.id AND NOT (n.quarantined AND %(reward)s > old.utility)
RETURNING old.utility AS before, n.utility AS after
"""


class FeedbackMixin:
    """Retrieval and feedback methods of PostgresStore."""

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def record_retrieval(self, retrieval_id: str, scope: Scope, query: str,
                         note_ids: Sequence[str], query_vector: np.ndarray | None = None) -> None:
        with self._write(()) as conn:
            conn.execute(
                "INSERT INTO retrievals (id, user_id, agent_id, session_id, query, note_ids, "
                "created_at, query_embedding) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (retrieval_id, scope.user_id, scope.agent_id or "", scope.session_id or "",
                 query, list(note_ids), ts(now()),
                 None if query_vector is None else np.asarray(query_vector, np.float32)))

    def last_retrieval_of(self, user_id: str, note_id: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT id FROM retrievals WHERE user_id = %s AND %s = ANY("
                               "note_ids) ORDER BY seq DESC LIMIT 1", (user_id, note_id)
                               ).fetchone()
        return row["id"] if row else None

    def apply_feedback(self, retrieval_id: str, reward: float, note_ids: Sequence[str] | None,
                       learning_rate: float, user_id: str | None = None) -> FeedbackResult:
        at = ts(now())
        changed: dict[str, tuple[float, float]] = {}
        with self._write(()) as conn:
            row = conn.execute("SELECT note_ids, user_id FROM retrievals WHERE id = %s",
                               (retrieval_id,)).fetchone()
            if row is None or (user_id is not None and row["user_id"] != user_id):
                raise NotFoundError(f"no retrieval with id {retrieval_id!r}; use the "
                                    "retrieval_id that search returned")
            returned = list(row["note_ids"])
            targets = list(returned) if note_ids is None else list(dict.fromkeys(note_ids))
            unknown = [n for n in targets if n not in returned]
            if unknown:
                raise InvalidInputError(
                    f"notes {unknown} were not returned by retrieval {retrieval_id}; give "
                    "feedback only on notes that retrieval returned")
            # The rows in id order first, as every writer locks notes: two feedback calls on
            # notes returned in other orders would otherwise deadlock.
            conn.execute("SELECT id FROM notes WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                         (sorted(targets),))
            for note_id in targets:
                done = conn.execute(_UPDATE_UTILITY, {"rate": learning_rate, "reward": reward,
                                                      "at": at, "id": note_id}).fetchone()
                if done is None:
                    # Deleted since the search, or quarantined and the reward would promote
                    # it (feedback never does, SPEC §2): nothing to update.
                    continue
                old, new = float(done["before"]), float(done["after"])
                writes.history(conn, note_id, "FEEDBACK", {"utility": old}, {"utility": new},
                               at, f"reward {reward:+.3f} for retrieval {retrieval_id}",
                               "feedback")
                conn.execute(
                    "INSERT INTO note_feedback (note_id, retrieval_id, reward, learning_rate, "
                    "utility_before, at) VALUES (%s, %s, %s, %s, %s, %s)",
                    (note_id, retrieval_id, reward, learning_rate, old, at))
                changed[note_id] = (old, new)
            conn.execute("INSERT INTO feedback (retrieval_id, reward, note_ids, at) "
                         "VALUES (%s, %s, %s, %s)", (retrieval_id, reward, targets, at))
        return FeedbackResult(retrieval_id, reward, changed)

    def feedback_events(self, note_ids: Sequence[str]) -> dict[str, list[FeedbackEvent]]:
        if not note_ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT f.note_id, f.reward, f.learning_rate, f.utility_before, "
                "r.query_embedding FROM note_feedback f JOIN retrievals r ON "
                "r.id = f.retrieval_id WHERE f.note_id = ANY(%s) ORDER BY f.id",
                (list(note_ids),)).fetchall()
        found: dict[str, list[FeedbackEvent]] = {}
        for r in rows:
            query = r["query_embedding"]
            found.setdefault(r["note_id"], []).append(FeedbackEvent(
                None if query is None else array(query), r["reward"],
                r["learning_rate"], r["utility_before"]))
        return found
