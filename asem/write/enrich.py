"""Note construction (SPEC stage 1) without an LLM: the extractive enricher.

Keyphrases come from YAKE, relative dates from ``asem.write.dates`` (dateparser), tags from
``asem.write.topics``; named entities and numbers are capitalised spans and numeric tokens.
An LLM enricher implements the same ``Enricher`` protocol.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from asem.types import Enrichment
from asem.write.dates import describe, format_day, resolve_dates
from asem.write.topics import tags_for


class Enricher(Protocol):
    """Adds keywords, tags, context, entities and resolved dates to raw content."""

    def enrich(self, items: Sequence[EnrichInput]) -> list[Enrichment]:
        """One Enrichment per item, in order. Must not raise on odd text."""
        ...


class EnrichInput(Protocol):
    content: str
    speaker: str | None
    observed_at: datetime


_ENTITY = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of|the|de|van)?\s*[A-Z][\w'’-]*)*")
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d[\d,.]*"
    r"(?:\s?%|\s?(?:kids?|km|kg|k|miles?|years?|months?|weeks?|days?|hours?|minutes?|dogs?|cats?)\b)?"
)
_NOT_NAMES = frozenset(
    "i i'm i've i'll i'd im hey hi hello oh wow yeah yes no ok okay thanks thank sure so and "
    "but the a an it it's its that this these those my we we're our you you're your he she "
    "they what when where why how who which just also really well great good awesome "
    "congrats congratulations haha lol omg nice cool sounds absolutely definitely totally "
    "aw aww yep nope hmm anyway btw yesterday today tonight tomorrow last next monday tuesday "
    "wednesday thursday friday saturday sunday".split()
)


def entities_of(text: str) -> tuple[str, ...]:
    """Capitalised spans that are not sentence-starting filler words, and numbers."""
    seen: dict[str, None] = {}
    for match in _ENTITY.finditer(text):
        span = match.group(0).strip(" '’-")
        words = span.split()
        while words and words[0].lower().strip("!,.?") in _NOT_NAMES:
            words = words[1:]
        if words:
            seen.setdefault(" ".join(words), None)
    for match in _NUMBER.finditer(text):
        seen.setdefault(match.group(0).strip(" ,."), None)
    return tuple(s for s in seen if s)


class ExtractiveEnricher:
    """Deterministic, offline note construction.

    ``resolve_dates=False`` leaves relative time expressions unresolved (no dates, no date
    phrases in the context): the benchmark's ablation of date resolution.
    """

    def __init__(self, max_keywords: int = 5, *, resolve_dates: bool = True) -> None:
        self._max_keywords = max_keywords
        self.resolve_dates = resolve_dates
        self._yake: Any = None

    def _keyphrases(self, text: str) -> tuple[str, ...]:
        if self._yake is None:
            import yake  # imported lazily: it takes ~0.7 s

            self._yake = yake.KeywordExtractor(lan="en", n=2, top=self._max_keywords,
                                               dedupLim=0.7)
        try:
            phrases = self._yake.extract_keywords(text)
        except Exception:  # YAKE raises on some degenerate inputs (e.g. only punctuation)
            return ()
        return tuple(
            p for p, _ in phrases if not any(w.lower() in _NOT_NAMES for w in p.split())
        )

    def enrich(self, items: Sequence[EnrichInput]) -> list[Enrichment]:
        return [self._one(item) for item in items]

    def _one(self, item: EnrichInput) -> Enrichment:
        keywords = self._keyphrases(item.content)
        dates = resolve_dates(item.content, item.observed_at) if self.resolve_dates else ()
        context = ", ".join(
            [part for part in (item.speaker, f"on {format_day(item.observed_at)}") if part]
        )
        if dates:
            context += "; " + "; ".join(f"{d.phrase} = {describe(d)}" for d in dates)
        return Enrichment(
            keywords=keywords,
            tags=tags_for(item.content),
            context=context,
            entities=entities_of(item.content),
            dates=dates,
        )
