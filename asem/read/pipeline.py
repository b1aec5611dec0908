"""The read path, top-down: query (→ the notes of a period it names, ``asem.read.when``) →
Phase A recall → Phase B ranking → answers over questions → the named speaker's notes
first → (second hop through bridge entities) → diversity → link expansion.
Only notes valid for the search are returned: by default none whose validity has ended (see
``asem.read.validity``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from asem.config import ReadConfig
from asem.providers.embedder import Embedder, embed_queries
from asem.read.aliases import resolve_names
from asem.read.answers import answers_over_questions, asking_shares
from asem.read.bridge import bridge_query, chain_merge
from asem.read.diverse import contenders, diversified
from asem.read.expand import expand
from asem.read.intent import conditioned_signals
from asem.read.rank import Ranked, rank
from asem.read.recall import recall
from asem.read.speakers import named_in, speaker_lifted
from asem.read.validity import visible
from asem.read.when import dated_ids, lifted
from asem.stores.base import Store
from asem.stores.dense import DenseSource
from asem.types import Filters, Hit, Note, Scope, now


@dataclass(frozen=True)
class ReadDeps:
    store: Store
    embedder: Embedder
    config: ReadConfig


def search(query: str, scope: Scope, filters: Filters, k: int, expand_links: bool,
           deps: ReadDeps, query_vector: np.ndarray | None = None,
           asked_at: datetime | None = None) -> list[Hit]:
    """The top ``k`` notes for ``query`` in ``scope`` (plus link neighbours if asked), all
    read from one snapshot of the store (``Store.snapshot``).

    ``query_vector``: the query's embedding, when the caller has it already. ``asked_at``:
    when the query is asked (default now); relative dates in it are read against it."""
    if deps.config.resolve_names and (named := resolve_names(query, scope, deps.store,
                                                             deps.config)) != query:
        query, query_vector = named, None
    if query_vector is None:
        query_vector = embed_queries(deps.embedder, [query])[0]
    with deps.store.snapshot():
        dated = (dated_ids(query, asked_at or now(), scope, deps.store)
                 if deps.config.date_weight else frozenset())
        return _search(query, query_vector, scope, filters, k, expand_links, deps, dated)


def _search(query: str, query_vector: np.ndarray, scope: Scope, filters: Filters, k: int,
            expand_links: bool, deps: ReadDeps, dated: frozenset[str]) -> list[Hit]:
    config = deps.config
    source = deps.store.dense(scope, filters)  # one per search: its answers are kept
    ranked = ranked_pool(query, query_vector, scope, filters, deps, source, dated)
    late = config.speaker_after_answers and config.speaker_weight != 0
    fetched: dict[str, Note] = {}  # full notes read so far, kept for the hits
    asking: dict[str, float] = {}  # of those, the notes that ask, with how much
    if (config.answer_share > 0 or (late and config.speaker_asking_discount)) and ranked:
        fetched = deps.store.get_notes([r.note_id for r in ranked[: 2 * k]])
        asking = asking_shares(fetched)
    if config.answer_share > 0 and ranked:
        ranked = answers_over_questions(ranked, asking, scope.user_id, deps.store, config)
    if late and ranked:
        ranked = named_first(query, ranked, source, config,
                             asking if config.speaker_asking_discount else {})
    bridged: set[str] = set()
    if deps.config.bridge_hops and ranked:
        first = {r.note_id for r in ranked}
        ranked = second_hop(query, ranked, scope, filters, k, deps, source, dated)
        bridged = {r.note_id for r in ranked} - first
    if deps.config.diversity_weight > 0 or deps.config.thread_penalty > 0:
        ranked = diverse(ranked, source, k, deps.config)
    ranked = ranked[:k]
    at = now()
    # the hits' notes only, each read from the store once per search
    notes = {r.note_id: fetched[r.note_id] for r in ranked if r.note_id in fetched}
    notes |= deps.store.get_notes([r.note_id for r in ranked if r.note_id not in fetched])
    hits = [Hit(notes[r.note_id], r.score, r.similarity, r.lexical,
                via="bridge" if r.note_id in bridged else "recall",
                superseded=notes[r.note_id].ended_by(at), parts=r.parts)
            for r in ranked if r.note_id in notes]
    if expand_links:
        extra = expand(ranked, notes, deps.config.link_discount)
        linked = deps.store.get_notes([r.note_id for r in extra])
        hits += [Hit(note, r.score, r.similarity, r.lexical, via="link",
                     superseded=note.ended_by(at))
                 for r in extra if (note := linked.get(r.note_id)) is not None
                 and scope.contains(note.scope) and visible(note, filters, at)
                 and (filters.include_quarantined or not note.quarantined)]
    return hits


def ranked_pool(query: str, query_vector: np.ndarray, scope: Scope, filters: Filters,
                deps: ReadDeps, source: DenseSource,
                dated: frozenset[str] = frozenset()) -> list[Ranked]:
    """Phase A then Phase B: every candidate for ``query``, best first; ``source``: the
    search's dense channel (``Store.dense``); ``dated``: the notes of a period the query
    names (``asem.read.when``). The notes of a speaker the query names join the pool
    (``ReadConfig.speaker_pool``) and rise here, unless they rise after answers over
    questions (``ReadConfig.speaker_after_answers``, ``named_first``)."""
    config = deps.config
    named = (named_in(query, source.speakers()) if config.speaker_weight or config.speaker_pool
             else frozenset())
    candidates = recall(query_vector, query, scope, filters, deps.store, config, dated, named,
                        source=source)
    if not len(candidates):
        return []
    signals = deps.store.signals(candidates.ids)
    if deps.config.intent_utility:
        events = deps.store.feedback_events(candidates.ids)
        signals = conditioned_signals(query_vector, signals, events,
                                      deps.config.intent_similarity)
    ranked = lifted(rank(candidates, signals, deps.config, now()), dated,
                    deps.config.date_weight)
    if named and config.speaker_weight and not config.speaker_after_answers:
        said = source.speakers_of([r.note_id for r in ranked])
        ranked = speaker_lifted(ranked, named, said, config.speaker_weight)
    return ranked


def named_first(query: str, ranked: list[Ranked], source: DenseSource, config: ReadConfig,
                asking: dict[str, float]) -> list[Ranked]:
    """``ranked`` with the notes of the speakers ``query`` names lifted
    (``asem.read.speakers``; ``asking``: the notes that ask, whose lift shrinks by how much
    they ask), after answers over questions (``ReadConfig.speaker_after_answers``)."""
    named = named_in(query, source.speakers())
    if not named:
        return ranked
    said = source.speakers_of([r.note_id for r in ranked])
    return speaker_lifted(ranked, named, said, config.speaker_weight, asking)


def diverse(ranked: list[Ranked], source: DenseSource, k: int,
            config: ReadConfig) -> list[Ranked]:
    """The first ``k`` places of ``ranked`` re-scored so that they cover distinct notes and
    conversations (asem.read.diverse), then the notes that could have taken one of them
    (``contenders``); their embeddings and conversations come from the search's dense
    source (``DenseSource.pool_notes``), whichever store holds them."""
    ranked = contenders(ranked, k, config.diversity_weight, config.thread_penalty)
    pool = source.pool_notes([r.note_id for r in ranked])
    return diversified(ranked, pool.vectors, [pool.threads.get(r.note_id, "") for r in ranked],
                       k, config.diversity_weight, config.diversity_threshold,
                       config.thread_penalty)


def second_hop(query: str, first: list[Ranked], scope: Scope, filters: Filters, k: int,
               deps: ReadDeps, source: DenseSource,
               dated: frozenset[str] = frozenset()) -> list[Ranked]:
    """``first`` merged with a search from each of its top hits through their entities
    (see asem.read.bridge); the second queries are embedded in one call. Each search
    contributes its top max(k, k1), as one search would."""
    seeds = first[:deps.config.bridge_seeds]
    notes = deps.store.get_notes([r.note_id for r in seeds])
    queries = [bridge_query(query, notes[r.note_id], deps.config.bridge_entities)
               if r.note_id in notes else None for r in seeds]
    asked = [q for q in queries if q is not None]
    if not asked:
        return first
    vectors = iter(embed_queries(deps.embedder, asked))
    depth = max(k, deps.config.k_candidates)
    follow_ups = [None if q is None else
                  ranked_pool(q, next(vectors), scope, filters, deps, source, dated)[:depth]
                  for q in queries]
    return chain_merge(first[:depth], follow_ups)
