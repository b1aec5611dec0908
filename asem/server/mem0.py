"""mem0-compatible routes: the ``mem0ai`` ``MemoryClient`` works against ASEM unchanged.

``MemoryClient(api_key=KEY, host="http://HOST:PORT")`` is all a mem0 user changes. mem0's
``user_id`` is ASEM's tenant (checked against the key), ``agent_id`` its agent and
``run_id`` its session; a mem0 memory is an ASEM note, and the manager's operations come
back as mem0's events (ADD, UPDATE, DELETE, and NONE for NOOP). mem0's feedback labels
become rewards in [-1, 1] (``FEEDBACK_REWARD``) on the note's latest retrieval
(``Memory.feedback_note``). docs/mem0-migration.md lists what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from asem.errors import ASEMError, InvalidInputError
from asem.memory import Memory
from asem.server.auth import Principal
from asem.server.errors import error_body, status_of
from asem.server.state import memory_of, principal
from asem.types import HistoryEntry, Note, Op, Scope, WriteResult

FEEDBACK_REWARD: dict[str, float] = {"POSITIVE": 1.0, "NEGATIVE": -0.5, "VERY_NEGATIVE": -1.0}
"""mem0's labels as rewards: a useful memory earns the most, a wrong one loses the most; a
memory that merely did not help loses half as much."""

EVENT: dict[Op, str] = {Op.ADD: "ADD", Op.UPDATE: "UPDATE", Op.DELETE: "DELETE",
                        Op.NOOP: "NONE"}
SCOPE_KEYS = {"user_id": "user_id", "agent_id": "agent_id", "run_id": "session_id"}
"""mem0's entity ids and the ASEM scope field each one is."""
MAX_BATCH = 1000
MIGRATION = "see docs/mem0-migration.md"


class _Mem0Route(APIRoute):
    """Errors as mem0's client reads them: the message also under ``detail``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except ASEMError as error:
                status, code = status_of(error)
                if status >= 500:
                    raise
                return _error(status, code, str(error))

        return route


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Token"} if status == 401 else None
    return JSONResponse(error_body(code, message) | {"detail": message}, status_code=status,
                        headers=headers)


router = APIRouter(tags=["mem0"], route_class=_Mem0Route)
Caller = Annotated[Principal, Depends(principal)]
Mem = Annotated[Memory, Depends(memory_of)]


class _Body(BaseModel):
    # mem0 options ASEM has no use for (rerank, fields, custom_instructions, ...) are ignored.
    model_config = ConfigDict(extra="ignore")


class AddBody(_Body):
    messages: list[dict[str, Any]]
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    app_id: str | None = None
    filters: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    infer: bool = True
    timestamp: float | None = None
    """Unix seconds: when the messages were said (unless a message gives its own)."""


class SearchBody(_Body):
    query: str
    filters: dict[str, Any] | None = None
    top_k: int | None = None
    threshold: float | None = None


class ListBody(_Body):
    filters: dict[str, Any] | None = None
    include_superseded: bool = False
    """Also list past facts (notes superseded by a change or retracted)."""


class UpdateBody(_Body):
    text: str | None = None
    metadata: dict[str, Any] | None = None


class FeedbackBody(_Body):
    memory_id: str
    feedback: str | None = None
    feedback_reason: str | None = None


class BatchBody(_Body):
    memories: list[dict[str, Any]]


# -- scope -----------------------------------------------------------------------------------
def _scope(filters: Mapping[str, Any] | None, **given: str | None) -> dict[str, str | None]:
    """ASEM's scope (user_id, agent_id, session_id) of mem0 entity ids given at the top level
    or as equality filters, alone or joined by AND; ``"*"`` means any."""
    found: dict[str, str | None] = {field: None for field in SCOPE_KEYS.values()}
    named = [(key, value) for key, value in given.items() if value is not None]
    for key, value in [*named, *_conditions(filters or {})]:
        if key not in SCOPE_KEYS:
            raise InvalidInputError(f"filter {key!r} is not supported here: filter on user_id, "
                                    f"agent_id and run_id ({MIGRATION})")
        value = _equal_to(key, value)
        field = SCOPE_KEYS[key]
        if value is not None and found[field] not in (None, value):
            raise InvalidInputError(f"{key} is given twice with different values")
        found[field] = value if value is not None else found[field]
    return found


def _conditions(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in filters.items():
        if key == "AND" and isinstance(value, list):
            for part in value:
                if not isinstance(part, Mapping):
                    raise InvalidInputError("each condition under AND must be an object")
                pairs += _conditions(part)
        else:
            pairs.append((key, value))
    return pairs


def _equal_to(key: str, value: Any) -> str | None:
    if isinstance(value, Mapping) and set(value) == {"eq"}:
        value = value["eq"]
    if value is None or value == "*":
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{key} must be a non-empty string (or '*' for any), "
                                "compared for equality")
    return value


def _tenant(caller: Principal, scope: Mapping[str, str | None]) -> dict[str, Any]:
    """``scope`` as keyword arguments of ``Memory``, its user the tenant the key may act for
    (ForbiddenError for another's)."""
    return asdict(Scope(caller.tenant(scope["user_id"]), scope["agent_id"],
                        scope["session_id"]))


# -- shapes ----------------------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat()


def _record(note: Note, **extra: Any) -> dict[str, Any]:
    """A note as a mem0 memory (tags stand for categories; ASEM keeps no metadata)."""
    return {"id": note.id, "memory": note.content, "hash": note.content_hash,
            "user_id": note.scope.user_id, "agent_id": note.scope.agent_id,
            "run_id": note.scope.session_id, "metadata": None, "categories": list(note.tags),
            "created_at": _iso(note.created_at),
            "updated_at": _iso(note.updated_at or note.created_at), **extra}


def _events(results: Sequence[WriteResult], said: Sequence[str], memory: Memory,
            user_id: str) -> list[dict[str, Any]]:
    """mem0's add results: one event per note an input touched (a DELETE that stored the
    input also reports its ADD; an input discarded as small talk is a NONE without id)."""
    events: list[dict[str, Any]] = []
    for result, text in zip(results, said, strict=True):
        if not result.note_id:
            events.append({"id": None, "memory": text, "event": "NONE"})
            continue
        note = memory.get(result.note_id, user_id=user_id, include_deleted=True)
        events.append({"id": note.id, "memory": note.content, "event": EVENT[result.op]})
        if result.added_id:
            added = memory.get(result.added_id, user_id=user_id)
            events.append({"id": added.id, "memory": added.content, "event": "ADD"})
    return events


def _history(entry: HistoryEntry, note: Note) -> dict[str, Any] | None:
    """A history row as mem0's, or None for a change that left the text as it was."""
    old = (entry.old or {}).get("content")
    new = (entry.new or {}).get("content")
    event = {"ADD": "ADD", "UPDATE": "UPDATE", "DELETE": "DELETE", "RESTORE": "ADD"}.get(entry.op)
    if event is None or (event == "UPDATE" and old == new):
        return None
    return {"id": str(entry.id), "memory_id": entry.note_id, "event": event,
            "old_memory": old, "new_memory": new, "user_id": note.scope.user_id,
            "agent_id": note.scope.agent_id, "run_id": note.scope.session_id,
            "is_deleted": entry.op == "DELETE", "reason": entry.reason, "actor": entry.actor,
            "created_at": _iso(entry.at), "updated_at": _iso(entry.at)}


def _messages(raw: list[dict[str, Any]], timestamp: float | None) -> list[dict[str, Any]]:
    if timestamp is None:
        return raw
    try:
        said = datetime.fromtimestamp(timestamp, UTC).isoformat()
    except (ValueError, OverflowError, OSError) as e:
        raise InvalidInputError(f"timestamp {timestamp} is not a time: give Unix seconds, "
                                "e.g. 1700000000") from e
    return [m if m.get("timestamp") else {**m, "timestamp": said} for m in raw]


def _page_url(request: Request, page: int) -> str:
    return str(request.url.include_query_params(page=page))


# -- routes ----------------------------------------------------------------------------------
@router.get("/v1/ping/", dependencies=[Depends(principal)])
def ping() -> dict[str, Any]:
    """Checks the key (the client calls it when it is created, and needs an organisation
    and a project: one server is one of each)."""
    return {"status": "ok", "message": "pong", "org_id": "asem", "project_id": "default",
            "user_email": None}


@router.post("/v3/memories/add/")
def add(body: AddBody, caller: Caller, memory: Mem) -> dict[str, Any]:
    """Remember messages (one note per message); ``infer=False`` stores each as said."""
    scope = _tenant(caller, _scope(body.filters, user_id=body.user_id, agent_id=body.agent_id,
                                   run_id=body.run_id, app_id=body.app_id))
    messages = _messages(body.messages, body.timestamp)
    results = memory.add(messages, **scope, channel="mem0",
                         manager=None if body.infer else "always-add")
    said = [str(m.get("content", m.get("text", ""))) for m in messages]
    return {"results": _events(results, said, memory, scope["user_id"])}


@router.post("/v3/memories/search/")
def search(body: SearchBody, caller: Caller, memory: Mem) -> dict[str, Any]:
    """The most useful memories for a query; ``threshold`` drops hits below that cosine."""
    scope = _tenant(caller, _scope(body.filters))
    found = memory.search(body.query, k=body.top_k, **scope)
    floor = body.threshold if body.threshold is not None else float("-inf")
    return {"results": [_record(h.note, score=h.score, similarity=h.similarity)
                        for h in found if h.similarity >= floor],
            "retrieval_id": found.retrieval_id}


@router.post("/v3/memories/")
def get_all(request: Request, caller: Caller, memory: Mem, body: ListBody | None = None,
            page: Annotated[int, Query(ge=1)] = 1,
            page_size: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> dict[str, Any]:
    """One page of the scope's current memories, oldest first (``include_superseded``:
    past facts too)."""
    scope = _tenant(caller, _scope(body.filters if body else None))
    past = body.include_superseded if body else False
    total = memory.count_notes(**scope, include_superseded=past)
    notes = memory.list_notes(**scope, limit=page_size, offset=(page - 1) * page_size,
                              include_superseded=past)
    return {"count": total,
            "next": _page_url(request, page + 1) if page * page_size < total else None,
            "previous": _page_url(request, page - 1) if page > 1 else None,
            "results": [_record(n) for n in notes]}


@router.get("/v1/memories/{memory_id}/")
def get(memory_id: str, caller: Caller, memory: Mem,
        user_id: str | None = None) -> dict[str, Any]:
    return _record(memory.get(memory_id, user_id=caller.tenant(user_id)))


@router.put("/v1/memories/{memory_id}/")
def update(memory_id: str, body: UpdateBody, caller: Caller, memory: Mem,
           user_id: str | None = None) -> dict[str, Any]:
    """Replace a memory's text (history keeps the old)."""
    if body.text is None:
        raise InvalidInputError("send text: ASEM keeps no metadata, timestamp or expiration "
                                f"date of a memory ({MIGRATION})")
    return _record(memory.update(memory_id, body.text, user_id=caller.tenant(user_id),
                                 actor="mem0"))


@router.delete("/v1/memories/{memory_id}/")
def delete(memory_id: str, caller: Caller, memory: Mem,
           user_id: str | None = None) -> dict[str, str]:
    """Soft-delete a memory (ASEM's ``undo_delete`` can bring it back)."""
    memory.delete(memory_id, user_id=caller.tenant(user_id), actor="mem0")
    return {"message": "Memory deleted successfully!"}


@router.get("/v1/memories/{memory_id}/history/")
def history(memory_id: str, caller: Caller, memory: Mem,
            user_id: str | None = None) -> list[dict[str, Any]]:
    """Every change to the memory's text, oldest first."""
    tenant = caller.tenant(user_id)
    note = memory.get(memory_id, user_id=tenant, include_deleted=True)
    rows = (_history(e, note) for e in memory.history(memory_id, user_id=tenant))
    return [row for row in rows if row is not None]


@router.delete("/v1/memories/")
def delete_all(caller: Caller, memory: Mem, user_id: str | None = None,
               agent_id: str | None = None, run_id: str | None = None,
               app_id: str | None = None) -> dict[str, Any]:
    """Soft-delete every memory of one scope; at least one of its ids must be named."""
    if not (user_id or agent_id or run_id):
        raise InvalidInputError("name what to delete: user_id, agent_id or run_id")
    scope = _tenant(caller, _scope(None, user_id=user_id, agent_id=agent_id, run_id=run_id,
                                   app_id=app_id))
    count = memory.count_notes(**scope, include_superseded=True)
    ids = [n.id for n in memory.list_notes(**scope, limit=count, include_superseded=True)
           ] if count else []
    for note_id in ids:
        memory.delete(note_id, user_id=scope["user_id"], reason="deleted with its scope",
                      actor="mem0")
    return {"message": "Memories deleted successfully!", "deleted": len(ids)}


@router.post("/v1/feedback/")
def feedback(body: FeedbackBody, caller: Caller, memory: Mem,
             user_id: str | None = None) -> dict[str, Any]:
    """Reward a memory: POSITIVE +1, NEGATIVE -0.5, VERY_NEGATIVE -1 (``FEEDBACK_REWARD``)."""
    label = (body.feedback or "").upper()
    if label not in FEEDBACK_REWARD:
        raise InvalidInputError("feedback must be POSITIVE, NEGATIVE or VERY_NEGATIVE; ASEM "
                                "cannot take back a reward it has applied")
    tenant = caller.tenant(user_id)
    result = memory.feedback_note(body.memory_id, FEEDBACK_REWARD[label], user_id=tenant)
    return {"memory_id": body.memory_id, "feedback": label,
            "feedback_reason": body.feedback_reason, "reward": result.reward,
            "retrieval_id": result.retrieval_id,
            "utility": result.utilities.get(body.memory_id, (None, None))[1]}


def _batch(body: BatchBody, *, text: bool) -> list[tuple[str, str]]:
    """(memory id, new text or "") of each batch item, checked before anything changes."""
    if not body.memories or len(body.memories) > MAX_BATCH:
        raise InvalidInputError(f"send 1 to {MAX_BATCH} memories")
    items = []
    for position, item in enumerate(body.memories, start=1):
        memory_id, new = item.get("memory_id"), item.get("text")
        if not isinstance(memory_id, str) or (text and not isinstance(new, str)):
            raise InvalidInputError(f"memory {position} needs a memory_id"
                                    + (" and a text" if text else ""))
        items.append((memory_id, new if text else ""))
    return items


@router.put("/v1/batch/")
def batch_update(body: BatchBody, caller: Caller, memory: Mem,
                 user_id: str | None = None) -> dict[str, str]:
    """Replace the text of many memories; every id is checked before the first change."""
    tenant = caller.tenant(user_id)
    items = _batch(body, text=True)
    for memory_id, _ in items:
        memory.get(memory_id, user_id=tenant)
    for memory_id, new in items:
        memory.update(memory_id, new, user_id=tenant, actor="mem0")
    return {"message": f"Successfully updated {len(items)} memories"}


@router.delete("/v1/batch/")
def batch_delete(body: BatchBody, caller: Caller, memory: Mem,
                 user_id: str | None = None) -> dict[str, str]:
    """Soft-delete many memories; every id is checked before the first delete."""
    tenant = caller.tenant(user_id)
    ids = list(dict.fromkeys(memory_id for memory_id, _ in _batch(body, text=False)))
    for memory_id in ids:
        memory.get(memory_id, user_id=tenant)
    for memory_id in ids:
        memory.delete(memory_id, user_id=tenant, actor="mem0")
    return {"message": f"Successfully deleted {len(ids)} memories"}


UNSUPPORTED = {
    "/v1/entities/": "entities", "/v2/entities/{rest:path}": "entities",
    "/v1/exports/{rest:path}": "exports", "/v1/summary/": "summaries",
    "/v1/event/{rest:path}": "events", "/v1/events/": "events",
    "/v2/profiles/{rest:path}": "profiles", "/api/v1/{rest:path}": "organisations, "
    "projects and webhooks",
}
"""mem0 APIs ASEM does not serve: a clear 501 instead of a bare 404."""


def _unsupported(what: str) -> Callable[[], JSONResponse]:
    def answer() -> JSONResponse:
        return _error(501, "not_supported", f"ASEM does not serve mem0's {what} ({MIGRATION})")

    return answer


for _path, _what in UNSUPPORTED.items():
    router.add_api_route(_path, _unsupported(_what), include_in_schema=False,
                         methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
