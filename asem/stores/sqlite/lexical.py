"""FTS5 reads of the lexical channel: BM25-ranked matches and per-term statistics.

Every query is restricted to one user by the owner column (one token per user, see
codec.owner_token). FTS5's own ``bm25()`` takes its statistics (how many notes there are,
their mean length, how many hold a term) from the whole table, every tenant's notes
together: one tenant's writes would move another's scores, and counting how many notes of
the whole table hold a term walks every tenant's postings of it, at each search. So in a
file of several tenants the score is FTS5's formula computed here, with the tenant's own
statistics: FTS5 finds the tenant's matches of one term at a time and marks each instance
of the term in each column (``highlight()``, which reads the matched notes alone); the
marks, weighted by column, are the note's hit count f (``_HITS``); N, n and the mean length are
counted in the tenant's notes alone, the note's length read from ``notes_fts_docsize``. On
a file with one tenant FTS5 ranks by its own ``bm25()``: the scores are the same.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, MutableMapping, Sequence

from asem.stores.sqlite.codec import owner_token

K1 = 1.2
B = 0.75
"""BM25's term-frequency saturation and length normalisation (FTS5's values)."""
WEIGHTS = {"content": 1.0, "keywords": 0.6, "tags": 0.3, "context": 0.4, "entities": 0.6}
"""Column weights, in the table's order (the owner column, the last, is never scored)."""
_BM25 = f"bm25(notes_fts, {', '.join(map(str, WEIGHTS.values()))}, 0.0)"
_HITS = " + ".join(
    f"{weight} * coalesce(length(highlight(notes_fts, {i}, char(1), '')) - length({column}), 0)"
    for i, (column, weight) in enumerate(WEIGHTS.items()))
"""A matched note's column-weighted hit count f of the term: ``highlight()`` puts one
character before each instance of it in a column, so the column grows by as many."""


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
    if (documents, tokens) == _table_size(conn):  # the user is the whole table
        return _fts5_ranked(conn, terms, limit)
    # K = k1 · (1 − b + b · |D| / avgdl) = base + slope · |D|, with the tenant's mean length
    base, slope = K1 * (1 - B), K1 * B * documents / tokens
    scores: dict[int, float] = {}
    for term in terms:
        rows = conn.execute(f"SELECT rowid, {_HITS} FROM notes_fts WHERE notes_fts MATCH ?",
                            (_match(user_id, [term]),)).fetchall()
        if not rows:
            continue
        idf = _idf(documents, len(rows))
        for rowid, hits in rows:
            length = note_length.get(rowid) or lengths_of(conn, [rowid])[rowid]
            norm = base + slope * length
            scores[rowid] = scores.get(rowid, 0.0) + idf * hits * (K1 + 1) / (hits + norm)
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return _with_ids(conn, best)


def _with_ids(conn: sqlite3.Connection, best: Sequence[tuple[int, float]]
              ) -> list[tuple[str, float]]:
    """(note id, score ≥ 0) of each (rowid, score), in their order: one lookup by rowid
    for all of them."""
    marks = ",".join("?" * len(best))
    ids = dict(conn.execute(f"SELECT rowid, id FROM notes WHERE rowid IN ({marks})",
                            [rowid for rowid, _ in best]).fetchall()) if best else {}
    return [(ids[rowid], max(0.0, float(score))) for rowid, score in best if rowid in ids]


def _fts5_ranked(conn: sqlite3.Connection, terms: Sequence[str],
                 limit: int) -> list[tuple[str, float]]:
    """FTS5's own ranking and cut, right when the user's notes are the whole table (so the
    table's statistics are the user's, and the owner need not be matched: intersecting
    with the owner's postings, which list every note, cost more than the ranking)."""
    # Sorted by the result column itself: ORDER BY bm25(...) would compute the score of
    # every match twice (once to sort, once to return). The ids are looked up apart:
    # joined to the notes in the same statement, the ranking took 4 ms more (median, a
    # tenant of 100,000 notes), the lookup by rowid 1.7 ms.
    rows = conn.execute(f"SELECT rowid, -{_BM25} AS score FROM notes_fts WHERE notes_fts "
                        "MATCH ? ORDER BY score DESC LIMIT ?", (_quoted(terms), limit)).fetchall()
    return _with_ids(conn, [(r[0], r[1]) for r in rows])


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
