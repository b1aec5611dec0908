"""benchmarks/large_tenant.py: recall and latency of read settings in one large tenant,
run end to end on a small LongMemEval-shaped file."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
large = importlib.import_module("large_tenant")

_TOPICS = ["my dog Rex", "the garden", "my sister's wedding", "a trip to Lisbon",
           "learning the violin", "our new kitchen"]


def _data(path: Path) -> Path:
    """Two answerable questions (one with its evidence in a user turn) and an abstention."""
    def sessions(evidence: int | None) -> list[list[dict[str, object]]]:
        said = [[{"role": "user", "content": f"Let me tell you about {topic}, part {i}."},
                 {"role": "assistant", "content": f"Thanks for sharing about {topic}."}]
                for i, topic in enumerate(_TOPICS)]
        if evidence is not None:
            said[evidence][0]["has_answer"] = True
        return said

    entries = [
        {"question_id": "q1", "question": "What did I say about my sister's wedding?",
         "haystack_sessions": sessions(2)},
        {"question_id": "q2", "question": "What did you answer about the garden?",
         "haystack_sessions": sessions(None)},  # no user evidence: not asked
        {"question_id": "q3_abs", "question": "What about the wedding?",
         "haystack_sessions": sessions(2)},  # an abstention: not asked
    ]
    path.write_text(json.dumps(entries))
    return path


def test_a_small_run_reports_recall_agreement_and_latency_per_setting(tmp_path):
    out = tmp_path / "large.json"
    assert large.main(["--data", str(_data(tmp_path / "lme.json")), "--notes", "10",
                       "--embeddings", str(tmp_path / "cache.sqlite"),
                       "--settings", '{"lexical_postings": 1}', '{"lexical_postings": null}',
                       "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["notes"] == 6  # 12 turns: half of them kept back for adds
    assert report["questions"] == 1 and report["questions_skipped"] == 0
    budget, none = report["settings"]
    assert (budget["setting"], none["setting"]) == ({"lexical_postings": 1},
                                                    {"lexical_postings": None})
    assert budget["agreement_at_10"] == 1.0  # the first setting is the reference
    for setting in report["settings"]:
        assert setting["recall_any_at_10"] == 1.0  # six notes: the evidence among the ten
        assert 0 <= setting["agreement_at_10"] <= 1
        assert setting["search_ms"]["n"] == 1 and setting["search_ms"]["p50"] > 0


@pytest.mark.parametrize(("bad", "said"), [("many", "not JSON"), ("[1]", "JSON object"),
                                           ('{"k_cands": 5}', "no such ReadConfig field"),
                                           ('{"lexical_postings": "40000"}', "does not work")])
def test_a_setting_that_is_no_read_config_is_refused(tmp_path, bad, said, capsys):
    with pytest.raises(SystemExit):
        large.main(["--data", str(_data(tmp_path / "lme.json")), "--settings", bad])
    assert said in capsys.readouterr().err


def test_a_tenant_too_small_to_hold_any_evidence_says_so(tmp_path):
    with pytest.raises(SystemExit, match="--notes"):
        large.main(["--data", str(_data(tmp_path / "lme.json")), "--notes", "2",
                    "--embeddings", str(tmp_path / "cache.sqlite")])


def test_a_missing_data_file_is_one_error_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        large.main(["--data", str(tmp_path / "none.json")])
    assert "not found" in capsys.readouterr().err


def test_a_store_that_is_neither_sqlite_postgres_nor_a_url_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        large.main(["--data", str(_data(tmp_path / "lme.json")), "--store", "sqllite"])
    assert "neither sqlite, postgres nor a postgresql:// URL" in capsys.readouterr().err
