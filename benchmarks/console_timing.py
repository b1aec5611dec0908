"""How fast the web console is in a real browser: first page load and search round trip.

    python benchmarks/console_timing.py [--notes 10000] [--loads 10] [--searches 30]
                                        [--overviews 5] [--json bench-out/console_timing.json]

1. Fill: a fresh SQLite file gets ``--notes`` generated notes of one tenant, exactly as the
   load benchmark fills its store (``server_load.fill``: ``Memory.ingest``, the always-add
   manager, the default local MiniLM embedder).
2. Serve: ``asem serve`` (default embedder and manager) on a free loopback port, one key.
3. Browser: headless Chromium (system package; ``apt-get install -y chromium
   chromium-driver``) with the key in the tab's session storage, as after signing in.
   - First load: ``--loads`` navigations to ``/`` (the notes view, newest first, 25 a page).
     Reported from Navigation Timing: ``loadEventEnd`` − navigation start (the page, its
     script and style sheet, parsed and run) and, because the notes arrive by a fetch after
     that, ``view`` − navigation start: the console's ``performance.mark("asem:view")`` once
     the first view is on screen. The first navigation (cold) is reported on its own.
   - Search round trip: ``--searches`` queries typed into the search view (after one
     unmeasured search, which loads the server's vector index);
     ``performance.now()`` from submitting the form to the hits rendered (fetch of
     ``POST /v1/search`` + JSON + DOM), p50 and p95.
   - Overview: ``--overviews`` switches to the overview view until its charts are drawn
     (``GET /v1/overview`` reads every note of the tenant); no target, reported to watch.

Targets: first load ≤ 300 ms (the ``view`` figure is the stricter one) and search round
trip ≤ 150 ms. Run it on an otherwise idle machine: the browser, the server and the
embedder share the CPU.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from server_load import fill, free_port, query, start_server, wait_ready

from asem import Memory
from asem.eval.metrics import percentile
from asem.server.keys import StoreKeyRing

INSTALL = "apt-get install -y chromium chromium-driver"
TENANT = "console"
NAVIGATION = """
const nav = performance.getEntriesByType("navigation")[0];
const view = performance.getEntriesByName("asem:view")[0];
return [nav.domContentLoadedEventEnd, nav.loadEventEnd, view ? view.startTime : null];
"""
VIEW = """
const [hash, done] = [arguments[0], arguments[arguments.length - 1]];
const before = performance.getEntriesByName("asem:view").length;
const t0 = performance.now();
window.location.hash = hash;
(function wait() {
  if (performance.getEntriesByName("asem:view").length > before) done(performance.now() - t0);
  else requestAnimationFrame(wait);
})();
"""
SEARCH = """
const [text, done] = [arguments[0], arguments[arguments.length - 1]];
const view = document.getElementById("view");
const before = Number(view.dataset.renders || 0);
const form = view.querySelector("form");
form.querySelector("#f-q").value = text;
const t0 = performance.now();
form.requestSubmit();
(function wait() {
  if (Number(view.dataset.renders || 0) > before && !view.hasAttribute("aria-busy"))
    done(performance.now() - t0);
  else requestAnimationFrame(wait);
})();
"""


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        raise SystemExit(f"headless Chromium is needed: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,800"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(driver, script: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise SystemExit(f"the console did not get there in {seconds} s: {script}")
        time.sleep(0.01)


def first_loads(driver, url: str, key: str, loads: int) -> list[list[float]]:
    """[DOMContentLoaded, loadEventEnd, view] in ms after navigation start, per load."""
    driver.get(url + "/healthz")  # same origin: the key goes in before the console loads
    driver.execute_script("sessionStorage.setItem('asem.key', arguments[0]);", key)
    found = []
    for i in range(loads):
        driver.get(f"{url}/?load={i}#/notes")  # a new URL each time: a full navigation
        wait_for(driver, "return performance.getEntriesByName('asem:view').length > 0 && "
                         "performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
        found.append(driver.execute_script(NAVIGATION))
    return found


def searches(driver, url: str, count: int, seed: int) -> list[float]:
    driver.get(url + "/#/search")
    wait_for(driver, "return document.querySelector('#view form #f-q') !== null")
    rng = random.Random(seed)
    driver.set_script_timeout(60)
    driver.execute_async_script(SEARCH, query(rng))  # warm-up: the server's first search
    return [driver.execute_async_script(SEARCH, query(rng)) for _ in range(count)]


def overviews(driver, url: str, count: int) -> list[float]:
    """The overview view (``GET /v1/overview`` reads every note of the tenant) until drawn."""
    driver.get(url + "/#/notes")
    wait_for(driver, "return performance.getEntriesByName('asem:view').length > 0")
    found = []
    for _ in range(count):
        found.append(driver.execute_async_script(VIEW, "#/overview"))
        driver.execute_async_script(VIEW, "#/notes")
    return found


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "n": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000, help="notes stored before")
    parser.add_argument("--loads", type=int, default=10, help="page loads measured")
    parser.add_argument("--searches", type=int, default=30, help="searches measured")
    parser.add_argument("--overviews", type=int, default=5, help="overview views measured")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "console.db"
        began = time.perf_counter()
        fill(db, [TENANT], args.notes, args.seed)
        fill_s = time.perf_counter() - began
        with Memory(db, manager="always-add") as memory:
            key = StoreKeyRing(memory.store).create(user_id=TENANT, name="console")[1]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(db, port)
        driver = None
        try:
            wait_ready(url, server)
            driver = browser()
            loads = first_loads(driver, url, key, args.loads)
            rounds = searches(driver, url, args.searches, args.seed)
            overview = overviews(driver, url, args.overviews)
        finally:
            if driver is not None:
                driver.quit()
            server.send_signal(signal.SIGTERM)
            server.wait(120)
    warm = loads[1:] or loads
    report = {
        "notes": args.notes, "fill_s": round(fill_s, 1),
        "first_load_cold_ms": {"dom_content_loaded": round(loads[0][0], 1),
                               "load_event_end": round(loads[0][1], 1),
                               "view": round(loads[0][2], 1)},
        "first_load_ms": {"dom_content_loaded": summary([x[0] for x in warm]),
                          "load_event_end": summary([x[1] for x in warm]),
                          "view": summary([x[2] for x in warm])},
        "search_round_trip_ms": summary(rounds),
        "overview_ms": summary(overview),
        "targets_ms": {"first_load": 300, "search_round_trip": 150},
        "measure": "Navigation Timing (loadEventEnd, and the console's asem:view mark) after "
                   "navigation start; search: performance.now() from submit to hits rendered",
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
