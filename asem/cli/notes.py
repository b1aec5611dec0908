"""One note at a time: ``asem show``, ``asem history``, ``asem delete`` and ``asem reopen``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, fmt, id_column, short, stdout
from asem.errors import NotFoundError
from asem.types import HistoryEntry, Note

if TYPE_CHECKING:
    from asem.memory import Memory

NoteId = Annotated[str, typer.Argument(help="The note's id (search prints it).",
                                       show_default=False, metavar="NOTE_ID")]


def show(ctx: typer.Context, note_id: NoteId) -> None:
    """Print every attribute of a note (deleted ones too) and the notes it links to."""
    options = settings(ctx)
    with opened(ctx, "read") as memory:
        note = memory.get(note_id, user_id=options.user, include_deleted=True)
        targets = _link_targets(memory, note, options.user)
    if options.json:
        emit_json(note.to_dict())
        return
    console = stdout()
    attributes = Table("attribute", "value", show_header=False)
    for key, value in note.to_dict().items():
        if key != "links":
            attributes.add_row(key, escape(_value_text(key, value)))
    console.print(attributes)
    if not note.links:
        console.print("no links")
        return
    links = Table("linked note", "relation", "strength", "content", title="links")
    id_column(links, 0, console)
    for link in note.links:
        content = targets.get(link.target_id)
        links.add_row(link.target_id, escape(link.relation), f"{link.strength:.3f}",
                      escape(short(content.content, 100)) if content else "[dim]unavailable[/]")
    console.print(links)


def history(ctx: typer.Context, note_id: NoteId) -> None:
    """List every change to a note, oldest first: additions, feedback, edits, deletions."""
    options = settings(ctx)
    with opened(ctx, "read") as memory:
        entries = memory.history(note_id, user_id=options.user)
    if options.json:
        emit_json({"note_id": note_id, "entries": [_entry_dict(e) for e in entries]})
        return
    table = Table("#", "at", "op", "actor", "reason", "change", title=f"history of {note_id}")
    for entry in entries:
        table.add_row(str(entry.id), entry.at.isoformat(sep=" "), entry.op, entry.actor,
                      escape(short(entry.reason, 100)), escape(_change_text(entry)))
    stdout().print(table)


def delete(
    ctx: typer.Context,
    note_id: NoteId,
    reason: Annotated[str | None, typer.Option(
        help="Why the note is deleted (kept in its history).", show_default=False,
        metavar="TEXT",
    )] = None,
    undo: Annotated[bool, typer.Option(
        "--undo", help="Restore a deleted note instead of deleting it.",
    )] = False,
) -> None:
    """Soft-delete a note (it stays in the file and its history); --undo restores it."""
    options = settings(ctx)
    if undo and reason is not None:
        raise typer.BadParameter("--reason cannot be used with --undo", param_hint="--reason")
    with opened(ctx, "change") as memory:
        if undo:
            note = memory.undo_delete(note_id, user_id=options.user)
        else:
            memory.delete(note_id, user_id=options.user, reason=reason or "deleted")
    if undo:
        if options.json:
            emit_json({"op": "RESTORE", "note_id": note_id, "note": note.to_dict()})
        else:
            stdout().print(f"[green]restored[/] {note_id}: {escape(short(note.content, 100))}")
    elif options.json:
        emit_json({"op": "DELETE", "note_id": note_id, "reason": reason or "deleted"})
    else:
        stdout().print(f"[red]deleted[/] {note_id}  [dim](undo: asem delete --undo {note_id})[/]")


def reopen(ctx: typer.Context, note_id: NoteId) -> None:
    """Undo a supersession: the note holds again and a default search returns it; the note
    that superseded it stays, no longer linked as its successor."""
    options = settings(ctx)
    with opened(ctx, "change") as memory:
        note = memory.reopen(note_id, user_id=options.user)
    if options.json:
        emit_json({"op": "REOPEN", "note_id": note_id, "note": note.to_dict()})
    else:
        stdout().print(f"[green]reopened[/] {note_id}: {escape(short(note.content, 100))}")


def release(
    ctx: typer.Context,
    note_id: NoteId,
    reason: Annotated[str, typer.Option(
        help="Why the note is let out (kept in its history).", metavar="TEXT",
    )] = "released from quarantine",
) -> None:
    """Let a quarantined note out: searches return it again (a RELEASE history row)."""
    _set_quarantine(ctx, note_id, False, reason)


def quarantine(
    ctx: typer.Context,
    note_id: NoteId,
    reason: Annotated[str, typer.Option(
        help="Why the note is held back (kept in its history).", metavar="TEXT",
    )] = "quarantined by hand",
) -> None:
    """Hold back a note the detector let through: kept and listed, never returned by a
    default search nor promoted by feedback (a QUARANTINE history row)."""
    _set_quarantine(ctx, note_id, True, reason)


def _set_quarantine(ctx: typer.Context, note_id: str, held: bool, reason: str) -> None:
    options = settings(ctx)
    with opened(ctx, "change") as memory:
        change = memory.quarantine if held else memory.release
        note = change(note_id, user_id=options.user, reason=reason, actor="cli")
    op, style = ("QUARANTINE", "red") if held else ("RELEASE", "green")
    if options.json:
        emit_json({"op": op, "note_id": note_id, "note": note.to_dict()})
    else:
        stdout().print(f"[{style}]{op.lower()}[/] {note_id}: {escape(short(note.content, 100))}")


def _link_targets(memory: Memory, note: Note, user: str) -> dict[str, Note]:
    found = {}
    for link in note.links:
        try:
            found[link.target_id] = memory.get(link.target_id, user_id=user)
        except NotFoundError:
            continue
    return found


def _value_text(key: str, value: Any) -> str:
    if key == "dates":
        return "; ".join(f"{d['phrase']} = {d['date']} ({d['granularity']})"
                         for d in value) or "-"
    return fmt(value)


def _entry_dict(entry: HistoryEntry) -> dict[str, Any]:
    return {"id": entry.id, "note_id": entry.note_id, "op": entry.op, "old": entry.old,
            "new": entry.new, "at": entry.at.isoformat(), "reason": entry.reason,
            "actor": entry.actor}


def _change_text(entry: HistoryEntry) -> str:
    """What changed, briefly: the content when a note appears, else the fields that moved."""
    old, new = entry.old or {}, entry.new or {}
    if not old and new.get("content"):
        return short(new["content"], 80)
    if not new:
        return "removed from search"
    moved = [key for key in new if key != "updated_at" and old.get(key) != new.get(key)]
    return short("; ".join(f"{key}: {fmt(old.get(key))} → {fmt(new[key])}" for key in moved),
                 120) or "-"
