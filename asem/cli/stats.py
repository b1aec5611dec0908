"""The database at a glance: ``asem stats``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, fmt, stdout


def stats(
    ctx: typer.Context,
    all_users: Annotated[bool, typer.Option(
        "--all-users", help="Count the notes of every user, not only --user's.",
    )] = False,
) -> None:
    """Count notes, deletions, links, retrievals and feedback, and the mean utility; the
    lifecycle: short-term, expired, archived and forgotten notes, the latest maintenance,
    and how old and how useful the notes are."""
    options = settings(ctx)
    user = None if all_users else options.user
    with opened(ctx, "read") as memory:
        numbers = memory.stats(all_users=True) if all_users else memory.stats(options.user)
    if options.json:
        emit_json({"user_id": user, **numbers})
        return
    table = Table("", "", show_header=False, title=f"user {user}" if user else "all users")
    for key, value in numbers.items():
        if key != "lifecycle":
            table.add_row(key, escape(fmt(value)))
    for key, value in numbers.get("lifecycle", {}).items():
        if key == "last_maintenance" and value:
            value = {"at": value["at"], "expired": len(value["expired"]),
                     "over budget": len(value["evicted"]), "notes after": value["notes_after"]}
        if isinstance(value, dict) and "histogram" in value:
            value = {"p50": value["p50"], "p90": value["p90"], **value["histogram"]}
        table.add_row(key, escape(fmt(value)))
    stdout().print(table)
