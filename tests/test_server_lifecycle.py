"""The lifecycle routes: maintain (tenant and admin), confirm, restore, forget, and feedback
with an episode."""

from __future__ import annotations

import pytest

from tests.server_fixtures import serve
from tests.test_server_rest import add


@pytest.fixture
def served(memory):
    return serve(memory)


def test_a_tenant_maintains_its_own_notes_an_admin_sets_the_budget(served):
    notes = [add(served, f"The {w} is blue") for w in ("sky", "sea", "car")]
    add(served, "Bob's note", role="bob")
    r = served.call("POST", "/v1/maintain", json={"dry_run": True})
    assert r.status_code == 200, r.text
    assert r.json()["users"][0]["user_id"] == "alice" and r.json()["users"][0]["evicted"] == []
    r = served.call("POST", "/v1/maintain", json={"max_notes": 1})
    assert r.status_code == 403 and "admin key" in r.json()["message"]
    r = served.call("POST", "/v1/maintain", json={"user_id": "bob"})
    assert r.status_code == 403
    r = served.call("POST", "/v1/maintain", "admin", json={"user_id": "alice", "max_notes": 1})
    assert r.status_code == 200, r.text
    (report,) = r.json()["users"]
    assert report["notes_after"] == 1 and len(report["evicted"]) == 2
    gone = report["evicted"][0]["note_id"]
    assert gone in notes
    stats = served.call("GET", "/v1/stats").json()
    assert stats["notes"] == 1 and stats["lifecycle"]["archived"] == 2
    assert served.call("POST", f"/v1/notes/{gone}/restore", "bob").status_code == 404
    r = served.call("POST", f"/v1/notes/{gone}/restore")
    assert r.status_code == 200 and r.json()["archived_at"] is None
    r = served.call("POST", "/v1/maintain", "admin", json={"all_users": True, "dry_run": True})
    assert {u["user_id"] for u in r.json()["users"]} == {"alice", "bob"}


def test_confirm_and_forget_a_note(served):
    note = add(served, "My PIN is 4921")
    r = served.call("POST", f"/v1/notes/{note}/confirm")
    assert r.status_code == 200 and r.json()["tier"] == "long_term"
    assert served.call("POST", f"/v1/notes/{note}/forget", "bob").status_code == 404
    r = served.call("POST", f"/v1/notes/{note}/forget")
    assert r.status_code == 200 and r.json() == {"user_id": "alice", "forgotten": 1,
                                                 "note_id": note}
    assert served.call("GET", f"/v1/notes/{note}").status_code == 404


def test_only_an_admin_forgets_a_whole_user_and_only_when_confirmed(served):
    add(served, "Bob's note", role="bob")
    assert served.call("POST", "/v1/users/bob/forget", "alice").status_code == 403
    assert served.call("POST", "/v1/users/bob/forget", "admin").status_code == 422
    r = served.call("POST", "/v1/users/bob/forget?confirm=bob", "admin")
    assert r.status_code == 200 and r.json()["forgotten"] == 1
    assert served.call("GET", "/v1/stats", "bob").json()["notes"] == 0


def test_feedback_with_an_episode_keeps_an_experience_note(served):
    add(served, "Buddy is allergic to chicken")
    search = served.call("POST", "/v1/search", json={"query": "Buddy allergy"}).json()
    r = served.call("POST", "/v1/feedback", json={"retrieval_id": search["retrieval_id"],
                                                  "reward": 1.0, "episode": "chicken"})
    assert r.status_code == 200, r.text
    experience = r.json()["experience_id"]
    note = served.call("GET", f"/v1/notes/{experience}").json()
    assert note["channel"] == "experience" and "Answered: chicken." in note["content"]
