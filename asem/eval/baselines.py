"""The systems a benchmark compares, by name: raw-turn baselines, peer-style memories built
from ASEM's parts, and ASEM with one stage switched off at a time (SPEC section 4).

Every Memory-based system is a ``Recipe``: a MemoryConfig plus the enricher and manager its
write path uses. Recipes with the same write path (enricher, manager, write and feedback
settings) share one ingested index per conversation and differ only in how they read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from asem.config import MemoryConfig, ReadConfig, WriteConfig
from asem.eval.databases import Databases
from asem.eval.expiry import simulate_expiry
from asem.eval.systems import AsemSystem, BM25System, DenseSystem, RetrievalSystem
from asem.manager.registry import MANAGERS
from asem.providers.embedder import Embedder
from asem.types import Enrichment
from asem.write.enrich import Enricher, EnrichInput, ExtractiveEnricher


class RawEnricher:
    """No note construction: no keywords, tags, context, entities or dates.

    The flat raw entries of the MemRL-style baseline (whose content is 'Speaker: text').
    """

    def enrich(self, items: Sequence[EnrichInput]) -> list[Enrichment]:
        return [Enrichment() for _ in items]


ENRICHERS: dict[str, Callable[[], Enricher]] = {
    "extractive": ExtractiveEnricher,
    "extractive-no-dates": lambda: ExtractiveEnricher(resolve_dates=False),
    "raw": RawEnricher,
}


@dataclass(frozen=True)
class Recipe:
    """A Memory-based system: its settings and the parts of its write path."""

    name: str
    description: str
    config: MemoryConfig = field(default_factory=MemoryConfig)
    enricher: str = "extractive"
    manager: str = WriteConfig().manager
    raw_content: bool = False
    """Store each turn as 'Speaker: text' (the raw-turn baselines' documents)."""
    expire_short_term_days: float | None = None
    """After ingesting, archive the short-term notes said this many days or more before the
    last turn (``asem.eval.expiry``: expiry by the dataset's times)."""

    @property
    def write_key(self) -> tuple[Any, ...]:
        """Recipes with equal keys store identical notes."""
        return (self.enricher, self.manager, self.raw_content, self.config.write,
                self.config.feedback, self.expire_short_term_days)

    def settings(self) -> dict[str, Any]:
        """Everything that determines this system's results, as JSON-able data."""
        return {"enricher": self.enricher, "manager": self.manager,
                "raw_content": self.raw_content, "config": asdict(self.config),
                **({"expire_short_term_days": self.expire_short_term_days}
                   if self.expire_short_term_days is not None else {})}


def _read(**changes: Any) -> MemoryConfig:
    return MemoryConfig(read=replace(ReadConfig(), **changes))


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("asem", "ASEM defaults: extractive notes, learned-attribute manager, dense (δ = 0.1) "
                   "+ BM25 recall, BM25 weighted by the share of the question its best match "
                   "holds, conversational context (β = 0.5), query expansion for questions "
                   "that count, value-aware ranking (λ = 0.4), the named speaker's notes "
                   "lifted (1.25, after answers over questions, less the more they ask), "
                   "diversity in the top hits (μ = 0.25), no link expansion"),
    Recipe("asem-expiry", "ASEM defaults with short-term expiry simulated by the dataset's "
                          "times: short-term notes (the learned manager's tier) said 7 days "
                          "or more before the question are archived",
           expire_short_term_days=7.0),
    Recipe("asem-rule", "ASEM with the rule manager (NOOP for near-duplicates, else ADD) "
                        "instead of the learned one", manager="rule"),
    Recipe("asem-learned", "ASEM with the manager 'learned' (the checkpoint trained before "
                           "the same-attribute feature) instead of the default",
           manager="learned"),
    Recipe("asem-expand", "ASEM defaults plus 1-hop link expansion: link neighbours of the "
                          "hits join the ranking at parent − (1 − strength) − 0.5",
           _read(expand_links=True)),
    Recipe("asem-bridge", "ASEM defaults plus a second hop of retrieval: from each of the "
                          "top 3 hits, search again with the question and up to 4 of the "
                          "hit's entities it does not name; chains of hit and best new note "
                          "first, then reciprocal-rank fusion of all searches",
           _read(bridge_hops=True)),
    Recipe("amem", "A-MEM style: extractive notes, every turn ADDed (no manager), links, "
                   "1-hop link expansion, no utility (λ = 0), no conversational context",
           _read(expand_links=True, utility_weight=0.0, context_weight=0.0, answer_share=0.0,
                 resolve_names=False, speaker_weight=0.0, diversity_weight=0.0),
           manager="always-add"),
    Recipe("memrl", "MemRL style: flat raw turns ('Speaker: text', no enrichment, every "
                    "turn ADDed), dense recall only (cosine > δ = 0.3), utility re-ranking "
                    "(λ = 0.4), no links, no conversational context",
           MemoryConfig(write=WriteConfig(k_links=0),
                        read=replace(ReadConfig(), lexical_weight=0.0, context_weight=0.0,
                                     answer_share=0.0, resolve_names=False,
                                     speaker_weight=0.0, diversity_weight=0.0)),
           enricher="raw", manager="always-add", raw_content=True),
    # min_link_similarity = ∞: no neighbour is similar enough to link, while the manager
    # still sees its k nearest candidates (k_links = 0 would also blind the manager).
    Recipe("asem-no-links", "ASEM without links: no links made at write time",
           MemoryConfig(write=WriteConfig(min_link_similarity=math.inf))),
    Recipe("asem-no-utility", "ASEM without value-aware ranking: λ = 0",
           _read(utility_weight=0.0)),
    Recipe("asem-no-lexical", "ASEM without the BM25 channel: dense recall only",
           _read(lexical_weight=0.0)),
    Recipe("asem-no-context", "ASEM without conversational context: a note's relevance "
                              "ignores the turns around it (β = 0)",
           _read(context_weight=0.0)),
    Recipe("asem-no-dates", "ASEM without date resolution in note construction",
           enricher="extractive-no-dates"),
    Recipe("asem-no-answers", "ASEM without answers over questions: a turn that asks keeps "
                              "its score over the reply after it (ρ = γ = 0)",
           _read(answer_share=0.0)),
    Recipe("asem-no-names", "ASEM without name resolution: a question's nickname for a "
                            "speaker is searched as written",
           _read(resolve_names=False)),
    Recipe("asem-no-speakers", "ASEM without the named speaker's notes first: a note said by "
                               "the person the question names does not rise",
           _read(speaker_weight=0.0)),
    Recipe("asem-speakers-early", "ASEM with the named speaker's notes lifted in Phase B, "
                                  "before answers over questions, by 0.5 whether they ask "
                                  "or not (the order and weight before the lift moved)",
           _read(speaker_weight=0.5, speaker_after_answers=False,
                 speaker_asking_discount=False)),
    Recipe("asem-no-diversity", "ASEM without diversity in the top hits: a hit keeps its "
                                "score however much it repeats the hits above it (μ = 0)",
           _read(diversity_weight=0.0)),
)}
RAW_BASELINES = {
    "bm25": "BM25 over raw turns ('Speaker: text'), English stopwords (bm25s)",
    "dense": "cosine similarity over raw turns, same embedder (all-MiniLM-L6-v2)",
}
DESCRIPTIONS = {**{r.name: r.description for r in RECIPES.values()}, **RAW_BASELINES}
ALL = ("asem", "bm25", "dense", "amem", "memrl", "asem-expiry", "asem-rule", "asem-learned",
       "asem-expand", "asem-bridge", "asem-no-links", "asem-no-utility", "asem-no-lexical",
       "asem-no-context", "asem-no-dates", "asem-no-answers", "asem-no-names", "asem-no-speakers",
       "asem-speakers-early", "asem-no-diversity")
DEFAULT = ("asem", "bm25", "dense")


def settings(name: str) -> dict[str, Any]:
    """What determines system ``name``'s results (for cache keys)."""
    if name in RECIPES:
        return RECIPES[name].settings()
    return {"baseline": name}


class Builder:
    """Makes fresh systems for one conversation; recipes that share a write path share one
    ingested database under ``workdir``. ``close`` releases them."""

    def __init__(self, embedder: Embedder, databases: Databases) -> None:
        self._embedder = embedder
        self._databases = databases
        self._built: dict[tuple[Any, ...], AsemSystem] = {}
        self._footprints: dict[tuple[Any, ...], dict[str, int]] = {}

    def make(self, name: str) -> RetrievalSystem:
        if name == "bm25":
            return BM25System()
        if name == "dense":
            return DenseSystem(self._embedder)
        if name not in RECIPES:
            raise KeyError(f"unknown system {name!r}; choose from {', '.join(ALL)}")
        return _SharedIndex(RECIPES[name], self)

    def index(self, recipe: Recipe, conversation_id: str, turns: Sequence[Any]
              ) -> tuple[AsemSystem, dict[str, int]]:
        """``recipe``'s system over ``conversation_id`` and the footprint of its index just
        after ingestion, ingesting only if no recipe with the same write path has done so."""
        key = (conversation_id, recipe.write_key)
        owner = self._built.get(key)
        if owner is None:
            path = self._databases.new(f"{conversation_id}-{len(self._built)}")
            owner = AsemSystem(path, self._embedder, recipe.config,
                               enricher=ENRICHERS[recipe.enricher](),
                               manager=MANAGERS[recipe.manager](recipe.config),
                               raw_content=recipe.raw_content)
            owner.name = recipe.name
            owner.index(conversation_id, turns)
            if recipe.expire_short_term_days is not None:
                simulate_expiry(owner.memory, conversation_id, turns,
                                recipe.expire_short_term_days)
            self._built[key] = owner
            self._footprints[key] = owner.footprint()
        return owner.reading_as(recipe.name, recipe.config), self._footprints[key]

    def close(self) -> None:
        for system in self._built.values():
            system.memory.close()
        self._databases.close()
        self._built.clear()
        self._footprints.clear()


class _SharedIndex:
    """A recipe's system whose ``index`` goes through the Builder (so builds are shared)."""

    def __init__(self, recipe: Recipe, builder: Builder) -> None:
        self.name = recipe.name
        self.ingest_seconds = 0.0
        self._recipe = recipe
        self._builder = builder
        self._system: AsemSystem | None = None
        self._footprint: dict[str, int] = {}

    def index(self, conversation_id: str, turns: Sequence[Any]) -> None:
        self._system, self._footprint = self._builder.index(self._recipe, conversation_id,
                                                            turns)
        self.ingest_seconds = self._system.ingest_seconds

    def rank(self, question: str, k: int, asked_at: datetime | None = None) -> list[str]:
        assert self._system is not None, "index a conversation first"
        return self._system.rank(question, k, asked_at)

    def footprint(self) -> dict[str, int]:
        """Notes, links and bytes on disk of the index just after ingestion."""
        return dict(self._footprint)
