"""The real ``mem0ai`` MemoryClient against a real ASEM server (uvicorn on 127.0.0.1).

mem0's telemetry is switched off before the client is imported (MEM0_TELEMETRY=False; it is
read once, at import), and MEM0_DIR keeps the client's config file out of the home folder.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

os.environ["MEM0_TELEMETRY"] = "False"
os.environ.setdefault("MEM0_DIR", tempfile.mkdtemp(prefix="mem0-client-"))
uvicorn = pytest.importorskip("uvicorn")
mem0_client = pytest.importorskip("mem0.client.main")
from mem0.exceptions import (  # noqa: E402
    AuthenticationError,
    MemoryNotFoundError,
    ValidationError,
)
from mem0.exceptions import MemoryError as Mem0Error  # noqa: E402

from asem import Memory  # noqa: E402
from asem.providers import HashEmbedder  # noqa: E402
from asem.server.app import create_app  # noqa: E402
from asem.server.auth import Principal  # noqa: E402
from asem.server.state import ServerState  # noqa: E402
from asem.types import Decision, Op, Tier  # noqa: E402
from asem.write.manager import Proposal, RuleManager  # noqa: E402

MemoryClient = mem0_client.MemoryClient


class DictKeyRing:
    """Raw key -> principal, for tests (the server's persistent keys live elsewhere)."""

    def __init__(self) -> None:
        self.keys: dict[str, Principal] = {}

    def principal(self, raw_key: str) -> Principal | None:
        return self.keys.get(raw_key)


class ScriptedManager:
    """The rule manager, except that "Actually, ..." updates the nearest note with the rest,
    "Forget ..." deletes the nearest note and "ok" is small talk (stored nowhere)."""

    def decide(self, proposal: Proposal) -> Decision:
        nearest = proposal.candidates[0].note_id if proposal.candidates else None
        if proposal.content.startswith("Actually, ") and nearest:
            return Decision(Op.UPDATE, nearest, merged_content=proposal.content[10:])
        if proposal.content.startswith("Forget ") and nearest:
            return Decision(Op.DELETE, nearest, tier=Tier.DISCARD)
        if proposal.content == "ok":
            return Decision(Op.ADD, tier=Tier.DISCARD, reason="small talk")
        return RuleManager().decide(proposal)


class Server:
    def __init__(self, memory: Memory, keys: DictKeyRing) -> None:
        self.memory, self.keys = memory, keys
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(ServerState(memory, keys)), log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._sock.close()

    def client(self, user_id: str | None, *, admin: bool = False) -> MemoryClient:
        """A mem0 client holding a new key of ``user_id`` (or an admin key)."""
        key = f"key-{len(self.keys.keys)}-{user_id}"
        self.keys.keys[key] = Principal(user_id, admin=admin, key_id=key)
        return MemoryClient(api_key=key, host=self.url)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("mem0") / "m.db"
    with Memory(path, embedder=HashEmbedder(), manager=ScriptedManager()) as memory, \
            Server(memory, DictKeyRing()) as running:
        yield running


_users = iter(range(10**6))


@pytest.fixture
def user() -> str:
    """A tenant of its own for each test (the server is shared by the module)."""
    return f"user{next(_users)}"


def test_telemetry_is_off_so_no_call_waits_on_the_network():
    import mem0.memory.telemetry as telemetry

    assert telemetry.MEM0_TELEMETRY is False
    assert telemetry.client_telemetry.posthog is None


def test_a_wrong_key_is_refused_when_the_client_is_created(server):
    with pytest.raises(ValueError, match="unknown or revoked API key"):
        MemoryClient(api_key="not-a-key", host=server.url)


def test_a_revoked_key_raises_the_clients_auth_error(server, user):
    client = server.client(user)
    del server.keys.keys[client.api_key]
    with pytest.raises(AuthenticationError, match="unknown or revoked"):
        client.search("anything", filters={"user_id": user})


def test_add_maps_scope_and_events_and_get_reads_the_memory(server, user):
    client = server.client(user)
    added = client.add([{"role": "user", "content": "I adopted a dog named Buddy"},
                        {"role": "user", "content": "ok"}],
                       user_id=user, agent_id="coach", run_id="chat-1")
    first, small_talk = added["results"]
    assert first["event"] == "ADD" and first["memory"] == "I adopted a dog named Buddy"
    assert small_talk == {"id": None, "memory": "ok", "event": "NONE"}

    record = client.get(first["id"])
    assert {k: record[k] for k in ("id", "memory", "user_id", "agent_id", "run_id")} == {
        "id": first["id"], "memory": "I adopted a dog named Buddy", "user_id": user,
        "agent_id": "coach", "run_id": "chat-1"}
    assert record["created_at"].endswith("+00:00")
    note = server.memory.get(first["id"], user_id=user)
    assert (note.scope.agent_id, note.scope.session_id) == ("coach", "chat-1")

    again = client.add("I adopted a dog named Buddy", user_id=user, agent_id="coach",
                       run_id="chat-1")
    assert again["results"] == [{"id": first["id"], "memory": "I adopted a dog named Buddy",
                                 "event": "NONE"}]


def test_add_reports_update_and_delete_events(server, user):
    client = server.client(user)
    first = client.add("My favourite colour is blue", user_id=user)["results"][0]
    updated = client.add("Actually, my favourite colour is green", user_id=user)["results"]
    assert updated == [{"id": first["id"], "memory": "my favourite colour is green",
                        "event": "UPDATE"}]
    deleted = client.add("Forget my favourite colour", user_id=user)["results"]
    assert deleted == [{"id": first["id"], "memory": "my favourite colour is green",
                        "event": "DELETE"}]
    with pytest.raises(MemoryNotFoundError):
        client.get(first["id"])


def test_infer_false_stores_each_message_as_said(server, user):
    client = server.client(user)
    client.add("I adopted a dog named Buddy", user_id=user)
    # A near repeat is known already (NONE) when inferred, and stored as said when not.
    inferred = client.add("I adopted a dog named Buddy!", user_id=user)["results"][0]
    assert inferred["event"] == "NONE"
    verbatim = client.add("I adopted a dog named Buddy!", user_id=user, infer=False)
    (result,) = verbatim["results"]
    assert result["event"] == "ADD" and result["memory"] == "I adopted a dog named Buddy!"
    assert server.memory.get(result["id"], user_id=user).content == "I adopted a dog named Buddy!"


def test_add_takes_the_unix_timestamp_as_when_it_was_said(server, user):
    client = server.client(user)
    result = client.add("I ran a marathon", user_id=user, timestamp=1_700_000_000)
    note = server.memory.get(result["results"][0]["id"], user_id=user)
    assert note.observed_at.isoformat() == "2023-11-14T22:13:20"
    with pytest.raises(ValidationError, match="Unix seconds"):
        client.add("I ran a marathon", user_id=user, timestamp=10**20)


def test_search_filters_on_user_agent_and_run_and_takes_top_k(server, user):
    client = server.client(user)
    client.add("I play the violin", user_id=user, agent_id="music", run_id="r1")
    client.add("I play the violin in an orchestra", user_id=user, agent_id="music",
               run_id="r2")
    client.add("I play the violin at home", user_id=user, agent_id="other")

    def contents(**filters) -> list[str]:
        found = client.search("violin", filters={"user_id": user, **filters}, top_k=5)
        assert found["retrieval_id"]
        return sorted(r["memory"] for r in found["results"])

    assert len(contents()) == 3
    assert contents(agent_id="music") == ["I play the violin",
                                          "I play the violin in an orchestra"]
    assert contents(agent_id="music", run_id="r2") == ["I play the violin in an orchestra"]
    assert contents(agent_id="*") == contents()
    anded = client.search("violin", filters={"AND": [{"user_id": user},
                                                     {"agent_id": "other"}]})
    assert [r["memory"] for r in anded["results"]] == ["I play the violin at home"]
    top = client.search("violin", filters={"user_id": user}, top_k=1)["results"]
    assert len(top) == 1 and {"score", "similarity"} <= set(top[0])
    assert client.search("violin", filters={"user_id": user}, threshold=1.01)["results"] == []


def test_search_refuses_a_filter_asem_cannot_apply(server, user):
    client = server.client(user)
    with pytest.raises(ValidationError, match="app_id"):
        client.search("violin", filters={"user_id": user, "app_id": "x"})
    with pytest.raises(ValidationError, match="user_id is given twice"):
        client.search("violin", filters={"AND": [{"user_id": user}, {"user_id": "other"}]})


def test_get_all_pages_through_the_scope(server, user):
    client = server.client(user)
    for i in range(5):
        client.add(f"Fact {i}: my locker number is {100 + i}", user_id=user, agent_id="a")
    client.add("A note of another agent", user_id=user, agent_id="b")

    first = client.get_all(filters={"user_id": user, "agent_id": "a"}, page=1, page_size=2)
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get_all(filters={"user_id": user, "agent_id": "a"}, page=3, page_size=2)
    assert len(last["results"]) == 1 and last["next"] is None and "page=2" in last["previous"]
    everything = client.get_all(filters={"user_id": user})
    assert everything["count"] == 6 and len(everything["results"]) == 6
    assert client.get_all()["count"] == 6  # a user key's own user by default
    assert {r["memory"] for r in everything["results"]} >= {"A note of another agent"}


def test_update_and_history(server, user):
    client = server.client(user)
    memory_id = client.add("I live in Lisbon", user_id=user)["results"][0]["id"]
    updated = client.update(memory_id, text="I live in Porto")
    assert updated["id"] == memory_id and updated["memory"] == "I live in Porto"
    assert client.get(memory_id)["memory"] == "I live in Porto"
    with pytest.raises(ValidationError, match="send text"):
        client.update(memory_id, metadata={"city": "Porto"})

    client.delete(memory_id)
    history = client.history(memory_id)
    assert [(h["event"], h["old_memory"], h["new_memory"]) for h in history] == [
        ("ADD", None, "I live in Lisbon"),
        ("UPDATE", "I live in Lisbon", "I live in Porto"),
        ("DELETE", "I live in Porto", None)]
    assert history[-1]["is_deleted"] is True
    server.memory.undo_delete(memory_id, user_id=user)
    assert [(h["event"], h["new_memory"]) for h in client.history(memory_id)][-1] == (
        "ADD", "I live in Porto")


def test_delete_removes_one_memory(server, user):
    client = server.client(user)
    keep = client.add("I like tea", user_id=user)["results"][0]["id"]
    gone = client.add("I like sailing boats", user_id=user)["results"][0]["id"]
    assert client.delete(gone) == {"message": "Memory deleted successfully!"}
    with pytest.raises(MemoryNotFoundError):
        client.get(gone)
    assert [r["id"] for r in client.get_all(filters={"user_id": user})["results"]] == [keep]


def test_delete_all_deletes_one_tenants_scope_only(server, user):
    client, other = server.client(user), server.client(user + "-other")
    client.add("I like tea", user_id=user, agent_id="a")
    kept = client.add("I like sailing boats", user_id=user, agent_id="b")["results"][0]["id"]
    theirs = other.add("I like tea", user_id=user + "-other")["results"][0]["id"]

    with pytest.raises(AuthenticationError, match="another tenant"):
        client.delete_all(user_id=user + "-other")
    with pytest.raises(ValidationError, match="name what to delete"):
        client.delete_all()
    assert other.get(theirs)["memory"] == "I like tea"

    assert client.delete_all(user_id=user, agent_id="a")["deleted"] == 1
    assert [r["id"] for r in client.get_all(filters={"user_id": user})["results"]] == [kept]
    assert client.delete_all(user_id=user)["deleted"] == 1
    assert client.get_all(filters={"user_id": user})["count"] == 0
    assert other.get(theirs)["memory"] == "I like tea"


def test_feedback_labels_reward_the_memory_through_its_latest_retrieval(server, user):
    client = server.client(user)
    memory_id = client.add("I adopted a dog named Buddy", user_id=user)["results"][0]["id"]
    found = client.search("dog Buddy", filters={"user_id": user})
    assert found["results"][0]["id"] == memory_id

    answer = client.feedback(memory_id, "POSITIVE", feedback_reason="right dog")
    assert answer["retrieval_id"] == found["retrieval_id"] and answer["reward"] == 1.0
    assert answer["utility"] == pytest.approx(0.55)
    client.feedback(memory_id, "NEGATIVE")
    client.feedback(memory_id, "VERY_NEGATIVE")
    expected = 0.55 + 0.1 * (-0.5 - 0.55)
    expected += 0.1 * (-1.0 - expected)
    assert server.memory.get(memory_id, user_id=user).utility == pytest.approx(expected)
    with pytest.raises(ValidationError, match="cannot take back"):
        client.feedback(memory_id, None)


def test_batch_update_and_batch_delete(server, user):
    client = server.client(user)
    ids = [client.add(t, user_id=user)["results"][0]["id"]
           for t in ("I own a bicycle", "I speak Portuguese", "I grow tomatoes")]
    answer = client.batch_update([{"memory_id": ids[0], "text": "I own two bicycles"},
                                  {"memory_id": ids[1], "text": "I speak Spanish"}])
    assert answer == {"message": "Successfully updated 2 memories"}
    assert [client.get(i)["memory"] for i in ids[:2]] == ["I own two bicycles",
                                                          "I speak Spanish"]
    assert client.batch_delete([{"memory_id": ids[0]}, {"memory_id": ids[2]}]) == {
        "message": "Successfully deleted 2 memories"}
    assert [r["id"] for r in client.get_all(filters={"user_id": user})["results"]] == [ids[1]]


def test_a_batch_with_an_id_of_another_tenant_changes_nothing(server, user):
    client, other = server.client(user), server.client(user + "-other")
    mine = client.add("I own a bicycle", user_id=user)["results"][0]["id"]
    theirs = other.add("I own a kayak", user_id=user + "-other")["results"][0]["id"]
    with pytest.raises(MemoryNotFoundError):
        client.batch_update([{"memory_id": mine, "text": "I own a car"},
                             {"memory_id": theirs, "text": "I own a car"}])
    with pytest.raises(MemoryNotFoundError):
        client.batch_delete([{"memory_id": mine}, {"memory_id": theirs}])
    assert client.get(mine)["memory"] == "I own a bicycle"
    assert other.get(theirs)["memory"] == "I own a kayak"


def test_tenants_are_isolated_through_the_client(server, user):
    alice, bob = server.client(user), server.client(user + "-bob")
    note = alice.add("My bank PIN hint is my cat's name", user_id=user)["results"][0]["id"]

    with pytest.raises(AuthenticationError, match="another tenant"):
        bob.add("I am alice now", user_id=user)
    with pytest.raises(AuthenticationError, match="another tenant"):
        bob.search("PIN", filters={"user_id": user})
    with pytest.raises(AuthenticationError, match="another tenant"):
        bob.get_all(filters={"user_id": user})
    for call in (lambda: bob.get(note), lambda: bob.history(note),
                 lambda: bob.update(note, text="hacked"), lambda: bob.delete(note),
                 lambda: bob.feedback(note, "VERY_NEGATIVE")):
        with pytest.raises(MemoryNotFoundError):
            call()
    assert bob.search("PIN hint cat", filters={"user_id": user + "-bob"})["results"] == []
    kept = alice.get(note)
    assert kept["memory"] == "My bank PIN hint is my cat's name"
    assert server.memory.get(note, user_id=user).utility == 0.5


def test_an_admin_key_names_the_tenant(server, user):
    admin = server.client(None, admin=True)
    added = admin.add("I collect stamps", user_id=user)["results"][0]
    found = admin.search("stamps", filters={"user_id": user})["results"]
    assert [r["id"] for r in found] == [added["id"]]
    with pytest.raises(ValidationError, match="name the user with user_id"):
        admin.get(added["id"])  # mem0's get sends no user_id
    named = admin.client.get(f"/v1/memories/{added['id']}/", params={"user_id": user})
    assert named.status_code == 200 and named.json()["memory"] == "I collect stamps"


def test_mem0_apis_asem_does_not_serve_say_so(server, user):
    client = server.client(user)
    with pytest.raises(Mem0Error, match="does not serve mem0's entities"):
        client.users()


def test_the_async_client_calls_the_same_routes(server, user):
    import asyncio

    client = server.client(user)
    key = client.api_key

    async def round_trip() -> tuple[dict, dict]:
        async with mem0_client.AsyncMemoryClient(api_key=key, host=server.url) as aclient:
            added = await aclient.add("I keep bees", user_id=user)
            found = await aclient.search("bees", filters={"user_id": user})
            return added, found

    added, found = asyncio.run(round_trip())
    assert added["results"][0]["event"] == "ADD"
    assert [r["id"] for r in found["results"]] == [added["results"][0]["id"]]
