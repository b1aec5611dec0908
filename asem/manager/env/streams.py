"""Seeded streams of events about one person, each with probe questions on the current truth.

Event kinds and the canonical decision each deserves:

=============  ===========================================  ===========================
kind           example                                      canonical decision
=============  ===========================================  ===========================
novel          "I adopted a dog named Buddy."               ADD (long-term)
complementary  "I adopted another dog named Scout."         UPDATE (merge) the dog note
changed        "I moved from Boston to Denver."             UPDATE (replace) the city
retracted      "I stopped going to the support group."      DELETE the group note
duplicate      the same statement again                     NOOP
paraphrase     "My dog Buddy loves the beach."              NOOP
chit-chat      "Haha, that's so funny!"                     discard (or short-term)
episode        "I went hiking at Bear Lake with my dog      ADD: an event of its own
               Buddy last weekend."
=============  ===========================================  ===========================

Some fact turns open with a conversational phrase ("Haha yes! …"), as turns of a chat do.
Two kinds of probe follow every event: one per slot mentioned so far (its current truth),
and one per episode so far, which the answerer must find by its own turn (evidence recall:
an episode buried in a note that holds many turns is not found).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from asem.manager.env.templates import (
    AFFIRMATIONS,
    CHATTY,
    CHATTY_HELD_OUT,
    CHITCHAT,
    CHITCHAT_HELD_OUT,
    CORRECTIVES,
    DATED_EVENTS,
    DATES,
    EPISODES,
    HELD_OUT_EPISODES,
    HELD_OUT_PHRASINGS,
    HELD_OUT_SLOTS,
    PEOPLE,
    SLOTS,
    TRAINING_ONLY_SLOTS,
    Slot,
)

KINDS = ("novel", "complementary", "changed", "retracted", "duplicate", "paraphrase",
         "chit-chat", "episode")
CHATTY_SHARE = 0.3
"""Share of fact turns that open with a conversational phrase."""
AFFIRMED_SHARE = 0.4
"""Share of training restatements that open with an affirmation ("Right, …")."""
DATED_SHARE = 0.12
"""Share of training steps that say a dated event ("I read Dune last month.")."""
CORRECTION_SHARE = 0.35
"""Share of training changes said as a plain statement of the new value, with no change
word ("I work as a paramedic." of "I work as a nurse."), half of them opened with a
corrective ("Actually, …")."""
CORRECTIVE_SHARE = 0.15
"""Share of training restatements opened with a corrective ("Actually, I live in Boston."
of "I live in Boston."): nothing new, NOOP."""
TRAIN_PARAPHRASE_WEIGHT = 3
"""How many times a live slot's restatement is among a training follow-up's options (test
streams: once)."""


@dataclass(frozen=True)
class Event:
    text: str
    kind: str
    slot: str | None
    """The slot the event speaks of (None for chit-chat)."""


@dataclass(frozen=True)
class Probe:
    question: str
    slot: str
    kind: str
    """The slot's kind: ``list``, ``single`` or ``activity``; ``detail`` for an episode."""
    gold: frozenset[str] | str | None
    """A set of values (list slots), one value, or None (retracted: nothing to recall)."""
    vocabulary: tuple[str, ...]
    """Values the answerer may extract for this slot."""
    turn: int | None = None
    """For an episode's probe: the event the answer was said in (its evidence turn)."""


@dataclass
class Stream:
    seed: int
    split: str
    events: list[Event] = field(default_factory=list)
    probes_after: list[list[Probe]] = field(default_factory=list)
    """probes_after[t]: the probes on the truth right after event t (slots known so far)."""

    @property
    def final_probes(self) -> list[Probe]:
        return self.probes_after[-1] if self.probes_after else []


def _phrasings(options: tuple[str, ...], split: str) -> tuple[str, ...]:
    if len(options) <= HELD_OUT_PHRASINGS:
        return options
    return options[-HELD_OUT_PHRASINGS:] if split == "test" else options[:-HELD_OUT_PHRASINGS]


def slots_for(split: str) -> list[Slot]:
    """Training slots exclude the held-out ones; test streams use every slot but the
    training-only ones."""
    excluded = TRAINING_ONLY_SLOTS if split == "test" else HELD_OUT_SLOTS
    return [s for s in SLOTS if s.name not in excluded]


def chitchat_for(split: str) -> tuple[str, ...]:
    return CHITCHAT[-CHITCHAT_HELD_OUT:] if split == "test" else CHITCHAT[:-CHITCHAT_HELD_OUT]


def _held(options: tuple, held_out: int, split: str) -> tuple:
    return options[-held_out:] if split == "test" else options[:-held_out]


def generate(seed: int, split: str = "train", n_slots: int = 6, n_extra: int = 14) -> Stream:
    """A stream of ``n_slots`` novel facts interleaved with ``n_extra`` follow-ups."""
    if split not in ("train", "test"):
        raise ValueError("split must be 'train' or 'test'")
    rng = random.Random(f"{split}:{seed}")
    person = random.Random(f"person:{split}:{seed}").choice(PEOPLE)
    pool = [_personal(s, person) for s in slots_for(split)]
    if split == "test":  # every test stream has at least one held-out slot
        held = [s for s in pool if s.name in HELD_OUT_SLOTS]
        rest = [s for s in pool if s.name not in HELD_OUT_SLOTS]
        chosen = [rng.choice(held)] + rng.sample(rest, n_slots - 1)
    else:
        chosen = rng.sample(pool, n_slots)
    rng.shuffle(chosen)
    truth: dict[str, list[str]] = {}
    said: list[Event] = []
    stream = Stream(seed, split)
    pending = list(chosen)
    frames = list(_held(EPISODES, HELD_OUT_EPISODES, split))
    rng.shuffle(frames)
    episodes: list[Probe] = []

    def emit(event: Event) -> None:
        if event.kind not in ("chit-chat", "duplicate") and rng.random() < CHATTY_SHARE:
            opener = rng.choice(_held(CHATTY, CHATTY_HELD_OUT, split))
            event = Event(opener + event.text, event.kind, event.slot)
        stream.events.append(event)
        if event.kind not in ("chit-chat", "episode"):
            said.append(event)
        stream.probes_after.append(_probes(chosen, truth, split) + episodes)

    def pick(options: tuple[str, ...]) -> str:
        return rng.choice(_phrasings(options, split))

    dated = rng.sample(DATED_EVENTS, 2) if split == "train" else []
    said_dated: set[str] = set()
    for step in range(n_slots + n_extra):
        if dated and step >= 1 and rng.random() < DATED_SHARE:
            event, probe = _dated(rng, rng.choice(dated), len(stream.events), said_dated)
            episodes.append(probe)
            emit(event)
            continue
        if pending and (step < 2 or rng.random() < 0.45 or len(pending) + step >= n_slots
                        + n_extra):
            slot = pending.pop()
            value = rng.choice(slot.values)
            truth[slot.name] = [value]
            emit(Event(pick(slot.novel).format(v=value), "novel", slot.name))
            continue
        event = _follow_up(rng, chosen, truth, said, split, pick, bool(frames))
        if event.kind == "episode":
            event, probe = _episode(rng, frames.pop(), event.slot, truth, len(stream.events))
            episodes.append(probe)
        emit(event)
    return stream


def _personal(slot: Slot, person: str) -> Slot:
    """The slot with ``{p}`` said as ``person`` (slots about someone else)."""
    def say(options: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(o.replace("{p}", person) for o in options)
    return Slot(slot.name, slot.kind, slot.values, say(slot.probes), say(slot.novel),
                say(slot.more), say(slot.change), say(slot.retract), say(slot.para),
                slot.about)


def _dated(rng: random.Random, frame: tuple[str, str, tuple[str, ...]], turn: int,
           said: set[str]) -> tuple[Event, Probe]:
    """A dated event ("I read Dune last month.") and the question on its date; its value
    is one the stream has not said yet (``said`` gains it)."""
    template, question, values = frame
    value = rng.choice([v for v in values if v not in said] or list(values))
    date = rng.choice(DATES)
    said.add(value)
    said = template.format(v=value, d=date, D=date[0].upper() + date[1:])
    slot_id = f"episode:{turn}"
    return (Event(said, "episode", slot_id),
            Probe(question.format(v=value), slot_id, "detail", date, (date,), turn))


def _episode(rng: random.Random, frame: tuple[str, str, tuple[str, ...]], slot_name: str | None,
             truth: dict[str, list[str]], turn: int) -> tuple[Event, Probe]:
    """An event naming a known value of ``slot_name``, and the question on its detail."""
    template, question, details = frame
    slot = next(s for s in SLOTS if s.name == slot_name)
    about, detail = slot.about.format(v=rng.choice(truth[slot.name])), rng.choice(details)
    said = template.format(a=about, d=detail)
    slot_id = f"episode:{turn}"
    return (Event(said[0].upper() + said[1:], "episode", slot_id),
            Probe(question, slot_id, "detail", detail, (detail,), turn))


def _follow_up(rng: random.Random, chosen: list[Slot], truth: dict[str, list[str]],
               said: list[Event], split: str, pick, episodes_left: bool) -> Event:
    """A follow-up event; an ``episode`` comes back as a placeholder naming its slot."""
    live = [s for s in chosen if truth.get(s.name)]
    options: list[tuple[str, Slot | None]] = [("chit-chat", None)] * 2
    for s in live:
        options += [("paraphrase", s)] * (TRAIN_PARAPHRASE_WEIGHT if split == "train" else 1)
        if episodes_left and s.about:
            options += [("episode", s)] * 2
        if s.kind == "list" and len(truth[s.name]) < 3:
            options += [("complementary", s)] * 3
        if s.kind == "single" and s.change:
            options += [("changed", s)] * 2
        if s.kind == "activity":
            options += [("retracted", s)] * 3
    if said:
        options.append(("duplicate", None))
    kind, slot = rng.choice(options)
    if kind == "chit-chat":
        return Event(rng.choice(chitchat_for(split)), kind, None)
    if kind == "duplicate":
        live_names = {s.name for s in live}
        repeat = [e for e in said if e.slot in live_names and e.kind in ("novel", "paraphrase")]
        if repeat:
            last = rng.choice(repeat)
            if any(v in last.text for v in truth[last.slot or ""]):
                return Event(last.text, kind, last.slot)
        return Event(rng.choice(chitchat_for(split)), "chit-chat", None)
    assert slot is not None
    values = truth[slot.name]
    if kind == "episode":
        return Event("", kind, slot.name)
    if kind == "paraphrase":
        return Event(_restatement(rng, slot, split, pick).format(v=rng.choice(values)), kind,
                     slot.name)
    if kind == "retracted":
        old = values[0]
        truth[slot.name] = []
        return Event(pick(slot.retract).format(old=old), kind, slot.name)
    new = rng.choice([v for v in slot.values if v not in values])
    if kind == "complementary":
        truth[slot.name] = values + [new]
        return Event(pick(slot.more).format(v=new), kind, slot.name)
    truth[slot.name] = [new]
    if split == "train" and rng.random() < CORRECTION_SHARE:
        return Event(_correction(rng, slot, split).format(v=new), kind, slot.name)
    return Event(pick(slot.change).format(v=new, old=values[0]), kind, slot.name)


def _correction(rng: random.Random, slot: Slot, split: str) -> str:
    """A change said with no change word: a plain statement of the new value (a training
    wording of the slot's fact), half of them opened with a corrective."""
    said = rng.choice(_phrasings(slot.novel, split) + _phrasings(slot.para, split))
    if rng.random() < 0.5:
        said = _opened(rng.choice(CORRECTIVES), said)
    return said


def _opened(opener: str, said: str) -> str:
    """``said`` after ``opener``, its first letter lower-cased unless a value or "I"
    begins it."""
    first = said.split(" ", 1)[0]
    if first != "I" and not first.startswith("{"):
        said = said[0].lower() + said[1:]
    return opener + said


def _restatement(rng: random.Random, slot: Slot, split: str, pick) -> str:
    """A restatement of a known value. Training draws it from the paraphrases and the
    novel phrasings alike (any wording of a known fact restates it), some opened with an
    affirmation; test streams use the held-out paraphrase."""
    if split == "test":
        return pick(slot.para)
    said = rng.choice(_phrasings(slot.para, split) + _phrasings(slot.novel, split))
    draw = rng.random()
    if draw < AFFIRMED_SHARE:
        said = rng.choice(AFFIRMATIONS) + said[0].lower() + said[1:]
    elif draw < AFFIRMED_SHARE + CORRECTIVE_SHARE:
        said = _opened(rng.choice(CORRECTIVES), said)
    return said


def _probes(chosen: list[Slot], truth: dict[str, list[str]], split: str) -> list[Probe]:
    """One probe per slot mentioned so far; test streams ask with a held-out phrasing."""
    probes = []
    for slot in chosen:
        if slot.name not in truth:
            continue
        values = truth[slot.name]
        gold: frozenset[str] | str | None
        if slot.kind == "list":
            gold = frozenset(values)
        else:
            gold = values[0] if values else None
        question = slot.probes[-1] if split == "test" else slot.probes[0]
        probes.append(Probe(question, slot.name, slot.kind, gold, slot.values))
    return probes
