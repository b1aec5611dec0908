"""Query terms for the lexical (BM25) channel: words minus English stopwords."""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w']+")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's with won't would
    wouldn't you you'd you'll you're you've your yours yourself yourselves s t will just also
    would like likely kind""".split()
)


def query_terms(query: str) -> list[str]:
    """Distinct lower-cased words of ``query`` that carry meaning, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 1 and word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


_TOTAL = re.compile(r"\bhow (?:many|much)\b|\b(?:in )?total\b|\baltogether\b|\bin all\b")


def asks_for_total(query: str) -> bool:
    """The question counts or sums over every instance of something ("How many doctors did
    I visit?", "What is the total weight of the feed I bought?"): its evidence is spread over
    many notes on one topic."""
    return _TOTAL.search(query.lower()) is not None
