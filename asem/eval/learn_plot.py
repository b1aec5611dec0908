"""Learning curves for `asem bench learn`: recall@k per epoch, with and without feedback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asem.errors import InvalidInputError

_TITLES = {"replayed": "Replayed questions (rewarded)", "held_out": "Held-out questions"}
_STYLE = {"feedback": {"color": "#1f77b4", "marker": "o", "linestyle": "-"},
          "no-feedback": {"color": "#7f7f7f", "marker": "s", "linestyle": "--"}}


def plot_learning_curves(result: dict[str, Any], path: str | Path) -> Path:
    """Two panels (replayed, held-out), one line per arm; written as PNG to ``path``."""
    try:
        import matplotlib
    except ImportError as e:
        raise InvalidInputError("plotting needs matplotlib: pip install 'asem[bench]'") from e
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    epochs = [e["epoch"] for e in result["epochs"]]
    values = [e[arm][half] for e in result["epochs"] for arm in _STYLE for half in _TITLES]
    low, high = min(values), max(values)
    pad = max(0.02, (high - low) * 0.15)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True, constrained_layout=True)
    for ax, (half, title) in zip(axes, _TITLES.items(), strict=True):
        last = {arm: result["epochs"][-1][arm][half] for arm in _STYLE}
        close = abs(last["feedback"] - last["no-feedback"]) < 0.3 * pad  # labels would overlap
        for arm, style in _STYLE.items():
            ys = [e[arm][half] for e in result["epochs"]]
            ax.plot(epochs, ys, label=f"{arm} arm", linewidth=2, markersize=6, **style)
            lift = (7 if arm == "feedback" else -7) if close else 0
            ax.annotate(f"{ys[-1]:.3f}", (epochs[-1], ys[-1]), textcoords="offset points",
                        xytext=(6, lift), va="center", fontsize=9, color=style["color"])
        ax.set_title(f"{title}, n = {result['questions'][half]}", fontsize=11)
        ax.set_xlabel("epoch (0 = before any feedback)")
        ax.set_xticks(epochs)
        ax.set_xlim(epochs[0] - 0.2, epochs[-1] + 0.6)
        ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"turn-level {result['metric']}")
    axes[0].legend(loc="upper left", frameon=False)
    names = result["conversations"]
    scope = f"{len(names)} conversations" if len(names) > 1 else names[0]
    fig.suptitle(f"ASEM learning from feedback on LoCoMo ({scope}, seed {result['seed']}; "
                 f"utility: {result.get('utility', 'global')})", fontsize=11)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=120)
    plt.close(fig)
    return target
