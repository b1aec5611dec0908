"""Moving a user's notes between databases: ``asem export`` and ``asem import``.

``asem export --db m.db | asem import --db postgresql://...`` moves everything: the export
is complete (vectors, utilities, history, links, validity, the order of conversation,
searches with their feedback), and
an import into a memory of the same embedder restores it as it was (``asem.archive``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, stderr
from asem.errors import InvalidInputError
from asem.transfer import export_notes, import_notes, to_json_line


def export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", dir_okay=False,
        help="Write the JSON lines to FILE instead of stdout.",
    )] = None,
) -> None:
    """Write every note of --user (deleted ones too) as JSON lines, complete: vectors,
    utilities, history, links, validity, the order of conversation, and the searches with
    the feedback given on them.

    asem import reads it back; into a memory with the same embedder, nothing is lost.
    """
    options = settings(ctx)
    with opened(ctx, "read") as memory:
        lines = (to_json_line(r) for r in export_notes(memory, options.user, complete=True))
        if output is None:
            for line in lines:
                click.echo(line, nl=False)
            return
        with output.open("w", encoding="utf-8") as out:
            out.writelines(lines)


def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        metavar="FILE", help='JSON lines written by asem export (or GET /v1/export); "-" '
                             "reads stdin.",
    )] = "-",
) -> None:
    """Store the notes of an export for --user: restored exactly (ids, utilities, history)
    from a complete export of the same embedder, else added as new notes. Importing the same
    file twice changes nothing."""
    options = settings(ctx)
    if source == "-":
        lines = sys.stdin.read().splitlines()
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(f"no file at {source}; give the path of an export, or - "
                                    "for stdin")
        lines = path.read_text(encoding="utf-8").splitlines()
    with opened(ctx) as memory:
        result = import_notes(memory, lines, options.user)
    if options.json:
        emit_json({"added": result.added, "already_stored": result.already_stored,
                   "skipped_deleted": result.skipped_deleted})
        return
    stderr().print(f"added {result.added}, already stored {result.already_stored}, "
                   f"deleted notes skipped {result.skipped_deleted}")
