"""Labelled fact streams for the correctness benchmark, generated from templates.

A stream is two or three things said in a row about one person, with the label of how
they relate and what a memory should then hold:

==========================  ==============================================  =======================
kind                        example                                         expected
==========================  ==============================================  =======================
atomic                      "I live in Boston." / "I work as a nurse."      two notes
unrelated-same-person       "Bob's secret bank PIN is 4321." /              two notes
                            "Bob is allergic to peanuts."
same-list                   "I'm allergic to peanuts." /                    both values kept (one
                            "I'm allergic to shellfish too."                list note is fine)
both-true                   "I visited Paris last summer." /                both kept, neither
                            "I visited Rome last summer."                   superseded
event                       "I read Dune last month." /                     two notes, each with
                            "I read Neuromancer last week."                 its date
change                      "I live in Boston." / "I moved to Denver."      the new value current,
                                                                            the old one not
retraction                  "I go to a book club every week." /             the activity no
                            "I stopped going to the book club."             longer current
==========================  ==============================================  =======================

A *family* is one kind of one attribute (``change:city``). Families marked held out, and
the last ``HELD_OUT_WORDINGS`` wordings of every list, appear only in the held-out split;
the training split (``split="train"``) is what the manager's training streams may draw on.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

KINDS = ("atomic", "unrelated-same-person", "same-list", "both-true", "event", "change",
         "retraction")
SPLITS = ("train", "held-out")
HELD_OUT_WORDINGS = 1
"""The last this many wordings of every list are said in held-out streams only."""


@dataclass(frozen=True)
class Fact:
    text: str
    """What is said."""
    marker: str
    """What a note must say to hold the fact: its value (or the whole text, for real data)."""
    probe: str
    """The question that should find it."""
    role: str = "keep"
    """``keep`` (true after the stream), ``stale`` (replaced or retracted) or ``cue`` (says
    the change or retraction; nothing to check)."""
    date: str | None = None
    """For an event: the date phrase its note must keep."""


@dataclass(frozen=True)
class CaseStream:
    kind: str
    family: str
    split: str
    facts: tuple[Fact, ...]
    source: str = "template"

    @property
    def keep(self) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.role == "keep")

    @property
    def stale(self) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.role == "stale")


@dataclass(frozen=True)
class Attribute:
    """One attribute of a person: its values, the wordings that state one, and the
    wordings that change, add to or retract it. ``{p}`` is the person (third-person
    attributes), ``{v}`` the value, ``{old}`` the value replaced, ``{d}`` a date."""

    name: str
    values: tuple[str, ...]
    state: tuple[str, ...]
    probe: str
    change: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    retract: tuple[str, ...] = ()
    held_out: tuple[str, ...] = ()
    """Kinds for which this attribute's family is held out."""


CITIES = ("Boston", "Denver", "Seattle", "Austin", "Chicago", "Portland", "Atlanta", "Miami",
          "Toronto", "Dublin")
SELF: tuple[Attribute, ...] = (
    Attribute("city", CITIES,
              ("I live in {v}.", "My home is in {v}.", "I'm based in {v}.", "Home for me is {v}.",
               "I reside in {v}.", "I've been living in {v} for a few years."),
              "Where do I live?",
              change=("I moved to {v}.", "I just relocated to {v}.", "I live in {v} now.",
                      "We moved from {old} to {v}.", "I left {old} and settled in {v}.",
                      "These days I'm living in {v}.")),
    Attribute("employer", ("Google", "Meta", "Apple", "Amazon", "Netflix", "Spotify", "IBM",
                           "Oracle", "Shopify"),
              ("I work at {v}.", "My employer is {v}.", "I have a job at {v}.",
               "I'm employed by {v}.", "I've worked for {v} since college."),
              "Which company do I work for?",
              change=("I now work at {v}.", "I joined {v} last month.", "I left {old} for {v}.",
                      "I switched jobs and work at {v} now.", "I started a new job at {v}.")),
    Attribute("food", ("pizza", "sushi", "tacos", "ramen", "curry", "lasagna", "dumplings",
                       "paella"),
              ("My favourite food is {v}.", "{v} is my favourite food.",
               "Nothing beats {v}, it's my favourite food.", "My favorite dish is {v}."),
              "What is my favourite food?",
              change=("My favourite food is {v} now.", "These days my favourite food is {v}.",
                      "I like {v} best now, more than {old}.",
                      "My new favourite food is {v}.")),
    Attribute("commute", ("bike", "train", "bus", "car", "scooter", "ferry"),
              ("I commute to work by {v}.", "I get to the office by {v}.",
               "Every day I take the {v} to work.", "My commute is by {v}."),
              "How do I get to work?",
              change=("I commute by {v} now.", "I switched from the {old} to the {v} for my "
                      "commute.", "These days I take the {v} to work.",
                      "Now I get to work by {v}."),
              held_out=("change", "atomic")),
    Attribute("phone", ("iPhone 15", "Pixel 8", "Galaxy S23", "Fairphone 5", "OnePlus 12"),
              ("My phone is a {v}.", "I use a {v} as my phone.", "I carry a {v}.",
               "The phone I have is a {v}."),
              "What phone do I have?",
              change=("I switched to a {v}.", "I replaced my {old} with a {v}.",
                      "My new phone is a {v}.", "I use a {v} now."),
              held_out=("change",)),
    Attribute("allergy", ("peanuts", "shellfish", "gluten", "pollen", "penicillin", "latex",
                          "cats", "sesame"),
              ("I'm allergic to {v}.", "I have an allergy to {v}.", "I get an allergic reaction "
               "from {v}.", "My doctor says I'm allergic to {v}."),
              "What am I allergic to?",
              more=("I'm allergic to {v} too.", "I'm also allergic to {v}.",
                    "Turns out I'm allergic to {v} as well.", "Another allergy of mine: {v}.",
                    "I found out I'm allergic to {v} too.")),
    Attribute("language", ("Spanish", "French", "German", "Italian", "Japanese", "Hindi",
                           "Arabic", "Polish"),
              ("I speak {v}.", "I'm fluent in {v}.", "I can hold a conversation in {v}.",
               "I grew up speaking {v}."),
              "Which languages do I speak?",
              more=("I also speak {v}.", "I speak {v} as well.", "I learned {v} too.",
                    "{v} is another language I speak."),
              held_out=("same-list",)),
    Attribute("visit", ("Paris", "Rome", "Lisbon", "Prague", "Vienna", "Kyoto", "Oslo",
                        "Athens"),
              ("I visited {v} last summer.", "Last summer I went to {v}.",
               "I spent a week in {v} last summer.", "I travelled to {v} last summer."),
              "Where did I travel last summer?",
              more=("I also visited {v} last summer.", "Last summer I went to {v} too.")),
    Attribute("instrument", ("piano", "guitar", "violin", "cello", "drums", "flute"),
              ("I play the {v}.", "I've played the {v} since school.", "I'm learning the {v}.",
               "I practise the {v} most evenings."),
              "Which instruments do I play?",
              more=("I also play the {v}.", "I play the {v} too.",
                    "I picked up the {v} as well."),
              held_out=("both-true",)),
    Attribute("job", ("nurse", "teacher", "chef", "architect", "pharmacist", "pilot",
                      "accountant", "librarian"),
              ("I work as a {v}.", "I'm a {v} by profession.", "My job is being a {v}.",
               "I earn my living as a {v}."),
              "What is my job?",
              change=("I became a {v}.", "I work as a {v} now.", "I quit being a {old} and "
                      "became a {v}.", "Now I'm a {v}.")),
    Attribute("club", ("book club", "choir", "yoga class", "chess club", "running club",
                       "pottery class"),
              ("I go to a {v} every week.", "I never miss my weekly {v}.",
               "Every Tuesday I attend my {v}.", "I joined a {v} that meets weekly."),
              "Which weekly group do I go to?",
              retract=("I stopped going to the {old}.", "I quit the {old}.",
                       "I no longer go to the {old}.", "I gave up the {old}.")),
    Attribute("subscription", ("Netflix", "Spotify", "Hulu", "Audible", "Disney+"),
              ("I subscribe to {v}.", "I pay for a {v} subscription.",
               "I have a {v} subscription.", "I'm a {v} subscriber."),
              "Which subscriptions do I pay for?",
              retract=("I cancelled my {old} subscription.", "I don't pay for {old} anymore.",
                       "I unsubscribed from {old}.", "I ended my {old} subscription."),
              held_out=("retraction",)),
    Attribute("sport", ("tennis", "soccer", "basketball", "golf", "squash", "volleyball"),
              ("I play {v} on Sundays.", "I'm on a {v} team.", "I play {v} twice a week.",
               "{v} is my sport."),
              "Which sport do I play?",
              retract=("I stopped playing {old}.", "I don't play {old} anymore.",
                       "I gave up {old}.", "I quit {old} after my injury.")),
)

PEOPLE = ("Bob", "Alice", "Priya", "Marco", "Chen", "Fatima", "Jonas", "Lena", "Tomás", "Aiko")
OTHERS: tuple[Attribute, ...] = (
    Attribute("person-pin", ("4321", "1234", "9876", "5555", "2468", "8642"),
              ("{p}'s secret bank PIN is {v}.", "{p} uses {v} as a bank PIN.",
               "The PIN of {p}'s bank card is {v}.", "{p}'s card PIN is {v}."),
              "What is {p}'s bank PIN?"),
    Attribute("person-allergy", ("peanuts", "shellfish", "gluten", "pollen", "penicillin", "latex"),
              ("{p} is allergic to {v}.", "{p} has a {v} allergy.",
               "{p} can't have {v} because of an allergy.", "{p} reacts badly to {v}."),
              "What is {p} allergic to?"),
    Attribute("person-birthday", ("March 3", "July 14", "October 9", "January 21", "May 30"),
              ("{p}'s birthday is on {v}.", "{p} was born on {v}.",
               "{p} celebrates a birthday every {v}.", "{v} is {p}'s birthday."),
              "When is {p}'s birthday?"),
    Attribute("person-city", CITIES,
              ("{p} lives in {v}.", "{p}'s home is in {v}.", "{p} is based in {v}.",
               "{p} has lived in {v} for years."),
              "Where does {p} live?",
              change=("{p} moved to {v}.", "{p} just relocated to {v}.",
                      "{p} lives in {v} now.", "{p} left {old} and moved to {v}."),
              held_out=("unrelated-same-person",)),
    Attribute("person-job", ("nurse", "teacher", "chef", "architect", "pharmacist", "pilot"),
              ("{p} works as a {v}.", "{p} is a {v} by trade.", "{p}'s job is being a {v}.",
               "{p} earns a living as a {v}."),
              "What is {p}'s job?",
              change=("{p} became a {v}.", "{p} works as a {v} now.",
                      "{p} quit being a {old} and became a {v}."),
              held_out=("change",)),
    Attribute("person-drink", ("coffee", "green tea", "orange juice", "kombucha", "hot chocolate"),
              ("{p} drinks {v} every morning.", "{p}'s favourite drink is {v}.",
               "{p} always orders {v}.", "{p} can't start the day without {v}."),
              "What does {p} drink?"),
)

DATES = ("last month", "last week", "yesterday", "two days ago", "on Monday", "last Friday",
         "in March", "this morning", "last weekend", "three weeks ago")
EVENTS: tuple[Attribute, ...] = (
    Attribute("read", ("Dune", "Neuromancer", "Beloved", "Middlemarch", "Foundation",
                       "Rebecca", "Ulysses", "Emma"),
              ("I read {v} {d}.", "I finished reading {v} {d}.", "{D} I read {v}.",
               "I got through {v} {d}."),
              "When did I read {v}?"),
    Attribute("watch", ("Inception", "Alien", "Casablanca", "Jaws", "Amelie", "Heat",
                        "Vertigo"),
              ("I watched {v} {d}.", "I saw {v} at the cinema {d}.", "{D} I watched {v}.",
               "I rewatched {v} {d}."),
              "When did I watch {v}?"),
    Attribute("visit", ("Paris", "Rome", "Lisbon", "Prague", "Vienna", "Kyoto", "Oslo"),
              ("I visited {v} {d}.", "I was in {v} {d}.", "{D} I went to {v}.",
               "I took a trip to {v} {d}."),
              "When was I in {v}?", held_out=("event",)),
    Attribute("cook", ("lasagna", "paella", "risotto", "curry", "pancakes", "goulash"),
              ("I cooked {v} {d}.", "I made {v} for dinner {d}.", "{D} I cooked {v}.",
               "I tried making {v} {d}."),
              "When did I cook {v}?"),
    Attribute("meet", ("Bob", "Alice", "Priya", "Marco", "Chen", "Fatima"),
              ("I had coffee with {v} {d}.", "I met {v} for lunch {d}.",
               "{D} I caught up with {v}.", "I ran into {v} {d}."),
              "When did I meet {v}?"),
)


SAME_TOPIC = frozenset({"job", "employer"})
"""Two attributes that speak of one thing: not said together in an atomic stream."""


_ARTICLE = re.compile(r"\b([Aa]) ([aeiou])")
""""a" before a vowel, made "an" ("a architect")."""


def family(kind: str, attribute: Attribute) -> str:
    return f"{kind}:{attribute.name}"


def _wordings(options: tuple[str, ...], split: str, held_family: bool) -> tuple[str, ...]:
    """Held-out families say every wording; training families split their wordings."""
    if split == "held-out" and held_family:
        return options
    if len(options) <= HELD_OUT_WORDINGS:
        return options if split == "train" else ()
    cut = len(options) - HELD_OUT_WORDINGS
    return options[:cut] if split == "train" else options[cut:]


def train_wordings(options: tuple[str, ...]) -> tuple[str, ...]:
    """The wordings of a list that training may use."""
    return _wordings(options, "train", False)


def families(kind: str) -> tuple[Attribute, ...]:
    """The attributes a kind is made of."""
    if kind == "atomic":
        return SELF
    if kind == "unrelated-same-person":
        return OTHERS
    if kind == "same-list":
        return tuple(a for a in SELF if a.more)
    if kind == "both-true":
        return tuple(a for a in SELF if a.more)
    if kind == "event":
        return EVENTS
    if kind == "change":
        return tuple(a for a in SELF + OTHERS if a.change)
    if kind == "retraction":
        return tuple(a for a in SELF if a.retract)
    raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def streams(split: str, per_kind: int, *, seed: int = 0,
            kinds: tuple[str, ...] = KINDS) -> list[CaseStream]:
    """``per_kind`` streams of every kind, from the families and wordings of ``split``.

    A stream of the held-out split comes from a held-out family or says only held-out
    wordings; no stream of the training split does either."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    out = []
    for kind in kinds:
        rng = random.Random(f"{split}:{kind}:{seed}")
        pool = list(families(kind))
        made = 0
        for _ in range(per_kind * 50):
            if made == per_kind:
                break
            attribute = rng.choice(pool)
            stream = _make(kind, attribute, split, rng)
            if stream is not None:
                out.append(stream)
                made += 1
    return out


def _make(kind: str, a: Attribute, split: str, rng: random.Random) -> CaseStream | None:
    held = kind in a.held_out
    if split == "train" and held:
        return None
    state = _wordings(a.state, split, held)
    person = rng.choice(PEOPLE)
    if kind in ("atomic", "unrelated-same-person"):
        pool = SELF if kind == "atomic" else OTHERS
        other = rng.choice([b for b in pool if kind not in b.held_out and b.name != a.name
                            and {a.name, b.name} != SAME_TOPIC])
        second = _wordings(other.state, split, held)
        if not state or not second:
            return None
        facts = (_state(a, rng.choice(state), rng.choice(a.values), person),
                 _state(other, rng.choice(second), rng.choice(other.values), person))
        return CaseStream(kind, family(kind, a), split, facts)
    if kind == "event":
        v1, v2 = rng.sample(a.values, 2)
        d1, d2 = rng.sample(DATES, 2)
        if not state:
            return None
        facts = tuple(_event(a, rng.choice(state), v, d) for v, d in ((v1, d1), (v2, d2)))
        return CaseStream(kind, family(kind, a), split, facts)
    v1, v2 = rng.sample(a.values, 2)
    first = _state(a, rng.choice(state), v1, person) if state else None
    if first is None:
        return None
    if kind == "both-true":
        second = _state(a, rng.choice(state), v2, person)
        return CaseStream(kind, family(kind, a), split, (first, second))
    if kind == "same-list":
        more = _wordings(a.more, split, held)
        if not more:
            return None
        second = _state(a, rng.choice(more), v2, person)
        return CaseStream(kind, family(kind, a), split, (first, second))
    if kind == "change":
        change = _wordings(a.change, split, held)
        if not change:
            return None
        said = rng.choice(change)
        new = Fact(_fill(said, v=v2, old=v1, p=person), v2, _fill(a.probe, p=person))
        return CaseStream(kind, family(kind, a), split, (_as(first, "stale"), new))
    retract = _wordings(a.retract, split, held)
    if not retract:
        return None
    said = Fact(_fill(rng.choice(retract), old=v1, p=person), v1, first.probe, "cue")
    return CaseStream(kind, family(kind, a), split, (_as(first, "stale"), said))


def _fill(template: str, **slots: str) -> str:
    said = _ARTICLE.sub(r"\1n \2", template.format(**slots))
    return said[0].upper() + said[1:]


def _state(a: Attribute, template: str, value: str, person: str) -> Fact:
    return Fact(_fill(template, v=value, p=person), value, _fill(a.probe, p=person))


def _event(a: Attribute, template: str, value: str, date: str) -> Fact:
    said = _fill(template, v=value, d=date, D=date[0].upper() + date[1:])
    return Fact(said, value, _fill(a.probe, v=value), date=date)


def _as(fact: Fact, role: str) -> Fact:
    return Fact(fact.text, fact.marker, fact.probe, role, fact.date)
