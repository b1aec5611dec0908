"""The dense channel of a search on PostgreSQL (``asem.stores.dense.DenseSource``): every
answer is a query, and no process holds a tenant's vectors.

The notes a search may return are one WHERE clause (``filters.searched``: scope, metadata
filters, validity, quarantine, as the SQLite store's mask has them). The nearest come from
the HNSW index or an exact scan (``asem.stores.postgres.nearest``); the similarity of given
notes (lexical and dated candidates, neighbours) is computed by pgvector on their rows; the
conversational neighbours of given notes are read from ``turns``, one indexed step back and
one forward in each of their conversations (migration 0010). What the speaker and diversity
steps read of a pool (its notes' embeddings, speakers and conversations) is one batched
query (``asem.stores.postgres.pool``), kept for the rest of the search: a source lives for
one search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import numpy as np

from asem.stores.dense import PoolNotes
from asem.stores.postgres import pool
from asem.stores.postgres.codec import array, given_notes
from asem.stores.postgres.filters import searched
from asem.stores.postgres.lexical import TermCounts
from asem.stores.postgres.nearest import EF_SEARCH, EXACT_LIMIT, nearest
from asem.stores.postgres.writes import Conn, tenant_changes
from asem.stores.turns import thread_key
from asem.types import Filters, Scope

# The turn said just before (``step = -1``) or after (``+1``) each turn of the given notes
# in its conversation, with both speakers: a pair counts when the later turn replies to
# the earlier (``vector_index.replies``). Turns of no known conversation have none.
_PAIRS = """
SELECT t.note_id AS note_id, o.note_id AS other, greatest(t.seq, o.seq) AS said,
       CASE WHEN o.seq < t.seq THEN o.speaker ELSE t.speaker END AS first_speaker,
       CASE WHEN o.seq < t.seq THEN t.speaker ELSE o.speaker END AS second_speaker
FROM turns t
CROSS JOIN LATERAL (
    (SELECT p.note_id, p.seq, p.speaker FROM turns p
     WHERE %(before)s AND p.user_id = t.user_id AND p.agent_id = t.agent_id
       AND p.thread = t.thread AND p.seq < t.seq ORDER BY p.seq DESC LIMIT 1)
    UNION ALL
    (SELECT n.note_id, n.seq, n.speaker FROM turns n
     WHERE n.user_id = t.user_id AND n.agent_id = t.agent_id AND n.thread = t.thread
       AND n.seq > t.seq ORDER BY n.seq LIMIT 1)
) o
WHERE t.user_id = %(user)s AND t.note_id = ANY(%(ids)s) AND t.thread <> ''
  AND o.note_id <> t.note_id
ORDER BY said
"""


_GIVEN = f"{given_notes()} AS notes"


def turn_pairs(conn: Conn, user_id: str, ids: Sequence[str], *, before: bool = True
               ) -> list[tuple[str, str]]:
    """(note of ``ids``, note holding the turn next to one of its turns), for each pair of
    consecutive turns of a conversation where the later replies to the earlier, in the
    order the later turns were said; with ``before`` False, only the turns said after."""
    if not ids:
        return []
    rows = conn.execute(_PAIRS, {"user": user_id, "ids": list(ids),  # type: ignore[arg-type]
                                 "before": before}).fetchall()
    return [(r["note_id"], r["other"]) for r in rows
            if r["second_speaker"] and r["first_speaker"] not in ("", r["second_speaker"])]


def grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each note's partners in ``pairs``, in order, each once."""
    found: dict[str, dict[str, None]] = {}
    for note_id, other in pairs:
        found.setdefault(note_id, {})[other] = None
    return {note_id: tuple(others) for note_id, others in found.items()}


class PostgresDense:
    """A ``DenseSource`` answered by SQL, read on the connection ``read`` gives (the
    search's snapshot)."""

    def __init__(self, read: Callable[[], AbstractContextManager[Conn]], scope: Scope,
                 filters: Filters, at: datetime, *, exact_limit: int = EXACT_LIMIT,
                 ef_search: int = EF_SEARCH, dimension: int = 0,
                 counts: TermCounts | None = None) -> None:
        self._read = read
        self._user = scope.user_id
        self._where, self._params = searched(scope, filters, at)
        self._exact_limit = exact_limit
        self._ef_search = ef_search
        self._counts = counts or TermCounts()
        self._dimension = dimension
        """Of the tenant's embeddings (0 for a tenant of no notes)."""
        self._spoken: list[str] | None = None
        self._pool: dict[str, tuple[np.ndarray | None, frozenset[str], str | None]] = {}
        """Per note of a pool read so far: its embedding, speakers and conversation."""

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        with self._read() as conn:
            return nearest(conn, self._where, self._params, vector, k, self._user,
                           exact_limit=self._exact_limit, ef_search=self._ef_search)

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        if not ids:
            return {}
        vector = np.asarray(vector, dtype=np.float32)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, embedding <=> %s::vector AS distance FROM "
                f"{_GIVEN} WHERE vector_dims(embedding) = {int(vector.shape[0])} AND "
                f"{self._where}", [vector, list(ids), *self._params]).fetchall()
        return {r["id"]: 1.0 - float(r["distance"]) for r in rows}

    def nearest_embeddings(self, vector: np.ndarray, k: int) -> np.ndarray:
        ids = [note_id for note_id, _ in self.nearest(vector, k)]
        if not ids:
            return np.zeros((0, int(np.asarray(vector).shape[0])), dtype=np.float32)
        with self._read() as conn:
            rows = conn.execute("SELECT embedding FROM notes WHERE id = ANY(%s)",
                                (ids,), binary=True).fetchall()
        return np.stack([array(r["embedding"]) for r in rows])

    def turn_neighbours(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        with self._read() as conn:
            pairs = turn_pairs(conn, self._user, ids)
            if not pairs:
                return {}
            both = list({note_id for pair in pairs for note_id in pair})
            visible = {r["id"] for r in conn.execute(
                f"SELECT id FROM {_GIVEN} WHERE {self._where}",
                [both, *self._params]).fetchall()}
        return grouped([(note_id, other) for note_id, other in pairs
                        if note_id in visible and other in visible])

    def live_count(self) -> int:
        """Counted once per state of the tenant (``lexical.TermCounts``: BM25's N)."""
        with self._read() as conn:
            return int(self._counts.of(conn, self._user,
                                       tenant_changes(conn, self._user)).notes)

    def speakers(self) -> frozenset[str]:
        return frozenset(speaker.lower() for speaker in self._speakers_as_said())

    def _speakers_as_said(self) -> list[str]:
        if self._spoken is None:
            with self._read() as conn:
                self._spoken = pool.speakers(conn, self._user)
        return self._spoken

    def said_by(self, labels: frozenset[str]) -> frozenset[str]:
        spoken = [s for s in self._speakers_as_said() if s.lower() in labels]
        if not spoken:
            return frozenset()
        with self._read() as conn:
            return pool.said_by(conn, self._user, spoken)

    def speakers_of(self, ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        return {i: said for i, (_, said, _) in zip(ids, self._read_pool(ids), strict=True)
                if said}

    def pool_notes(self, ids: Sequence[str]) -> PoolNotes:
        found = self._read_pool(ids)
        vectors = np.zeros((len(ids), self._dimension))
        for row, (vector, _, _) in enumerate(found):
            if vector is not None:
                vectors[row] = vector
        return PoolNotes(vectors, {i: thread for i, (_, _, thread) in zip(ids, found, strict=True)
                                   if thread is not None})

    def _read_pool(self, ids: Sequence[str]
                   ) -> list[tuple[np.ndarray | None, frozenset[str], str | None]]:
        """The embedding, speakers and conversation of each of ``ids``: one query for
        those not read before in this search (the speaker step reads the pool, the
        diversity step its first places)."""
        if missing := [i for i in dict.fromkeys(ids) if i not in self._pool]:
            with self._read() as conn:
                for r in pool.pool_rows(conn, self._user, missing):
                    self._pool[r["id"]] = (
                        None if r["embedding"] is None else array(r["embedding"]),
                        frozenset(s.lower() for s in r["speakers"]),
                        None if r["thread"] is None else thread_key(r["agent_id"], r["thread"]))
        return [self._pool[i] for i in ids]


def replies(conn: Conn, user_id: str, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``Store.replies``: the notes holding the turns that reply to the turns of ``ids``."""
    return grouped(turn_pairs(conn, user_id, ids, before=False))
