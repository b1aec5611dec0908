"""GRPO pieces against hand-computed values, and the policy's hand-written gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asem.manager import grpo, policy
from asem.manager.features import PAIR_FEATURES, X_FEATURES, Features


def test_group_advantages_are_normalised_within_the_group():
    # rewards 1, 2, 3: mean 2, population std sqrt(2/3)
    a = grpo.group_advantages(np.array([1.0, 2.0, 3.0]), eps=0.0)
    s = math.sqrt(2 / 3)
    assert a == pytest.approx([-1 / s, 0.0, 1 / s])
    assert grpo.group_advantages(np.array([0.5, 0.5])) == pytest.approx([0.0, 0.0])


def test_clipped_surrogate_takes_the_pessimistic_term():
    logp_old = np.log(np.array([0.5, 0.5, 0.5, 0.5]))
    # ratios 1.5, 1.5, 0.5, 1.1 with advantages +1, -1, -1, +2
    logp = np.log(np.array([0.75, 0.75, 0.25, 0.55]))
    value, grad = grpo.clipped_surrogate(logp, logp_old, np.array([1.0, -1.0, -1.0, 2.0]), 0.2)
    assert value == pytest.approx([1.2, -1.5, -0.8, 2.2])
    # clipped where the clipped term is smaller (cases 1 and 3): no gradient there
    assert grad == pytest.approx([0.0, -1.5, 0.0, 2.2])


def test_kl_k3_is_zero_at_the_reference_and_matches_hand_values():
    kl, d = grpo.kl_k3(np.log(np.array([0.5])), np.log(np.array([0.5])))
    assert kl == pytest.approx([0.0]) and d == pytest.approx([0.0])
    # π_θ = 0.5, π_ref = 0.25: r = 0.5, KL = 0.5 − ln 0.5 − 1 = 0.19315, dKL = 1 − r = 0.5
    kl, d = grpo.kl_k3(np.log(np.array([0.5])), np.log(np.array([0.25])))
    assert kl == pytest.approx([0.5 - math.log(0.5) - 1]) and d == pytest.approx([0.5])


def test_grpo_objective_combines_surrogate_and_kl_per_group():
    logp = np.log(np.array([0.5, 0.25]))
    value, d, kl = grpo.grpo_objective(logp, logp, np.log(np.array([0.25, 0.25])),
                                       np.array([1.0, -1.0]), clip=0.2, beta=0.1)
    kl0 = 0.5 - math.log(0.5) - 1
    assert value == pytest.approx(((1 - 0.1 * kl0) + (-1 - 0.0)) / 2)
    assert d == pytest.approx([(1 - 0.1 * 0.5) / 2, (-1 - 0.0) / 2])
    assert kl == pytest.approx(kl0 / 2)


def test_reinforce_subtracts_the_baseline():
    value, d = grpo.reinforce_objective(np.log(np.array([0.5, 0.5])), np.array([1.0, 0.0]), 0.5)
    assert d == pytest.approx([0.25, -0.25])
    assert value == pytest.approx((0.5 * math.log(0.5) - 0.5 * math.log(0.5)) / 2)


def test_d_logits_is_the_softmax_score_function():
    probs = np.array([0.2, 0.3, 0.5])
    g = grpo.d_logits(probs, np.array([2, 2, 0]), np.array([1.0, 1.0, -0.5]))
    # Σ_i d_i (onehot(a_i) − π) = 2·(e2 − π) − 0.5·(e0 − π)
    assert g == pytest.approx(2 * (np.eye(3)[2] - probs) - 0.5 * (np.eye(3)[0] - probs))


def _state(n: int, seed: int = 1) -> Features:
    rng = np.random.default_rng(seed)
    return Features(rng.normal(size=len(X_FEATURES)), rng.normal(size=(n, len(PAIR_FEATURES))),
                    np.array([True] * (n - 1) + [False]) if n else np.zeros(0, bool))


@pytest.mark.parametrize("n", [0, 3])
def test_policy_backward_matches_finite_differences(n):
    params = policy.init_params(0)
    params = {k: v + np.random.default_rng(1).normal(size=v.shape) * 0.3
              for k, v in params.items()}
    f = _state(n)
    action = policy.N_ACTIONS - 2 if n == 0 else 1

    def objective(p):
        return policy.log_softmax(policy.forward(p, f).logits)[action]

    fw = policy.forward(params, f)
    probs = np.exp(policy.log_softmax(fw.logits))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    policy.backward(params, fw, grpo.d_logits(probs, np.array([action]), np.array([1.0])),
                    grads)
    for name in ("W1", "W2", "U1", "c2"):
        i = np.unravel_index(np.argmax(np.abs(grads[name])), grads[name].shape)
        bumped = {k: v.copy() for k, v in params.items()}
        bumped[name][i] += 1e-6
        numeric = (objective(bumped) - objective(params)) / 1e-6
        assert grads[name][i] == pytest.approx(numeric, rel=1e-3, abs=1e-6)


def test_masked_actions_have_no_probability():
    fw = policy.forward(policy.init_params(0), _state(2))
    probs = np.exp(policy.log_softmax(fw.logits))
    assert probs.sum() == pytest.approx(1.0)
    assert probs[8:20].sum() == 0.0  # candidates 2..4 do not exist
    assert probs[4 + policy.Targeted.MERGE] == 0.0  # candidate 1 is too long to merge into


def test_entropy_bonus_matches_finite_differences_and_ignores_masked_actions():
    logits = np.array([0.3, -1.2, -np.inf, 0.8])
    h, d = grpo.entropy_bonus(policy.log_softmax(logits))
    assert h == pytest.approx(-sum(p * math.log(p) for p in np.exp(
        policy.log_softmax(logits)) if p > 0))
    for k in (0, 1, 3):
        bumped = logits.copy()
        bumped[k] += 1e-6
        numeric = (grpo.entropy_bonus(policy.log_softmax(bumped))[0] - h) / 1e-6
        assert d[k] == pytest.approx(numeric, abs=1e-5)
    assert d[2] == 0.0
    uniform, d_uniform = grpo.entropy_bonus(np.log(np.full(4, 0.25)))
    assert uniform == pytest.approx(math.log(4)) and d_uniform == pytest.approx(np.zeros(4))


def test_distinct_groups_hold_no_repeats_and_no_masked_actions():
    rng = np.random.default_rng(0)
    sharp = policy.log_softmax(np.array([9.0, 0.0, -np.inf, 0.0, 0.0, -np.inf]))
    for _ in range(20):
        group = grpo.sample_group(sharp, 3, rng)
        assert len(set(group.tolist())) == 3 and not {2, 5} & set(group.tolist())
    # Fewer valid actions than G: every valid one, once.
    assert sorted(grpo.sample_group(sharp, 8, rng).tolist()) == [0, 1, 3, 4]
    # i.i.d. groups from a sharp policy are mostly one action (what distinct groups avoid).
    iid = grpo.sample_group(sharp, 8, rng, distinct=False)
    assert len(iid) == 8 and (iid == 0).mean() > 0.5


@pytest.mark.parametrize(("keep_best", "kept"), [(True, 2), (False, 4)])
def test_training_returns_the_weights_of_the_best_validation(monkeypatch, keep_best, kept):
    import copy

    from asem.manager import train as training
    from asem.manager.env.sim import EmbeddingCache
    from asem.providers import HashEmbedder

    seen: dict[int, dict] = {}
    scores = iter([0.9, 0.5])  # validation at step 2 beats step 4

    def fake_evaluate(manager, embed, n_streams):
        seen[2 * (len(seen) + 1)] = copy.deepcopy(manager.params)
        return {"probe_accuracy": next(scores), "notes": 1.0, "canonical": 0.5}

    monkeypatch.setattr(training, "evaluate", fake_evaluate)
    config = training.TrainConfig(steps=4, states_per_step=2, group_size=2, eval_every=2,
                                  keep_best=keep_best)
    result = training.train(EmbeddingCache(HashEmbedder()), config)
    assert result.best_step == kept
    assert all(np.array_equal(result.params[k], seen[kept][k]) for k in seen[kept])
    assert not all(np.array_equal(seen[2][k], seen[4][k]) for k in seen[2])
    assert training.checkpoint_meta(config, result)["step"] == kept


def test_restarts_keep_the_run_with_the_best_validation(monkeypatch):
    from asem.manager import train as training
    from asem.manager.env.sim import EmbeddingCache
    from asem.providers import HashEmbedder

    scores = iter([0.2, 0.3, 0.9, 0.1, 0.4, 0.5])  # seeds 5, 6, 7: seed 6's step 2 is best
    monkeypatch.setattr(training, "evaluate", lambda manager, embed, n: {
        "probe_accuracy": next(scores), "notes": 1.0, "canonical": 0.0})
    config = training.TrainConfig(steps=4, states_per_step=2, group_size=2, eval_every=2,
                                  seed=5)
    result = training.train_restarts(EmbeddingCache(HashEmbedder()), config, restarts=3)
    assert (result.seed, result.best_step) == (6, 2)
    assert [r["seed"] for r in result.log] == [5] * 4 + [6] * 4 + [7] * 4
    meta = training.checkpoint_meta(config, result, 3)
    assert (meta["seed"], meta["step"], meta["validation"]["probe_accuracy"]) == (6, 2, 0.9)
    assert meta["attribute"] == "attribute-person.npz"  # the projection training read


def test_validation_reports_canonical_accuracy_per_kind():
    """The log says which kind a checkpoint gets wrong, not only the mean over all."""
    from asem.manager import train as training
    from asem.manager.env.sim import EmbeddingCache
    from asem.manager.env.streams import KINDS
    from asem.manager.learned import LearnedManager
    from asem.providers import HashEmbedder

    manager = LearnedManager(policy.init_params(0))
    row = training.evaluate(manager, EmbeddingCache(HashEmbedder()), 3)
    by_kind = {k.split(":", 1)[1]: v for k, v in row.items() if k.startswith("canonical:")}
    assert "novel" in by_kind and set(by_kind) <= set(KINDS)
    assert min(by_kind.values()) <= row["canonical"] <= max(by_kind.values())
