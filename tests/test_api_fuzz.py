"""Defects the generated requests of the bad-input family (``benchmarks/checks/bad_input.py``,
run by ``tests/reliability/test_bad_input.py``) found at the REST surface, one regression
test each."""

from __future__ import annotations

import pytest

from asem import Memory
from asem.providers import HashEmbedder
from tests.server_fixtures import serve


@pytest.fixture
def served():
    memory = Memory(":memory:", embedder=HashEmbedder())
    memory.add("I adopted a dog named Buddy", user_id="alice")
    yield serve(memory)
    memory.close()


def test_list_limit_and_offset_beyond_sqlite_integers_are_rejected_as_json(served):
    for query in ({"limit": 2**70}, {"offset": 2**64}):
        response = served.call("GET", "/v1/notes", params=query)
        assert response.status_code in (400, 422), response.text
        assert {"code", "message"} <= response.json().keys()


def test_export_of_a_tenant_named_outside_latin_1_streams(served):
    response = served.call("GET", "/v1/export", role="admin", params={"user_id": "Āli \"x\""})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''asem-%C4%80li%20%22x%22.jsonl" in disposition
