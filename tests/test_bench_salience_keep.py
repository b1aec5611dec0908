"""benchmarks/salience_keep.py: what a content prior alone keeps of a pool of turns."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

_SCRIPT = Path(__file__).parents[1] / "benchmarks" / "salience_keep.py"
_spec = importlib.util.spec_from_file_location("salience_keep", _SCRIPT)
assert _spec and _spec.loader
salience_keep = importlib.util.module_from_spec(_spec)
sys.modules["salience_keep"] = salience_keep  # its dataclasses look their module up
_spec.loader.exec_module(salience_keep)


class Digits:
    """A stand-in model: the more digits a text holds, the more salient."""

    def logits(self, texts, intents):
        return np.array([sum(c.isdigit() for c in t) for t in texts], dtype=float)


def test_each_ranking_keeps_its_share_and_counts_questions_kept():
    pool = salience_keep.Pool(["ok", "Born on 1990-05-04", "sure", "haha", "I moved in 2021",
                               "nice", "yes", "cool"], [{1}, {4}, {5}])
    found = salience_keep.measure([pool], Digits(), lambda texts: None, [1.0])
    assert found["salience"]["0.25"] == {"any": round(2 / 3, 4), "turns": round(2 / 3, 4),
                                         "questions": 3}
    assert found["salience"]["auc"] > 0.5 and found["fifo"]["0.25"]["any"] == 0.0
    assert set(found) == {"information", "salience", "words", "fifo",
                          "information + 1 salience"}


def test_longmemeval_pools_hold_only_held_out_questions(tmp_path):
    questions = [{"question_id": f"q{n}", "haystack_session_ids": [f"s{n}"],
                  "haystack_sessions": [[{"role": "user", "content": f"fact {n}",
                                          "has_answer": True},
                                         {"role": "user", "content": "ok"}]]}
                 for n in range(40)]
    data = tmp_path / "lme.json"
    data.write_text(json.dumps(questions))
    pools = salience_keep.longmemeval_pools(data, 10)
    held = [q["question_id"] for q in questions
            if salience_keep.held_out(q["question_id"], salience_keep.HELD_OUT, 0)]
    assert 0 < len(held) < 40
    assert sum(len(p.questions) for p in pools) == len(held)
    assert all(p.texts[i].startswith("fact") for p in pools for q in p.questions for i in q)
