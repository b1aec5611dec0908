"""A user's own streams: the file format, its errors, and training and evaluating on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from asem.cli.app import app
from asem.errors import InvalidInputError
from asem.manager import train as training
from asem.manager.env.sim import EmbeddingCache
from asem.manager.env.user import LABEL_REWARD, UNLABELLED, load_user_streams
from asem.manager.rollout import canonical_cases, user_figures
from asem.providers import HashEmbedder
from asem.types import Decision, Op, Tier
from asem.write.manager import AlwaysAdd

DOGS = {"events": [
    {"text": "I adopted a dog named Buddy.", "about": "dogs", "kind": "novel"},
    {"text": "Haha, so cute!", "kind": "chit-chat"},
    {"text": "I adopted another dog named Scout.", "about": "dogs", "kind": "complementary"}],
    "probes": [
        {"question": "What are my dogs called?", "answer": "Buddy", "after": 0},
        {"question": "What are my dogs called?", "answer": "Buddy and Scout", "after": 2}]}
CITY = {"events": [{"text": "I live in Boston."},
                   {"text": "I moved from Boston to Denver last month."}],
        "probes": [{"question": "Which city do I live in?", "answer": "Denver"}]}


def write(tmp_path: Path, *streams: object, name: str = "streams.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(s) + "\n" for s in streams), encoding="utf-8")
    return path


def test_streams_load_with_labels_and_answers_that_change(tmp_path):
    dogs, city = load_user_streams(write(tmp_path, DOGS, CITY))
    assert [e.kind for e in dogs.events] == ["novel", "chit-chat", "complementary"]
    assert [e.slot for e in dogs.events] == ["dogs", None, "dogs"]
    assert [[p.gold for p in after] for after in dogs.probes_after] == [
        ["Buddy"], ["Buddy"], ["Buddy and Scout"]]  # the later probe takes over
    assert [e.kind for e in city.events] == [UNLABELLED, UNLABELLED]
    assert [[p.gold for p in after] for after in city.probes_after] == [["Denver"]] * 2


def test_a_json_list_of_streams_loads_too(tmp_path):
    path = tmp_path / "streams.json"
    path.write_text(json.dumps([DOGS, CITY]), encoding="utf-8")
    assert len(load_user_streams(path)) == 2


def test_a_numeric_answer_is_read_as_text(tmp_path):
    stream = {"events": [{"text": "I have 3 cats."}],
              "probes": [{"question": "How many cats do I have?", "answer": 3}]}
    assert load_user_streams(write(tmp_path, stream))[0].final_probes[0].gold == "3"


@pytest.mark.parametrize(("content", "message"), [
    ("", "holds no streams"),
    ('{"events": [}\n', "line 1: not valid JSON"),
    (json.dumps(DOGS) + "\n" + '{"events": []}\n', "line 2: 'events' must be a non-empty list"),
    ('{"events": [{"text": "x"}], "probe": []}\n', "unknown field(s) probe"),
    ('{"events": [{"text": " "}], "probes": []}\n', "event 0: 'text' must be a non-empty"),
    ('{"events": [{"text": "x", "kind": "moved"}]}\n', "'kind' must be one of novel"),
    ('{"events": [{"text": "x", "kind": "changed"}]}\n', "a 'changed' event needs 'about'"),
    ('{"events": [{"text": "x"}], "probes": [{"question": "q", "answer": "a", "after": 1}]}\n',
     "'after' must be an event index from 0 to 0"),
    ('{"events": [{"text": "x"}], "probes": [{"question": "q"}]}\n',
     "'answer' must be a non-empty string"),
    ('{"events": [{"text": "x"}]}\n', "give probes or label events"),
    ("[1]", "stream 1: a stream is an object"),
])
def test_bad_streams_are_refused_with_where_and_why(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_user_streams(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read streams file"):
        load_user_streams(tmp_path / "none.jsonl")


def test_only_labelled_events_are_cases_and_figures_follow_the_probes(tmp_path):
    dogs, city = load_user_streams(write(tmp_path, DOGS, CITY))
    embed = EmbeddingCache(HashEmbedder())
    cases = canonical_cases(AlwaysAdd(), dogs, embed)
    assert [(kind, ok) for kind, ok, _ in cases] == [
        ("novel", True), ("chit-chat", False), ("complementary", False)]
    assert canonical_cases(AlwaysAdd(), city, embed) == []
    figures = user_figures(AlwaysAdd(), [dogs, city], embed)
    assert figures["user_labels"] == pytest.approx(1 / 3)
    assert figures["user_notes_per_event"] == 1.0
    assert figures["user_probe_accuracy"] is not None
    assert user_figures(AlwaysAdd(), [city], embed)["user_labels"] is None


def test_training_draws_the_share_of_user_streams_it_is_given(tmp_path):
    own = load_user_streams(write(tmp_path, DOGS, CITY))
    only = training._Streams(training.TrainConfig(user_share=1.0), own)
    assert all(only.next().split == "user" for _ in range(6))
    half = training._Streams(training.TrainConfig(user_share=0.5, seed=3), own)
    drawn = [half.next().split for _ in range(400)]
    assert 150 < drawn.count("user") < 250 and drawn.count("train") == 400 - drawn.count("user")
    none = training._Streams(training.TrainConfig(), [])
    assert [none.next().seed for _ in range(3)] == [0, 1, 2]


def test_agreeing_with_a_users_label_is_rewarded(tmp_path):
    dogs = load_user_streams(write(tmp_path, DOGS))[0]
    embed = EmbeddingCache(HashEmbedder())
    runner = training._Runner(dogs)
    proposal = runner.memory.proposal(dogs.events[0].text, embed(dogs.events[0].text), 0, 5)
    decisions = [Decision(Op.ADD, tier=Tier.LONG_TERM), Decision(Op.ADD, tier=Tier.SHORT_TERM)]
    sample = training._Sample(None, np.arange(2), np.zeros(2), np.zeros(2), np.zeros(2))
    scored = training._score(runner, training._Group(proposal, sample, decisions), embed,
                             lambda memory, probes, decision: 0.0)
    assert scored.rewards.tolist() == [LABEL_REWARD, 0.0]  # the label says: ADD, long-term


def test_the_validation_score_weighs_the_users_figures_by_their_share():
    row = {"probe_accuracy": 0.8, "canonical": 0.9, "user_probe_accuracy": 0.5,
           "user_labels": None}
    assert training.validation_score(row, 0.0) == pytest.approx(1.7)
    assert training.validation_score(row, 0.5) == pytest.approx(0.5 * 1.7 + 0.5 * 1.0)
    assert training.validation_score(row, 1.0) == pytest.approx(1.0)


def test_training_on_user_streams_records_their_figures(tmp_path):
    own = load_user_streams(write(tmp_path, DOGS, CITY))
    config = training.TrainConfig(steps=2, states_per_step=2, group_size=2, eval_every=2,
                                  eval_streams=1, user_share=0.5)
    result = training.train(EmbeddingCache(HashEmbedder()), config, user_streams=own)
    meta = training.checkpoint_meta(config, result, 1, len(own))
    assert meta["user_streams"] == 2
    assert {"user_probe_accuracy", "user_labels", "user_notes_per_event"} <= set(
        meta["validation"])


def test_the_cli_refuses_bad_user_streams_in_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"events": []}\n', encoding="utf-8")
    for args in (["train", "manager", "--user-streams", str(bad)],
                 ["bench", "manager", "--data", "none", "--user-streams", str(bad)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "'events' must be a non-empty list" in result.output
        assert "Traceback" not in result.output
    good = write(tmp_path, DOGS)
    result = CliRunner().invoke(app, ["train", "manager", "--user-streams", str(good),
                                      "--user-share", "0"])
    assert result.exit_code == 1 and "--user-share must be above 0" in result.output
    result = CliRunner().invoke(app, ["train", "manager", "--user-share", "1"])
    assert result.exit_code == 1 and "--user-share needs --user-streams" in result.output


def test_the_policy_comparison_reports_figures_on_user_streams(tmp_path):
    from asem.manager.bench import compare

    own = load_user_streams(write(tmp_path, DOGS, CITY))
    seen: list[tuple[int, int]] = []
    report = compare(["always-add"], EmbeddingCache(HashEmbedder()), n_streams=1, user=own,
                     progress=lambda name, done, total: seen.append((done, total)))
    figures = report["policies"]["always-add"]
    assert report["user_streams"] == 2
    assert figures["user_labels"] == pytest.approx(1 / 3)
    assert figures["user_notes_per_event"] == 1.0
    assert seen[-1] == (3, 3) and (1, 3) in seen and (2, 3) in seen


def test_a_null_answer_retracts_the_earlier_ones(tmp_path):
    from asem.manager.env.reward import correct
    from asem.manager.env.sim import SimNote

    stream = {"events": [{"text": "I go to a book club."},
                         {"text": "I stopped going to the book club."}],
              "probes": [{"question": "Which club do I go to?", "answer": "book club"},
                         {"question": "Which club do I go to?", "answer": None, "after": 1}]}
    loaded = load_user_streams(write(tmp_path, stream))[0]
    retracted = loaded.final_probes[0]
    assert retracted.gold is None and retracted.vocabulary == ("book club",)
    assert [p.gold for p in loaded.probes_after[0]] == ["book club"]

    def note(content: str) -> SimNote:
        return SimNote("n", content, None, Tier.LONG_TERM, frozenset(), 0)

    assert correct(retracted, None) and correct(retracted, note("I play chess."))
    assert not correct(retracted, note("I go to a book club."))
    alone = {"events": [{"text": "x"}],
             "probes": [{"question": "Which club do I go to?", "answer": None}]}
    with pytest.raises(InvalidInputError, match="has none before it"):
        load_user_streams(write(tmp_path, alone, name="alone.jsonl"))


def test_the_cli_defaults_are_the_training_configs():
    from asem.cli import train as cli

    config = training.TrainConfig()
    assert (cli.DEFAULT_STEPS, cli.DEFAULT_USER_SHARE) == (config.steps, config.user_share)


def test_the_example_file_in_the_docs_loads():
    example = Path(__file__).parent.parent / "docs" / "examples" / "manager-streams.jsonl"
    streams = load_user_streams(example)
    assert len(streams) == 3
    assert any(p.gold is None for s in streams for p in s.final_probes)  # a retraction
    assert any(e.kind == UNLABELLED for s in streams for e in s.events)  # a rewarded stream
