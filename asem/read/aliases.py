"""Names in a question that are not speaker labels, resolved to the label they stand for.

"What did Mel paint?" asks about the speaker whose turns are labelled "Melanie"; the speaker
prefix that the notes are embedded with ("Melanie: ...") and the lexical index then match
nothing the question says. The names each speaker is addressed by are learned from the
conversation as it is written (``asem.write.addressed``); a question's name that stands
for exactly one speaker is replaced by that speaker's label before the search.

A name stands for speaker S when it addressed S at least ``min_uses`` times, and S said it
themselves, and it addressed anyone else, each at most ``max_share`` times as often: a
nickname is said to someone, not by them, and not to everyone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from asem.config import ReadConfig
from asem.stores.base import NameStore, NameUse, Store
from asem.types import Scope


def aliases(uses: Iterable[NameUse], min_uses: int, max_share: float) -> dict[str, str]:
    """Name → the speaker label it stands for (labels themselves left out)."""
    addressed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    said: dict[tuple[str, str], int] = defaultdict(int)
    labels: set[str] = set()
    for use in uses:  # rows of several agents add up
        addressed[use.name][use.speaker] += use.addressed
        said[use.speaker, use.name] += use.said
        labels.add(use.speaker)
    found: dict[str, str] = {}
    lower_labels = {label.lower() for label in labels}
    for name, by_speaker in addressed.items():
        if name.lower() in lower_labels:
            continue
        speaker, count = max(by_speaker.items(), key=lambda item: (item[1], item[0]))
        others = sum(by_speaker.values()) - count
        if (count >= min_uses and said[speaker, name] <= max_share * count
                and others <= max_share * count):
            found[name] = speaker
    return found


def resolved(query: str, names: Mapping[str, str]) -> str:
    """``query`` with each whole-word, same-case occurrence of a known name replaced by the
    label it stands for (longest names first, so "Jo Smith" wins over "Jo")."""
    if not names:
        return query
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in
                                           sorted(names, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], query)


_CAPITALISED = re.compile(r"\b[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?")


def named_in(query: str) -> list[str]:
    """The capitalised words of ``query`` (and pairs of them), the names it may use."""
    found = []
    for match in _CAPITALISED.finditer(query):
        found.append(match.group(0))
        found.extend(match.group(0).split(" ")[:2] if " " in match.group(0) else ())
    return list(dict.fromkeys(found))


def resolve_names(query: str, scope: Scope, store: Store, config: ReadConfig) -> str:
    """``query`` with the names it uses for the speakers of ``scope`` replaced by their
    labels (unchanged where the store keeps no names, ``asem.stores.base.NameStore``)."""
    asked = named_in(query)
    if not asked or not isinstance(store, NameStore):
        return query
    uses = store.names(scope.user_id, scope.agent_id, asked)
    return resolved(query, aliases(uses, config.alias_min_uses, config.alias_max_share))
