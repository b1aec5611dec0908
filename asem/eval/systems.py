"""Retrieval systems compared on a benchmark: raw-turn baselines and ASEM itself.

Each system indexes one conversation's turns, then ranks turn ids for a question. Several
documents may carry one turn id (the chunks of a long turn); a ranking names each turn once,
at the rank of its best document.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from asem.chat import ChatTurn
from asem.config import MemoryConfig
from asem.eval.dataset import Turn, raw_document
from asem.memory import Memory
from asem.providers.embedder import Embedder
from asem.types import Hit, Message
from asem.write.enrich import Enricher
from asem.write.manager import ManagerPolicy


class RetrievalSystem(Protocol):
    name: str
    ingest_seconds: float
    """Seconds spent indexing, summed over ``index`` calls."""

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        ...

    def rank(self, question: str, k: int, asked_at: datetime | None = None) -> list[str]:
        """Turn ids, best first, at most ``k`` (``asked_at``: when the question is asked,
        for systems that read dates)."""
        ...


class BM25System:
    """BM25 over raw turns ('Speaker: text'), English stopwords (bm25s)."""

    name = "bm25"

    def __init__(self) -> None:
        self._retriever = None
        self._ids: list[str] = []
        self.ingest_seconds = 0.0

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        import bm25s

        start = time.perf_counter()
        self._ids = [t.dia_id for t in turns]
        corpus = bm25s.tokenize([raw_document(t) for t in turns], stopwords="en",
                                show_progress=False)
        self._retriever = bm25s.BM25()
        self._retriever.index(corpus, show_progress=False)
        self.ingest_seconds += time.perf_counter() - start

    def rank(self, question: str, k: int, asked_at: datetime | None = None) -> list[str]:
        import bm25s

        assert self._retriever is not None
        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.vocab:  # only stopwords: nothing to match
            return []
        docs, _ = self._retriever.retrieve(tokens, k=len(self._ids), show_progress=False)
        return _distinct((self._ids[i] for i in docs[0]), k)


class DenseSystem:
    """Cosine similarity over raw turns with the same embedder as ASEM."""

    name = "dense"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._ids: list[str] = []
        self._matrix = np.zeros((0, embedder.dimension), dtype=np.float32)
        self.ingest_seconds = 0.0

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        start = time.perf_counter()
        self._ids = [t.dia_id for t in turns]
        self._matrix = self._embedder.embed([raw_document(t) for t in turns])
        self.ingest_seconds += time.perf_counter() - start

    def rank(self, question: str, k: int, asked_at: datetime | None = None) -> list[str]:
        scores = self._matrix @ self._embedder.embed([question], kind="query")[0]
        return _distinct((self._ids[i] for i in np.argsort(-scores, kind="stable")), k)


def _distinct(ids: Iterable[str], k: int) -> list[str]:
    """The first ``k`` distinct ids, in order."""
    ranked: dict[str, None] = {}
    for turn_id in ids:
        ranked.setdefault(turn_id)
        if len(ranked) == k:
            break
    return list(ranked)


class AsemSystem:
    """ASEM's write and read paths: one scope (user) per conversation, one SQLite file.

    ``enricher`` and ``manager`` default to the Memory's (extractive enricher, learned manager);
    the baselines and ablations pass their own (see ``asem.eval.baselines``). With
    ``raw_content`` a note's content is the raw turn, 'Speaker: text', as the raw-turn
    baselines index it; otherwise it is the turn's text and the speaker is an attribute.
    """

    name = "asem"

    def __init__(self, db_path: Path | None, embedder: Embedder,
                 config: MemoryConfig | None = None, *, enricher: Enricher | None = None,
                 manager: ManagerPolicy | None = None, memory: Memory | None = None,
                 raw_content: bool = False) -> None:
        self.memory = memory or Memory(db_path, embedder=embedder, config=config,
                                       enricher=enricher, manager=manager)
        self.raw_content = raw_content
        self._user = ""
        self.ingest_seconds = 0.0
        self.ingested_turns = 0
        self.search_seconds: list[float] = []

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        self._user = conversation_id
        chat = [ChatTurn(Message(raw_document(t) if self.raw_content else t.text,
                                 t.speaker or None,
                                 t.timestamp, t.dia_id), t.session_id) for t in turns]
        start = time.perf_counter()
        self.memory.ingest(chat, user_id=conversation_id, channel="benchmark")
        self.ingest_seconds += time.perf_counter() - start
        self.ingested_turns += len(turns)

    def rank(self, question: str, k: int, asked_at: datetime | None = None) -> list[str]:
        ranked: list[str] = []
        for hit in self.hits(question, k, asked_at):  # a note may stand for several turns
            ranked.extend(t for t in hit.note.provenance.turn_ids if t not in ranked)
        return ranked[:k]

    def hits(self, question: str, k: int, asked_at: datetime | None = None) -> list[Hit]:
        """The notes ``rank`` reads its turns from, best first (timed)."""
        start = time.perf_counter()
        result = self.memory.search(question, user_id=self._user, k=k, asked_at=asked_at)
        self.search_seconds.append(time.perf_counter() - start)
        # Link-expanded notes come after the top k, scored below the hit that reached them
        # (parent − (1 − strength) − discount); ordering every hit by score lets a strongly
        # linked neighbour compete for a place in the top k instead of always falling off it.
        return sorted(result, key=lambda hit: -hit.score)

    def reading_as(self, name: str, config: MemoryConfig) -> AsemSystem:
        """A system over the same stored notes that reads with ``config``'s read settings.

        For ablations that change only the read path: nothing is ingested again, so the view
        reports this system's ingest cost. Close only the original.
        """
        memory = Memory(store=self.memory.store, embedder=self.memory.embedder,
                        enricher=self.memory.enricher, manager=self.memory.manager,
                        config=config)
        view = AsemSystem(None, self.memory.embedder, memory=memory,
                          raw_content=self.raw_content)
        view.name = name
        view._user = self._user
        view.ingest_seconds = self.ingest_seconds
        view.ingested_turns = self.ingested_turns
        return view

    def footprint(self) -> dict[str, int]:
        """Notes and links in the current scope, and the database size on disk after a WAL
        checkpoint (so pages waiting in the write-ahead log are neither missed nor doubled)."""
        stats = (self.memory.stats(self._user) if self._user
                 else self.memory.stats(all_users=True))
        path = Path(str(stats["path"]))
        if path.exists():
            with closing(sqlite3.connect(path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = (sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists()) if path.exists()
                else int(stats["file_bytes"]))  # a database server's own count
        return {"notes": int(stats["notes"]), "links": int(stats["links"]), "db_bytes": size}
