"""The HTTP surfaces the isolation walk drives, each over the server app (``asem serve``'s):
the REST API with a key per tenant, the mem0-compatible routes, the requests the web console
makes (an admin key naming the tenant, as the console does), and the MCP tools over
streamable HTTP through the official ``mcp`` client, on a real uvicorn on a loopback port.

A status of 404 is "not found"; any other 4xx a typed refusal; a 5xx an unexpected error.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from asem import Memory
from checks.isolation import TENANTS, Missing, Out, Refused, StoreRows, Surface
from checks.isolation_surfaces import open_memory


def _keys(memory: Memory) -> tuple[Any, dict[str, str]]:
    from asem.server.keys import StoreKeyRing

    ring = StoreKeyRing(memory.store)
    keys = {t: ring.create(user_id=t)[1] for t in TENANTS}
    keys["admin"] = ring.create(admin=True)[1]
    return ring, keys


class HttpSurface(Surface):
    """Requests to the app; ``key_of`` picks the key (and the ``user_id`` sent) per call."""

    claims = True

    def __init__(self, name: str, memory: Memory, client: Any, keys: dict[str, str]) -> None:
        self.name, self.memory, self.client, self.keys = name, memory, client, keys
        self.store = StoreRows(memory.store.path)

    def __exit__(self, *exc: object) -> None:
        self.store.close()

    def request(self, method: str, path: str, key: str | None, *, params: dict | None = None,
                body: Any = None) -> Any:
        headers = {"Authorization": f"Token {key}"} if key else {}
        reply = self.client.request(method, path, headers=headers, params=params,
                                    json=body)
        if reply.status_code >= 500:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:200]}")
        if reply.status_code == 404:
            raise Missing(reply.text)
        if reply.status_code >= 400:
            raise Refused(f"{reply.status_code} {reply.text[:200]}")
        if "ndjson" in reply.headers.get("content-type", ""):
            return [json.loads(line) for line in reply.text.splitlines() if line.strip()]
        return reply.json()

    def who(self, user: str | None, claim: str | None) -> tuple[str | None, dict[str, str]]:
        """The key for ``user`` and the tenant named in the request: its own (none), or
        ``claim``, another tenant the key must not reach."""
        return self.keys[user] if user else None, {"user_id": claim} if claim else {}

    def without_tenant(self, op: str, rng: random.Random, **a: Any) -> bool:
        # No key at all; or an admin key that names no tenant.
        admin = rng.random() < 0.5
        try:
            self._call(op, self.keys["admin"] if admin else None, {}, **a)
        except Refused as e:
            return str(e).startswith("422" if admin else "401")
        except Missing:
            return False
        return False

    def call(self, op: str, user: str, claim: str | None, **a: Any) -> Out:
        key, named = self.who(user, claim)
        return self._call(op, key, named, **a)

    def _call(self, op: str, key: str | None, named: dict[str, str], **a: Any) -> Out:
        raise NotImplementedError


class RestSurface(HttpSurface):
    ops = {"add": 6, "search": 6, "get": 3, "list": 2, "update": 2, "delete": 2, "undo": 2,
           "feedback": 3, "history": 2, "links": 1, "export": 1, "count": 2, "forget": 1,
           "quarantine": 1, "release": 1}

    def _call(self, op: str, key: str | None, named: dict[str, str], **a: Any) -> Out:
        r = self.request
        note = f"/v1/notes/{quote(a.get('note_id', ''), safe='')}"
        if op == "add":
            shown = r("POST", "/v1/notes", key, body={"text": a["text"], **named})
            return Out(shown, ids=[i for x in shown["results"]
                                   for i in (x["note_id"], x["added_id"]) if i])
        if op == "search":
            shown = r("POST", "/v1/search", key, body={"query": a["query"], **named})
            return _searched(shown)
        if op == "get":
            return Out(r("GET", note, key, params={**named, "include_deleted": "true"}))
        if op == "list":
            shown = r("GET", "/v1/notes", key, params={**named, "count": "true",
                                                       "include_deleted": "true"})
            return Out(shown, count=shown["total"])
        if op == "update":
            return Out(r("PATCH", note, key, body={"content": a["text"], **named}),
                       ids=[a["note_id"]])
        if op in ("delete", "undo", "forget", "quarantine", "release"):
            method, path = {"delete": ("DELETE", note), "undo": ("POST", f"{note}/undo"),
                            "forget": ("POST", f"{note}/forget")}.get(
                op, ("POST", f"{note}/{op}"))
            body = named if op in ("quarantine", "release") else None
            params = None if body is not None else named
            return Out(r(method, path, key, params=params, body=body), ids=[a["note_id"]])
        if op == "feedback":
            return _fed(r("POST", "/v1/feedback", key, body={
                "retrieval_id": a["retrieval_id"], "reward": a["reward"],
                "note_ids": a["note_ids"], **named}))
        if op in ("history", "links"):
            return Out(r("GET", f"{note}/{op}", key, params=named))
        if op == "export":
            return Out(r("GET", "/v1/export", key, params=named))
        if op == "count":
            shown = r("GET", "/v1/stats", key, params=named)
            return Out(shown, count=shown["notes"])
        raise ValueError(op)


def _searched(shown: dict[str, Any]) -> Out:
    return Out(shown, hits=[(h["note"]["id"], h["score"], h["lexical"]) for h in shown["hits"]],
               retrieval=shown["retrieval_id"])


def _fed(shown: dict[str, Any]) -> Out:
    return Out(shown, ids=[shown["experience_id"]] if shown.get("experience_id") else [])


class ConsoleSurface(RestSurface):
    """The requests ``asem/server/static/*.js`` make, with an admin key and the tenant named
    (as ``core.js``'s ``api`` sends it): the filtered notes page, a note with its links and
    history, undo, edit, delete, the overview, search with filters and feedback."""

    claims = False
    ops = {"add": 6, "search": 6, "get": 3, "list": 3, "update": 2, "delete": 2, "undo": 2,
           "feedback": 3, "history": 2, "links": 1, "count": 3}

    def who(self, user: str | None, claim: str | None) -> tuple[str | None, dict[str, str]]:
        return self.keys["admin"], {"user_id": user} if user else {}

    def without_tenant(self, op: str, rng: random.Random, **a: Any) -> bool:
        try:
            self._call(op, self.keys["admin"], {"user_id": ""} if rng.random() < 0.5 else {},
                       **a)
        except Refused as e:
            return str(e).startswith("422")
        except Missing:
            return False
        return False

    def _call(self, op: str, key: str | None, named: dict[str, str], **a: Any) -> Out:
        r = self.request
        if op == "list":  # notes.js: the newest page, counted, with the form's filters
            shown = r("GET", "/v1/notes", key, params={
                **named, "order": "newest", "count": "true", "limit": 20, "offset": 0,
                "text": ("", "note", "dog")[len(named.get("user_id", "")) % 3]})
            return Out(shown, count=None)
        if op == "count":  # console.js: the overview and the tenant's stats
            shown = r("GET", "/v1/overview", key, params=named)
            stats = r("GET", "/v1/stats", key, params=named)
            return Out([shown, stats], count=(shown["notes"], stats["notes"]))
        if op == "search":  # search.js: with the filter form's (empty) fields
            shown = r("POST", "/v1/search", key, body={
                "query": a["query"], "k": 10, **named,
                "filters": {"tags": [], "keywords": [], "since": None, "until": None}})
            return _searched(shown)
        if op == "links":  # notes.js: the note, then each linked note
            note = r("GET", f"/v1/notes/{quote(a['note_id'], safe='')}", key,
                     params={**named, "include_deleted": "true"})
            targets = [r("GET", f"/v1/notes/{quote(lk['target_id'], safe='')}", key,
                         params=named) for lk in note["links"]]
            return Out([note, targets])
        return super()._call(op, key, named, **a)


class Mem0Surface(HttpSurface):
    """The mem0 platform's routes, as ``mem0ai``'s ``MemoryClient`` calls them."""

    ops = {"add": 6, "search": 6, "get": 3, "list": 2, "update": 2, "delete": 2,
           "feedback_note": 2, "history": 2, "count": 1, "batch": 1, "delete_all": 1}

    def _call(self, op: str, key: str | None, named: dict[str, str], **a: Any) -> Out:
        r = self.request
        memory = f"/v1/memories/{quote(a.get('note_id', ''), safe='')}/"
        scope = {"filters": {"user_id": named["user_id"]}} if named else {}
        if op == "add":
            shown = r("POST", "/v3/memories/add/", key, body={
                "messages": [{"role": "user", "content": a["text"]}], **named})
            return Out(shown, ids=[x["id"] for x in shown["results"] if x["id"]])
        if op == "search":
            shown = r("POST", "/v3/memories/search/", key, body={"query": a["query"], **scope})
            return Out(shown, hits=[(x["id"], x["score"], 0.0) for x in shown["results"]],
                       retrieval=shown["retrieval_id"])
        if op in ("list", "count"):
            shown = r("POST", "/v3/memories/", key, body=scope)
            return Out(shown, count=shown["count"])
        if op == "get":
            return Out(r("GET", memory, key, params=named))
        if op == "update":
            return Out(r("PUT", memory, key, params=named, body={"text": a["text"]}),
                       ids=[a["note_id"]])
        if op == "delete":
            return Out(r("DELETE", memory, key, params=named), ids=[a["note_id"]])
        if op == "history":
            return Out(r("GET", f"{memory}history/", key, params=named))
        if op == "feedback_note":
            return Out(r("POST", "/v1/feedback/", key, params=named, body={
                "memory_id": a["note_id"], "feedback": "POSITIVE"}))
        if op == "batch":  # a batch that holds the note given
            return Out(r("PUT", "/v1/batch/", key, params=named, body={"memories": [
                {"memory_id": a["note_id"], "text": f"{a['note_id'][:6]} batch edit"}]}))
        if op == "delete_all":
            user = named.get("user_id") or self.owner_of_key(key)
            return Out(r("DELETE", "/v1/memories/", key, params={"user_id": user}))
        raise ValueError(op)

    def owner_of_key(self, key: str | None) -> str | None:
        return next((t for t, k in self.keys.items() if k == key and t != "admin"), None)


@contextmanager
def _app_surface(kind: type[HttpSurface], name: str) -> Iterator[Surface]:
    from fastapi.testclient import TestClient

    from asem.server.app import create_app
    from asem.server.state import ServerState

    folder = tempfile.mkdtemp(prefix="asem-isolation-")
    memory = open_memory(Path(folder) / "m.db")
    try:
        ring, keys = _keys(memory)
        app = create_app(ServerState(memory, ring, close_memory=False))
        with TestClient(app, raise_server_exceptions=False) as client, \
                kind(name, memory, client, keys) as surface:
            yield surface
    finally:
        memory.close()
        shutil.rmtree(folder, ignore_errors=True)


def rest_surface() -> Any:
    return _app_surface(RestSurface, "REST")


def console_surface() -> Any:
    return _app_surface(ConsoleSurface, "web console")


def mem0_surface() -> Any:
    return _app_surface(Mem0Surface, "mem0 routes")


# -- MCP over streamable HTTP ----------------------------------------------------------------
MCP_TOOLS = {"add": "add_memory", "search": "search_memory", "get": "get_memory",
             "update": "update_memory", "delete": "delete_memory", "history": "memory_history",
             "feedback": "give_feedback"}
NOT_FOUND = ("no note with id", "no retrieval with id")


class McpSurface(HttpSurface):
    """The MCP tools through the official client, one connection per tenant key; a key
    claiming another tenant (``X-ASEM-User``) and calls without a tenant go as raw JSON-RPC
    posts, since the client cannot even connect then."""

    ops = {"add": 6, "search": 6, "get": 3, "update": 2, "delete": 2, "feedback": 3,
           "history": 2}
    score_tolerance = 1.01e-4  # the tools round scores to 4 places

    def __init__(self, name: str, memory: Memory, url: str, keys: dict[str, str],
                 portal: Any, clients: dict[str, Any]) -> None:
        super().__init__(name, memory, None, keys)
        self.url, self.portal, self.clients = url, portal, clients

    def call(self, op: str, user: str, claim: str | None, **a: Any) -> Out:
        tool, arguments = MCP_TOOLS[op], _tool_arguments(op, a)
        if claim is not None:
            return Out(self._post(tool, arguments, {"Authorization": f"Token {self.keys[user]}",
                                                    "X-ASEM-User": claim}))
        result = self.portal.call(self.clients[user].call_tool, tool, arguments)
        if result.is_error:
            text = result.content[0].text
            if any(phrase in text for phrase in NOT_FOUND):
                raise Missing(text)
            raise Refused(text)
        shown = result.structured_content
        if op == "add":
            return Out(shown, ids=[i for i in (shown.get("note_id"), shown.get("added_id")) if i])
        if op == "search":
            return Out(shown, hits=[(m["id"], m["score"], 0.0) for m in shown["memories"]],
                       retrieval=shown["retrieval_id"])
        return Out(shown, ids=[a["note_id"]] if op in ("update", "delete") else [])

    def without_tenant(self, op: str, rng: random.Random, **a: Any) -> bool:
        admin = rng.random() < 0.5
        headers = {"Authorization": f"Token {self.keys['admin']}"} if admin else {}
        try:
            self._post(MCP_TOOLS[op], _tool_arguments(op, a), headers)
        except Refused as e:
            return str(e).startswith("422" if admin else "401")
        return False

    def _post(self, tool: str, arguments: dict[str, Any], headers: dict[str, str]) -> Any:
        import httpx2

        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": tool, "arguments": arguments}}
        sent = {k: v.encode("latin-1", "replace") for k, v in headers.items()}
        reply = httpx2.post(self.url, json=message, headers={
            **sent, "Accept": "application/json, text/event-stream"}, timeout=30)
        if reply.status_code >= 500:
            raise RuntimeError(f"{tool}: {reply.status_code} {reply.text[:200]}")
        if reply.status_code >= 400:
            raise Refused(f"{reply.status_code} {reply.text[:200]}")
        return reply.json()


def _tool_arguments(op: str, a: dict[str, Any]) -> dict[str, Any]:
    if op == "add":
        return {"content": a["text"]}
    if op == "search":
        return {"query": a["query"]}
    if op == "update":
        return {"note_id": a["note_id"], "content": a["text"]}
    if op == "feedback":
        notes = {"note_ids": a["note_ids"]} if a.get("note_ids") else {}
        return {"retrieval_id": a["retrieval_id"], "reward": a["reward"], **notes}
    return {"note_id": a["note_id"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mcp_surface() -> Iterator[Surface]:
    import httpx2
    import uvicorn
    from anyio.from_thread import start_blocking_portal
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from asem.server.app import create_app
    from asem.server.state import ServerState

    folder = tempfile.mkdtemp(prefix="asem-isolation-")
    memory = open_memory(Path(folder) / "m.db")
    ring, keys = _keys(memory)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServerState(memory, ring)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}/mcp"
        with start_blocking_portal() as portal:
            clients = {}
            opened = []
            for tenant in TENANTS:
                http = portal.wrap_async_context_manager(httpx2.AsyncClient(
                    headers={"Authorization": f"Token {keys[tenant]}"}))
                opened.append(http)
                client = portal.wrap_async_context_manager(
                    Client(streamable_http_client(url, http_client=http.__enter__())))
                opened.append(client)
                clients[tenant] = client.__enter__()
            try:
                with McpSurface("MCP over HTTP", memory, url, keys, portal, clients) as surface:
                    yield surface
            finally:
                for cm in reversed(opened):
                    cm.__exit__(None, None, None)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        memory.close()
        shutil.rmtree(folder, ignore_errors=True)
