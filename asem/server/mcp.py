"""ASEM over the Model Context Protocol: the ``Memory`` facade as tools an agent calls.

One set of tools, two transports:

- stdio (``asem --db PATH --user ID mcp``): one process serves one tenant, the CLI's user
  (and ``--agent``), to the MCP host that started it;
- streamable HTTP at ``/mcp`` on the server app (``mount_mcp``): every request carries an API
  key (``Authorization: Token <key>`` or ``Bearer <key>``); a tenant key acts for its own
  tenant, an admin key for the tenant named by the ``X-ASEM-User`` header. No key, an unknown
  key or a missing tenant is refused before any tool runs, with the REST API's JSON errors.

The tools are thin: they check their arguments (a JSON schema the host sees), call the facade
in the caller's scope and return JSON. An ASEM error comes back as an MCP tool error carrying
its message (what to do next); anything else as the SDK's generic tool error, with the
traceback only in the server's log.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Send
from starlette.types import Scope as ASGIScope

from asem import __version__
from asem.chat import parse_timestamp
from asem.errors import ASEMError, ScopeError
from asem.memory import Memory
from asem.server.auth import KeyRing, authenticate
from asem.server.errors import error_body, status_of
from asem.server.state import ServerState
from asem.types import Filters, HistoryEntry, Hit, Scope, WriteResult

TENANT_HEADER = "X-ASEM-User"
"""The header an admin key names its tenant with (a tenant key may send its own, or none)."""

INSTRUCTIONS = """\
ASEM is a long-term memory of the user and of past conversations.
- Before answering anything about the user (their life, preferences, plans, people, past
  conversations), call search_memory; answer from what it returns, or say you don't know.
- Call add_memory for stable facts, preferences, decisions, plans and events worth recalling
  in a later conversation, one self-contained statement each; skip greetings and chit-chat.
- After using search results, call give_feedback once with their retrieval_id:
  +1 when they helped, -1 when they misled, 0 when they were not used. Ranking learns from it.
"""

ScopeOf = Callable[[Context], Scope]
"""Who a tool call acts for: the stdio server's fixed scope, or the HTTP request's tenant."""

NoteId = Annotated[str, Field(min_length=1, max_length=200, description=(
    "A memory id, as returned by search_memory or add_memory."))]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
HowMany = Annotated[int, Field(ge=1, le=50, description="How many memories to read (k).")]


class MemoryTools:
    """The tools over one memory. Each public method is one tool; its docstring is the
    description the agent reads, so it says when to call it, not how it works."""

    def __init__(self, memory: Memory, scope_of: ScopeOf) -> None:
        self.memory = memory
        self.scope_of = scope_of

    def search_memory(
        self,
        query: Annotated[Text, Field(description="What to recall, as a question or keywords, "
                                                 "e.g. 'What is the user's dog called?'")],
        ctx: Context,
        k: HowMany = 5,
        tags: Annotated[list[str] | None, Field(
            description="Only memories carrying at least one of these tags.")] = None,
        as_of: Annotated[str | None, Field(max_length=100, description=(
            "Recall what held at this time, ISO 8601 (e.g. 2024-05-08 or "
            "2024-05-08T13:56:00): facts since changed come as they were then."))] = None,
        include_superseded: Annotated[bool, Field(description=(
            "Also recall past facts, changed or retracted since (marked superseded)."))
        ] = False,
    ) -> dict[str, Any]:
        """Recall what is known about the user and past conversations.

        Call this BEFORE answering anything that may depend on the user (their life,
        preferences, plans, people they mention, earlier conversations) and answer from the
        memories it returns; if none fits, say you don't know rather than guess. Memories come
        best first. Keep the retrieval_id: after using the results, rate them with
        give_feedback. Facts that changed come as they are now; as_of recalls what held at
        a time, include_superseded past facts too."""
        scope = self.scope_of(ctx)
        result = self.memory.search(query, user_id=scope.user_id, agent_id=scope.agent_id,
                                    k=k, filters=Filters(tags=tuple(tags or ())),
                                    as_of=parse_timestamp(as_of, "as_of"),
                                    include_superseded=include_superseded)
        return {"retrieval_id": result.retrieval_id,
                "memories": [_hit_dict(hit) for hit in result],
                "next": "after using these memories, call give_feedback with this "
                        "retrieval_id (+1 helped, -1 misled, 0 unused)"}

    def add_memory(
        self,
        content: Annotated[Text, Field(description="One self-contained statement, in the "
                                                   "speaker's words or as a plain fact, e.g. "
                                                   "'I adopted a dog named Buddy.'")],
        ctx: Context,
        speaker: Annotated[str | None, Field(max_length=200, description=(
            "Who said it (e.g. the user's name); omit for a plain fact."))] = None,
        timestamp: Annotated[str | None, Field(max_length=100, description=(
            "When it was said, ISO 8601 (e.g. 2024-05-08T13:56:00); default now. "
            "Relative dates in the content ('yesterday') resolve against it."))] = None,
    ) -> dict[str, Any]:
        """Remember something worth recalling in a later conversation.

        Call this for stable facts about the user (name, job, family, pets, places),
        preferences, decisions, plans and events (with when they happen), one statement per
        call. Do not store greetings, chit-chat, questions, or things only true for this
        moment. The memory itself decides: a known fact is not stored twice (op NOOP), a
        changed one replaces the old (op UPDATE, the old version kept in its history), a
        contradicted one is removed (op DELETE)."""
        scope = self.scope_of(ctx)
        when = parse_timestamp(timestamp, "timestamp")
        [result] = self.memory.add(content, user_id=scope.user_id, agent_id=scope.agent_id,
                                   speaker=speaker, timestamp=when, channel="mcp")
        return _write_dict(result)

    def get_memory(self, note_id: NoteId, ctx: Context) -> dict[str, Any]:
        """Read one memory in full (content, dates, tags, links, utility) by its id."""
        return self.memory.get(note_id, user_id=self.scope_of(ctx).user_id).to_dict()

    def update_memory(
        self,
        note_id: NoteId,
        content: Annotated[Text, Field(description="The memory's new, complete content.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """Correct a memory the user says is wrong or out of date, by its id: the content is
        replaced and the old version is kept in its history. For a new fact, use
        add_memory instead."""
        note = self.memory.update(note_id, content, user_id=self.scope_of(ctx).user_id,
                                  actor="mcp")
        return note.to_dict()

    def delete_memory(
        self,
        note_id: NoteId,
        ctx: Context,
        reason: Annotated[str | None, Field(max_length=500, description=(
            "Why, e.g. 'the user asked to forget it'."))] = None,
    ) -> dict[str, Any]:
        """Forget a memory, by its id: when the user asks to forget it or it is plainly
        false. It no longer appears in searches; its history keeps what it said."""
        self.memory.delete(note_id, user_id=self.scope_of(ctx).user_id,
                           reason=reason or "deleted", actor="mcp")
        return {"deleted": note_id}

    def memory_history(self, note_id: NoteId, ctx: Context) -> dict[str, Any]:
        """Every change to one memory, oldest first: what it said before, what it became,
        when and why. Use it to tell the user how something they told you changed."""
        entries = self.memory.history(note_id, user_id=self.scope_of(ctx).user_id)
        return {"note_id": note_id, "changes": [_entry_dict(e) for e in entries]}

    def give_feedback(
        self,
        retrieval_id: Annotated[str, Field(min_length=1, max_length=200, description=(
            "The retrieval_id returned by search_memory (or answer)."))],
        reward: Annotated[float, Field(ge=-1.0, le=1.0, description=(
            "+1 the memories helped, -1 they misled, 0 they were not used; values in "
            "between for partly."))],
        ctx: Context,
        note_ids: Annotated[list[str] | None, Field(description=(
            "Only these memories of that search (e.g. the ones you used); default all."))] = None,
    ) -> dict[str, Any]:
        """Rate the memories a search returned, once, after you have used them: +1 when they
        helped you answer, -1 when they were wrong or misleading, 0 when you did not use them.
        Memories that help rank higher in later searches; misleading ones sink."""
        result = self.memory.feedback(retrieval_id, reward, note_ids,
                                      user_id=self.scope_of(ctx).user_id)
        return {"retrieval_id": result.retrieval_id, "reward": result.reward,
                "utilities": {note: {"old": old, "new": new}
                              for note, (old, new) in result.utilities.items()}}

    def answer(
        self,
        question: Annotated[Text, Field(description="A question about the user or past "
                                                    "conversations.")],
        ctx: Context,
        k: HowMany = 5,
    ) -> dict[str, Any]:
        """Answer a question from memory in one step: searches, then drafts a short answer
        citing the memories it used (note_ids), or says it is not known (abstained). Use it
        instead of search_memory when a short factual answer is all you need; rate it with
        give_feedback on its retrieval_id."""
        scope = self.scope_of(ctx)
        return self.memory.answer(question, user_id=scope.user_id, agent_id=scope.agent_id,
                                  k=k).to_dict()


READ_ONLY = ToolAnnotations(read_only_hint=True)
TOOLS: tuple[tuple[str, ToolAnnotations], ...] = (
    ("search_memory", READ_ONLY),
    ("add_memory", ToolAnnotations(read_only_hint=False, destructive_hint=False)),
    ("get_memory", READ_ONLY),
    ("update_memory", ToolAnnotations(destructive_hint=True, idempotent_hint=True)),
    ("delete_memory", ToolAnnotations(destructive_hint=True, idempotent_hint=True)),
    ("memory_history", READ_ONLY),
    ("give_feedback", ToolAnnotations(read_only_hint=False, destructive_hint=False)),
)
"""Every tool but ``answer``, which is served only by a memory with a language model."""


def build_server(memory: Memory, scope_of: ScopeOf) -> MCPServer:
    """An MCP server whose tools act on ``memory`` for the scope ``scope_of`` names."""
    server = MCPServer("asem", title="ASEM memory", version=__version__,
                       instructions=INSTRUCTIONS, log_level="WARNING")
    tools = MemoryTools(memory, scope_of)
    served = [*TOOLS, *((("answer", READ_ONLY),) if memory.llm is not None else ())]
    for name, hints in served:
        tool = getattr(tools, name)
        server.add_tool(_reported(tool), description=inspect.cleandoc(tool.__doc__ or ""),
                        annotations=hints)
    return server


def _reported(tool: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``tool`` with ASEM errors turned into tool errors that carry their message."""

    @functools.wraps(tool)
    def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return tool(*args, **kwargs)
        except ASEMError as e:
            raise ToolError(str(e)) from e

    return call


def _hit_dict(hit: Hit) -> dict[str, Any]:
    note = hit.note
    return {"id": note.id, "content": note.content, "score": round(float(hit.score), 4),
            "speaker": note.speaker, "said_at": note.observed_at.isoformat(),
            "event_time": note.event_time.isoformat(), "tags": list(note.tags),
            "via": hit.via, "superseded": hit.superseded}


def _write_dict(result: WriteResult) -> dict[str, Any]:
    out: dict[str, Any] = {"op": result.op.value, "note_id": result.note_id or None,
                           "reason": result.reason}
    if result.added_id:
        out["added_id"] = result.added_id
    return out


def _entry_dict(entry: HistoryEntry) -> dict[str, Any]:
    return {"op": entry.op, "old": entry.old, "new": entry.new, "at": entry.at.isoformat(),
            "reason": entry.reason, "actor": entry.actor}


# -- stdio ----------------------------------------------------------------------------------
def serve_stdio(memory: Memory, scope: Scope) -> None:
    """Serve ``memory`` for ``scope`` on stdin/stdout until the host closes stdin."""
    build_server(memory, lambda ctx: scope).run("stdio")


# -- streamable HTTP ------------------------------------------------------------------------
_TENANT = "asem.tenant"
"""The ASGI scope key the endpoint stores the request's tenant under, for the tools."""


def _request_scope(ctx: Context) -> Scope:
    request = ctx.request_context.request
    tenant = request.scope.get(_TENANT) if isinstance(request, Request) else None
    if not tenant:  # only a request that bypassed the endpoint could get here
        raise ToolError("no tenant for this request; call the server through /mcp with a key")
    return Scope(tenant)


class _Endpoint:
    """The ASGI app at ``/mcp``: checks the key, names the tenant, hands the request on."""

    def __init__(self, server: MCPServer, keys: KeyRing | None) -> None:
        self.server = server
        self.keys = keys
        self.sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The session manager's task group, for as long as the app runs (a manager runs once,
        so each start of the app gets a new one)."""
        # Stateless: each request stands alone and is authorised on its own, so a session id
        # never stands in for a key. With --no-auth (loopback only) the Host and Origin checks
        # keep a web page from reaching the memory through DNS rebinding.
        loopback = TransportSecuritySettings(
            enable_dns_rebinding_protection=self.keys is None,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"])
        self.server.streamable_http_app(stateless_http=True, json_response=True,
                                        transport_security=loopback)
        self.sessions = self.server.session_manager
        try:
            async with self.sessions.run():
                yield
        finally:
            self.sessions = None

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            principal = authenticate(request.headers.get("authorization"), self.keys)
            requested = request.headers.get(TENANT_HEADER)
            if principal.admin and not requested:
                raise ScopeError(f"an admin key acts for any tenant: name one with the "
                                 f"{TENANT_HEADER} header")
            tenant = principal.tenant(requested)
        except ASEMError as e:
            status, code = status_of(e)
            headers = {"WWW-Authenticate": "Token"} if status == 401 else None
            await JSONResponse(error_body(code, str(e)), status_code=status,
                               headers=headers)(scope, receive, send)
            return
        if self.sessions is None:
            await JSONResponse(error_body("unavailable", "the MCP endpoint is not running: "
                                          "start the app with its lifespan (uvicorn does)"),
                               status_code=503)(scope, receive, send)
            return
        await self.sessions.handle_request({**scope, _TENANT: tenant}, receive, send)


def mount_mcp(app: FastAPI, state: ServerState) -> None:
    """Serve the MCP tools for ``state`` at ``/mcp`` on ``app`` (streamable HTTP), and run
    the MCP session manager within the app's lifespan."""
    endpoint = _Endpoint(build_server(state.memory, _request_scope), state.keys)
    app.router.add_route("/mcp", endpoint, include_in_schema=False)
    app.router.lifespan_context = _nested(endpoint.running, app.router.lifespan_context)


def _nested(inner: Callable[[], AbstractAsyncContextManager[None]],
            outer: Callable[[Any], AbstractAsyncContextManager[Any]]
            ) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    """A lifespan that runs ``outer`` (the app's own) with ``inner`` running inside it."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with outer(app) as state, inner():
            yield state

    return lifespan
