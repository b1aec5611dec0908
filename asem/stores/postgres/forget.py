"""Forgetting for real in the PostgreSQL store (``asem.stores.base.Eraser``).

The rows go in one transaction, as in the SQLite store (``asem.stores.sqlite.forget``). A
deleted row's bytes stay in its table's pages (and its lexemes in the lexical index) until
the table is rewritten, so the tables the text was in are then rebuilt from their live rows
(``VACUUM FULL``, which writes new files and drops the old ones). That rewrite holds each
table's lock for as long as it takes: forgetting is rare and owed, not a hot path. The
server's write-ahead log keeps the old records until it recycles its segments, and backups
keep what they hold: those are the operator's (``CHECKPOINT`` recycles the log sooner).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from asem.errors import InvalidInputError, NotFoundError
from asem.stores.postgres.codec import ts
from asem.stores.postgres.connection import translated
from asem.stores.postgres.writes import Conn
from asem.types import now

TABLES = ("notes", "note_terms", "lexeme_notes", "note_turns", "links", "history", "turns",
          "llm_jobs", "note_feedback", "feedback", "retrievals", "maintenance_runs",
          "name_uses")
"""The tables that may hold a forgotten note's text or id: rebuilt after a forget."""


class ForgetMixin:
    """``forget`` of PostgresStore."""

    path: str
    _url: str
    _local: threading.local

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def forget(self, user_id: str, note_ids: Sequence[str] | None, actor: str) -> list[str]:
        if getattr(self._local, "conn", None) is not None:
            raise InvalidInputError("forget cannot run inside a snapshot; call it alone")
        with self._write([user_id]) as conn:
            rows = _targets(conn, user_id, note_ids)
            _erase(conn, user_id, rows, whole_tenant=note_ids is None, actor=actor)
        if rows:
            _compact(self._url, self.path)
        return [r["id"] for r in rows]


def _targets(conn: Conn, user_id: str, note_ids: Sequence[str] | None) -> list[dict[str, Any]]:
    """The rows to forget (deleted and archived ones too); NotFoundError naming an id that is
    not the tenant's, before anything changes."""
    if note_ids is None:
        return conn.execute("SELECT id, content FROM notes WHERE user_id = %s FOR UPDATE",
                            (user_id,)).fetchall()
    wanted = list(dict.fromkeys(note_ids))
    if not wanted:
        raise InvalidInputError("no note ids given; name the notes to forget")
    rows = conn.execute("SELECT id, content FROM notes WHERE user_id = %s AND id = ANY(%s) "
                        "FOR UPDATE", (user_id, wanted)).fetchall()
    missing = set(wanted) - {r["id"] for r in rows}
    if missing:
        raise NotFoundError(f"no note with id {sorted(missing)[0]!r}; search to find note ids "
                            "(a note already forgotten is gone)")
    # An experience note quotes the notes its episode used: it goes with them.
    derived = conn.execute(
        "SELECT DISTINCT n.id, n.content FROM links l JOIN notes n ON n.id = l.src "
        "WHERE l.dst = ANY(%s) AND n.user_id = %s AND n.channel = 'experience'",
        (wanted, user_id)).fetchall()
    return rows + [r for r in derived if r["id"] not in set(wanted)]


def _erase(conn: Conn, user_id: str, rows: Sequence[dict[str, Any]], *, whole_tenant: bool,
           actor: str) -> None:
    ids = [r["id"] for r in rows]
    if not ids:
        return
    conn.execute("DELETE FROM links WHERE src = ANY(%s) OR dst = ANY(%s)", (ids, ids))
    for table in ("history", "turns", "llm_jobs", "note_feedback", "note_turns"):
        conn.execute(f"DELETE FROM {table} WHERE note_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM notes WHERE id = ANY(%s)", (ids,))
    if whole_tenant:
        for table in ("feedback", "note_feedback"):
            conn.execute(f"DELETE FROM {table} WHERE retrieval_id IN "
                         "(SELECT id FROM retrievals WHERE user_id = %s)", (user_id,))
        conn.execute("DELETE FROM retrievals WHERE user_id = %s", (user_id,))
        conn.execute("DELETE FROM maintenance_runs WHERE user_id = %s", (user_id,))
        conn.execute("DELETE FROM name_uses WHERE user_id = %s", (user_id,))  # read from text
    else:
        _scrub_mentions(conn, user_id, ids, [r["content"] for r in rows])
    reason = "forgotten" + (" with its tenant's notes" if whole_tenant else "")
    conn.cursor().executemany(
        "INSERT INTO forgotten (note_id, user_id, at, actor, reason) VALUES (%s, %s, %s, %s, %s)",
        [(i, user_id, ts(now()), actor, reason) for i in ids])


def _scrub_mentions(conn: Conn, user_id: str, ids: Sequence[str],
                    contents: Sequence[str]) -> None:
    """What other rows of the tenant say of the forgotten notes: their ids in retrievals
    and feedback, their text in queries and in other notes' history."""
    texts = [t for t in contents if t]
    # The query may have named the forgotten fact: it goes too (its vector stays, so the
    # feedback of the other notes it returned keeps its intent).
    conn.execute(
        "UPDATE retrievals SET query = '', note_ids = ARRAY(SELECT i FROM unnest(note_ids) i "
        "WHERE NOT i = ANY(%(ids)s)) WHERE user_id = %(user)s AND (note_ids && %(ids)s OR "
        "EXISTS (SELECT 1 FROM unnest(%(texts)s::text[]) t WHERE strpos(query, t) > 0))",
        {"ids": list(ids), "user": user_id, "texts": texts})
    conn.execute(
        "UPDATE feedback SET note_ids = ARRAY(SELECT i FROM unnest(note_ids) i "
        "WHERE NOT i = ANY(%(ids)s)) WHERE note_ids && %(ids)s AND retrieval_id IN "
        "(SELECT id FROM retrievals WHERE user_id = %(user)s)", {"ids": list(ids), "user": user_id})
    needles = list(dict.fromkeys(n for t in texts for n in (t, json.dumps(t)[1:-1]) if n))
    conn.execute(
        "UPDATE history SET old = NULL, new = NULL, reason = '(text forgotten)' "
        "WHERE note_id IN (SELECT id FROM notes WHERE user_id = %(user)s) AND EXISTS "
        "(SELECT 1 FROM unnest(%(needles)s::text[]) t WHERE strpos(coalesce(old, ''), t) > 0 "
        "OR strpos(coalesce(new, ''), t) > 0 OR strpos(reason, t) > 0)",
        {"user": user_id, "needles": needles})


def _compact(url: str, where: str) -> None:
    """Rewrite the tables the text was in from their live rows (the old files are dropped)."""
    with translated(where), psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM (FULL) {table}")  # table names are this module's constants
