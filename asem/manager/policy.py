"""The compact learned policy: a small two-headed MLP over proposal features, in numpy.

Action space for K candidates: for each candidate j four ops — UPDATE-merge, UPDATE-replace,
DELETE, NOOP — then three that need no target: ADD long-term, ADD short-term, discard.
A pair head scores each (x, candidate j) for the four targeted ops; a global head scores the
other three from x and the element-wise max of the pair features. Missing candidates and
merges into over-long notes are masked out, and so is discarding a turn that says more than
pleasantries (`text.discardable`). Gradients are written by hand (one hidden tanh
layer per head), so training and inference need nothing beyond numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

from asem.errors import InvalidInputError
from asem.manager import text
from asem.manager.features import PAIR_FEATURES, X_FEATURES, Features, K
from asem.types import Decision, Op, Tier
from asem.write.manager import Proposal

HIDDEN = 32
N_ACTIONS = 4 * K + 3


class Targeted(IntEnum):
    MERGE = 0
    REPLACE = 1
    DELETE = 2
    NOOP = 3


class Untargeted(IntEnum):
    ADD_LONG = 0
    ADD_SHORT = 1
    DISCARD = 2


def action_name(action: int) -> str:
    if action >= 4 * K:
        return Untargeted(action - 4 * K).name
    return f"{Targeted(action % 4).name}@{action // 4}"


Params = dict[str, np.ndarray]


def init_params(seed: int, hidden: int = HIDDEN) -> Params:
    """Small random weights (scaled by fan-in) and zero biases: a near-uniform policy."""
    rng = np.random.default_rng(seed)
    p_in, g_in = len(PAIR_FEATURES) + len(X_FEATURES), len(X_FEATURES) + len(PAIR_FEATURES) + 1

    def layer(n_in: int, n_out: int, scale: float) -> np.ndarray:
        return (rng.standard_normal((n_in, n_out)) * scale / np.sqrt(n_in)).astype(np.float64)

    return {"W1": layer(p_in, hidden, 1.0), "b1": np.zeros(hidden),
            "W2": layer(hidden, 4, 0.1), "b2": np.zeros(4),
            "U1": layer(g_in, hidden, 1.0), "c1": np.zeros(hidden),
            "U2": layer(hidden, 3, 0.1), "c2": np.zeros(3)}


@dataclass
class Forward:
    """Logits of one state and what the backward pass needs."""

    logits: np.ndarray
    mask: np.ndarray
    pair_in: np.ndarray
    h: np.ndarray
    g_in: np.ndarray
    hg: np.ndarray


def forward(params: Params, f: Features) -> Forward:
    n = len(f.pairs)
    pair_in = np.concatenate([f.pairs, np.tile(f.x, (n, 1))], axis=1)
    h = np.tanh(pair_in @ params["W1"] + params["b1"])
    pooled = f.pairs.max(axis=0) if n else np.zeros(f.pairs.shape[1])
    g_in = np.concatenate([f.x, pooled, [float(n > 0)]])
    hg = np.tanh(g_in @ params["U1"] + params["c1"])
    mask = np.zeros(N_ACTIONS, dtype=bool)
    mask[: 4 * n] = True
    mask[[4 * j + Targeted.MERGE for j in range(n) if not f.mergeable[j]]] = False
    if f.restates is not None:
        mask[[4 * j + Targeted.NOOP for j in range(n) if not f.restates[j]]] = False
    if f.amends is not None:
        mask[[4 * j + op for j in range(n) if not f.amends[j]
              for op in (Targeted.MERGE, Targeted.REPLACE)]] = False
    if f.asks:
        mask[: 4 * n] = False
    if f.closed is not None:
        mask[[4 * j + op for j in range(n) if f.closed[j] for op in Targeted]] = False
    if f.news is not None:
        mask[[4 * j + Targeted.NOOP for j in range(n) if f.news[j]]] = False
    if f.apart is not None:
        mask[[4 * j + op for j in range(n) if f.apart[j]
              for op in (Targeted.MERGE, Targeted.REPLACE)]] = False
    if f.other_time is not None:
        mask[[4 * j + op for j in range(n) if f.other_time[j]
              for op in (Targeted.MERGE, Targeted.REPLACE)]] = False
    if f.foreign is not None:
        mask[[4 * j + op for j in range(n) if f.foreign[j]
              for op in (Targeted.MERGE, Targeted.REPLACE, Targeted.DELETE)]] = False
    mask[4 * K:] = True
    mask[4 * K + Untargeted.DISCARD] = f.discardable
    logits = np.full(N_ACTIONS, -np.inf)
    logits[: 4 * n] = (h @ params["W2"] + params["b2"]).ravel()
    logits[4 * K:] = hg @ params["U2"] + params["c2"]
    logits[~mask] = -np.inf
    return Forward(logits, mask, pair_in, h, g_in, hg)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits[np.isfinite(logits)].max()
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum())


def backward(params: Params, fw: Forward, d_logits: np.ndarray, grads: Params) -> None:
    """Add d(objective)/d(params) to ``grads`` given d(objective)/d(logits)."""
    n = len(fw.h)
    d_out = np.where(fw.mask, d_logits, 0.0)
    d_pair = d_out[: 4 * n].reshape(n, 4)
    grads["W2"] += fw.h.T @ d_pair
    grads["b2"] += d_pair.sum(axis=0)
    dh = (d_pair @ params["W2"].T) * (1 - fw.h ** 2)
    grads["W1"] += fw.pair_in.T @ dh
    grads["b1"] += dh.sum(axis=0)
    d_glob = d_out[4 * K:]
    grads["U2"] += np.outer(fw.hg, d_glob)
    grads["c2"] += d_glob
    dhg = (params["U2"] @ d_glob) * (1 - fw.hg ** 2)
    grads["U1"] += np.outer(fw.g_in, dhg)
    grads["c1"] += dhg


def to_decision(action: int, proposal: Proposal, why: str = "") -> Decision:
    """The Decision an action stands for (with the deterministic merge rule for MERGE)."""
    if action >= 4 * K:
        kind = Untargeted(action - 4 * K)
        tier = {Untargeted.ADD_LONG: Tier.LONG_TERM, Untargeted.ADD_SHORT: Tier.SHORT_TERM,
                Untargeted.DISCARD: Tier.DISCARD}[kind]
        return Decision(Op.ADD, tier=tier, reason=f"learned: {kind.name.lower()}{why}")
    op, c = Targeted(action % 4), proposal.candidates[action // 4]
    reason = f"learned: {op.name.lower()} {c.note_id}{why}"
    if op is Targeted.MERGE:
        return Decision(Op.UPDATE, c.note_id, merged_content=text.merged(c.content,
                                                                         proposal.content),
                        reason=reason)
    if op is Targeted.REPLACE:
        return Decision(Op.UPDATE, c.note_id, merged_content=proposal.content, reason=reason)
    if op is Targeted.DELETE:
        return Decision(Op.DELETE, c.note_id, tier=Tier.DISCARD, reason=reason)
    return Decision(Op.NOOP, c.note_id, reason=reason)


def save(params: Params, path: str | Path, meta: dict) -> None:
    header = {"x_features": X_FEATURES, "pair_features": PAIR_FEATURES, "k": K, **meta}
    np.savez_compressed(path, meta=np.array(json.dumps(header)), **params)


def load(path: str | Path) -> tuple[Params, dict]:
    """Weights and metadata of a checkpoint written by ``save`` (trained on today's features
    or some of them: ``columns``)."""
    try:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            params = {k: data[k].astype(np.float64) for k in data.files if k != "meta"}
    except (OSError, ValueError, KeyError) as e:
        raise InvalidInputError(f"cannot read manager checkpoint {path}: {e}; retrain one "
                                "with 'asem train manager --out FILE'") from e
    x, pair = tuple(meta.get("x_features", ())), tuple(meta.get("pair_features", ()))
    if not set(x) <= set(X_FEATURES) or not set(pair) <= set(PAIR_FEATURES) or (
            meta.get("k") != K):
        raise InvalidInputError(f"manager checkpoint {path} was trained on other features; "
                                "retrain it with 'asem train manager'")
    return params, meta


def columns(meta: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """The columns of today's features a checkpoint was trained on, when it was trained on
    fewer (features added since are left out for it); None when it has them all."""
    x, pair = tuple(meta["x_features"]), tuple(meta["pair_features"])
    if x == X_FEATURES and pair == PAIR_FEATURES:
        return None
    return (np.array([X_FEATURES.index(f) for f in x]),
            np.array([PAIR_FEATURES.index(f) for f in pair], dtype=int))
