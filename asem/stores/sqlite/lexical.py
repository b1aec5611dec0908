"""FTS5 reads of the lexical channel: BM25-ranked matches and per-term statistics.

Every query is restricted to one user by the owner column (one token per user, see
codec.owner_token), so ranking and cutting happen inside FTS5.
"""

from __future__ import annotations

import sqlite3
from collections.abc import MutableMapping, Sequence

from asem.stores.sqlite.codec import owner_token

# BM25 column weights: content, keywords, tags, context, entities, owner (never scored).
_BM25 = "bm25(notes_fts, 1.0, 0.6, 0.3, 0.4, 0.6, 0.0)"


def _match(user_id: str, terms: Sequence[str]) -> str:
    """The FTS5 expression for the user's notes matching any of ``terms``."""
    return f'owner : "{owner_token(user_id)}" AND ({_quoted(terms)})'


def _quoted(terms: Sequence[str]) -> str:
    """Any of ``terms``, each a phrase of its own."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


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
               note_ids: Sequence[str], counted: MutableMapping[str, int] | None = None,
               ) -> dict[str, tuple[int, set[str]]]:
    """Per term: how many of the user's notes match it, and which of ``note_ids`` do.

    ``counted`` holds counts made before (term → count) and gets the new ones."""
    counted = {} if counted is None else counted
    marks = ",".join("?" * len(note_ids))
    # The candidates' rows in the lexical index: asking FTS5 about those rows alone is a
    # lookup per row, where joining every match to the notes walked the term's postings.
    # (Found by id, then checked for the user: an index on the user would walk every note.)
    rowid_of = {r[0]: r[1] for r in conn.execute(
        f"SELECT rowid, id FROM notes WHERE id IN ({marks}) AND +user_id = ?",
        (*note_ids, user_id))} if note_ids else {}
    rowids = ",".join("?" * len(rowid_of))
    stats = {}
    for term in dict.fromkeys(terms):
        if term not in counted:
            counted[term] = int(conn.execute(
                "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH ?",
                (_match(user_id, [term]),)).fetchone()[0])
        holders = {rowid_of[r[0]] for r in conn.execute(
            f"SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? AND rowid IN ({rowids})",
            (_quoted([term]), *rowid_of))} if rowid_of else set()
        stats[term] = (counted[term], holders)
    return stats
