"""Text signals of the policy's features, and the variety of the training streams."""

from __future__ import annotations

import pytest

from asem.manager import text
from asem.manager.env import templates
from asem.manager.env.streams import generate
from asem.manager.features import PAIR_FEATURES, features
from asem.write.manager import Candidate, Proposal


@pytest.mark.parametrize(("said", "values"), [
    ("Spanish is another language I speak.", {"spanish"}),  # the value starts the sentence
    ("I adopted another dog named Scout.", {"scout"}),
    ("Honestly, I speak French.", {"french"}),  # an interjection is no value
    ("Another instrument I play is the violin.", set()),  # a cue word is no value
    ("New job: I'm a chef now.", set()),  # nor is "I'm"
    ("Yes, Emma is my kid.", {"emma"}),
])
def test_value_words_do_not_depend_on_where_the_value_stands(said, values):
    assert text.value_words(said) == values


@pytest.mark.parametrize(("said", "note", "adds", "unsaid"), [
    ("Another instrument I play is the violin.", "I play the piano.", {"instrument", "violin"},
     {"piano"}),
    ("Yes, I still play the piano.", "I play the piano.", set(), set()),  # a restatement
    ("I also speak Spanish now.", "I speak French.", {"spanish"}, {"french"}),
])
def test_novelty_is_what_x_adds_and_leaves_unsaid_without_cues(said, note, adds, unsaid):
    assert text.novelty(said, note) == (adds, unsaid)


def _pair(said: str, note: str) -> dict[str, float]:
    f = features(Proposal(said, None, [Candidate("n1", note, 0.7, 0.7)]))
    return dict(zip(PAIR_FEATURES, f.pairs[0].tolist(), strict=True))


def test_lower_case_new_value_and_restatement_have_different_features():
    new = _pair("Another instrument I play is the violin.", "I play the piano.")
    same = _pair("Yes, I play the piano.", "I play the piano.")
    assert new["restates"] == 0.0 and new["x_adds"] > 0 and new["c_only"] > 0
    assert same["restates"] == 1.0 and same["x_adds"] == 0.0 and same["c_only"] == 0.0
    value_first = _pair("Spanish is another language I speak.", "I speak French.")
    assert value_first["new_value"] == 1.0 and value_first["lost_value"] == 1.0


def test_training_streams_vary_where_values_stand_and_how_restatements_open():
    train = [generate(seed) for seed in range(300)]
    events = [e for s in train for e in s.events]
    slots = {e.slot for e in events}
    assert set(templates.TRAINING_ONLY_SLOTS) <= slots
    restated = [e.text for e in events if e.kind == "paraphrase"]
    assert any(t.startswith(templates.AFFIRMATIONS) for t in restated)
    assert not any(t.startswith("Yes, ") for t in restated)  # the held-out opener
    firsts = [e.text for e in events if e.kind == "complementary"]
    assert any(text.value_words(t) and not text.names(t) for t in firsts)  # value-first
    lower = [e.text for e in events if e.kind == "complementary" and e.slot in
             templates.TRAINING_ONLY_SLOTS]
    values = {v for s in templates.SLOTS if s.name in templates.TRAINING_ONLY_SLOTS
              for v in s.values}
    assert lower and not any(text.names(t) & values for t in lower)  # lower-case values


def test_test_streams_never_hold_training_only_slots():
    test = [generate(seed, "test") for seed in range(100)]
    assert not {e.slot for s in test for e in s.events} & set(templates.TRAINING_ONLY_SLOTS)


@pytest.mark.parametrize(("said", "cues", "found"), [
    ("You know what? I gave up tennis.", text.CHANGE, False),  # "now" in "know"
    ("I attended a concert.", text.RETRACTION, False),  # "ended" in "attended"
    ("My family took in a rescue dog.", text.ADDITION, False),  # "too" in "took"
    ("It was quite a quiz.", text.RETRACTION, False),  # "quit" in "quite"
    ("I live in Denver now.", text.CHANGE, True),
    ("I have a new job.", text.CHANGE, True),
    ("I quit the book club for good.", text.RETRACTION, True),
    ("I'm done with the yoga class.", text.RETRACTION, True),
    ("I play chess too.", text.ADDITION, True),
])
def test_cues_match_whole_words_only(said, cues, found):
    assert text.has_cue(said, cues) is found


@pytest.mark.parametrize(("said", "retracts"), [
    ("I quit the book club for good.", True),
    ("I no longer attend the choir.", True),
    ("No, I stopped going.", True),  # an interjection, not a negation of the cue
    ("I do not go to the gym.", True),  # the cue's own negation
    ("I don't play chess anymore.", True),
    ("I am not taking the pottery class any more.", True),
    ("Well, I don't know, but I quit the club.", True),  # the negation is in another clause
    # LoCoMo turns that deleted a note and answer questions:
    ("Thanks! I won't give up on it.", False),
    ("Your efforts will bear fruit, don't give up!", False),
    ("Glad you liked it. Let me know if you need any more suggestions.", False),
    ("I never quit.", False),
    ("I'm not done with the yoga class.", False),
    ("Haven't been to the beach in a while.", False),  # recency, not an end
])
def test_retracts_reads_negation(said, retracts):
    assert text.retracts(said) is retracts


def test_every_stream_sentence_reads_as_the_cue_lexicon_says():
    """Negation handling changes nothing in the generated streams (so neither training
    nor the held-out figures): no template negates a retraction cue."""
    for split in ("train", "test"):
        for seed in range(300):
            for event in generate(seed, split).events:
                assert text.retracts(event.text) is text.has_cue(event.text, text.RETRACTION)


def test_substance_leaves_out_sentences_of_pleasantries_only():
    assert text.substance("Oh nice! I am learning the cello.") == "I am learning the cello."
    assert text.substance("Haha, thanks!") == "Haha, thanks!"  # nothing else: kept whole
