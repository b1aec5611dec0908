"""``asem bench budget``: held-out recall of a memory cut to a budget, by eviction policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asem.cli.bench import _LOCOMO, Conversations, LoCoMoData, bench_app
from asem.cli.context import settings
from asem.cli.output import (
    NOTHING_WRITTEN,
    check_writable,
    emit_json,
    on_ctrl_c,
    save_report,
    stderr,
    stdout,
)
from asem.errors import InvalidInputError


@bench_app.command("budget")
def budget(
    ctx: typer.Context,
    data: LoCoMoData = _LOCOMO,
    conversations: Conversations = None,
    budgets: Annotated[str, typer.Option(
        "--budgets", metavar="SHARES", help="Comma-separated shares of each conversation's "
        "notes to keep.",
    )] = "0.5,0.25",
    policies: Annotated[str, typer.Option(
        "--policies", metavar="NAMES", help="Comma-separated eviction policies: keep-score, "
        "keep-score-fold (notes over the count folded into near neighbours), "
        "keep-score-no-feedback, keep-score-no-salience (without the salience term), fifo, "
        "random.",
    )] = "keep-score,keep-score-fold,keep-score-no-feedback,keep-score-no-salience,fifo,random",
    kind: Annotated[str, typer.Option(
        "--kind", metavar="KIND", help="What the budget counts: 'notes' (each "
        "conversation's live notes) or 'tokens' (the words they hold).",
    )] = "notes",
    epochs: Annotated[int, typer.Option(
        "--epochs", min=0, help="Feedback epochs replayed before the budget is applied.",
    )] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and of 'random'.")] = 0,
    embeddings: Annotated[Path | None, typer.Option(
        "--embeddings", metavar="FILE", dir_okay=False,
        help="Cache embeddings in this SQLite file (a rerun embeds nothing again).",
    )] = None,
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False, help="Also write the full report here.",
    )] = None,
) -> None:
    """Does a bounded memory keep what matters? Held-out recall@5 on LoCoMo with each
    conversation cut to a share of its notes (or words, --kind tokens), by the keep score
    (information, salience, times returned, utility, usage, recency; a question and its reply
    folded into one note rather than one of them archived; or, 'keep-score-fold', with notes over
    the count folded into near neighbours too) against first-in-first-out and random
    eviction.

    Replayed questions are searched and rewarded first (as in 'asem bench learn'); held-out
    questions are searched only after the cut. Targets: ≥ 0.95 of unbounded recall at 50 %,
    ≥ 0.85 at 25 %.
    """
    from asem.eval import bench_budget as experiment
    from asem.eval.embed_cache import CachedEmbedder
    from asem.providers.onnx_minilm import MiniLMEmbedder

    try:
        shares = [float(b) for b in budgets.split(",")]
    except ValueError as e:
        raise InvalidInputError(f"--budgets must be numbers such as 0.5,0.25, not {budgets!r}"
                                ) from e
    if not all(0 < b < 1 for b in shares):
        raise InvalidInputError("every --budgets share must be between 0 and 1")
    names = [p.strip() for p in policies.split(",") if p.strip()]
    unknown = sorted(set(names) - set(experiment.POLICIES))
    if unknown:
        raise InvalidInputError(f"unknown --policies {', '.join(unknown)}; choose from "
                                f"{', '.join(experiment.POLICIES)}")
    if kind not in experiment.KINDS:
        raise InvalidInputError(f"--kind must be one of {', '.join(experiment.KINDS)}, "
                                f"not {kind!r}")
    check_writable("--json", out)
    check_writable("--embeddings", embeddings)
    ids = [c.strip() for c in conversations.split(",")] if conversations else None
    quiet = settings(ctx).json
    embedder = CachedEmbedder(MiniLMEmbedder(), embeddings)
    try:
        with on_ctrl_c(NOTHING_WRITTEN), Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                console=stderr(), disable=quiet) as bar:
            task = bar.add_task("loading", total=None)
            report = experiment.run(
                data, embedder=embedder, conversations=ids, budgets=shares, policies=names,
                epochs=epochs, seed=seed, kind=kind,
                progress=lambda stage, done, total: bar.update(task, description=stage,
                                                               completed=done, total=total))
    finally:
        embedder.close()
    save_report(report, out)
    if quiet:
        emit_json(report)
        return
    share = "notes" if kind == "notes" else "words"
    table = Table(title=f"LoCoMo held-out turn-level {report['metric'].split()[0]} under a "
                  f"budget (share of each conversation's {share} kept)")
    for column in ("budget", "policy", "notes kept", "words kept", "recall", "× unbounded"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for row in experiment.table_rows(report):
        table.add_row(*row)
    console = stdout()
    console.print(f"LoCoMo categories: {report['category_mapping']}; questions: "
                  f"{report['questions']}; rewards given: {report['rewards']}")
    console.print(table)
    for share, check in report["checks"].items():
        console.print(f"budget {float(share):.0%}: keep-score ratio target "
                      f"{check['target_ratio']} met: {check['meets_target']}; beats "
                      f"{check['beats']}")
