"""Stores: the store protocol and its backends (SQLite is the embedded default)."""

from asem.stores.base import NewNote, Store, VectorIndex
from asem.stores.sqlite import SQLiteStore

__all__ = ["NewNote", "SQLiteStore", "Store", "VectorIndex"]
