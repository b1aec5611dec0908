"""Does one tenant's lexical search grow with the other tenants of its SQLite file?

    .venv/bin/python benchmarks/tenant_lexical.py --tenants 1 300 1000 \
        --dir bench-out/tenant-files --json bench-out/tenant-lexical.json

For each count N, a file of N tenants × ``--per-tenant`` notes (the scale benchmark's
template notes and fill, ``scale.fill``), plus one tenant of a single note so that every
file takes the path of a file shared by tenants (with one tenant alone, FTS5 ranks by its
own ``bm25()``). The store's lexical channel (``SQLiteStore.lexical``, as a search calls it:
the tenant's note lengths counted already, 400 results) is timed for the middle tenant
with the same ``--queries`` questions in every file, one thread, after one warm-up pass.
Files are kept in ``--dir`` and reused when there (their fill takes minutes at a million
notes), so the code before and after a change can be timed on the same files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from scale import fill
from scale_corpus import query, templates_corpus

from asem import Memory
from asem.eval.metrics import percentile
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.read.terms import query_terms
from asem.stores.sqlite import lexical

LIMIT = 400
"""Results asked of the lexical channel (4 · k_candidates, as a search asks)."""


def timed_lexical(path: Path, user: str, questions: Sequence[list[str]]) -> dict[str, float]:
    with Memory(path, embedder=MiniLMEmbedder()) as memory:
        conn = memory.store._conn
        found = lexical.lengths(conn, user)
        size = found, sum(found.values())
        for terms in questions:  # warm: the pages a search reads are cached
            lexical.ranked(conn, user, terms, LIMIT, size)
        took = []
        for terms in questions:
            started = time.perf_counter()
            lexical.ranked(conn, user, terms, LIMIT, size)
            took.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(took, 50), 2), "p95_ms": round(percentile(took, 95), 2),
            "n": len(took), "notes_of_tenant": len(found)}


def made(directory: Path, tenants: int, per_tenant: int, embedder: MiniLMEmbedder,
         pool: int) -> Path:
    """The file of ``tenants`` × ``per_tenant`` notes (and the one-note tenant), made unless
    it is there already."""
    path = directory / f"tenants-{tenants}x{per_tenant}-pool{pool}.db"
    if path.exists():
        return path
    corpus = templates_corpus(embedder, pool, random.Random(0))
    partial = path.with_suffix(".partial")
    fill(partial, corpus, embedder, tenants, per_tenant)
    with Memory(partial, embedder=embedder, manager="always-add") as memory:
        memory.add("A single note of another tenant.", user_id="other")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{partial}{suffix}")
        if source.exists():
            source.rename(f"{path}{suffix}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[1, 300, 1000],
                        help="tenant counts, one file each (default: 1 300 1000)")
    parser.add_argument("--per-tenant", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pool", type=int, default=4000,
                        help="real embeddings the notes reuse, as in scale.py (default 4000)")
    parser.add_argument("--dir", type=Path, default=Path("bench-out/tenant-files"),
                        help="where the files are made, and reused when there")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if min(*args.tenants, args.per_tenant, args.queries, args.pool) < 1:
        parser.error("--tenants, --per-tenant, --queries and --pool must be positive")
    args.dir.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedder()
    rng = random.Random(3)
    questions = [query_terms(query(rng)) for _ in range(args.queries)]
    results = []
    for tenants in args.tenants:
        path = made(args.dir, tenants, args.per_tenant, embedder, args.pool)
        figures = timed_lexical(path, f"t{tenants // 2}", questions)
        row = {"tenants": tenants, "per_tenant": args.per_tenant,
               "file_mb": round(path.stat().st_size / 2**20), **figures}
        print(json.dumps(row), flush=True)
        results.append(row)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"limit": LIMIT, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
