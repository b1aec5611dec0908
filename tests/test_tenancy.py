"""Tenancy fails closed: every public call that reads or changes a note names its tenant.

The public methods of Memory are enumerated with ``inspect``, so a method added later is
checked too: it either takes ``user_id`` (and refuses to run without it, and treats another
tenant's ids as unknown) or is listed in TENANTLESS with the reason it needs no tenant.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from datetime import datetime
from typing import Any

import pytest

from asem import Memory, NotFoundError, ScopeError
from asem.aio import METHODS, AsyncMemory
from asem.errors import InvalidInputError
from asem.providers import HashEmbedder
from asem.stores.base import Supersession, WriteBatch
from asem.types import Message

TENANTLESS = {
    "use_llm": "configures the memory object; reads no note",
    "use_manager": "configures the memory object; reads no note",
    "process_llm_jobs": "runs the queued background jobs of every tenant (an operator's call)",
    "close": "closes the store",
}
NOT_A_TENANT = [None, "", "   ", 5, ["alice"], b"alice"]


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL."""
    return store_target


def public_methods() -> dict[str, Any]:
    return {name: member for name, member in inspect.getmembers(Memory, inspect.isfunction)
            if not name.startswith("_")}


def takes_user(name: str) -> bool:
    """``user_id`` is keyword-only, or the first argument of a call about the tenant as a
    whole (``stats(user_id)``, ``list_notes(user_id)``)."""
    parameters = list(inspect.signature(getattr(Memory, name)).parameters.values())[1:]
    return any(p.name == "user_id" and (p.kind is inspect.Parameter.KEYWORD_ONLY or i == 0)
               for i, p in enumerate(parameters))


SCOPED = sorted(name for name in public_methods() if name not in TENANTLESS)


@pytest.fixture
def alice(memory):
    """Alice's note and retrieval, in a memory that Bob also uses."""
    (note,) = memory.add("I adopted a dog named Buddy", user_id="alice")
    memory.add("I adopted a cat named Luna", user_id="bob")
    retrieval = memory.search("dog", user_id="alice")
    return note.note_id, retrieval.retrieval_id


def arguments(name: str, note_id: str, retrieval_id: str) -> dict[str, Any]:
    """Valid arguments (all but the tenant) for each required parameter of ``name``."""
    values = {"note_id": note_id, "retrieval_id": retrieval_id, "reward": 1.0,
              "content": "Buddy is a labrador", "query": "dog", "question": "dog",
              "turns": [{"content": "Buddy likes the beach"}],
              "lines": ['{"content": "Buddy likes the beach"}']}
    found = {}
    for parameter in list(inspect.signature(getattr(Memory, name)).parameters.values())[1:]:
        if parameter.default is not inspect.Parameter.empty or parameter.name == "user_id":
            continue
        assert parameter.name in values, f"teach this test a value for {name}({parameter.name})"
        found[parameter.name] = values[parameter.name]
    return found


def test_every_public_method_takes_the_tenant_or_says_why_not():
    assert set(TENANTLESS) <= set(public_methods())
    assert SCOPED, "no public methods found"
    assert [name for name in SCOPED if not takes_user(name)] == []


# Input checks, made before any store is asked: on one store.
@pytest.mark.parametrize("store_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", SCOPED)
@pytest.mark.parametrize("user", NOT_A_TENANT, ids=repr)
def test_every_scoped_method_fails_closed_without_a_tenant(memory, alice, snapshot, name, user):
    before = snapshot()
    args = arguments(name, *alice)
    with pytest.raises(ScopeError, match="user scope is required"):
        getattr(memory, name)(**args, **({} if user is None else {"user_id": user}))
    assert snapshot() == before


def by_id(name: str) -> list[str]:
    parameters = inspect.signature(getattr(Memory, name)).parameters
    return [p for p in ("note_id", "retrieval_id") if p in parameters]


ID_METHODS = [(name, id_name) for name in SCOPED for id_name in by_id(name)]


def test_the_id_methods_are_the_note_and_feedback_calls():
    assert {name for name, _ in ID_METHODS} == {
        "get", "update", "delete", "undo_delete", "reopen", "history", "links", "llm_status",
        "feedback", "feedback_note", "release", "quarantine", "confirm", "restore", "forget"}


@pytest.mark.parametrize(("name", "id_name"), ID_METHODS)
def test_another_tenants_id_is_not_found_like_an_unknown_one(memory, alice, snapshot, name,
                                                             id_name):
    note_id, retrieval_id = alice
    if name == "undo_delete":
        memory.delete(note_id, user_id="alice")
    if name == "restore":  # a note to restore: one maintenance archived
        memory.store.archive([(note_id, "over budget")], "maintenance")
    if name == "reopen":  # a note to reopen: one a retraction closed
        memory.store.write(WriteBatch(supersessions=(
            Supersession(note_id, "alice", datetime(2024, 1, 1), None, "retracted"),)))
    if name == "release":  # a note to release: one held back
        memory.quarantine(note_id, user_id="alice")
    before = snapshot()
    args = arguments(name, note_id, retrieval_id)
    theirs = args[id_name]
    with pytest.raises(NotFoundError) as as_bob:
        getattr(memory, name)(**args, user_id="bob")
    unknown = uuid.uuid4().hex
    with pytest.raises(NotFoundError) as as_nobody:
        getattr(memory, name)(**{**args, id_name: unknown}, user_id="bob")
    # The same message as for an id that does not exist: nothing tells Bob it does.
    assert str(as_bob.value).replace(theirs, unknown) == str(as_nobody.value)
    assert snapshot() == before
    getattr(memory, name)(**args, user_id="alice")  # the owner still reaches it


def test_another_tenant_cannot_reveal_a_note_with_a_bad_edit(memory, alice):
    note_id, _ = alice
    with pytest.raises(NotFoundError):
        memory.update(note_id, "", user_id="bob")  # empty content: still only "not found"
    with pytest.raises(InvalidInputError, match="empty"):
        memory.update(note_id, "", user_id="alice")


def test_feedback_on_another_tenants_retrieval_changes_nothing(memory, alice):
    note_id, retrieval_id = alice
    with pytest.raises(NotFoundError, match="no retrieval"):
        memory.feedback(retrieval_id, 1.0, user_id="bob")
    assert memory.get(note_id, user_id="alice").utility == 0.5
    assert memory.feedback(retrieval_id, 1.0, user_id="alice").utilities[note_id] == (0.5, 0.55)


def test_note_ids_must_be_strings(memory, alice):
    with pytest.raises(InvalidInputError, match="note_id must be a string"):
        memory.get(5, user_id="alice")


def test_stats_needs_a_tenant_or_asks_for_every_one(memory, alice):
    assert memory.stats("alice")["notes"] == 1
    assert memory.stats(user_id="bob")["notes"] == 1
    totals = memory.stats(all_users=True)
    assert totals["notes"] == 2 and totals["users"] == 2
    with pytest.raises(InvalidInputError, match="not both"):
        memory.stats("alice", all_users=True)


# Input checks, made before any store is asked: on one store.
@pytest.mark.parametrize("store_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("speaker", [["A"], 5, {"name": "A"}])
def test_a_speaker_that_is_not_a_string_is_refused(memory, snapshot, speaker):
    before = snapshot()
    with pytest.raises(InvalidInputError, match="speaker must be a string"):
        memory.add("I adopted a dog", user_id="alice", speaker=speaker)
    with pytest.raises(InvalidInputError, match="speaker must be a string"):
        memory.add([Message("I adopted a dog", speaker=speaker)], user_id="alice")
    assert snapshot() == before


def test_async_memory_fails_closed_the_same_way(db_path):
    assert set(SCOPED) <= set(METHODS)

    async def main() -> None:
        async with AsyncMemory(db_path, embedder=HashEmbedder(), manager="rule") as memory:
            (note,) = await memory.add("I adopted a dog named Buddy", user_id="alice")
            retrieval = await memory.search("dog", user_id="alice")
            for name in SCOPED:
                args = arguments(name, note.note_id, retrieval.retrieval_id)
                with pytest.raises(ScopeError):
                    await getattr(memory, name)(**args)
            with pytest.raises(NotFoundError):
                await memory.get(note.note_id, user_id="bob")
            assert (await memory.get(note.note_id, user_id="alice")).id == note.note_id

    asyncio.run(main())
