"""The write path's in-process matrix of a tenant on PostgreSQL, kept current from the
change log.

A worker that writes a tenant holds its live notes' vectors (``VectorIndex``: the neighbours
a new note is decided and linked against). Every write of a tenant's notes bumps its row of
``tenant_changes`` first, under the tenant's write lock, and the triggers of migration 0012
log each note and turn it touches with that counter (``note_changes``). So a worker whose
matrix is at counter c reads only the notes logged after c and patches the matrix
(``VectorIndex.patched``), whichever worker wrote, instead of loading every vector of the
tenant again. It loads anew when it is further behind than the log keeps, when more than
``MAX_PATCH`` notes changed, or when a note or turn was removed for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from asem.stores.base import VectorIndex, check_embedder
from asem.stores.postgres.codec import array
from asem.stores.postgres.writes import Conn
from asem.stores.turns import Turn
from asem.stores.vector_index import IndexRow

MAX_PATCH = 5_000
"""More notes changed than this since the matrix was current: load it anew."""
KEEP_CHANGES = 10_000
"""Change-counter values of a tenant the log keeps (``prune``); a worker further behind
loads anew."""
PRUNE_EVERY = 1_000
"""A write whose counter is a multiple of this prunes the tenant's log."""

_COLUMNS = ("id, agent_id, session_id, embedding, intent_embedding, embedder, valid_from, "
            "valid_until, expires_at")


@dataclass(frozen=True)
class Matrix:
    """A tenant's matrix as of its change counter ``changes``, holding its turns up to
    ``turn_seq``."""

    changes: int
    index: VectorIndex
    turn_seq: int


def load(conn: Conn, user_id: str, changes: int, embedder_id: str, path: str) -> Matrix:
    """Every live note of the tenant, read in this snapshot (at counter ``changes``)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM notes WHERE user_id = %s AND deleted_at IS NULL ORDER BY seq",
        (user_id,), binary=True).fetchall()  # vectors as bytes: parsing text cost 90 %
    check_embedder((r["embedder"] for r in rows), embedder_id, user_id, path)
    turns, turn_seq = _turns(conn, user_id, 0)
    if not rows:
        return Matrix(changes, VectorIndex().patched((), (), turns), turn_seq)
    index = VectorIndex(
        ids=[r["id"] for r in rows],
        embeddings=np.stack([array(r["embedding"]) for r in rows]),
        intents=np.stack([array(r["intent_embedding"]) for r in rows]),
        agents=[r["agent_id"] for r in rows],
        sessions=[r["session_id"] for r in rows],
        turns=turns,
        validity=[(r["valid_from"], r["valid_until"]) for r in rows],
        expiry=[r["expires_at"] for r in rows])
    return Matrix(changes, index, turn_seq)


def caught_up(conn: Conn, held: Matrix, user_id: str, changes: int, embedder_id: str,
              path: str) -> Matrix | None:
    """``held`` brought to counter ``changes`` from the log, or None where it must be
    loaded anew (too far behind, too much changed, or something removed for good)."""
    if changes - held.changes > KEEP_CHANGES:
        return None
    logged = conn.execute(
        "SELECT note_id, bool_or(removed) AS removed FROM note_changes WHERE user_id = %s "
        "AND changes > %s AND changes <= %s GROUP BY note_id LIMIT %s",
        (user_id, held.changes, changes, MAX_PATCH + 1)).fetchall()
    if len(logged) > MAX_PATCH or any(r["removed"] for r in logged):
        return None
    ids = [r["note_id"] for r in logged]
    live = {r["id"]: r for r in _rows(conn, ids, embedder_id, user_id, path)}
    turns, turn_seq = _turns(conn, user_id, held.turn_seq)
    index = held.index.patched([_row(live[i]) for i in ids if i in live],
                               [i for i in ids if i not in live], turns)
    return Matrix(changes, index, turn_seq)


def prune(conn: Conn, user_id: str, changes: int) -> None:
    """Drop the tenant's log entries older than ``KEEP_CHANGES`` counter values, once every
    ``PRUNE_EVERY`` writes (``changes``: the counter the write just bumped it to)."""
    if changes % PRUNE_EVERY == 0:
        conn.execute("DELETE FROM note_changes WHERE user_id = %s AND changes <= %s",
                     (user_id, changes - KEEP_CHANGES))


def _rows(conn: Conn, ids: Sequence[str], embedder_id: str, user_id: str,
          path: str) -> list[dict[str, Any]]:
    """The live rows of ``ids``."""
    if not ids:
        return []
    rows = conn.execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ANY(%s) AND "
                        "deleted_at IS NULL", (list(ids),), binary=True).fetchall()
    check_embedder((r["embedder"] for r in rows), embedder_id, user_id, path)
    return rows


def _turns(conn: Conn, user_id: str, after: int) -> tuple[list[Turn], int]:
    """The tenant's turns after ``after`` (their ``seq``), in order, and the last one's."""
    rows = conn.execute("SELECT seq, agent_id, thread, speaker, note_id FROM turns "
                        "WHERE user_id = %s AND seq > %s ORDER BY seq", (user_id, after)
                        ).fetchall()
    return ([Turn(user_id, r["agent_id"], r["thread"], r["speaker"], r["note_id"])
             for r in rows], rows[-1]["seq"] if rows else after)


def _row(r: dict[str, Any]) -> IndexRow:
    return IndexRow(r["id"], array(r["embedding"]), array(r["intent_embedding"]),
                    r["agent_id"], r["session_id"], (r["valid_from"], r["valid_until"]),
                    r["expires_at"])
