"""The learned reading of changes (``asem.manager.replaces``): whether an input replaces what
its note says or adds to it; the write decision supersedes the note on a change instead of
adding the input beside it or merging it in."""

from __future__ import annotations

import numpy as np
import pytest

from asem.errors import InvalidInputError
from asem.manager import known, learned, replaces
from asem.manager.features import features
from asem.manager.learned import LearnedManager, asset
from asem.types import Op
from asem.write.manager import Candidate, Proposal
from tests.readings import assert_served_as_fitted


@pytest.fixture(autouse=True)
def _shipped():
    replaces.use()
    yield
    replaces.use()


@pytest.fixture(scope="module")
def manager() -> LearnedManager:
    return LearnedManager.load(asset("manager-attribute.npz"))


@pytest.mark.parametrize(("said", "note"), [
    ("Actually my favourite colour is green.", "My favourite colour is blue."),
    ("I hate sushi.", "I love sushi."),
    ("I drive a black Honda Civic.", "I drive a red Honda Civic."),
    ("I work at Meta now.", "I work at Google."),
])
def test_a_change_supersedes_its_note(pair_proposal, manager, said, note):
    d = manager.decide(pair_proposal(said, note))
    assert (d.op, d.target_id, d.merged_content, d.supersedes) == (Op.UPDATE, "n", said, True)


@pytest.mark.parametrize(("said", "note"), [
    ("I'm allergic to shellfish too.", "I'm allergic to peanuts."),
    ("Also allergic to latex.", "I'm allergic to shellfish."),
    ("I speak Italian.", "I speak French."),
    ("I play the guitar.", "I play the piano."),
    ("I love ramen.", "I love sushi."),
])
def test_one_value_more_keeps_the_note_current(pair_proposal, manager, said, note):
    d = manager.decide(pair_proposal(said, note))
    assert not d.supersedes
    assert d.op is Op.ADD or (d.op is Op.UPDATE and note.rstrip(".") in d.merged_content)


def test_the_reading_turns_the_policys_add_into_a_replacement(pair_proposal, manager):
    """The policy adds "I'm on the 6:50 now." beside "I take the 7:15 train."; read as
    replacing it, the note is superseded. With the reading off, the ADD stands."""
    proposal = pair_proposal("I'm on the 6:50 now.", "I take the 7:15 train.")
    d = manager.decide(proposal)
    assert (d.op, d.supersedes) == (Op.UPDATE, True) and "replaces n" in d.reason
    replaces.use(bar=float("inf"))
    assert manager.decide(proposal).op is Op.ADD


def test_a_long_turn_is_read_by_the_policy_alone():
    """The reading was fitted on messages of at most about 20 words: a longer turn is not
    asked, and neither is a note far from the input (``MIN_COSINE``)."""
    said = ("Honestly my favourite colour is green these days, I repainted the whole living "
            "room and bought a green sofa and some plants to go with it last weekend.")
    note = "My favourite colour is blue."
    assert not replaces.asked(said, note)
    assert replaces.asked("My favourite colour is green.", note)
    proposal = Proposal(said, None, [Candidate("n", note, 0.9, 0.9)])
    f = features(proposal)
    assert learned._replacing(proposal, f, [0]).tolist() == [0.0]
    far = Proposal("My favourite colour is green.", None, [Candidate("n", note, 0.2, 0.2)])
    assert learned._replacing(far, features(far), [0]).tolist() == [0.0]


def test_a_change_of_one_fact_supersedes_no_other(pair_proposal, manager):
    """A change worded as one ("I moved to …") reads as a change of whatever it is put
    beside; of another fact it is added."""
    for note in ("I work at Google.", "I got a job at Amazon."):
        d = manager.decide(pair_proposal("I moved to Denver.", note))
        assert not d.supersedes and d.op is Op.ADD


def test_decisions_read_the_words_and_features_the_weights_were_fitted_on(embedder,
                                                                          pair_proposal):
    """The probability at decision time is the fitted logit: the same features by name and
    the same words (values left out)."""
    pairs = [known.Pair("I take the 7:15 train.", "I'm on the 6:50 now.", True, "k"),
             known.Pair("My favourite band is Radiohead.", "Actually, it's Muse.", True, "k"),
             known.Pair("I play tennis.", "I also play golf with the Smiths.", True, "k")]
    assert_served_as_fitted(pairs, replaces.asset_path(), embedder, pair_proposal,
                            replaces.probabilities, replaces.said_anew)


def test_said_anew_leaves_values_out():
    assert replaces.said_anew("I switched to Lichess.", "I play chess online.") == {"switched"}
    assert replaces.said_anew("I love the Beatles.", "I love Radiohead.") == frozenset()
    assert replaces.said_anew("Sarah's my boss now.", "My boss is Tom.") == frozenset()


def test_the_cosine_floor_is_read_off_the_replacing_pairs(embedder):
    pairs = [p for p, replacing in replaces.training_pairs(embedder.embed) if replacing]
    notes = embedder.embed([p.note for p in pairs])
    said = embedder.embed([p.said for p in pairs])
    floor = np.percentile(np.sum(notes * said, axis=1), 5)
    assert replaces.MIN_COSINE == pytest.approx(floor, abs=0.005)


def test_the_held_out_pairs_supersede_more_changes(pair_proposal, manager):
    """The write decisions on the held-out pairs (never fitted or chosen on), as
    benchmarks/news_pairs.py measures them: the rules this reading replaced superseded
    29 of the 66 notes a message replaces and 10 of the 55 it only adds to; the reading 30
    and 11 (docs/manager.md)."""
    pairs = known.load_pairs("heldout")
    made = [manager.decide(pair_proposal(p.said, p.note)) for p in pairs]
    changes = [d.supersedes for p, d in zip(pairs, made, strict=True)
               if p.kind in replaces.REPLACES]
    additions = [d.supersedes for p, d in zip(pairs, made, strict=True)
                 if p.kind in ("description", "detail", "happened", "list-more", "self-clause")]
    assert (len(changes), len(additions)) == (66, 55)
    assert sum(changes) >= 30
    assert sum(additions) <= 11


def test_pairs_are_labelled_by_what_they_do_to_the_note():
    labelled = replaces.correctness_pairs()
    assert {p.kind for p, _ in labelled} == {"change", "same-list"}
    assert all(label == (p.kind == "change") for p, label in labelled)
    hand = replaces.hand_pairs()
    assert hand and not {p.kind for p in hand} & replaces.UNSURE
    assert not replaces.hand_pairs(known.training_sets())


def test_stream_pairs_say_a_new_fact_replaces_no_other_note(embedder):
    labelled = replaces.stream_pairs(embedder.embed, seeds=3)
    kinds = {p.kind: label for p, label in labelled}
    assert kinds["other"] is False and kinds["changed"] is True
    assert kinds["complementary"] is False


def test_a_refit_from_the_shipped_data_gives_the_shipped_weights(embedder):
    pytest.importorskip("onnx")
    weights = replaces.fitted(replaces.training_pairs(embedder.embed), embedder.embed,
                              known.word_vectors())
    with np.load(replaces.asset_path()) as data:
        assert list(data["names"]) == list(weights.names)
        assert np.allclose(data["w"], weights.w, atol=1e-4)
        assert float(data["b"]) == pytest.approx(weights.b, abs=1e-4)
        assert np.allclose(data["pieces"].astype(np.float32), weights.pieces, atol=2e-2)


def test_bad_weights_are_refused_with_a_clear_error(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a file of weights")
    replaces.use(broken)
    with pytest.raises(InvalidInputError, match="asem train replaces"):
        replaces.probabilities("I moved.", np.zeros(13), ["I live here."], np.zeros((1, 26)))


def test_asem_train_replaces_writes_the_weights(cli, tmp_path):
    pytest.importorskip("onnx")
    from tests.test_cli import run

    out = tmp_path / "replaces.npz"
    summary = cli("train", "replaces", "--out", str(out))
    assert summary["pairs"] > 6000 and 0 < summary["replacing"] < summary["pairs"]
    assert len(known.served(out, "asem train replaces")[0]) > 0
    bad = run("train", "replaces", "--out", str(tmp_path / "replaces.txt"))
    assert bad.exit_code != 0 and ".npz" in bad.output
    assert "reading of whether an input replaces" in run("train", "replaces", "--help").output


def test_a_sure_addition_keeps_the_one_value_reading_from_replacing(pair_proposal, manager):
    """Each sentence alone reads as one value at a time ("play"), so the merge of "I also
    play golf." would replace "I play tennis."; the reading of changes, as sure that it adds
    as it must be that something replaces, keeps the merge. With the reading off, the
    tennis note is superseded."""
    proposal = pair_proposal("I also play golf.", "I play tennis.")
    d = manager.decide(proposal)
    assert (d.op, d.supersedes) == (Op.UPDATE, False) and "adds to it" in d.reason
    assert d.merged_content == "I play tennis. I also play golf."
    replaces.use(bar=float("inf"))
    assert manager.decide(proposal).supersedes
