"""``/v1/notes``: add, list, read, edit, delete and restore notes; their history and links.

A note of another tenant is answered 404, exactly like a note that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.rest.models import (
    AddRequest,
    AddResponse,
    DeleteOut,
    FiltersIn,
    HistoryEntryOut,
    HistoryOut,
    LinkOut,
    LinksOut,
    NoteOut,
    NotesPage,
    OpOut,
    QuarantineRequest,
    ReleaseRequest,
    UpdateRequest,
)
from asem.server.state import memory_of, principal

router = APIRouter(prefix="/notes", tags=["notes"])

Mem = Annotated[Memory, Depends(memory_of)]
Caller = Annotated[Principal, Depends(principal)]
UserQuery = Annotated[str | None, Query(description="The tenant to act for (the key's own "
                                        "when omitted; an admin key must name one).")]


@router.post("", status_code=201, response_model=AddResponse)
def add(body: AddRequest, memory: Mem, caller: Caller) -> AddResponse:
    """Remember a text, or chat messages (one note each); returns the manager's operation
    for every input (ADD, UPDATE, DELETE or NOOP)."""
    tenant = caller.tenant(body.user_id)
    content = body.text if body.text is not None else [
        m.model_dump() for m in body.messages or ()]
    results = memory.add(content, user_id=tenant, agent_id=body.agent_id,  # type: ignore[arg-type]
                         session_id=body.session_id, speaker=body.speaker,
                         timestamp=body.timestamp, turn_id=body.turn_id,
                         source_id=body.source_id, writer=body.writer, channel="rest")
    return AddResponse(results=[OpOut.of(r) for r in results])


@router.get("", response_model=NotesPage)
def list_notes(
    memory: Mem, caller: Caller, user_id: UserQuery = None,
    agent_id: str | None = None, session_id: str | None = None,
    tags: Annotated[list[str], Query(description="Notes with any of these tags.")] = [],  # noqa: B006
    keywords: Annotated[list[str], Query(description=(
        "Notes with any of these keywords (case-insensitive)."))] = [],  # noqa: B006
    since: Annotated[datetime | None, Query(description="Event time at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Event time at or before.")] = None,
    tier: Annotated[Literal["long_term", "short_term"] | None, Query()] = None,
    speaker: Annotated[str | None, Query(max_length=200, description=(
        "Notes of what this speaker said."))] = None,
    text: Annotated[str | None, Query(max_length=500, description=(
        "Notes whose content contains this text (case-insensitive)."))] = None,
    order: Annotated[Literal["oldest", "newest"], Query(description=(
        "oldest first (the default) or newest first, by when the note was written."))
    ] = "oldest",
    count: Annotated[bool, Query(description="Also count every note the listing pages "
                                 "through (``total``).")] = False,
    include_deleted: bool = False,
    include_superseded: Annotated[bool, Query(description=(
        "Also past facts: notes superseded by a change or retracted."))] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> NotesPage:
    """One page of the tenant's current notes, oldest (or newest) first, narrowed by agent,
    session, tags, keywords, tier, speaker, text and event time (``include_superseded``:
    past facts too)."""
    tenant = caller.tenant(user_id)
    filters = FiltersIn(tags=tags, keywords=keywords, since=since, until=until, tier=tier,
                        speaker=speaker, text=text).to_filters()
    notes = memory.list_notes(tenant, agent_id=agent_id, session_id=session_id,
                              filters=filters, limit=limit, offset=offset,
                              include_deleted=include_deleted,
                              include_superseded=include_superseded,
                              newest_first=order == "newest")
    total = memory.count_notes(tenant, agent_id=agent_id, session_id=session_id,
                               filters=filters, include_superseded=include_superseded
                               ) if count else None
    return NotesPage(notes=[NoteOut.of(n) for n in notes], limit=limit, offset=offset,
                     next_offset=offset + limit if len(notes) == limit else None, total=total)


@router.get("/{note_id}", response_model=NoteOut)
def get(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None,
        include_deleted: bool = False) -> NoteOut:
    """One note with its links (a deleted one only with ``include_deleted``)."""
    note = memory.get(note_id, user_id=caller.tenant(user_id), include_deleted=include_deleted)
    return NoteOut.of(note)


@router.patch("/{note_id}", response_model=NoteOut)
def update(note_id: str, body: UpdateRequest, memory: Mem, caller: Caller) -> NoteOut:
    """Replace a note's content: attributes and vectors are rebuilt, history keeps the old."""
    note = memory.update(note_id, body.content, user_id=caller.tenant(body.user_id),
                         reason=body.reason, actor=_actor(caller))
    return NoteOut.of(note)


@router.delete("/{note_id}", response_model=DeleteOut)
def delete(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None,
           reason: str = "deleted") -> DeleteOut:
    """Soft-delete a note: it stays in its history, and ``POST .../undo`` brings it back."""
    memory.delete(note_id, user_id=caller.tenant(user_id), reason=reason, actor=_actor(caller))
    return DeleteOut(note_id=note_id, deleted=True)


@router.post("/{note_id}/undo", response_model=NoteOut)
def undo(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> NoteOut:
    """Restore a soft-deleted note."""
    note = memory.undo_delete(note_id, user_id=caller.tenant(user_id), actor=_actor(caller))
    return NoteOut.of(note)


@router.post("/{note_id}/release", response_model=NoteOut)
def release(note_id: str, body: ReleaseRequest, memory: Mem, caller: Caller) -> NoteOut:
    """Let a quarantined note out: searches return it again (a RELEASE history row names
    the key that did it)."""
    note = memory.release(note_id, user_id=caller.tenant(body.user_id), reason=body.reason,
                          actor=_actor(caller))
    return NoteOut.of(note)


@router.post("/{note_id}/quarantine", response_model=NoteOut)
def quarantine(note_id: str, body: QuarantineRequest, memory: Mem, caller: Caller) -> NoteOut:
    """Hold back a note the detector let through: kept and listed, never returned by a
    default search nor promoted by feedback (a QUARANTINE history row)."""
    note = memory.quarantine(note_id, user_id=caller.tenant(body.user_id), reason=body.reason,
                             actor=_actor(caller))
    return NoteOut.of(note)


@router.get("/{note_id}/history", response_model=HistoryOut)
def history(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> HistoryOut:
    """Every change to a note, oldest first: additions, merges, feedback, edits, deletes."""
    entries = memory.history(note_id, user_id=caller.tenant(user_id))
    return HistoryOut(note_id=note_id, entries=[HistoryEntryOut.of(e) for e in entries])


@router.get("/{note_id}/links", response_model=LinksOut)
def links(note_id: str, memory: Mem, caller: Caller, user_id: UserQuery = None) -> LinksOut:
    """The live notes a note links to, strongest first, with the relation text."""
    found = memory.links(note_id, user_id=caller.tenant(user_id))
    return LinksOut(note_id=note_id, links=[LinkOut(target_id=lk.target_id,
                                                    relation=lk.relation,
                                                    strength=lk.strength) for lk in found])


def _actor(caller: Principal) -> str:
    """Who the history names for a change made through the API: the key's id."""
    return f"key:{caller.key_id}" if caller.key_id else "api"
