"""Text signals the policy features and the environment's answerer share.

Cheap, deterministic word-level cues: content words, names, numbers, and the phrases that
mark a retraction ("stopped", "no longer"), a change ("moved", "now") or an addition
("another", "also").
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)?")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")
STOPWORDS = frozenset(
    "a an the and or but if of to in on at for with from by as is are was were be been being "
    "i me my mine we us our you your he him his she her they them their it its this that these "
    "those there here have has had do does did so just very really too also now then than "
    "what which who whom how when where why not no yes oh ah um well about into over after "
    "before up down out more most some any all can could would should will shall may might "
    "am i'm i've i'd i'll im it's that's another other still again already yet even every "
    "each one same such own only much many few both either".split()
)
"""Function words, with the determiners and adverbs that carry no value of their own
("another", "still", "one"): they never count as what a statement is about."""
RETRACTION = ("stopped", "quit", "no longer", "anymore", "any more", "gave up", "give up",
              "giving up", "dropped out", "dropped", "don't go", "do not go", "cancelled",
              "canceled", "left the", "done with", "walked away", "for good", "no more",
              "retired from", "ended", "not going to", "stepped down")
"""A cue lexicon, not a list of the training templates: held-out wordings ("I gave up on
the book club") share its cues. See ``retracts`` for when a cue counts."""
NEGATED_CUES = frozenset(("anymore", "any more"))
"""Cues that retract only inside a negated clause: "I don't play chess anymore", but not
"Let me know if you need any more suggestions"."""
NEGATORS = frozenset(
    "not never cannot can't won't don't doesn't didn't isn't wasn't aren't weren't haven't "
    "hasn't hadn't wouldn't couldn't shouldn't".split())
_NEGATION_REACH = 6
"""Words before a cue that a negator reaches ("I don't play the cello anymore")."""
CHANGE = ("moved", "now", "switched", "changed", "new", "instead", "these days", "relocated",
          "sold", "replaced", "started working", "became", "since last")
ADDITION = ("another", "also", "second", "third", "one more", "as well", "too", "added")
CHITCHAT = frozenset(
    "haha hahaha lol wow cool nice great thanks thank awesome hi hey hello bye okay ok sure "
    "yeah yep totally absolutely amazing lovely fun funny glad happy sounds agree exactly "
    "congrats congratulations morning night weekend talk later soon care guess maybe "
    "hmm right interesting true enjoy hope".split()
)


CUE_WORDS = frozenset(w for cue in RETRACTION + CHANGE + ADDITION for w in cue.split())
"""Single words of the cue phrases: signals of what happens to a value, not values."""


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    return tuple(w.lower().strip("'’-") for w in _WORD.findall(text))


def stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


@lru_cache(maxsize=65536)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased words that are not stopwords, with a plural 's' folded."""
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS)


@lru_cache(maxsize=65536)
def names(text: str) -> frozenset[str]:
    """Capitalised words that do not start a sentence (and are no function words: "I'm")."""
    found = set()
    for sentence in sentences(text):
        tokens = _WORD.findall(sentence)
        found.update(t.lower() for t in tokens[1:]
                     if t[0].isupper() and t.lower() not in STOPWORDS)
    return frozenset(found)


@lru_cache(maxsize=65536)
def value_words(text: str) -> frozenset[str]:
    """Names, plus a capitalised first word that is no function, cue or chit-chat word and
    no interjection ("Spanish is another language I speak." → {"spanish"};
    "Honestly, I speak French." → {"french"}): a value can start the sentence."""
    found = set(names(text))
    for sentence in sentences(text):
        tokens = _WORD.findall(sentence)
        if not tokens or not tokens[0][0].isupper():
            continue
        first = tokens[0].lower()
        rest = sentence[sentence.find(tokens[0]) + len(tokens[0]):]
        if (first not in STOPWORDS and first not in CHITCHAT and first not in CUE_WORDS
                and not first.endswith("ly") and not rest.startswith((",", "!", ":"))):
            found.add(first)
    return frozenset(found)


def novelty(x: str, candidate: str) -> tuple[frozenset[str], frozenset[str]]:
    """Content words only x says and only the candidate says, cue and chit-chat words
    left out: what x adds ("Another instrument I play is the violin." next to "I play the
    piano." adds {instrument, violin}) and what it leaves unsaid ({piano})."""
    xw = content_words(x) - CUE_WORDS - CHITCHAT
    cw = content_words(candidate) - CUE_WORDS - CHITCHAT
    return xw - cw, cw - xw


def numbers(text: str) -> frozenset[str]:
    return frozenset(_NUMBER.findall(text))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.strip()) if s]


@lru_cache(maxsize=64)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(c.strip()) for c in sorted(cues, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])")


def has_cue(text: str, cues: tuple[str, ...]) -> bool:
    """One of ``cues`` occurs as whole words: "now" is not in "know", "ended" not in
    "attended", "too" not in "took"."""
    return _cue_pattern(cues).search(text.lower()) is not None


@lru_cache(maxsize=65536)
def retracts(text: str) -> bool:
    """``text`` says that something stopped: a retraction cue that is not itself negated
    ("I won't give up on it.", "Don't give up!" retract nothing) and, for "anymore", that
    sits in a negated clause.

    Retraction is the one cue that can delete a note, so a cue counts only when the
    sentence says what the cue says (LoCoMo's "don't give up!" and "any more suggestions"
    are encouragement and an offer, and answer questions).
    """
    lowered = text.lower().replace("’", "'")
    for match in _cue_pattern(RETRACTION).finditer(lowered):
        clause = re.split(r"[.!?;,]", lowered[:match.start()])[-1]
        before = words(clause)[-_NEGATION_REACH:]
        negated = any(w in NEGATORS for w in before)
        cue = match.group(0)
        if cue in NEGATED_CUES:
            if negated:
                return True
        elif cue.split()[0] in NEGATORS or not any(w in NEGATORS for w in before[-3:]):
            return True
    return False


def chitchat_share(text: str) -> float:
    """Share of the words that are interjections and pleasantries."""
    ws = words(text)
    return sum(w in CHITCHAT for w in ws) / len(ws) if ws else 1.0


def fact_words(text: str) -> frozenset[str]:
    """Content words that are not pleasantries: what a turn says beyond small talk."""
    return frozenset(w for w in content_words(text) if w not in CHITCHAT)


MAX_DISCARD_FACT_WORDS = 0
"""A turn with more fact words than this is never discarded: only pleasantries ("Thanks!",
"Haha, so funny!") may go. Any word beyond them may be what a question needs ("Yeah,
awesome! Glad to be part of it." answers a LoCoMo question), and discarding is the one
decision that cannot be undone; chit-chat with a word of substance goes to the short-term
tier instead."""


def discardable(text: str) -> bool:
    return len(fact_words(text)) <= MAX_DISCARD_FACT_WORDS


MAX_RESTATE_NEW = 2
"""x is "already known" to a note only if it adds at most this many content words to it
(and shares one): "Yes, Riley is my partner." restates "My partner is Riley."; "Wow, Maria,
how cute! What's her name?" does not restate "Thanks for your support, John."."""
MAX_AMEND_NEW = 4
"""An update brings a new or changed value into a note ("another dog, Scout"), not a new
story: x may update a note only if it adds at most this many content words to it."""


def _new_words(x: str, candidate: str) -> tuple[int, int]:
    """(content words x shares with the candidate, content words only x says)."""
    xw = content_words(x) - CUE_WORDS - CHITCHAT
    cw = content_words(candidate) - CUE_WORDS - CHITCHAT
    return len(xw & cw), len(xw - cw)


MAX_RETRACT_NEW = 2
"""A DELETE throws its input away only if the input adds at most this many content words
to the note it retracts ("You know what? I gave up tennis this year." adds "know", "year";
no retraction of the training or held-out streams adds more) and names no change."""


def retracts_only(x: str, candidate: str) -> bool:
    """x says nothing beyond retracting the candidate: no change cue ("became", "now",
    "switched", ...: a retraction that names a change states the new value too) and at
    most ``MAX_RETRACT_NEW`` content words the candidate does not say, cue words and
    pleasantries aside, a verb's "-ing" folded ("I stopped going to the support group."
    adds nothing to "I go to the support group on Tuesdays."). "I quit nursing and became
    a teacher." is more than a retraction of "I work as a nurse.": deleting the old job
    must not lose the new one. Nor is a retraction that names none of the candidate's
    content words: it says in words of its own what it retracts ("I don't eat meat
    anymore." of "I love steak."), and deleting the note would lose them. Nor is one with
    a part that does not retract and says ``MAX_RETRACT_NEW`` words of its own ("I don't
    like coffee anymore, I prefer tea." of "I like coffee.")."""
    if has_cue(x, CHANGE):
        return False
    said, noted = set(folded(x)), set(folded(candidate))
    return (bool(said & noted) and len(said - noted) <= MAX_RETRACT_NEW
            and not any(len(set(folded(part)) - noted) >= MAX_RETRACT_NEW
                        for part in _CONTRAST.split(x) if part and not retracts(part)))


def untouched(note: str, x: str) -> list[str]:
    """The note's sentences x does not touch, when one of them names a value: the other facts
    of a note that x retracts or changes only part of ("I adopted a dog named Buddy." of
    "I adopted a dog named Buddy. I adopted another dog named Scout." and "We gave Scout
    away and got a new dog."). x touches the sentences that name a value x names, or,
    when x names none of the note's values, those that share a content word with x.
    Empty when x touches none (which part it is about is unknown) or no untouched
    sentence names a value ("Funny you ask." and "I play it a lot." are no facts of
    their own)."""
    said = frozenset(folded(x))
    spoken = set(words(x))
    facts = [s for s in sentences(note) if fact_words(s)]
    named = [s for s in facts if value_words(s) & spoken]
    rest = [s for s in facts if s not in named] if named else [
        s for s in facts if not said.intersection(folded(s))]
    touched = len(rest) < len(facts)
    return rest if touched and any(value_words(s) for s in rest) else []


def negates(x: str, candidate: str) -> bool:
    """x denies something the candidate says: a negator with one of the candidate's content
    words within the next three words of its clause, where the candidate does not deny that
    word itself ("Scout is actually a cat, not a dog." of "I adopted a dog named Scout.";
    "I don't like sushi." of "I like sushi.")."""
    return bool(_denied(x) & (set(folded(candidate)) - _denied(candidate)))


@lru_cache(maxsize=65536)
def _denied(text: str) -> frozenset[str]:
    """Content words that follow a negator within three words, in the same clause."""
    found: set[str] = set()
    for clause in re.split(r"[.!?;,]", text.lower().replace("’", "'")):
        ws = words(clause)
        for i, w in enumerate(ws):
            if w in NEGATORS or w == "no":
                found.update(folded(" ".join(ws[i + 1:i + 4])))
    return frozenset(found)


def lists_more(note: str, x: str) -> bool:
    """The note lists a value x retracts next to one x does not, with "and" or "or" ("I play
    tennis and chess." and "I stopped playing chess."). What x retracts is what the parts
    of it that retract name: "I stopped playing tennis but I still play golf." retracts
    tennis, not golf."""
    retracting = [part for part in _CONTRAST.split(x) if retracts(part)]
    said = frozenset(folded(" ".join(retracting) if retracting else x))
    for sentence in sentences(note):
        parts = [folded(part) for part in LIST.split(sentence)]
        if any(left and right and (left[-1] in said) != (right[0] in said)
               for left, right in pairwise(parts)):
            return True
    return False


LIST = re.compile(r"\b(?:and|or)\b", re.IGNORECASE)
"""What joins the values of a list ("tennis and chess")."""
_CONTRAST = re.compile(r"[.!?;,]|\b(?:but|though|although|however|yet|while)\b", re.IGNORECASE)


def folded(text: str, leave_out: frozenset[str] = CUE_WORDS | CHITCHAT) -> list[str]:
    """Content words in order, a plural 's' and a verb's "-ing" folded, the words of
    ``leave_out`` (by default cue words and pleasantries) left out."""
    stems = (stem(w) for w in words(text) if w not in STOPWORDS)
    return [base(w) for w in stems if w not in leave_out]


def base(word: str) -> str:
    return word[:-3] if len(word) >= 5 and word.endswith("ing") else word


RELATIONS = frozenset((
    "sister", "brother", "sibling", "mother", "mom", "mum", "father", "dad", "parent",
    "grandmother", "grandma", "grandfather", "grandpa", "grandparent", "aunt", "uncle",
    "cousin", "niece", "nephew", "friend", "boss", "neighbor", "neighbour", "roommate",
    "flatmate", "coworker", "colleague", "classmate", "teammate",
))
"""People a sentence may speak of as "my …" whose facts are theirs, not the speaker's.
Children and partners are left out: "my daughter Emma", "my partner Riley" name someone in
the speaker's own life as one of the speaker's facts ("I have a daughter named Emma")."""


@lru_cache(maxsize=65536)
def relations(text: str) -> frozenset[str]:
    """The people of ``RELATIONS`` that ``text`` names as "my …" or "our …" (up to one word
    between: "my older sister"; possessives too: "my sister's home"): "My sister lives in
    Lisbon." → {"sister"}."""
    ws = tuple(stem(re.sub(r"['’]s$", "", w)) for w in words(text))
    return frozenset(w for i, w in enumerate(ws) if w in RELATIONS
                     and any(v in ("my", "our") for v in ws[max(0, i - 2):i]))


def related(x: str, candidate: str, cosine: float) -> bool:
    """x may be about what the candidate says: they share a content word, or their intent
    cosine reaches ``MIN_RELATED``."""
    return _new_words(x, candidate)[0] > 0 or cosine >= MIN_RELATED


MIN_RELATED = 0.2
"""Below this cosine, with no content word in common, x is not about the candidate: the
frozen answerer of training finds nothing below it either (``env.reward.MIN_SIMILARITY``).
Of the labelled targeted cases of 300 training streams that share no content word with
their target, 1 % fall below it ("latex is another thing I react to." on "I have an allergy
to peanuts."); of the other candidates that share none, about two thirds."""


def asks(text: str) -> bool:
    """``text`` ends on a question: it asks rather than states ("Nice! What made you decide to
    get that?"), so there is nothing in it to record as known, merge or retract."""
    return text.rstrip().endswith("?")


def restates(x: str, candidate: str) -> bool:
    shared, new = _new_words(x, candidate)
    return shared > 0 and new <= MAX_RESTATE_NEW


def amends(x: str, candidate: str) -> bool:
    return _new_words(x, candidate)[1] <= MAX_AMEND_NEW


@lru_cache(maxsize=65536)
def substance(text: str) -> str:
    """``text`` without its sentences of pleasantries only ("Oh nice! I play chess." →
    "I play chess."): what features compare. A turn of nothing but pleasantries is kept
    whole."""
    kept = [s for s in sentences(text) if fact_words(s)]
    return " ".join(kept) if kept else text.strip()


def normalised(text: str) -> str:
    return " ".join(words(text))


def merged(old: str, new: str) -> str:
    """The UPDATE-merge rule: keep both facts, the old sentence(s) first.

    "I adopted a dog named Buddy." + "I adopted another dog named Scout." →
    "I adopted a dog named Buddy. I adopted another dog named Scout."
    New sentences already present (by their words) are not repeated.
    """
    have = {normalised(s) for s in sentences(old)}
    extra = [s for s in sentences(new) if normalised(s) not in have]
    if not extra:
        return old
    head = old.rstrip()
    if head and head[-1] not in ".!?;":
        head += "."
    return " ".join([head, *extra])
