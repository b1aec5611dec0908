"""Bad input at every surface at the fast size, and the check's own ability to fail."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from checks import Size, bad_input
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from hypothesis import strategies as st

from asem.errors import InvalidInputError


def test_fast_size_rest_passes_as_a_tenant_and_an_admin():
    rows = bad_input.rest_rows(Size.FAST)
    assert [r.where for r in rows] == ["REST (Schemathesis), alice", "REST (Schemathesis), admin"]
    for row in rows:
        assert row.ok, row
        assert row.counts["rejected"] > 0 and row.counts["operations"] > 10
        # Hypothesis may stop early on an operation with few distinct inputs
        assert row.runs >= 0.6 * row.counts["operations"] * bad_input.REST_CASES[Size.FAST]


def test_fast_size_python_api_passes():
    [row] = bad_input.api_rows(Size.FAST)
    assert row.ok, row
    assert row.runs == 6 * bad_input.PROPERTY_EXAMPLES[Size.FAST] and row.counts["rejected"] > 0


def test_fast_size_cli_passes():
    [row] = bad_input.cli_rows(Size.FAST)
    assert row.ok, row
    assert row.runs == 5 * bad_input.CLI_EXAMPLES[Size.FAST] and row.counts["rejected"] > 0


def test_rest_check_counts_a_5xx_an_untyped_rejection_and_a_rejection_that_wrote(tmp_path):
    memory = bad_input.seeded(tmp_path / "m.db")
    app = FastAPI()

    @app.get("/boom")
    def boom(n: int = 0) -> dict:
        raise RuntimeError("planted")

    @app.get("/half")
    def half(n: int = 0):
        memory.add(f"written before the rejection {n}", user_id="alice", manager="always-add")
        return JSONResponse({"code": "invalid_input", "message": "no"}, status_code=400)

    @app.get("/plain")
    def plain(n: int = 0):
        return JSONResponse("no", status_code=422)

    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False):
        tally, operations = bad_input.fuzz_rest(app, {}, 3, tmp_path / "m.db")
    memory.close()
    assert operations == 3
    assert tally.server_errors >= 1 and tally.untyped >= 2 and tally.changed >= 1
    assert tally.cases >= 3


def test_api_check_counts_untyped_errors_and_rejections_that_changed_the_store(tmp_path):
    with bad_input.seeded(tmp_path / "m.db") as memory:
        tally = bad_input.Tally()

        def untyped(n: int) -> None:
            raise ValueError("planted")

        def writes_then_rejects(n: int) -> None:
            memory.add(f"half-done {n}", user_id="alice", manager="always-add")
            raise InvalidInputError("planted rejection")

        strategy = st.fixed_dictionaries({"n": st.integers()})
        bad_input.run_property(strategy, untyped, tmp_path / "m.db", 5, tally)
        bad_input.run_property(strategy, writes_then_rejects, tmp_path / "m.db", 5, tally)
    assert tally.untyped == tally.changed == 5 and tally.cases == 10


def test_cli_check_counts_a_traceback_and_an_unexplained_failure():
    traceback = SimpleNamespace(exit_code=1, output="Traceback (most recent call last):",
                                stderr="Traceback (most recent call last):", exception=None)
    silent = SimpleNamespace(exit_code=3, output="", stderr="", exception=None)
    crashed = SimpleNamespace(exit_code=1, output="", stderr="", exception=KeyError("x"))
    clean = SimpleNamespace(exit_code=1, output="error: no note abc", stderr="error: no note abc\n",
                            exception=SystemExit(1))
    assert bad_input.cli_problems(traceback) == ["traceback", "untyped"]
    assert bad_input.cli_problems(silent) == ["untyped"]
    assert "traceback" in bad_input.cli_problems(crashed)
    assert bad_input.cli_problems(clean) == []


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)  # about 100,000 REST cases: beyond the suite's 600 s a test
def test_full_size_every_surface_passes():
    rows = bad_input.run(Size.FULL)
    assert len(rows) == 5 and all(r.ok for r in rows), rows
