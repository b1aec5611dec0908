"""The MCP server, driven by the official MCP client: over stdio (``asem ... mcp`` as a
subprocess, with the real embedder and the default manager) and over streamable HTTP (``/mcp``
on the server app, in a real uvicorn on a free loopback port, keys checked)."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")
httpx2 = pytest.importorskip("httpx2")
uvicorn = pytest.importorskip("uvicorn")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

from asem import Memory  # noqa: E402
from asem.llm import ScriptedLLM  # noqa: E402
from asem.providers import HashEmbedder  # noqa: E402
from asem.server.app import create_app  # noqa: E402
from asem.server.auth import Principal  # noqa: E402
from asem.server.state import ServerState  # noqa: E402
from tests.test_cli import ASEM_SCRIPT  # noqa: E402

TOOLS = {"search_memory", "add_memory", "get_memory", "update_memory", "delete_memory",
         "memory_history", "give_feedback"}
BOUND_S = 120  # every scenario ends well within this, or fails


async def call(client: Client, tool: str, **arguments) -> dict:
    """The tool's structured result; fails the test on a tool error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def refused(client: Client, tool: str, **arguments) -> str:
    """The message of the tool error the call must end in."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text = result.content[0].text
    assert "Traceback" not in text and 'File "' not in text
    return text


def run_bounded(scenario) -> None:
    async def bounded() -> None:
        with anyio.fail_after(BOUND_S):
            await scenario()
    anyio.run(bounded)


def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASEM_")}
    return {**env, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}


needs_script = pytest.mark.skipif(not ASEM_SCRIPT.exists(),
                                  reason="the asem script is not installed")


# -- stdio ----------------------------------------------------------------------------------
@needs_script
def test_stdio_serves_every_tool_for_the_cli_user(tmp_path):
    db = tmp_path / "m.db"
    params = StdioServerParameters(command=str(ASEM_SCRIPT),
                                   args=["--db", str(db), "--user", "ana", "mcp"],
                                   env=server_env(tmp_path))

    async def scenario() -> None:
        async with Client(params) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == TOOLS  # no answer tool without a language model
            assert "BEFORE answering" in tools["search_memory"].description
            assert "+1" in tools["give_feedback"].description
            assert tools["search_memory"].annotations.read_only_hint is True
            assert tools["give_feedback"].input_schema["properties"]["reward"]["maximum"] == 1

            added = await call(client, "add_memory", content="I adopted a dog named Buddy.",
                               speaker="Ana", timestamp="2024-05-08T13:56:00")
            assert added["op"] == "ADD"
            note = added["note_id"]
            other = (await call(client, "add_memory",
                                content="I work as a nurse at the city hospital."))["note_id"]
            found = await call(client, "search_memory", query="What is my dog called?", k=2)
            assert [m["id"] for m in found["memories"]][0] == note
            assert found["memories"][0]["speaker"] == "Ana"
            assert found["memories"][0]["said_at"] == "2024-05-08T13:56:00"

            rated = await call(client, "give_feedback", retrieval_id=found["retrieval_id"],
                               reward=1, note_ids=[note])
            assert rated["utilities"] == {note: {"old": 0.5, "new": pytest.approx(0.55)}}
            got = await call(client, "get_memory", note_id=note)
            assert (got["content"], got["user_id"], got["channel"]) == (
                "I adopted a dog named Buddy.", "ana", "mcp")
            assert got["utility"] == pytest.approx(0.55)

            updated = await call(client, "update_memory", note_id=note,
                                 content="I adopted a dog named Max.")
            assert updated["content"] == "I adopted a dog named Max."
            assert await call(client, "delete_memory", note_id=other,
                              reason="the user asked to forget it") == {"deleted": other}
            history = await call(client, "memory_history", note_id=note)
            assert [c["op"] for c in history["changes"]] == ["ADD", "FEEDBACK", "UPDATE"]
            assert history["changes"][2]["old"]["content"] == "I adopted a dog named Buddy."
            assert history["changes"][2]["actor"] == "mcp"

            left = await call(client, "search_memory", query="nurse hospital work", k=5)
            assert other not in [m["id"] for m in left["memories"]]
            assert "no note with id" in await refused(client, "get_memory", note_id=other)
            assert "no retrieval with id" in await refused(
                client, "give_feedback", retrieval_id="nope", reward=1)
            assert "reward" in await refused(client, "give_feedback",
                                             retrieval_id=found["retrieval_id"], reward=3)
            assert "content" in await refused(client, "add_memory", content="")

    run_bounded(scenario)


@needs_script
def test_stdio_writes_nothing_but_protocol_on_stdout(tmp_path):
    # A host reads every stdout line as a JSON-RPC message: a stray print would break it.
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "add_memory", "arguments": {"content": "I live in Lisbon."}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "search_memory", "arguments": {"query": "where do I live"}}},
    ]
    process = subprocess.Popen(
        [str(ASEM_SCRIPT), "--db", str(tmp_path / "m.db"), "--user", "ana", "mcp"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=server_env(tmp_path))
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()
    try:
        replies = []
        for message in messages:
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
            if "id" in message:
                replies.append(json.loads(lines.get(timeout=BOUND_S)))
        process.stdin.close()
        assert process.wait(timeout=BOUND_S) == 0
        rest = []
        while not lines.empty():
            rest.append(lines.get())
    finally:
        if process.poll() is None:
            process.kill()
    assert [r["id"] for r in replies] == [1, 2, 3]
    assert replies[0]["result"]["serverInfo"]["name"] == "asem"
    assert not replies[1]["result"].get("isError")
    found = replies[2]["result"]["structuredContent"]["memories"]
    assert found[0]["content"] == "I live in Lisbon."
    for line in rest:  # whatever followed the replies is protocol too
        json.loads(line)
    assert "Traceback" not in process.stderr.read()


def test_the_answer_tool_is_served_only_with_a_language_model(tmp_path):
    from asem.server.mcp import build_server
    from asem.types import Scope

    async def names(memory: Memory) -> set[str]:
        server = build_server(memory, lambda ctx: Scope("ana"))
        return {t.name for t in await server.list_tools()}

    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), manager="rule") as memory:
        assert anyio.run(names, memory) == TOOLS
        memory.use_llm(ScriptedLLM(), background=False)
        assert anyio.run(names, memory) == TOOLS | {"answer"}


def test_tools_act_in_the_scope_the_server_names(tmp_path):
    from asem.server.mcp import build_server
    from asem.types import Scope

    async def scenario(memory: Memory) -> None:
        async with Client(build_server(memory, lambda ctx: Scope("ana", "planner"))) as planner:
            note = (await call(planner, "add_memory", content="I like green tea."))["note_id"]
            assert [m["id"] for m in (await call(planner, "search_memory",
                                                 query="green tea"))["memories"]] == [note]
        async with Client(build_server(memory, lambda ctx: Scope("ana", "coder"))) as coder:
            assert (await call(coder, "search_memory", query="green tea"))["memories"] == []

    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), manager="rule") as memory:
        run_bounded(lambda: scenario(memory))
        found = memory.search("tea", user_id="ana")[0].note.id
        assert memory.get(found, user_id="ana").scope == Scope("ana", "planner")


def test_an_unexpected_failure_tells_the_agent_nothing_of_its_insides(tmp_path, caplog):
    from asem.server.mcp import build_server
    from asem.types import Scope

    class Broken(Memory):
        def search(self, *args, **kwargs):
            raise RuntimeError("secret internals")

    async def scenario(memory: Memory) -> None:
        async with Client(build_server(memory, lambda ctx: Scope("ana"))) as client:
            text = await refused(client, "search_memory", query="tea")
            assert text == "Error executing tool search_memory"

    with Broken(tmp_path / "m.db", embedder=HashEmbedder(), manager="rule") as memory:
        run_bounded(lambda: scenario(memory))
    assert "secret internals" in caplog.text  # the server's log keeps the cause


def test_without_the_sdk_asem_mcp_says_what_to_install(monkeypatch):
    import sys

    from tests.test_cli import assert_one_line_error, run

    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the server extra were not installed
    monkeypatch.delitem(sys.modules, "asem.server.mcp", raising=False)
    assert_one_line_error(run("--user", "ana", "mcp"), "pip install 'asem[server]'")


# -- streamable HTTP ------------------------------------------------------------------------
class DictKeys:
    """A KeyRing over a dict: raw key -> principal."""

    def __init__(self, keys: dict[str, Principal]) -> None:
        self.keys = keys

    def principal(self, raw_key: str) -> Principal | None:
        return self.keys.get(raw_key)


KEYS = DictKeys({"key-ana": Principal("ana", key_id="a"), "key-ben": Principal("ben", key_id="b"),
                 "key-admin": Principal(None, admin=True, key_id="root")})
ANSWER = '{"evidence": [1], "answer": "Buddy"}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def http_url(tmp_path_factory) -> Iterator[str]:
    """The /mcp URL of a live server over a memory with a scripted model (so ``answer`` is
    served), stopped after the module's tests."""
    path = tmp_path_factory.mktemp("mcp") / "m.db"
    memory = Memory(path, embedder=HashEmbedder(), manager="rule",
                    llm=ScriptedLLM(default=ANSWER), background=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServerState(memory, KEYS)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=30)
    memory.close()


@asynccontextmanager
async def connected(url: str, **headers: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers=headers) as http, \
            Client(streamable_http_client(url, http_client=http)) as client:
        yield client


def test_http_serves_every_tool_to_a_tenant_key(http_url):
    async def scenario() -> None:
        async with connected(http_url, Authorization="Token key-ana") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == TOOLS | {"answer"}
            note = (await call(client, "add_memory",
                               content="I adopted a dog named Buddy."))["note_id"]
            found = await call(client, "search_memory", query="dog named Buddy")
            assert found["memories"][0]["id"] == note
            answered = await call(client, "answer", question="What is my dog called?")
            assert (answered["answer"], answered["note_ids"]) == ("Buddy", [note])
            rated = await call(client, "give_feedback", retrieval_id=answered["retrieval_id"],
                               reward=-1)
            assert rated["utilities"][note]["new"] < rated["utilities"][note]["old"]
            assert (await call(client, "get_memory", note_id=note))["user_id"] == "ana"
            await call(client, "update_memory", note_id=note, content="I adopted a dog named Rex.")
            history = await call(client, "memory_history", note_id=note)
            assert [c["op"] for c in history["changes"]] == ["ADD", "FEEDBACK", "UPDATE"]
            assert await call(client, "delete_memory", note_id=note) == {"deleted": note}
            assert "no note with id" in await refused(client, "get_memory", note_id=note)

    run_bounded(scenario)


def test_http_a_tenant_key_cannot_reach_another_tenants_notes(http_url):
    secret = "My bank PIN is hidden under the blue vase."

    async def scenario() -> None:
        async with connected(http_url, Authorization="Bearer key-ana") as ana:
            note = (await call(ana, "add_memory", content=secret))["note_id"]
            found = await call(ana, "search_memory", query="bank PIN blue vase")
        async with connected(http_url, Authorization="Token key-ben") as ben:
            seen = await call(ben, "search_memory", query="bank PIN blue vase", k=50)
            assert note not in [m["id"] for m in seen["memories"]]
            for tool, arguments in (("get_memory", {}), ("memory_history", {}),
                                    ("delete_memory", {}),
                                    ("update_memory", {"content": "overwritten"})):
                assert "no note with id" in await refused(ben, tool, note_id=note, **arguments)
            assert "no retrieval with id" in await refused(
                ben, "give_feedback", retrieval_id=found["retrieval_id"], reward=1)
        async with connected(http_url, Authorization="Token key-admin",
                             **{"X-ASEM-User": "ana"}) as admin:
            got = await call(admin, "get_memory", note_id=note)
            assert got["content"] == secret  # untouched by ben, visible to ana's tenant

    run_bounded(scenario)


def test_http_refuses_a_request_without_a_valid_key_or_tenant(http_url):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    cases = [({}, 401, "no API key"),
             ({"Authorization": "Token nope"}, 401, "unknown or revoked API key"),
             ({"Authorization": "Basic key-ana"}, 401, "malformed Authorization"),
             ({"Authorization": "Token key-admin"}, 422, "X-ASEM-User"),
             ({"Authorization": "Token key-ana", "X-ASEM-User": "ben"}, 403, "another tenant")]

    async def scenario() -> None:
        async with httpx2.AsyncClient() as http:
            for headers, status, message in cases:
                reply = await http.post(http_url, json=ping, headers={
                    **headers, "Accept": "application/json, text/event-stream"})
                assert reply.status_code == status, (headers, reply.text)
                assert message in reply.json()["message"]
        with pytest.raises(ExceptionGroup) as refusal:  # the official client, keyless
            async with connected(http_url) as client:
                await client.list_tools()
        assert refusal.group_contains(MCPError, depth=None)

    run_bounded(scenario)


def test_without_keys_the_endpoint_serves_loopback_hosts_only(tmp_path):
    # --no-auth binds loopback only; the Host and Origin checks keep a web page that rebinds
    # its own name to 127.0.0.1 from reaching the memory.
    from fastapi.testclient import TestClient

    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream", "X-ASEM-User": "ana"}
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), manager="rule") as memory:
        app = create_app(ServerState(memory, keys=None))
        stopped = TestClient(app, base_url="http://127.0.0.1:8000")  # lifespan not run
        assert stopped.post("/mcp", json=ping, headers=accept).status_code == 503
        with TestClient(app, base_url="http://127.0.0.1:8000") as http:
            listed = http.post("/mcp", json=ping, headers=accept)
            assert listed.status_code == 200
            assert {t["name"] for t in listed.json()["result"]["tools"]} == TOOLS
            assert http.post("/mcp", json=ping, headers={
                **accept, "Host": "rebound.example"}).status_code == 421
            assert http.post("/mcp", json=ping, headers={
                **accept, "Origin": "http://rebound.example"}).status_code == 403
            unnamed = http.post("/mcp", json=ping, headers={"Accept": accept["Accept"]})
            assert unnamed.status_code == 422 and "X-ASEM-User" in unnamed.json()["message"]


# -- docs/mcp.md ----------------------------------------------------------------------------
DOC = Path(__file__).parents[1] / "docs" / "mcp.md"


def doc_blocks(language: str) -> list[str]:
    import re

    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_doc_lists_every_tool_and_its_host_configurations_parse():
    import re

    listed = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    assert listed == TOOLS | {"answer"}
    stdio, http = (json.loads(block)["mcpServers"]["asem"] for block in doc_blocks("json"))
    assert stdio["command"] == "asem" and stdio["args"][-1] == "mcp"
    assert "--user" in stdio["args"] and "--db" in stdio["args"]
    assert http["url"].endswith("/mcp") and http["headers"]["Authorization"].startswith("Bearer ")


def test_the_docs_python_client_example_runs(http_url, capsys):
    (example,) = doc_blocks("python")
    example = example.replace("http://127.0.0.1:8000/mcp", http_url).replace("YOUR_KEY", "key-ana")
    exec(compile(example, str(DOC), "exec"), {"__name__": "doc"})
    printed = capsys.readouterr().out
    assert "retrieval_id" in printed and "memories" in printed
