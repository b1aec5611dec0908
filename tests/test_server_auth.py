"""Who may call what, for EVERY route of the app: the matrix is generated from /openapi.json,
so a route added later is tested without anyone listing it.

Every operation is called with no key and with a revoked key (401). Every operation but
those of the mem0-compatible routes (whose tenant travels in mem0's own places, filters and
query; tests/test_server_mem0.py drives them through mem0's client, isolation included) is
also called with another tenant's key (naming alice, and for a note route also not naming
her), an admin key (naming alice, and naming nobody), and alice's own key. Requests are built
from the schema: path ids are a real note of alice's, bodies are the request model's example
(with a real retrieval id and note ids). A refused request must leave alice's notes and their
history exactly as they were.
"""

from __future__ import annotations

import pytest

from asem import Memory
from asem.providers import HashEmbedder
from asem.server.keys import StoreKeyRing, secret_hash, split_key
from tests.server_fixtures import serve

PUBLIC = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PREPARE = {("POST", "/v1/notes/{note_id}/undo"): "delete",
           ("POST", "/v1/notes/{note_id}/release"): "quarantine",
           ("POST", "/v1/notes/{note_id}/restore"): "archive"}
"""A route whose success needs the note in another state first."""
QUERY_FILL = {"confirm": "alice"}
"""Query parameters a successful call needs, by name."""
TENANT_TESTED_ELSEWHERE = {"mem0"}
"""Tags of operations whose tenant cases another test file covers."""


def _spec() -> dict:
    with Memory(":memory:", embedder=HashEmbedder(), manager="rule") as memory:
        return serve(memory).client.get("/openapi.json").json()


SPEC = _spec()
OPERATIONS = [(method.upper(), path) for path, ops in SPEC["paths"].items()
              for method in ops if path not in PUBLIC]
TENANT_OPERATIONS = [(m, p) for m, p in OPERATIONS
                     if not TENANT_TESTED_ELSEWHERE & set(SPEC["paths"][p][m.lower()]["tags"])]
KEYLESS_CASES = ["no key", "revoked key"]
CASES = ["other tenant naming alice", "other tenant on alice's note", "admin naming alice",
         "admin naming nobody", "own key"]


def _operation(method: str, path: str) -> dict:
    return SPEC["paths"][path][method.lower()]


def _schema(ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _tenant_params(op: dict) -> tuple[bool, bool, bool]:
    """(user_id in the query, user_id in the body, a note id in the path)."""
    params = op.get("parameters", [])
    query = any(p["name"] == "user_id" and p["in"] == "query" for p in params)
    note = any(p["in"] == "path" and p["name"] != "user_id" for p in params)
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    in_body = body is not None and "user_id" in _schema(body["schema"]).get("properties", {})
    return query, in_body, note


def _request(method: str, path: str, note_id: str, retrieval_id: str,
             user_id: str | None, body_needed: bool = True) -> dict:
    op = _operation(method, path)
    url = path.replace("{user_id}", "alice")
    params: dict[str, str] = {}
    for p in op.get("parameters", []):
        if p["in"] == "path" and p["name"] != "user_id":
            url = url.replace("{" + p["name"] + "}", note_id)
        elif p["in"] == "query" and p["name"] in QUERY_FILL:
            params[p["name"]] = QUERY_FILL[p["name"]]
    if user_id is not None and _tenant_params(op)[0]:
        params["user_id"] = user_id
    kwargs: dict = {"params": params}
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = _schema(content["application/json"]["schema"])
        if not body_needed and not schema.get("examples"):
            return {"method": method, "path": url, **kwargs, "json": {}}
        assert schema.get("examples"), f"{method} {path}: give its request model an example"
        body = dict(schema["examples"][0])
        for name, value in (("retrieval_id", retrieval_id), ("note_ids", [note_id])):
            if name in body:
                body[name] = value
        if user_id is not None:
            body["user_id"] = user_id
        kwargs["json"] = body
    elif content:
        [(media, spec)] = content.items()
        assert "example" in spec, f"{method} {path}: give its {media} body an example"
        kwargs |= {"content": spec["example"], "headers": {"content-type": media}}
    return {"method": method, "path": url, **kwargs}


def _ok(op: dict, status: int) -> bool:
    """Success, or a conflict the route documents (answer on a server without a model)."""
    return status < 300 or (status == 409 and "409" in op.get("responses", {}))


@pytest.fixture
def world():
    with Memory(":memory:", embedder=HashEmbedder(), manager="rule") as memory:
        served = serve(memory)
        note_id = memory.add("I adopted a dog named Buddy", user_id="alice")[0].note_id
        memory.add("Bob adopted a cat named Tom", user_id="bob")
        retrieval_id = memory.search("dog", user_id="alice").retrieval_id
        yield served, note_id, retrieval_id


def test_the_matrix_covers_the_api():
    assert len(TENANT_OPERATIONS) >= 14
    for method, path in TENANT_OPERATIONS:
        query, body, note = _tenant_params(_operation(method, path))
        assert query or body or "{user_id}" in path, f"{method} {path} names no tenant"
    assert set(PREPARE) <= set(OPERATIONS)


@pytest.mark.parametrize("case", KEYLESS_CASES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=lambda x: x)
def test_every_route_refuses_a_request_without_a_live_key(world, method, path, case):
    served, note_id, retrieval_id = world
    before = list(served.memory.export("alice"))
    request = _request(method, path, note_id, retrieval_id, "alice", body_needed=False)
    role = None if case == "no key" else "revoked"
    r = served.call(request.pop("method"), request.pop("path"), role, **request)
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "unauthenticated" and r.headers["www-authenticate"] == "Token"
    assert list(served.memory.export("alice")) == before


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("method", "path"), TENANT_OPERATIONS, ids=lambda x: x)
def test_route_by_key(world, method, path, case):
    served, note_id, retrieval_id = world
    op = _operation(method, path)
    query, body, note = _tenant_params(op)
    if PREPARE.get((method, path)) == "delete":
        served.memory.delete(note_id, user_id="alice")
    if PREPARE.get((method, path)) == "quarantine":
        served.memory.quarantine(note_id, user_id="alice")
    if PREPARE.get((method, path)) == "archive":
        served.memory.store.archive([(note_id, "over budget")], "maintenance")
    role, user_id = {
        "other tenant naming alice": ("bob", "alice"),
        "other tenant on alice's note": ("bob", None),
        "admin naming alice": ("admin", "alice"), "admin naming nobody": ("admin", None),
        "own key": ("alice", None),
    }[case]
    if case == "other tenant on alice's note" and not note:
        pytest.skip("no note in the path: bob acting for himself is his own business")
    if case == "admin naming nobody" and not (query or body):
        pytest.skip("the tenant is in the path")
    before = list(served.memory.export("alice"))
    request = _request(method, path, note_id, retrieval_id, user_id)
    r = served.call(request.pop("method"), request.pop("path"), role, **request)
    assert set(r.json()) == {"code", "message"} if r.status_code >= 400 else True, r.text
    expected = {
        "other tenant naming alice": 403,
        "other tenant on alice's note": 404, "admin naming nobody": 422,
        "own key": 403 if op.get("x-admin-only") else None, "admin naming alice": None,
    }[case]
    if expected is None:
        assert _ok(op, r.status_code), (r.status_code, r.text)
    else:
        assert r.status_code == expected, r.text
        assert list(served.memory.export("alice")) == before  # nothing of alice's changed


def test_keys_are_stored_hashed_and_revocation_is_immediate(memory):
    ring = StoreKeyRing(memory.store)
    key, raw = ring.create(user_id="alice", name="laptop")
    key_id, secret = split_key(raw)  # type: ignore[misc]
    assert key_id == key.id
    stored, digest = memory.store.api_key(key.id)  # type: ignore[misc]
    assert digest == secret_hash(secret) and secret not in digest
    assert (stored.user_id, stored.name, stored.admin, stored.revoked_at) == (
        "alice", "laptop", False, None)
    served = serve(memory)
    headers = {"Authorization": f"Bearer {raw}"}
    assert served.client.get("/v1/stats", headers=headers).status_code == 200
    ring.revoke(key.id)
    assert served.client.get("/v1/stats", headers=headers).status_code == 401
    tampered = raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")
    ring2_key, raw2 = ring.create(user_id="alice")
    assert ring.principal(raw2) is not None and ring.principal(raw2[:-2] + "xx") is None
    assert ring.principal(tampered) is None and ring.principal("not-a-key") is None
    assert [k.id for k in ring.list()][-1] == ring2_key.id


@pytest.mark.parametrize("header", ["", "Token", "Basic abc", "Token asem_nope_nope",
                                    "Bearer " + "x" * 300])
def test_malformed_or_unknown_keys_are_401(memory, header):
    served = serve(memory)
    r = served.client.get("/v1/stats", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"
