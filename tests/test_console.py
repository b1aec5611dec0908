"""What the web console stands on, without a browser: the page and its assets, the score's
parts, the listing's new filters and order, and the overview."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from asem import Filters, Memory, Message, ScoreParts
from asem.providers import HashEmbedder
from asem.server.app import create_app
from asem.server.console import ASSETS
from asem.server.rest.overview import by_time, utility_bins
from asem.server.state import ServerState
from tests.server_fixtures import serve

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["I adopted a dog named Buddy", "Buddy loves running in the park",
         "My sister Ana moved to Lisbon", "I started learning the violin",
         "Ana visited me with her cat", "I bought a kayak for the summer",
         "The kayak trip on the lake was great", "My violin teacher is called Marta"]
START = datetime(2024, 3, 1, 9)


def seeded(memory: Memory) -> list[str]:
    results = memory.add([Message(t, "alice" if i % 2 == 0 else "coach",
                                  START + timedelta(days=3 * i), f"D1:{i}")
                          for i, t in enumerate(TEXTS)], user_id="alice", session_id="s1")
    memory.add("Bob likes peanuts", user_id="bob")
    return [r.note_id for r in results]


@pytest.fixture
def site(memory):
    seeded(memory)
    return serve(memory)


# -- score parts ---------------------------------------------------------------------------
def test_the_parts_of_every_score_add_up_to_it(memory):
    seeded(memory)
    first = memory.search("what is my dog called", user_id="alice", k=8)
    memory.feedback(first.retrieval_id, 1.0, [first[0].note.id], user_id="alice")
    for query in ("what is my dog called", "who teaches the violin", "kayak lake"):
        result = memory.search(query, user_id="alice", k=8)
        assert len(result) > 2
        for hit in result:
            assert isinstance(hit.parts, ScoreParts)
            assert hit.parts.total == pytest.approx(hit.score, abs=1e-9)
    # The parts vary: context (turns next to each other), utility and usage (the feedback);
    # timeliness is the same for notes all written a moment ago.
    parts = [h.parts for h in memory.search("what is my dog called", user_id="alice", k=8)]
    for name in ("dense", "lexical", "context", "utility", "usage"):
        assert len({round(getattr(p, name), 9) for p in parts}) > 1, name


def test_link_hits_carry_no_parts_as_their_score_is_made_otherwise(memory):
    seeded(memory)
    hits = memory.search("what is my dog called", user_id="alice", k=1, expand_links=True)
    assert hits[0].parts is not None
    linked = [h for h in hits if h.via == "link"]
    assert linked and all(h.parts is None for h in linked)


def test_the_search_response_has_the_parts(site):
    body = site.call("POST", "/v1/search", json={"query": "violin teacher", "k": 4}).json()
    assert body["hits"]
    for hit in body["hits"]:
        assert set(hit["parts"]) == {"dense", "lexical", "context", "utility", "timeliness",
                                     "usage", "date", "diversity", "speaker"}
        assert sum(hit["parts"].values()) == pytest.approx(hit["score"], abs=1e-9)


# -- listing -------------------------------------------------------------------------------
def contents(site, **params) -> list[str]:
    response = site.call("GET", "/v1/notes", params=params)
    assert response.status_code == 200, response.text
    return [n["content"] for n in response.json()["notes"]]


def test_notes_newest_first_reverse_the_default_order(site):
    oldest = contents(site)
    assert contents(site, order="newest") == oldest[::-1]
    assert contents(site, order="newest", limit=3, offset=1) == oldest[::-1][1:4]


def test_the_new_list_filters(site, memory):
    assert set(contents(site, speaker="COACH")) == set(TEXTS[1::2])
    assert set(contents(site, text="KAYAK")) == {TEXTS[5], TEXTS[6]}
    note = memory.list_notes("alice", filters=Filters(text="violin teacher"))[0]
    assert TEXTS[7] in contents(site, keywords=note.keywords[0].upper())
    by_tier = {tier: set(contents(site, tier=tier)) for tier in ("long_term", "short_term")}
    assert by_tier == {tier: {n.content for n in memory.list_notes("alice")
                              if n.tier.value == tier} for tier in by_tier}
    assert by_tier["long_term"] | by_tier["short_term"] == set(TEXTS)
    page = site.call("GET", "/v1/notes", params={"speaker": "coach", "count": "true",
                                                 "limit": 2}).json()
    assert page["total"] == 4 and len(page["notes"]) == 2
    assert site.call("GET", "/v1/notes").json()["total"] is None


def test_the_filters_apply_to_search_too(memory):
    seeded(memory)
    hits = memory.search("violin", user_id="alice", filters=Filters(speaker="coach"))
    assert hits and {h.note.content for h in hits} <= set(TEXTS[1::2])
    hits = memory.search("trip", user_id="alice", filters=Filters(text="lake"))
    assert [h.note.content for h in hits] == [TEXTS[6]]


@pytest.mark.parametrize("params, fragment", [
    ({"order": "sideways"}, "order"), ({"tier": "forever"}, "tier"),
    ({"text": "x" * 501}, "text"), ({"count": "maybe"}, "count")])
def test_bad_list_parameters_are_422(site, params, fragment):
    response = site.call("GET", "/v1/notes", params=params)
    assert response.status_code == 422 and fragment in response.json()["message"]


def test_the_new_parameters_are_typed_in_openapi(site):
    spec = site.client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in spec["paths"]["/v1/notes"]["get"]["parameters"]}
    assert params["order"]["enum"] == ["oldest", "newest"]
    assert params["count"]["type"] == "boolean"
    assert {"speaker", "text", "keywords", "tier"} <= set(params)
    hit = spec["components"]["schemas"]["HitOut"]["properties"]
    assert "parts" in hit
    assert "/v1/overview" in spec["paths"]


# -- overview ------------------------------------------------------------------------------
def test_the_overview_counts_the_tenants_notes(site, memory):
    body = site.call("GET", "/v1/overview").json()
    assert body["notes"] == len(TEXTS) == sum(body["tiers"].values())
    assert sum(b["count"] for b in body["utility"]) == len(TEXTS)
    assert sum(b["count"] for b in body["over_time"]) == len(TEXTS)
    assert body["granularity"] == "day" and body["over_time"][0]["start"] == "2024-03-01"
    assert body["jobs"] is None  # no language model
    assert site.call("GET", "/v1/overview", role="bob").json()["notes"] == 1


def test_time_buckets_span_the_range_evenly_and_roll_over_months():
    times = [datetime(2023, 11, 20), datetime(2025, 2, 3)]
    granularity, buckets = by_time(times)
    assert granularity == "month"
    assert [b.start for b in buckets[:3]] == ["2023-11-01", "2023-12-01", "2024-01-01"]
    assert len(buckets) == 16 and sum(b.count for b in buckets) == 2
    granularity, buckets = by_time([datetime(2024, 1, 3), datetime(2024, 5, 1)])
    assert granularity == "week" and buckets[0].start == "2024-01-01"  # a Monday
    assert by_time([]) == ("day", [])


def test_utility_bins_cover_minus_one_to_one():
    bins = utility_bins([-1.0, -0.05, 0.0, 0.5, 0.99, 1.0, 3.0])
    assert len(bins) == 20 and bins[0].start == "-1.0" and bins[10].start == "0.0"
    assert [bins[i].count for i in (0, 9, 10, 15, 19)] == [1, 1, 1, 1, 3]


# -- the page --------------------------------------------------------------------------------
def test_the_page_is_served_at_the_root_with_a_strict_policy(site):
    response = site.client.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert 'data-auth="key"' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for name in ASSETS:
        asset = site.client.get(f"/console/{name}")
        kind = "css" if name.endswith(".css") else "javascript"
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
    missing = site.client.get("/console/secrets.txt")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_without_keys_the_page_says_so(memory):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(ServerState(memory, None, close_memory=False)))
    assert 'data-auth="none"' in client.get("/").text


def test_the_assets_ship_in_the_package_and_load_nothing_from_elsewhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "server/static/*" in project["tool"]["setuptools"]["package-data"]["asem"]
    static = files("asem.server").joinpath("static")
    shipped = {p.name for p in Path(str(static)).iterdir()}
    assert shipped == set(ASSETS) | {"index.html"}  # every file is served, none forgotten
    for name in shipped:
        text = static.joinpath(name).read_text()
        urls = re.findall(r"https?://[^\s\"'`)]+", text)
        assert urls in ([], ["http://www.w3.org/2000/svg"]), (name, urls)  # SVG's namespace
    html = static.joinpath("index.html").read_text()
    loaded = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert set(loaded) == {f"/console/{name}" for name in ASSETS} | {"/docs"}


def test_a_missing_browser_fails_the_browser_tests_and_names_the_install(monkeypatch):
    from tests import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        browser.browser_paths()


@pytest.mark.slow
def test_the_console_timing_benchmark_runs_end_to_end(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "timing.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "console_timing.py"),
                           "--notes", "60", "--loads", "2", "--searches", "3", "--json",
                           str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["search_round_trip_ms"]["n"] == 3
    assert report["first_load_ms"]["view"]["p50"] >= report["first_load_ms"][
        "dom_content_loaded"]["p50"] > 0


def test_with_a_language_model_the_overview_counts_its_jobs(db_path):
    from asem.llm.fake import ScriptedLLM

    with Memory(db_path, embedder=HashEmbedder(), llm=ScriptedLLM(default="not json"),
                background=False, manager="rule") as memory:
        memory.add("I adopted a dog named Buddy", user_id="alice")
        memory.add("Bob likes peanuts", user_id="bob")
        jobs = serve(memory).call("GET", "/v1/overview").json()["jobs"]
    assert set(jobs) == {"pending", "running", "done", "failed"}
    assert sum(jobs.values()) == 1  # alice's job only, whatever became of it
