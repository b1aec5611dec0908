"""The shipped checkpoint, the default manager, managers by name, and the CLI commands."""

from __future__ import annotations

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from asem import Memory, MemoryConfig, WriteConfig
from asem.cli.app import app
from asem.errors import InvalidInputError
from asem.manager import LearnedManager, policy
from asem.manager.registry import resolve
from asem.providers import HashEmbedder
from asem.types import Op, Tier
from asem.write.manager import Candidate, Proposal, RuleManager

BUDDY = "I adopted a dog named Buddy."
SCOUT = "I adopted another dog named Scout."


def test_the_shipped_checkpoint_turns_buddy_and_scout_into_one_update():
    manager = LearnedManager.load()
    d = manager.decide(Proposal(SCOUT, None, [Candidate("b", BUDDY, 0.83, 0.83)]))
    assert (d.op, d.target_id) == (Op.UPDATE, "b")
    assert d.merged_content == f"{BUDDY} {SCOUT}"


@pytest.mark.parametrize(("said", "note", "expected"), [
    # a held-out retraction wording: the training templates never say "gave up on"
    ("I gave up on the book club.", "I go to a book club every week.", Op.DELETE),
    # news about a known thing is a note of its own, not merged into the thing's note
    ("I went hiking at Bear Lake with my dog Buddy last weekend.", BUDDY, Op.ADD),
    ("I moved from Boston to Denver.", "I live in Boston.", Op.UPDATE),
])
def test_the_shipped_checkpoint_deletes_retractions_and_keeps_episodes_apart(said, note,
                                                                             expected):
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert d.op is expected
    if expected is Op.UPDATE:
        assert d.merged_content == said  # the changed fact replaces the old one


@pytest.mark.parametrize(("said", "note", "expected"), [
    # held-out wordings: the value starts the sentence, or is lower-case
    ("Spanish is another language I speak.", "I speak French.", Op.UPDATE),
    ("Another instrument I play is the violin.", "I play the piano.", Op.UPDATE),
    # a held-out restatement adds nothing: the note keeps its content and gains the turn
    ("Yes, I work as a teacher.", "I am a teacher by profession.", Op.NOOP),
])
def test_the_shipped_checkpoint_sees_values_whatever_their_case_or_place(said, note, expected):
    d = LearnedManager.load().decide(Proposal(said, None, [Candidate("n", note, 0.7, 0.7)]))
    assert (d.op, d.target_id) == (expected, "n")
    if expected is Op.UPDATE:
        assert d.merged_content == f"{note} {said}"  # both values kept


def test_a_memory_writes_through_the_learned_manager_by_name(db_path):
    with Memory(db_path, embedder=HashEmbedder(), manager="learned") as memory:
        assert isinstance(memory.manager, LearnedManager)
        (a,) = memory.add(BUDDY, user_id="u", turn_id="1")
        (b,) = memory.add(SCOUT, user_id="u", turn_id="2")
        assert (b.op, b.note_id) == (Op.UPDATE, a.note_id)
        note = memory.get(a.note_id, user_id="u")
        assert "Buddy" in note.content and "Scout" in note.content
        assert note.provenance.turn_ids == ("1", "2")
        assert memory.history(a.note_id, user_id="u")[-1].old["content"] == BUDDY


def test_the_learned_manager_never_targets_outside_the_candidates():
    manager = LearnedManager.load()
    rng = np.random.default_rng(0)
    for n in range(6):
        candidates = [Candidate(f"c{i}", f"note {i} about Boston {rng.integers(9)}",
                                float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)),
                                tier=Tier.SHORT_TERM) for i in range(n)]
        d = manager.decide(Proposal("I moved to Denver now", None, candidates))
        assert d.target_id is None or d.target_id in {c.note_id for c in candidates}


def test_managers_resolve_by_name_or_checkpoint_path(tmp_path):
    config = MemoryConfig()
    assert isinstance(resolve("rule", config), RuleManager)
    assert isinstance(resolve("learned", config), LearnedManager)
    path = tmp_path / "m.npz"
    policy.save(policy.init_params(3), path, {})
    assert isinstance(resolve(str(path), config), LearnedManager)
    with pytest.raises(InvalidInputError, match="unknown manager"):
        resolve("clever", config)
    with pytest.raises(InvalidInputError, match="no manager checkpoint"):
        resolve(str(tmp_path / "missing.npz"), config)
    (tmp_path / "bad.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInputError, match="cannot read manager checkpoint"):
        resolve(str(tmp_path / "bad.npz"), config)


def test_the_config_chooses_the_manager_and_the_learned_one_is_the_default(db_path):
    config = MemoryConfig(write=WriteConfig(manager="rule"))
    with Memory(db_path, embedder=HashEmbedder(), config=config) as memory:
        assert isinstance(memory.manager, RuleManager)
    with Memory(db_path, embedder=HashEmbedder()) as memory:
        assert isinstance(memory.manager, LearnedManager)


@pytest.mark.parametrize("path", [["train", "manager"], ["bench", "manager"]])
def test_manager_commands_have_help_text(path):
    group = typer.main.get_command(app)
    command = group.commands[path[0]].commands[path[1]]  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and command.help.split("\n")[0][:30] in result.stdout
    assert all(getattr(p, "help", None) for p in command.params)


def test_train_manager_rejects_bad_options_in_one_line():
    result = CliRunner().invoke(app, ["train", "manager", "--algo", "ppo"])
    assert result.exit_code == 1 and "--algo must be grpo or reinforce" in result.output
    assert "Traceback" not in result.output


def test_interrupted_training_says_so_and_leaves_the_checkpoint_alone(tmp_path, monkeypatch):
    import asem.manager.train as train
    import asem.providers.onnx_minilm as onnx

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train_restarts", interrupted)
    monkeypatch.setattr(onnx, "MiniLMEmbedder", HashEmbedder)
    out = tmp_path / "m.npz"
    out.write_bytes(b"the checkpoint from before")
    result = CliRunner().invoke(app, ["train", "manager", "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert f"interrupted: no checkpoint written ({out} is unchanged)" in " ".join(
        result.output.split())
    assert out.read_bytes() == b"the checkpoint from before"


@pytest.mark.parametrize(("said", "discardable"), [
    ("Haha, thanks so much!", True),
    ("Cool, thanks! Bye!", True),
    ("Yeah, awesome! Glad to be part of it.", False),  # a LoCoMo evidence turn
    ("Wow! Did you see that band?", False),  # a LoCoMo evidence turn
    ("They were awestruck and humbled.", False),  # another
    ("Thanks, Caroline. It was tough, but I'm doing ok. Been reading that book you "
     "recommended.", False),
])
def test_a_turn_that_says_more_than_pleasantries_is_never_discarded(said, discardable):
    from asem.manager.features import features

    proposal = Proposal(said, None, [Candidate("b", BUDDY, 0.1, 0.1)])
    f = features(proposal)
    mask = LearnedManager.load().forward(f).mask
    assert f.discardable is discardable
    assert bool(mask[-1]) is discardable  # the last action is discard


@pytest.mark.parametrize(("said", "note", "noop", "update"), [
    ("Yes, Buddy is our dog.", BUDDY, True, True),  # a restatement
    ("I adopted another dog named Scout.", BUDDY, False, True),  # a new name is news
    ("Wow, Maria, how cute! What's her name? Do she and your other dog get along?",
     "Thanks for your support, John. How's your family doing?", False, False),
    ("A car ran a red light and hit us, but thankfully everyone is okay.",
     "Wow, Maria! You're so dedicated to helping people.", False, False),  # a new story
])
def test_a_note_is_noop_or_update_target_only_for_what_it_already_is_about(said, note, noop,
                                                                           update):
    from asem.manager.features import features
    from asem.manager.policy import Targeted

    f = features(Proposal(said, None, [Candidate("n", note, 0.6, 0.6)]))
    mask = LearnedManager.load().forward(f).mask
    assert bool(mask[Targeted.NOOP]) is noop
    assert bool(mask[Targeted.MERGE]) is bool(mask[Targeted.REPLACE]) is update


@pytest.mark.parametrize("said", [
    "Nice! What made you decide to get that?",  # a LoCoMo question, restating no fact
    "Wow, looking good! How long have you been playing?",
    "Did you adopt another dog named Scout?",
])
def test_a_turn_that_asks_takes_no_targeted_action(said):
    from asem.manager.features import features

    candidates = [Candidate("n", "Wow! Looks amazing. When did you get to go there? You're "
                                  "really talented.", 0.6, 0.6),
                  Candidate("b", BUDDY, 0.6, 0.6)]
    f = features(Proposal(said, None, candidates))
    mask = LearnedManager.load().forward(f).mask
    assert f.asks and not mask[: 4 * len(candidates)].any()
    assert mask[4 * policy.K + policy.Untargeted.ADD_LONG]
    d = LearnedManager.load().decide(Proposal(said, None, candidates))
    assert d.op is Op.ADD
    statement = features(Proposal("Yes, Buddy is our dog.", None, candidates))
    assert not statement.asks  # the same turn as a statement may be recorded on "b"
    assert not features(Proposal(said, None, candidates), guards=False).asks


def test_an_answer_takes_no_targeted_action_on_the_turn_it_answers():
    from asem.manager.features import features

    candidates = [Candidate("a", BUDDY, 0.8, 0.8), Candidate("b", BUDDY + " He is 3.", 0.7, 0.7)]
    echo = "Yes, Buddy is our dog."  # restates both candidates
    free = LearnedManager.load().forward(
                          features(Proposal(echo, None, candidates))).mask
    guarded = LearnedManager.load().forward(
                             features(Proposal(echo, None, candidates, replies_to="a"))).mask
    assert free[policy.Targeted.NOOP] and free[4 + policy.Targeted.NOOP]
    assert not guarded[:4].any() and guarded[4 + policy.Targeted.NOOP]  # "b" is still open
    d = LearnedManager.load().decide(Proposal(echo, None, candidates, replies_to="a"))
    assert d.target_id != "a"
    training = features(Proposal(echo, None, candidates, replies_to="a"), guards=False)
    assert training.closed is None


@pytest.mark.usefixtures("rules_only")
def test_no_targeted_action_lands_on_a_note_that_asks():
    from asem.manager.features import features

    candidates = [Candidate("q", "What inspired you to go down this route?", 0.7, 0.7),
                  Candidate("s", "Travel was her great passion.", 0.6, 0.6)]
    f = features(Proposal("Travel was also her great passion!", None, candidates))
    assert f.closed is not None and f.closed.tolist() == [True, False]
    mask = LearnedManager.load().forward(f).mask
    assert not mask[:4].any() and mask[4 + policy.Targeted.NOOP]


@pytest.mark.parametrize(("said", "people"), [
    ("My sister lives in Lisbon.", {"sister"}),
    ("Haha yes! My older sister moved to Porto.", {"sister"}),
    ("My sister's home is in Lisbon.", {"sister"}),
    ("I visited our grandparents and my best friends.", {"grandparent", "friend"}),
    ("I live in Boston.", set()),
    ("My daughter Emma just started school.", set()),  # the speaker's own family fact
    ("A sister of a friend called.", set()),  # nobody named as "my …"
])
def test_relations_are_the_people_named_as_mine(said, people):
    from asem.manager import text

    assert text.relations(said) == people


@pytest.mark.parametrize(("said", "note", "cosine", "closed"), [
    ("My sister lives in Lisbon.", "I live in Boston.", 0.6, True),  # another person
    ("My sister lives in Lisbon.", "I live in Lisbon.", 0.8, True),  # not a restatement
    ("My brother lives in Madrid.", "My sister lives in Lisbon.", 0.6, True),
    ("My sister moved to Porto.", "My sister lives in Lisbon.", 0.6, False),
    ("My flight is on gate 12.", "I have 3 cats.", 0.1, True),  # nothing in common
    ("We relocated to Denver last month.", "I live in Boston.", 0.45, False),  # by cosine
    # What the floor costs: a complementary fact with nothing in common, below it.
    ("latex is another thing I react to.", "I have an allergy to peanuts.", 0.1, True),
    ("I have 4 cats now.", "I have 3 cats.", 0.1, False),  # a shared word
])
def test_no_targeted_action_on_a_note_about_something_or_someone_else(said, note, cosine,
                                                                      closed):
    from asem.manager.features import features

    candidate = Candidate("n", note, cosine, cosine)
    f = features(Proposal(said, None, [candidate]))
    assert f.closed is not None and f.closed.tolist() == [closed]
    decision = LearnedManager.load().decide(Proposal(said, None, [candidate]))
    if closed:
        assert decision.op is Op.ADD
    assert features(Proposal(said, None, [candidate]), guards=False).closed is None


def test_the_relatedness_floor_is_the_training_answerers():
    from asem.manager import text
    from asem.manager.env.reward import MIN_SIMILARITY

    assert text.MIN_RELATED == MIN_SIMILARITY


@pytest.mark.parametrize(("speaker", "merged"), [("Ana", True), ("ana ", True), (None, True),
                                                 ("Ben", False)])
def test_no_one_changes_or_retracts_what_someone_else_said(speaker, merged):
    from asem.manager.features import features

    buddy = Candidate("n1", "I adopted a dog named Buddy.", 0.8, 0.8, speaker="Ana")
    proposal = Proposal("I adopted another dog named Scout.", speaker, [buddy])
    d = LearnedManager.load().decide(proposal)
    assert (d.op is Op.UPDATE and d.target_id == "n1") is merged
    mask = LearnedManager.load().forward(features(proposal)).mask
    assert not mask[policy.Targeted.NOOP]  # a new name is news, whoever says it
    restated = Proposal("Yes, Buddy is our dog.", speaker, [buddy])
    # recording a restatement as known changes nothing of Ana's, but Ben's "our dog" says
    # something of Ben that Ana's note does not
    assert bool(LearnedManager.load().forward(features(restated)).mask[
        policy.Targeted.NOOP]) is merged
    changes = [policy.Targeted.MERGE, policy.Targeted.REPLACE, policy.Targeted.DELETE]
    assert mask[changes].tolist() == [merged] * 3
    assert features(proposal, guards=False).foreign is None


@pytest.mark.parametrize("said", ["I live in Boston as well.", "Me too, I live in Boston!",
                                  "Yes, I live in Boston."])
def test_what_someone_says_of_themselves_is_not_recorded_on_anothers_note(said):
    """Recorded on Ana's note, Ben's own fact would be gone: the note says Ana said it."""
    from asem.manager import news
    from asem.manager.features import features

    assert news.of_speaker(said)
    note = Candidate("n1", "I live in Boston.", 0.9, 0.9, speaker="Ana")
    for speaker, open_ in (("Ben", False), ("Ana", True), (None, True)):
        mask = LearnedManager.load().forward(
                              features(Proposal(said, speaker, [note]))).mask
        assert bool(mask[policy.Targeted.NOOP]) is open_
    assert LearnedManager.load().decide(Proposal(said, "Ben", [note])).op is Op.ADD
    echo = Proposal("Boston, nice!", "Ben", [note])  # says nothing of Ben
    assert LearnedManager.load().forward(features(echo)).mask[
        policy.Targeted.NOOP]


@pytest.mark.parametrize("said", ["Thanks so much!", "I'm so happy for you!", "Boston is lovely."])
def test_what_says_nothing_of_its_speaker(said):
    from asem.manager import news

    assert not news.of_speaker(said)


def test_use_manager_swaps_the_policy_and_rejects_a_bad_one(db_path):
    with Memory(db_path, embedder=HashEmbedder()) as memory:
        memory.use_manager("rule")
        assert isinstance(memory.manager, RuleManager)
        with pytest.raises(InvalidInputError, match="unknown manager"):
            memory.use_manager("nope")
        assert isinstance(memory.manager, RuleManager)  # unchanged


def test_a_checkpoint_trained_on_fewer_features_reads_only_those(tmp_path):
    """A feature added since a checkpoint was trained is left out for it: its decisions are
    those of a policy that never had the feature."""
    import json

    from asem.manager.features import PAIR_FEATURES, X_FEATURES

    params = policy.init_params(3)
    dropped_x, dropped_pair = len(X_FEATURES) - 1, len(PAIR_FEATURES) - 1
    rows = [i for i in range(len(PAIR_FEATURES) + len(X_FEATURES))
            if i not in (dropped_pair, len(PAIR_FEATURES) + dropped_x)]
    g_rows = [i for i in range(len(X_FEATURES) + len(PAIR_FEATURES) + 1)
              if i not in (dropped_x, len(X_FEATURES) + dropped_pair)]
    older = params | {"W1": params["W1"][rows], "U1": params["U1"][g_rows]}
    path = tmp_path / "older.npz"
    meta = {"x_features": X_FEATURES[:-1], "pair_features": PAIR_FEATURES[:-1], "k": 5}
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **older)
    manager = LearnedManager.load(path)
    buddy = Candidate("n1", "I adopted a dog named Buddy.", 0.8, 0.8)
    proposal = Proposal("I read Dune last month.", None, [buddy])
    probs = manager.probabilities(proposal)
    assert probs.shape == (policy.N_ACTIONS,) and abs(probs.sum() - 1) < 1e-6
    # The same weights with the left-out features' inputs at zero decide alike.
    zeroed = params | {"W1": params["W1"].copy(), "U1": params["U1"].copy()}
    zeroed["W1"][[dropped_pair, len(PAIR_FEATURES) + dropped_x]] = 0
    zeroed["U1"][[dropped_x, len(X_FEATURES) + dropped_pair]] = 0
    assert np.allclose(probs, LearnedManager(zeroed).probabilities(proposal))
    bad = tmp_path / "bad.npz"
    np.savez_compressed(bad, meta=np.array(json.dumps(meta | {"x_features": ["unknown"]})),
                        **older)
    with pytest.raises(InvalidInputError, match="other features"):
        LearnedManager.load(bad)
