"""Reading a note's feedback history for intent-conditioned utility (ReadConfig.intent_utility)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from asem.stores.sqlite.codec import vector
from asem.types import FeedbackEvent


def read_feedback_events(conn: sqlite3.Connection,
                         note_ids: Sequence[str]) -> dict[str, list[FeedbackEvent]]:
    """note id → its utility updates, oldest first, with the rewarded query's embedding."""
    if not note_ids:
        return {}
    marks = ",".join("?" * len(note_ids))
    rows = conn.execute(
        "SELECT f.note_id, f.reward, f.learning_rate, f.utility_before, r.query_embedding "
        "FROM note_feedback f JOIN retrievals r ON r.id = f.retrieval_id "
        f"WHERE f.note_id IN ({marks}) ORDER BY f.id", list(note_ids),
    ).fetchall()
    found: dict[str, list[FeedbackEvent]] = {}
    for r in rows:
        query = vector(r["query_embedding"]) if r["query_embedding"] is not None else None
        found.setdefault(r["note_id"], []).append(
            FeedbackEvent(query, r["reward"], r["learning_rate"], r["utility_before"]))
    return found
