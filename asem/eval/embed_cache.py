"""Embeddings cached by content hash in a SQLite file, shared by every system and case.

LongMemEval_S repeats haystack sessions across questions (121,864 user turns, 93,672
distinct texts), and the raw-turn baselines embed the same documents; without a cache each
question re-embeds its whole haystack. Vectors are stored exactly (float32), so a cached run
ranks exactly as a fresh one, and a killed run keeps what it had embedded.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from asem.providers.embedder import Embedder, embed_notes

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, e BLOB NOT NULL, z BLOB)"
_CHUNK = 500  # keys per SELECT (SQLite's variable limit is larger; this keeps queries short)


class CachedEmbedder:
    """``inner``, remembering every vector it made in ``path`` (``None``: in memory only).

    Misses of one call are embedded in one call of ``inner`` (which sorts them by length),
    so batching stays as good as without the cache. Thread-safe, as the embedder protocol
    asks (a server searches from many threads): one thread at a time reads or writes the
    file.
    """

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(":memory:" if path is None else str(path),
                                   check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def embed(self, texts: Sequence[str], *, kind: str = "document") -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found = self._lookup(keys)
        todo = list(dict.fromkeys((k, t) for k, t in zip(keys, texts, strict=True)
                                  if k not in found))
        if todo:
            vectors = self.inner.embed([t for _, t in todo], kind=kind)
            fresh = {k: (v, None) for (k, _), v in zip(todo, vectors, strict=True)}
            self._store(fresh)
            found.update(fresh)
        self._count(len(texts), len(todo))
        return _stack([found[k][0] for k in keys], self.dimension)

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[tuple[int, int]]
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Note vectors and content-span vectors, as ``embed_notes`` makes them."""
        keys = [self._key(f"span:{a}:{b}", t) for t, (a, b) in zip(texts, spans, strict=True)]
        found = self._lookup(keys)
        todo = list(dict.fromkeys((k, t, s) for k, t, s in zip(keys, texts, spans, strict=True)
                                  if k not in found))
        if todo:
            full, part = embed_notes(self.inner, [t for _, t, _ in todo],
                                     [s for _, _, s in todo])
            fresh = {k: (e, z) for (k, _, _), e, z in zip(todo, full, part, strict=True)}
            self._store(fresh)
            found.update(fresh)
        self._count(len(texts), len(todo))
        return (_stack([found[k][0] for k in keys], self.dimension),
                _stack([found[k][1] for k in keys], self.dimension))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _key(self, kind: str, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_id}\0{kind}\0{text}".encode()).digest()[:20]

    def _lookup(self, keys: Sequence[bytes]
                ) -> dict[bytes, tuple[np.ndarray, np.ndarray | None]]:
        found: dict[bytes, tuple[np.ndarray, np.ndarray | None]] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            self._read(unique, found)
        return found

    def _read(self, unique: Sequence[bytes],
              found: dict[bytes, tuple[np.ndarray, np.ndarray | None]]) -> None:
        for start in range(0, len(unique), _CHUNK):
            part = unique[start:start + _CHUNK]
            rows = self._db.execute(
                f"SELECT key, e, z FROM vectors WHERE key IN ({','.join('?' * len(part))})",
                part)
            for key, e, z in rows:
                found[key] = (np.frombuffer(e, dtype=np.float32),
                              None if z is None else np.frombuffer(z, dtype=np.float32))

    def _store(self, vectors: dict[bytes, tuple[np.ndarray, np.ndarray | None]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, e, z) VALUES (?, ?, ?)",
                [(k, np.asarray(e, np.float32).tobytes(),
                  None if z is None else np.asarray(z, np.float32).tobytes())
                 for k, (e, z) in vectors.items()])

    def _count(self, total: int, missed: int) -> None:
        with self._lock:
            self.misses += missed
            self.hits += total - missed


def _stack(rows: Sequence[np.ndarray | None], dimension: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack(rows).astype(np.float32, copy=False)
