"""Concurrent merges into a handful of notes: does any acknowledged write vanish?

Writers add short unique inputs to one user whose memory holds ``--hot`` notes; the policy
merges every input into its nearest note (``AlwaysMerge``: nothing is ever replaced), so
every input is a contended merge into one of those notes. Two setups, each on a fresh file:
``--threads`` threads sharing one Memory (as a server's thread pool does), and
``--processes`` processes with a Memory each on one file (or, with ``--postgres``, one
PostgreSQL database: writers as several servers would be). For each it reports:

- lost: acknowledged inputs (ADD, UPDATE, NOOP, DELETE returned) whose text is in no live
  note: a merge written over another one;
- duplicates: input lines held more than once across live notes;
- conflicts: writes the store refused because a note they were decided on had changed (each
  was decided again), and locked: writes decided holding the write lock after that;
- gave up: adds that raised (not acknowledged, so not counted as lost);
- adds per second (wall clock; meaningful only on an otherwise idle machine).

HashEmbedder and an enricher that adds nothing keep the cost on the write path itself.

    .venv/bin/python benchmarks/contention.py --threads 8 --processes 8 --adds 500 --hot 4
    .venv/bin/python benchmarks/contention.py --postgres local --processes 8 --adds 500
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from asem import Memory
from asem.errors import ASEMError, WriteConflictError
from asem.eval.databases import Databases, PostgresDatabases, local_postgres
from asem.providers import HashEmbedder
from asem.stores.base import Store, WriteBatch
from asem.stores.open import StoreOptions, open_store
from asem.types import Enrichment
from asem.write.manager import AlwaysMerge

USER = "u"


class NoEnrichment:
    """Attributes are not what is measured: every input gets none."""

    def enrich(self, items: Sequence[object]) -> list[Enrichment]:
        return [Enrichment() for _ in items]


class Counting:
    """A store that counts the writes it refused and the write locks taken."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.conflicts = 0
        self.locked = 0

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def write(self, batch: WriteBatch) -> set[str]:
        try:
            return self._store.write(batch)
        except WriteConflictError:
            with self._lock:
                self.conflicts += 1
            raise

    def snapshot(self, *, exclusive: bool = False, users: Sequence[str] = ()):
        if exclusive:
            with self._lock:
                self.locked += 1
        return self._store.snapshot(exclusive=exclusive, users=users)


def open_memory(path: Path | str) -> tuple[Memory, Counting]:
    """The memory on an SQLite file or a PostgreSQL URL."""
    embedder = HashEmbedder()
    store = Counting(open_store(path, StoreOptions(embedder.model_id, embedder.dimension)))
    memory = Memory(store=store, embedder=embedder, enricher=NoEnrichment(),  # type: ignore[arg-type]
                    manager=AlwaysMerge(), background=False)
    return memory, store


def seed(path: Path | str, hot: int) -> None:
    memory, _ = open_memory(path)
    with memory:
        for h in range(hot):
            memory.add(f"topic{h} notes", user_id=USER)


def text(worker: int, i: int, hot: int) -> str:
    return f"topic{i % hot} w{worker}i{i}"


@dataclass
class Outcome:
    """What one writer saw."""

    acknowledged: list[tuple[str, str]]
    """(input, op) of every add that returned."""
    gave_up: int = 0
    conflicts: int = 0
    locked: int = 0


def add_all(memory: Memory, worker: int, adds: int, hot: int) -> Outcome:
    outcome = Outcome([])
    for i in range(adds):
        said = text(worker, i, hot)
        try:
            (result,) = memory.add(said, user_id=USER)
        except ASEMError:
            outcome.gave_up += 1
            continue
        outcome.acknowledged.append((said, result.op.value))
    return outcome


def run_threads(path: Path | str, workers: int, adds: int, hot: int) -> tuple[list[Outcome], float]:
    """Outcomes, and seconds from the start signal until the last writer is done."""
    memory, store = open_memory(path)
    outcomes: list[Outcome] = []
    start = threading.Barrier(workers + 1)

    def work(worker: int) -> None:
        start.wait()
        outcomes.append(add_all(memory, worker, adds, hot))

    with memory:
        threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        start.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    outcomes[0].conflicts, outcomes[0].locked = store.conflicts, store.locked
    return outcomes, seconds


def _process(path: str, worker: int, adds: int, hot: int, ready, go, results) -> None:
    memory, store = open_memory(path)
    with memory:
        ready.release()
        go.wait()
        outcome = add_all(memory, worker, adds, hot)
        done = time.perf_counter()
    outcome.conflicts, outcome.locked = store.conflicts, store.locked
    results.put((asdict(outcome), done))


def run_processes(path: Path | str, workers: int, adds: int,
                  hot: int) -> tuple[list[Outcome], float]:
    """Outcomes, and seconds from the start signal (every process has opened the file)
    until the last writer is done."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    procs = [context.Process(target=_process,
                             args=(str(path), w, adds, hot, ready, go, results))
             for w in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire(timeout=600)
    started = time.perf_counter()
    go.set()
    finished = [results.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
    return [Outcome(**o) for o, _ in finished], max(t for _, t in finished) - started


def live_lines(path: Path | str) -> Counter[str]:
    memory, _ = open_memory(path)
    with memory:
        index = memory.store.vector_index(USER)
        notes = memory.store.get_notes(index.ids)
    return Counter(line for note in notes.values() for line in note.content.split("\n"))


def measure(setup: str, workers: int, adds: int, hot: int, folder: Path,
            databases: Databases | None = None) -> dict:
    """Run one setup (``threads`` or ``processes``) on a fresh file (or a fresh database of
    ``databases``); its report."""
    path = databases.new(setup) if databases is not None else folder / f"{setup}.db"
    seed(path, hot)
    run = run_threads if setup == "threads" else run_processes
    outcomes, seconds = run(path, workers, adds, hot)
    lines = live_lines(path)
    acknowledged = [a for o in outcomes for a in o.acknowledged]
    return {
        "setup": setup, "store": databases.kind if databases is not None else "sqlite",
        "writers": workers, "adds": workers * adds, "hot_notes": hot,
        "acknowledged": len(acknowledged),
        "ops": dict(Counter(op for _, op in acknowledged)),
        "lost": sum(1 for said, _ in acknowledged if lines[said] == 0),
        "duplicates": sum(n - 1 for n in lines.values() if n > 1),
        "conflicts": sum(o.conflicts for o in outcomes),
        "locked": sum(o.locked for o in outcomes),
        "gave_up": sum(o.gave_up for o in outcomes),
        "seconds": round(seconds, 2),
        "adds_per_s": round(len(acknowledged) / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="threads sharing one Memory")
    parser.add_argument("--processes", type=int, default=8, help="processes on one file")
    parser.add_argument("--adds", type=int, default=500, help="adds per writer")
    parser.add_argument("--hot", type=int, default=4, help="notes every input merges into")
    parser.add_argument("--json", type=Path, help="also write the reports here")
    parser.add_argument("--postgres", metavar="URL|local",
                        help="run on PostgreSQL: a server where the run may create databases, "
                             "or 'local' to start one (the postgres extra)")
    args = parser.parse_args()
    reports = []
    with tempfile.TemporaryDirectory() as folder, _server(args.postgres) as server:
        databases = PostgresDatabases(server) if server else None
        try:
            for setup, workers in (("threads", args.threads), ("processes", args.processes)):
                if workers > 0:
                    report = measure(setup, workers, args.adds, args.hot, Path(folder),
                                     databases)
                    print(json.dumps(report))
                    reports.append(report)
        finally:
            if databases is not None:
                databases.close()
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))


@contextmanager
def _server(postgres: str | None) -> Iterator[str | None]:
    if postgres is None:
        yield None
    elif postgres == "local":
        with local_postgres() as url:
            yield url
    else:
        yield postgres


if __name__ == "__main__":
    main()
