"""benchmarks/roundtrip.py: SQLite → PostgreSQL → export compares every field, and notices
a change."""

from __future__ import annotations

import copy
import importlib
import sys
from datetime import datetime
from pathlib import Path

from asem.eval.dataset import Turn
from asem.eval.locomo import Conversation, Question
from asem.providers import HashEmbedder

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
roundtrip = importlib.import_module("roundtrip")

TURNS = tuple(
    Turn(f"D1:{i}", speaker, text, "s1", datetime(2024, 3, 1, 10, i))
    for i, (speaker, text) in enumerate([
        ("Ana", "I adopted a dog named Buddy last week."),
        ("Ben", "What breed is Buddy?"),
        ("Ana", "Buddy is a golden retriever, two years old."),
        ("Ben", "I started piano lessons on Mondays."),
    ], start=1))
CONVERSATION = Conversation("conv-test", TURNS, (
    Question("What breed is Ana's dog?", "golden retriever", ("D1:3",), 4),
    Question("What lessons did Ben start?", "piano", ("D1:4",), 4)))


def test_a_conversation_moved_to_postgresql_keeps_every_field(tmp_path, pg_url):
    row = roundtrip.round_trip(CONVERSATION, tmp_path / "m.db", pg_url, HashEmbedder(),
                               questions=2)
    assert row["notes"] >= 3 and row["turns"] == 4 and row["searches"] == 2
    assert row["missing"] == row["extra"] == row["changed_fields"] == 0
    assert row["fields"] > 50


def test_the_comparison_counts_what_is_missing_extra_or_changed():
    before = [{"id": "n1", "content": "a", "links": [{"to": "n2", "s": 1}, {"to": "n3", "s": 1}]},
              {"id": "n2", "content": "b", "links": []},
              {"turn": {"note_id": "n1"}}, {"turn": {"note_id": "n2"}},
              {"retrieval": {"id": "r1", "feedback": [[1.0, ["n1"], "t"]]}}]
    same = copy.deepcopy(before)
    same[0]["links"].reverse()  # links of one strength come in any order
    assert roundtrip.compare(before, same)["changed_fields"] == 0
    after = copy.deepcopy(before)
    after[1]["content"] = "B"
    after[3]["turn"]["note_id"] = "n1"  # the order of conversation changed
    after[4]["retrieval"]["feedback"] = []
    after.append({"id": "n9", "content": "x", "links": []})
    del after[0]
    got = roundtrip.compare(before, after)
    assert (got["missing"], got["extra"], got["changed_fields"]) == (1, 1, 3)
    assert (got["notes"], got["turns"], got["searches"]) == (2, 2, 1)
