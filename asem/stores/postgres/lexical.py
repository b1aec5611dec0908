"""The lexical channel over PostgreSQL full-text search: BM25 scores and term statistics.

Notes carry a weighted ``tsvector`` (migration 0001: content 1.0, keywords and entities
0.6, context 0.4, tags 0.3, as the SQLite store's FTS5 columns) under a GIN index. PostgreSQL
ranks with ``ts_rank``, which knows nothing of how rare a term is; BM25 is computed here
instead, as FTS5's ``bm25()`` does (IDF ln((N − n + ½)/(n + ½)), at least 10⁻⁶; term
frequency weighted by column; the note's length in tokens), with every statistic taken within
the tenant: its live notes (N), their mean length (avgdl) and each term's document frequency
among them. One tenant's notes never change another's scores.

Those statistics are counted once per state of the tenant, not per search: every write of a
tenant's notes bumps its row of ``tenant_changes`` in the same transaction (as the vector
index cache relies on), so a count read with the counter at c is right for every snapshot
that reads c again (``TermCounts``). Counting them on every search read each of the
tenant's notes: 10 ms a search at 10,000 notes, growing with the tenant.

Scores are read from the postings (``note_terms``, migration 0013: one row per live note and
lexeme, with the lexeme's weighted term frequency and the note's length, kept by a trigger on
every write of a note): unnesting the tsvector of every note that matched a query term took
110 ms a search at 100,000 notes. The counts are kept by triggers too (migration 0014: the
tenant's live notes and tokens, ``tenant_lexical``; each lexeme's live notes,
``lexeme_notes``), so counting a new state reads one row per lexeme instead of scanning the
tenant's notes and each lexeme's postings.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from asem.stores.postgres.codec import given_notes
from asem.stores.postgres.writes import Conn, tenant_changes

K1 = 1.2
B = 0.75
"""BM25's term-frequency saturation and length normalisation (FTS5's values)."""
MAX_TENANTS = 1024
"""Tenants whose counts a store keeps; beyond, they are all counted again when next asked."""

_TENANT = "user_id = %(user)s AND deleted_at IS NULL"

# The tenant's change counter and the query's lexemes, in one round trip.
_ASKED = """
SELECT coalesce((SELECT changes FROM tenant_changes WHERE user_id = %(user)s), 0) AS changes,
       ARRAY(SELECT DISTINCT u.lexeme FROM unnest(%(terms)s::text[]) t,
             unnest(to_tsvector('asem_text', t)) u) AS lexemes
"""
# N, the mean length and each lexeme's notes, as triggers keep them (migration 0014).
_SIZE = """
SELECT coalesce(max(notes), 0)::float8 AS n,
       greatest(coalesce(max(tokens)::float8 / nullif(max(notes), 0), 0), 1)::float8 AS avgdl
FROM tenant_lexical WHERE user_id = %(user)s
"""
_LEXEME_DF = """
SELECT l.lexeme AS key, coalesce((SELECT c.notes FROM lexeme_notes c WHERE c.user_id = %(user)s
                                  AND c.lexeme = l.lexeme), 0)::float8 AS df
FROM unnest(%(keys)s::text[]) AS l(lexeme)
"""
# Each term as a query: a term of several words matches a note holding all of them.
_TERMS = """
WITH term AS (
    SELECT t, w.lexemes,
           (SELECT string_agg(quote_literal(l), ' & ') FROM unnest(w.lexemes) l)::tsquery AS q
    FROM unnest(%({list})s::text[]) t,
         LATERAL (SELECT tsvector_to_array(to_tsvector('asem_text', t)) AS lexemes) w)
"""
# A term of one lexeme has that lexeme's notes (kept by triggers, migration 0014); a term of
# several is counted through the GIN index.
_TERM_DF = _TERMS.format(list="keys") + f"""
SELECT term.t AS key, CASE WHEN term.q IS NULL THEN 0
       WHEN cardinality(term.lexemes) = 1 THEN coalesce(
           (SELECT c.notes FROM lexeme_notes c WHERE c.user_id = %(user)s
            AND c.lexeme = term.lexemes[1]), 0)
       ELSE (SELECT count(*) FROM notes WHERE {_TENANT} AND lexical @@ term.q) END::float8 AS df
FROM term
"""
# Scored from the postings (``note_terms``, one row per live note and lexeme): a range scan
# of the tenant's rows for each query lexeme, the best ``limit`` kept, and only their ids
# read from the notes.
_RANKED = f"""
WITH weights AS MATERIALIZED (
    SELECT d.lexeme, greatest(ln((%(n)s - d.df + 0.5) / (d.df + 0.5)), 1e-6) AS idf
    FROM unnest(%(lexemes)s::text[], %(dfs)s::float8[]) AS d(lexeme, df)),
best AS MATERIALIZED (
    SELECT t.seq, sum(w.idf * t.tf * {K1 + 1}
                      / (t.tf + {K1} * (1 - {B} + {B} * t.len / %(avgdl)s))) AS score
    FROM weights w JOIN note_terms t ON t.user_id = %(user)s AND t.lexeme = w.lexeme
    GROUP BY t.seq
    ORDER BY score DESC, t.seq
    LIMIT %(limit)s)
SELECT n.id, best.score FROM best JOIN notes n ON n.seq = best.seq
ORDER BY best.score DESC, best.seq
"""
# Which of the given notes (read by primary key first) match each term.
_HOLDERS = _TERMS.format(list="terms") + f"""
SELECT term.t AS term,
       CASE WHEN term.q IS NULL THEN '{{}}'::text[] ELSE
           array(SELECT id FROM {given_notes("%(ids)s")} given
                 WHERE {_TENANT} AND lexical @@ term.q) END AS holders
FROM term
"""

@dataclass
class _Counted:
    changes: int
    notes: float
    """N: the tenant's live notes."""
    avgdl: float
    """Their mean length in tokens (at least 1)."""
    df: dict[tuple[str, str], float] = field(default_factory=dict)
    """("lexeme" or "term", key) → how many of them match it."""


class TermCounts:
    """BM25's statistics of each tenant, kept while the tenant's change counter stands
    (thread-safe; one per store)."""

    def __init__(self, max_tenants: int = MAX_TENANTS) -> None:
        self._counted: dict[str, _Counted] = {}
        self._lock = threading.Lock()
        self._max = max_tenants

    def of(self, conn: Conn, user_id: str, changes: int) -> _Counted:
        """The tenant's counts as of ``changes``, counted again if it wrote since."""
        with self._lock:
            found = self._counted.get(user_id)
        if found is not None and found.changes == changes:
            return found
        row = conn.execute(_SIZE, {"user": user_id}).fetchone()
        counted = _Counted(changes, float(row["n"]), float(row["avgdl"]))
        with self._lock:
            if len(self._counted) >= self._max:
                self._counted.clear()
            self._counted[user_id] = counted
        return counted

    def df(self, conn: Conn, user_id: str, counted: _Counted, kind: str,
           keys: Sequence[str]) -> list[float]:
        """How many of the tenant's live notes match each key (a ``lexeme``, or a ``term``
        whose words must all match), counting only those not counted in this state."""
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if (kind, k) not in counted.df]
        if missing:
            sql = _LEXEME_DF if kind == "lexeme" else _TERM_DF
            rows = conn.execute(sql, {"user": user_id, "keys": missing}).fetchall()  # type: ignore[arg-type]
            with self._lock:
                counted.df.update(((kind, r["key"]), float(r["df"])) for r in rows)
        with self._lock:
            return [counted.df[(kind, k)] for k in keys]


def ranked(conn: Conn, user_id: str, terms: Sequence[str], limit: int,
           counts: TermCounts | None = None) -> list[tuple[str, float]]:
    """(note id, BM25 score ≥ 0), best first, for the user's notes matching any term;
    ``counts``: the store's statistics kept between searches (none: counted now)."""
    if not terms:
        return []
    counts = counts or TermCounts()
    asked = conn.execute(_ASKED, {"user": user_id, "terms": list(terms)}).fetchone()  # type: ignore[arg-type]
    lexemes = list(asked["lexemes"])
    if not lexemes:
        return []
    counted = counts.of(conn, user_id, int(asked["changes"]))
    dfs = counts.df(conn, user_id, counted, "lexeme", lexemes)
    rows = conn.execute(_RANKED, {  # type: ignore[arg-type]
        "lexemes": lexemes, "dfs": dfs, "n": counted.notes, "avgdl": counted.avgdl,
        "user": user_id, "limit": limit}).fetchall()
    return [(r["id"], max(0.0, float(r["score"]))) for r in rows]


def term_stats(conn: Conn, user_id: str, terms: Sequence[str], note_ids: Sequence[str],
               counts: TermCounts | None = None) -> dict[str, tuple[int, set[str]]]:
    """Per term: how many of the user's live notes match it, and which of ``note_ids`` do."""
    if not terms:
        return {}
    counts = counts or TermCounts()
    terms = list(dict.fromkeys(terms))
    counted = counts.of(conn, user_id, tenant_changes(conn, user_id))
    dfs = counts.df(conn, user_id, counted, "term", terms)
    rows = conn.execute(_HOLDERS, {  # type: ignore[arg-type]
        "terms": terms, "user": user_id, "ids": list(note_ids)}).fetchall() if note_ids else []
    holders = {r["term"]: set(r["holders"]) for r in rows}
    return {t: (int(df), holders.get(t, set())) for t, df in zip(terms, dfs, strict=True)}
