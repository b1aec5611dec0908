"""FTS5 reads of the lexical channel: BM25-ranked matches and per-term statistics.

Every query is restricted to one user by the owner column (one token per user, see
codec.owner_token). FTS5's own ``bm25()`` takes its statistics (how many notes there are,
how long they are on average, how many hold a term) from the whole table, every tenant's
notes together: one tenant's writes would move another's scores and let it infer what the
other wrote. So BM25 is computed here with FTS5's formula and every statistic taken within
the tenant: FTS5 finds the tenant's matches of each term and counts the term's hits in each
column (``highlight``), and its per-note token counts (the ``notes_fts_docsize`` table) give
the note lengths. On a file with one tenant the scores are FTS5's own.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import MutableMapping, Sequence

from asem.stores.sqlite.codec import owner_token

K1 = 1.2
B = 0.75
"""BM25's term-frequency saturation and length normalisation (FTS5's values)."""
WEIGHTS = (1.0, 0.6, 0.3, 0.4, 0.6)
"""BM25 column weights: content, keywords, tags, context, entities (owner is never scored)."""
_MARK = "\x02asem\x03"
"""What ``highlight`` puts before each hit: no note holds it."""
_HITS = ", ".join(f"highlight(notes_fts, {c}, '{_MARK}', '')" for c in range(len(WEIGHTS)))


def _match(user_id: str, terms: Sequence[str]) -> str:
    """The FTS5 expression for the user's notes matching any of ``terms``."""
    return f'owner : "{owner_token(user_id)}" AND ({_quoted(terms)})'


def _quoted(terms: Sequence[str]) -> str:
    """Any of ``terms``, each a phrase of its own."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def ranked(conn: sqlite3.Connection, user_id: str, terms: Sequence[str],
           limit: int) -> list[tuple[str, float]]:
    """(note id, BM25 score ≥ 0), best first, for the user's notes matching any term.

    BM25 as FTS5 scores it (``bm25()``: IDF ln((N − n + ½)/(n + ½)), at least 10⁻⁶; column-
    weighted hit counts; the note's length in tokens against the mean), with N, n and the
    mean length counted in the user's notes alone."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return []
    documents, tokens = tenant_size(conn, user_id)
    if documents == 0:
        return []
    mean_length = tokens / documents
    scores: dict[int, float] = {}
    for term in terms:
        rows = conn.execute(
            f"SELECT notes_fts.rowid, d.sz, {_HITS} FROM notes_fts "
            "JOIN notes_fts_docsize d ON d.id = notes_fts.rowid WHERE notes_fts MATCH ?",
            (_match(user_id, [term]),)).fetchall()
        if not rows:
            continue
        holders = len(rows)
        idf = max(math.log((documents - holders + 0.5) / (holders + 0.5)), 1e-6)
        for row in rows:
            texts = tuple(row)[2:]
            hits = sum(w * text.count(_MARK) for w, text in zip(WEIGHTS, texts, strict=True))
            norm = K1 * (1 - B + B * _tokens(row[1]) / mean_length)
            scores[row[0]] = scores.get(row[0], 0.0) + idf * hits * (K1 + 1) / (hits + norm)
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    marks = ",".join("?" * len(best))
    ids = dict(conn.execute(f"SELECT rowid, id FROM notes WHERE rowid IN ({marks})",
                            [rowid for rowid, _ in best]).fetchall()) if best else {}
    return [(ids[rowid], max(0.0, score)) for rowid, score in best if rowid in ids]


def tenant_size(conn: sqlite3.Connection, user_id: str) -> tuple[int, int]:
    """How many notes the user has in the lexical index, and their tokens in all."""
    rows = conn.execute(
        "SELECT d.sz FROM notes_fts JOIN notes_fts_docsize d ON d.id = notes_fts.rowid "
        "WHERE notes_fts MATCH ?", (f'owner : "{owner_token(user_id)}"',)).fetchall()
    return len(rows), sum(_tokens(r[0]) for r in rows)


def _tokens(size: bytes) -> int:
    """A note's length in tokens: the sum of the SQLite varints (one per column) of its
    ``notes_fts_docsize`` row."""
    total = value = 0
    for byte in size:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            total, value = total + value, 0
    return total


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
