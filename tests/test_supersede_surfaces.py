"""Supersession beyond search: export and import keep validity, listings leave past facts out
by default, and the REST, mem0 and MCP surfaces take ``as_of`` and ``include_superseded``.
A scripted policy supersedes on every change (HashEmbedder: exact expectations)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from asem import Memory
from asem.errors import InvalidInputError
from asem.providers import HashEmbedder
from asem.server.mcp import MemoryTools
from asem.transfer import to_json_line
from asem.types import Op, Scope
from tests import test_write_decisions
from tests.server_fixtures import serve
from tests.test_write_decisions import nearest

BOSTON, DENVER, AUSTIN = "I live in Boston", "I live in Denver now", "I live in Austin now"
SAID, CHANGED, LATER = datetime(2024, 1, 10, 9), datetime(2024, 6, 1, 18), datetime(2024, 9, 1)
BEFORE = datetime(2024, 3, 1)
QUERY = "where do I live"

scripted = test_write_decisions.scripted  # the fixture: a memory deciding by a script


@pytest.fixture
def moved(scripted):
    """A memory where alice lived in Boston, then Denver (from CHANGED): its note ids."""
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    (a,) = memory.add(BOSTON, user_id="alice", timestamp=SAID)
    (b,) = memory.add(DENVER, user_id="alice", timestamp=CHANGED)
    assert b.op is Op.SUPERSEDE
    return memory, a.note_id, b.added_id


def contents(hits) -> list[str]:
    return [h.note.content for h in hits]


def by_content(memory: Memory) -> dict:
    """alice's notes, past facts too, by content (an import stores past facts last)."""
    return {n.content: n for n in memory.list_notes("alice", include_superseded=True)}


def round_trip(memory: Memory) -> Memory:
    lines = [to_json_line(r) for r in memory.export("alice")]
    target = Memory(":memory:", embedder=HashEmbedder(), manager="always-add")
    target.import_notes(lines, user_id="alice")
    return target


# -- export and import -----------------------------------------------------------------------
def test_an_import_keeps_a_past_fact_past(moved):
    memory, _, _ = moved
    with round_trip(memory) as target:
        assert contents(target.search(QUERY, user_id="alice")) == [DENVER]
        hits = target.search(QUERY, user_id="alice", include_superseded=True)
        assert {(h.note.content, h.superseded) for h in hits} == {(BOSTON, True),
                                                                  (DENVER, False)}
        assert contents(target.search(QUERY, user_id="alice", as_of=BEFORE)) == [BOSTON]
        assert contents(target.search(QUERY, user_id="alice", as_of=CHANGED)) == [DENVER]


def test_an_import_restores_validity_and_the_successor_links(moved):
    memory, old_id, new_id = moved
    with round_trip(memory) as target:
        notes = by_content(target)
        old, new = notes[BOSTON], notes[DENVER]
        assert len(notes) == 2 and {old.id, new.id}.isdisjoint({old_id, new_id})
        assert (old.valid_from, old.valid_until, old.superseded_by) == (None, CHANGED, new.id)
        assert (new.valid_from, new.valid_until, new.superseded_by) == (CHANGED, None, None)
        assert {(lk.target_id, lk.relation) for lk in old.links} == {(new.id, "superseded by")}
        assert {(lk.target_id, lk.relation) for lk in new.links} == {(old.id, "supersedes")}


def test_a_chain_of_changes_survives_importing_it_twice(scripted):
    memory, _ = scripted(nearest(Op.UPDATE, supersedes=True))
    for text, at in ((BOSTON, SAID), (DENVER, CHANGED), (AUSTIN, LATER)):
        memory.add(text, user_id="alice", timestamp=at)
    lines = [to_json_line(r) for r in memory.export("alice")]
    with Memory(":memory:", embedder=HashEmbedder(), manager="always-add") as target:
        first = target.import_notes(lines, user_id="alice")
        again = target.import_notes(lines, user_id="alice")
        assert (first.added, first.already_stored) == (3, 0)
        assert (again.added, again.already_stored) == (0, 3)  # nothing stored twice
        notes = by_content(target)
        boston, denver, austin = notes[BOSTON], notes[DENVER], notes[AUSTIN]
        assert len(notes) == 3 and austin.superseded_by is None
        assert (boston.superseded_by, denver.superseded_by) == (denver.id, austin.id)
        assert contents(target.search(QUERY, user_id="alice")) == [AUSTIN]
        assert contents(target.search(QUERY, user_id="alice",
                                      as_of=datetime(2024, 7, 1))) == [DENVER]


def test_a_past_fact_said_again_imports_beside_the_current_note(moved):
    memory, _, _ = moved
    lines = [to_json_line(r) for r in memory.export("alice")]
    with Memory(":memory:", embedder=HashEmbedder(), manager="always-add") as target:
        target.add(BOSTON, user_id="alice")  # current here: the import must not close it
        result = target.import_notes(lines, user_id="alice")
        assert (result.added, result.already_stored) == (2, 0)
        assert set(contents(target.search(QUERY, user_id="alice"))) == {BOSTON, DENVER}
        assert target.count_notes("alice", include_superseded=True) == 3


def test_an_import_refuses_a_bad_validity_and_writes_nothing():
    with Memory(":memory:", embedder=HashEmbedder(), manager="always-add") as target:
        for bad in ({"valid_until": "soon"}, {"valid_from": 5}, {"superseded_by": 7}):
            lines = [json.dumps({"content": AUSTIN}),
                     json.dumps({"content": BOSTON} | bad)]
            with pytest.raises(InvalidInputError, match="line 2"):
                target.import_notes(lines, user_id="alice")
        assert target.count_notes("alice", include_superseded=True) == 0


# -- listings --------------------------------------------------------------------------------
def test_list_and_count_leave_past_facts_out_unless_asked(moved):
    memory, old_id, new_id = moved
    assert [n.id for n in memory.list_notes("alice")] == [new_id]
    assert memory.count_notes("alice") == 1
    both = memory.list_notes("alice", include_superseded=True)  # one second: in id order
    assert {n.id for n in both} == {old_id, new_id}
    assert memory.count_notes("alice", include_superseded=True) == 2
    assert memory.delete_user("alice") == 2  # a user's deletion takes the past facts too
    assert memory.count_notes("alice", include_superseded=True) == 0


def test_the_rest_list_takes_include_superseded(moved):
    memory, old_id, new_id = moved
    served = serve(memory)
    listed = served.call("GET", "/v1/notes").json()["notes"]
    assert [n["id"] for n in listed] == [new_id] and listed[0]["valid_from"] == (
        CHANGED.isoformat())
    both = served.call("GET", "/v1/notes", params={"include_superseded": "true"}).json()
    past = {n["id"]: n for n in both["notes"]}
    assert set(past) == {old_id, new_id}
    assert (past[old_id]["valid_until"], past[old_id]["superseded_by"]) == (
        CHANGED.isoformat(), new_id)


def test_the_mem0_get_all_takes_include_superseded(moved):
    memory, old_id, new_id = moved
    served = serve(memory)
    current = served.call("POST", "/v3/memories/", json={"filters": {"user_id": "alice"}})
    assert current.json()["count"] == 1 and [r["id"] for r in current.json()["results"]] == [
        new_id]
    everything = served.call("POST", "/v3/memories/", json={
        "filters": {"user_id": "alice"}, "include_superseded": True}).json()
    assert everything["count"] == 2
    assert {r["id"] for r in everything["results"]} == {old_id, new_id}
    deleted = served.call("DELETE", "/v1/memories/", params={"user_id": "alice"}).json()
    assert deleted["deleted"] == 2


# -- search surfaces -------------------------------------------------------------------------
def test_the_rest_search_takes_as_of_and_include_superseded(moved):
    memory, old_id, new_id = moved
    served = serve(memory)

    def hits(**body) -> list[tuple[str, bool]]:
        r = served.call("POST", "/v1/search", json={"query": QUERY, **body})
        assert r.status_code == 200, r.text
        return [(h["note"]["id"], h["superseded"]) for h in r.json()["hits"]]

    assert hits() == [(new_id, False)]
    assert hits(as_of="2024-03-01T00:00:00") == [(old_id, True)]
    assert set(hits(include_superseded=True)) == {(old_id, True), (new_id, False)}
    both = served.call("POST", "/v1/search", json={"query": QUERY, "as_of": "2024-03-01",
                                                   "include_superseded": True})
    assert both.status_code == 422 and "not both" in both.text
    assert served.call("POST", "/v1/search", json={"query": QUERY,
                                                   "as_of": "soon"}).status_code == 422


def test_the_mcp_search_tool_takes_as_of_and_include_superseded(moved):
    memory, old_id, new_id = moved
    tools = MemoryTools(memory, lambda ctx: Scope("alice"))

    def found(**arguments) -> list[tuple[str, bool]]:
        result = tools.search_memory(QUERY, None, **arguments)  # type: ignore[arg-type]
        return [(m["id"], m["superseded"]) for m in result["memories"]]

    assert found() == [(new_id, False)]
    assert found(as_of="2024-03-01T00:00:00") == [(old_id, True)]
    assert set(found(include_superseded=True)) == {(old_id, True), (new_id, False)}
