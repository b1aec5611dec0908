"""Promotion, archiving and maintenance bookkeeping in the SQLite store
(``asem.stores.base.LifecycleStore``, ``MaintenanceLog`` and ``RetrievalLog``; the decisions
are ``asem.lifecycle``'s)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asem.errors import NotFoundError
from asem.stores.base import NoteLife
from asem.stores.sqlite.codec import fts_values, parse_ts, row_to_note, ts
from asem.stores.sqlite.connection import transaction, translated
from asem.stores.sqlite.writes import INDEX_TEXT, check_restorable, history
from asem.types import now

if TYPE_CHECKING:
    import threading


def promote_rows(conn: sqlite3.Connection, note_ids: Sequence[str], at: str | None,
                 reason: str, actor: str) -> list[str]:
    """Inside an open transaction: the live short-term notes among ``note_ids`` made
    long-term, each with a PROMOTE history row; returns their ids."""
    if not note_ids:
        return []
    marks = ",".join("?" * len(note_ids))
    rows = conn.execute(
        f"SELECT id, expires_at FROM notes WHERE id IN ({marks}) AND tier = 'short_term' "
        "AND deleted_at IS NULL", list(note_ids)).fetchall()
    for row in rows:
        conn.execute("UPDATE notes SET tier = 'long_term', expires_at = NULL, "
                     "version = version + 1 WHERE id = ?", (row["id"],))
        history(conn, row["id"], "PROMOTE", {"tier": "short_term", "expires_at": row["expires_at"]},
                {"tier": "long_term", "expires_at": None}, at, reason, actor)
    return [r["id"] for r in rows]


class StoreParts:
    """What the mixins of SQLiteStore use of it."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    path: str

    def _forget_index(self, user_ids: Sequence[str]) -> None:  # SQLiteStore's own
        raise NotImplementedError


class LifecycleMixin(StoreParts):
    """Lifecycle methods of SQLiteStore."""

    def _owners(self, note_ids: Sequence[str]) -> list[str]:
        marks = ",".join("?" * len(note_ids))
        return sorted({r[0] for r in self._conn.execute(
            f"SELECT user_id FROM notes WHERE id IN ({marks})", list(note_ids))})

    def promote(self, note_ids: Sequence[str], reason: str, actor: str) -> list[str]:
        if not note_ids:
            return []
        with self._lock:
            with transaction(self._conn, self.path) as conn:
                promoted = promote_rows(conn, list(note_ids), ts(now()), reason, actor)
            if promoted:
                self._forget_index(self._owners(promoted))
        return promoted

    def archive(self, notes: Sequence[tuple[str, str]], actor: str) -> list[str]:
        if not notes:
            return []
        at = ts(now())
        done: list[str] = []
        with self._lock:
            with transaction(self._conn, self.path) as conn:
                for note_id, reason in dict(notes).items():
                    row = conn.execute("SELECT rowid, id, tier, expires_at, utility FROM notes "
                                       "WHERE id = ? AND deleted_at IS NULL",
                                       (note_id,)).fetchone()
                    if row is None:
                        continue
                    conn.execute("UPDATE notes SET deleted_at = ?, archived_at = ?, "
                                 "delete_reason = ?, version = version + 1 WHERE id = ?",
                                 (at, at, reason, note_id))
                    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (row["rowid"],))
                    history(conn, note_id, "ARCHIVE",
                            {"tier": row["tier"], "expires_at": row["expires_at"],
                             "utility": row["utility"]}, {"archived_at": at}, at, reason, actor)
                    done.append(note_id)
            if done:
                self._forget_index(self._owners(done))
        return done

    def unarchive(self, note_id: str, actor: str) -> None:
        at = ts(now())
        with self._lock:
            with transaction(self._conn, self.path) as conn:
                row = conn.execute("SELECT rowid, * FROM notes WHERE id = ?",
                                   (note_id,)).fetchone()
                if row is None or row["archived_at"] is None or row["deleted_at"] is None:
                    raise NotFoundError(f"no archived note with id {note_id!r}; its history "
                                        "('asem history NOTE_ID') says whether it was archived")
                check_restorable(conn, row)
                expired = row["expires_at"] is not None and row["expires_at"] <= at
                conn.execute(
                    "UPDATE notes SET deleted_at = NULL, archived_at = NULL, delete_reason = NULL, "
                    "tier = CASE WHEN ? THEN 'long_term' ELSE tier END, "
                    "expires_at = CASE WHEN ? THEN NULL ELSE expires_at END, "
                    "version = version + 1 WHERE id = ?", (expired, expired, note_id))
                conn.execute(INDEX_TEXT, (row["rowid"], *fts_values(row_to_note(row))))
                history(conn, note_id, "UNARCHIVE", {"archived_at": row["archived_at"]},
                        {"archived_at": None} | ({"tier": "long_term"} if expired else {}),
                        at, "restored from the archive", actor)
            self._forget_index([row["user_id"]])

    def life_signals(self, user_id: str | None) -> list[NoteLife]:
        where, params = ("AND n.user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock, translated(self.path):
            returned = dict(self._conn.execute(
                "SELECT j.value, count(*) FROM retrievals r, json_each(r.note_ids) j "
                + ("WHERE r.user_id = ? " if user_id else "") + "GROUP BY j.value",
                params).fetchall())
            rows = self._conn.execute(
                "SELECT n.id, n.user_id, n.tier, n.created_at, n.expires_at, n.valid_until, "
                "n.utility, n.usage_count, n.last_used, n.content "
                f"FROM notes n WHERE n.deleted_at IS NULL {where} ORDER BY n.rowid",
                params).fetchall()
        return [NoteLife(r["id"], r["user_id"], r["tier"], _time(r["created_at"]),
                         parse_ts(r["expires_at"]),
                         parse_ts(r["valid_until"]), float(r["utility"]), int(r["usage_count"]),
                         parse_ts(r["last_used"]), int(returned.get(r["id"], 0)),
                         r["content"]) for r in rows]

    def tenants(self) -> list[str]:
        with self._lock, translated(self.path):
            return [r[0] for r in self._conn.execute(
                "SELECT DISTINCT user_id FROM notes WHERE deleted_at IS NULL ORDER BY user_id")]

    def retrieval(self, retrieval_id: str, user_id: str) -> tuple[str, list[str]] | None:
        with self._lock, translated(self.path):
            row = self._conn.execute("SELECT query, note_ids FROM retrievals WHERE id = ? AND "
                                     "user_id = ?", (retrieval_id, user_id)).fetchone()
        return None if row is None else (row["query"], json.loads(row["note_ids"]))

    def record_maintenance(self, user_id: str, report: dict[str, Any], dry_run: bool) -> None:
        with self._lock, transaction(self._conn, self.path) as conn:
            conn.execute(
                "INSERT INTO maintenance_runs (user_id, at, dry_run, expired, archived, report) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, ts(now()), int(dry_run), len(report.get("expired", [])),
                 len(report.get("evicted", [])), json.dumps(report)))

    def lifecycle_counts(self, user_id: str | None) -> dict[str, Any]:
        where, params = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock, translated(self.path):
            row = self._conn.execute(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL AND tier = 'short_term') "
                "AS short_term, count(*) FILTER (WHERE deleted_at IS NULL AND expires_at <= ?) "
                "AS expired, count(*) FILTER (WHERE archived_at IS NOT NULL AND deleted_at IS "
                f"NOT NULL) AS archived FROM notes {where}", [ts(now()), *params]).fetchone()
            forgotten = self._conn.execute(f"SELECT count(*) FROM forgotten {where}",
                                           params).fetchone()[0]
            last = self._conn.execute(
                f"SELECT at, dry_run, report FROM maintenance_runs {where} ORDER BY id DESC "
                "LIMIT 1", params).fetchone()
        return {"short_term": row["short_term"], "expired": row["expired"],
                "archived": row["archived"], "forgotten": forgotten,
                "last_maintenance": None if last is None else
                {"at": last["at"], "dry_run": bool(last["dry_run"]),
                 **json.loads(last["report"])}}


def _time(value: str) -> datetime:
    found = parse_ts(value)
    assert found is not None
    return found
