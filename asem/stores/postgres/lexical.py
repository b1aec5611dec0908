"""The lexical channel over PostgreSQL full-text search: BM25 scores and term statistics.

Notes carry a weighted ``tsvector`` (migration 0001: content 1.0, keywords and entities
0.6, context 0.4, tags 0.3, as the SQLite store's FTS5 columns) under a GIN index. PostgreSQL
ranks with ``ts_rank``, which knows nothing of how rare a term is; BM25 is computed here
instead, as FTS5's ``bm25()`` does (IDF ln((N − n + ½)/(n + ½)), at least 10⁻⁶; term
frequency weighted by column; the note's length in tokens), with every statistic taken within
the tenant: its live notes (N), their mean length (avgdl) and each term's document frequency
among them. One tenant's notes never change another's scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

K1 = 1.2
B = 0.75
"""BM25's term-frequency saturation and length normalisation (FTS5's values)."""

_TENANT = "user_id = %(user)s AND deleted_at IS NULL"
_WEIGHT = "CASE w WHEN 'A' THEN 1.0 WHEN 'B' THEN 0.6 WHEN 'C' THEN 0.4 ELSE 0.3 END"

# Each statistic once per query (MATERIALIZED): inlined, the planner would count a term's
# documents again for every note it scores.
_RANKED = f"""
WITH lex AS MATERIALIZED (
    SELECT DISTINCT u.lexeme FROM unnest(%(terms)s::text[]) t,
        unnest(to_tsvector('asem_text', t)) u),
tenant AS MATERIALIZED (
    SELECT count(*)::float8 AS n, greatest(coalesce(avg(lexical_len), 0), 1)::float8 AS avgdl
    FROM notes WHERE {_TENANT}),
weights AS MATERIALIZED (
    SELECT lex.lexeme, greatest(ln((tenant.n - d.df + 0.5) / (d.df + 0.5)), 1e-6) AS idf
    FROM lex, tenant, LATERAL (SELECT count(*)::float8 AS df FROM notes
        WHERE {_TENANT} AND lexical @@ quote_literal(lex.lexeme)::tsquery) d),
query AS MATERIALIZED (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS q FROM lex)
SELECT n.id, sum(weights.idf * f.tf * {K1 + 1}
                 / (f.tf + {K1} * (1 - {B} + {B} * n.lexical_len / tenant.avgdl))) AS score
FROM notes n
CROSS JOIN query CROSS JOIN tenant
CROSS JOIN LATERAL unnest(n.lexical) AS x(lexeme, positions, weights)
JOIN weights ON weights.lexeme = x.lexeme
CROSS JOIN LATERAL (SELECT sum({_WEIGHT})::float8 AS tf FROM unnest(x.weights) w) f
WHERE n.user_id = %(user)s AND n.deleted_at IS NULL AND n.lexical @@ query.q
GROUP BY n.id, n.seq
ORDER BY score DESC, n.seq
LIMIT %(limit)s
"""

_TERM_STATS = f"""
WITH term AS (
    SELECT t, (SELECT string_agg(quote_literal(u.lexeme), ' & ')
               FROM unnest(to_tsvector('asem_text', t)) u)::tsquery AS q
    FROM unnest(%(terms)s::text[]) t)
SELECT term.t AS term,
       CASE WHEN term.q IS NULL THEN 0 ELSE
           (SELECT count(*) FROM notes WHERE {_TENANT} AND lexical @@ term.q) END AS df,
       CASE WHEN term.q IS NULL THEN '{{}}'::text[] ELSE
           array(SELECT id FROM notes WHERE {_TENANT} AND id = ANY(%(ids)s)
                 AND lexical @@ term.q) END AS holders
FROM term
"""


def ranked(conn: psycopg.Connection[dict[str, Any]], user_id: str, terms: Sequence[str],
           limit: int) -> list[tuple[str, float]]:
    """(note id, BM25 score ≥ 0), best first, for the user's notes matching any term."""
    if not terms:
        return []
    rows = conn.execute(_RANKED, {"terms": list(terms), "user": user_id,  # type: ignore[arg-type]
                                  "limit": limit}).fetchall()
    return [(r["id"], max(0.0, float(r["score"]))) for r in rows]


def term_stats(conn: psycopg.Connection[dict[str, Any]], user_id: str, terms: Sequence[str],
               note_ids: Sequence[str]) -> dict[str, tuple[int, set[str]]]:
    """Per term: how many of the user's live notes match it, and which of ``note_ids`` do."""
    if not terms:
        return {}
    rows = conn.execute(_TERM_STATS, {  # type: ignore[arg-type]
        "terms": list(dict.fromkeys(terms)), "user": user_id, "ids": list(note_ids)}).fetchall()
    return {r["term"]: (int(r["df"]), set(r["holders"])) for r in rows}
