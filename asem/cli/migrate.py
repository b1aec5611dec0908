"""``asem migrate``: bring a database to the latest schema without opening a memory."""

from __future__ import annotations

import typer

from asem.cli.context import settings
from asem.cli.output import emit_json, stderr


def migrate(ctx: typer.Context) -> None:
    """Apply the schema migrations the --db database lacks (an SQLite file is created if
    missing; PostgreSQL migrations run under an advisory lock, so several processes may run
    this at once). Opening a memory does the same; this lets a deploy do it first."""
    from asem.stores.open import migrate_store

    options = settings(ctx)
    target = options.db_path()
    applied = migrate_store(target)
    if options.json:
        emit_json({"database": str(_shown(target)), "applied": applied})
        return
    shown = _shown(target)
    stderr().print(f"{shown}: applied {', '.join(applied)}" if applied
                   else f"{shown}: up to date")


def _shown(target: object) -> str:
    from asem.stores.open import redacted

    return redacted(str(target))
