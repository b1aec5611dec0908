"""benchmarks/server_load.py end to end on a tiny size (the full size is a manual run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "server_load.py"


@pytest.mark.slow
def test_the_load_benchmark_runs_and_finds_no_lost_write_or_leak(tmp_path):
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--clients", "2", "--ops", "20",
                           "--notes", "60", "--in-process-ops", "8", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["acknowledged_adds"] > 0 and sum(report["add_ops"].values()) == report[
        "acknowledged_adds"]
    assert (report["lost"], report["duplicated"], report["other_tenant_notes_seen"]) == (0, 0, 0)
    assert set(report["http"]) >= {"search", "add"} and report["server_exit_codes"] == [0]
    assert all(status.endswith(("200", "201")) for status in report["statuses"])


@pytest.mark.slow
def test_two_pinned_servers_over_one_postgresql_lose_nothing_and_leak_nothing(tmp_path,
                                                                             pg_server):
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--clients", "4", "--ops", "12",
                           "--notes", "30", "--in-process-ops", "4", "--store", pg_server,
                           "--servers", "2", "--pin", "--compare", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["store"] == "postgres" and [r["servers"] for r in report["runs"]] == [1, 2]
    for run in report["runs"]:
        assert run["acknowledged_adds"] > 0 and run["server_exit_codes"] == [0] * run["servers"]
        assert (run["lost"], run["duplicated"], run["other_tenant_notes_seen"]) == (0, 0, 0)
    assert report["throughput_ratio"] > 0
