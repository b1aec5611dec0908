"""Retrieval systems compared on a benchmark: raw-turn baselines and ASEM itself.

Each system indexes one conversation's turns, then ranks turn ids for a question.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from asem.chat import ChatTurn
from asem.config import MemoryConfig
from asem.eval.locomo import Turn, raw_document
from asem.memory import Memory
from asem.providers.embedder import Embedder
from asem.types import Message


class RetrievalSystem(Protocol):
    name: str

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        ...

    def rank(self, question: str, k: int) -> list[str]:
        """Turn ids, best first, at most ``k``."""
        ...


class BM25System:
    """BM25 over raw turns ('Speaker: text'), English stopwords (bm25s)."""

    name = "bm25"

    def __init__(self) -> None:
        self._retriever = None
        self._ids: list[str] = []

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        import bm25s

        self._ids = [t.dia_id for t in turns]
        corpus = bm25s.tokenize([raw_document(t) for t in turns], stopwords="en",
                                show_progress=False)
        self._retriever = bm25s.BM25()
        self._retriever.index(corpus, show_progress=False)

    def rank(self, question: str, k: int) -> list[str]:
        import bm25s

        assert self._retriever is not None
        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.vocab:  # only stopwords: nothing to match
            return []
        docs, _ = self._retriever.retrieve(tokens, k=min(k, len(self._ids)),
                                           show_progress=False)
        return [self._ids[i] for i in docs[0]]


class DenseSystem:
    """Cosine similarity over raw turns with the same embedder as ASEM."""

    name = "dense"

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._ids: list[str] = []
        self._matrix = np.zeros((0, embedder.dimension), dtype=np.float32)

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        self._ids = [t.dia_id for t in turns]
        self._matrix = self._embedder.embed([raw_document(t) for t in turns])

    def rank(self, question: str, k: int) -> list[str]:
        scores = self._matrix @ self._embedder.embed([question], kind="query")[0]
        return [self._ids[i] for i in np.argsort(-scores)[:k]]


class AsemSystem:
    """ASEM's write and read paths: one scope (user) per conversation, one SQLite file."""

    name = "asem"

    def __init__(self, db_path: Path, embedder: Embedder,
                 config: MemoryConfig | None = None) -> None:
        self.memory = Memory(db_path, embedder=embedder, config=config)
        self._user = ""
        self.ingest_seconds = 0.0
        self.ingested_turns = 0
        self.search_seconds: list[float] = []

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        self._user = conversation_id
        chat = [ChatTurn(Message(t.text, t.speaker, t.timestamp, t.dia_id), t.session_id)
                for t in turns]
        start = time.perf_counter()
        self.memory.ingest(chat, user_id=conversation_id, channel="benchmark")
        self.ingest_seconds += time.perf_counter() - start
        self.ingested_turns += len(turns)

    def rank(self, question: str, k: int) -> list[str]:
        start = time.perf_counter()
        result = self.memory.search(question, user_id=self._user, k=k)
        self.search_seconds.append(time.perf_counter() - start)
        ranked: list[str] = []
        for hit in result:  # a note may stand for several turns; keep the first k turns
            ranked.extend(t for t in hit.note.provenance.turn_ids if t not in ranked)
        return ranked[:k]
