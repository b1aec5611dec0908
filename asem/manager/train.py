"""Training the compact policy with GRPO (or plain REINFORCE, for comparison).

One step: every runner (a stream being played) offers its current state; G actions are
drawn from the current policy (π_old) — G distinct ones for GRPO, i.i.d. for REINFORCE —
each applied to its own copy of the memory and scored by the reward; the runner moves on
from the best of the G outcomes. GRPO then takes ``epochs`` Adam steps on the clipped,
KL-penalised objective of the groups; REINFORCE one step on (r − running mean) · log π;
both add a small entropy bonus. The reference policy π_ref is the
initial policy (or a copy refreshed every ``ref_every`` steps). Every ``eval_every`` steps
the greedy policy plays validation streams (training split), and the weights with the best
validation are kept; ``train_restarts`` keeps the best of several seeds. Seeded: the same
config gives the same checkpoint.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from asem.manager import attribute, grpo, policy
from asem.manager.env.reward import make_reward
from asem.manager.env.sim import EmbeddingCache, SimMemory
from asem.manager.env.streams import Stream, generate
from asem.manager.env.user import LABEL_REWARD
from asem.manager.env.user import SPLIT as USER_SPLIT
from asem.manager.features import Features, K, features
from asem.manager.learned import LearnedManager
from asem.manager.rollout import agrees, canonical_cases, label, run_stream, user_figures
from asem.types import Decision
from asem.write.manager import Proposal

VALIDATION_SEED = 1_000_000
"""Validation streams are training-split streams with seeds from here on."""
USER_VALIDATION_STREAMS = 200
"""Validation on a user's streams plays at most this many of them (the first in the file)."""


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 400
    states_per_step: int = 16
    group_size: int = 8
    """G: actions sampled per state."""
    epochs: int = 4
    """GRPO optimisation passes over each batch (REINFORCE always takes one): the clipped
    ratio keeps them close to π_old, and they cost little next to scoring the actions."""
    learning_rate: float = 0.005
    clip: float = 0.2
    beta: float = 0.04
    """β: weight of the KL penalty to the reference policy."""
    distinct: bool = True
    """GRPO groups of G distinct actions (``grpo.sample_group``); REINFORCE always samples
    i.i.d., as the plain baseline does."""
    entropy: float = 0.02
    """Weight of the entropy bonus (both algorithms): exploration until rare actions pay."""
    ref_every: int = 0
    """Refresh π_ref to the current policy every this many steps; 0: π_ref stays the initial
    (near-uniform) policy, so the KL term also keeps the policy exploring."""
    seed: int = 0
    algo: str = "grpo"
    eval_every: int = 50
    eval_streams: int = 48
    keep_best: bool = True
    """Return the weights of the best validation (probe accuracy + canonical accuracy on
    training-split validation streams, never the held-out ones) instead of the last: GRPO's
    validation figures swing by several points between evaluations."""
    user_share: float = 0.5
    """With a user's own streams (``train(..., user_streams=...)``): the share of training
    streams drawn from them (1.0: only theirs), and the weight of their figures in the
    validation score. Without them the built-in streams are all there is."""


@dataclass
class TrainResult:
    params: policy.Params
    log: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    best_step: int = 0
    """The step whose weights ``params`` holds."""
    best_score: float = -np.inf
    """Its validation score: probe accuracy + canonical accuracy."""
    seed: int = 0
    """The seed of the run whose weights ``params`` holds (see ``train_restarts``)."""
    cpu_seconds: float = 0.0
    """CPU time of the process (all its threads): on a shared machine, wall-clock time
    also counts the time other jobs held the cores."""


@dataclass
class _Runner:
    stream: Stream
    t: int = 0
    memory: SimMemory = field(default_factory=SimMemory)


@dataclass
class _Sample:
    f: Features
    actions: np.ndarray
    logp_old: np.ndarray
    logp_ref: np.ndarray
    rewards: np.ndarray


class Adam:
    """Adam (Kingma & Ba 2015) ascending the objective."""

    def __init__(self, params: policy.Params, lr: float, b1: float = 0.9, b2: float = 0.999):
        self.lr, self.b1, self.b2, self.t = lr, b1, b2, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def ascend(self, params: policy.Params, grads: policy.Params) -> None:
        self.t += 1
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            m_hat = self.m[k] / (1 - self.b1 ** self.t)
            v_hat = self.v[k] / (1 - self.b2 ** self.t)
            params[k] += self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def train(embed: EmbeddingCache, config: TrainConfig = TrainConfig(),
          progress: Callable[[int, dict], None] | None = None,
          user_streams: Sequence[Stream] = ()) -> TrainResult:
    """Train from ``config.seed``; ``user_streams`` (``env.user``) join the built-in ones."""
    if config.algo not in ("grpo", "reinforce"):
        raise ValueError("algo must be 'grpo' or 'reinforce'")
    if user_streams and not 0.0 < config.user_share <= 1.0:
        raise ValueError("user_share must be in (0, 1]")
    started, cpu_started = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(config.seed)
    params = policy.init_params(config.seed)
    reference = copy.deepcopy(params)
    adam = Adam(params, config.learning_rate)
    reward = make_reward(embed)
    streams = _Streams(config, user_streams)
    runners = [_Runner(streams.next()) for _ in range(config.states_per_step)]
    embed.warm([e.text for r in runners for e in r.stream.events])
    baseline, result = 0.0, TrainResult(params)
    best_score, best = -np.inf, params
    for step in range(1, config.steps + 1):
        distinct = config.distinct and config.algo == "grpo"
        groups = [_sample(r, params, reference, rng, config.group_size, distinct, embed)
                  for r in runners]
        # One embedder call for every merged text of the step (batches run much faster).
        embed.warm([d.merged_content for g in groups for d in g.decisions if d.merged_content])
        batch = [_score(r, g, embed, reward) for r, g in zip(runners, groups, strict=True)]
        for i, runner in enumerate(runners):
            if runner.t >= len(runner.stream.events):
                runners[i] = _Runner(streams.next())
        embed.warm([e.text for r in runners if r.t == 0 for e in r.stream.events])
        rewards = np.concatenate([s.rewards for s in batch])
        if config.algo == "grpo":
            kl = 0.0
            for _ in range(config.epochs):
                kl = _grpo_step(params, batch, adam, config)
        else:
            kl = _reinforce_step(params, batch, adam, baseline, config.entropy)
            baseline = 0.9 * baseline + 0.1 * float(rewards.mean()) if step > 1 else float(
                rewards.mean())
        if config.ref_every and step % config.ref_every == 0:
            reference = copy.deepcopy(params)
        row = {"step": step, "reward": float(rewards.mean()), "kl": kl}
        if step % config.eval_every == 0 or step == config.steps:
            manager = LearnedManager(params)
            row |= evaluate(manager, embed, config.eval_streams)
            if user_streams:
                row |= user_figures(manager, user_streams[:USER_VALIDATION_STREAMS], embed)
            score = validation_score(row, config.user_share if user_streams else 0.0)
            if score > best_score or not config.keep_best:
                best_score, best, result.best_step = score, copy.deepcopy(params), step
                result.best_score = score
        result.log.append(row)
        if progress:
            progress(step, row)
    result.params, result.seed = best, config.seed
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    return result


class _Streams:
    """Where runners take their next stream: the built-in generator (seeds from
    ``seed × 100,000``), or with probability ``user_share`` the next of the user's streams
    (in a seeded order, round and round)."""

    def __init__(self, config: TrainConfig, user: Sequence[Stream]) -> None:
        self.next_seed = config.seed * 100_000
        self.user, self.share, self.taken = list(user), config.user_share, 0
        self.rng = np.random.default_rng([config.seed, 1])
        self.order = self.rng.permutation(len(self.user)) if self.user else np.array([])

    def next(self) -> Stream:
        if self.user and self.rng.random() < self.share:
            stream = self.user[int(self.order[self.taken % len(self.user)])]
            self.taken += 1
            return stream
        self.next_seed += 1
        return generate(self.next_seed - 1)


def validation_score(row: dict, user_share: float) -> float:
    """What picks the checkpoint: probe + canonical accuracy on the built-in validation
    streams, and with a user's streams, weighted by ``user_share``, their probe accuracy and
    label agreement (the mean of those given, doubled to the same 0–2 scale)."""
    score = row["probe_accuracy"] + row["canonical"]
    if not user_share:
        return score
    own = [row[k] for k in ("user_probe_accuracy", "user_labels") if row.get(k) is not None]
    return (1 - user_share) * score + user_share * 2 * float(np.mean(own))


def train_restarts(embed: EmbeddingCache, config: TrainConfig = TrainConfig(),
                   restarts: int = 1, progress: Callable[[int, dict], None] | None = None,
                   user_streams: Sequence[Stream] = ()) -> TrainResult:
    """Train from ``restarts`` seeds (``config.seed``, ``config.seed + 1``, ...) and keep the
    run with the best validation: runs from different seeds land several points apart on
    the same streams, and validation (training-split streams) tells them apart. The log holds
    every run's rows, each with its ``seed`` (a run's last row also its own times); the
    result's times are the totals."""
    if restarts < 1:
        raise ValueError("restarts must be at least 1")
    best: TrainResult | None = None
    log: list[dict] = []
    seconds = cpu_seconds = 0.0
    for n in range(restarts):
        run = train(embed, replace(config, seed=config.seed + n),
                    None if progress is None else
                    (lambda step, row, n=n: progress(n * config.steps + step, row)),
                    user_streams)
        log += [row | {"seed": run.seed} for row in run.log]
        log[-1] |= {"run_seconds": run.seconds, "run_cpu_seconds": run.cpu_seconds}
        seconds, cpu_seconds = seconds + run.seconds, cpu_seconds + run.cpu_seconds
        if best is None or run.best_score > best.best_score:
            best = run
    assert best is not None
    best.log, best.seconds, best.cpu_seconds = log, seconds, cpu_seconds
    return best


@dataclass
class _Group:
    proposal: Proposal
    sample: _Sample
    decisions: list[Decision]


def _sample(runner: _Runner, params: policy.Params, reference: policy.Params,
            rng: np.random.Generator, group: int, distinct: bool,
            embed: EmbeddingCache) -> _Group:
    """G actions for the runner's current state, from the current policy (π_old)."""
    event = runner.stream.events[runner.t]
    proposal = runner.memory.proposal(event.text, embed(event.text), runner.t, K)
    f = features(proposal, guards=False)  # the shipped weights learned without them
    logp = policy.log_softmax(policy.forward(params, f).logits)
    logp_ref = policy.log_softmax(policy.forward(reference, f).logits)
    actions = grpo.sample_group(logp, group, rng, distinct)
    decisions = [policy.to_decision(int(a), proposal) for a in actions]
    sample = _Sample(f, actions, logp[actions], logp_ref[actions], np.zeros(len(actions)))
    return _Group(proposal, sample, decisions)


def _score(runner: _Runner, group: _Group, embed: EmbeddingCache, reward) -> _Sample:
    """Apply each of the G decisions to its own copy of the memory, score it, and move the
    runner on from the best outcome (later states then look like a good policy's)."""
    event = runner.stream.events[runner.t]
    after = [runner.memory.apply(d, event.text, event.slot, runner.t, embed)
             for d in group.decisions]
    probes = runner.stream.probes_after[runner.t]
    rewards = np.array([reward(m, probes, d)
                        for m, d in zip(after, group.decisions, strict=True)])
    if runner.stream.split == USER_SPLIT:
        labelled = label(event, group.proposal, runner.memory)
        if labelled is not None:  # a user's label: agreeing with it pays
            rewards += LABEL_REWARD * np.array([
                agrees(d, labelled, runner.memory, event.slot) for d in group.decisions])
    runner.memory, runner.t = after[int(np.argmax(rewards))], runner.t + 1
    return replace(group.sample, rewards=rewards)


def _zero(params: policy.Params) -> policy.Params:
    return {k: np.zeros_like(v) for k, v in params.items()}


def _grpo_step(params: policy.Params, batch: list[_Sample], adam: Adam,
               config: TrainConfig) -> float:
    grads, kls = _zero(params), []
    for s in batch:
        fw = policy.forward(params, s.f)
        logp = policy.log_softmax(fw.logits)
        advantages = grpo.group_advantages(s.rewards)
        _, d_logp, kl = grpo.grpo_objective(logp[s.actions], s.logp_old, s.logp_ref,
                                            advantages, config.clip, config.beta)
        d_out = grpo.d_logits(np.exp(logp), s.actions, d_logp)
        d_out += config.entropy * grpo.entropy_bonus(logp)[1]
        policy.backward(params, fw, d_out, grads)
        kls.append(kl)
    adam.ascend(params, {k: g / len(batch) for k, g in grads.items()})
    return float(np.mean(kls))


def _reinforce_step(params: policy.Params, batch: list[_Sample], adam: Adam,
                    baseline: float, entropy: float) -> float:
    grads, kls = _zero(params), []
    for s in batch:
        fw = policy.forward(params, s.f)
        logp = policy.log_softmax(fw.logits)
        _, d_logp = grpo.reinforce_objective(logp[s.actions], s.rewards, baseline)
        d_out = grpo.d_logits(np.exp(logp), s.actions, d_logp)
        d_out += entropy * grpo.entropy_bonus(logp)[1]
        policy.backward(params, fw, d_out, grads)
        kls.append(float(grpo.kl_k3(logp[s.actions], s.logp_ref)[0].mean()))
    adam.ascend(params, {k: g / len(batch) for k, g in grads.items()})
    return float(np.mean(kls))


def evaluate(manager, embed: EmbeddingCache, n_streams: int, split: str = "train",
             first_seed: int = VALIDATION_SEED) -> dict:
    """Greedy probe accuracy, notes per stream and canonical accuracy on ``n_streams``, and
    canonical accuracy per event kind (``canonical:KIND``, for the log: a kind the held-out
    streams lose may stand at 1.00 on validation)."""
    correct, notes, agreed = [], [], []
    kinds: dict[str, list[bool]] = {}
    for seed in range(first_seed, first_seed + n_streams):
        stream = generate(seed, split)
        outcome = run_stream(manager, stream, embed)
        correct += outcome.correct
        notes.append(outcome.notes)
        for kind, ok, _ in canonical_cases(manager, stream, embed):
            agreed.append(ok)
            kinds.setdefault(kind, []).append(ok)
    return {"probe_accuracy": float(np.mean(correct)), "notes": float(np.mean(notes)),
            "canonical": float(np.mean(agreed)),
            **{f"canonical:{k}": float(np.mean(v)) for k, v in sorted(kinds.items())}}


def checkpoint_meta(config: TrainConfig, result: TrainResult, restarts: int = 1,
                    user_streams: int = 0) -> dict:
    """What a checkpoint records of its training; ``user_streams``: how many of the user's
    own streams it trained on (their validation figures are recorded too)."""
    last = next((r for r in result.log if r["step"] == result.best_step
                 and r.get("seed", result.seed) == result.seed), {})
    keys = ("probe_accuracy", "notes", "canonical")
    if user_streams:
        keys += ("user_probe_accuracy", "user_labels", "user_notes_per_event")
    return {"config": asdict(config), "restarts": restarts,
            "seconds": round(result.seconds, 1),
            "seed": result.seed, "step": result.best_step,
            "cpu_seconds": round(result.cpu_seconds, 1), "user_streams": user_streams,
            "attribute": attribute.ASSET,
            "validation": {k: last.get(k) for k in keys}}
