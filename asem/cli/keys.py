"""``asem keys``: the server's API keys (created, listed, revoked), kept hashed in the
database the server serves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, stderr, stdout
from asem.server.keys import StoreKeyRing, key_store
from asem.stores.base import ApiKey

keys_app = typer.Typer(help="API keys of the server: each grants one user, or every user "
                            "(--admin).", no_args_is_help=True)


@contextmanager
def _ring(ctx: typer.Context) -> Iterator[StoreKeyRing]:
    with opened(ctx) as memory:
        yield StoreKeyRing(key_store(memory.store))


def _key_dict(key: ApiKey) -> dict[str, object]:
    return {"id": key.id, "user_id": key.user_id, "admin": key.admin, "name": key.name,
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}


@keys_app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="ID", show_default=False,
        help="The user (tenant) the key grants; every request with it acts for this user.",
    )] = None,
    admin: Annotated[bool, typer.Option(
        "--admin", help="An admin key: acts for any user it names, and may delete a user.",
    )] = False,
    name: Annotated[str, typer.Option(
        "--name", metavar="TEXT", help="A label to tell keys apart (e.g. the machine).",
    )] = "",
) -> None:
    """Create an API key and print it once: only its hash is stored, so copy it now."""
    with _ring(ctx) as ring:
        key, raw = ring.create(user_id=user, admin=admin, name=name)
    if settings(ctx).json:
        emit_json(_key_dict(key) | {"key": raw})
        return
    who = "every user (admin)" if key.admin else f"user {key.user_id}"
    stdout().print(raw, markup=False, soft_wrap=True)
    stderr().print(f"key {key.id} for {escape(who)}: shown once, store it now; send it as "
                   "'Authorization: Token <key>'")


@keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List every key (never its secret): id, user, name, created and revoked times."""
    with _ring(ctx) as ring:
        keys = ring.list()
    if settings(ctx).json:
        emit_json([_key_dict(k) for k in keys])
        return
    table = Table("id", "user", "name", "created", "revoked")
    for key in keys:
        table.add_row(key.id, "[bold]admin[/]" if key.admin else escape(key.user_id or ""),
                      escape(key.name), key.created_at.isoformat(sep=" "),
                      key.revoked_at.isoformat(sep=" ") if key.revoked_at else "-")
    stdout().print(table if keys else "no keys yet: asem keys create --user ID")


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", show_default=False,
                                          help="The key's id (asem keys list shows it).")],
) -> None:
    """Revoke a key for good: requests with it are refused (401) from now on."""
    with _ring(ctx) as ring:
        key = ring.revoke(key_id)
    if settings(ctx).json:
        emit_json(_key_dict(key))
    else:
        stdout().print(f"revoked {key.id}")
