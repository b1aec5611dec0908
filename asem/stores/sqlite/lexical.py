"""FTS5 reads of the lexical channel: BM25-ranked matches and per-term statistics.

Every query is restricted to one user by the owner column (one token per user, see
codec.owner_token), so ranking and cutting happen inside FTS5.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from asem.stores.sqlite.codec import owner_token

# BM25 column weights: content, keywords, tags, context, entities, owner (never scored).
_BM25 = "bm25(notes_fts, 1.0, 0.6, 0.3, 0.4, 0.6, 0.0)"


def _match(user_id: str, terms: Sequence[str]) -> str:
    """The FTS5 expression for the user's notes matching any of ``terms``."""
    quoted = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return f'owner : "{owner_token(user_id)}" AND ({quoted})'


def ranked(conn: sqlite3.Connection, user_id: str, terms: Sequence[str],
           limit: int) -> list[tuple[str, float]]:
    """(note id, BM25 score ≥ 0), best first, for the user's notes matching any term."""
    if not terms:
        return []
    rows = conn.execute(
        f"SELECT n.id AS id, hits.score AS score FROM (SELECT rowid, -{_BM25} AS score "
        f"FROM notes_fts WHERE notes_fts MATCH ? ORDER BY {_BM25} LIMIT ?) AS hits "
        "JOIN notes n ON n.rowid = hits.rowid ORDER BY hits.score DESC",
        (_match(user_id, terms), limit),
    ).fetchall()
    return [(r["id"], max(0.0, float(r["score"]))) for r in rows]


def term_stats(conn: sqlite3.Connection, user_id: str, terms: Sequence[str],
               note_ids: Sequence[str]) -> dict[str, tuple[int, set[str]]]:
    """Per term: how many of the user's notes match it, and which of ``note_ids`` do."""
    marks = ",".join("?" * len(note_ids))
    stats = {}
    for term in dict.fromkeys(terms):
        match = _match(user_id, [term])
        count = conn.execute("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?",
                             (match,)).fetchone()[0]
        holders = {r[0] for r in conn.execute(
            "SELECT n.id FROM notes_fts JOIN notes n ON n.rowid = notes_fts.rowid "
            f"WHERE notes_fts MATCH ? AND n.id IN ({marks})", (match, *note_ids))
        } if note_ids else set()
        stats[term] = (int(count), holders)
    return stats
