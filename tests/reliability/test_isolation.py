"""Tenant isolation at every surface (benchmarks/checks/isolation.py), at the fast size; and
proof that the walk reports a leak when one is planted."""

from __future__ import annotations

import pytest
from checks import Size, isolation
from checks.isolation_surfaces import SURFACES

import asem.memory
import asem.stores.sqlite.lexical
import asem.types
from asem.server.auth import Principal

FAST_STEPS = {name: isolation.SLOW_FAST if slow else isolation.STEPS[Size.FAST]
              for name, (_, slow) in SURFACES.items()}


@pytest.mark.parametrize("name", list(SURFACES))
def test_no_tenant_sees_or_changes_another_tenants_notes(name, request):
    url = request.getfixturevalue("pg_url") if "postgresql" in name else None
    (row,) = isolation.run(Size.FAST, only=[name], postgres_url=url)
    assert row.where == name and row.runs == FAST_STEPS[name]
    assert row.ok, row
    assert row.counts["no-tenant calls"] > 0 and row.counts["not found"] > 0
    assert row.counts["notes at the end"] > 0


def test_the_cli_walks_fewer_steps_at_the_fast_size():
    assert FAST_STEPS["CLI, sqlite"] < FAST_STEPS["REST, sqlite"]
    assert isolation.STEPS[Size.FULL] >= 10_000


# -- planted leaks: the walk must count them -------------------------------------------------
def planted() -> dict[str, int]:
    """The counts of a fast walk of the Python API with the fault in place."""
    (row,) = isolation.run(Size.FAST, only=["python, sqlite"])
    return row.zero


def test_a_read_that_ignores_the_tenant_is_counted(monkeypatch):
    def get(self, note_id, *, user_id=None, include_deleted=False):
        asem.types.require_user(user_id)
        note = self.store.get_notes([note_id], include_deleted=include_deleted).get(note_id)
        if note is None:
            raise asem.memory.NotFoundError(f"no note with id {note_id!r}")
        return note

    monkeypatch.setattr(asem.memory.Memory, "get", get)
    zero = planted()
    assert zero["returned"] > 0 and zero["changed"] > 0


def test_lexical_scores_that_count_every_tenants_notes_are_counted(monkeypatch):
    ranked = asem.stores.sqlite.lexical.ranked

    def mixed(conn, user_id, terms, *args):
        everyone = conn.execute("SELECT count(*) FROM notes").fetchone()[0]
        return [(i, s * (1 + everyone / 100)) for i, s in ranked(conn, user_id, terms, *args)]

    monkeypatch.setattr(asem.stores.sqlite.lexical, "ranked", mixed)
    assert planted()["score changed"] > 0


def test_a_call_without_a_tenant_that_goes_through_is_counted(monkeypatch):
    require = asem.types.require_user

    def lenient(user_id):
        return require(user_id or "ana")

    for module in (asem.memory, asem.types):
        monkeypatch.setattr(module, "require_user", lenient)
    assert planted()["no-tenant accepted"] > 0


def test_a_count_of_every_tenants_notes_is_counted(monkeypatch):
    count = asem.memory.Memory.count_notes

    def everyone(self, user_id=None, **kwargs):
        return sum(count(self, u, **kwargs) for u in isolation.TENANTS)

    monkeypatch.setattr(asem.memory.Memory, "count_notes", everyone)
    assert planted()["counted"] > 0


def test_a_key_that_may_act_for_another_tenant_is_counted(monkeypatch):
    def tenant(self, requested):
        return requested or self.user_id

    monkeypatch.setattr(Principal, "tenant", tenant)
    (row,) = isolation.run(Size.FAST, only=["REST, sqlite"])
    assert row.zero["returned"] + row.zero["changed"] > 0


@pytest.mark.slow
def test_full_size_leaks_nothing(pg_url):
    rows = isolation.run(Size.FULL, postgres_url=pg_url)
    assert [r.runs for r in rows] == [isolation.STEPS[Size.FULL]] * len(SURFACES)
    assert all(r.ok for r in rows), rows
