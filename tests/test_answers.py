"""Answers over questions: a turn that asks hands part of its score to the reply after it."""

from __future__ import annotations

from datetime import datetime

import pytest

from asem import Memory, MemoryConfig, ReadConfig
from asem.chat import ChatTurn
from asem.providers import HashEmbedder
from asem.read.answers import answers_first, asking_share, reply_map
from asem.read.rank import Ranked
from asem.stores.turns import Turn
from asem.types import Message, ScoreParts


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


STAMP = datetime(2024, 5, 8, 13, 0)


@pytest.mark.parametrize(("text", "share"), [
    ("Which soup did you learn to make?", 1.0),
    ("Hey Mel! What did you paint lately?", 5 / 7),
    ("I made a lentil soup. Have you tried it?", 4 / 9),
    ("What a day! I made soup.", 0.0),            # asks first, then states: ends stating
    ("Did you like it? [shares a photo of a bowl.]", 1.0),  # a caption does not end it
    ("no punctuation at all", 0.0),
])
def test_how_much_of_a_text_asks(text, share):
    assert asking_share(text) == pytest.approx(share)


def turn(speaker: str, note_id: str, thread: str = "s1") -> Turn:
    return Turn("u", "", thread, speaker, note_id)


def test_a_reply_is_the_next_turn_by_someone_else_in_the_same_conversation():
    turns = [turn("Ann", "q"), turn("Bob", "a"), turn("Bob", "more"), turn("Ann", "q2"),
             turn("Bob", "x", thread="s2"), turn("Bob", "a2"), turn("", "anon"),
             turn("Bob", "after-anon")]
    # "more" is Bob going on; "x" is another conversation; an unknown speaker breaks it
    assert reply_map(turns) == {"q": ("a",), "more": ("q2",), "q2": ("a2",)}


def ranked(*pairs: tuple[str, float]) -> list[Ranked]:
    return [Ranked(i, s, 0.0, 0.0, ScoreParts(s, 0, 0, 0, 0, 0)) for i, s in pairs]


def test_the_question_hands_its_reply_a_share_of_the_gap_and_loses_some():
    pool = ranked(("q", 2.0), ("other", 1.5), ("a", 0.0))
    out = answers_first(pool, {"q": 1.0}, {"q": ("a",)}, share=1.0, discount=0.375)
    assert [(r.note_id, r.score) for r in out] == [("a", 2.0), ("other", 1.5), ("q", 1.25)]
    assert all(r.parts is not None and r.parts.total == pytest.approx(r.score) for r in out)
    half = answers_first(pool, {"q": 0.5}, {"q": ("a",)}, share=1.0, discount=0.375)
    assert [(r.note_id, r.score) for r in half] == [("q", 1.625), ("other", 1.5), ("a", 1.0)]


def test_nothing_moves_without_a_reply_below_the_question():
    pool = ranked(("a", 3.0), ("q", 2.0), ("z", 1.0))
    assert answers_first(pool, {"q": 1.0}, {"q": ("a",)}, 1.0, 0.5) == pool  # reply above
    assert answers_first(pool, {"q": 1.0}, {}, 1.0, 0.5) == pool  # nobody replied
    assert answers_first(pool, {"q": 1.0}, {"q": ("gone",)}, 1.0, 0.5) == pool  # not in pool


CHAT = [
    ("Caroline", "Which soup did you learn to make at the cooking class?"),
    ("Melanie", "A lentil one with lemon, my kids loved it."),
    ("Caroline", "I went hiking in the mountains on Sunday."),
    ("Melanie", "The camping trip last summer was fun."),
    ("Caroline", "My grandmother gave me a necklace from Sweden."),
    ("Melanie", "I have been reading a novel about sailors."),
]


def search_turns(target, share: float) -> list[str]:
    config = MemoryConfig(read=ReadConfig(answer_share=share, question_discount=0.3,
                                          utility_weight=0.0, timeliness_weight=0.0,
                                          usage_weight=0.0))
    user = f"u-{share}"  # one tenant per setting, in one database
    with Memory(target, embedder=HashEmbedder(), config=config) as memory:
        memory.ingest([ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
                       for i, (speaker, text) in enumerate(CHAT, start=1)], user_id=user)
        hits = memory.search("Which soup did Melanie learn to make at the cooking class?",
                             user_id=user, k=3)
        return [h.note.provenance.turn_ids[0] for h in hits]


def test_the_reply_outranks_the_question_it_answers(db_path):
    assert search_turns(db_path, 0.0)[0] == "D1:1"  # off: the question wins
    assert search_turns(db_path, 1.5)[:2] == ["D1:2", "D1:1"]
