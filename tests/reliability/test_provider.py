"""The provider fault family at its fast size, and proof that it sees each failure it counts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from checks import Size, provider

from asem.stores.sqlite.store import SQLiteStore
from asem.write import evolve

PLANTED_CALLS = 150


def test_provider_faults_lose_nothing_and_write_only_inside_the_candidates():
    model, embedder = provider.run(Size.FAST)
    assert model.runs >= provider.CALLS[Size.FAST]
    assert embedder.runs == provider.EMBEDDER_WRITES[Size.FAST]
    assert model.ok, model
    assert embedder.ok, embedder
    for fault in provider.FAULTS:  # each fault was served, many times
        assert model.counts[f"{fault} calls"] >= 25
    assert model.counts["manager targets rejected"] > 0
    assert model.counts["worker references rejected"] > 0
    assert embedder.counts["worker outages"] > 0


@pytest.mark.slow
def test_ten_thousand_faulted_calls():
    rows = provider.run(Size.FULL)
    assert all(row.ok for row in rows), rows
    assert rows[0].runs >= 10_000


def test_the_check_counts_a_link_outside_the_notes_shown(tmp_path, monkeypatch):
    real = evolve.apply_reply

    def leaky(batch, reply, embedder, write):
        out = real(batch, reply, embedder, write)
        extra = (batch.notes[0].id, "a-note-never-shown", "invented", 0.5)
        return replace(out, evolution=replace(out.evolution,
                                              links=(*out.evolution.links, extra)))

    monkeypatch.setattr(evolve, "apply_reply", leaky)
    row = provider._model_row(tmp_path / "m.db", PLANTED_CALLS)
    assert row.zero["outside the candidate set"] > 0


def test_the_check_counts_a_write_the_store_dropped(tmp_path, monkeypatch):
    real = SQLiteStore.write
    calls = []

    def dropping(self, batch):
        calls.append(1)
        if len(calls) % 5 == 0:
            return {n.note.id for n in batch.new}  # acknowledged, never written
        return real(self, batch)

    monkeypatch.setattr(SQLiteStore, "write", dropping)
    row = provider._model_row(tmp_path / "m.db", PLANTED_CALLS)
    assert row.zero["lost"] > 0


def test_the_check_counts_a_worker_bug_and_an_early_retry(tmp_path, monkeypatch):
    def broken(batch, reply, embedder, write):
        raise KeyError("a bug")

    monkeypatch.setattr(evolve, "apply_reply", broken)
    monkeypatch.setattr("asem.llm.retry.RetryPolicy.delay", lambda self, attempt, error: 0.0)
    row = provider._model_row(tmp_path / "m.db", PLANTED_CALLS)
    assert row.zero["unhandled"] > 0
    assert row.zero["Retry-After not honoured"] > 0


def test_the_check_counts_an_embedder_error_left_untyped(tmp_path, monkeypatch):
    from contextlib import nullcontext

    monkeypatch.setattr("asem.providers.embedder.failures_typed", lambda e: nullcontext())
    row = provider._embedder_row(tmp_path / "m.db", 4)
    assert row.zero["unhandled"] > 0
