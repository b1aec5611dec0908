"""The embedded default store: one SQLite file (WAL, FTS5, vectors stored with the note)."""

from asem.stores.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
