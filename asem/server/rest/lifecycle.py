"""Memory over months: ``POST /v1/maintain``, ``POST /v1/notes/{id}/confirm``,
``.../restore`` and ``.../forget``, and for an admin key ``POST /v1/users/{id}/forget``.

A tenant key maintains its own notes with the configured budget; an admin key may run it for
every tenant and with another budget.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from asem.errors import ForbiddenError
from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.rest.models import (
    ForgetOut,
    MaintainRequest,
    MaintainResponse,
    MaintenanceOut,
    NoteOut,
)
from asem.server.rest.tenants import confirmed_admin
from asem.server.state import memory_of, principal

router = APIRouter(tags=["lifecycle"])

Mem = Annotated[Memory, Depends(memory_of)]
Caller = Annotated[Principal, Depends(principal)]
UserQuery = Annotated[str | None, Query(description="The tenant to act for (the key's own "
                                        "when omitted; an admin key must name one).")]


@router.post("/maintain", response_model=MaintainResponse)
def maintain(body: MaintainRequest, memory: Mem, caller: Caller) -> MaintainResponse:
    """Archive the tenant's expired short-term notes and the notes over its budget
    (superseded first, then by keep score); ``dry_run`` says what would go. Archived notes
    come back with ``POST /v1/notes/{id}/restore``."""
    if not caller.admin and (body.all_users or body.max_notes is not None
                             or body.max_tokens is not None):
        raise ForbiddenError("all_users, max_notes and max_tokens need an admin key; a "
                             "tenant key maintains its own notes with the configured budget")
    tenant = None if body.all_users else caller.tenant(body.user_id)
    reports = memory.maintain(tenant, all_users=body.all_users, dry_run=body.dry_run,
                              max_notes=body.max_notes, max_tokens=body.max_tokens)
    return MaintainResponse(dry_run=body.dry_run, users=[
        MaintenanceOut.model_validate(r.to_dict()) for r in reports])


@router.post("/notes/{note_id}/confirm", response_model=NoteOut, tags=["notes"])
def confirm(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> NoteOut:
    """Keep a short-term note: it becomes long-term and never expires."""
    return NoteOut.of(memory.confirm(note_id, user_id=caller.tenant(user_id),
                                     actor=_actor(caller)))


@router.post("/notes/{note_id}/restore", response_model=NoteOut, tags=["notes"])
def restore(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> NoteOut:
    """Bring back a note maintenance archived (expired, or over the budget)."""
    return NoteOut.of(memory.restore(note_id, user_id=caller.tenant(user_id),
                                     actor=_actor(caller)))


@router.post("/notes/{note_id}/forget", response_model=ForgetOut, tags=["notes"])
def forget(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> ForgetOut:
    """Remove a note for good: its text, vectors, lexical entry, links, history and the
    searches that returned it. Unlike ``DELETE /v1/notes/{id}`` it cannot be undone; an
    audit row without content stays."""
    tenant = caller.tenant(user_id)
    memory.forget(note_id, user_id=tenant, actor=_actor(caller))
    return ForgetOut(user_id=tenant, forgotten=1, note_id=note_id)


@router.post("/users/{user_id}/forget", response_model=ForgetOut,
             openapi_extra={"x-admin-only": True})
def forget_user(user_id: str, memory: Mem, caller: Caller,
                confirm: Annotated[str | None, Query(description="The same user id again: "
                                                     "nothing is forgotten without it.")] = None,
                ) -> ForgetOut:
    """Remove every note of a tenant for good, with its searches and feedback (admin keys
    only). It cannot be undone."""
    confirmed_admin(caller, user_id, confirm, "forget")
    return ForgetOut(user_id=user_id, forgotten=memory.forget_user(user_id,
                                                                   actor=_actor(caller)))


def _actor(caller: Principal) -> str:
    return f"key:{caller.key_id}" if caller.key_id else "api"
