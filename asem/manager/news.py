"""What makes an input news about a note by the shape of what it says: the note's sentence
said again with another value ("My favourite colour is green." of "My favourite colour is
blue."), or more than the note in words no paraphrase would use instead ("I work as a nurse
at Mercy Hospital." of "I work as a nurse."); and how an elaboration is applied
(``adds_to``). Decision-time signals, read by no training feature. Other news ("Max is
sick.", "I finished Dune.") is read by a learned reading (``known``), and whether news
replaces what its note says by another (``replaces``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from asem.manager import text

HEDGES = frozenset(("actually", "fact", "correction", "meant", "called", "named", "honestly",
                    "definitely", "truly", "certainly", "basically", "literally", "seriously"))
"""Words that say how something is said or named, not what: left out when comparing two
sayings ("a dog called Buddy" and "a dog named Buddy")."""
MAX_SPELLING = 0.75
"""Two words this alike (difflib ratio) are one word spelt two ways ("favorite" and
"favourite"), not a swap."""
MILESTONES = frozenset(("finished", "completed", "started", "began", "joined", "graduated",
                        "published", "passed", "won", "failed", "found", "sold", "bought",
                        "married", "engaged", "released", "launched"))
"""Words that say a state began or ended, or something was reached: said beside a note
that does not say them, news of it ("I finished Dune." of "I'm reading Dune.", "I passed
my driving test." of "I'm taking driving lessons."). A cue lexicon, as ``text.CHANGE``."""


def about(x: str, candidate: str) -> bool:
    """x is news about the candidate by the shape of what it says: it says it with another
    value, or it elaborates on it. Never already known. The other news (a correction,
    a milestone, what befell something the note names, one value more, a clause of the
    speaker's own) is read by ``known``."""
    return swaps_value(x, candidate) or elaborates(x, candidate)


def of_speaker(x: str) -> bool:
    """x says a fact of its speaker: a first-person word and a word beyond pleasantries ("I
    live in Boston as well."; not "Thanks so much!" nor "I'm so happy for you!"). Recorded
    on another speaker's note, it would be lost: that note says who said it first."""
    return bool(_SPEAKER & set(text.words(x))) and bool(text.fact_words(x))


@lru_cache(maxsize=65536)
def _sayings(said: str) -> tuple[str, ...]:
    """Content words in order, cue words and hedges left out, "-ing" folded (pleasantries
    kept: "night" is one)."""
    return tuple(text.folded(said, _SAYING_OUT))


_SAYING_OUT = text.CUE_WORDS | HEDGES


def _spelt_alike(new: Sequence[str], old: Sequence[str]) -> bool:
    """A word of ``new`` is one of ``old`` spelt another way ("favorite", "favourite")."""
    return any(SequenceMatcher(None, a, b).ratio() >= MAX_SPELLING for a in new for b in old)


def swaps_value(x: str, candidate: str) -> bool:
    """A sentence of x says a sentence of the candidate again with another value: the same
    content words in the same order, one or two of them after the first replaced by as many
    others ("My favourite colour is green." of "My favourite colour is blue.", "I love
    pizza." of "I love sushi.", "I work as a teacher." of "I work as a nurse."). Said
    without a cue it may be a change or one value more; either way it is news.

    The first content word swapped is a rewording of how the value is held ("Yes, I work at
    Vandelay." of "I have a job at Vandelay.", "Home for me is Boston." of "I live in
    Boston."); one that says a state began or ended is news of its own (``reaches``). A
    sentence of the candidate said again as it is makes x a restatement ("I adopted a dog
    named Scout." of "I adopted a dog named Scout. I adopted another dog named Max."), as
    does a value the candidate says elsewhere ("Yes, I still play tennis." of "tennis is my
    sport; I play it a lot.")."""
    said = {_sayings(s) for s in text.sentences(candidate)}
    mine = {_sayings(s) for s in text.sentences(x)}
    if said & mine:
        return False
    words = {w for sentence in said for w in sentence}
    no_value = text.CHITCHAT | {text.base(text.stem(w))
                                for w in _addressed(x) | _addressed(candidate)}
    return any(_swapped_value(xs, cs, words, no_value) for xs in mine for cs in said)


def _swapped_value(xs: Sequence[str], cs: Sequence[str], said: set[str],
                   no_value: frozenset[str]) -> bool:
    """xs says cs word for word but for one place after the first: one or two words
    swapped for as many that ``said`` holds nowhere and that are not spelt alike, neither
    side only pleasantries or names said to someone ("Thank you, John!" of "Thanks,
    James!")."""
    if len(xs) != len(cs):
        return False
    differ = [i for i, (a, b) in enumerate(zip(xs, cs, strict=True)) if a != b]
    if not differ or differ[0] == 0 or len(differ) > 2 or differ[-1] - differ[0] >= 2:
        return False
    new, old = xs[differ[0]:differ[-1] + 1], cs[differ[0]:differ[-1] + 1]
    return (not said & set(new) and bool(set(new) - no_value) and bool(set(old) - no_value)
            and not _spelt_alike(new, old))


def reaches(x: str, candidate: str) -> bool:
    """x says a milestone the candidate does not (``MILESTONES``): a state of it began or
    ended, or something was reached ("I published my novel." of "I'm writing a novel.")."""
    return bool((MILESTONES & set(text.words(x))) - set(text.words(candidate)))


def elaborates(x: str, candidate: str) -> bool:
    """x says more than the candidate in words no paraphrase would use instead of its own:
    it names someone or something, or a number, the candidate does not ("I live in Boston
    with my partner Riley." of "I live in Boston."), or it names none of the candidate's
    values (``_elsewhere``), or it says the candidate's value again and more (``adds_to``).
    A paraphrase swaps words ("Yes, I work at Globex." of "I have a job at Globex."); a
    name said to someone is no news ("Thanks Evan. Have a good one." of "Thanks! Will do.
    Bye for now.")."""
    return (bool(_new_values(x, candidate) - text.CHITCHAT) or _elsewhere(x, candidate)
            or adds_to(x, candidate))


def _new_values(x: str, candidate: str) -> frozenset[str]:
    """The names (not said to someone) and amounts (``_amounts``) x says that the candidate
    does not."""
    return ((text.names(x) - set(text.words(candidate)) - _addressed(x))
            | (_amounts(x) - _amounts(candidate)))


def _amounts(said: str) -> frozenset[str]:
    """Numbers in digits or in words ("since I was six", "twice a day"), and when: "nights",
    "weekends" (of a pleasantry in the singular: "Good night!")."""
    return text.numbers(said) | ((NUMBER_WORDS | _TIMES) & frozenset(text.words(said)))


NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million dozen twice thrice".split())
"""Numbers said in words ("one" is left out: "one of them", "the one I like")."""
_TIMES = frozenset(("nights", "mornings", "weekends"))
"""Times of the week or day that ``text.CHITCHAT`` knows only as pleasantries ("night")."""


def adds_to(x: str, candidate: str) -> bool:
    """x says the candidate's value again, and more (``covers``, ``_of_value``), and names
    no change: no change cue ("instead", "these days", "moved", …; "new" alone names none:
    "new brakes"), no retraction or denial, no name or number the candidate does not say.
    An UPDATE of the candidate then merges, never replaces."""
    changes = (text.has_cue(x, CHANGE_CUES) or text.retracts(x) or text.negates(x, candidate)
               or _new_values(x, candidate))
    return not changes and (covers(x, candidate) or _of_value(x, candidate))


CHANGE_CUES = tuple(cue for cue in text.CHANGE if cue != "new")  # "new" alone: "new brakes"


def _elsewhere(x: str, candidate: str) -> bool:
    """x says a word of its own and none of the values the candidate names (names not said
    to someone, numbers): it speaks of the same thing, not of the same value ("My sister is
    a judge." of "My sister lives in Lisbon."). A restatement says its note's value again."""
    named = text.names(candidate) - text.CHITCHAT - _addressed(candidate)
    if not named and not text.numbers(candidate):
        return False
    values = named | text.value_words(candidate) | text.numbers(candidate)
    return bool(not values & (set(text.words(x)) | text.numbers(x))
                and text.novelty(x, candidate)[0] - HEDGES)


def _of_value(x: str, candidate: str) -> bool:
    """x says something new of a value the candidate names: what x says about the candidate
    (its sentences that share a content word with it) shares nothing with it but names (not
    said to someone), and adds at least two words of its own ("Buddy loves the beach." of
    "I adopted a dog named Buddy.") or one that says something happened ("I rewatched
    Inception last night." of "My favorite movie is Inception."). A restatement says the
    value with words of the note or only one of its own ("Yes, I work at Globex." of "I
    have a job at Globex."). A value may open the candidate's sentence ("We lost Buddy
    last week." of "Buddy is a beagle.")."""
    note = text.content_words(candidate) - text.CUE_WORDS - text.CHITCHAT
    about = " ".join(s for s in text.sentences(x) if text.content_words(s) & note)
    shared = (text.content_words(about) - text.CUE_WORDS - text.CHITCHAT) & note
    values = text.value_words(candidate) - _addressed(candidate)
    adds = text.novelty(about, candidate)[0] - HEDGES
    return bool(shared and not shared - values
                and (len(adds) >= 2 or any(_happened(w) for w in adds)))


_SPEAKER = frozenset("i me my mine myself we us our ours i'm i've i'd i'll im".split())
_PAST = frozenset(
    "was were wasn't had got ran went came fell broke lost grew outgrew took left made saw met "
    "gave became began bought brought built caught chose drove ate flew forgot hid held hurt "
    "kept knew led lent paid quit rang rose sold sent shook shot shut sang sank sat slept spoke "
    "spent stood stole struck swam taught tore told threw woke wore won wrote".split())


def _happened(word: str) -> bool:
    """A verb that says something happened: an irregular past or an "-ed" word."""
    return word in _PAST or (len(word) > 4 and word.endswith("ed"))


def covers(x: str, candidate: str) -> bool:
    """A sentence of x says every content word of the candidate, which says at least two
    beyond pleasantries, and at least one more ("I work as a nurse at Mercy Hospital." of "I
    work as a nurse."; not "Take care and keep up the good work!" of "Take care!"). Of a
    candidate that says one such word, no word of a farewell, x says two more ("My dog is a
    golden retriever." of "I have a dog."; "I do have a dog." says none)."""
    facts = text.fact_words(candidate) - text.CUE_WORDS
    least, farewell = 1, frozenset[str]()
    if len(facts) < 2:
        least, farewell = 2, ADDRESS | _addressed(x) | _addressed(candidate)
        if not facts - farewell:
            return False
    for sentence in text.sentences(x):
        adds, unsaid = text.novelty(sentence, candidate)
        if len(adds - HEDGES - farewell) >= least and not unsaid:
            return True
    return False


ADDRESS = frozenset(("see", "ya", "dear", "remember", "luck", "cheers", "welcome", "take"))
"""Words that go with a name said to someone ("See you, John!", "Good luck, Sam!", "Take
care, John, bye!")."""


@lru_cache(maxsize=65536)
def _addressed(said: str) -> frozenset[str]:
    """Names said to someone: alone in their clause but for pleasantries and interjections,
    and opening or closing their sentence or following pleasantries ("Thanks, John!", "Wow
    Jolene, that's inspiring!", "Wow, John, awesome job!"); not "I met Sarah." nor "Our
    first child, Olivia, was born in spring." nor "I have a Toyota Corolla."."""
    found: set[str] = set()
    for sentence in text.sentences(said):
        clauses = [c.strip() for c in re.split(r"[,;:]", sentence.rstrip(".!?"))]
        for i, clause in enumerate(clauses):
            named = text.names("and " + clause)  # a name may open the clause
            placed = i in (0, len(clauses) - 1) or _pleasantries(clauses[i - 1], frozenset())
            if named and placed and _pleasantries(clause, named):
                found |= named
    return frozenset(found)


def _pleasantries(clause: str, named: frozenset[str]) -> bool:
    """The clause holds nothing but names, pleasantries and interjections: "Hey Joanna",
    "Good luck Sam"; not "I have a Toyota Corolla", whose names are what it says."""
    return all(w in named or w in text.CHITCHAT or w in ADDRESS or w in _INTERJECTIONS
               for w in text.words(clause))


_INTERJECTIONS = frozenset("oh ah um well yes no so and you too my dear good very much".split())
