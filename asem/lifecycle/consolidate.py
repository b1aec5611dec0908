"""Consolidation before eviction: a note over the budget folds into its nearest kept note.

Archiving a note takes what it says out of search. When the tenant is over its note count
(not its words), a note about to be archived can instead be folded into the kept note most
like it: the neighbour's content gains the note's text and source turns (a merge, as the
manager's UPDATE makes one; ``asem.write.revise``), is enriched and embedded again, and
the folded note is archived with a reason naming its neighbour. Its words stay findable,
in one note fewer. Folding never helps a word budget (the words stay), so a tenant over
its words archives.

A note of a conversation has one neighbour it needs more than any other: the other turn of
its exchange. A note that asks ("Which soup did you learn to make?") is what a search finds,
and its reply ("a lentil soup with lemon") what a reader needs; the read path lifts the
reply over the question (``asem.read.answers``), and that needs both. So a note over the
note count that asks, or replies to a note that asked, folds into the other note of its
exchange where that one is kept (``LifecycleConfig.fold_exchanges``, on by default, whatever
the cosine): the kept note then holds the question and the answer (in the order said where
their times differ; the kept note's text first where they do not). On
LoCoMo this keeps 0.98 of unbounded held-out recall at half the notes, against 0.90 when
one of the two is archived (docs/lifecycle.md).

Other than that, a fold needs a neighbour at cosine ≥ ``LifecycleConfig.fold_similarity``
on e (the note embedding); either fold stays within ``fold_max_words``. A note that gained
content is kept (it holds more than itself now), and superseded notes are never folded (a
past fact must not join a current one). The neighbours of the notes to evict are found in
blocks, so the work grows with (notes evicted × notes), never with notes² at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from asem.config import WriteConfig
from asem.lifecycle.salience import load_salience
from asem.providers.embedder import Embedder
from asem.read.answers import asking_share
from asem.stores.base import NoteLife, Store
from asem.types import Note
from asem.write.enrich import Enricher
from asem.write.revise import revised

ACTOR = "maintenance"
NEIGHBOURS = 8
"""Nearest notes looked at per note to evict (the first that can take it wins)."""
BLOCK = 256


class Folder(Protocol):
    """What maintenance reads of notes beyond their signals (vectors, salience) and a way
    to merge them."""

    def vectors(self, note_ids: Sequence[str]) -> np.ndarray:
        """e of each note, unit length, one row per id in order."""
        ...

    def salience(self, note_ids: Sequence[str]) -> np.ndarray:
        """The salience model's log-odds of each note, NaN where it cannot read one
        (``asem.lifecycle.salience``)."""
        ...

    def fold(self, target_id: str, folded_ids: Sequence[str], reason: str) -> None:
        """Merge the content and turns of ``folded_ids`` into ``target_id`` (one new
        version of it); the folded notes themselves are left to the caller to archive."""
        ...


@dataclass(frozen=True)
class Neighbours:
    """The nearest notes of the notes to evict, computed a block at a time on demand."""

    matrix: np.ndarray
    order: Sequence[int]

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(note index, neighbour indexes best first, their cosines) in eviction order."""
        k = min(NEIGHBOURS + 1, len(self.matrix))
        for start in range(0, len(self.order), BLOCK):
            rows = np.asarray(self.order[start:start + BLOCK])
            sims = self.matrix[rows] @ self.matrix.T
            sims[np.arange(len(rows)), rows] = -np.inf  # not itself
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            for r, i in enumerate(rows):
                best = top[r][np.argsort(-sims[r, top[r]], kind="stable")]
                yield int(i), best, sims[r, best]


def exchanges(notes: Sequence[NoteLife],
              replies: Mapping[str, Sequence[str]]) -> dict[int, list[int]]:
    """Index in ``notes`` → the notes it makes one exchange with: the first reply among
    ``notes`` of a note that asks, and for that reply, the note that asked. ``replies``:
    note id → the notes holding the turns said right after its own, by someone else
    (``asem.read.answers.reply_map``)."""
    row = {n.note_id: i for i, n in enumerate(notes)}
    found: dict[int, list[int]] = {}
    for i, note in enumerate(notes):
        reply = next((row[r] for r in replies.get(note.note_id, ()) if r in row), None)
        if reply is not None and asking_share(note.content):
            found.setdefault(i, []).append(reply)
            found.setdefault(reply, []).append(i)
    return found


def exchange_target(partners: Sequence[int], words: Sequence[int], own_words: int,
                    gone: set[int], past: Sequence[bool], max_words: int) -> int | None:
    """The first kept note of a note's exchange that can take its ``own_words``, or None."""
    return next((j for j in partners if j not in gone and not past[j]
                 and words[j] + own_words <= max_words), None)


def fold_target(neighbours: np.ndarray, cosines: np.ndarray, words: Sequence[int],
                own_words: int, gone: set[int], past: Sequence[bool], min_similarity: float,
                max_words: int) -> int | None:
    """The first neighbour that can take a note of ``own_words`` words, or None."""
    for j, cosine in zip(neighbours, cosines, strict=True):
        if cosine < min_similarity:
            return None
        j = int(j)
        if j not in gone and not past[j] and words[j] + own_words <= max_words:
            return j
    return None


class NoteFolder:
    """``Folder`` over a store: notes are merged as a manager's UPDATE merges them."""

    def __init__(self, store: Store, embedder: Embedder, enricher: Enricher,
                 config: WriteConfig) -> None:
        self.store, self.embedder, self.enricher, self.config = store, embedder, enricher, config

    def _notes(self, note_ids: Sequence[str]) -> dict[str, Note]:
        found: dict[str, Note] = {}
        for start in range(0, len(note_ids), 500):
            found |= self.store.get_notes(list(note_ids[start:start + 500]))
        return found

    def vectors(self, note_ids: Sequence[str]) -> np.ndarray:
        notes = self._notes(note_ids)
        rows = [notes[i].embedding for i in note_ids]
        if any(r is None for r in rows):
            raise ValueError("a note without an embedding cannot be folded")
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)

    def salience(self, note_ids: Sequence[str]) -> np.ndarray:
        model = load_salience()
        if model.embedder_id != self.embedder.model_id:  # its notes' z say nothing to it
            return np.full(len(note_ids), np.nan)
        notes = self._notes(note_ids)
        rows = [notes[i] for i in note_ids]
        return model.of_notes([n.content for n in rows], [n.intent_embedding for n in rows],
                              self.embedder.model_id)

    def fold(self, target_id: str, folded_ids: Sequence[str], reason: str) -> None:
        notes = self._notes([target_id, *folded_ids])
        target = notes[target_id]
        parts = sorted((notes[i] for i in folded_ids if i in notes), key=lambda n: n.observed_at)
        said = sorted([target, *parts], key=lambda n: n.observed_at)  # in the order said
        content = "\n".join(n.content for n in said)
        turns = tuple(t for n in parts for t in n.provenance.turn_ids)
        note = revised(target, content[:self.config.max_content_chars],
                       enricher=self.enricher, embedder=self.embedder, config=self.config,
                       turn_ids=turns)
        self.store.update_note(note, reason, ACTOR)

