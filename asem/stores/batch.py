"""The order in which every store applies a ``WriteBatch`` inside its one transaction.

The statements differ by engine; the order does not: the versions the batch expects, then
inserts (a note inserted with ``superseded_by`` set is linked to that successor once all are
in), updates, deletes, supersessions, provenance merges, the order of conversation, and the
new notes' LLM jobs. So a batch may add a note and update, delete or supersede it later on.
A note whose content is already live in its scope is skipped (another writer got there
first); so are updates and deletes of notes no longer live.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asem.stores.base import Turn, WriteBatch
from asem.types import Note


@dataclass(frozen=True)
class Statements:
    """One engine's statements for the steps of a batch (each takes its connection first)."""

    check_versions: Callable[..., None]
    insert: Callable[..., bool]
    """True when the note was stored (False: its content is live in its scope already)."""
    link_superseded: Callable[..., None]
    live_row: Callable[..., Any]
    """The stored row of a live note, or None."""
    update: Callable[..., None]
    soft_delete: Callable[..., None]
    supersede: Callable[..., None]
    merge: Callable[..., Any]
    log_turns: Callable[..., None]
    enqueue_jobs: Callable[..., None]
    """Pending LLM jobs for (note id, user id) pairs, created at ``at``."""


def apply_batch(sql: Statements, conn: Any, batch: WriteBatch, turns: Sequence[Turn],
                embedder_id: str, at: Any) -> list[Note]:
    """Run ``batch`` on ``conn`` (inside the caller's transaction); the notes inserted."""
    sql.check_versions(conn, batch.expected)
    inserted = [new.note for new in batch.new
                if sql.insert(conn, new, embedder_id, at, batch.actor)]
    for note in inserted:  # a note stored superseded (an import's past fact)
        if note.superseded_by is not None:
            sql.link_superseded(conn, note.id, note.superseded_by, at)
    for change in batch.updates:
        row = sql.live_row(conn, change.note.id)
        if row is not None:
            sql.update(conn, change.note, embedder_id, at, change.reason, batch.actor, row)
    for gone in batch.deletes:
        row = sql.live_row(conn, gone.note_id)
        if row is not None:
            sql.soft_delete(conn, row, at, gone.reason, batch.actor)
    for change in batch.supersessions:
        sql.supersede(conn, change, at, batch.actor)
    for merge in batch.merges:  # a short-term note said again is promoted
        sql.merge(conn, merge, at, batch.actor)
    sql.log_turns(conn, turns)
    if batch.jobs:
        sql.enqueue_jobs(conn, [(n.id, n.scope.user_id) for n in inserted
                                if not n.quarantined], at)
    return inserted
