"""``asem bench``: benchmark commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asem.cli.context import settings
from asem.cli.output import emit_json, stderr, stdout
from asem.errors import InvalidInputError

bench_app = typer.Typer(help="Run benchmarks.", no_args_is_help=True)

_LOCOMO = Path("../shared/data/locomo/locomo10.json")


@bench_app.command("locomo")
def locomo(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(
        "--data", envvar="ASEM_LOCOMO", metavar="FILE", dir_okay=False,
        help="Path to LoCoMo's locomo10.json (read in place, never copied).",
    )] = _LOCOMO,
    conversations: Annotated[str | None, typer.Option(
        "--conversations", metavar="IDS",
        help="Comma-separated sample ids, e.g. conv-26,conv-30 (default: all 10).",
    )] = None,
    systems: Annotated[str, typer.Option(
        "--systems", metavar="NAMES", help="Comma-separated systems: asem, bm25, dense.",
    )] = "asem,bm25,dense",
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False, help="Also write the full report here.",
    )] = None,
) -> None:
    """Turn-level evidence recall@1/5/10/20 on LoCoMo (categories 1–4) for ASEM and baselines.

    Each conversation is one scope; every question with resolvable evidence is asked of
    every system in the same run. Prints the category mapping and per-category counts.
    """
    from asem.eval import bench_locomo
    from asem.providers.onnx_minilm import MiniLMEmbedder

    names = [s.strip() for s in systems.split(",") if s.strip()]
    unknown = sorted(set(names) - set(bench_locomo.SYSTEMS))
    if unknown or not names:
        raise InvalidInputError(f"unknown systems {unknown}; choose from "
                                f"{', '.join(bench_locomo.SYSTEMS)}")
    ids = [c.strip() for c in conversations.split(",")] if conversations else None
    quiet = settings(ctx).json
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total} conversations"), TimeElapsedColumn(), console=stderr(),
                  disable=quiet) as bar:
        task = bar.add_task("loading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        report = bench_locomo.run(data, embedder=MiniLMEmbedder(), conversations=ids,
                                  systems=names, progress=progress)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if quiet:
        emit_json(report)
    else:
        _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    console = stdout()
    mapping = ", ".join(f"{k} = {v}" for k, v in report["category_mapping"].items())
    counts = ", ".join(f"{k} {v}" for k, v in report["questions"].items())
    console.print(f"LoCoMo categories: {mapping}")
    console.print(f"{len(report['conversations'])} conversations, {report['turns']} turns; "
                  f"questions: {counts}")
    table = Table(title="Turn-level evidence recall@k")
    table.add_column("system")
    table.add_column("category")
    ks = list(next(iter(report["systems"].values())))
    for k in ks:
        table.add_column(k, justify="right")
    for system, overall in report["systems"].items():
        table.add_row(system, "all", *(f"{overall[k]:.3f}" for k in ks))
        for category, row in report["per_category"][system].items():
            table.add_row("", category, *(f"{row[k]:.3f}" for k in ks))
    console.print(table)
    for system, cost in report.get("cost", {}).items():
        console.print(f"{system} cost: " + ", ".join(f"{k} {v}" for k, v in cost.items()))
