"""Property tests of the Python API with Hypothesis: any text, id, scope, k or filter given
to add / search / update / delete either works or raises a typed error (``asem.errors``),
and a rejected call leaves the memory as it was."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asem import Filters, Memory
from asem.errors import ASEMError
from asem.providers import HashEmbedder

EXAMPLES = 60
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

texts = st.one_of(st.text(), st.text(alphabet=st.characters(codec="utf-8")),
                  st.binary(max_size=64), st.none(), st.integers(), st.just(" \x00\n"),
                  st.text(min_size=3000, max_size=3000).map(lambda t: t * 20))
ids = st.one_of(st.text(max_size=40), st.none(), st.integers(), st.just("0" * 32))
users = st.one_of(st.just("alice"), st.text(max_size=10), st.none(), st.integers())
trust = st.one_of(st.none(), st.sampled_from(["user_said", "tool_output", "root", ""]),
                  st.text(max_size=8))
filters = st.one_of(st.none(), st.fixed_dictionaries(dict(
    tags=st.lists(st.text(max_size=10), max_size=3),
    keywords=st.lists(st.text(max_size=10), max_size=3),
    since=st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2))),
    until=st.one_of(st.none(), st.datetimes(max_value=datetime(9999, 12, 30))),
    min_trust=trust)), st.just("tags=pets"))
"""Keyword arguments of a Filters (built inside the call: building one may be rejected), or
something that is not a Filters at all."""


@pytest.fixture(scope="module")
def memory():
    with Memory(":memory:", embedder=HashEmbedder(), manager="rule") as m:
        m.add("I adopted a dog named Buddy", user_id="alice")
        m.add("Alice works at a bakery in Lisbon", user_id="alice")
        yield m


def state(memory: Memory) -> list[tuple]:
    notes = memory.list_notes("alice", limit=1000, include_deleted=True,
                              include_superseded=True)
    return [(n.id, n.content, n.deleted_at, n.version, len(memory.history(n.id,
                                                                          user_id="alice")))
            for n in notes]


def typed_or_ok(memory: Memory, call) -> None:
    """``call`` works, or raises an ASEMError after which the memory is unchanged."""
    before = state(memory)
    try:
        call()
    except ASEMError:
        assert state(memory) == before
    # Anything else propagates and fails the test.


@SETTINGS
@given(text=texts, user=users)
def test_add(memory, text, user):
    typed_or_ok(memory, lambda: memory.add(text, user_id=user))


@SETTINGS
@given(query=texts, user=users, k=st.one_of(st.none(), st.integers(-3, 200), st.floats(),
                                           st.text(max_size=3)),
       found=filters, min_trust=trust, include=st.booleans())
def test_search(memory, query, user, k, found, min_trust, include):
    def call():
        given = Filters(**found) if isinstance(found, dict) else found
        result = memory.search(query, user_id=user, k=k, filters=given, min_trust=min_trust,
                               include_quarantined=include)
        assert all(h.note.scope.user_id == user for h in result)

    typed_or_ok(memory, call)


@SETTINGS
@given(note_id=ids, text=texts, user=users)
def test_update(memory, note_id, text, user):
    typed_or_ok(memory, lambda: memory.update(note_id, text, user_id=user))


@SETTINGS
@given(note_id=ids, user=users, reason=st.one_of(st.text(max_size=20), st.none()))
def test_delete_and_release_of_unknown_ids(memory, note_id, user, reason):
    typed_or_ok(memory, lambda: memory.delete(note_id, user_id=user, reason=reason))
    typed_or_ok(memory, lambda: memory.release(note_id, user_id=user))


@SETTINGS
@given(text=texts)
def test_update_of_a_live_note(memory, text):
    note = memory.list_notes("alice", limit=1)[0]
    typed_or_ok(memory, lambda: memory.update(note.id, text, user_id="alice"))
