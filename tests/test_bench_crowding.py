"""benchmarks/locomo_crowding.py: how a note's turns are told apart (first, merged, recorded)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from asem import Memory
from asem.providers import HashEmbedder

_SCRIPT = Path(__file__).parents[1] / "benchmarks" / "locomo_crowding.py"
_spec = importlib.util.spec_from_file_location("locomo_crowding", _SCRIPT)
assert _spec and _spec.loader
crowding = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crowding)


def test_a_noop_turn_is_recorded_and_read_last_only_in_the_diagnostic(tmp_path):
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), manager="rule") as memory:
        memory.add("I adopted a dog named Buddy", user_id="u", turn_id="t1")
        second = memory.add("I adopted a dog named Buddy", user_id="u", turn_id="t2")
        assert [r.op.value for r in second] == ["NOOP"]
        hits = list(memory.search("dog named Buddy", user_id="u", k=5))
        recorded = {h.note.id: crowding.recorded_turns(memory.store, h.note.id) for h in hits}
    ordered = crowding.places(hits, recorded)
    assert ordered == [("t1", "first"), ("t2", "recorded")]
    assert crowding.recorded_last([*ordered, ("t3", "first")]) == ["t1", "t3", "t2"]


def test_a_merged_turn_is_neither_first_nor_recorded():
    class Note:
        def __init__(self, note_id, turns):
            self.id = note_id
            self.provenance = type("P", (), {"turn_ids": turns})()

    hits = [type("H", (), {"note": Note("a", ("t1", "t2"))})(),
            type("H", (), {"note": Note("b", ("t2", "t3"))})()]
    ordered = crowding.places(hits, {"a": set(), "b": {"t3"}})
    assert ordered == [("t1", "first"), ("t2", "merged"), ("t3", "recorded")]
