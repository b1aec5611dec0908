"""The store contract every backend implements, and the in-memory vector index it serves.

A store owns durability: each call that writes does all of its work (notes, vectors, lexical
index, links, history) in one transaction, or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from asem.types import FeedbackResult, Filters, HistoryEntry, Note, Scope


@dataclass(frozen=True)
class NewNote:
    """A note to insert and the links to make from it (stored in both directions)."""

    note: Note
    links: tuple[tuple[str, str, float], ...] = ()
    """(target note id, relation text, strength)."""
    reason: str = ""


@dataclass(frozen=True)
class Merge:
    """Provenance to add to an existing note (a NOOP that keeps where the input came from)."""

    note_id: str
    turn_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class WriteBatch:
    """Everything one write commits atomically."""

    new: tuple[NewNote, ...] = ()
    merges: tuple[Merge, ...] = ()
    actor: str = "user"


@dataclass
class VectorIndex:
    """The live notes of one user as matrices, for brute-force cosine search.

    Rows align across ``ids``, ``embeddings`` (e), ``intents`` (z), ``agents``, ``sessions``.
    """

    ids: list[str] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    intents: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    agents: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def scope_mask(self, scope: Scope) -> np.ndarray:
        """Rows visible to ``scope`` (agent and session narrow when given)."""
        mask = np.ones(len(self.ids), dtype=bool)
        if scope.agent_id is not None:
            mask &= np.array([a == scope.agent_id for a in self.agents], dtype=bool)
        if scope.session_id is not None:
            mask &= np.array([s == scope.session_id for s in self.sessions], dtype=bool)
        return mask

    def append(self, notes: Sequence[Note]) -> None:
        if not notes:
            return
        e = np.stack([n.embedding for n in notes]).astype(np.float32)  # type: ignore[misc]
        z = np.stack([n.intent_embedding for n in notes]).astype(np.float32)  # type: ignore[misc]
        if len(self.ids) == 0:
            self.embeddings, self.intents = e, z
        else:
            self.embeddings = np.vstack([self.embeddings, e])
            self.intents = np.vstack([self.intents, z])
        self.ids.extend(n.id for n in notes)
        self.agents.extend(n.scope.agent_id or "" for n in notes)
        self.sessions.extend(n.scope.session_id or "" for n in notes)


class Store(Protocol):
    """Persistence for notes, links, history, retrievals and feedback."""

    def vector_index(self, user_id: str) -> VectorIndex:
        """The user's live notes as matrices (cached; kept in step with every write)."""
        ...

    def note_ids_for_hashes(self, scope: Scope, hashes: Sequence[str]) -> dict[str, str]:
        """content hash → id of the live note in exactly this scope with that hash."""
        ...

    def write(self, batch: WriteBatch) -> None:
        """Insert notes, links and merges, with history rows, in one transaction."""
        ...

    def lexical(self, user_id: str, terms: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """(note id, BM25 score ≥ 0, higher is better) for notes matching any term."""
        ...

    def filtered_ids(self, scope: Scope, filters: Filters) -> set[str]:
        """Ids of the live notes in ``scope`` that pass ``filters``."""
        ...

    def get_notes(self, ids: Sequence[str], *, include_deleted: bool = False) -> dict[str, Note]:
        ...

    def record_retrieval(self, retrieval_id: str, scope: Scope, query: str,
                         note_ids: Sequence[str]) -> None:
        ...

    def apply_feedback(self, retrieval_id: str, reward: float, note_ids: Sequence[str] | None,
                       learning_rate: float, user_id: str | None = None) -> FeedbackResult:
        """q ← q + α(r − q) for the retrieval's notes (or the named subset), atomically.

        With ``user_id``, a retrieval of another user is reported as not found."""
        ...

    def update_note(self, note: Note, reason: str, actor: str) -> None:
        """Replace a live note's content and attributes (vectors included), with history."""
        ...

    def delete_note(self, note_id: str, reason: str, actor: str) -> None:
        ...

    def restore_note(self, note_id: str, actor: str) -> None:
        ...

    def history(self, note_id: str) -> list[HistoryEntry]:
        ...

    def stats(self, user_id: str | None) -> dict[str, int | float | str]:
        ...

    def close(self) -> None:
        ...
