"""Promotion, archiving and maintenance bookkeeping in the PostgreSQL store
(``asem.stores.base.LifecycleStore``, ``MaintenanceLog`` and ``RetrievalLog``; the decisions
are ``asem.lifecycle``'s). Each change runs in one transaction holding the tenants' write
locks and bumps their change counters, so every process reloads their vector indexes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from asem.errors import InvalidInputError, NotFoundError
from asem.stores.base import NoteLife
from asem.stores.postgres.codec import COLUMNS, ts
from asem.stores.postgres.writes import Conn, history, iso, same_content_live
from asem.types import now


def promote_rows(conn: Conn, note_ids: Sequence[str], at: datetime | None, reason: str,
                 actor: str) -> list[str]:
    """Inside an open transaction: the live short-term notes among ``note_ids`` made
    long-term, each with a PROMOTE history row; returns their ids."""
    if not note_ids:
        return []
    rows = conn.execute(
        "UPDATE notes n SET tier = 'long_term', expires_at = NULL, version = n.version + 1 "
        "FROM (SELECT id, expires_at FROM notes WHERE id = ANY(%s) AND tier = 'short_term' "
        "AND deleted_at IS NULL FOR UPDATE) old WHERE n.id = old.id "
        "RETURNING n.id, old.expires_at", (list(note_ids),)).fetchall()
    for row in rows:
        history(conn, row["id"], "PROMOTE",
                {"tier": "short_term", "expires_at": iso(row["expires_at"])},
                {"tier": "long_term", "expires_at": None}, at, reason, actor)
    return [r["id"] for r in rows]


class LifecycleMixin:
    """Lifecycle methods of PostgresStore."""

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _write(self, users: Iterable[str]) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _owners(self, note_ids: Sequence[str]) -> list[str]:
        with self._read() as conn:
            return sorted({r["user_id"] for r in conn.execute(
                "SELECT DISTINCT user_id FROM notes WHERE id = ANY(%s)", (list(note_ids),))})

    def promote(self, note_ids: Sequence[str], reason: str, actor: str) -> list[str]:
        if not note_ids:
            return []
        with self._write(self._owners(note_ids)) as conn:
            return promote_rows(conn, list(note_ids), ts(now()), reason, actor)

    def archive(self, notes: Sequence[tuple[str, str]], actor: str) -> list[str]:
        reasons = dict(notes)
        if not reasons:
            return []
        at = ts(now())
        with self._write(self._owners(list(reasons))) as conn:
            rows = conn.execute(
                "UPDATE notes n SET deleted_at = %s, archived_at = %s, version = n.version + 1 "
                "FROM (SELECT id, tier, expires_at, utility FROM notes WHERE id = ANY(%s) "
                "AND deleted_at IS NULL FOR UPDATE) old WHERE n.id = old.id "
                "RETURNING n.id, old.tier, old.expires_at, old.utility",
                (at, at, list(reasons))).fetchall()
            conn.cursor().executemany(
                "UPDATE notes SET delete_reason = %s WHERE id = %s",
                [(reasons[r["id"]], r["id"]) for r in rows])
            for row in rows:
                history(conn, row["id"], "ARCHIVE",
                        {"tier": row["tier"], "expires_at": iso(row["expires_at"]),
                         "utility": row["utility"]}, {"archived_at": iso(at)}, at,
                        reasons[row["id"]], actor)
        done = {r["id"] for r in rows}
        return [i for i in reasons if i in done]

    def unarchive(self, note_id: str, actor: str) -> None:
        at = ts(now())
        owners = self._owners([note_id])
        with self._write(owners) as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM notes WHERE id = %s FOR UPDATE",
                               (note_id,)).fetchone()
            if row is None or row["archived_at"] is None or row["deleted_at"] is None:
                raise NotFoundError(f"no archived note with id {note_id!r}; its history "
                                    "('asem history NOTE_ID') says whether it was archived")
            clash = same_content_live(conn, row)
            if clash is not None and row["valid_until"] is None:
                raise InvalidInputError(f"note {note_id} cannot be restored: note {clash} "
                                        "holds the same content now; delete that one first")
            expired = row["expires_at"] is not None and at is not None and row["expires_at"] <= at
            conn.execute(
                "UPDATE notes SET deleted_at = NULL, archived_at = NULL, delete_reason = NULL, "
                "tier = CASE WHEN %s THEN 'long_term' ELSE tier END, "
                "expires_at = CASE WHEN %s THEN NULL ELSE expires_at END, "
                "version = version + 1 WHERE id = %s", (expired, expired, note_id))
            history(conn, note_id, "UNARCHIVE", {"archived_at": iso(row["archived_at"])},
                    {"archived_at": None} | ({"tier": "long_term"} if expired else {}),
                    at, "restored from the archive", actor)

    def life_signals(self, user_id: str | None) -> list[NoteLife]:
        where, params = ("AND n.user_id = %s", [user_id]) if user_id else ("", [])
        with self._read() as conn:
            returned = {r["id"]: r["n"] for r in conn.execute(
                "SELECT j.id, count(*) AS n FROM retrievals r, unnest(r.note_ids) AS j(id) "
                + ("WHERE r.user_id = %s " if user_id else "") + "GROUP BY j.id", params)}
            rows = conn.execute(
                "SELECT n.id, n.user_id, n.tier, n.created_at, n.expires_at, n.valid_until, "
                "n.utility, n.usage_count, n.last_used, n.content "
                f"FROM notes n WHERE n.deleted_at IS NULL {where} ORDER BY n.seq",
                params).fetchall()
        return [NoteLife(r["id"], r["user_id"], r["tier"], r["created_at"], r["expires_at"],
                         r["valid_until"], float(r["utility"]), int(r["usage_count"]),
                         r["last_used"], int(returned.get(r["id"], 0)), r["content"])
                for r in rows]

    def tenants(self) -> list[str]:
        with self._read() as conn:
            return [r["user_id"] for r in conn.execute(
                "SELECT DISTINCT user_id FROM notes WHERE deleted_at IS NULL ORDER BY user_id")]

    def retrieval(self, retrieval_id: str, user_id: str) -> tuple[str, list[str]] | None:
        with self._read() as conn:
            row = conn.execute("SELECT query, note_ids FROM retrievals WHERE id = %s AND "
                               "user_id = %s", (retrieval_id, user_id)).fetchone()
        return None if row is None else (row["query"], list(row["note_ids"]))

    def record_maintenance(self, user_id: str, report: dict[str, Any], dry_run: bool) -> None:
        with self._write(()) as conn:
            conn.execute(
                "INSERT INTO maintenance_runs (user_id, at, dry_run, expired, archived, report) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (user_id, ts(now()), dry_run, len(report.get("expired", [])),
                 len(report.get("evicted", [])), json.dumps(report, default=str)))

    def lifecycle_counts(self, user_id: str | None) -> dict[str, Any]:
        where, params = ("WHERE user_id = %s", [user_id]) if user_id else ("", [])
        with self._read() as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL AND tier = 'short_term') "
                "AS short_term, count(*) FILTER (WHERE deleted_at IS NULL AND expires_at <= %s) "
                "AS expired, count(*) FILTER (WHERE archived_at IS NOT NULL AND deleted_at IS "
                f"NOT NULL) AS archived FROM notes {where}", [ts(now()), *params]).fetchone()
            forgotten = conn.execute(f"SELECT count(*) AS n FROM forgotten {where}",
                                     params).fetchone()["n"]
            last = conn.execute(
                f"SELECT at, dry_run, report FROM maintenance_runs {where} ORDER BY id DESC "
                "LIMIT 1", params).fetchone()
        return {"short_term": row["short_term"], "expired": row["expired"],
                "archived": row["archived"], "forgotten": forgotten,
                "last_maintenance": None if last is None else
                {"at": iso(last["at"]), "dry_run": bool(last["dry_run"]),
                 **json.loads(last["report"])}}
