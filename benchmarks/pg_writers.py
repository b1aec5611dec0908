"""Adds on PostgreSQL while another worker writes the same tenant.

    .venv/bin/python benchmarks/pg_writers.py [--notes 100000] [--rounds 30] [--json OUT]

A local PostgreSQL (the postgres extra) is filled with one tenant of ``--notes`` notes (as
``benchmarks/scale.py`` fills it: a pool of real embeddings reused), then two stores on it,
two workers, take turns: the other adds a note, then this one adds a note and is timed. Its
write path must see the other's note before it decides (``Store.vector_index``): brought up
to date from the change log, or, with ``--reload``, the matrix loaded whole as before the
change log. Adds use the default manager and the real embedder.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402

from asem import Memory  # noqa: E402
from asem.eval.databases import PostgresDatabases, local_postgres  # noqa: E402
from asem.eval.metrics import percentile  # noqa: E402
from asem.providers.onnx_minilm import MiniLMEmbedder  # noqa: E402
from asem.stores.postgres import matrix  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--notes", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--reload", action="store_true",
                   help="load the matrix whole after every other write (before the log)")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    if args.reload:
        matrix.caught_up = lambda *a, **k: None  # type: ignore[assignment]
    real, rng = MiniLMEmbedder(), random.Random(0)
    corpus = scale.templates_corpus(real, 4000, rng)
    with local_postgres() as url:
        target = PostgresDatabases(url).new(f"writers_{args.notes}")
        scale.fill(target, corpus, real, 1, args.notes)
        with Memory(target, embedder=real) as one, Memory(target, embedder=real) as other:
            one.add("A first note of this worker.", user_id="t0")  # its matrix loaded
            times = []
            for i in range(args.rounds):
                other.add(f"{scale.query(rng)} Said by the other worker {i}.", user_id="t0")
                started = time.perf_counter()
                one.add(f"{scale.query(rng)} Said by this worker {i}.", user_id="t0")
                times.append((time.perf_counter() - started) * 1000)
            loads = one.store.index_loads
    result = {"notes": args.notes, "rounds": args.rounds, "reload": args.reload,
              "add_after_other_ms": {"p50": round(percentile(times, 50), 1),
                                     "p95": round(percentile(times, 95), 1),
                                     "max": round(max(times), 1)},
              "matrix_loads": loads}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
