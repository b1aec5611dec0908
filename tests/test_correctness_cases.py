"""Two things said in a row to a fresh memory with the default manager and the
real MiniLM embedder: what the memory must then hold (the correctness benchmark's test of
each kind, ``asem.eval.correctness``)."""

from __future__ import annotations

import pytest

from asem.eval.correctness import run_stream
from asem.eval.correctness_data import CaseStream, Fact
from asem.manager.learned import LearnedManager

CASES = {
    "pin-then-allergy": ("unrelated-same-person",
                         ("Bob's secret bank PIN is 4321.", "4321", "What is Bob's bank PIN?"),
                         ("Bob is allergic to peanuts.", "peanuts", "What is Bob allergic to?")),
    "two-books": ("event",
                  ("I read Dune last month.", "Dune", "When did I read Dune?", "keep",
                   "last month"),
                  ("I read Neuromancer last week.", "Neuromancer",
                   "When did I read Neuromancer?", "keep", "last week")),
    "two-trips": ("both-true",
                  ("I visited Paris last summer.", "Paris", "Where did I travel last summer?"),
                  ("I visited Rome last summer.", "Rome", "Where did I travel last summer?")),
    "move": ("change",
             ("I live in Boston.", "Boston", "Where do I live?", "stale"),
             ("I moved to Denver.", "Denver", "Where do I live?")),
    "new-employer": ("change",
                     ("I work at Google.", "Google", "Which company do I work for?", "stale"),
                     ("I now work at Meta.", "Meta", "Which company do I work for?")),
    "new-favourite": ("change",
                      ("My favourite food is pizza.", "pizza", "What is my favourite food?",
                       "stale"),
                      ("My favourite food is sushi now.", "sushi",
                       "What is my favourite food?")),
    "second-allergy": ("same-list",
                       ("I'm allergic to peanuts.", "peanuts", "What am I allergic to?"),
                       ("I'm allergic to shellfish too.", "shellfish",
                        "What am I allergic to?")),
}


REACHED = ("two-trips", "new-favourite", "second-allergy")
"""The cases the checkpoint before the same-attribute feature (manager ``learned``) gets
right; it merges the second fact of the others into the first note (docs/manager.md)."""


@pytest.mark.parametrize("name", CASES)
def test_the_memory_holds_what_is_true(name, embedder, manager):
    holds_what_is_true(name, embedder, manager)


@pytest.mark.parametrize("name", REACHED)
def test_the_checkpoint_before_the_same_attribute_feature_still_works(name, embedder):
    holds_what_is_true(name, embedder, LearnedManager.load())


def holds_what_is_true(name: str, embedder, manager) -> None:
    kind, *facts = CASES[name]
    stream = CaseStream(kind, name, "held-out", tuple(Fact(*f) for f in facts))
    outcome = run_stream(stream, manager, embedder)
    assert outcome.lost == 0
    if kind == "change":  # the new value is current, the old one is not
        assert outcome.current and not outcome.stale_current
    elif kind in ("unrelated-same-person", "event"):  # two notes, each event with its date
        assert outcome.separate and outcome.notes == 2 and outcome.dated
    else:  # both values found: two notes or one list note
        assert outcome.current
    assert outcome.expected
