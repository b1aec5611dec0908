"""What the speaker and diversity steps of a search read of the user's turns on PostgreSQL
(``DenseSource.speakers``, ``said_by``, ``speakers_of``, ``pool_notes``): each one batched
query.

Speakers are kept as said ("Ana"); they are lower-cased in Python, as the SQLite store's
in-process index does (``VectorIndex.speakers``), so both stores compare the same labels. The
distinct speakers of a tenant are walked on ``turns_speaker`` (migration 0011), one index
probe per speaker, not a scan of the tenant's turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asem.stores.postgres.codec import given_notes
from asem.stores.postgres.writes import Conn

_SPEAKERS = """
WITH RECURSIVE spoken(speaker) AS (
    (SELECT speaker FROM turns WHERE user_id = %(user)s AND speaker > ''
     ORDER BY speaker LIMIT 1)
    UNION ALL
    SELECT (SELECT t.speaker FROM turns t WHERE t.user_id = %(user)s AND t.speaker > s.speaker
            ORDER BY t.speaker LIMIT 1)
    FROM spoken s WHERE s.speaker IS NOT NULL
)
SELECT speaker FROM spoken WHERE speaker IS NOT NULL
"""

# Per asked note: its embedding when it is live, the speakers of its turns, and the
# conversation of its first turn that has one (the notes read by primary key first).
_POOL = f"""
SELECT i.id, n.embedding,
       ARRAY(SELECT t.speaker FROM turns t WHERE t.user_id = %(user)s AND t.note_id = i.id
             AND t.speaker <> '') AS speakers,
       f.agent_id, f.thread
FROM unnest(%(ids)s::text[]) AS i(id)
LEFT JOIN {given_notes("%(ids)s")} n
       ON n.id = i.id AND n.user_id = %(user)s AND n.deleted_at IS NULL
LEFT JOIN LATERAL (SELECT t.agent_id, t.thread FROM turns t WHERE t.user_id = %(user)s
                   AND t.note_id = i.id AND t.thread <> '' ORDER BY t.seq LIMIT 1) f ON true
"""


def speakers(conn: Conn, user_id: str) -> list[str]:
    """Every speaker of the user's turns, as said, each once."""
    return [r["speaker"] for r in conn.execute(_SPEAKERS, {"user": user_id})]  # type: ignore[arg-type]


def said_by(conn: Conn, user_id: str, spoken: Sequence[str]) -> frozenset[str]:
    """The user's live notes holding a turn said by one of ``spoken`` (as said)."""
    if not spoken:
        return frozenset()
    return frozenset(r["note_id"] for r in conn.execute(
        "SELECT DISTINCT t.note_id FROM turns t JOIN notes n ON n.id = t.note_id AND "
        "n.deleted_at IS NULL WHERE t.user_id = %s AND t.speaker = ANY(%s)",
        (user_id, list(spoken))))


def pool_rows(conn: Conn, user_id: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """One row per note of ``ids``: id, embedding (None unless live), speakers (as said),
    agent_id and thread of its first turn in a conversation (None without one)."""
    if not ids:
        return []
    return conn.execute(_POOL, {"user": user_id, "ids": list(ids)},  # type: ignore[arg-type]
                        binary=True).fetchall()  # vectors as bytes, not text to parse
