"""Stores: the store protocol and its backends (SQLite is the embedded default)."""

from asem.stores.base import NewNote, NoteSignals, Store, VectorIndex
from asem.stores.sqlite import SQLiteStore

__all__ = ["NewNote", "NoteSignals", "SQLiteStore", "Store", "VectorIndex"]
