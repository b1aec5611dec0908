"""Concurrent writers: processes doing mixed operations on one store, then an audit.

For each store (one SQLite file; one PostgreSQL database) and surface (in-process: each
process its own ``Memory``; server: one ``asem serve`` on 127.0.0.1 and client processes
over REST), ``processes`` writers (``writers_ops.py``) each do ``ops`` operations (add,
search, feedback, update, delete, undo) for one of three tenants, with the default
(learned) manager and the HashEmbedder. Each logs every acknowledged call. Afterwards, read
by SQL (``acknowledged``, ``store_audit``):

- every acknowledged input present exactly once (``acknowledged`` defines it);
- every acknowledged edit in its note's history (an UPDATE by its writer with its text);
  every note's deleted-or-live state the one its writer's last delete or undo left, unless
  the manager deleted it later; a note an edit found gone is deleted;
- every feedback increment applied: increments logged per note = increments acknowledged,
  and each utility the serial replay of its log;
- no half-written note, and the engine's integrity check passes;
- 0 unexpected errors (a writer's or the server's). Typed, retryable refusals of a busy
  store (``StoreLockedError``, ``WriteConflictError``) are counted, not failed.

Sizes: FAST 4 processes × 60 operations, FULL 16 × 1,000, per store and surface.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from checks import Row, Size
from checks.acknowledged import Input, Stored, feedback_replay, presence, read
from checks.asem_launch import postgres, start_server, stop_server
from checks.store_audit import Target, audit

SIZES = {Size.FAST: (4, 60), Size.FULL: (16, 1000)}
"""processes, operations each."""
TENANTS = ("tenant-a", "tenant-b", "tenant-c")
DIMENSION = 256  # HashEmbedder's
OPS = Path(__file__).with_name("writers_ops.py")


def run(size: Size, *, postgres_url: str | None = None) -> list[Row]:
    """One row per store and surface. ``postgres_url``: a server's maintenance database to
    make the PostgreSQL databases on (default: a local server started for the run)."""
    processes, ops = SIZES[size]
    found = []
    with tempfile.TemporaryDirectory(prefix="asem-writers-") as tmp, \
            postgres(postgres_url) as databases:
        folder = Path(tmp)
        for store in ("sqlite", "postgresql"):
            for surface in ("in-process", "server"):
                name = f"{store}-{surface}"
                target = (folder / f"{name}.db" if store == "sqlite"
                          else databases.new(f"writers_{surface}"))
                found.append(measure(target, f"{store}, {surface}", surface == "server",
                                     processes, ops, folder / name))
    return found


def measure(target: Target, where: str, server: bool, processes: int, ops: int,
            folder: Path) -> Row:
    folder.mkdir(parents=True)
    started = time.perf_counter()
    keys = prepared(target, server, processes)
    with serving(target, folder, server) as (url, exits):
        codes = writers(target if url is None else url, keys, ops, folder)
    zero, counts = judge(read(target), logs(folder, processes), [actor for _, actor in keys])
    zero |= audit(target, DIMENSION)
    zero["unexpected errors"] += sum(c != 0 for c in codes) + sum(c != 0 for c in exits)
    return Row("concurrent writers", where, processes * ops, zero, counts,
               time.perf_counter() - started)


def tenant(worker: int) -> str:
    return TENANTS[worker % len(TENANTS)]


def prepared(target: Target, server: bool, processes: int) -> list[tuple[str | None, str]]:
    """Open the store once (an empty database is migrated before the writers race to it);
    per writer, its API key for the server (None in-process) and the actor its changes'
    history names."""
    from asem import Memory
    from asem.providers import HashEmbedder
    from asem.server.keys import StoreKeyRing

    with Memory(target, embedder=HashEmbedder(), background=False) as memory:
        if not server:
            return [(None, f"writer-{w}") for w in range(processes)]
        ring = StoreKeyRing(memory.store)
        made = [ring.create(user_id=tenant(w), name=f"writer {w}") for w in range(processes)]
        return [(raw, f"key:{key.id}") for key, raw in made]


@contextmanager
def serving(target: Target, folder: Path, server: bool) -> Iterator[tuple[str | None, list]]:
    """The server's URL (None in-process) and, once it stopped, its exit status."""
    exits: list[int] = []
    if not server:
        yield None, exits
        return
    running = start_server(target, folder / "server.log")
    try:
        yield running.url, exits
    finally:
        exits.append(stop_server(running))


def writers(target: Target, keys: list[tuple[str | None, str]], ops: int, folder: Path,
            timeout_s: float = 3600) -> list[int]:
    """Run the writers together (each starts once all are ready); their exit statuses."""
    go = folder / "go"
    specs = [{"surface": "memory" if key is None else "rest", "target": str(target),
              "tenant": tenant(w), "key": key, "actor": actor, "worker": w, "seed": 1000 + w,
              "ops": ops, "go": str(go), "ready": str(folder / f"ready-{w}"),
              "log": str(folder / f"writer-{w}.log")}
             for w, (key, actor) in enumerate(keys)]
    procs = [subprocess.Popen([sys.executable, str(OPS), json.dumps(s)],
                              stderr=open(folder / f"writer-{s['worker']}.err", "wb"))
             for s in specs]
    deadline = time.monotonic() + 300
    while not all(Path(s["ready"]).exists() for s in specs) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    go.touch()
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout_s))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(p.wait())
    return codes


def logs(folder: Path, processes: int) -> list[tuple[int, dict[str, Any]]]:
    """(writer, entry) of every logged call."""
    return [(w, json.loads(line)) for w in range(processes)
            for line in (folder / f"writer-{w}.log").read_text().splitlines()]


def judge(stored: Stored, logs: list[tuple[int, dict[str, Any]]], actors: list[str]
          ) -> tuple[dict[str, int], dict[str, float]]:
    """The zero-counts and other counts of one run's logs (writer, entry) against the
    store; ``actors``: the name each writer's changes have in history."""
    acks = [(w, e) for w, e in logs if e["outcome"] == "ack"]
    inputs = [Input(tenant(w), e["text"], e["turn"], r["op"], r["note_id"],
                    r["added_id"]) for w, e in acks if e["kind"] == "add" for r in e["got"]]
    zero, other = presence(stored, inputs)
    applied = Counter(n for _, e in acks if e["kind"] == "feedback" for n in e["got"])
    zero |= feedback_replay(stored, applied)
    zero["edits lost"] = edits_lost(stored, logs, actors)
    outcomes = Counter(e["outcome"] for _, e in logs)
    zero["unexpected errors"] = outcomes["unexpected"]
    counts: dict[str, float] = {
        "acknowledged": outcomes["ack"], "typed busy errors": outcomes["busy"],
        "edits of notes the manager deleted": outcomes["gone"],
        "undos refused (content live again)": outcomes["refused"],
        **{f"add {op}": n for op, n in sorted(Counter(i.op for i in inputs).items())},
        **{f"inputs {k}": v for k, v in other.items()},
        "feedback increments": sum(applied.values())}
    return zero, counts


def edits_lost(stored: Stored, logs: list[tuple[int, dict[str, Any]]],
               actors: list[str]) -> int:
    """Acknowledged edits, deletes and undos the store does not show, and edits that found
    a note gone that is not deleted."""
    lost = 0
    last: dict[str, tuple[int, str]] = {}
    for w, e in logs:
        actor = actors[w]
        if e["kind"] == "update" and e["outcome"] == "ack":
            lost += not any(op == "UPDATE" and who == actor and new["content"] == e["text"]
                            for op, who, new in stored.history.get(e["note"], []))
        if e["kind"] in ("delete", "undo") and e["outcome"] == "ack":
            last[e["note"]] = (w, e["kind"])
        if e["outcome"] == "gone" and "note" in e:
            note = stored.notes.get(e["note"])
            lost += note is None or not note.deleted
    for note_id, (w, kind) in last.items():
        note = stored.notes.get(note_id)
        deletes = [who for op, who, _ in stored.history.get(note_id, []) if op == "DELETE"]
        if note is None:
            lost += 1
        elif kind == "delete":
            lost += not note.deleted
        else:  # undone: live, unless the manager (not this writer) deleted it since
            lost += note.deleted and deletes[-1] == actors[w]
    return lost
