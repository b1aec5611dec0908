"""A tenant's notes as a whole: ``/v1/export``, ``/v1/import`` and, for an admin key,
``DELETE /v1/users/{user_id}``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import StreamingResponse

from asem.errors import ForbiddenError, InvalidInputError
from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.rest.models import DeleteUserOut, ImportOut
from asem.server.state import memory_of, principal
from asem.transfer import to_json_line

router = APIRouter(tags=["tenants"])

Mem = Annotated[Memory, Depends(memory_of)]
Caller = Annotated[Principal, Depends(principal)]
UserQuery = Annotated[str | None, Query(description="The tenant (the key's own when "
                                        "omitted; an admin key must name one).")]
NDJSON = "application/x-ndjson"
EXAMPLE_LINE = ('{"content": "I adopted a dog named Buddy", "agent_id": null, '
                '"session_id": "s1", "speaker": "alice", "observed_at": "2024-05-08T13:56:00", '
                '"turn_ids": ["D1:3"]}\n')


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {NDJSON: {}}, "description": "One note per line."}})
def export(memory: Mem, caller: Caller, user_id: UserQuery = None) -> StreamingResponse:
    """Every note of the tenant (deleted ones too) with its history, one JSON object per
    line, streamed."""
    tenant = caller.tenant(user_id)
    lines = (to_json_line(record) for record in memory.export(tenant))
    return StreamingResponse(lines, media_type=NDJSON,
                             headers={"Content-Disposition": attachment(f"asem-{tenant}.jsonl")})


def attachment(filename: str) -> str:
    """A Content-Disposition header for ``filename`` whatever its characters: headers are
    Latin-1, so a tenant named in any other script (or with a quote) is given percent-encoded
    (RFC 6266 ``filename*``) next to an ASCII fallback."""
    fallback = "".join(c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.post("/import", response_model=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 NDJSON: {"schema": {"type": "string"}, "example": EXAMPLE_LINE}}}})
def import_(body: Annotated[bytes, Body(media_type=NDJSON)], memory: Mem, caller: Caller,
            user_id: UserQuery = None) -> ImportOut:
    """Store the live notes of an export (JSON lines) for the tenant; a line of another
    tenant refuses the whole file (403) and a bad line names itself (422). Importing the
    same file twice stores nothing new."""
    tenant = caller.tenant(user_id)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidInputError("the body is not UTF-8 text; send JSON lines") from e
    found = memory.import_notes(text.splitlines(), user_id=tenant)
    return ImportOut(added=found.added, already_stored=found.already_stored,
                     skipped_deleted=found.skipped_deleted)


@router.delete("/users/{user_id}", response_model=DeleteUserOut,
               openapi_extra={"x-admin-only": True})
def delete_user(user_id: str, memory: Mem, caller: Caller,
                confirm: Annotated[str | None, Query(description="The same user id again: "
                                                     "nothing is deleted without it.")] = None,
                ) -> DeleteUserOut:
    """Soft-delete every note of a tenant (admin keys only). Each note stays in its history
    and can be restored with ``POST /v1/notes/{id}/undo``."""
    confirmed_admin(caller, user_id, confirm, "delete")
    deleted = memory.delete_user(user_id, actor=f"key:{caller.key_id}")
    return DeleteUserOut(user_id=user_id, deleted=deleted)


def confirmed_admin(caller: Principal, user_id: str, confirm: str | None, verb: str) -> None:
    """ForbiddenError unless an admin key calls; InvalidInputError unless ``confirm`` names
    ``user_id`` again (a whole tenant is never changed by a slip of the path)."""
    if not caller.admin:
        raise ForbiddenError(f"only an admin key may {verb} a whole user; create one with "
                             "`asem keys create --admin`")
    if confirm != user_id:
        raise InvalidInputError(f"to {verb} every note of {user_id!r}, add "
                                f"confirm={user_id} (the same user id again)")
