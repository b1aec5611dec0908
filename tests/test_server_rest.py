"""The native REST API over TestClient: every route's round trip, tenant isolation, and
JSON errors (never a traceback, never a 500 for bad input)."""

from __future__ import annotations

import doctest
import json

import pytest

import asem.server.app
import asem.server.auth
import asem.server.keys
import asem.transfer
from asem import Memory
from asem.llm import ScriptedLLM
from asem.providers import HashEmbedder
from tests.server_fixtures import serve


@pytest.fixture
def served(memory):
    return serve(memory)


def add(served, text, role="alice", **body):
    r = served.call("POST", "/v1/notes", role, json={"text": text, **body})
    assert r.status_code == 201, r.text
    return r.json()["results"][0]["note_id"]


@pytest.mark.parametrize("module", [asem.server.app, asem.server.auth, asem.server.keys,
                                    asem.transfer])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_add_text_and_chat_messages_return_the_managers_operations(served):
    r = served.call("POST", "/v1/notes", json={"text": "I adopted a dog named Buddy"})
    assert r.status_code == 201
    [first] = r.json()["results"]
    assert first["op"] == "ADD" and first["tier"] == "long_term"
    again = served.call("POST", "/v1/notes", json={"text": "i adopted a dog named  buddy"})
    assert again.json()["results"][0] == first | {"op": "NOOP", "reason": again.json()[
        "results"][0]["reason"], "tier": None}
    chat = served.call("POST", "/v1/notes", json={
        "session_id": "s1", "agent_id": "coach",
        "messages": [{"content": "I run every morning", "speaker": "alice",
                      "timestamp": "2024-05-08T13:56:00", "turn_id": "D1:1"},
                     {"content": "How far do you go?", "speaker": "coach", "turn_id": "D1:2"}]})
    ops = chat.json()["results"]
    assert [o["op"] for o in ops] == ["ADD", "ADD"]
    note = served.call("GET", f"/v1/notes/{ops[0]['note_id']}").json()
    assert (note["session_id"], note["agent_id"], note["turn_ids"]) == ("s1", "coach", ["D1:1"])
    assert note["observed_at"] == "2024-05-08T13:56:00" and note["channel"] == "rest"
    assert note["context"].startswith("alice")


def test_list_pages_and_filters(served):
    ids = [add(served, f"My favourite number is {n} and I like it", session_id=f"s{n % 2}")
           for n in range(5)]
    add(served, "Bob's own note", role="bob")
    first = served.call("GET", "/v1/notes", params={"limit": 2}).json()
    second = served.call("GET", "/v1/notes", params={"limit": 2, "offset": 2}).json()
    last = served.call("GET", "/v1/notes", params={"limit": 2, "offset": 4}).json()
    paged = first["notes"] + second["notes"] + last["notes"]
    assert sorted(n["id"] for n in paged) == sorted(ids)  # oldest first, a second in id order
    assert [(n["created_at"], n["id"]) for n in paged] == sorted(
        (n["created_at"], n["id"]) for n in paged)
    assert (first["next_offset"], last["next_offset"]) == (2, None)
    in_s1 = served.call("GET", "/v1/notes", params={"session_id": "s1"}).json()["notes"]
    assert sorted(n["id"] for n in in_s1) == sorted(ids[1::2])
    dog = add(served, "I adopted a dog named Buddy")
    assert "pets" in served.memory.get(dog, user_id="alice").tags
    tagged = served.call("GET", "/v1/notes", params={"tags": "pets"}).json()["notes"]
    assert [n["id"] for n in tagged] == [dog]
    future = served.call("GET", "/v1/notes", params={"since": "2999-01-01T00:00:00"}).json()
    assert future["notes"] == []
    served.call("DELETE", f"/v1/notes/{ids[0]}")
    assert len(served.call("GET", "/v1/notes").json()["notes"]) == 5
    every = served.call("GET", "/v1/notes", params={"include_deleted": True}).json()["notes"]
    assert len(every) == 6


def test_update_delete_undo_history_and_links(served):
    note_id = add(served, "I adopted a dog named Buddy")
    other = add(served, "Buddy the dog loves the beach")
    updated = served.call("PATCH", f"/v1/notes/{note_id}",
                          json={"content": "I adopted two dogs, Buddy and Scout",
                                "reason": "a second dog"})
    assert updated.status_code == 200 and updated.json()["content"].endswith("Scout")
    assert served.call("DELETE", f"/v1/notes/{note_id}").json() == {"note_id": note_id,
                                                                    "deleted": True}
    assert served.call("GET", f"/v1/notes/{note_id}").status_code == 404
    shown = served.call("GET", f"/v1/notes/{note_id}", params={"include_deleted": True})
    assert shown.json()["deleted_at"] is not None
    restored = served.call("POST", f"/v1/notes/{note_id}/undo")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    again = served.call("POST", f"/v1/notes/{note_id}/undo")
    assert again.status_code == 422 and again.json()["code"] == "invalid_input"
    history = served.call("GET", f"/v1/notes/{note_id}/history").json()
    assert [e["op"] for e in history["entries"]] == ["ADD", "UPDATE", "DELETE", "RESTORE"]
    assert history["entries"][1]["reason"] == "a second dog"
    assert history["entries"][2]["actor"].startswith("key:")
    links = served.call("GET", f"/v1/notes/{other}/links").json()
    assert links["note_id"] == other
    stored = served.memory.links(other, user_id="alice")
    assert [lk["target_id"] for lk in links["links"]] == [lk.target_id for lk in stored]


def test_search_then_feedback_moves_utility(served):
    note_id = add(served, "I adopted a dog named Buddy")
    add(served, "Bob adopted a dog named Rex", role="bob")
    found = served.call("POST", "/v1/search", json={"query": "what is my dog called",
                                                    "k": 3}).json()
    assert [h["note"]["id"] for h in found["hits"]] == [note_id]  # never bob's note
    assert {"score", "similarity", "lexical", "via"} <= set(found["hits"][0])
    rewarded = served.call("POST", "/v1/feedback", json={"retrieval_id": found["retrieval_id"],
                                                         "reward": 1.0})
    assert rewarded.json()["utilities"] == {note_id: {"old": 0.5, "new": pytest.approx(0.55)}}
    stolen = served.call("POST", "/v1/feedback", "bob",
                         json={"retrieval_id": found["retrieval_id"], "reward": -1.0})
    assert stolen.status_code == 404
    assert served.memory.get(note_id, user_id="alice").utility == pytest.approx(0.55)
    filtered = served.call("POST", "/v1/search", json={
        "query": "dog", "filters": {"since": "2999-01-01T00:00:00"}}).json()
    assert filtered["hits"] == []


def test_answer_is_409_without_a_language_model_and_answers_with_one(served, db_path):
    refused = served.call("POST", "/v1/answer", json={"question": "What is my dog called?"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_configured"
    llm = ScriptedLLM(default='{"evidence": [1], "answer": "Buddy"}')
    with Memory(db_path.with_name("llm.db"), embedder=HashEmbedder(), manager="rule", llm=llm,
                background=False) as memory:
        with_llm = serve(memory)
        note_id = add(with_llm, "I adopted a dog named Buddy")
        answered = with_llm.call("POST", "/v1/answer",
                                 json={"question": "What is my dog called?"}).json()
        assert answered["answer"] == "Buddy" and answered["note_ids"] == [note_id]


def test_stats_are_the_tenants_own_and_hide_the_server_path(served):
    add(served, "I adopted a dog named Buddy")
    add(served, "Bob's note about his cat", role="bob")
    stats = served.call("GET", "/v1/stats").json()
    assert stats["notes"] == 1 and "path" not in stats
    assert served.call("GET", "/v1/stats", "admin", params={"user_id": "bob"}).json()[
        "notes"] == 1


def test_export_import_round_trip_and_tenant_check(served, tmp_path):
    kept = add(served, "I adopted a dog named Buddy", session_id="s1", speaker="alice")
    gone = add(served, "I live in Paris")
    served.call("DELETE", f"/v1/notes/{gone}")
    exported = served.call("GET", "/v1/export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    records = {r["id"]: r for r in map(json.loads, exported.text.splitlines())}
    assert set(records) == {kept, gone}
    assert [e["op"] for e in records[gone]["history"]] == ["ADD", "DELETE"]
    assert records[kept]["speaker"] == "alice" and records[gone]["deleted_at"]

    with Memory(tmp_path / "other.db", embedder=HashEmbedder(), manager="rule") as other:
        target = serve(other)
        ndjson = {"content-type": "application/x-ndjson"}
        done = target.call("POST", "/v1/import", content=exported.text, headers=ndjson)
        assert done.json() == {"added": 1, "already_stored": 0, "skipped_deleted": 1}
        [copy] = other.list_notes("alice")
        assert (copy.content, copy.scope.session_id, copy.speaker, copy.provenance.channel) == (
            "I adopted a dog named Buddy", "s1", "alice", "import")
        twice = target.call("POST", "/v1/import", content=exported.text, headers=ndjson)
        assert twice.json() == {"added": 0, "already_stored": 1, "skipped_deleted": 1}
        foreign = target.call("POST", "/v1/import", "bob", content=exported.text,
                              headers=ndjson)
        assert foreign.status_code == 403 and other.list_notes("bob") == []
        bad = target.call("POST", "/v1/import", content='{"content": "ok"}\nnot json\n',
                          headers=ndjson)
        assert bad.status_code == 422 and "line 2" in bad.json()["message"]
        assert other.list_notes("alice") == [copy]  # nothing of the bad file was written


def test_admin_deletes_a_whole_user_only_when_confirmed(served):
    ids = [add(served, f"Note number {n} of alice about topic {n}") for n in range(3)]
    bob = add(served, "Bob's note", role="bob")
    unconfirmed = served.call("DELETE", "/v1/users/alice", "admin")
    assert unconfirmed.status_code == 422 and "confirm=alice" in unconfirmed.json()["message"]
    wrong = served.call("DELETE", "/v1/users/alice", "admin", params={"confirm": "bob"})
    assert wrong.status_code == 422 and len(served.memory.list_notes("alice")) == 3
    assert served.call("DELETE", "/v1/users/alice", "alice",
                       params={"confirm": "alice"}).status_code == 403
    done = served.call("DELETE", "/v1/users/alice", "admin", params={"confirm": "alice"})
    assert done.json() == {"user_id": "alice", "deleted": 3}
    assert served.memory.list_notes("alice") == []
    assert served.memory.get(bob, user_id="bob").content == "Bob's note"
    back = served.call("POST", f"/v1/notes/{ids[0]}/undo")  # soft: each one can come back
    assert back.status_code == 200


def test_a_body_over_the_limit_is_413_declared_or_streamed(memory):
    small = serve(memory, max_body_bytes=200)
    declared = small.call("POST", "/v1/notes", json={"text": "x" * 500})
    assert declared.status_code == 413 and declared.json()["code"] == "too_large"

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b'{"text": "' + b"x" * 50 + b'"}'

    streamed = small.call("POST", "/v1/notes", content=chunks(),
                          headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["code"] == "too_large"
    assert memory.list_notes("alice") == []
    assert small.call("POST", "/v1/notes", json={"text": "short"}).status_code == 201


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", "/v1/notes", {"content": b"{not json", "headers": {"content-type":
                                                                "application/json"}}),
    ("POST", "/v1/notes", {"json": {"text": "a", "messages": []}}),
    ("POST", "/v1/notes", {"json": {"text": ""}}),
    ("POST", "/v1/notes", {"json": {"text": "\x00\x01"}}),
    ("POST", "/v1/notes", {"json": {"messages": []}}),
    ("POST", "/v1/notes", {"json": {"text": "hi", "agent_id": "  "}}),
    ("POST", "/v1/notes", {"json": {"text": "hi", "unknown": 1}}),
    ("POST", "/v1/notes", {"json": {"messages": [{"content": 5}]}}),
    ("POST", "/v1/search", {"json": {"query": "x", "k": 0}}),
    ("POST", "/v1/search", {"json": {"query": "x", "filters": {
        "since": "2024-02-01T00:00:00", "until": "2024-01-01T00:00:00"}}}),
    ("POST", "/v1/search", {"json": {"query": "x", "filters": {"tier": "discard"}}}),
    ("POST", "/v1/search", {"json": []}),
    ("POST", "/v1/feedback", {"json": {"retrieval_id": "x", "reward": 2}}),
    ("POST", "/v1/feedback", {"json": {"retrieval_id": "x", "reward": "nan"}}),
    ("GET", "/v1/notes", {"params": {"limit": 0}}),
    ("GET", "/v1/notes", {"params": {"since": "yesterday-ish"}}),
    ("POST", "/v1/import", {"content": b"\xff\xfe", "headers": {"content-type":
                                                                 "application/x-ndjson"}}),
    ("POST", "/v1/import", {"content": b'[1, 2]', "headers": {"content-type":
                                                                "application/x-ndjson"}}),
    ("POST", "/v1/import", {"content": b'{"content": "x", "turn_ids": 5}',
                            "headers": {"content-type": "application/x-ndjson"}}),
    ("POST", "/v1/import", {"content": b'{"content": "x", "source_id": 5}',
                            "headers": {"content-type": "application/x-ndjson"}}),
    ("POST", "/v1/import", {"content": b'{"content": "x", "observed_at": "soon"}',
                            "headers": {"content-type": "application/x-ndjson"}}),
])
def test_bad_input_is_a_422_json_error(served, method, path, kwargs):
    r = served.call(method, path, **kwargs)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"code", "message"} and r.json()["message"]
    assert "Traceback" not in r.text


def test_unknown_routes_and_methods_are_json_errors(served):
    assert served.call("GET", "/v1/nothing").json()["code"] == "not_found"
    r = served.call("PUT", "/v1/search")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_health_readiness_and_openapi_need_no_key(served):
    assert served.call("GET", "/healthz", None).json() == {"status": "ok"}
    assert served.call("GET", "/readyz", None).json() == {"status": "ready"}
    spec = served.call("GET", "/openapi.json", None).json()
    assert "/v1/search" in spec["paths"]
    served.memory.store.close()  # a store that no longer answers: not ready
    r = served.call("GET", "/readyz", None)
    assert r.status_code == 503 and r.json()["code"] == "not_ready"


def test_shutdown_closes_the_memory(db_path):
    from fastapi.testclient import TestClient

    from asem.server.app import create_app
    from asem.server.state import ServerState

    memory = Memory(db_path, embedder=HashEmbedder(), manager="rule")
    with TestClient(create_app(ServerState(memory, keys=None))) as client:
        assert client.post("/v1/notes", json={"text": "hello there", "user_id": "a"}
                           ).status_code == 201
    with pytest.raises(Exception, match="closed"):
        memory.store.get_notes(["x"])
