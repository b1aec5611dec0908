"""GRPO (group relative policy optimisation) as pure functions, and plain REINFORCE.

For one state, G actions a_i are sampled from the policy that collected them (π_old), each
is applied to its own copy of the memory and scored (r_i). Then (Shao et al. 2024,
DeepSeekMath, eq. 3 with outcome supervision):

    A_i = (r_i − mean r) / (std r + ε)                      group-normalised advantage
    ρ_i = π_θ(a_i) / π_old(a_i)                             importance ratio
    J   = 1/G Σ_i [ min(ρ_i A_i, clip(ρ_i, 1−ε_c, 1+ε_c) A_i) − β KL_i ]
    KL_i = π_ref(a_i)/π_θ(a_i) − log(π_ref(a_i)/π_θ(a_i)) − 1   (the k3 estimator, ≥ 0)

Every function returns its value and its derivative with respect to log π_θ(a_i); the
chain rule to the logits is d log π(a)/d logits = onehot(a) − π.
"""

from __future__ import annotations

import numpy as np


def sample_group(logp_all: np.ndarray, size: int, rng: np.random.Generator,
                 distinct: bool = True) -> np.ndarray:
    """G actions for one state: i.i.d. from π, or G distinct ones (all valid ones if fewer).

    Distinct draws are π's Gumbel top-G (sampling without replacement, Kool et al. 2019).
    Once π is sharp, i.i.d. groups are mostly G copies of one action — a zero-variance
    group, no advantage, nothing learnt — and a rare right action (DELETE for a
    retraction) is never tried again; a distinct group always sets the policy's favourite
    against G − 1 alternatives, the likelier ones first.
    """
    if not distinct:
        probs = np.exp(logp_all)
        return rng.choice(len(logp_all), size=size, p=probs / probs.sum())
    keys = logp_all + rng.gumbel(size=len(logp_all))
    valid = int(np.isfinite(logp_all).sum())
    return np.argsort(-keys, kind="stable")[:min(size, valid)]


def group_advantages(rewards: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """A_i = (r_i − mean r) / (std r + eps); all zeros when every reward is the same."""
    rewards = np.asarray(rewards, dtype=np.float64)
    return (rewards - rewards.mean()) / (rewards.std() + eps)


def clipped_surrogate(logp: np.ndarray, logp_old: np.ndarray, advantages: np.ndarray,
                      clip: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """min(ρA, clip(ρ, 1−clip, 1+clip)A) per sample, and its derivative in log π_θ.

    Where the clipped term is the smaller one it is constant in θ: derivative 0.
    """
    ratio = np.exp(logp - logp_old)
    unclipped = ratio * advantages
    clipped = np.clip(ratio, 1 - clip, 1 + clip) * advantages
    value = np.minimum(unclipped, clipped)
    grad = np.where(unclipped <= clipped, unclipped, 0.0)  # d(ρA)/d log π = ρA
    return value, grad


def kl_k3(logp: np.ndarray, logp_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unbiased, non-negative estimate of KL(π_θ ‖ π_ref) from samples of π_θ, per sample,
    and its derivative in log π_θ: with r = π_ref/π_θ, KL = r − log r − 1, dKL = 1 − r."""
    r = np.exp(logp_ref - logp)
    return r - np.log(r) - 1.0, 1.0 - r


def grpo_objective(logp: np.ndarray, logp_old: np.ndarray, logp_ref: np.ndarray,
                   advantages: np.ndarray, clip: float = 0.2,
                   beta: float = 0.04) -> tuple[float, np.ndarray, float]:
    """J of one group (to maximise), dJ/d log π_θ(a_i), and the mean KL estimate."""
    surrogate, d_surrogate = clipped_surrogate(logp, logp_old, advantages, clip)
    kl, d_kl = kl_k3(logp, logp_ref)
    g = len(logp)
    return (float((surrogate - beta * kl).mean()), (d_surrogate - beta * d_kl) / g,
            float(kl.mean()))


def reinforce_objective(logp: np.ndarray, rewards: np.ndarray,
                        baseline: float) -> tuple[float, np.ndarray]:
    """Plain REINFORCE with a scalar baseline b: J = mean (r_i − b) log π(a_i)."""
    centred = np.asarray(rewards, dtype=np.float64) - baseline
    return float((centred * logp).mean()), centred / len(logp)


def entropy_bonus(logp_all: np.ndarray) -> tuple[float, np.ndarray]:
    """H(π) = −Σ_a π(a) log π(a) of one state's whole distribution, and dH/d logits
    = −π (log π + H). Masked actions (log π = −∞) contribute nothing.

    Added to J with a small weight, it keeps a group's G samples from all being the same
    action (a zero-variance group has no advantage and teaches nothing) while rare actions —
    DELETE for a retraction — are still being discovered.
    """
    probs = np.exp(logp_all)
    finite = np.where(np.isfinite(logp_all), logp_all, 0.0)
    entropy = float(-(probs * finite).sum())
    return entropy, -probs * (finite + entropy)


def d_logits(probs: np.ndarray, actions: np.ndarray, d_logp: np.ndarray) -> np.ndarray:
    """Σ_i d_logp_i (onehot(a_i) − π): the derivative in the logits of one state."""
    grad = -d_logp.sum() * probs
    np.add.at(grad, actions, d_logp)
    return grad
