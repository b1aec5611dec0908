"""What a store must hold for every note, checked by SQL after a run (both families use it).

A note is *half-written* when one of the rows a write commits with it is missing:

- vectors: its content and intent embeddings, each of the embedder's dimension;
- lexical row: a live note has its lexical index entry with its current content (SQLite:
  the ``notes_fts`` row of its rowid; PostgreSQL: a ``lexical`` vector equal to the one its
  trigger computes from the note), and a deleted one none;
- turn rows: every turn id of its provenance in the turn index (``note_turns``), and at
  least one row in the order of conversation (``turns``) naming it;
- history rows: an ``ADD`` row, and for a deleted note the row that deleted it.

``integrity`` adds the engine's own check: SQLite's ``PRAGMA integrity_check`` and FTS5's
``integrity-check``; on PostgreSQL, no index left invalid.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

Target = str | Path
"""An SQLite file or a PostgreSQL URL."""

ENDED = ("DELETE", "ARCHIVE", "FORGET")
"""History operations that end a note's life as a live note."""

_SQLITE = {
    "no vectors": "SELECT count(*) FROM notes WHERE embedding IS NULL OR intent_embedding IS "
                  "NULL OR length(embedding) <> :bytes OR length(intent_embedding) <> :bytes",
    "no lexical row": "SELECT count(*) FROM notes n WHERE n.deleted_at IS NULL AND NOT EXISTS "
                      "(SELECT 1 FROM notes_fts f WHERE f.rowid = n.rowid "
                      "AND f.content = n.content)",
    "stale lexical row": "SELECT count(*) FROM notes_fts f WHERE NOT EXISTS (SELECT 1 FROM "
                         "notes n WHERE n.rowid = f.rowid AND n.deleted_at IS NULL)",
    "no turn index row": "SELECT count(*) FROM notes n, json_each(n.turn_ids) t WHERE NOT "
                         "EXISTS (SELECT 1 FROM note_turns x WHERE x.note_id = n.id "
                         "AND x.turn_id = t.value)",
    "no turn row": "SELECT count(*) FROM notes n WHERE NOT EXISTS "
                   "(SELECT 1 FROM turns t WHERE t.note_id = n.id)",
    "no ADD history row": "SELECT count(*) FROM notes n WHERE NOT EXISTS (SELECT 1 FROM "
                          "history h WHERE h.note_id = n.id AND h.op = 'ADD')",
    "no DELETE history row": "SELECT count(*) FROM notes n WHERE n.deleted_at IS NOT NULL AND "
                             "NOT EXISTS (SELECT 1 FROM history h WHERE h.note_id = n.id AND "
                             "h.op IN ('DELETE', 'ARCHIVE', 'FORGET'))",
}

_LEXICAL = ("setweight(to_tsvector('asem_text', content), 'A') || setweight(to_tsvector("
            "'asem_text', array_to_string(keywords || entities, ' ')), 'B') || setweight("
            "to_tsvector('asem_text', context), 'C') || setweight(to_tsvector('asem_text', "
            "array_to_string(tags, ' ')), 'D')")

_POSTGRES = {
    "no vectors": "SELECT count(*) FROM notes WHERE embedding IS NULL OR intent_embedding IS "
                  "NULL OR vector_dims(embedding) <> %(dim)s OR "
                  "vector_dims(intent_embedding) <> %(dim)s",
    "no lexical row": f"SELECT count(*) FROM notes WHERE lexical IS DISTINCT FROM ({_LEXICAL})",
    "no turn index row": "SELECT count(*) FROM notes n, unnest(n.turn_ids) t WHERE NOT EXISTS "
                         "(SELECT 1 FROM note_turns x WHERE x.note_id = n.id AND x.turn_id = t)",
    "no turn row": _SQLITE["no turn row"],
    "no ADD history row": _SQLITE["no ADD history row"],
    "no DELETE history row": _SQLITE["no DELETE history row"],
}


def is_url(target: Target) -> bool:
    return isinstance(target, str) and "://" in target


def rows(target: Target, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
    """Rows of ``sql`` read by a connection of its own (named ``:x`` parameters on SQLite,
    ``%(x)s`` on PostgreSQL)."""
    if is_url(target):
        import psycopg

        with psycopg.connect(str(target)) as conn:
            return [tuple(r) for r in conn.execute(sql, params or {}).fetchall()]  # type: ignore[arg-type]
    conn = sqlite3.connect(target)
    try:
        return conn.execute(sql, params or {}).fetchall()
    finally:
        conn.close()


def half_written(target: Target, dimension: int, *,
                 jobs: bool = False) -> dict[str, int]:
    """How many notes miss each row (all 0 for a sound store). ``jobs``: the notes were
    written by a memory with a language model, so each live, unquarantined note must also
    have an LLM job ("no LLM job")."""
    checks = _POSTGRES if is_url(target) else _SQLITE
    params = {"dim": dimension} if is_url(target) else {"bytes": 4 * dimension}
    found = {name: int(rows(target, sql, params)[0][0]) for name, sql in checks.items()}
    if jobs:
        found["no LLM job"] = int(rows(target, (
            "SELECT count(*) FROM notes n WHERE n.deleted_at IS NULL AND NOT n.quarantined "
            "AND NOT EXISTS (SELECT 1 FROM llm_jobs j WHERE j.note_id = n.id)"))[0][0])
    return found


def integrity(target: Target) -> int:
    """Problems the engine itself reports (0 when sound)."""
    if is_url(target):
        return int(rows(target, "SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                                "c.oid = i.indrelid JOIN pg_namespace s ON s.oid = "
                                "c.relnamespace WHERE s.nspname = 'public' AND NOT "
                                "(i.indisvalid AND i.indisready)")[0][0])
    report = [r[0] for r in rows(target, "PRAGMA integrity_check")]
    conn = sqlite3.connect(target)
    try:  # FTS5 compares its index with its stored rows; an error says they differ
        conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')")
        fts = 0
    except sqlite3.DatabaseError:
        fts = 1
    finally:
        conn.close()
    return (report != ["ok"]) * len(report) + fts


def audit(target: Target, dimension: int, *, jobs: bool = False) -> dict[str, int]:
    """``half_written`` summed into one count, with ``integrity``: the zero-counts of a row."""
    missing = half_written(target, dimension, jobs=jobs)
    return {"half-written": sum(missing.values()), "integrity errors": integrity(target)}

