"""The PostgreSQL store's reads: lexical and nearest-note searches, notes, signals,
history and counts (a mixin of ``PostgresStore``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager

import numpy as np

from asem.errors import NotFoundError
from asem.stores.base import NoteSignals, grouped_links
from asem.stores.dense import DenseSource
from asem.stores.postgres import lexical
from asem.stores.postgres.codec import COLUMNS, row_to_note
from asem.stores.postgres.filters import filter_clauses, listed
from asem.stores.postgres.writes import Conn
from asem.types import Filters, HistoryEntry, Link, Note, Scope


class ReadsMixin:
    """Read methods of PostgresStore (see ``asem.stores.base.Store`` for the contract)."""

    path: str
    _term_counts: lexical.TermCounts

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def dense(self, scope: Scope, filters: Filters) -> DenseSource:
        raise NotImplementedError

    def lexical(self, user_id: str, terms: Sequence[str], limit: int) -> list[tuple[str, float]]:
        with self._read() as conn:
            return lexical.ranked(conn, user_id, terms, limit, self._term_counts)

    def nearest(self, scope: Scope, filters: Filters, vector: np.ndarray,
                k: int) -> list[tuple[str, float]]:
        """(note id, cosine similarity in [-1, 1], higher is closer) of the ``k`` notes
        nearest ``vector`` among those a search of ``scope`` with ``filters`` may return
        now (``Store.dense``): from the HNSW index for a large tenant, approximate as HNSW
        is, else exact (``asem.stores.postgres.nearest``)."""
        return self.dense(scope, filters).nearest(vector, k)

    def term_stats(self, user_id: str, terms: Sequence[str], note_ids: Sequence[str]
                   ) -> dict[str, tuple[int, set[str]]]:
        with self._read() as conn:
            return lexical.term_stats(conn, user_id, terms, note_ids, self._term_counts)

    def filtered_ids(self, scope: Scope, filters: Filters) -> set[str]:
        where, params = filter_clauses(scope, filters)
        with self._read() as conn:
            rows = conn.execute(f"SELECT id FROM notes WHERE {where}", params).fetchall()
        return {r["id"] for r in rows}

    def list_notes(self, scope: Scope, filters: Filters, *, limit: int, offset: int = 0,
                   include_deleted: bool = False, newest_first: bool = False) -> list[Note]:
        where, params = listed(scope, filters, include_deleted)
        order = "created_at DESC, id DESC" if newest_first else "created_at, id"
        with self._read() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM notes WHERE {where} "
                                f"ORDER BY {order} LIMIT %s OFFSET %s",
                                [*params, limit, offset]).fetchall()
            links = _links(conn, [r["id"] for r in rows])
        return [row_to_note(r, tuple(links.get(r["id"], ()))) for r in rows]

    def count_notes(self, scope: Scope, filters: Filters) -> int:
        where, params = listed(scope, filters, False)
        with self._read() as conn:
            return conn.execute(f"SELECT count(*) AS n FROM notes WHERE {where}",
                                params).fetchone()["n"]

    def get_notes(self, ids: Sequence[str], *, include_deleted: bool = False) -> dict[str, Note]:
        if not ids:
            return {}
        live = "" if include_deleted else " AND deleted_at IS NULL"
        with self._read() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM notes WHERE id = ANY(%s){live}",
                                (list(ids),), binary=True).fetchall()
            links = _links(conn, list(ids))
        return {r["id"]: row_to_note(r, tuple(links.get(r["id"], ()))) for r in rows}

    def signals(self, ids: Sequence[str]) -> dict[str, NoteSignals]:
        if not ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, utility, usage_count, last_used, created_at FROM notes "
                "WHERE id = ANY(%s) AND deleted_at IS NULL", (list(ids),)).fetchall()
        return {r["id"]: NoteSignals(r["utility"], r["usage_count"], r["last_used"],
                                     r["created_at"]) for r in rows}

    def history(self, note_id: str) -> list[HistoryEntry]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM history WHERE note_id = %s ORDER BY id",
                                (note_id,)).fetchall()
        if not rows:
            raise NotFoundError(f"no note with id {note_id!r} has any history; check the id")
        return [HistoryEntry(r["id"], r["note_id"], r["op"],
                             json.loads(r["old"]) if r["old"] else None,
                             json.loads(r["new"]) if r["new"] else None,
                             r["at"], r["reason"], r["actor"]) for r in rows]

    # -- bookkeeping -------------------------------------------------------------------------
    def stats(self, user_id: str | None) -> dict[str, int | float | str]:
        where, params = ("WHERE user_id = %s", [user_id]) if user_id else ("", [])
        with self._read() as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS notes, "
                "count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted, "
                "count(DISTINCT user_id) AS users, "
                "coalesce(avg(utility) FILTER (WHERE deleted_at IS NULL), 0) AS mean_utility, "
                f"coalesce(sum(usage_count), 0) AS uses FROM notes {where}", params).fetchone()
            links = conn.execute(
                "SELECT count(*) AS n FROM links l JOIN notes n ON n.id = l.src "
                + ("WHERE n.user_id = %s" if user_id else ""), params).fetchone()["n"]
            retrievals = conn.execute(f"SELECT count(*) AS n FROM retrievals {where}",
                                      params).fetchone()["n"]
            size = conn.execute("SELECT pg_database_size(current_database()) AS n"
                                ).fetchone()["n"]
        return {
            "path": self.path, "notes": row["notes"], "deleted": row["deleted"],
            "users": row["users"], "links": links, "retrievals": retrievals,
            "feedback_uses": int(row["uses"]),
            "mean_utility": round(float(row["mean_utility"]), 4), "file_bytes": int(size),
        }


def _links(conn: Conn, ids: list[str]) -> dict[str, list[Link]]:
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT l.src, l.dst, l.relation, l.strength FROM links l JOIN notes n "
        "ON n.id = l.dst AND n.deleted_at IS NULL WHERE l.src = ANY(%s) "
        "ORDER BY l.strength DESC", (ids,)).fetchall()
    return grouped_links(rows)
