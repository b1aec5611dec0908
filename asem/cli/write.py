"""The write path: ``asem add`` (one text) and ``asem ingest`` (a chat file)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from asem.chat import MAX_FILE_BYTES, load_chat_file, parse_timestamp
from asem.cli.context import opened, settings
from asem.cli.output import emit_json, on_ctrl_c, stderr, stdout
from asem.errors import InvalidInputError
from asem.types import Op, WriteResult

_OP_STYLE = {Op.ADD: "green", Op.NOOP: "yellow", Op.UPDATE: "cyan", Op.DELETE: "red",
             Op.SUPERSEDE: "magenta"}


class Writer(StrEnum):
    """Who may hand a text in from the command line (``asem.guard.trust_of``)."""

    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    DOCUMENT = "document"


def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(
        help='Text to remember; "-" reads it from stdin.', show_default=False, metavar="TEXT",
    )],
    speaker: Annotated[str | None, typer.Option(
        help="Who said it (e.g. a name or 'user').", metavar="NAME",
    )] = None,
    timestamp: Annotated[str | None, typer.Option(
        help="When it was said, ISO 8601 (e.g. 2024-05-08T13:56:00); default: now.",
        metavar="TIME",
    )] = None,
    session: Annotated[str | None, typer.Option(
        help="Session id: the note is scoped to this session.", metavar="ID",
    )] = None,
    turn_id: Annotated[str | None, typer.Option(
        help="Id of the chat turn the text came from (kept as provenance).", metavar="ID",
    )] = None,
    writer: Annotated[Writer, typer.Option(
        help="Who hands the text in: the note's trust follows (tool and document content "
        "is trusted least).",
    )] = Writer.USER,
) -> None:
    """Remember one piece of text; prints what the memory manager did with it.

    ADD: a new note. UPDATE: merged into or replacing a note (its id is printed).
    DELETE: a note retracted (and, on a second line, the input kept as a new note when it
    says more than the retraction). NOOP: already known, or discarded as small talk.
    """
    options = settings(ctx)
    when = parse_timestamp(timestamp, "--timestamp")
    with opened(ctx) as memory:
        limit = memory.config.write.max_content_chars
        content = _stdin(limit) if text == "-" else text
        (result,) = memory.add(content, user_id=options.user, agent_id=options.agent,
                               session_id=session, speaker=speaker, timestamp=when,
                               turn_id=turn_id, writer=writer.value, channel="cli")
    if options.json:
        emit_json(_result_dict(result))
    else:
        stdout().print(_result_line(result), soft_wrap=True)


def ingest(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="Chat file: .jsonl (one message per line) or .json (a list of messages, "
             '{"messages": [...]} or {"sessions": [...]}).',
        dir_okay=False, show_default=False, metavar="FILE",
    )],
    max_mb: Annotated[float, typer.Option(
        help="Refuse a file larger than this many megabytes (reading stops at the limit).",
        min=0.001, metavar="MB",
    )] = MAX_FILE_BYTES / 1e6,
) -> None:
    """Remember every turn of a chat file, in batches, with a progress bar on stderr.

    The whole file is checked before anything is written, so a bad file changes nothing.
    Ingesting a file again stores nothing twice: its turns are already known.
    """
    options = settings(ctx)
    turns = load_chat_file(file, max_bytes=int(max_mb * 1e6))
    started = time.perf_counter()
    stored = 0

    def count(done: int, total: int) -> None:
        nonlocal stored
        stored = done

    def what_was_kept() -> str:
        return (f"interrupted: the first {stored} of {len(turns)} turns are stored (whole "
                "batches); ingesting the file again records those as already known and stores "
                "the rest")

    with on_ctrl_c(what_was_kept), opened(ctx) as memory, \
            progress_bar(enabled=not options.json) as bar:
        results = memory.ingest(turns, user_id=options.user, agent_id=options.agent,
                                progress=_both(count, bar))
    seconds = time.perf_counter() - started
    counts = Counter(r.op for r in results)
    kept = sum(1 for r in results if r.added_id)
    rate = len(turns) / seconds if seconds > 0 else 0.0
    if options.json:
        emit_json({"file": str(file), "turns": len(turns),
                   "ops": {op.value: counts.get(op, 0) for op in Op}, "inputs_kept": kept,
                   "seconds": round(seconds, 3), "turns_per_second": round(rate, 1)})
        return
    summary = ", ".join(f"[{_OP_STYLE[op]}]{counts[op]} {op.value}[/]" for op in Op if counts[op])
    if kept:
        summary += f" ({kept} of the deleting turns kept as notes of their own)"
    stdout().print(f"ingested {len(turns)} turns from {escape(str(file))} in {seconds:.1f} s "
                   f"({rate:.1f} turns/s): {summary}")


def _stdin(max_chars: int) -> bytes:
    """The text on stdin, read no further than the limit allows (a UTF-8 character takes at
    most four bytes), so a huge input is refused without being read whole."""
    most = 4 * max_chars
    data = sys.stdin.buffer.read(most + 1)
    if len(data) > most:
        raise InvalidInputError(
            f"the text on stdin is longer than the limit of {max_chars:,} characters; split "
            "it into smaller pieces, or give a chat file to 'asem ingest'"
        )
    return data


def _both(count: Callable[[int, int], None], bar: Callable[[int, int], None] | None
          ) -> Callable[[int, int], None]:
    """A progress callback that counts, and draws ``bar`` if there is one."""
    if bar is None:
        return count

    def report(done: int, total: int) -> None:
        count(done, total)
        bar(done, total)

    return report


@contextmanager
def progress_bar(enabled: bool, label: str = "ingesting"
                 ) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a rich bar on stderr (None when disabled or not a tty)."""
    console = stderr()
    if not (enabled and console.is_terminal):
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report


def _result_dict(result: WriteResult) -> dict[str, str]:
    out = {"op": result.op.value, "note_id": result.note_id, "reason": result.reason}
    if result.added_id:
        out["added_id"] = result.added_id
    return out


def _result_line(result: WriteResult) -> str:
    line = f"[{_OP_STYLE[result.op]}]{result.op.value}[/] {result.note_id}"
    if result.reason:
        line += f"  [dim]{escape(result.reason)}[/]"
    if result.added_id:
        add = f"[{_OP_STYLE[Op.ADD]}]{Op.ADD.value}[/]"
        what = ("the successor: the note that holds the fact now"
                if result.op is Op.SUPERSEDE else "the input, kept as a new note")
        line += f"\n{add} {result.added_id}  [dim]{what}[/]"
    return line
