"""The learned "same attribute" signal: a projection of content embeddings that keeps what
tells attributes apart and drops what tells values and wordings of one attribute apart."""

from __future__ import annotations

import numpy as np
import pytest

from asem.errors import InvalidInputError
from asem.manager import attribute
from asem.manager.features import PAIR_FEATURES, features
from asem.write.manager import Candidate, Proposal

SAME = PAIR_FEATURES.index("same_attribute")


def synthetic(dim: int = 24, attributes: int = 4, seed: int = 0):
    """Sentences whose embedding is a small attribute direction plus a large value and
    wording direction shared by every attribute: raw cosines mostly say the value."""
    rng = np.random.default_rng(seed)
    attr = rng.normal(size=(attributes, dim)) * 0.3
    values = rng.normal(size=(6, dim)) * 2.0
    table = {f"a{a}-v{v}-w{w}": attr[a] + values[v] + rng.normal(size=dim) * 0.05
             for a in range(attributes) for v in range(6) for w in range(3)}
    groups = {f"a{a}": [k for k in table if k.startswith(f"a{a}-")] for a in range(attributes)}
    return table, groups


def test_the_projection_keeps_the_attribute_and_drops_the_value():
    table, groups = synthetic()
    p = attribute.fit(lambda texts: np.stack([table[t] for t in texts]), groups, dim=3)

    def cos(a: str, b: str, proj: np.ndarray | None = None) -> float:
        x, y = table[a], table[b]
        if proj is not None:
            x, y = x @ proj, y @ proj
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    one_attribute, two_attributes = ("a0-v1-w0", "a0-v4-w2"), ("a0-v1-w0", "a1-v1-w1")
    assert cos(*one_attribute) < cos(*two_attributes)  # raw: the shared value wins
    assert cos(*one_attribute, p) > 0.9 > 0.5 > cos(*two_attributes, p)


def test_fitting_needs_two_attributes():
    with pytest.raises(InvalidInputError, match="two attributes"):
        attribute.fit(lambda texts: np.ones((len(texts), 4)), {"only": ["a", "b"]})


def test_the_training_sentences_leave_the_held_out_slots_and_wordings_out():
    groups = attribute.training_sentences()
    said = [s for sentences in groups.values() for s in sentences]
    assert "employer" not in groups and "instrument" not in groups
    assert "correctness:employer" not in groups and "correctness:instrument" not in groups
    assert not any(s.startswith("I started working at") for s in said)  # employer, held out
    assert not any(s.startswith("These days I'm living in") for s in said)  # last wording
    assert not any("commute" in s for s in said)  # a held-out family of the benchmark


def test_another_persons_facts_name_several_people_within_one_attribute():
    """One name for every sentence of an attribute would make the name tell the attribute:
    two facts of one person would then read as one attribute."""
    from asem.manager.env.templates import PEOPLE

    groups = attribute.training_sentences()
    theirs = {name: said for name, said in groups.items() if "person-" in name}
    assert theirs
    for said in theirs.values():
        assert len({p for p in PEOPLE for s in said if p in s}) > 2


def test_the_feature_is_the_projected_cosine_or_else_the_raw_one():
    rng = np.random.default_rng(1)
    x, c = rng.normal(size=384).astype(np.float32), rng.normal(size=384).astype(np.float32)
    px, pc = attribute.project(x), attribute.project(c)
    assert px is not None and pc is not None
    with_embeddings = Proposal("I moved to Denver.", None,
                               [Candidate("n1", "I live in Boston.", 0.4, 0.4, intent=c)],
                               intent=x)
    assert features(with_embeddings).pairs[0, SAME] == pytest.approx(float(px @ pc), abs=1e-6)
    bare = Proposal("I moved to Denver.", None, [Candidate("n1", "I live in Boston.", 0.4, 0.4)])
    assert features(bare).pairs[0, SAME] == pytest.approx(0.4)


@pytest.mark.parametrize(("old", "new", "same"), [
    ("I live in Boston.", "I moved to Denver.", True),
    ("I get around in my Volkswagen Golf.", "My new car is a Subaru Outback.", True),
    ("I work at Google.", "I now work at Meta.", True),
    ("Bob's secret bank PIN is 4321.", "Bob is allergic to peanuts.", False),
    ("I work as a nurse.", "I live in Boston.", False),
])
def test_the_shipped_projection_tells_one_attribute_from_two(embedder, old, new, same):
    a, b = embedder.embed([old, new], kind="document")
    projected = float(attribute.project(a) @ attribute.project(b))
    raw = float(np.dot(a, b))
    gate = attribute.min_same()  # the merge gate saved with the shipped projection
    assert (projected > gate + 0.15) if same else (projected < gate), (projected, raw, gate)


def test_another_embedders_vectors_read_the_raw_cosine():
    x = np.ones(256, dtype=np.float32)
    assert attribute.project(x) is None
    proposal = Proposal("I moved to Denver.", None,
                        [Candidate("n1", "I live in Boston.", 0.3, 0.3, intent=x)], intent=x)
    assert features(proposal).pairs[0, SAME] == pytest.approx(0.3)


def test_the_learned_attribute_manager_reads_the_feature_and_the_default_does_not():
    from asem.config import MemoryConfig
    from asem.manager.learned import LearnedManager
    from asem.manager.registry import resolve

    option, default = resolve("learned-attribute", MemoryConfig()), LearnedManager.load()
    assert isinstance(option, LearnedManager)
    assert "same_attribute" in option.meta["pair_features"]
    assert "same_attribute" not in default.meta["pair_features"]


def test_a_checkpoint_reads_the_projection_it_was_trained_on(tmp_path):
    """``learned-attribute`` names no projection and was trained on the legacy one; a
    checkpoint trained today names the one training read, and its feature follows it."""
    from asem.manager import LearnedManager, policy
    from asem.manager.learned import ATTRIBUTE_CHECKPOINT, asset

    shipped = LearnedManager.load(asset(ATTRIBUTE_CHECKPOINT))
    assert shipped.projection == attribute.LEGACY
    params, meta = policy.load(asset(ATTRIBUTE_CHECKPOINT))
    policy.save(params, tmp_path / "new.npz", {**meta, "attribute": attribute.ASSET})
    retrained = LearnedManager.load(tmp_path / "new.npz")
    assert retrained.projection == attribute.ASSET
    rng = np.random.default_rng(2)
    x, c = rng.normal(size=384).astype(np.float32), rng.normal(size=384).astype(np.float32)
    proposal = Proposal("I moved to Denver.", None,
                        [Candidate("n1", "I live in Boston.", 0.4, 0.4, intent=c)], intent=x)
    legacy, today = (features(proposal, projection=name).pairs[0, SAME]
                     for name in (attribute.LEGACY, attribute.ASSET))
    assert legacy != pytest.approx(today)
    for name, value in ((attribute.LEGACY, legacy), (attribute.ASSET, today)):
        px, pc = attribute.project(x, name), attribute.project(c, name)
        assert px is not None and pc is not None
        assert value == pytest.approx(float(px @ pc), abs=1e-6)


def test_separation_compares_attributes_the_projection_never_saw():
    table, groups = synthetic(attributes=8)
    embed = lambda texts: np.stack([table[t] for t in texts])  # noqa: E731
    same, other = attribute.separation(embed, groups, dim=3, folds=2)
    pairs_within = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    assert len(same) == attribute.REPEATS * pairs_within  # each attribute left out once a way
    assert np.median(same) > np.median(other)
    gate = attribute.merge_gate(same)
    assert (same >= gate).mean() >= attribute.KEEP_SAME


def test_choosing_the_gate_needs_attributes_to_leave_out():
    table, groups = synthetic(attributes=4)
    with pytest.raises(InvalidInputError, match="more than"):
        attribute.separation(lambda texts: np.stack([table[t] for t in texts]), groups,
                             folds=3)


def test_the_gate_is_saved_with_the_projection(tmp_path):
    p = np.eye(4, 2, dtype=np.float32)
    attribute.save(p, tmp_path / "gated.npz", min_same=0.4)
    attribute.save(p, tmp_path / "bare.npz")
    assert attribute.min_same(str(tmp_path / "gated.npz")) == pytest.approx(0.4)
    assert attribute.min_same(str(tmp_path / "bare.npz")) is None
    assert 0.0 < attribute.min_same() < 1.0  # the shipped projection carries its gate


def test_an_input_is_never_merged_into_a_note_of_another_attribute(embedder):
    """The merge gate masks MERGE and REPLACE, never ADD, DELETE or NOOP, on candidates
    whose projected cosine is under the shipped gate."""
    from asem.manager import policy
    from asem.manager.learned import ATTRIBUTE_CHECKPOINT, LearnedManager, asset

    pin, city, new = embedder.embed(["Bob's secret bank PIN is 4321.", "I live in Boston.",
                                     "Bob is allergic to peanuts."], kind="document")
    moved = embedder.embed(["I moved to Denver."], kind="document")[0]
    proposal = Proposal("Bob is allergic to peanuts.", None,
                        [Candidate("n1", "Bob's secret bank PIN is 4321.", 0.3, 0.3, intent=pin)],
                        intent=new)
    f = features(proposal)
    assert f.apart is not None and f.apart.tolist() == [True]
    mask = policy.forward(LearnedManager.load(asset(ATTRIBUTE_CHECKPOINT)).params, f).mask
    assert not mask[policy.Targeted.MERGE] and not mask[policy.Targeted.REPLACE]
    assert mask[policy.Targeted.DELETE] and mask[4 * policy.K + policy.Untargeted.ADD_LONG]
    change = Proposal("I moved to Denver.", None,
                      [Candidate("n1", "I live in Boston.", 0.4, 0.4, intent=city)],
                      intent=moved)
    assert features(change).apart.tolist() == [False]
    assert features(change, guards=False).apart is None  # training never sees the gate
    bare = Proposal("Bob is allergic to peanuts.", None,
                    [Candidate("n1", "Bob's secret bank PIN is 4321.", 0.3, 0.3)])
    assert features(bare).apart is None  # no embeddings: no gate


def test_the_fit_reads_attributes_no_stream_says():
    """``attribute_data`` widens the fit; none of its attributes is one the manager's
    streams or the correctness benchmark say, so no held-out figure was fitted on."""
    from asem.eval import correctness_data as c
    from asem.manager.attribute_data import EXTRA
    from asem.manager.env.templates import SLOTS

    groups = attribute.training_sentences()
    extra = {name for name, _, _ in EXTRA}
    assert {f"extra:{name}" for name in extra} <= set(groups)
    said = {s.name for s in SLOTS} | {a.name for a in c.SELF + c.OTHERS}
    assert not extra & said and not {n.removeprefix("person-") for n in said} & extra
    assert len(groups) == attribute.DIM + 1  # every discriminant direction is kept
