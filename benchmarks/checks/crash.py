"""Crash loop: kill -9 a process while it ingests, reopen, and audit what the store holds.

Three surfaces, each on one SQLite file and on one PostgreSQL database, with the default
(learned) manager, the HashEmbedder and a scripted model (``asem_launch.enriching_llm``), so
that every new note queues an LLM job:

- CLI: ``asem add`` and ``asem ingest FILE`` (60 turns) processes one after another, up
  to two run to the end, the next one killed at a random moment of its run; an input is
  acknowledged when its command exited 0 (the JSON result of ``add``; every turn of the
  file for ``ingest``);
- library: a process adding through ``Memory`` with the LLM worker in the background
  (``crash_writer.py``), killed at a random moment: four times in five after 0 to 6 of
  its adds returned, within the next 0.5 s; else while it starts and opens the store;
  acknowledged: the inputs it logged after ``add`` returned;
- server: ``asem serve`` with a client adding over REST, the server killed after 0 to 6
  adds were answered, within the next 0.5 s; acknowledged: every add answered 201.

After each kill the store is opened again as it is (no repair step) and checked:
every acknowledged input so far is present exactly once (``acknowledged``), no note is
half-written and the engine's integrity check passes (``store_audit``), every live note has
its LLM job, and the jobs left queued are processed (``process_llm_jobs``; a job left
``running`` by the killed worker is claimed again once its lease ran out: the check opens
with a lease of 0 s and, at the end, after a second, every job must be done). A zero-count
is the worst seen after any kill. Sizes: FAST 4 kills per surface on SQLite and 2 on
PostgreSQL; FULL 500 per surface and store.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from checks import Row, Size
from checks.acknowledged import Input, presence, read
from checks.asem_launch import command, enriching_llm, postgres, start_server
from checks.crash_writer import text
from checks.store_audit import Target, audit

SIZES = {Size.FAST: {"sqlite": 4, "postgresql": 2},
         Size.FULL: {"sqlite": 500, "postgresql": 500}}
"""Kills per surface, by store."""
TENANT = "crash"
DIMENSION = 256  # HashEmbedder's
WRITER = Path(__file__).with_name("crash_writer.py")
KILLED = -9
FILE_TURNS = 60
MOST_ACKS = 6
"""A library or server life is killed after 0 to this many acknowledged adds..."""
KILL_WITHIN_S = 0.5
"""...and then within this many seconds: mostly in the middle of the next add."""

Life = Callable[[Target, Path, str, random.Random, str], tuple[list[Input], int]]
"""One run of a surface until its kill: (the inputs acknowledged, unexpected exits)."""


def run(size: Size, *, postgres_url: str | None = None, seed: int = 0) -> list[Row]:
    """One row per store and surface. ``postgres_url``: a server's maintenance database to
    make the PostgreSQL databases on (default: a local server started for the run)."""
    rng = random.Random(seed)
    found = []
    with tempfile.TemporaryDirectory(prefix="asem-crash-") as tmp, \
            postgres(postgres_url) as databases:
        for store, kills in SIZES[size].items():
            for surface, life in LIVES.items():
                folder = Path(tmp) / f"{store}-{surface}"
                folder.mkdir()
                target = (folder / "m.db" if store == "sqlite"
                          else databases.new(f"crash_{surface}"))
                found.append(loop(target, f"{store}, {surface}", life, kills, folder, rng))
    return found


def loop(target: Target, where: str, life: Life, kills: int, folder: Path,
         rng: random.Random) -> Row:
    started = time.perf_counter()
    key = prepared(target)
    acked: list[Input] = []
    worst: Counter[str] = Counter({"lost": 0, "duplicated": 0, "half-written": 0,
                                   "integrity errors": 0, "reopen failed": 0,
                                   "jobs not resumed": 0, "unexpected exits": 0})
    counts: Counter[str] = Counter()
    for n in range(kills):
        got, unexpected = life(target, folder, f"L{n}", rng, key)
        acked += got
        worst["unexpected exits"] += unexpected
        for name, value in reopened(target, acked, counts).items():
            worst[name] = max(worst[name], value)
    time.sleep(1.1)  # past the lease of a job the last kill left running (0 s, to the second)
    for name, value in reopened(target, acked, counts, final=True).items():
        worst[name] = max(worst[name], value)
    counts["inputs acknowledged"] = len(acked)
    return Row("crash loop", where, kills, dict(worst), dict(counts),
               time.perf_counter() - started)


def prepared(target: Target) -> str:
    """Open the store once (a new database is migrated); an API key for the server."""
    from asem import Memory
    from asem.providers import HashEmbedder
    from asem.server.keys import StoreKeyRing

    with Memory(target, embedder=HashEmbedder(), background=False) as memory:
        return StoreKeyRing(memory.store).create(user_id=TENANT, name="crash")[1]


def reopened(target: Target, acked: list[Input], counts: Counter[str], *,
             final: bool = False) -> dict[str, int]:
    """Open the store as the kill left it, audit it, and resume its LLM jobs."""
    from asem import Memory
    from asem.config import LLMConfig
    from asem.providers import HashEmbedder

    try:
        memory = Memory(target, embedder=HashEmbedder(), llm=enriching_llm(),
                        background=False,
                        llm_config=LLMConfig(lease_s=0.0, retry_base_delay_s=0.0))
    except Exception:  # any failure to open is what this counts
        return {"reopen failed": 1}
    with memory:
        zero, other = presence(read(target), acked)
        zero |= audit(target, DIMENSION, jobs=True)
        counts["jobs resumed"] += memory.process_llm_jobs()
        jobs = memory.store.job_counts()
    counts["inputs ended by a later decision"] = other["ended"]
    left = jobs["pending"] + jobs["failed"] + (jobs["running"] if final else 0)
    return zero | {"jobs not resumed": left}


# -- the surfaces ------------------------------------------------------------------------------
def library_life(target: Target, folder: Path, life: str, rng: random.Random,
                 key: str) -> tuple[list[Input], int]:
    acks, ready = folder / f"{life}.acks", folder / f"{life}.ready"
    with open(folder / f"{life}.err", "wb") as err:
        process = subprocess.Popen([sys.executable, str(WRITER), str(target), TENANT, life,
                                    str(acks), str(ready)], stderr=err)
    if rng.random() < 0.8:  # mostly once the store is open and some adds returned
        need = rng.randint(0, MOST_ACKS)
        _wait(lambda: process.poll() is not None or acks.exists() and (
            need == 0 and ready.exists() or len(acks.read_bytes().splitlines()) >= need))
        time.sleep(rng.uniform(0, KILL_WITHIN_S))
    else:  # while it starts and opens the store
        time.sleep(rng.uniform(0, 1.0))
    process.kill()
    code = process.wait()
    lines = acks.read_text().splitlines() if acks.exists() else []
    return [Input(TENANT, **json.loads(line)) for line in lines], code != KILLED


_CLI_SECONDS = [3.0]
"""How long the CLI commands that ran to the end took (the kill moment is drawn in that)."""


def cli_life(target: Target, folder: Path, life: str, rng: random.Random,
             key: str) -> tuple[list[Input], int]:
    """``asem add`` and ``asem ingest`` in turn: up to two run to the end, the next one is
    killed at a moment drawn within how long a command takes."""
    finish = rng.randint(0, 2)
    acked: list[Input] = []
    for step in range(finish + 1):
        turn = f"{life}-{step}"
        if step % 2:
            file = folder / f"{turn}.jsonl"
            file.write_text("".join(json.dumps({"speaker": "Ana", "turn_id": f"{turn}-{j}",
                                                "content": _said(life, step, j)}) + "\n"
                                    for j in range(FILE_TURNS)))
            args = ["ingest", str(file)]
        else:
            said = _said(life, step, -1)
            args = ["add", said, "--turn-id", turn]
        began = time.monotonic()
        process = subprocess.Popen(command(["--db", str(target), "--user", TENANT, "--json",
                                            *args], fake_llm=True),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        typical = sorted(_CLI_SECONDS)[len(_CLI_SECONDS) // 2]
        try:
            out, err = process.communicate(
                timeout=rng.uniform(0.1, 1.2 * typical) if step == finish else 600)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return acked, 0
        _CLI_SECONDS.append(time.monotonic() - began)
        if process.returncode != 0:
            (folder / f"{turn}.err").write_bytes(err)
            return acked, 1
        if args[0] == "add":
            result = json.loads(out)
            acked.append(Input(TENANT, said, turn, result["op"], result["note_id"],
                               result.get("added_id")))
        else:
            acked += [Input(TENANT, _said(life, step, j), f"{turn}-{j}", None, "")
                      for j in range(FILE_TURNS)]
    return acked, 0


def _said(life: str, step: int, j: int) -> str:
    return text(f"{life}.{step}", j + 1)


def server_life(target: Target, folder: Path, life: str, rng: random.Random,
                key: str) -> tuple[list[Input], int]:
    """``asem serve`` with one client adding over REST, killed at a random moment."""
    server = start_server(target, folder / "server.log", fake_llm=True)
    acked: list[Input] = []

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Token {key}"}) as http:
            for i in range(100_000):
                said, turn = _said(life, i, 0), f"{life}-{i}"
                try:
                    r = http.post("/v1/notes", json={"text": said, "turn_id": turn})
                except httpx.TransportError:
                    return
                if r.status_code != 201:
                    failures.append(f"{r.status_code} {r.text}")
                    return
                (result,) = r.json()["results"]
                acked.append(Input(TENANT, said, turn, result["op"], result["note_id"],
                                   result["added_id"]))

    failures: list[str] = []
    thread = threading.Thread(target=client)
    thread.start()
    need = rng.randint(0, MOST_ACKS)
    _wait(lambda: len(acked) >= need or not thread.is_alive())
    time.sleep(rng.uniform(0, KILL_WITHIN_S))
    server.process.kill()
    code = server.process.wait()
    thread.join(120)
    if failures:
        (folder / f"{life}.err").write_text("\n".join(failures))
    return acked, (code != KILLED) + len(failures)


def _wait(done: Callable[[], bool], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


LIVES: dict[str, Life] = {"CLI": cli_life, "library": library_life, "server": server_life}
