"""The read path, top-down: query → Phase A recall → Phase B ranking → link expansion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asem.config import ReadConfig
from asem.providers.embedder import Embedder
from asem.read.expand import expand
from asem.read.intent import conditioned_signals
from asem.read.rank import rank
from asem.read.recall import recall
from asem.stores.base import Store
from asem.types import Filters, Hit, Scope, now


@dataclass(frozen=True)
class ReadDeps:
    store: Store
    embedder: Embedder
    config: ReadConfig


def search(query: str, scope: Scope, filters: Filters, k: int, expand_links: bool,
           deps: ReadDeps, query_vector: np.ndarray | None = None) -> list[Hit]:
    """The top ``k`` notes for ``query`` in ``scope`` (plus link neighbours if asked).

    ``query_vector``: the query's embedding, when the caller has it already."""
    if query_vector is None:
        query_vector = deps.embedder.embed([query], kind="query")[0]
    candidates = recall(query_vector, query, scope, filters, deps.store, deps.config)
    if not len(candidates):
        return []
    signals = deps.store.signals(candidates.ids)
    if deps.config.intent_utility:
        events = deps.store.feedback_events(candidates.ids)
        signals = conditioned_signals(query_vector, signals, events,
                                      deps.config.intent_similarity)
    ranked = rank(candidates, signals, deps.config, now())[:k]
    notes = deps.store.get_notes([r.note_id for r in ranked])  # full notes for the hits only
    hits = [Hit(notes[r.note_id], r.score, r.similarity, r.lexical)
            for r in ranked if r.note_id in notes]
    if expand_links:
        extra = expand(ranked, notes, deps.config.link_discount)
        linked = deps.store.get_notes([r.note_id for r in extra])
        hits += [Hit(linked[r.note_id], r.score, r.similarity, r.lexical, via="link")
                 for r in extra if r.note_id in linked and scope.contains(linked[r.note_id].scope)]
    return hits

