"""What a retraction, a denial or a replacement may do to a note at decision time: the
rules that keep the shipped policy's DELETE, replacement and NOOP from losing facts."""

from __future__ import annotations

import pytest

from asem.manager import LearnedManager, policy
from asem.types import Op, Tier
from asem.write.manager import Candidate, Proposal
from tests.test_manager_learned import BUDDY, SCOUT


@pytest.mark.parametrize(("said", "note", "only"), [
    ("I stopped going to the support group.", "I go to the support group on Tuesdays.", True),
    ("You know what? I gave up tennis this year.", "tennis is my sport; I play it a lot.",
     True),
    ("I quit nursing and became a teacher.", "I work as a nurse.", False),  # a change cue
    ("I quit the choir, my knees hurt and the new conductor shouts.", "I sing in a choir.",
     False),  # more than two words of its own
    ("I don't eat meat anymore.", "I love steak.", False),  # none of the note's words
    ("I quit coffee.", "I drink two coffees a day.", True),
])
def test_a_retraction_that_says_more_is_no_retraction_only(said, note, only):
    from asem.manager import text

    assert text.retracts_only(said, note) is only


def test_every_retraction_the_policy_was_trained_and_measured_on_is_one_only():
    """So making a DELETE safe changes no decision of training or of the held-out streams."""
    from asem.manager import text
    from asem.manager.env.streams import generate

    seen = 0
    for split in ("train", "test"):
        for seed in range(60):
            notes: dict[str, str] = {}
            for event in generate(seed, split).events:
                if event.kind == "retracted" and event.slot in notes:
                    seen += 1
                    said, note = text.substance(event.text), text.substance(notes[event.slot])
                    assert text.retracts_only(said, note), event.text
                    assert not text.untouched(notes[event.slot], said), event.text
                    assert not text.lists_more(note, said), event.text
                if event.kind in ("novel", "changed") and event.slot:
                    notes[event.slot] = event.text
    assert seen > 50


@pytest.mark.parametrize(("note", "said", "rest"), [
    (f"{BUDDY} {SCOUT}", "We gave Scout away, we no longer have him.", [BUDDY]),
    ("I have a job at Stark Industries. Oh nice! Weekends I volunteer at a community garden.",
     "I walked away from the community garden.", ["I have a job at Stark Industries."]),
    # no fact of its own is left: an opener, a clause of the same fact
    ("Funny you ask. I play soccer twice a week.", "I stopped playing soccer.", []),
    ("volleyball is my sport; I play it a lot.", "I gave up volleyball this year.", []),
    ("I go to the support group on Tuesdays.", "I stopped going to the support group.", []),
])
def test_what_a_retraction_leaves_of_a_note(note, said, rest):
    from asem.manager import text

    assert text.untouched(note, said) == rest


@pytest.mark.parametrize(("note", "said", "content"), [
    ("I have a job at Stark Industries. Weekends I volunteer at a community garden.",
     "I started working at Initech instead of Stark Industries.",
     "Weekends I volunteer at a community garden. "
     "I started working at Initech instead of Stark Industries."),
    ("I have a job at Stark Industries.", "I started working at Initech instead.",
     "I started working at Initech instead."),  # nothing else in the note
    # which sentence "instead" replaces is unknown: the policy's replacement stands
    ("I have a job at Stark Industries. Weekends I volunteer at a community garden.",
     "I started working at Initech instead.", "I started working at Initech instead."),
])
def test_a_replacement_keeps_the_notes_other_facts(note, said, content):
    from asem.manager.learned import replacement
    from asem.types import Decision

    d = replacement(Decision(Op.UPDATE, "n", merged_content=said, reason="r"),
                    Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert (d.op, d.target_id, d.merged_content) == (Op.UPDATE, "n", content)


@pytest.mark.parametrize(("note", "said", "more"), [
    ("I play tennis and chess.", "I stopped playing chess.", True),
    ("I play tennis, chess and golf.", "I quit chess.", True),
    ("I play tennis and chess.", "I quit tennis and chess.", False),
    # what it retracts is what its retracting part names: golf is still played
    ("I play tennis and golf.", "I stopped playing tennis but I still play golf.", True),
    ("I go to the support group on Tuesdays and Thursdays.",
     "I stopped going to the support group.", False),  # days of the one group
])
def test_a_note_may_list_more_than_a_retraction_takes_back(note, said, more):
    from asem.manager import text

    assert text.lists_more(note, said) is more


@pytest.mark.parametrize(("note", "said", "op", "content"), [
    ("I play tennis and chess.", "I stopped playing chess.", Op.UPDATE,
     "I play tennis and chess. I stopped playing chess."),
    (f"{BUDDY} {SCOUT}", "We gave Scout away.", Op.UPDATE, BUDDY),
    (f"{BUDDY} {SCOUT}", "We gave Scout away and got a new dog, Rex.", Op.UPDATE,
     f"{BUDDY} We gave Scout away and got a new dog, Rex."),
    ("I play tennis and chess. " + "More about my week. " * 60, "I stopped playing chess.",
     Op.ADD, None),  # too long to merge into: added beside it
    ("I go to the support group on Tuesdays.", "I stopped going to the support group.",
     Op.DELETE, None),
    ("I play tennis and golf.", "I stopped playing tennis but I still play golf.", Op.UPDATE,
     "I play tennis and golf. I stopped playing tennis but I still play golf."),
])
def test_a_delete_loses_nothing_but_what_it_retracts(note, said, op, content):
    from asem.manager.learned import retraction
    from asem.types import Decision

    d = retraction(Decision(Op.DELETE, "n", tier=Tier.DISCARD, reason="r"),
                   Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert (d.op, d.merged_content) == (op, content)
    assert d.tier is (Tier.DISCARD if op is Op.DELETE else Tier.LONG_TERM)
    if content == BUDDY:  # the retraction is in no content now: the history row quotes it
        assert d.reason.endswith('said: "We gave Scout away."')


def test_the_shipped_checkpoint_merges_a_retraction_into_a_list():
    note, said = "I play tennis and chess.", "I stopped playing chess."
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert (d.op, d.target_id, d.merged_content) == (Op.UPDATE, "n", f"{note} {said}")


@pytest.mark.parametrize(("said", "note", "kept"), [
    ("I gave up on the book club.", "I go to a book club every week.", False),
    ("I don't eat meat anymore.", "I love steak.", True),  # in words of its own
    ("I left the band and joined a choir.", "I play guitar in a band.", True),  # a milestone
    ("I don't like coffee anymore, I prefer tea.", "I like coffee.", True),  # a part of its own
])
def test_a_delete_keeps_an_input_that_says_more_than_the_retraction(said, note, kept):
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.5, 0.5)]))
    assert (d.op, d.target_id) == (Op.DELETE, "n")
    assert d.tier is (Tier.LONG_TERM if kept else Tier.DISCARD)


@pytest.mark.parametrize("said", ["I quit nursing and became a teacher.",
                                  "I stopped nursing and now I teach."])
def test_a_retraction_that_names_a_change_replaces_the_note(said):
    """The policy DELETEs; the input says the new value too, so it takes the note's place
    (one note, its history keeps the old job) instead of a deletion and a new note."""
    proposal = Proposal(said, None, [Candidate("n", "I work as a nurse.", 0.5, 0.5)])
    assert policy.to_decision(int(LearnedManager.load().probabilities(proposal).argmax()),
                              proposal, "").op is Op.DELETE
    d = LearnedManager.load().decide(proposal)
    assert (d.op, d.target_id, d.merged_content) == (Op.UPDATE, "n", said)
    assert "a change: replaced" in d.reason and said in d.reason


@pytest.mark.parametrize(("said", "note", "noop_open"), [
    ("I no longer have Buddy, he passed away.", "I have a dog named Buddy.", False),
    ("I don't play chess anymore.", "I play chess on Sundays.", False),
    ("I don't play chess anymore.", "I stopped playing chess.", True),  # both retract
    ("Yes, I still play chess.", "I play chess on Sundays.", True),  # no retraction
    ("Scout is actually a cat named Scout, not a dog.", f"{BUDDY} {SCOUT}", False),
    ("I don't like sushi.", "I like sushi.", False),  # a denial
    ("I don't like sushi.", "I don't like sushi at all.", True),  # the same denial
    ("No, I live in Boston.", "I live in Boston.", True),  # "no" denies nothing here
])
@pytest.mark.usefixtures("rules_only")
def test_a_retraction_is_never_already_known(said, note, noop_open):
    from asem.manager.features import features

    proposal = Proposal(said, None, [Candidate("n", note, 0.6, 0.6)])
    f = features(proposal)
    assert f.news is not None and f.news.tolist() == [not noop_open]
    mask = LearnedManager.load().forward(f).mask
    assert bool(mask[policy.Targeted.NOOP]) is noop_open
    if not noop_open:
        assert LearnedManager.load().decide(proposal).op is not Op.NOOP
    assert features(proposal, guards=False).news is None
