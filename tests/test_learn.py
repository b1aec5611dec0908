"""`asem bench learn`: the split, the reward rule, and that feedback moves notes as it should.

Synthetic conversations with the deterministic HashEmbedder make the ranking tests exact; one
real-data test runs one LoCoMo conversation for one epoch (about 30 s).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from asem.config import MemoryConfig, ReadConfig, WriteConfig
from asem.eval import learn, locomo
from asem.eval.systems import AsemSystem
from asem.providers import HashEmbedder
from asem.providers.onnx_minilm import MiniLMEmbedder

DATA = Path(os.environ.get("ASEM_LOCOMO", Path(__file__).parents[1] / "../shared/data/locomo/"
                                                                    "locomo10.json"))
needs_data = pytest.mark.skipif(not DATA.exists(), reason=f"LoCoMo data not found at {DATA}")

# D1:1 answers the first question but shares only one word with it: six turns about Alice and
# colours outrank it, so it starts outside the top 5 (7th).
TURNS = [
    "The colour of my new vehicle is red",
    "Alice likes the colour blue",
    "Alice asked about the colour of the sky",
    "Alice wants to know which colour suits her",
    "The colour Alice hates is orange",
    "Alice said any colour but grey",
    "Alice mixed every colour of paint",
    "I went hiking in the mountains last weekend",
    "Bob bakes bread every Sunday morning",
    "The concert starts at eight in the evening",
]
CAR = "What colour is Alice's car?"
QA = [
    (CAR, ["D1:1"], 4),
    ("When does the concert start?", ["D1:10"], 2),
    ("What does Bob bake on Sunday?", ["D1:9"], 4),
    ("Where did I go hiking?", ["D1:8; D1:99"], 1),  # one id resolves, one does not
    ("What does Bob bake on Sunday?", ["D1:9"], 4),  # the same wording twice
    ("Who is Carol?", [], 3),  # no evidence: not asked
    ("What is Alice's favourite drink?", ["D1:2"], 5),  # adversarial: not asked
]

# One note per turn (the rule manager), so the hand-computed rankings below stay exact with
# the fake embedder; the learned manager is tested in test_manager_learned.
RULE = MemoryConfig(write=WriteConfig(manager="rule"))


def write_conversation(path: Path, sample_id: str = "conv-x") -> Path:
    """A one-session conversation in LoCoMo's JSON layout."""
    sample = {
        "sample_id": sample_id,
        "conversation": {
            "speaker_a": "Alice", "speaker_b": "Bob",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [{"speaker": "Alice", "dia_id": f"D1:{i}", "text": text}
                          for i, text in enumerate(TURNS, start=1)],
        },
        "qa": [{"question": q, "answer": "x", "evidence": e, "category": c} for q, e, c in QA],
    }
    path.write_text(json.dumps([sample]), encoding="utf-8")
    return path


@pytest.fixture
def conversation(tmp_path) -> locomo.Conversation:
    return locomo.load(write_conversation(tmp_path / "conv.json"))[0]


def question(conv: locomo.Conversation, text: str) -> locomo.Question:
    return next(q for q in conv.questions if q.question == text)


# -- the split -----------------------------------------------------------------------------
def test_the_split_is_deterministic_disjoint_and_covers_the_answerable_questions(conversation):
    split = learn.split_questions(conversation, seed=0)
    assert learn.split_questions(conversation, seed=0) == split
    texts = {half: [q.question for q in getattr(split, half)] for half in learn.HALVES}
    assert not set(texts["replayed"]) & set(texts["held_out"])
    answerable = learn.answerable(conversation)
    assert [q.category for q in answerable] == [4, 2, 4, 1, 4]  # no cat 5, no empty evidence
    assert sorted(split.replayed + split.held_out, key=repr) == sorted(answerable, key=repr)
    assert len(set(texts["replayed"])) == 2 and len(set(texts["held_out"])) == 2  # 4 wordings


def test_seeds_give_different_splits_and_the_fraction_is_respected():
    questions = tuple(locomo.Question(f"question {i}?", "a", ("D1:1",), 4) for i in range(40))
    conv = locomo.Conversation("conv-y", (), questions)
    splits = {seed: learn.split_questions(conv, seed=seed, fraction=0.25) for seed in range(3)}
    assert len({s.replayed for s in splits.values()}) == 3
    assert all(len(s.replayed) == 10 and len(s.held_out) == 30 for s in splits.values())
    assert list(splits[0].held_out) == sorted(splits[0].held_out, key=questions.index)
    with pytest.raises(ValueError):
        learn.split_questions(conv, fraction=1.0)


# -- the reward rule -----------------------------------------------------------------------
def test_reward_is_plus_one_when_an_evidence_turn_is_in_the_top_k():
    ranked = ["D1:1", "D1:2", "D1:3", "D1:4", "D1:5", "D1:6"]
    assert learn.reward_for(ranked, ["D1:5"], 5) == 1.0
    assert learn.reward_for(ranked, ["D9:9", "D1:1"], 5) == 1.0
    assert learn.reward_for(ranked, ["D1:6"], 5) == -1.0  # 6th: outside the top 5
    assert learn.reward_for([], ["D1:1"], 5) == -1.0


def test_pearson_is_none_without_spread():
    assert learn.pearson([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]) == pytest.approx(1.0)
    assert learn.pearson([1.0, 1.0], [0.0, 1.0]) is None
    assert learn.pearson([1.0], [1.0]) is None


# -- feedback moves notes ------------------------------------------------------------------
# the places below were laid out by relevance and utility alone: no diversity in the top k
ARM = replace(RULE, read=ReadConfig(diversity_weight=0.0))


@pytest.fixture
def arm(tmp_path, conversation):
    system = AsemSystem(tmp_path / "base.db", HashEmbedder(), ARM)
    system.index(conversation.sample_id, conversation.turns)
    system.memory.close()
    learn.copy_database(tmp_path / "base.db", tmp_path / "arm.db")
    arm = learn.Arm("feedback", tmp_path / "arm.db", HashEmbedder(), ARM, learns=True)
    arm.use(conversation.sample_id)
    yield arm
    arm.memory.close()


def test_negative_feedback_lets_the_evidence_note_rise_into_the_top_5(arm, conversation):
    car = question(conversation, CAR)
    assert arm.rank(CAR, 10).index("D1:1") == 6  # 7th before any feedback
    assert arm.replay(car, 5) == -1.0  # the top 5 missed it: all five are punished
    assert "D1:1" in arm.rank(CAR, 5)
    assert arm.replay(car, 5) == 1.0
    assert arm.returned.total() == 10 and arm.evidence_hits.total() == 1
    assert arm.successes.total() == 5


def test_a_rewarded_note_moves_up(arm):
    result = arm.memory.search(CAR, user_id="conv-x", k=3)
    second = result[1].note
    arm.memory.feedback(result.retrieval_id, 1.0, [second.id], user_id="conv-x")
    assert arm.memory.search(CAR, user_id="conv-x", k=3)[0].note.id == second.id


def test_the_no_feedback_arm_changes_nothing(tmp_path, conversation):
    system = AsemSystem(tmp_path / "base.db", HashEmbedder(), RULE)
    system.index(conversation.sample_id, conversation.turns)
    system.memory.close()
    still = learn.Arm("no-feedback", tmp_path / "base.db", HashEmbedder(), RULE, learns=False)
    still.use(conversation.sample_id)
    before = still.rank(CAR, 10)
    assert still.replay(question(conversation, CAR), 5) == -1.0
    assert still.rank(CAR, 10) == before and not still.returned
    assert still.memory.stats(all_users=True)["feedback_uses"] == 0
    still.memory.close()


def test_the_experiment_end_to_end_on_a_synthetic_conversation(tmp_path):
    data = write_conversation(tmp_path / "conv.json")
    report = learn.run(data, embedder=HashEmbedder(), epochs=2, seed=0, config=RULE)
    assert report["questions"] == {"replayed": 2, "held_out": 3}  # CAR is replayed
    assert [e["epoch"] for e in report["epochs"]] == [0, 1, 2]
    first, last = report["epochs"][0], report["epochs"][-1]
    assert first["feedback"] == first["no-feedback"]  # both arms start from the same memory
    assert all(e["no-feedback"] == first["no-feedback"] for e in report["epochs"])
    assert last["feedback"]["replayed"] > first["feedback"]["replayed"]  # CAR was learned
    assert report["gain_over_no_feedback"]["replayed"] > 0
    assert report["rewards"]["negative"] >= 1
    assert sum(report["rewards"].values()) == 2 * 2  # 2 epochs × 2 replayed questions
    rows = learn.table_rows(report)
    assert len(rows) == 3 and rows[0][0] == "0" and len(rows[0]) == 7

    pytest.importorskip("matplotlib")  # the [bench] extra
    from asem.eval.learn_plot import plot_learning_curves

    png = plot_learning_curves(report, tmp_path / "plots" / "learn.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- real data -----------------------------------------------------------------------------
@pytest.mark.realdata
@needs_data
def test_one_locomo_conversation_learns_in_one_epoch():
    report = learn.run(DATA, embedder=MiniLMEmbedder(), conversations=["conv-26"], epochs=1)
    assert report["questions"] == {"replayed": 75, "held_out": 75}
    before, after = report["epochs"]
    assert before["feedback"] == before["no-feedback"]
    assert after["no-feedback"] == before["no-feedback"]
    assert after["feedback"]["replayed"] >= before["feedback"]["replayed"] + 0.03
    # Held-out recall is reported, not asserted: after one epoch on conv-26 it moves by a few
    # points either way depending on the retrieval layout (the benchmark issue tracks it).
    assert report["utility_vs_hit_rate"]["notes"] > 50
