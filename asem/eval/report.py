"""A benchmark report a person can look at: ``locomo.md`` plus two PNG charts.

Input is the dict ``asem.eval.bench_locomo.run`` returns (plus ``command``, set by the CLI).
Charts are drawn with matplotlib's Agg canvas (no display, no pyplot global state).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asem.errors import ASEMError
from asem.eval import kinds

CURVES = "recall_at_k.png"
BARS = "recall5_per_category.png"
_LEVELS = (("", "Turn-level", "share of a question's evidence turns in the top k turns"),
           ("_session", "Session-level",
            "share of the evidence turns' sessions among the first k distinct sessions of the "
            "same ranking of turns (a session is found when any of its turns is ranked; the "
            "ranking is {depth} turns deep, so it may hold fewer than k sessions)"))
"""(report key suffix, title, what recall@k means) per granularity."""
COLOURS = {
    "asem": "#1f77b4", "bm25": "#7f7f7f", "dense": "#bcbd22", "amem": "#ff7f0e",
    "memrl": "#2ca02c", "asem-no-links": "#17becf", "asem-no-utility": "#9467bd",
    "asem-no-lexical": "#d62728", "asem-no-context": "#e377c2", "asem-no-dates": "#8c564b",
    "asem-expand": "#aec7e8", "asem-rule": "#98df8a", "asem-no-answers": "#c5b0d5",
    "asem-no-names": "#c49c94", "asem-no-speakers": "#f7b6d2", "asem-no-diversity": "#dbdb8d",
    "asem-speakers-early": "#9edae5",
}
MARKERS = "os^Dv<>ph*"


def write_report(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write ``locomo.md`` and the charts into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    charts = [directory / CURVES, directory / BARS]
    _draw_curves(report, charts[0])
    _draw_bars(report, charts[1])
    page = directory / "locomo.md"
    page.write_text(markdown(report), encoding="utf-8")
    return [page, *charts]


# -- the page --------------------------------------------------------------------------------
def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (tables best-per-column in bold)."""
    lines = ["# LoCoMo evidence recall", ""]
    lines += run_lines(report)
    lines += ["", "## Data", ""]
    counts = report["questions"]
    lines += [f"{len(report['conversations'])} conversations "
              f"({', '.join(report['conversations'])}), {report['turns']:,} turns, "
              f"{counts['total']:,} questions (categories with resolvable evidence).", "",
              "| LoCoMo category | name | questions |", "|---:|---|---:|"]
    lines += [f"| {number} | {name} | {counts.get(name, 0):,} |"
              for number, name in report["category_mapping"].items()]
    lines += [f"| | **total** | **{counts['total']:,}** |", ""]
    lines += ["Category numbers follow the official LoCoMo scoring code.", "",
              "## Systems", "", "| system | what it is |", "|---|---|"]
    lines += [f"| {s} | {d} |" for s, d in report.get("system_descriptions", {}).items()]
    lines += ["", f"![recall@k per system]({CURVES})", "",
              "Lines of systems with equal recall lie on top of each other; the legend gives "
              "each system's recall@5.", "", f"![recall@5 per category]({BARS})", ""]
    for suffix, title, meaning in _LEVELS:
        if "systems" + suffix in report:
            depth = max(int(k.split("@")[1]) for k in next(iter(report["systems"].values())))
            lines += [f"## {title} recall@k", "",
                      f"Recall@k: {meaning.format(depth=depth)}. Best per column in bold.", ""]
            lines += recall_table(report["systems" + suffix], report["per_category" + suffix],
                                   counts)
            lines.append("")
    if report.get("per_kind"):
        columns = list(next(iter(report["systems"].values())))
        lines += kinds.markdown_lines(report["per_kind"], report["kinds"]["questions"], columns)
    lines += ["## Cost", ""] + cost_table(report.get("cost", {}))
    return "\n".join(lines) + "\n"


def run_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    if report.get("command"):
        lines += ["Command:", "", "```", report["command"], "```", ""]
    facts = [f"finished {report.get('finished_at', '?')}"]
    if "run_seconds" in report:
        facts.append(f"run time {report['run_seconds'] / 60:.1f} min")
    machine = report.get("machine", {})
    if machine:
        facts.append(f"Python {machine.get('python')} on {machine.get('processor')}")
    if report.get("cached_results"):
        facts.append(f"{report['cached_results']} (scope, system) results reused from the "
                     "cache of an earlier run")
    return lines + ["; ".join(facts) + "."]


def recall_table(overall: dict[str, dict[str, float]],
                  per_category: dict[str, dict[str, dict[str, float]]],
                  counts: dict[str, int]) -> list[str]:
    ks = list(next(iter(overall.values())))
    header = "| category | system | " + " | ".join(k.replace("recall", "R") for k in ks) + " |"
    lines = [header, "|---|---|" + "---:|" * len(ks)]
    groups = [("all", overall)]
    categories = [c for c in counts if c != "total"]
    groups += [(c, {s: rows[c] for s, rows in per_category.items() if c in rows})
               for c in categories]
    for group, rows in groups:
        if not rows:
            continue
        best = {k: max(r[k] for r in rows.values()) for k in ks}
        label = f"**{group}** ({counts.get(group, counts['total']):,})"
        for system, row in rows.items():
            cells = [f"**{row[k]:.3f}**" if row[k] == best[k] else f"{row[k]:.3f}" for k in ks]
            lines.append(f"| {label} | {system} | " + " | ".join(cells) + " |")
            label = ""
    return lines


def cost_table(cost: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| system | notes / turn | links / note | index on disk | ingest turns/s | "
             "search p50 | search p95 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for system, c in cost.items():
        disk = f"{c['db_bytes'] / 2**20:.1f} MiB" if "db_bytes" in c else "— (in memory)"
        lines.append(f"| {system} | {c.get('notes_per_turn', '—')} | "
                     f"{c.get('links_per_note', '—')} | {disk} | {c['ingest_turns_per_s']} | "
                     f"{c['search_p50_ms']} ms | {c['search_p95_ms']} ms |")
    lines += ["", "Ingest speed is per system over all conversations; systems that share a "
              "write path (ASEM's read-only ablations) share one ingestion and report its "
              "speed. Index size is the SQLite file after ingestion."]
    return lines


# -- the charts ------------------------------------------------------------------------------
def figure_axes(width: float, height: float, rows: int, cols: int) -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ASEMError("the report's charts need matplotlib: pip install 'asem[bench]'") from e
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, cols, squeeze=False)


def colour(system: str, position: int) -> str:
    """A fixed colour per known system (same in every chart), else from tab10 by position."""
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf"]
    return COLOURS.get(system, palette[position % len(palette)])


def _draw_curves(report: dict[str, Any], path: Path) -> None:
    levels = [lv for lv in _LEVELS if "systems" + lv[0] in report]
    figure, axes = figure_axes(6.0 * len(levels) + 3.2, 5.2, 1, len(levels))
    for ax, (suffix, title, _meaning) in zip(axes[0], levels, strict=True):
        overall: dict[str, dict[str, float]] = report["systems" + suffix]
        for i, (system, row) in enumerate(overall.items()):
            ks = [int(k.split("@")[1]) for k in row]
            ax.plot(ks, list(row.values()), marker=MARKERS[i % len(MARKERS)],
                    color=colour(system, i), linestyle="--" if "-no-" in system else "-",
                    linewidth=3.5 if system == "asem" else 2, markersize=6,
                    label=_legend_label(report, system, levels))
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_ylim(0, 1)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("k (top-k retrieved)")
        ax.set_ylabel("evidence recall@k")
        ax.set_title(f"{title} recall@k (all categories)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize=9,
                  title="system: R@5 " + " / ".join(t.split("-")[0].lower()
                                                    for _, t, _ in levels))
    figure.suptitle(_subtitle(report), fontsize=10)
    figure.savefig(path)


def _legend_label(report: dict[str, Any], system: str,
                  levels: Sequence[tuple[str, str, str]]) -> str:
    """'asem: 0.526 / 0.879' — recall@5 at each granularity, so overlapping lines stay legible."""
    values = [report["systems" + suffix][system].get("recall@5") for suffix, _, _ in levels]
    return f"{system}: " + " / ".join("—" if v is None else f"{v:.3f}" for v in values)


def _draw_bars(report: dict[str, Any], path: Path) -> None:
    levels = [lv for lv in _LEVELS if "systems" + lv[0] in report]
    figure, axes = figure_axes(13.0, 4.6 * len(levels), len(levels), 1)
    categories = ["all"] + [c for c in report["questions"] if c != "total"]
    for ax, (suffix, title, _meaning) in zip(axes[:, 0], levels, strict=True):
        systems = list(report["systems" + suffix])
        width = 0.8 / len(systems)
        for i, system in enumerate(systems):
            values = [_recall5(report, suffix, system, c) for c in categories]
            xs = [g + (i - (len(systems) - 1) / 2) * width for g in range(len(categories))]
            ax.bar(xs, values, width=width * 0.95, color=colour(system, i), label=system,
                   hatch="//" if "-no-" in system else None, edgecolor="white", linewidth=0.5)
        counts = report["questions"]
        ax.set_xticks(range(len(categories)),
                      [f"{c}\n(n = {counts.get(c, counts['total'])})" for c in categories])
        ax.set_ylim(0, 1)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_xlabel("LoCoMo category (n = questions)")
        ax.set_ylabel("evidence recall@5")
        ax.set_title(f"{title} recall@5 by LoCoMo category")
    axes[0][0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="system")
    figure.suptitle(_subtitle(report), fontsize=10)
    figure.savefig(path)


def _recall5(report: dict[str, Any], suffix: str, system: str, category: str) -> float:
    if category == "all":
        return float(report["systems" + suffix][system]["recall@5"])
    row = report["per_category" + suffix][system].get(category)
    return float(row["recall@5"]) if row else 0.0


def _subtitle(report: dict[str, Any]) -> str:
    conversations: Sequence[str] = report["conversations"]
    plural = "s" if len(conversations) != 1 else ""
    return (f"LoCoMo: {len(conversations)} conversation{plural}, {report['turns']:,} turns, "
            f"{report['questions']['total']:,} questions")
