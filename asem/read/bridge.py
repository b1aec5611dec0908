"""A second hop of retrieval through bridge entities, for questions that take two steps.

"What is the name of the waterfall in the country where the Bubye River is found?" names the
river but not the country; the note that answers it (Victoria Falls) shares no word with the
question except "waterfall" and is about Zimbabwe, which only the river's note names. One
search finds the river's note; searching again with the question plus that note's entities
("Zimbabwe", "Limpopo River") finds the waterfall. This is iterative retrieval without a
language model: the entities the enricher extracted stand in for the intermediate answer.

The hits are merged as chains: each of the first hits that started a second search is
followed by the best new note of that search, so both halves of an answer sit side by side
near the top; every other note follows by reciprocal-rank fusion of all the searches
(Cormack et al., 2009: score = Σ 1 / (60 + rank)).
"""

from __future__ import annotations

from collections.abc import Sequence

from asem.read.rank import Ranked
from asem.types import Note

RRF_K = 60
"""Reciprocal-rank fusion constant (the value of Cormack et al.)."""


def bridge_query(query: str, note: Note, limit: int) -> str | None:
    """``query`` plus up to ``limit`` of ``note``'s entities that it does not name (numbers
    and dates left out: they rarely name what the next step is about); None if none is new."""
    asked = query.lower()
    new = [e for e in note.entities
           if e.strip() and e.lower() not in asked and not e.replace(".", "").isdigit()]
    return f"{query} {' '.join(new[:limit])}" if new else None


def chain_merge(first: Sequence[Ranked], follow_ups: Sequence[Sequence[Ranked] | None]
                ) -> list[Ranked]:
    """One ranking from the first search and the second searches of its top hits.

    ``follow_ups[j]`` is the ranking of the search started from ``first[j]`` (None where no
    search was started). Returned scores are fused-rank scores, decreasing down the list.
    """
    order: dict[str, Ranked] = {}
    for seed, follow in zip(first, follow_ups, strict=False):
        order.setdefault(seed.note_id, seed)
        for hit in follow or ():
            if hit.note_id not in order:
                order[hit.note_id] = hit
                break
    fused: dict[str, float] = {}
    found: dict[str, Ranked] = {}
    for ranking in (first, *(f for f in follow_ups if f)):
        for position, hit in enumerate(ranking, start=1):
            fused[hit.note_id] = fused.get(hit.note_id, 0.0) + 1.0 / (RRF_K + position)
            found.setdefault(hit.note_id, hit)
    for note_id in sorted(fused, key=lambda i: -fused[i]):
        order.setdefault(note_id, found[note_id])
    return [Ranked(r.note_id, 1.0 / (RRF_K + position), r.similarity, r.lexical)
            for position, r in enumerate(order.values(), start=1)]
