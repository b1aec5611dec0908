"""How the speakers of a conversation are addressed: the names each one is called by.

Questions name people the way people talk about them ("What did Mel paint?") while turns are
labelled the way the input named the speaker ("Melanie"). The conversation itself says which
names stand for whom: the other speaker calls Melanie "Mel" ("Hey Mel!", "Thanks, Mel."),
and Melanie herself never says "Mel". So every turn counts, for the person it is said to
(the latest other speaker of its scope), the names it addresses them by (a capitalised name
closing its clause after a comma or after one opening word), and, for its own speaker, the
capitalised words they say themselves. A name opening a turn before a comma ("Mel, look")
is not counted: on LoCoMo that position is mostly one speaker's habitual interjection
("Agreed,", "Yup,"), which the counts cannot tell from a name. Resolution
(``asem.read.aliases``) keeps a name used to address one speaker and rarely said by that
speaker or used to address anyone else: interjections ("Wow!", "Thanks,") are said by
everyone, a pet's name is said by its owner. No list of nicknames.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asem.stores.base import NameStore, NameUse, Store, Turn
from asem.write.inputs import WriteInput

_NAME = r"[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)?"
_ADDRESS = re.compile(
    rf",\s*({_NAME})(?=\s*[,.!?])"                               # "Thanks, Jo!", "..., Mel."
    rf"|(?:^|(?<=[.!?])\s+)[A-Z][a-z]*\s+({_NAME})(?=\s*[,!])")  # "Hey Mel!", "Hi Cal, ..."
_CAPITALISED = re.compile(r"\b[A-Z][a-z'\-]+\b")
_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)")


@dataclass(frozen=True)
class SaidTurn:
    """One turn as the learning needs it: who said it, to whom, and what."""

    user_id: str
    agent_id: str
    speaker: str
    to: str
    """Whom it was said to: the latest other speaker of its scope ("" for none)."""
    text: str


def address_names(text: str) -> list[str]:
    """The names ``text`` addresses someone by, in order (may repeat)."""
    plain = _BRACKETED.sub(" ", text)
    return [next(g for g in m.groups() if g) for m in _ADDRESS.finditer(plain)]


def name_uses(turns: Iterable[SaidTurn]) -> list[NameUse]:
    """The counts ``turns`` add: per (scope, speaker, name), how often the name addressed
    the speaker (in a turn said to them by someone else) and how often the speaker said
    that word themselves."""
    addressed: Counter[tuple[str, str, str, str]] = Counter()
    said: Counter[tuple[str, str, str, str]] = Counter()
    for turn in turns:
        if not turn.speaker:
            continue
        if turn.to and turn.to != turn.speaker:
            for name in address_names(turn.text):
                addressed[turn.user_id, turn.agent_id, turn.to, name] += 1
        for word in _CAPITALISED.findall(_BRACKETED.sub(" ", turn.text)):
            said[turn.user_id, turn.agent_id, turn.speaker, word] += 1
    # A "said" count matters only beside an "addressed" one, but the name may be addressed
    # in a later write: every capitalised word is counted (a few hundred per speaker).
    keys = set(addressed) | set(said)
    return [NameUse(*key, addressed=addressed[key], said=said[key]) for key in sorted(keys)]


LOOKBACK = 64
"""How many stored turns back the speakers before a batch are looked for."""


def said_turns(said: Sequence[tuple[Turn, str]], before: Sequence[Turn]) -> list[SaidTurn]:
    """Each (turn, text), said in this order after ``before``, with the person it was said
    to: the latest other known speaker of its scope (a conversation's opening "Hey Mel!"
    addresses whoever spoke last, in the session before)."""
    recent: dict[tuple[str, str], list[str]] = {}
    for turn in [*before, *(t for t, _ in said)]:
        if turn.speaker:
            recent.setdefault((turn.user_id, turn.agent_id), [])
    for turn in before:
        _spoke(recent, turn)
    out = []
    for turn, text in said:
        if not turn.speaker:
            continue
        to = next((s for s in recent.get((turn.user_id, turn.agent_id), ())
                   if s != turn.speaker), "")
        out.append(SaidTurn(turn.user_id, turn.agent_id, turn.speaker, to, text))
        _spoke(recent, turn)
    return out


def _spoke(recent: dict[tuple[str, str], list[str]], turn: Turn) -> None:
    """Put ``turn``'s speaker first among the speakers of its scope, latest first."""
    speakers = recent.get((turn.user_id, turn.agent_id))
    if speakers is None or not turn.speaker:
        return
    if turn.speaker in speakers:
        speakers.remove(turn.speaker)
    speakers.insert(0, turn.speaker)


def uses_in_batch(items: Sequence[WriteInput], turns: Sequence[Turn | None],
                  store: Store) -> list[NameUse]:
    """The name counts a batch adds: ``turns[i]`` is ``items[i]`` as a turn of its
    conversation (None: not stored as one). Read before the batch is written, so the
    speakers before it are those of the stored turns."""
    if not isinstance(store, NameStore):
        return []
    said = [(t, item.content) for item, t in zip(items, turns, strict=True)
            if t is not None and t.speaker]
    before = [t for user in sorted({t.user_id for t, _ in said})
              for t in store.vector_index(user).turns[-LOOKBACK:]]
    return name_uses(said_turns(said, before))
