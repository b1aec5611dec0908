"""How the CLI talks: rich tables on stdout, JSON with ``--json``, one-line errors on stderr."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from rich.table import Table

from asem.errors import InvalidInputError


def stdout() -> Console:
    # Built per call so that a replaced sys.stdout (tests, pipes) is honoured.
    return Console(highlight=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def emit_json(value: Any) -> None:
    """One JSON document on one line of stdout (no colour, no wrapping)."""
    click.echo(json.dumps(value, ensure_ascii=False, default=_jsonable))


def save_report(report: dict[str, Any], out: Path | None) -> None:
    """Write a benchmark report to ``out`` (indented JSON), creating its folder; no-op for None."""
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def check_writable(option: str, path: Path | None, *, folder: bool = False) -> None:
    """Fail now, not after a long run, if ``path`` (given with ``option``) cannot be written:
    creates the folder it goes in (``path`` itself with ``folder``) and checks permission.
    No-op for None. (A folder given for a file, or the reverse, click's path options refuse.)"""
    if path is None:
        return
    parent = path if folder else path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInputError(f"{option}: cannot create the folder {parent} "
                                f"({error_line(e)})") from e
    target = path if path.exists() else parent
    if not os.access(target, os.W_OK):
        raise InvalidInputError(f"{option}: cannot write to {target} (permission denied)")


NOTHING_WRITTEN = "interrupted: nothing was written"


def kept(cache: Path | None) -> str:
    """What an interrupted benchmark that caches finished results (in ``cache``) kept."""
    if cache is None:
        return ("interrupted: nothing was kept (with --json OUT, finished results are kept "
                "and running the command again resumes)")
    return (f"interrupted: finished results are kept in {cache}; run the same command again "
            "(without --fresh) to resume")


@contextmanager
def on_ctrl_c(message: str | Callable[[], str]) -> Iterator[None]:
    """Ctrl-C inside becomes ``message`` on stderr (called first if a function: what was kept
    may be known only then) and exit code 130, not a traceback. Enter it outside a progress
    bar, so that the bar is gone before the message."""
    try:
        yield
    except KeyboardInterrupt:
        stderr().print(message() if callable(message) else message, soft_wrap=True)
        raise typer.Exit(130) from None


@contextmanager
def stream_progress(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (none when ``quiet``) and the callback that moves it:
    ``progress(policy, done, total)``, counted in streams."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} streams"), TimeElapsedColumn(),
                  console=stderr(), disable=quiet) as bar:
        task = bar.add_task("loading", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        yield progress


def _jsonable(value: Any) -> Any:
    # numpy scalars and the like: anything with a plain-Python equivalent.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def error_line(error: BaseException) -> str:
    """The message of ``error`` on one line."""
    if isinstance(error, OSError) and error.strerror:
        message = error.strerror
        if error.filename:
            message = f"{error.filename}: {message}"
    elif hasattr(error, "format_message"):  # a usage error: names the option at fault
        message = error.format_message()
    else:
        message = str(error) or type(error).__name__
    return " ".join(message.split())


def report_error(error: BaseException, *, as_json: bool = False) -> None:
    """``error: <message>`` on stderr, red on a terminal; with ``as_json``, one JSON line
    ``{"error": {"type": <class name>, "message": <message>}}`` on stderr instead."""
    if as_json:
        body = {"type": type(error).__name__, "message": error_line(error)}
        click.echo(json.dumps({"error": body}, ensure_ascii=False), err=True)
        return
    click.echo(f"{click.style('error:', fg='red', bold=True)} {error_line(error)}", err=True)


def id_column(table: Table, index: int, console: Console) -> None:
    """Ids are copied into other commands: whole on one line when the terminal allows it,
    folded (never cut with an ellipsis) when it is narrow."""
    column = table.columns[index]
    column.overflow = "fold"
    column.no_wrap = console.width >= 100  # room for a 32-character id


def short(text: str | None, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fmt(value: Any) -> str:
    """A compact human rendering of a JSON-ready value."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    return str(value)
