"""PostgreSQL at scale: many tenants in one database, each searched on its own.

Fills one database with ``--tenants`` tenants of ``--notes`` notes each (random unit vectors
of ``--dim`` dimensions, texts of words drawn from a Zipf-like vocabulary), then, for a sample
of tenants, times what a search asks of the store and checks what it gets:

- load: the tenant's vector index read into a fresh process's cache (the first search);
- dense: a cached index's brute-force cosine top 10 (every later search);
- nearest: the HNSW index's top 10 within the tenant (``PostgresStore.nearest``), and its
  recall@10 against the exact top 10;
- lexical: BM25 over full-text search with the tenant's own statistics.

Reports p50 and p95 in milliseconds, and the database size. Figures mean something only on an
otherwise idle machine.

    .venv/bin/python benchmarks/scale_postgres.py --tenants 100 --notes 1000 --dim 384 \
        --json bench-out/scale.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from asem.eval.databases import PostgresDatabases, local_postgres
from asem.eval.metrics import percentile
from asem.stores.base import NewNote, WriteBatch
from asem.stores.postgres import PostgresStore
from asem.types import Filters, Note, Scope

EMBEDDER = "random-unit"
BATCH = 500


def words(rng: np.random.Generator, vocabulary: int, count: int) -> str:
    ranks = np.minimum(rng.zipf(1.3, size=count), vocabulary)
    return " ".join(f"w{r}" for r in ranks)


def fill(store: PostgresStore, tenants: int, notes: int, dim: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    stamp = datetime(2024, 1, 1)
    for t in range(tenants):
        made = []
        for i in range(notes):
            vector = rng.normal(size=dim).astype(np.float32)
            vector /= np.linalg.norm(vector)
            made.append(NewNote(Note(
                id=f"t{t}n{i}", content=words(rng, 5000, 12), scope=Scope(f"tenant{t}"),
                created_at=stamp, observed_at=stamp, event_time=stamp, embedding=vector,
                intent_embedding=vector, content_hash=f"t{t}n{i}")))
        for start in range(0, len(made), BATCH):
            store.write(WriteBatch(tuple(made[start:start + BATCH])))


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    found = call()
    return found, (time.perf_counter() - start) * 1000


def measure(url: str, tenants: int, notes: int, dim: int, queries: int,
            seed: int = 0) -> dict[str, Any]:
    store = PostgresStore(url, embedder_id=EMBEDDER, dimension=dim)
    try:
        started = time.perf_counter()
        fill(store, tenants, notes, dim, seed)
        fill_s = time.perf_counter() - started
        with store._read() as conn:  # fresh planner statistics after the bulk load
            conn.execute("ANALYZE notes")
        size = int(store.stats(None)["file_bytes"])
    finally:
        store.close()
    rng = np.random.default_rng(seed + 1)
    times: dict[str, list[float]] = {"load": [], "dense": [], "nearest": [], "lexical": []}
    recalls: list[float] = []
    for _ in range(queries):
        user = f"tenant{int(rng.integers(tenants))}"
        vector = rng.normal(size=dim).astype(np.float32)
        vector /= np.linalg.norm(vector)
        fresh = PostgresStore(url, embedder_id=EMBEDDER, dimension=dim)
        try:
            index, ms = timed(lambda u=user, s=fresh: s.vector_index(u))
            times["load"].append(ms)
            exact, ms = timed(lambda i=index, v=vector: [
                i.ids[r] for r in np.argsort(-i.similarities(v))[:10]])
            times["dense"].append(ms)
            near, ms = timed(lambda u=user, v=vector, s=fresh: s.nearest(
                Scope(u), Filters(include_superseded=True), v, 10))
            times["nearest"].append(ms)
            recalls.append(len({i for i, _ in near} & set(exact)) / 10)
            terms = words(rng, 5000, 4).split()
            _, ms = timed(lambda u=user, t=terms, s=fresh: s.lexical(u, t, 40))
            times["lexical"].append(ms)
        finally:
            fresh.close()
    return {
        "tenants": tenants, "notes_per_tenant": notes, "dim": dim, "queries": queries,
        "fill_seconds": round(fill_s, 1), "notes_per_s": round(tenants * notes / fill_s, 1),
        "db_bytes": size,
        "ms": {k: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
               for k, v in times.items()},
        "nearest_recall_at_10": round(float(np.mean(recalls)), 3),
    }


@contextmanager
def server(postgres: str) -> Iterator[str]:
    if postgres == "local":
        with local_postgres() as url:
            yield url
    else:
        yield postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="local", metavar="URL|local",
                        help="a server where the run may create a database, or 'local' to "
                             "start one (the postgres extra)")
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--notes", type=int, default=1000, help="notes per tenant")
    parser.add_argument("--dim", type=int, default=384, help="vector dimensions")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    with server(args.postgres) as url:
        databases = PostgresDatabases(url)
        try:
            report = measure(databases.new("scale"), args.tenants, args.notes, args.dim,
                             args.queries)
        finally:
            databases.close()
    print(json.dumps(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
