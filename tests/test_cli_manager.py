"""The command line with the memory manager: choosing it, a bad choice, and what `add` and
`ingest` say when a DELETE keeps its input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asem import Memory
from asem.providers import HashEmbedder
from tests.test_cli import assert_one_line_error, fake_memory, run


def test_manager_option_chooses_who_decides(cli, db_path):
    rule = cli("add", "I adopted a dog named Buddy")  # the fixture's memory: the rule manager
    learned = cli("--manager", "learned", "add", "I play the violin on Sundays")
    assert not rule["reason"].startswith("learned: ")
    assert learned["op"] == "ADD" and learned["reason"].startswith("learned: ")
    result = run("--db", str(db_path), "--json", "add", "I play chess",
                 env={"ASEM_MANAGER": "learned"})
    assert json.loads(result.stdout)["reason"].startswith("learned: ")


class DeletesTheNearest:
    """Retracts the nearest note and keeps the input (a DELETE with a tier)."""

    def decide(self, proposal):
        from asem.types import Decision, Op

        if not proposal.candidates:
            return Decision(Op.ADD, reason="new")
        return Decision(Op.DELETE, proposal.candidates[0].note_id, reason="changed job")


def test_add_says_a_delete_kept_the_input_and_why_the_note_went(db_path):
    def factory(path: Path) -> Memory:
        return Memory(path, embedder=HashEmbedder(), manager=DeletesTheNearest())

    def add(*args: str):
        result = run("--db", str(db_path), *args, factory=factory)
        assert result.exit_code == 0, result.output
        return result.stdout

    nurse = json.loads(add("--json", "add", "I work as a nurse."))["note_id"]
    said = json.loads(add("--json", "add", "I quit nursing and became a teacher."))
    assert (said["op"], said["note_id"], said["reason"]) == ("DELETE", nurse, "changed job")
    lines = add("add", "I quit teaching and became a pilot.").splitlines()
    assert lines[0].startswith(f"DELETE {said['added_id']}  changed job")
    assert lines[1].startswith("ADD ") and lines[1].endswith("the input, kept as a new note")
    with fake_memory(db_path) as memory:
        assert memory.get(said["added_id"], user_id="default", include_deleted=True).content == (
            "I quit nursing and became a teacher.")
        assert memory.get(nurse, user_id="default", include_deleted=True).delete_reason == (
            'changed job; said: "I quit nursing and became a teacher."')

    chats = [db_path.with_name(f"chat{i}.json") for i in (1, 2)]
    for i, chat in enumerate(chats):
        chat.write_text(json.dumps([{"speaker": "a", "content": f"I quit flying {i}."},
                                    {"speaker": "a", "content": f"I became a chef {i}."}]))
    summary = json.loads(add("--json", "ingest", str(chats[0])))
    assert (summary["ops"]["DELETE"], summary["inputs_kept"]) == (2, 2)
    assert "2 DELETE (2 of the deleting turns kept as notes of their own)" in add(
        "ingest", str(chats[1]))


@pytest.mark.parametrize(("spec", "fragment"), [
    ("nope", "unknown manager 'nope'"),
    ("missing.npz", "no manager checkpoint at missing.npz"),
    ("llm", "manager 'llm' asks a language model"),
])
def test_a_bad_manager_is_one_line_and_writes_nothing(db_path, spec, fragment):
    assert_one_line_error(run("--db", str(db_path), "--manager", spec, "add", "x"), fragment)
    with fake_memory(db_path) as memory:
        assert memory.stats("default")["notes"] == 0


def test_train_attribute_writes_the_projection_with_its_merge_gate(tmp_path):
    """The real embedder: seconds. The gate is saved beside the projection and read back."""
    from asem.manager import attribute

    out = tmp_path / "attribute.npz"
    result = run("--json", "train", "attribute", "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["attributes"] > attribute.FOLDS + 1 and summary["dim"] == attribute.DIM
    assert 0.0 < summary["min_same"] < 1.0
    assert 0.5 < summary["different_attribute_pairs_below"] <= 1.0
    assert attribute.min_same(str(out)) == pytest.approx(summary["min_same"], abs=1e-4)
    bad = run("train", "attribute", "--out", str(tmp_path / "attribute.txt"))
    assert_one_line_error(bad, ".npz")
