"""Load on a live ``asem serve``: concurrent clients of three tenants, and what they got back.

    python benchmarks/server_load.py [--clients 16] [--ops 500] [--tenants 3] [--notes 10000]
                                     [--store sqlite|postgres|URL] [--servers 1] [--pin]
                                     [--compare] [--json bench-out/server_load.json]

1. Fill: a fresh SQLite file (or a new PostgreSQL database: ``--store postgres`` starts a
   local server for the run, a URL names one whose user may create databases) gets
   ``--notes`` generated notes, spread evenly over the tenants, with ``Memory.ingest``
   (batches of 256, one transaction each) and the always-add manager,
   embedded by the default local MiniLM: the texts come from templates with a running
   number, so every one is distinct and no manager decision is needed to store them.
2. Serve: ``--servers`` processes of ``asem serve`` over the one database (default
   embedder and learned manager), each on a free loopback port, one API key per tenant;
   with ``--pin`` server i is pinned to core i (``taskset``) and embeds with one thread
   (``ASEM_EMBED_THREADS=1``).
3. Load: ``--clients`` threads, each an httpx client of one tenant (client i → tenant
   i mod T) and one server (client i → server i mod S), do ``--ops`` operations each: 70%
   search, 25% add (a text with a marker of its own), 5% feedback on the client's last retrieval.
4. Check, after a graceful SIGTERM: every acknowledged add is found exactly once (0 lost,
   0 duplicated), and no response held a note of another tenant.
5. In-process: the same search and add, one at a time on ``Memory`` over the same file,
   for the latency the HTTP layer and the concurrency add to.

``--compare`` runs steps 2–4 twice on the same database, with one server and then with
``--servers``, and reports the throughput of both and their ratio.

Reports throughput, p50/p95/p99 per operation, and errors by status code (JSON on stdout;
what it is doing, and a bar of the operations answered, on stderr: with many clients adding
to few tenants a run can take many minutes). Run it on an otherwise idle machine: the
clients, the server and the embedder share the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from asem import Memory
from asem.chat import ChatTurn
from asem.eval.databases import PostgresDatabases, local_postgres
from asem.eval.metrics import percentile
from asem.server.keys import StoreKeyRing
from asem.types import Message

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun",
         "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove"]
THINGS = ["bicycle", "camera", "guitar", "laptop", "kayak", "telescope", "sofa", "violin",
          "tent", "printer", "drone", "piano", "scooter", "blender", "lamp", "backpack"]
CITIES = ["Lisbon", "Osaka", "Lagos", "Denver", "Tallinn", "Quito", "Hobart", "Bergen",
          "Accra", "Porto", "Kyoto", "Austin"]
TEMPLATES = [
    "{name} bought a {thing} in {city} for {n} dollars.",
    "{name} lent the {thing} to a neighbour in {city} on day {n}.",
    "{name} is learning to repair a {thing}; lesson {n} was in {city}.",
    "The {thing} {name} ordered from {city} arrived after {n} days.",
    "{name} sold an old {thing} at the {city} market, listing number {n}.",
]
QUERIES = ["What did {name} buy in {city}?", "Who has a {thing}?",
           "Where did {name} get the {thing}?", "What happened in {city}?",
           "What is {name} learning?"]
WEIGHTS = {"search": 0.70, "add": 0.25, "feedback": 0.05}


def texts(rng: random.Random, start: int = 0) -> Iterator[str]:
    """Distinct note texts: a template, a name, a thing, a city and a running number."""
    n = start
    while True:
        n += 1
        yield rng.choice(TEMPLATES).format(name=rng.choice(NAMES), thing=rng.choice(THINGS),
                                           city=rng.choice(CITIES), n=n)


def query(rng: random.Random) -> str:
    return rng.choice(QUERIES).format(name=rng.choice(NAMES), thing=rng.choice(THINGS),
                                      city=rng.choice(CITIES))


# -- 1. fill -------------------------------------------------------------------------------
def fill(db: Path | str, tenants: list[str], notes: int, seed: int) -> dict[str, set[str]]:
    """Store ``notes`` generated notes over ``tenants``; returns each tenant's note ids."""
    rng = random.Random(seed)
    source = texts(rng)
    owned: dict[str, set[str]] = {}
    start = datetime(2024, 1, 1)
    with Memory(db, manager="always-add") as memory:
        for position, tenant in enumerate(tenants):
            count = notes // len(tenants) + (position < notes % len(tenants))
            turns = [ChatTurn(Message(next(source), "user", start + timedelta(minutes=i)),
                              f"fill-{i // 50}") for i in range(count)]
            results = memory.ingest(turns, user_id=tenant)
            owned[tenant] = {r.note_id for r in results if r.note_id}
    return owned


# -- 2. serve ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path | str, port: int, core: int | None = None) -> subprocess.Popen:
    """``asem serve`` on ``port``; pinned to ``core`` (one embedder thread) when given."""
    script = Path(sys.executable).with_name("asem")
    command = [str(script)] if script.exists() else [shutil.which("asem") or "asem"]
    env = None
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
        env = {**os.environ, "ASEM_EMBED_THREADS": "1"}
    return subprocess.Popen([*command, "--db", str(db), "serve", "--port", str(port),
                             "--log-level", "warning"], stderr=subprocess.PIPE, text=True,
                            env=env)


def wait_ready(url: str, server: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read() if server.stderr else ''}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready within {seconds} s")


# -- 3. load -------------------------------------------------------------------------------
@dataclass
class ClientLog:
    tenant: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    """(operation, status code or 'transport') → count."""
    acknowledged: list[dict] = field(default_factory=list)
    """The WriteResult (op, note_id, added_id) and text of every add answered 201."""
    seen: set[str] = field(default_factory=set)
    """Ids of every note a response showed this client."""
    foreign: int = 0
    """Responses holding a note whose user_id is not this client's tenant."""


def run_client(url: str, key: str, log: ClientLog, ops: int, seed: int, number: int,
               tick: Callable[[], None] | None = None) -> None:
    rng = random.Random(seed)
    last_retrieval: str | None = None
    kinds, weights = zip(*WEIGHTS.items(), strict=True)
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {key}"},
                      timeout=120) as client:
        for i in range(ops):
            kind = rng.choices(kinds, weights)[0]
            if kind == "feedback" and last_retrieval is None:
                kind = "search"
            if kind == "search":
                body: dict = {"query": query(rng), "k": 5}
            elif kind == "add":
                body = {"text": f"{next(texts(rng, 10**6 * (number + 1) + i))} "
                                f"Marker load-{number}-{i}."}
            else:
                body = {"retrieval_id": last_retrieval, "reward": rng.choice([1.0, -0.5])}
            start = time.perf_counter()
            try:
                r = client.post({"search": "/v1/search", "add": "/v1/notes",
                                 "feedback": "/v1/feedback"}[kind], json=body)
            except httpx.TransportError:
                log.statuses[kind, "transport"] += 1
                continue
            finally:  # the time read before the bar moves: its lock is not in the latency
                took = time.perf_counter() - start
                if tick is not None:
                    tick()
            log.latencies[kind].append(took)
            log.statuses[kind, r.status_code] += 1
            if r.status_code >= 300:
                continue
            if kind == "search":
                found = r.json()
                last_retrieval = found["retrieval_id"]
                notes = [h["note"] for h in found["hits"]]
                log.seen.update(n["id"] for n in notes)
                log.foreign += any(n["user_id"] != log.tenant for n in notes)
            elif kind == "add":
                log.acknowledged += [res | {"text": body["text"]} for res in r.json()["results"]]


def load(urls: list[str], keys: dict[str, str], clients: int, ops: int,
         seed: int) -> tuple[list[ClientLog], float]:
    """Each client's log and the wall time of the load; a progress bar on stderr counts the
    operations answered (or failed) of all clients together."""
    tenants = list(keys)
    logs = [ClientLog(tenants[i % len(tenants)]) for i in range(clients)]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(f"load on {len(urls)} server(s)", total=clients * ops)
        threads = [threading.Thread(target=run_client, args=(urls[i % len(urls)],
                                                             keys[log.tenant], log, ops,
                                                             seed * 1000 + i, i,
                                                             lambda: bar.advance(task)))
                   for i, log in enumerate(logs)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return logs, time.perf_counter() - start


# -- 4. check ------------------------------------------------------------------------------
def check(db: Path | str, logs: list[ClientLog], owned: dict[str, set[str]]) -> dict[str, int]:
    """Acknowledged adds lost or stored twice, and notes shown to a tenant not theirs.

    An acknowledged input is lost when the note its answer named (the note added, updated or
    recorded on; the note stored after a DELETE) is not in the file, or when an added note
    holds other text and its history shows no later change (a later UPDATE by the manager
    is a decision, not a loss), or when an update's note has no UPDATE in its history. It
    is duplicated when its text is live in two notes.
    """
    lost = duplicated = 0
    with Memory(db) as memory:
        for tenant in owned:
            live: Counter = Counter()
            offset = 0
            while page := memory.list_notes(tenant, limit=1000, offset=offset,
                                            include_deleted=True, include_superseded=True):
                live.update(n.content for n in page if n.deleted_at is None)
                owned[tenant].update(n.id for n in page)
                offset += len(page)
            for log in (x for x in logs if x.tenant == tenant):
                for result in log.acknowledged:
                    held = result["added_id"] if result["op"] == "DELETE" else result["note_id"]
                    if not held:
                        continue  # discarded by the manager: nothing was to be stored
                    note = memory.store.get_notes([held], include_deleted=True).get(held)
                    changes = [e.op for e in memory.history(held, user_id=tenant)] if note else []
                    lost += note is None or (
                        result["op"] == "ADD" and note.content != result["text"]
                        and len(changes) == 1) or (
                        result["op"] == "UPDATE" and "UPDATE" not in changes)
                    duplicated += live[result["text"]] > 1
    other = 0
    for log in logs:
        others = set().union(*(ids for t, ids in owned.items() if t != log.tenant))
        other += len(log.seen & others)
    return {"lost": lost, "duplicated": duplicated, "other_tenant_notes_seen": other,
            "responses_with_other_tenant_notes": sum(log.foreign for log in logs)}


# -- 5. in-process -------------------------------------------------------------------------
def in_process(db: Path | str, tenant: str, ops: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {"search": [], "add": []}
    with Memory(db) as memory:
        memory.search("warm up", user_id=tenant)
        for i in range(ops):
            kind = "add" if i % 4 == 0 else "search"
            start = time.perf_counter()
            if kind == "add":
                memory.add(f"{next(texts(rng, 10**8 + i))} Marker local-{i}.", user_id=tenant)
            else:
                memory.search(query(rng), user_id=tenant, k=5)
            timings[kind].append(time.perf_counter() - start)
    return timings


def summary(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {kind: {"n": len(v), **{f"p{q}_ms": round(percentile(v, q) * 1000, 2)
                                   for q in (50, 95, 99)}}
            for kind, v in latencies.items() if v}


@contextmanager
def database(store: str, folder: Path) -> Iterator[Path | str]:
    """A fresh database for the run: an SQLite file in ``folder``, or a new PostgreSQL
    database (on a local server started for the run with ``store == "postgres"``)."""
    if store == "sqlite":
        yield folder / "load.db"
        return
    with (local_postgres() if store == "postgres" else nullcontext(store)) as url:
        databases = PostgresDatabases(url)
        try:
            yield databases.new("server_load")
        finally:
            databases.close()


def serve_and_load(db: Path | str, keys: dict[str, str], servers: int, pin: bool,
                   args: argparse.Namespace, seed: int) -> dict:
    """Steps 2–4 with ``servers`` server processes: the load's logs and figures."""
    ports = [free_port() for _ in range(servers)]
    running = [start_server(db, port, core=i % (os.cpu_count() or 1) if pin else None)
               for i, port in enumerate(ports)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, server in zip(urls, running, strict=True):
            wait_ready(url, server)
        logs, wall = load(urls, keys, args.clients, args.ops, seed)
    finally:
        for server in running:
            server.send_signal(signal.SIGTERM)
        exit_codes = [server.wait(120) for server in running]
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    for log in logs:
        for kind, values in log.latencies.items():
            latencies[kind] += values
        statuses.update(log.statuses)
    done = sum(len(v) for v in latencies.values())
    return {
        "servers": servers, "pinned": pin,
        "wall_s": round(wall, 2), "throughput_ops_s": round(done / wall, 1),
        "http": summary(latencies),
        "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(
            statuses.items(), key=lambda item: (item[0][0], str(item[0][1])))},
        "add_ops": dict(Counter(r["op"] for log in logs for r in log.acknowledged)),
        "acknowledged_adds": sum(len(log.acknowledged) for log in logs),
        "server_exit_codes": exit_codes, "_logs": logs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ops", type=int, default=500, help="operations per client")
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--notes", type=int, default=10_000, help="notes stored before")
    parser.add_argument("--in-process-ops", type=int, default=200)
    parser.add_argument("--store", default="sqlite",
                        help="sqlite (a file, the default), postgres (a local server started "
                             "for the run) or a PostgreSQL URL (a database is made on it)")
    parser.add_argument("--servers", type=int, default=1,
                        help="asem serve processes over the one database")
    parser.add_argument("--pin", action="store_true",
                        help="pin server i to core i with taskset, one embedder thread each")
    parser.add_argument("--compare", action="store_true",
                        help="run the load with one server, then with --servers, and report "
                             "the throughput ratio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    if args.servers < 1 or args.clients < 1 or args.ops < 1:
        parser.error("--servers, --clients and --ops must be at least 1")
    if args.pin and not shutil.which("taskset"):
        parser.error("--pin needs taskset (util-linux)")
    tenants = [f"tenant-{i}" for i in range(args.tenants)]
    with tempfile.TemporaryDirectory() as tmp, database(args.store, Path(tmp)) as db:
        began = time.perf_counter()
        print(f"filling {args.notes:,} notes over {len(tenants)} tenants ...", file=sys.stderr,
              flush=True)
        owned = fill(db, tenants, args.notes, args.seed)
        fill_s = time.perf_counter() - began
        with Memory(db, manager="always-add") as memory:
            ring = StoreKeyRing(memory.store)
            keys = {t: ring.create(user_id=t, name="load")[1] for t in tenants}
        runs = []
        for n, servers in enumerate([1, args.servers] if args.compare else [args.servers]):
            run = serve_and_load(db, keys, servers, args.pin, args, args.seed + n)
            run |= check(db, run.pop("_logs"), owned)
            runs.append(run)
        print(f"{args.in_process_ops} operations in-process ...", file=sys.stderr, flush=True)
        local = in_process(db, tenants[0], args.in_process_ops, args.seed)
    report = {
        "store": "sqlite" if args.store == "sqlite" else "postgres",
        "clients": args.clients, "ops_per_client": args.ops, "tenants": args.tenants,
        "notes_before": args.notes, "fill_s": round(fill_s, 1), **runs[-1],
        "in_process": summary(local),
    }
    if args.compare:
        report["runs"] = runs
        report["throughput_ratio"] = round(runs[1]["throughput_ops_s"]
                                           / runs[0]["throughput_ops_s"], 2)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    failed = any(r["lost"] or r["duplicated"] or r["other_tenant_notes_seen"]
                 or r["responses_with_other_tenant_notes"] or any(r["server_exit_codes"])
                 for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
