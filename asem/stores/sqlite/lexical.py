"""FTS5 reads of the lexical channel: BM25-ranked matches and per-term statistics.

Every query is restricted to one user by the owner column (one token per user, see
codec.owner_token). FTS5's own ``bm25()`` takes its statistics (how many notes there are,
their mean length, how many hold a term) from the whole table, every tenant's notes
together: one tenant's writes would move another's scores. So each note's score is taken
apart and put together again with the tenant's own statistics: FTS5 scores the tenant's
matches of one term at a time, with the column weights once and twice over: the ratio of the
two scores, the table's mean length (its averages record) and the note's length
(``notes_fts_docsize``) give the note's column-weighted hit count f back (``_hits``); BM25
is then FTS5's formula over f with N, n and the mean length counted in the tenant's notes
alone. On a file with one tenant the scores are FTS5's.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, MutableMapping, Sequence

from asem.stores.sqlite.codec import owner_token

K1 = 1.2
B = 0.75
"""BM25's term-frequency saturation and length normalisation (FTS5's values)."""
_BM25 = "bm25(notes_fts, 1.0, 0.6, 0.3, 0.4, 0.6, 0.0)"
"""Column weights: content, keywords, tags, context, entities, owner (never scored)."""
_BM25_TWICE = "bm25(notes_fts, 2.0, 1.2, 0.6, 0.8, 1.2, 0.0)"
"""The same weights twice over: the ratio of the two scores gives f (``_hits``)."""


def _match(user_id: str, terms: Sequence[str]) -> str:
    """The FTS5 expression for the user's notes matching any of ``terms``."""
    return f'owner : "{owner_token(user_id)}" AND ({_quoted(terms)})'


def _quoted(terms: Sequence[str]) -> str:
    """Any of ``terms``, each a phrase of its own."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def ranked(conn: sqlite3.Connection, user_id: str, terms: Sequence[str], limit: int,
           size: tuple[Mapping[int, int], int] | None = None) -> list[tuple[str, float]]:
    """(note id, BM25 score ≥ 0), best first, for the user's notes matching any term.

    BM25 as FTS5's ``bm25()`` (IDF ln((N − n + ½)/(n + ½)), at least 10⁻⁶; column-weighted
    hit counts; the note's length in tokens against the mean), with N, n and the mean length
    the user's own. ``size`` is the length of each of the user's notes (by rowid) and their
    sum, when already counted."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return []
    if size is None:
        found = lengths(conn, user_id)
        size = found, sum(found.values())
    note_length, tokens = size
    documents = len(note_length)
    if documents == 0:
        return []
    table_rows, table_tokens = _table_size(conn)
    if (documents, tokens) == (table_rows, table_tokens):  # the user is the whole table
        return _fts5_ranked(conn, terms, limit)
    # K = k1 · (1 − b + b · |D| / avgdl) = base + slope · |D|, with the table's mean length
    # (to take FTS5's score apart) and the tenant's (to put it together again).
    base, table_slope = K1 * (1 - B), K1 * B * table_rows / table_tokens
    slope = K1 * B * documents / tokens
    scores: dict[int, float] = {}
    for term in terms:
        rows = conn.execute(f"SELECT rowid, -{_BM25}, -{_BM25_TWICE} FROM notes_fts "
                            "WHERE notes_fts MATCH ?", (_match(user_id, [term]),)).fetchall()
        if not rows:
            continue
        idf = _idf(documents, len(rows))
        for rowid, score, twice in rows:
            length = note_length.get(rowid) or lengths_of(conn, [rowid])[rowid]
            # f is a sum of column weights (tenths): rounded, it is the same whatever the
            # table's statistics it was recovered through.
            hits = round(_hits(score, twice, base + table_slope * length), 6)
            norm = base + slope * length
            scores[rowid] = scores.get(rowid, 0.0) + idf * hits * (K1 + 1) / (hits + norm)
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    marks = ",".join("?" * len(best))
    ids = dict(conn.execute(f"SELECT rowid, id FROM notes WHERE rowid IN ({marks})",
                            [rowid for rowid, _ in best]).fetchall()) if best else {}
    return [(ids[rowid], max(0.0, score)) for rowid, score in best if rowid in ids]


def _hits(once: float, twice: float, k: float) -> float:
    """The column-weighted hit count f of a term in a note, from the ratio of FTS5's scores
    of the term with the column weights once and twice over: with I the term's IDF and K
    the note's length normalisation (the table's), s(c) = I · (k1 + 1) · c·f / (c·f + K),
    so s(1) / s(2) = (2f + K) / (2f + 2K) and f = K (2r − 1) / (2 (1 − r)). The term's IDF
    cancels out: no count of the term's notes in the whole table is needed (FTS5 counts
    them once per statement for its own score; a second count doubled that walk). A term
    matched in no weighted column (the owner's alone) has f = 0: both scores are 0."""
    if twice <= 0:
        return 0.0
    ratio = min(max(once / twice, 0.5), 1 - 1e-12)
    return k * (2 * ratio - 1) / (2 * (1 - ratio))


def _fts5_ranked(conn: sqlite3.Connection, terms: Sequence[str],
                 limit: int) -> list[tuple[str, float]]:
    """FTS5's own ranking and cut, right when the user's notes are the whole table (so the
    table's statistics are the user's, and the owner need not be matched: intersecting
    with the owner's postings, which list every note, cost more than the ranking)."""
    # Sorted by the result column itself: ORDER BY bm25(...) would compute the score of
    # every match twice (once to sort, once to return).
    rows = conn.execute(
        f"SELECT n.id AS id, hits.score AS score FROM (SELECT rowid, -{_BM25} AS score "
        "FROM notes_fts WHERE notes_fts MATCH ? ORDER BY score DESC LIMIT ?) AS hits "
        "JOIN notes n ON n.rowid = hits.rowid ORDER BY hits.score DESC",
        (_quoted(terms), limit),
    ).fetchall()
    return [(r["id"], max(0.0, float(r["score"]))) for r in rows]


def _idf(documents: int, holders: int) -> float:
    return max(math.log((documents - holders + 0.5) / (holders + 0.5)), 1e-6)


def lengths(conn: sqlite3.Connection, user_id: str) -> dict[int, int]:
    """The length in tokens of each of the user's notes in the lexical index, by rowid."""
    return {r[0]: _tokens(r[1]) for r in conn.execute(
        "SELECT d.id, d.sz FROM notes_fts JOIN notes_fts_docsize d ON d.id = notes_fts.rowid "
        "WHERE notes_fts MATCH ?", (f'owner : "{owner_token(user_id)}"',))}


def lengths_of(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, int]:
    """The length in tokens of the notes at ``rowids`` that are in the lexical index."""
    marks = ",".join("?" * len(rowids))
    return {r[0]: _tokens(r[1]) for r in conn.execute(
        f"SELECT id, sz FROM notes_fts_docsize WHERE id IN ({marks})", tuple(rowids))
        } if rowids else {}


def _table_size(conn: sqlite3.Connection) -> tuple[int, int]:
    """The rows of the whole lexical index and their tokens, from FTS5's averages record
    (written at each commit; a search never runs inside a write's open transaction)."""
    row = conn.execute("SELECT block FROM notes_fts_data WHERE id = 1").fetchone()
    values = _varints(row[0]) if row else []
    return (values[0], sum(values[1:])) if values and values[0] else (1, 1)


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints of an FTS5 record, in order."""
    values, value = [], 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            values.append(value)
            value = 0
    return values


def _tokens(size: bytes) -> int:
    """A note's length in tokens: its ``notes_fts_docsize`` row, one varint per column (one
    byte each while a column holds under 128 tokens)."""
    return sum(size) if size.isascii() else sum(_varints(size))


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
