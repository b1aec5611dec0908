"""The correctness benchmark: its labelled streams, its train / held-out split, what it
measures on policies whose behaviour is known, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asem.eval.correctness import evaluate, longmemeval_streams, run_stream
from asem.eval.correctness_data import KINDS, CaseStream, Fact, families, streams
from asem.providers import HashEmbedder
from asem.types import Decision, Op
from tests.test_cli import run

LME = Path(__file__).resolve().parents[1] / "../shared/data/longmemeval/longmemeval_oracle.json"


def test_every_kind_has_labelled_streams_in_both_splits():
    for split in ("train", "held-out"):
        made = streams(split, 5)
        assert sorted({s.kind for s in made}) == sorted(KINDS)
        for s in made:
            assert s.split == split and len(s.facts) == 2
            if s.kind == "change":
                assert [f.role for f in s.facts] == ["stale", "keep"]
                assert s.facts[1].marker in s.facts[1].text
            elif s.kind == "retraction":
                assert [f.role for f in s.facts] == ["stale", "cue"]
            else:
                assert all(f.role == "keep" and f.marker.casefold() in f.text.casefold()
                           for f in s.facts)
            if s.kind == "event":
                assert all(f.date and f.date.casefold() in f.text.casefold() for f in s.facts)


def test_held_out_families_and_wordings_never_reach_the_training_split():
    train, held = streams("train", 300), streams("held-out", 300)
    held_families = {f"{k}:{a.name}" for k in KINDS for a in families(k) if k in a.held_out}
    assert held_families and not held_families & {s.family for s in train}
    assert held_families <= {s.family for s in held}
    # In the families both splits share, the held-out split says only held-out wordings.
    shared = {s.family for s in train}
    said_in_training = {f.text for s in train for f in s.facts}
    leaked = [s for s in held if s.family in shared
              and s.facts[0].text in said_in_training and s.facts[1].text in said_in_training]
    assert not leaked


def test_templates_vary_wording_value_and_person():
    made = streams("train", 60)
    change = [s for s in made if s.kind == "change"]
    assert len({s.facts[1].text for s in change}) > 40
    people = {s.facts[0].text.split("'")[0].split()[0] for s in made
              if s.kind == "unrelated-same-person"}
    assert len(people) >= 5
    assert not any(" a a" in f.text or " a e" in f.text for s in made for f in s.facts)


class Merges:
    """Merges every input into the nearest note."""

    def decide(self, proposal):
        if not proposal.candidates:
            return Decision(Op.ADD, reason="new")
        c = proposal.candidates[0]
        return Decision(Op.UPDATE, c.note_id, merged_content=f"{c.content} {proposal.content}",
                        reason="merge")


class Replaces:
    """Replaces the nearest note by the input."""

    def decide(self, proposal):
        if not proposal.candidates:
            return Decision(Op.ADD, reason="new")
        return Decision(Op.UPDATE, proposal.candidates[0].note_id,
                        merged_content=proposal.content, reason="replace")


class Adds:
    def decide(self, proposal):
        return Decision(Op.ADD, reason="new")


def _stream(kind: str, *facts: tuple) -> CaseStream:
    return CaseStream(kind, f"{kind}:test", "held-out", tuple(Fact(*f) for f in facts))


CHANGE = _stream("change", ("I live in Boston.", "Boston", "Where do I live?", "stale"),
                 ("I moved to Denver.", "Denver", "Where do I live?", "keep"))
UNRELATED = _stream("unrelated-same-person",
                    ("Bob's secret bank PIN is 4321.", "4321", "What is Bob's PIN?", "keep"),
                    ("Bob is allergic to peanuts.", "peanuts", "What is Bob allergic to?", "keep"))
EVENTS = _stream("event", ("I read Dune last month.", "Dune", "When did I read Dune?", "keep",
                           "last month"),
                 ("I read Neuromancer last week.", "Neuromancer", "When did I read Neuromancer?",
                  "keep", "last week"))
RETRACTION = _stream("retraction", ("I go to a book club every week.", "book club",
                                    "Which weekly group do I go to?", "stale"),
                     ("I stopped going to the book club.", "book club",
                      "Which weekly group do I go to?", "cue"))


def test_a_change_is_right_only_when_the_old_value_is_no_longer_current():
    embed = HashEmbedder()
    merged = run_stream(CHANGE, Merges(), embed)
    assert merged.stale_current and not merged.current and not merged.expected
    assert merged.notes == 1 and merged.lost == 0
    kept_both = run_stream(CHANGE, Adds(), embed)
    assert kept_both.stale_current and not kept_both.expected and kept_both.notes == 2
    replaced = run_stream(CHANGE, Replaces(), embed)
    assert replaced.expected and replaced.current and not replaced.stale_current


def test_unrelated_facts_and_events_must_stay_apart():
    embed = HashEmbedder()
    for stream in (UNRELATED, EVENTS):
        apart, together = run_stream(stream, Adds(), embed), run_stream(stream, Merges(), embed)
        assert apart.separate and apart.expected and apart.notes == 2
        assert together.separate is False and not together.expected and together.notes == 1
    lost = run_stream(UNRELATED, Replaces(), embed)
    assert lost.lost == 1 and not lost.expected


def test_a_retraction_is_right_when_the_activity_is_gone():
    embed = HashEmbedder()
    assert not run_stream(RETRACTION, Adds(), embed).expected
    assert not run_stream(RETRACTION, Merges(), embed).expected
    assert run_stream(RETRACTION, Replaces(), embed).expected


def test_report_has_every_figure_per_kind_and_skips_llm_without_a_model():
    report = evaluate([CHANGE, UNRELATED, EVENTS, RETRACTION], ["always-add", "llm"],
                      HashEmbedder())
    assert set(report["skipped"]) == {"llm"}
    rows = report["policies"]["always-add"]["by_kind"]
    assert list(rows) == ["unrelated-same-person", "event", "change", "retraction"]
    assert rows["change"]["expected"] == 0.0 and rows["change"]["stale_as_current"] == 1.0
    assert rows["event"]["separate"] == 1.0 and rows["change"]["separate"] is None
    assert rows["unrelated-same-person"]["lost"] == 0.0
    assert report["policies"]["always-add"]["all"]["notes_per_input"] == 1.0


@pytest.mark.skipif(not LME.is_file(), reason="LongMemEval data not present")
def test_longmemeval_knowledge_updates_become_change_streams():
    made = longmemeval_streams(LME)
    assert 60 <= len(made) <= 78
    for s in made:
        assert s.kind == "change" and s.source == "longmemeval"
        assert len(s.keep) == 1 and s.stale
        assert s.facts.index(s.keep[0]) > max(s.facts.index(f) for f in s.stale)
        assert all(f.probe == s.keep[0].probe for f in s.facts)


def test_the_command_prints_json_per_policy(tmp_path):
    out = tmp_path / "c.json"
    result = run("--json", "bench", "correctness", "--per-kind", "1", "--real", "none",
                 "--policies", "always-add,llm", "--json", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["streams"] == len(KINDS) and report["split"] == "held-out"
    assert set(report["policies"]) == {"always-add"} and "llm" in report["skipped"]
    bad = run("bench", "correctness", "--split", "dev", "--real", "none")
    assert bad.exit_code != 0 and "--split" in bad.output
