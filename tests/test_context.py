
"""Conversational context in retrieval: a note's relevance rises with its neighbours'."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import numpy as np
import pytest

from asem import Memory, MemoryConfig, ReadConfig
from asem.chat import ChatTurn
from asem.providers import HashEmbedder
from asem.read.rank import with_context
from asem.stores import VectorIndex
from asem.stores.sqlite import connection
from asem.types import Decision, Message, Note, Op, Provenance, Scope, Tier
from asem.write.manager import Proposal
from tests.test_supersede import REWIND_VALIDITY


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL (``memory`` opens this target)."""
    return store_target


STAMP = datetime(2024, 5, 8, 13, 0)


def note(i: int, source: str | None, agent: str | None = None, speaker: str = "") -> Note:
    vector = np.zeros(4, np.float32)
    vector[i % 4] = 1.0
    return Note(id=f"n{i}", content=str(i), scope=Scope("u", agent), created_at=STAMP,
                observed_at=STAMP, event_time=STAMP, embedding=vector, intent_embedding=vector,
                provenance=Provenance(source_id=source),
                context=f"{speaker}, on 8 May 2024" if speaker else "")


def test_neighbours_are_the_turns_around_a_note_in_its_own_conversation():
    said = {0: "Bob", 1: "Ann", 2: "Bob", 3: "Bob", 4: "Ann", 5: "Ann"}
    index = VectorIndex().extended([note(i, s, speaker=said[i])
                                    for i, s in enumerate(["s1", "s1", "s2"])])
    index = index.extended([note(3, "s1", speaker=said[3]), note(4, None, speaker=said[4]),
                            note(5, "s1", agent="bot", speaker=said[5])])
    assert [index.turn_neighbours(row) for row in range(6)] == [
        (1,), (0, 3), (), (1,), (), (),
    ]


def test_a_speaker_going_on_is_not_a_reply():
    """Only a turn by someone else is conversational context (unknown speakers: none)."""
    index = VectorIndex().extended([
        note(0, "s1", speaker="Ann"), note(1, "s1", speaker="Ann"),
        note(2, "s1", speaker="Bob"), note(3, "s1"), note(4, "s1", speaker="Bob"),
    ])
    assert [index.turn_neighbours(row) for row in range(5)] == [(), (2,), (1,), (), ()]


def test_with_context_adds_the_best_neighbours_lift_above_the_floor():
    relevance = np.array([2.0, 0.0, -1.0])
    around = [(1,), (0, 2), (1,)]
    # floor-shifted relevance: [3, 1, 0]; best neighbour: [1, 3, 1]
    assert with_context(relevance, around, [0, 1, 2], 0.5).tolist() == [2.5, 1.5, -0.5]
    # a neighbour that is not kept in the pool does not count
    # (positions 0 and 2 kept: floor-shifted [3, 0]; position 0's only neighbour is gone)
    kept = with_context(np.array([2.0, -1.0]), [(1,), (0, 1)], [0, 2], 0.5)
    assert kept.tolist() == [2.0, 0.5]


CHAT = [
    ("Caroline", "What did you paint lately, Melanie?"),
    ("Melanie", "A sunset over the lake, all orange and purple."),
    ("Caroline", "I went hiking in the mountains on Sunday."),
    ("Melanie", "The kids loved the camping trip last summer."),
    ("Caroline", "My grandmother gave me a necklace from Sweden."),
    ("Melanie", "I have been reading a novel about sailors."),
]
QUESTION = "What did Melanie paint?"


def turns() -> list[ChatTurn]:
    return [ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
            for i, (speaker, text) in enumerate(CHAT, start=1)]


def memory_with(tmp_path, weight: float) -> Memory:
    config = MemoryConfig(read=ReadConfig(context_weight=weight, utility_weight=0.0,
                                          timeliness_weight=0.0, usage_weight=0.0,
                                          answer_share=0.0, speaker_weight=0.0))
    # context alone
    return Memory(tmp_path / f"context-{weight}.db", embedder=HashEmbedder(), config=config)


def turn_ids(memory: Memory, k: int) -> list[str]:
    return [h.note.provenance.turn_ids[0] for h in memory.search(QUESTION, user_id="u", k=k)]


def test_the_reply_to_a_matching_question_is_found_through_its_context(tmp_path):
    with memory_with(tmp_path, 0.5) as memory:
        memory.ingest(turns(), user_id="u")
        assert turn_ids(memory, 2) == ["D1:1", "D1:2"]
    with memory_with(tmp_path, 0.0) as memory:  # off: the reply shares no word with it
        memory.ingest(turns(), user_id="u")
        assert turn_ids(memory, 2)[0] == "D1:1" and "D1:2" not in turn_ids(memory, 2)


def test_neighbours_are_the_same_after_reopening_the_store(tmp_path):
    path = tmp_path / "reopen.db"
    with Memory(path, embedder=HashEmbedder()) as memory:
        memory.ingest(turns()[:3], user_id="u")
        memory.add([Message("Unrelated note", "Caroline", STAMP)], user_id="u",
                   session_id="session_2")
        memory.ingest(turns()[3:], user_id="u")
        built = memory.store.vector_index("u")
        expected = [built.turn_neighbours(row) for row in range(len(built))]
    with Memory(path, embedder=HashEmbedder()) as memory:
        loaded = memory.store.vector_index("u")
        assert loaded.ids == built.ids
        assert [loaded.turn_neighbours(row) for row in range(len(loaded))] == expected
    assert expected[2] == (1, 4) and expected[3] == ()


# -- the order of conversation survives consolidation ---------------------------------------
def rows_of(memory: Memory, turn: str) -> int:
    index = memory.store.vector_index("u")
    notes = memory.store.get_notes(index.ids)
    live = index.scope_mask(Scope("u"))  # rows of notes since deleted or changed: masked
    found = [row for row, note_id in enumerate(index.ids)
             if live[row] and turn in notes[note_id].provenance.turn_ids]
    assert len(found) == 1
    return found[0]


def neighbour_turns(memory: Memory, turn: str) -> set[str]:
    index = memory.store.vector_index("u")
    notes = memory.store.get_notes(index.ids)
    return {t for row in index.turn_neighbours(rows_of(memory, turn))
            for t in notes[index.ids[row]].provenance.turn_ids}


REPEAT = [("Caroline", "I started pottery classes."), ("Melanie", "Which studio is it?"),
          ("Caroline", "I started pottery classes."), ("Melanie", "The one by the lake, then.")]


def chat(lines: list[tuple[str, str]]) -> list[ChatTurn]:
    return [ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
            for i, (speaker, text) in enumerate(lines, start=1)]


def test_a_turn_recorded_on_an_older_note_still_sits_between_the_turns_around_it(tmp_path):
    """D1:3 repeats D1:1 (NOOP onto its note): D1:4 replies to it, so D1:1's note is D1:4's
    context; in storage order D1:4 would follow D1:2, said by the same person."""
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        results = memory.ingest(chat(REPEAT), user_id="u")
        assert [r.op for r in results] == [Op.ADD, Op.ADD, Op.NOOP, Op.ADD]
        assert neighbour_turns(memory, "D1:4") == {"D1:1", "D1:3"}
        assert neighbour_turns(memory, "D1:1") == {"D1:2", "D1:4"}
        cached = memory.store.vector_index("u")
        kept = [cached.turn_neighbours(row) for row in range(len(cached))]
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        loaded = memory.store.vector_index("u")
        assert [loaded.turn_neighbours(row) for row in range(len(loaded))] == kept


class DiscardQuestions:
    def decide(self, proposal: Proposal) -> Decision:
        tier = Tier.DISCARD if proposal.content.endswith("?") else Tier.LONG_TERM
        return Decision(Op.ADD, tier=tier)


def test_a_discarded_turn_leaves_no_trace_and_replies_need_another_speaker(tmp_path):
    lines = [("Caroline", "I started pottery classes."), ("Melanie", "Which studio is it?"),
             ("Caroline", "The one by the lake.")]
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(),
                manager=DiscardQuestions()) as memory:
        memory.ingest(chat(lines), user_id="u")
        index = memory.store.vector_index("u")
        assert len(index) == 2 and [t.speaker for t in index.turns] == ["Caroline"] * 2
        assert neighbour_turns(memory, "D1:1") == set()
        assert neighbour_turns(memory, "D1:3") == set()


def test_a_turn_whose_note_was_deleted_breaks_the_chain(tmp_path):
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        memory.ingest(turns()[:3], user_id="u")
        assert neighbour_turns(memory, "D1:1") == {"D1:2"}
        middle = memory.store.vector_index("u").ids[1]
        memory.delete(middle, reason="test", user_id="u")
        assert neighbour_turns(memory, "D1:1") == set()
        assert neighbour_turns(memory, "D1:3") == set()


def test_notes_stored_before_the_order_was_kept_get_it_from_their_storage_order(tmp_path):
    """The migration that adds the order backfills one turn per note, speaker from its
    context, so an old database reads the neighbours it read before."""
    path = tmp_path / "old.db"
    with Memory(path, embedder=HashEmbedder()) as memory:
        memory.ingest(turns()[:4], user_id="u")
    before = max(v for v, _ in connection._migrations() if v < 5)
    conn = sqlite3.connect(path)
    conn.executescript(f"{REWIND_VALIDITY} DROP TABLE turns; PRAGMA user_version = {before};")
    conn.close()
    with Memory(path, embedder=HashEmbedder()) as memory:
        index = memory.store.vector_index("u")
        assert [t.speaker for t in index.turns] == ["Caroline", "Melanie"] * 2
        assert [index.turn_neighbours(row) for row in range(4)] == [(1,), (0, 2), (1, 3), (2,)]


class Spy:
    """Adds everything (discarding what ends on "?") and keeps what each proposal answers."""

    def __init__(self) -> None:
        self.answers: dict[str, str | None] = {}

    def decide(self, proposal: Proposal) -> Decision:
        self.answers[proposal.content] = proposal.replies_to
        tier = Tier.DISCARD if proposal.content.endswith("?") else Tier.LONG_TERM
        return Decision(Op.ADD, tier=tier)


def test_the_manager_is_told_which_note_holds_the_turn_an_input_answers(tmp_path):
    spy = Spy()
    first = [("Ann", "I adopted a beagle."), ("Bob", "What a lovely dog."),
             ("Bob", "Mine is a terrier."), ("Ann", "Terriers are so lively."),
             ("Bob", "Is yours house-trained?"), ("Bob", "Good luck with him.")]
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), manager=spy) as memory:
        added = [r.note_id for r in memory.ingest(chat(first), user_id="u")]
        memory.ingest([ChatTurn(Message("He learns fast.", "Ann", STAMP, "D1:7"), "session_1"),
                       ChatTurn(Message("Hello there.", "Ann", STAMP, "D2:1"), "session_2")],
                      user_id="u")
    assert spy.answers == {
        "I adopted a beagle.": None,  # the first turn answers nothing
        "What a lovely dog.": added[0],
        "Mine is a terrier.": None,  # the same person going on
        "Terriers are so lively.": added[2],
        "Is yours house-trained?": added[3],
        "Good luck with him.": added[3],  # the discarded question left no turn between
        "He learns fast.": added[5],  # a later call continues the stored conversation
        "Hello there.": None,  # another conversation
    }
