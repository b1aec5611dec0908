"""The report of a LongMemEval or multi-hop run: ``<name>.md`` plus two PNG charts.

Input is the dict ``bench_longmemeval.run`` or ``bench_multihop.run`` returns (plus
``command``, set by the CLI): metrics per level (session, turn, passage), each a table of
``metric@k`` per system, overall and per category. Tables and chart helpers are LoCoMo's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asem.eval import kinds
from asem.eval.report import MARKERS, colour, cost_table, figure_axes, recall_table, run_lines

_MEANING = {
    "recall_all": "1 if every evidence item is in the top k, else 0",
    "recall_any": "1 if any evidence item is in the top k, else 0",
    "recall": "share of the evidence items in the top k",
    "ndcg": "nDCG@k of the ranking, binary relevance",
}


def write_report(report: dict[str, Any], directory: Path, name: str) -> list[Path]:
    """Write ``name.md``, ``name-curves.png`` and ``name-per-category.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    curves, bars = directory / f"{name}-curves.png", directory / f"{name}-per-category.png"
    _draw_curves(report, curves)
    _draw_bars(report, bars)
    page = directory / f"{name}.md"
    page.write_text(markdown(report, curves.name, bars.name), encoding="utf-8")
    return [page, curves, bars]


def markdown(report: dict[str, Any], curves: str, bars: str) -> str:
    head = report["headline"]
    lines = [f"# {report['title']}", ""] + run_lines(report) + ["", "## Data", ""]
    lines += report["data"] + ["", f"| {report['category_label']} | questions |", "|---|---:|"]
    lines += [f"| {c} | {n:,} |" for c, n in report["questions"].items() if c != "total"]
    lines += [f"| **total** | **{report['questions']['total']:,}** |", "",
              "## Systems", "", "| system | what it is |", "|---|---|"]
    lines += [f"| {s} | {d} |" for s, d in report["system_descriptions"].items()]
    lines += ["", f"![{head['metric']}@k per system]({curves})", "",
              f"![{head['metric']}@{head['k']} per {report['category_label']}]({bars})", ""]
    for level, tables in report["levels"].items():
        for metric in _metrics(tables):
            lines += [f"## {level.capitalize()}-level {metric}@k", "",
                      f"{metric}@k: {_MEANING.get(metric, metric)}, averaged over questions. "
                      "Best per column in bold.", ""]
            lines += recall_table(_only(tables["systems"], metric),
                                  {s: _only(rows, metric)
                                   for s, rows in tables["per_category"].items()},
                                  report["questions"])
            lines.append("")
    turn = report["levels"].get("turn", {})
    if turn.get("per_kind"):
        columns = [f"{head['metric']}@{k}" for k in report["ks"]]
        lines += kinds.markdown_lines(turn["per_kind"], report["kinds"]["questions"], columns)
    lines += ["## Cost", ""] + cost_table(report["cost"])
    embedded = report.get("embedding_cache")
    if embedded and embedded["hits"]:
        lines += ["", f"Embeddings: {embedded['hits']:,} texts came from the embedding cache of "
                  f"an earlier run or another system, {embedded['misses']:,} were embedded in "
                  "this run; ingest speeds of systems whose texts were cached leave out (most "
                  "of) the embedder's time."]
    return "\n".join(lines) + "\n"


def _metrics(tables: dict[str, Any]) -> list[str]:
    row = next(iter(tables["systems"].values()))
    return list(dict.fromkeys(k.split("@")[0] for k in row))


def _only(rows: dict[str, Any], metric: str) -> dict[str, Any]:
    """``rows`` (a metric row, or rows by name) cut to ``metric@k`` entries."""
    if all(isinstance(v, dict) for v in rows.values()):
        return {name: _only(row, metric) for name, row in rows.items()}
    return {k: v for k, v in rows.items() if k.split("@")[0] == metric}


def _draw_curves(report: dict[str, Any], path: Path) -> None:
    metric = report["headline"]["metric"]
    levels = list(report["levels"])
    figure, axes = figure_axes(5.6 * len(levels) + 3.0, 4.8, 1, len(levels))
    for ax, level in zip(axes[0], levels, strict=True):
        for i, (system, row) in enumerate(report["levels"][level]["systems"].items()):
            values = _only(row, metric)
            ks = [int(k.split("@")[1]) for k in values]
            ax.plot(ks, list(values.values()), marker=MARKERS[i % len(MARKERS)],
                    color=colour(system, i), linewidth=3.5 if system == "asem" else 2,
                    linestyle="--" if "-no-" in system else "-", label=system)
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_ylim(0, 1)
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("k (top-k retrieved)")
        ax.set_ylabel(f"{metric}@k")
        ax.set_title(f"{level.capitalize()}-level {metric}@k")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize=9, title="system")
    figure.suptitle(_subtitle(report), fontsize=10)
    figure.savefig(path)


def _draw_bars(report: dict[str, Any], path: Path) -> None:
    head = report["headline"]
    key = f"{head['metric']}@{head['k']}"
    levels = list(report["levels"])
    groups = ["all"] + [c for c in report["questions"] if c != "total"]
    figure, axes = figure_axes(max(8.0, 1.6 * len(groups) + 3), 4.2 * len(levels),
                               len(levels), 1)
    for ax, level in zip(axes[:, 0], levels, strict=True):
        tables = report["levels"][level]
        systems = list(tables["systems"])
        width = 0.8 / len(systems)
        for i, system in enumerate(systems):
            values = [tables["systems"][system][key] if g == "all" else
                      tables["per_category"][system].get(g, {}).get(key, 0.0) for g in groups]
            xs = [n + (i - (len(systems) - 1) / 2) * width for n in range(len(groups))]
            ax.bar(xs, values, width=width * 0.95, color=colour(system, i), label=system,
                   edgecolor="white", linewidth=0.5)
        counts = report["questions"]
        ax.set_xticks(range(len(groups)),
                      [f"{g}\n(n = {counts.get(g, counts['total'])})" for g in groups],
                      fontsize=8)
        ax.set_ylim(0, 1)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_ylabel(key)
        ax.set_title(f"{level.capitalize()}-level {key} per {report['category_label']}")
    axes[0][0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="system")
    figure.suptitle(_subtitle(report), fontsize=10)
    figure.savefig(path)


def _subtitle(report: dict[str, Any]) -> str:
    return f"{report['title']}: {report['questions']['total']:,} questions"
