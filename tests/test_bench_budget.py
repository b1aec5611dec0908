"""`asem bench budget` end to end on a synthetic conversation, and its eviction baselines."""

from __future__ import annotations

from asem.eval import bench_budget
from asem.providers import HashEmbedder
from tests.test_cli import run
from tests.test_learn import RULE, write_conversation


def test_the_experiment_runs_every_policy_at_every_budget(tmp_path):
    data = write_conversation(tmp_path / "conv.json")
    report = bench_budget.run(data, embedder=HashEmbedder(), epochs=1, config=RULE,
                              budgets=(0.5, 0.2))
    assert report["questions"] == {"replayed": 2, "held_out": 3}
    assert report["notes_unbounded"] == 10
    for budget, kept in (("0.5", 5), ("0.2", 2)):
        row = report["budgets"][budget]
        assert set(row) == set(bench_budget.POLICIES)
        assert {v["notes_kept"] for v in row.values()} == {kept}
        assert all(0 <= v["recall"] <= 1 for v in row.values())
    check = report["checks"]["0.5"]
    assert check["target_ratio"] == 0.95 and set(check["beats"]) == {"fifo", "random"}
    assert report["checks"]["0.2"]["target_ratio"] is None
    rows = bench_budget.table_rows(report)
    assert rows[0][1] == "unbounded" and len(rows) == 1 + 2 * len(bench_budget.POLICIES)


def test_a_token_budget_keeps_a_share_of_the_words(tmp_path):
    data = write_conversation(tmp_path / "conv.json")
    report = bench_budget.run(data, embedder=HashEmbedder(), epochs=0, config=RULE,
                              budgets=(0.5,), policies=("keep-score", "fifo"), kind="tokens")
    words = report["words_unbounded"]
    assert report["budget_kind"] == "tokens" and words > 0
    for v in report["budgets"]["0.5"].values():
        assert 0 < v["words_kept"] <= round(0.5 * words)
        assert v["notes_kept"] < report["notes_unbounded"]


def test_fifo_keeps_the_newest_and_random_is_seeded(memory):
    ids = [memory.add(f"The {w} is blue", user_id="c")[0].note_id
           for w in ("sky", "sea", "car", "door")]
    store = memory.store
    assert bench_budget.fifo(store, "c", 1, 0) == ids[:3]
    assert bench_budget.random_notes(store, "c", 2, 0) == bench_budget.random_notes(
        store, "c", 2, 0)
    assert len(set(bench_budget.random_notes(store, "c", 2, 0))) == 2


def test_the_command_checks_its_options(tmp_path):
    result = run("bench", "budget", "--budgets", "1.5")
    assert result.exit_code == 1 and "between 0 and 1" in result.stderr
    result = run("bench", "budget", "--policies", "lru")
    assert result.exit_code == 1 and "unknown --policies lru" in result.stderr
    result = run("bench", "budget", "--kind", "bytes")
    assert result.exit_code == 1 and "--kind must be one of notes, tokens" in result.stderr


def test_expiry_is_simulated_by_the_datasets_times(db_path):
    from datetime import datetime

    from asem import Memory
    from asem.eval.dataset import Turn
    from asem.eval.expiry import simulate_expiry
    from tests.test_lifecycle import ShortTermManager

    turns = [Turn("D1:1", "ana", "I am at the airport now", "s1", datetime(2023, 5, 1)),
             Turn("D2:1", "ana", "My flight to Oslo was cancelled", "s2", datetime(2023, 5, 6)),
             Turn("D3:1", "ana", "Back home at last", "s3", datetime(2023, 5, 9))]
    with Memory(db_path, embedder=HashEmbedder(), manager=ShortTermManager()) as m:
        for t in turns:
            m.add(t.text, user_id="q1", timestamp=t.timestamp, turn_id=t.dia_id)
        (gone,) = simulate_expiry(m, "q1", turns, 7.0)  # 8 days before the last turn
        assert m.get(gone, user_id="q1", include_deleted=True).content.startswith("I am at")
        assert m.count_notes("q1") == 2
        assert simulate_expiry(m, "q1", [Turn("x", "", "t", "s", None)], 7.0) == []
