"""Memory over months: ``asem maintain``, ``asem confirm``, ``asem restore`` and ``asem forget``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from asem.cli.context import opened, settings
from asem.cli.notes import NoteId
from asem.cli.output import emit_json, short, stdout
from asem.cli.write import progress_bar
from asem.lifecycle.maintain import MaintenanceReport
from asem.types import Note

if TYPE_CHECKING:
    from asem.memory import Memory


def maintain(
    ctx: typer.Context,
    all_users: Annotated[bool, typer.Option(
        "--all-users", help="Maintain every user's notes, not only --user's.",
    )] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what would be archived; change nothing.",
    )] = False,
    max_notes: Annotated[int | None, typer.Option(
        "--max-notes", min=0, metavar="N", show_default=False,
        help="Capacity in notes per user for this run (default: the configured one).",
    )] = None,
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", min=0, metavar="N", show_default=False,
        help="Token budget (words of content) per user for this run.",
    )] = None,
) -> None:
    """Archive expired short-term notes, and the notes over a user's budget: superseded
    notes first, then those with the lowest keep score (utility, usage, recency). Nothing is
    deleted: 'asem restore NOTE_ID' brings a note back."""
    options = settings(ctx)
    with opened(ctx, "read" if dry_run else "change") as memory, \
            progress_bar(enabled=not options.json, label="maintaining users") as bar:
        reports = memory.maintain(None if all_users else options.user, all_users=all_users,
                                  dry_run=dry_run, max_notes=max_notes,
                                  max_tokens=max_tokens, progress=bar)
    if options.json:
        emit_json({"dry_run": dry_run, "users": [r.to_dict() for r in reports]})
        return
    _print_reports(reports, dry_run)


def confirm(ctx: typer.Context, note_id: NoteId) -> None:
    """Keep a short-term note: it becomes long-term and never expires."""
    _one_note(ctx, note_id, "PROMOTE", "kept", lambda m, user: m.confirm(note_id, user_id=user))


def restore(ctx: typer.Context, note_id: NoteId) -> None:
    """Bring back a note maintenance archived (expired, or over the budget)."""
    _one_note(ctx, note_id, "UNARCHIVE", "restored",
              lambda m, user: m.restore(note_id, user_id=user))


def _one_note(ctx: typer.Context, note_id: str, op: str, verb: str,
              change: Callable[[Memory, str], Note]) -> None:
    options = settings(ctx)
    with opened(ctx, "change") as memory:
        note = change(memory, options.user)
    if options.json:
        emit_json({"op": op, "note_id": note_id, "note": note.to_dict()})
    else:
        stdout().print(f"[green]{verb}[/] {note_id} ({note.tier.value}): "
                       f"{escape(short(note.content, 100))}")


def forget(
    ctx: typer.Context,
    note_id: Annotated[str | None, typer.Argument(
        help="The note to forget (search prints ids); omit it with --all-notes.",
        show_default=False, metavar="[NOTE_ID]")] = None,
    all_notes: Annotated[bool, typer.Option(
        "--all-notes", help="Forget every note of --user (and its searches and feedback).",
    )] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", help="Do not ask for confirmation (needed without a terminal).",
    )] = False,
) -> None:
    """Remove a note (or all of a user's notes) for good: text, vectors, lexical index,
    links, history text and the searches that returned it. Unlike 'asem delete' this cannot
    be undone; an audit row without content is kept."""
    options = settings(ctx)
    if (note_id is None) == (not all_notes):
        raise typer.BadParameter("give a NOTE_ID or --all-notes (not both)",
                                 param_hint="NOTE_ID")
    what = f"every note of user {options.user!r}" if all_notes else f"note {note_id}"
    if not yes:
        if not stdout().is_terminal or options.json:
            raise typer.BadParameter(f"forgetting {what} cannot be undone: add --yes",
                                     param_hint="--yes")
        typer.confirm(f"Forget {what} for good? This cannot be undone", abort=True)
    with opened(ctx, "change") as memory:
        if all_notes:
            count = memory.forget_user(options.user, actor="cli")
        else:
            assert note_id is not None
            memory.forget(note_id, user_id=options.user, actor="cli")
            count = 1
    if options.json:
        emit_json({"op": "FORGET", "user_id": options.user, "forgotten": count,
                   **({} if all_notes else {"note_id": note_id})})
    else:
        stdout().print(f"[red]forgot[/] {what} ({count} note{'s' * (count != 1)}); "
                       "[dim]this cannot be undone[/]")


def _print_reports(reports: list[MaintenanceReport], dry_run: bool) -> None:
    verb = "would archive" if dry_run else "archived"
    table = Table("user", "notes before", "expired", "over budget", "notes after",
                  "budget", title=f"maintenance{' (dry run)' if dry_run else ''}")
    for r in reports:
        budget = ", ".join(x for x in (f"{r.max_notes} notes" if r.max_notes is not None else "",
                                       f"{r.max_tokens} words" if r.max_tokens is not None
                                       else "") if x) or "none"
        table.add_row(escape(r.user_id), str(r.notes_before), str(len(r.expired)),
                      str(len(r.evicted)), str(r.notes_after), budget)
    console = stdout()
    console.print(table)
    total = sum(len(r.expired) + len(r.evicted) for r in reports)
    console.print(f"{verb} {total} note{'s' * (total != 1)}"
                  + ("" if dry_run or not total else
                     "  [dim](restore one: asem restore NOTE_ID)[/]"))
