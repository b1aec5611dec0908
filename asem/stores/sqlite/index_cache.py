"""The vector indexes an SQLite store keeps in memory, kept current from the change log.

Each user's live notes are loaded once (``load``) and then patched with what changed: the
``note_changes`` table (migration 0012, kept by triggers) lists every note whose vectors,
liveness or validity changed and every turn stored, in commit order, by any process. A
search after another process's write, or after an update, reads those few rows instead of
reloading the whole index. Indexes are evicted least recently used beyond a byte budget.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from asem.stores.base import check_embedder
from asem.stores.sqlite import lexical
from asem.stores.sqlite.codec import parse_ts
from asem.stores.turns import Turn
from asem.stores.vector_index import IndexRow, VectorIndex

MAX_PATCH = 5000
"""More changes than this since an index was last brought up to date: reload instead."""
KEEP_CHANGES = 100_000
"""Change-log entries kept; a process that has not looked for longer reloads."""

_ROW_COLUMNS = ("id, agent_id, session_id, embedding, intent_embedding, embedder, valid_from, "
                "valid_until, expires_at")


@dataclass
class _Entry:
    index: VectorIndex
    turn_seq: int
    """The last turn (``turns.seq``) the index holds."""
    term_counts: dict[str, int] = field(default_factory=dict)
    """Lexical document frequencies counted in the user's notes (term → notes matching)."""
    changed: int = 0
    """Notes changed since ``term_counts`` were counted."""
    lengths: dict[int, int] | None = None
    """The length in tokens of each of the user's notes in the lexical index (by rowid),
    counted at the first search that needs them and kept current as notes change."""
    tokens: int = 0
    """Their sum: with their number, BM25's N and mean note length for the user."""


class IndexCache:
    """Users' vector indexes, least recently used first, within ``budget_bytes``."""

    def __init__(self, conn: sqlite3.Connection, path: str, embedder_id: str,
                 budget_bytes: int) -> None:
        self._conn = conn
        self._path = path
        self._embedder_id = embedder_id
        self._budget = budget_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._seen = last_change(conn)
        """The last change-log entry applied."""
        self.loads = 0
        """Indexes loaded whole so far (each user's first search, and reloads)."""

    def term_counts(self, user_id: str) -> dict[str, int] | None:
        """The user's cached lexical document frequencies (to read and add to), while the
        user's index is held. They are counted again once more than 1 % of the user's
        notes have changed since: BM25's weights move by far less than that between."""
        entry = self._entries.get(user_id)
        return None if entry is None else entry.term_counts

    def lexical_size(self, user_id: str) -> tuple[dict[int, int], int] | None:
        """The length of each of the user's notes in the lexical index (by rowid) and their
        sum, while the user's index is held (None otherwise: count them)."""
        self.catch_up()
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        if entry.lengths is None:
            entry.lengths = lexical.lengths(self._conn, user_id)
            entry.tokens = sum(entry.lengths.values())
        return entry.lengths, entry.tokens

    def users(self) -> list[str]:
        """The users whose index is held, least recently used first."""
        return list(self._entries)

    def get(self, user_id: str) -> VectorIndex:
        """The user's index, brought up to date with every committed change."""
        self.catch_up()
        entry = self._entries.get(user_id)
        if entry is None:
            entry = self._entries[user_id] = self._load(user_id)
            self._evict(keep=user_id)
        self._entries.move_to_end(user_id)
        return entry.index

    def catch_up(self) -> None:
        """Apply the change-log entries after the last one seen (this connection's own
        writes included, committed or in its open transaction)."""
        rows = self._conn.execute(
            "SELECT seq, user_id, note_id, removed FROM note_changes WHERE seq > ? ORDER BY seq "
            "LIMIT ?", (self._seen, MAX_PATCH + 1)).fetchall()
        if not rows:
            return
        if len(rows) > MAX_PATCH or self._pruned_past(rows[0]["seq"]):
            self.reset()
            return
        changed: dict[str, dict[str, bool]] = {}
        for row in rows:
            if row["user_id"] in self._entries:
                notes = changed.setdefault(row["user_id"], {})
                notes[row["note_id"]] = notes.get(row["note_id"], False) or bool(row["removed"])
        for user_id, notes in changed.items():
            if any(notes.values()):  # a note or turn gone for good: its turns are gone too
                del self._entries[user_id]
            else:
                self._patch(user_id, list(notes))
        self._seen = rows[-1]["seq"]

    def reset(self) -> None:
        """Forget every index (after a rollback, or too far behind the change log)."""
        self._entries.clear()
        self._seen = last_change(self._conn)

    def _pruned_past(self, first: int) -> bool:
        if first == self._seen + 1:
            return False
        oldest = self._conn.execute("SELECT min(seq) FROM note_changes").fetchone()[0]
        return oldest is None or oldest > self._seen + 1

    def _patch(self, user_id: str, note_ids: Sequence[str]) -> None:
        entry = self._entries[user_id]
        live = {r["id"]: r for r in self._rows(
            f"WHERE id IN ({','.join('?' * len(note_ids))}) AND deleted_at IS NULL", note_ids)}
        turns, turn_seq = self._turns(user_id, entry.turn_seq)
        entry.index = entry.index.patched([_row(live[i]) for i in note_ids if i in live],
                                          [i for i in note_ids if i not in live], turns)
        entry.turn_seq = turn_seq
        if entry.lengths is not None:
            self._relength(entry, note_ids)
        entry.changed += len(note_ids)
        if entry.changed > entry.index.live_count // 100:
            entry.term_counts, entry.changed = {}, 0

    def _relength(self, entry: _Entry, note_ids: Sequence[str]) -> None:
        """Bring the lengths of the user's changed notes up to date (a note out of the
        lexical index, deleted or archived, has none)."""
        rowids = [r[0] for r in self._conn.execute(
            f"SELECT rowid FROM notes WHERE id IN ({','.join('?' * len(note_ids))})",
            tuple(note_ids))]
        now = lexical.lengths_of(self._conn, rowids)
        assert entry.lengths is not None
        for rowid in rowids:
            entry.tokens += now.get(rowid, 0) - entry.lengths.pop(rowid, 0)
            if rowid in now:
                entry.lengths[rowid] = now[rowid]

    def _load(self, user_id: str) -> _Entry:
        self.loads += 1
        rows = self._rows("WHERE user_id = ? AND deleted_at IS NULL ORDER BY rowid", (user_id,))
        turns, turn_seq = self._turns(user_id, 0)
        if not rows:
            return _Entry(VectorIndex().patched((), (), turns), turn_seq)
        index = VectorIndex(
            ids=[r["id"] for r in rows],
            embeddings=_matrix(rows, "embedding"),
            intents=_matrix(rows, "intent_embedding"),
            agents=[r["agent_id"] or "" for r in rows],
            sessions=[r["session_id"] or "" for r in rows],
            turns=turns,
            validity=[(parse_ts(r["valid_from"]), parse_ts(r["valid_until"])) for r in rows],
            expiry=[parse_ts(r["expires_at"]) for r in rows],
        )
        return _Entry(index, turn_seq)

    def _rows(self, where: str, params: Sequence[object]) -> list[sqlite3.Row]:
        rows = self._conn.execute(f"SELECT {_ROW_COLUMNS}, user_id FROM notes {where}",
                                  tuple(params)).fetchall()
        if rows:
            check_embedder((r["embedder"] for r in rows), self._embedder_id, rows[0]["user_id"],
                           self._path)
        return rows

    def _turns(self, user_id: str, after: int) -> tuple[list[Turn], int]:
        rows = self._conn.execute(
            "SELECT seq, agent_id, thread, speaker, note_id FROM turns WHERE user_id = ? AND "
            "seq > ? ORDER BY seq", (user_id, after)).fetchall()
        turns = [Turn(user_id, r["agent_id"], r["thread"], r["speaker"], r["note_id"])
                 for r in rows]
        return turns, (rows[-1]["seq"] if rows else after)

    def _evict(self, keep: str) -> None:
        total = sum(index_bytes(e.index) for e in self._entries.values())
        for user_id in list(self._entries):
            if total <= self._budget:
                break
            if user_id != keep:
                total -= index_bytes(self._entries.pop(user_id).index)


def last_change(conn: sqlite3.Connection) -> int:
    """The newest change-log entry (0 for none)."""
    newest = conn.execute("SELECT max(seq) FROM note_changes").fetchone()[0]
    return int(newest or 0)


def prune_changes(conn: sqlite3.Connection) -> None:
    """Keep the newest ``KEEP_CHANGES`` change-log entries, pruning 1,024 or more at a time
    (inside a write transaction)."""
    # Two queries: SQLite reads a bare min() or max() off the key, but both at once scan.
    oldest = conn.execute("SELECT min(seq) FROM note_changes").fetchone()[0]
    newest = last_change(conn)
    if oldest is not None and newest - oldest > KEEP_CHANGES + 1024:
        conn.execute("DELETE FROM note_changes WHERE seq <= ?", (newest - KEEP_CHANGES,))


def _row(r: sqlite3.Row) -> IndexRow:
    return IndexRow(r["id"], np.frombuffer(r["embedding"], dtype=np.float32),
                    np.frombuffer(r["intent_embedding"], dtype=np.float32), r["agent_id"] or "",
                    r["session_id"] or "", (parse_ts(r["valid_from"]), parse_ts(r["valid_until"])),
                    parse_ts(r["expires_at"]))


def _matrix(rows: Sequence[sqlite3.Row], column: str) -> np.ndarray:
    """The rows' vectors, in a buffer with room for a quarter more (the index appends the
    notes written after it was loaded in place, without copying it)."""
    loaded = np.frombuffer(b"".join(r[column] for r in rows), dtype=np.float32)
    loaded = loaded.reshape(len(rows), -1)
    buffer = np.empty((len(rows) + len(rows) // 4 + 64, loaded.shape[1]), np.float32)
    buffer[: len(rows)] = loaded
    return buffer


def index_bytes(index: VectorIndex) -> int:
    """Bytes the index holds: its matrices, and per row about 500 bytes of ids, turns,
    validity and the maps built over them (measured: about 250 of those are the maps), and
    one bit per dimension where it ranks a shortlist (its sign codes)."""
    codes = index.embeddings.shape[1] // 8 if index.shortlists else 0
    return index.embeddings.nbytes + index.intents.nbytes + (500 + codes) * len(index)
