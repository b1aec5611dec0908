"""``asem bench correctness``: does a write policy keep what is true, and only that?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from asem.cli.bench_manager import LONGMEMEVAL_ORACLE
from asem.cli.context import settings
from asem.cli.output import (
    NOTHING_WRITTEN,
    check_writable,
    emit_json,
    on_ctrl_c,
    save_report,
    stdout,
    stream_progress,
)
from asem.errors import InvalidInputError


def bench_correctness(
    ctx: typer.Context,
    policies: Annotated[str, typer.Option(
        "--policies", metavar="NAMES",
        help="Comma-separated managers by name (always-add, rule, learned, llm, or any "
             "registered one) or .npz checkpoint paths; 'llm' is skipped without --llm.",
    )] = "always-add,rule,learned",
    split: Annotated[str, typer.Option(
        "--split", metavar="SPLIT",
        help="held-out (template families and wordings never used in training) or train.",
    )] = "held-out",
    per_kind: Annotated[int, typer.Option(
        "--per-kind", min=1, metavar="N", help="Template streams of each kind.",
    )] = 40,
    real: Annotated[Path | None, typer.Option(
        "--real", metavar="FILE", dir_okay=False,
        help="LongMemEval JSON whose knowledge-update questions become real change streams "
             "('none' to skip).",
    )] = LONGMEMEVAL_ORACLE,
    real_limit: Annotated[int | None, typer.Option(
        "--real-limit", min=1, metavar="N", help="Use only the first N real streams.",
    )] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the template streams.")] = 0,
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False, help="Also write the report here."
    )] = None,
    llm: Annotated[str | None, typer.Option(
        "--llm", metavar="SPEC",
        help="The model the 'llm' policy asks, one call per decision (see 'asem --help').",
    )] = None,
) -> None:
    """Labelled fact streams (atomic facts, lists, values both true, events, changes,
    retractions, unrelated facts of one person) written to a fresh in-memory Memory per
    stream with each policy, then probed: share of streams as expected for their kind,
    current value found and stale value not returned as current, unrelated facts kept in
    separate notes, facts lost, and notes per input."""
    from asem.cli.context import make_llm
    from asem.eval.correctness import evaluate, longmemeval_streams
    from asem.eval.correctness_data import SPLITS, streams
    from asem.providers.onnx_minilm import MiniLMEmbedder

    names = [p.strip() for p in policies.split(",") if p.strip()]
    if not names:
        raise InvalidInputError("give at least one policy with --policies")
    if split not in SPLITS:
        raise InvalidInputError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    source = None if real is None or str(real) == "none" else real
    if source is not None and not source.is_file():
        raise InvalidInputError(f"no LongMemEval file at {source}; pass --real FILE or "
                                "--real none")
    check_writable("--json", out)
    spec = llm or settings(ctx).llm
    cases = streams(split, per_kind, seed=seed)
    if source is not None and split == "held-out":
        cases += longmemeval_streams(source, real_limit)
    quiet = settings(ctx).json
    with on_ctrl_c(NOTHING_WRITTEN), stream_progress(quiet) as progress:
        report = evaluate(cases, names, MiniLMEmbedder(),
                          llm=make_llm(spec) if spec and "llm" in names else None,
                          progress=progress)
    report["split"] = split
    save_report(report, out)
    if quiet:
        emit_json(report)
    else:
        _print(report)


def _print(report: dict) -> None:
    console = stdout()
    for name, r in report["policies"].items():
        table = Table(title=f"{name}: {report['streams']} {report['split']} streams")
        for column in ("kind", "streams", "as expected", "current", "stale as current",
                       "separate", "lost", "notes/input"):
            table.add_column(column)
        for kind, f in [*r["by_kind"].items(), ("all", r["all"])]:
            table.add_row(kind, str(f["streams"]), *(_share(f[k]) for k in (
                "expected", "current", "stale_as_current", "separate", "lost")),
                "–" if f["notes_per_input"] is None else f"{f['notes_per_input']:.2f}")
        console.print(table)
    for name, why in report["skipped"].items():
        console.print(f"{name}: skipped ({why})")


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
