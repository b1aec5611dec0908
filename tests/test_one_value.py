"""One value at a time (asem.manager.cardinality): a merge of a new value into a note of an
attribute that holds one value is made a replacement; a list keeps both values."""

from __future__ import annotations

import re

import numpy as np
import pytest

from asem.eval.correctness import run_stream
from asem.eval.correctness_data import CaseStream, Fact
from asem.manager import cardinality
from asem.manager.env.templates import HELD_OUT_SLOTS, SLOTS
from asem.manager.learned import one_value_change
from asem.types import Decision, Op
from asem.write.manager import Candidate, Proposal


def test_the_training_sentences_leave_the_held_out_data_out():
    groups, label = cardinality.training_sentences()
    assert set(groups) == set(label) and len(groups) > 30
    assert not any(name.endswith(f":{slot}") for name in groups for slot in HELD_OUT_SLOTS)
    for slot in SLOTS:  # the last phrasing of every list is held out
        for options in (slot.novel, slot.change, slot.more, slot.para):
            if slot.name in HELD_OUT_SLOTS or len(options) < 2:
                continue
            held = re.compile(re.escape(options[-1]).replace(r"\{v\}", ".+")
                              .replace(r"\{old\}", ".+"), re.IGNORECASE)
            own = groups[f"slot:{slot.name}"] if f"slot:{slot.name}" in groups else []
            assert not any(held.fullmatch(s) for s in own), options[-1]
    everything, _ = cardinality.training_sentences(held_out=True)
    assert len(everything) > len(groups)


def test_the_shipped_weights_are_the_ones_the_training_split_gives(embedder):
    w, b = cardinality.fitted(embedder.embed)
    shipped, bias = cardinality._weights()
    assert np.allclose(w, shipped, atol=1e-4) and abs(b - bias) < 1e-4


def test_no_reading_without_an_embedding_of_the_embedders_size():
    assert cardinality.one_value(None) is None
    assert cardinality.one_value(np.ones(10, dtype=np.float32)) is None


def test_a_merge_stands_without_embeddings():
    note = Candidate("n1", "I work at Microsoft.", 0.8, 0.8)
    proposal = Proposal("I got a job at Amazon.", None, [note])
    merged = Decision(Op.UPDATE, "n1", merged_content="I work at Microsoft. I got a job at "
                      "Amazon.")
    assert one_value_change(merged, proposal, note) is None


CHANGES = {
    "new-job": (("I work at Microsoft.", "Microsoft", "Which company do I work for?", "stale"),
                ("I got a job at Amazon.", "Amazon", "Which company do I work for?")),
    "married": (("I'm single.", "single", "What is my relationship status?", "stale"),
                ("I got married in June.", "married", "What is my relationship status?")),
}
LISTS = {
    "another-language": (("I'm learning Spanish.", "Spanish", "Which languages am I learning?"),
                         ("I'm also learning Japanese.", "Japanese",
                          "Which languages am I learning?")),
    "second-allergy": (("I'm allergic to peanuts.", "peanuts", "What am I allergic to?"),
                       ("I'm allergic to shellfish too.", "shellfish",
                        "What am I allergic to?")),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_new_value_of_one_value_at_a_time_supersedes_the_old(name, embedder, manager):
    """Wordings the policy merges (the old value stayed current beside the new one)."""
    stream = CaseStream("change", name, "held-out", tuple(Fact(*f) for f in CHANGES[name]))
    outcome = run_stream(stream, manager, embedder)
    assert outcome.lost == 0
    assert outcome.current and not outcome.stale_current


@pytest.mark.parametrize("name", LISTS)
def test_one_more_value_of_a_list_keeps_both(name, embedder, manager):
    stream = CaseStream("same-list", name, "held-out", tuple(Fact(*f) for f in LISTS[name]))
    outcome = run_stream(stream, manager, embedder)
    assert outcome.lost == 0 and outcome.current and outcome.expected


def test_another_embedders_vectors_are_not_read(embedder):
    vector = embedder.embed(["I work at Microsoft."])[0]
    assert cardinality.one_value(vector, cardinality.MODEL_ID) is not None
    assert cardinality.one_value(vector, None) is not None
    assert cardinality.one_value(vector, "multilingual-e5-small") is None
