"""News about a note at decision time, as the hand-written rules read it (the learned
reading of news is off here: tests/test_manager_known.py). A fact said again with a value
swapped is another value (a change or one value more); one said with a name, a number or
every word of the note and more is an elaboration. None is already known (no NOOP). Whether
news replaces the note is learnt (tests/test_manager_replaces.py)."""

from __future__ import annotations

import pytest

from asem.manager import LearnedManager, news
from asem.manager.features import features
from asem.types import Decision, Op
from asem.write.manager import Candidate, Proposal

pytestmark = pytest.mark.usefixtures("rules_only")


def _closes_noop(said: str, note: str) -> bool:
    """Whether the decision-time guards read ``said`` as news about ``note`` (no NOOP)."""
    f = features(Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert f.news is not None
    return bool(f.news[0])


@pytest.mark.parametrize(("said", "note", "swaps"), [
    ("My favourite colour is green.", "My favourite colour is blue.", True),
    ("I love pizza.", "I love sushi.", True),
    ("I work as a teacher.", "I work as a nurse.", True),
    ("I drink tea in the morning.", "I drink coffee in the morning.", True),
    ("I prefer aisle seats.", "I prefer window seats.", True),
    ("Yes! My car is black.", "I have 2 kids. My car is red.", True),  # any sentence
    # the first word swapped words how the value is held: a rewording
    ("Yes, I work at Globex.", "I have a job at Globex.", False),
    ("Home for me is Boston.", "I live in Boston.", False),
    ("I hate sushi.", "I love sushi.", False),  # the first word swapped: how it is held
    # a sentence of the note said again, or a value the note says elsewhere
    ("I adopted a dog named Scout.",
     "I adopted a dog named Scout. I adopted another dog named Max.", False),
    ("Yes, I still play tennis.", "tennis is my sport; I play it a lot.", False),
    # more or fewer words, or one spelt another way, is no swap
    ("My favourite colour is green, like grass.", "My favourite colour is blue.", False),
    ("My favorite colour is blue.", "My favourite colour is blue.", False),
    # a name said to someone, or a pleasantry, is no value
    ("Thank you, John! Take care.", "Thanks, James! Appreciate it.", False),
    ("That looks pretty good!", "That looks fun!", False),
])
def test_what_says_a_note_again_with_another_value(said, note, swaps):
    assert news.swaps_value(said, note) is swaps


@pytest.mark.parametrize(("said", "note", "reached"), [
    ("I finished Dune.", "I'm reading Dune.", True),
    ("I passed my driving test.", "I'm taking driving lessons.", True),
    ("I published my novel.", "I'm writing a novel.", True),
    ("I found an apartment downtown.", "I'm looking for a new apartment.", True),
    ("I joined a choir.", "I sing in the shower.", True),
    ("I finished Dune last week.", "I finished Dune.", False),  # the note says it
    ("I'm still reading Dune.", "I'm reading Dune.", False),
])
def test_a_milestone_says_more_than_a_retraction(said, note, reached):
    """Read by the retraction rule: "I no longer have Buddy, he passed away." says more
    than that Buddy is gone (``learned.retraction``)."""
    assert news.reaches(said, note) is reached


@pytest.mark.parametrize(("said", "note"), [
    ("My favourite colour is green.", "My favourite colour is blue."),
    ("I love pizza.", "I love sushi."),
    ("I drive a black Honda Civic.", "I drive a red Honda Civic."),
])
def test_another_value_without_a_cue_is_kept(said, note):
    """Recorded on the note as already known, the new value was lost; a change and one
    value more both keep it, as a note, merged or replacing the note."""
    assert _closes_noop(said, note)
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.8, 0.8)]))
    assert d.op is Op.ADD or (d.op is Op.UPDATE and said in (d.merged_content or ""))


@pytest.mark.parametrize(("said", "note", "more"), [
    ("I live in Boston with my partner Riley.", "I live in Boston.", True),  # a name
    ("I have a Tesla.", "I have a Honda.", True),  # a name in a clause of function words
    ("My flight leaves at 9pm.", "My flight is on gate 12.", True),  # a number
    ("I've played piano since I was six.", "I play the piano.", True),  # in words
    ("I take metformin twice a day.", "I take metformin for diabetes.", True),
    ("I have one more question.", "I have a question.", False),  # "one" is no amount
    ("I'm a nurse, I work nights.", "I work as a nurse.", True),  # "nights" is no pleasantry
    ("Good night!", "Night!", False),
    ("I work as a nurse at Mercy Hospital.", "I work as a nurse.", True),
    ("I play tennis every Sunday morning.", "I play tennis.", True),
    ("I love sushi, especially salmon nigiri.", "I love sushi.", True),  # all of it, and more
    ("My dog is a golden retriever.", "I have a dog.", True),  # of one word, two more
    ("Yes, I do have a dog.", "I have a dog.", False),
    # paraphrases swap words, and an opener is a sentence of its own
    ("Yes, I work at Globex.", "I have a job at Globex.", False),
    ("You know what? Yes, Riley is my partner.", "Riley is my partner.", False),
    ("Yes, I still play the cello.", "I play the cello.", False),
    ("Sure, Buddy is my dog.", "I have a dog named Buddy.", False),  # "Sure" is no name
    # a name said to someone, and a note of pleasantries, say nothing to elaborate on
    ("Wow Jolene, that's really inspiring!", "It is truly inspiring!", False),
    ("Thanks Evan. Have a good one. See ya!", "Thanks! Will do. Bye for now.", False),
    ("Take care and keep up the good work!", "Take care!", False),
    # none of the note's values: the same thing, not the same value
    ("My sister is a judge.", "My sister lives in Lisbon.", True),
    ("I go to a support group every week.", "I go to the support group on 2 days.", True),
    # something new of a value the note names
    ("Buddy loves the beach.", "I adopted a dog named Buddy.", True),
    ("We lost Buddy last week.", "Buddy is a beagle.", True),  # the value opens the note
    ("I rewatched Inception last night.", "My favorite movie is Inception.", True),  # happened
    ("Inception is my favorite movie.", "My favorite movie is Inception.", False),
    ("You know what? Yes, I work at Vandelay.", "I have a job at Vandelay.", False),  # 1 word
    ("See ya Nate!", "Totally! Bye Nate!", False),  # a name said to someone is no value
    ("Oh, by the way, Olivia is my child.",
     "Our first child, Olivia, was born in spring.", False),  # a name in apposition
])
def test_what_says_more_than_a_note(said, note, more):
    assert news.elaborates(said, note) is more
    assert _closes_noop(said, note) is more


@pytest.mark.parametrize(("said", "note"), [
    ("I work as a nurse at Mercy Hospital.", "I work as a nurse."),
    # every word of the note, not what it means: the input does not say "I volunteer"
    ("I ran into volunteers from the homeless shelter at the library this morning.",
     "I volunteer at the homeless shelter."),
])
def test_an_elaboration_never_replaces_the_note(said, note):
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.8, 0.8)]))
    assert d.op in (Op.ADD, Op.UPDATE)
    if d.op is Op.UPDATE:
        assert d.merged_content == f"{note} {said}"


def test_a_replacement_by_an_input_that_only_says_more_of_the_note_is_a_merge():
    note, said = "I drive a red Honda Civic.", "My Honda Civic needs new brakes."
    from asem.manager.learned import elaboration

    d = elaboration(Decision(Op.UPDATE, "n", merged_content=said, reason="r"),
                    Proposal(said, None, [Candidate("n", note, 0.8, 0.8)]))
    assert d is not None and (d.op, d.merged_content) == (Op.UPDATE, f"{note} {said}")
    assert d.reason == "r; says more of the note: merged"


@pytest.mark.parametrize(("said", "note"), [
    ("I drive a blue Tesla now.", "I drive a red Honda Civic."),
    ("I started working at Acme Corp instead of Vandelay.", "I have a job at Vandelay."),
    ("These days my home is Austin, not Chicago.", "Home for me is Chicago."),
    ("My Honda Civic is no longer red.", "I drive a red Honda Civic."),
])
def test_the_replacement_of_a_change_stands(said, note):
    from asem.manager.learned import elaboration

    assert elaboration(Decision(Op.UPDATE, "n", merged_content=said, reason="r"),
                       Proposal(said, None, [Candidate("n", note, 0.8, 0.8)])) is None


def test_a_merge_of_no_correction_stays_a_merge():
    buddy, scout = "I adopted a dog named Buddy.", "I adopted another dog named Scout."
    d = LearnedManager.load().decide(Proposal(scout, None, [Candidate("n", buddy, 0.8, 0.8)]))
    assert isinstance(d, Decision) and d.merged_content == f"{buddy} {scout}"


@pytest.mark.parametrize(("said", "note", "is_news"), [
    # a change said of the note's attribute: never already known, whatever words it adds
    ("I switched from the ferry to the bike for my commute.",
     "Every day I take the ferry to work.", True),
    ("These days I live in Denver.", "I live in Boston.", True),
    # "new" alone names no change; a note that says the change already is restated
    ("I play tennis. Do I need new shoes?", "I play tennis.", False),
    ("Yes, I moved to Denver.", "I moved to Denver.", False),
])
def test_a_change_the_note_does_not_say_is_never_already_known(said, note, is_news):
    assert _closes_noop(said, note) is is_news
    if is_news:
        d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
        assert d.op is not Op.NOOP
