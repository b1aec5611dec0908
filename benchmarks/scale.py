"""Search and write latency as one tenant's memory grows, through the default read path.

    python benchmarks/scale.py [--sizes 10000 100000] [--queries 200] [--adds 100]
                               [--tenants 1 --per-tenant N] [--store sqlite|postgres|URL]
                               [--texts templates|longmemeval --data PATH --embeddings PATH]
                               [--json bench-out/scale.json]

For each size, a fresh database (an SQLite file, or a new database on PostgreSQL: a local
server started for the run with ``--store postgres``) is filled with that many notes of one
tenant (or ``--tenants`` tenants of ``--per-tenant`` notes, measured in one of them), then:

- cold start: a new ``Memory`` on the file (the embedder already loaded) to its first
  search result: the tenant's vector index is loaded here;
- search p50/p95 (k = 10, default read path, real MiniLM query embedding);
- add p50 (``Memory.add`` with the default learned manager and embedder);
- a search just after an add (the add's commit must not make it reload);
- a search just after another process's commit: a child process on the same file adds a
  note, then this one searches (the change log patches the index; no reload);
- a search just after an update of a random note;
- RSS of this process after the searches;
- on PostgreSQL, the HNSW index's recall@10 against an exact scan of the same rows
  (``hnsw_recall_at_10``): the store's nearest notes through the index (``exact_limit=0``)
  against every row of the tenant sorted by cosine, over ``--recall-queries`` real queries.
  The fill repeats each pool vector many times, so notes tie; a note counts as found when
  its similarity reaches the exact 10th (ids of tied notes may differ).

On PostgreSQL a search reads its dense candidates from the database (``Store.dense``: the
HNSW index for a large tenant, an exact scan for a small one), so no figure here includes
loading a tenant's vectors into the process.

Two corpora (``--texts``; ``scale_corpus.py``). **templates** (the default): sentences from
five templates over names, things and cities (a small, flat vocabulary: a common query word
is in a fifth of the notes). Embedding a million texts takes hours on two cores, so the fill
reuses a pool of real MiniLM embeddings: ``--pool`` distinct texts are embedded once, and
every stored note is one of them with a running number of its own. Its vector (and its
intent vector, the same) is its pool text's moved by a little Gaussian noise (``JITTER`` per
dimension, then made unit length again: a cosine of about 0.98 with the pool text's), so
that no two notes have the same vector: a pool reused 250 times at a million notes would
otherwise store each vector 250 times over, and exact duplicates cut an HNSW graph into
cliques no search walks between (recall@10 0.41 at a million notes, each query all found or
none). The lexical index holds every note's own text. Queries and adds are embedded for
real.

**longmemeval** (``--data`` LongMemEval_S): its distinct turns, user turns first then the
assistant's (their first ``TURN_CHARS`` characters), each stored once with its own real
embedding (about 86,000 user turns; 100,000 notes take some assistant turns; embedded once
into ``--embeddings``, a cache that ``asem bench longmemeval`` shares); searches ask its
questions, adds and updates say turns left over. Real text, real vectors, no reuse.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from scale_corpus import Corpus, longmemeval_corpus, query, templates_corpus
from server_load import NAMES  # the same vocabulary of names

from asem import Memory
from asem.errors import InvalidInputError
from asem.eval.databases import Databases, PostgresDatabases, SQLiteFiles, local_postgres
from asem.eval.metrics import percentile
from asem.providers.embedder import Embedder, embed_queries
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.stores.base import NewNote, WriteBatch
from asem.types import Filters, Note, Provenance, Scope
from asem.write.inputs import content_hash

STAMP = datetime(2024, 1, 1)

BATCH = 2000


def fill(path: Path | str, corpus: Corpus, embedder: Embedder, tenants: int,
         per_tenant: int) -> float:
    """Store ``per_tenant`` notes of ``corpus`` for each tenant, BATCH per transaction;
    seconds taken.

    Notes are written to the store directly (as an import would: no manager decision, no
    keyword extraction), each a turn of one of a few sessions."""
    noise = np.random.default_rng(0)
    started = time.perf_counter()
    with Memory(path, embedder=embedder) as memory:
        store = memory.store
        for tenant in range(tenants):
            for first in range(0, per_tenant, BATCH):
                rows = range(first, min(per_tenant, first + BATCH))
                texts, vectors = corpus.stored(tenant, rows, noise)
                new = tuple(NewNote(_note(tenant, i, text, vector))
                            for i, text, vector in zip(rows, texts, vectors, strict=True))
                with store.snapshot(exclusive=True, users=[f"t{tenant}"]):
                    store.write(WriteBatch(new=new))
                print(f"\r  filled {tenant * per_tenant + first + len(new):,} notes", end="",
                      file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - started


def _note(tenant: int, i: int, text: str, vector: np.ndarray) -> Note:
    at = STAMP + timedelta(minutes=i)
    speaker = NAMES[i % len(NAMES)]
    return Note(id=uuid.uuid4().hex, content=text,
                scope=Scope(f"t{tenant}", None, f"s{i // 500}"), created_at=at,
                observed_at=at, event_time=at, keywords=tuple(text.lower().split()[:4]),
                context=f"{speaker}, on {at:%d %B %Y}", embedding=vector,
                intent_embedding=vector, content_hash=content_hash(text),
                provenance=Provenance(turn_ids=(f"{tenant}-{i}",), source_id=f"s{i // 500}"))


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
            "max": round(max(values), 2), "n": len(values)}


CHILD = """
import sys
from asem import Memory
with Memory(sys.argv[1]) as memory:
    for line in sys.stdin:
        memory.add(line.strip(), user_id=sys.argv[2])
        print("ok", flush=True)
"""


def measure(path: Path | str, real: MiniLMEmbedder, user: str, queries: int, adds: int,
            rng: random.Random, corpus: Corpus) -> dict[str, object]:
    ask = corpus.ask
    started = time.perf_counter()
    memory = Memory(path, embedder=real)
    memory.search(ask(rng), user_id=user, k=10)
    cold = time.perf_counter() - started
    try:
        search = [timed(lambda: memory.search(ask(rng), user_id=user, k=10))
                  for _ in range(queries)]
        add, after_add = [], []
        for i in range(adds):
            add.append(timed(lambda i=i: memory.add(corpus.said(rng, i), user_id=user)))
            after_add.append(timed(lambda: memory.search(ask(rng), user_id=user, k=10)))
        after_update = []
        ids = [n.id for n in memory.list_notes(user, limit=500)]
        for i in range(min(adds, 50)):
            memory.update(rng.choice(ids), f"{corpus.said(rng, adds + i)} Changed {i}.",
                          user_id=user)
            after_update.append(timed(lambda: memory.search(ask(rng), user_id=user, k=10)))
        after_other = _after_other_process(path, memory, user, min(adds, 50), rng, corpus)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"cold_start_s": round(cold, 3), "search_ms": summary(search),
                "add_ms": summary(add), "search_after_add_ms": summary(after_add),
                "search_after_update_ms": summary(after_update),
                "search_after_other_process_ms": summary(after_other),
                "index_loads": getattr(memory.store, "index_loads", None),
                "peak_rss_mb": round(rss_mb)}
    finally:
        memory.close()


def hnsw_recall(url: str, real: MiniLMEmbedder, user: str, queries: int,
                rng: random.Random, k: int = 10,
                ef_searches: Sequence[int] | None = None,
                corpus: Corpus | None = None) -> dict[str, object]:
    """Recall@k of the HNSW index against an exact scan over the same rows (see the module
    docstring), the share of queries answered fully, and the index walk's time per query,
    at each of ``ef_searches`` (default: the store's; the first gives the top figures)."""
    from asem.stores.postgres import PostgresStore
    from asem.stores.postgres.nearest import EF_SEARCH

    ef_searches = ef_searches or [EF_SEARCH]
    exact = PostgresStore(url, embedder_id=real.model_id, exact_limit=2**62)
    ask = corpus.ask if corpus is not None else query
    vectors = embed_queries(real, [ask(rng) for _ in range(queries)])
    try:
        wanted = [exact.nearest(Scope(user), Filters(), vector, k) for vector in vectors]
    finally:
        exact.close()
    by_ef: dict[str, dict[str, float]] = {}
    for ef in ef_searches:
        indexed = PostgresStore(url, embedder_id=real.model_id, exact_limit=0, ef_search=ef)
        try:
            found, full, took = 0, 0, []
            for vector, want in zip(vectors, wanted, strict=True):
                started = time.perf_counter()
                got = indexed.nearest(Scope(user), Filters(), vector, k)
                took.append((time.perf_counter() - started) * 1000)
                bar = want[-1][1] - 1e-6 if want else 1.0
                hits = sum(1 for _, sim in got if sim >= bar)
                found += min(hits, len(want))
                full += hits >= len(want)
        finally:
            indexed.close()
        by_ef[str(ef)] = {"recall_at_10": round(found / max(1, k * len(vectors)), 4),
                          "queries_complete": round(full / max(1, len(vectors)), 4),
                          "ms_p50": round(percentile(took, 50), 2)}
    first = by_ef[str(ef_searches[0])]
    return {"hnsw_recall_at_10": first["recall_at_10"],
            "hnsw_queries_complete": first["queries_complete"], "hnsw_by_ef_search": by_ef}


def _after_other_process(path: Path | str, memory: Memory, user: str, rounds: int,
                         rng: random.Random, corpus: Corpus) -> list[float]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), user],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        times = []
        for i in range(rounds):
            said = " ".join(corpus.said(rng, 200 + i).split())
            child.stdin.write(f"{said} Said elsewhere {i}.\n")
            child.stdin.flush()
            if child.stdout.readline().strip() != "ok":
                raise RuntimeError("the writing process failed")
            times.append(timed(lambda: memory.search(corpus.ask(rng), user_id=user, k=10)))
        return times
    finally:
        child.stdin.close()
        child.wait(timeout=60)


def store_kind(text: str) -> str:
    """``--store``: sqlite, postgres, or a PostgreSQL URL."""
    if text in ("sqlite", "postgres") or text.startswith(("postgresql://", "postgres://")):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither sqlite, postgres nor a postgresql:// URL")


@contextmanager
def fresh_databases(store: str, tmp: Path) -> Iterator[Databases]:
    """Fresh databases of the kind ``--store`` names, released at the end."""
    if store == "sqlite":
        yield SQLiteFiles(tmp)
        return
    with ExitStack() as stack:
        url = stack.enter_context(local_postgres()) if store == "postgres" else store
        databases = PostgresDatabases(url)
        stack.callback(databases.close)
        yield databases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="notes of the one tenant measured (default: 10000 100000)")
    parser.add_argument("--tenants", type=int, default=1,
                        help="tenants per store, each of --per-tenant notes (overrides --sizes)")
    parser.add_argument("--per-tenant", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--adds", type=int, default=100)
    parser.add_argument("--pool", type=int, default=4000, help="real embeddings to reuse")
    parser.add_argument("--texts", choices=["templates", "longmemeval"], default="templates",
                        help="templates (a pool of embeddings reused, the default) or "
                             "longmemeval: LongMemEval_S's distinct turns, each its own real "
                             "embedding, its questions as queries (needs --data)")
    parser.add_argument("--data", type=Path, help="LongMemEval_S JSON (.gz), for --texts "
                        "longmemeval")
    parser.add_argument("--embeddings", type=Path,
                        help="embedding cache (SQLite) for --texts longmemeval")
    parser.add_argument("--recall-queries", type=int, default=100,
                        help="queries for the HNSW recall figure (PostgreSQL only)")
    parser.add_argument("--ef-search", type=int, nargs="+", metavar="N",
                        help="hnsw.ef_search values the recall figure is taken at "
                             "(PostgreSQL only; default: the store's)")
    parser.add_argument("--store", default="sqlite", type=store_kind,
                        help="sqlite (a file, the default), postgres (a local server started "
                             "for the run) or a PostgreSQL URL (a database is made on it)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    rng = random.Random(7)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    real = MiniLMEmbedder()
    if args.texts == "longmemeval" and args.data is None:
        parser.error("--texts longmemeval needs --data PATH (longmemeval_s_cleaned_498.json.gz)")
    try:
        corpus = (templates_corpus(real, args.pool, rng) if args.texts == "templates" else
                  longmemeval_corpus(real, args.data, args.embeddings,
                                     max([args.per_tenant] if args.tenants > 1 else args.sizes)))
    except InvalidInputError as e:
        parser.error(str(e))
    layouts = ([(args.tenants, args.per_tenant)] if args.tenants > 1
               else [(1, size) for size in args.sizes])
    results = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        databases = stack.enter_context(fresh_databases(args.store, tmp))
        for tenants, per_tenant in layouts:
            target = databases.new(f"scale_{tenants}_{per_tenant}")
            print(f"{tenants} tenant(s) x {per_tenant:,} notes", file=sys.stderr)
            fill_s = fill(target, corpus, real, tenants, per_tenant)
            figures = measure(target, real, "t0", args.queries, args.adds, rng, corpus)
            figures |= {"tenants": tenants, "notes_per_tenant": per_tenant,
                        "fill_s": round(fill_s, 1)}
            if isinstance(target, Path):
                figures["file_mb"] = round(target.stat().st_size / 2**20)
            else:
                figures |= hnsw_recall(target, real, "t0", args.recall_queries, rng,
                                       ef_searches=args.ef_search, corpus=corpus)
            results.append(figures)
            print(json.dumps(figures), file=sys.stderr)
    report = {"store": args.store.split("://")[0], "texts": corpus.name,
              "distinct_embeddings": len(corpus.texts), "results": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
