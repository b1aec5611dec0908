"""Learning curves of the write policy: GRPO against plain REINFORCE with the same budget.

Both train from the same seed on the same streams with the same number of sampled actions
(reward evaluations) per step; GRPO's groups are G distinct actions, REINFORCE samples
i.i.d. as the plain baseline does. The figure plots the mean sampled reward per step, the
KL to the reference policy, and the validation probe accuracy and canonical-case accuracy
(greedy policy, 48 validation streams) every 50 steps.

    .venv/bin/python benchmarks/manager_curve.py --steps 400 --out bench-out/manager-curve

GRPO's side can be the run that wrote a checkpoint (``asem train manager --log LOG --out
NPZ`` with the same steps and seed trains exactly the same policy): ``--grpo-run LOG NPZ``
reads its log and timings instead of training it again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from asem.manager import policy
from asem.manager.env.sim import EmbeddingCache
from asem.manager.train import TrainConfig, train
from asem.providers.onnx_minilm import MiniLMEmbedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-out/manager-curve"))
    parser.add_argument("--grpo-run", type=Path, nargs=2, metavar=("LOG", "NPZ"),
                        help="the log and checkpoint of 'asem train manager' with the same "
                             "steps and seed, instead of training GRPO again")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    embed = EmbeddingCache(MiniLMEmbedder())
    logs = {}
    if args.grpo_run:
        logs["grpo"] = _finished_run(*args.grpo_run, args.steps, args.seed)
    for algo in ("grpo", "reinforce"):
        if algo in logs:
            continue
        result = train(embed, TrainConfig(steps=args.steps, seed=args.seed, algo=algo),
                       lambda step, row, a=algo: print(a, row, flush=True)
                       if "probe_accuracy" in row else None)
        logs[algo] = {"seconds": result.seconds, "cpu_seconds": result.cpu_seconds,
                      "log": result.log}
    args.out.with_suffix(".json").write_text(json.dumps(logs, indent=1) + "\n")
    plot(logs, args.out.with_suffix(".png"))


def _finished_run(log: Path, checkpoint: Path, steps: int, seed: int) -> dict:
    """The kept GRPO run as logged by 'asem train manager' (steps must match, and ``seed``
    must be the seed of the run it kept: with restarts, only that run's rows are used)."""
    _, meta = policy.load(checkpoint)
    config = meta.get("config", {})
    kept = meta.get("seed", config.get("seed"))
    if config.get("steps") != steps or kept != seed or config.get("algo") != "grpo":
        raise SystemExit(f"{checkpoint} was not trained with GRPO, {steps} steps, seed {seed} "
                         f"(its kept run: seed {kept})")
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("seed", kept) == kept]
    last = rows[-1]
    return {"seconds": last.get("run_seconds", meta["seconds"]),
            "cpu_seconds": last.get("run_cpu_seconds", meta["cpu_seconds"]), "log": rows}


def plot(logs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for algo, run in logs.items():
        steps = np.array([r["step"] for r in run["log"]])
        reward = np.array([r["reward"] for r in run["log"]])
        smooth = np.convolve(reward, np.ones(10) / 10, mode="valid")
        axes[0].plot(steps[len(steps) - len(smooth):], smooth, label=algo)
        axes[1].plot(steps, [r["kl"] for r in run["log"]], label=algo, alpha=0.7)
        evals = [r for r in run["log"] if "probe_accuracy" in r]
        axes[2].plot([r["step"] for r in evals], [r["probe_accuracy"] for r in evals],
                     marker="o", label=f"{algo} probe accuracy")
        axes[2].plot([r["step"] for r in evals], [r["canonical"] for r in evals],
                     marker="x", linestyle="--", label=f"{algo} canonical")
    for ax, title in zip(axes, ("sampled reward (10-step mean)", "KL to reference (k3)",
                                "validation (greedy)"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
