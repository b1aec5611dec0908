"""The learned reading of news (``asem.manager.known``): whether an input says anything its
note does not, read from the manager's own features of the pair and a lexicon learnt over
the embedder's vocabulary; the decision-time guard forbids NOOP on news."""

from __future__ import annotations

import numpy as np
import pytest

from asem.errors import InvalidInputError
from asem.manager import known
from asem.manager.features import PAIR_FEATURES, X_FEATURES, features
from asem.manager.learned import LearnedManager, asset
from asem.types import Op
from tests.readings import assert_served_as_fitted


@pytest.fixture(autouse=True)
def _shipped():
    known.use()
    yield
    known.use()


def test_the_shipped_weights_read_the_features_they_were_fitted_on():
    with np.load(known.asset_path()) as data:
        names, w, b = list(data["names"]), data["w"], float(data["b"])
        pieces = data["pieces"].astype(np.float32)
    assert set(names) <= set(X_FEATURES) | set(PAIR_FEATURES)
    assert not set(names) & set(known.LEFT_OUT) and "bias" not in names
    assert len(names) == len(w) and pieces.shape == (30522,)
    # the probability is the logistic of those features, the bias and the new words' mean
    x = np.zeros(len(X_FEATURES), dtype=np.float32)
    x[X_FEATURES.index("length")] = 0.2
    pairs = np.zeros((2, len(PAIR_FEATURES)), dtype=np.float32)
    pairs[:, PAIR_FEATURES.index("cosine")] = (0.45, 0.9)
    pairs[:, PAIR_FEATURES.index("x_adds")] = (1 / 6, 0)
    said, notes = "Max is sick.", ["I have a dog named Max.", "Max is sick."]
    got = known.probabilities(said, x, notes, pairs)
    for i, note in enumerate(notes):
        words = sorted(known.new_words(said, note))
        lexical = np.mean([pieces[list(known._pieces(w))].mean() for w in words]) if words else 0
        value = {**dict(zip(X_FEATURES, x, strict=True)),
                 **dict(zip(PAIR_FEATURES, pairs[i], strict=True))}
        logit = sum(wi * value[n] for n, wi in zip(names, w, strict=True)) + b + lexical
        assert got[i] == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-4)


def test_a_word_is_its_own_pieces():
    """One piece per piece of the word: no padding, whatever the tokenizer file says."""
    assert len(known._pieces("sick")) == 1
    assert 1 < len(known._pieces("outgrew")) < 5


def test_decisions_read_the_features_the_weights_were_fitted_on(pair_proposal, embedder):
    """The logit at decision time (``features`` → ``probabilities``) is the fitted one:
    the features by name, each once (``rows`` as fitting reads them)."""
    pairs = [known.Pair("I have a dog named Max.", "Max is sick too.", True, "k"),
             known.Pair("I play tennis.", "I play tennis and I'm also learning golf now.",
                        True, "k"),
             known.Pair("I love sushi.", "Yes, I love sushi.", False, "k")]
    assert_served_as_fitted(pairs, known.asset_path(), embedder, pair_proposal,
                            known.probabilities)


def test_new_words_are_what_the_note_does_not_say():
    assert known.new_words("Haha! Max is sick.", "I have a dog named Max.") == {"sick"}
    assert known.new_words("Yes, Max is my dog.", "I have a dog named Max.") == frozenset()
    assert known.new_words("I love movies.", "I love a movie.") == frozenset()  # plurals fold


def test_the_guard_forbids_noop_on_what_the_reading_reads_as_news(pair_proposal):
    """No hand-written rule reads "Max is sick." as news about "I have a dog named Max.";
    the reading does, and the policy's NOOP is closed. With the reading off, it is open."""
    proposal = pair_proposal("Max is sick.", "I have a dog named Max.")
    f = features(proposal)
    p = known.probabilities(proposal.content, f.x, ["I have a dog named Max."], f.pairs)[0]
    assert p >= known.BAR and f.news.tolist() == [True]
    known.use(bar=float("inf"))
    assert features(proposal).news.tolist() == [False]
    restated = pair_proposal("Yes, Max is my dog.", "I have a dog named Max.")
    known.use()
    assert features(restated).news.tolist() == [False]


@pytest.mark.parametrize(("said", "note", "op"), [
    ("I hate sushi.", "I love sushi.", Op.UPDATE),  # replaced: a correction
    ("Actually I hate sushi.", "I love sushi.", Op.UPDATE),
    ("I passed my driving test.", "I'm taking driving lessons.", Op.UPDATE),
    ("I have a sister and a brother.", "I have a sister.", Op.UPDATE),
    ("Max is sick.", "I have a dog named Max.", Op.ADD),
])
def test_news_the_rules_no_longer_read_is_kept(pair_proposal, said, note, op):
    """Wordings the removed rules were written for (a liking turned, a milestone, one
    value more, what befell something the note names): the reading closes the NOOP and
    the message is kept, merged, replacing or beside the note."""
    proposal = pair_proposal(said, note)
    assert features(proposal).news.tolist() == [True]
    d = LearnedManager.load(asset("manager-attribute.npz")).decide(proposal)
    assert d.op is op
    assert d.op is Op.ADD or said in (d.merged_content or "")


@pytest.mark.parametrize(("said", "note"), [
    ("Yes, Max is my dog.", "I have a dog named Max."),
    ("Globex is where I work.", "I have a job at Globex."),
    ("Home for me is Boston.", "I live in Boston."),
])
def test_a_restatement_stays_known(pair_proposal, said, note):
    proposal = pair_proposal(said, note)
    assert features(proposal).news.tolist() == [False]
    assert LearnedManager.load(asset("manager-attribute.npz")).decide(proposal).op is Op.NOOP


def test_the_held_out_pairs_keep_their_news(pair_proposal):
    """The write decisions on the held-out pairs (never fitted on), as
    benchmarks/news_pairs.py measures them: the hand-written rules this reading replaced
    lost 3 of the 132 news (recorded them as known) and recorded 49.1 % of the 108 known
    messages as known; the reading 3 and 50.0 % (docs/manager.md)."""
    manager = LearnedManager.load(asset("manager-attribute.npz"))
    pairs = known.load_pairs("heldout")
    assert len(pairs) == 240 and sum(p.news for p in pairs) == 132
    ops = [manager.decide(pair_proposal(p.said, p.note)).op for p in pairs]
    lost = sum(op is Op.NOOP for p, op in zip(pairs, ops, strict=True) if p.news)
    recorded = np.mean([op is Op.NOOP for p, op in zip(pairs, ops, strict=True) if not p.news])
    assert lost <= 3
    assert recorded >= 0.49


def test_a_refit_from_the_shipped_data_gives_the_shipped_weights(tmp_path, embedder):
    pytest.importorskip("onnx")
    weights = known.fitted(known.training_pairs(), embedder.embed, known.word_vectors())
    with np.load(known.asset_path()) as data:
        assert list(data["names"]) == list(weights.names)
        assert np.allclose(data["w"], weights.w, atol=1e-4)
        assert float(data["b"]) == pytest.approx(weights.b, abs=1e-4)
        assert np.allclose(data["pieces"].astype(np.float32), weights.pieces, atol=2e-2)


def test_fitting_folds_the_standardisation_into_the_weights():
    """The folded weights and piece scores give the logit of the model fitted on the
    standardised features and mean word vectors."""
    from asem.manager.cardinality import fit

    pairs = [known.Pair("I have a dog named Max.", said, news, "k") for said, news in
             (("Max is sick.", True), ("Yes, Max is my dog.", False),
              ("Max ran away yesterday.", True), ("Max is my dog.", False),
              ("My dog Max won a prize.", True))]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30522, 8))

    def embed(texts):
        v = np.array([[len(t), t.count("a"), t.count("s"), 1.0] for t in texts], float)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    weights = known.fitted(pairs, embed, vectors)
    x, said, names = known.rows(pairs, embed, vectors)
    both = np.hstack([x, said])
    mean, scale = both.mean(0), both.std(0) + 1e-6
    w, b = fit((both - mean) / scale, np.array([p.news for p in pairs], dtype=float))
    expected = ((both - mean) / scale) @ w + b
    lexical = np.array([np.mean([weights.pieces[list(known._pieces(t))].mean()
                                 for t in sorted(known.new_words(p.said, p.note))])
                        if known.new_words(p.said, p.note) else 0.0 for p in pairs])
    assert len(weights.w) == len(names) and weights.pieces.shape == (30522,)
    assert x @ weights.w + weights.b + lexical == pytest.approx(expected, abs=1e-6)


def test_bad_weights_are_refused_with_a_clear_error(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a file of weights")
    known.use(broken)
    with pytest.raises(InvalidInputError, match="asem train news"):
        known._weights()
    other = tmp_path / "other.npz"
    np.savez(other, w=np.zeros(2, np.float32), b=np.float32(0), names=np.array(["cosine", "nope"]),
             pieces=np.zeros(30522, np.float16))
    known.use(other)
    with pytest.raises(InvalidInputError, match="nope"):
        known._weights()
    short = tmp_path / "short.npz"
    np.savez(short, w=np.zeros(1, np.float32), b=np.float32(0), names=np.array(["cosine"]),
             pieces=np.zeros(10, np.float32))
    known.use(short)
    with pytest.raises(InvalidInputError, match="pieces"):
        known._weights()
    known.use(tmp_path / "missing.npz")
    with pytest.raises(InvalidInputError, match="asem train news"):
        known._weights()


def test_the_pair_sets_are_labelled_and_apart():
    sets = known.pair_sets()
    assert sets == ["heldout", "train-1", "train-2", "train-3", "train-4", "train-5"]
    seen: dict[tuple[str, str], str] = {}
    for name in sets:
        for p in known.load_pairs(name):
            assert p.note.strip() and p.said.strip() and p.kind
            assert (p.note.lower(), p.said.lower()) not in seen  # no pair in two sets
            seen[p.note.lower(), p.said.lower()] = name
    hand = len(known.training_pairs()) - len(known.stream_pairs())
    assert hand == 1520
    assert len(known.training_pairs(leave_out=["train-1"])) == len(known.training_pairs()) - 320


def test_asem_train_news_writes_the_weights(cli, tmp_path):
    pytest.importorskip("onnx")
    from tests.test_cli import run

    out = tmp_path / "news.npz"
    summary = cli("train", "news", "--out", str(out))
    assert summary["pairs"] == len(known.training_pairs()) and out.exists()
    bad = run("train", "news", "--out", str(tmp_path / "news.txt"))
    assert bad.exit_code != 0 and ".npz" in bad.output
