"""What the sign-code shortlist of a large vector index misses, and what it saves.

    .venv/bin/python benchmarks/shortlist.py \
        --data ../shared/data/longmemeval/longmemeval_s_cleaned_498.json.gz \
        [--notes 100000] [--queries 300] [--rows 2000] [--k 5 10 20] \
        [--embeddings bench-out/lme-full/embeddings.sqlite] [--json OUT]

A ``VectorIndex`` of ``--notes`` distinct real texts (LongMemEval_S's user turns, embedded by
the default embedder; ``scale.py`` reuses a pool of 4,000 vectors, under which a shortlist
is easier than on real text) is searched with LongMemEval_S's questions, as the read path
asks (``MatrixSource.nearest``): once ranking every row, once ranking the shortlist
(``VectorIndex.shortlist``). Recall@k is the share of the shortlist's k results whose
similarity reaches the exact k-th (ties count as found); timings are one thread, median and
p95 over the queries. Embeddings are cached in ``--embeddings`` (the file
``asem bench longmemeval`` keeps holds most of them already).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from asem.errors import InvalidInputError
from asem.eval import longmemeval
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.metrics import percentile
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.stores import vector_index
from asem.stores.dense import MatrixSource
from asem.stores.sign_codes import SignCodes
from asem.stores.vector_index import VectorIndex

BATCH = 2000


def texts_and_questions(path: Path, notes: int, queries: int) -> tuple[list[str], list[str]]:
    """The first ``notes`` distinct user turns of the file's haystacks, and ``queries``
    questions spread over it."""
    loaded = longmemeval.load(path)
    texts: dict[str, None] = {}
    for case in loaded.cases:
        for turn in case.turns:
            texts.setdefault(turn.text)
            if len(texts) == notes:
                break
        if len(texts) == notes:
            break
    asked = [case.queries[0].question for case in loaded.cases]
    step = max(1, len(asked) // queries)
    return list(texts), asked[::step][:queries]


def embedded(embedder: CachedEmbedder, texts: list[str], kind: str) -> np.ndarray:
    parts = [embedder.embed(texts[i:i + BATCH], kind=kind)
             for i in tqdm(range(0, len(texts), BATCH), desc=f"embedding {kind}s", unit="batch")]
    return np.concatenate(parts).astype(np.float32)


def measure(vectors: np.ndarray, questions: np.ndarray, ks: list[int]) -> dict:
    """Recall@k of the shortlist against every row ranked, and the time of each."""
    n = len(vectors)
    index = VectorIndex([f"n{i}" for i in range(n)], vectors, vectors, ["a"] * n, [""] * n)
    mask = np.ones(n, bool)
    started = time.perf_counter()
    SignCodes.of(index.embeddings)  # what the first shortlist of an index makes
    codes_ms = (time.perf_counter() - started) * 1000
    index.shortlist(questions[0], mask, max(ks))  # the index's own codes, made untimed
    result: dict = {"notes": n, "queries": len(questions), "codes_made_ms": round(codes_ms, 1)}
    for k in ks:
        recall, exact_ms, listed_ms = [], [], []
        for question in questions:
            started = time.perf_counter()
            with _every_row():
                exact = MatrixSource(index, mask).nearest(question, k)
            exact_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            listed = MatrixSource(index, mask).nearest(question, k)
            listed_ms.append((time.perf_counter() - started) * 1000)
            kth = min(float(s) for _, s in exact)
            recall.append(np.mean([float(s) >= kth - 1e-6 for _, s in listed]))
        result[f"k{k}"] = {
            "recall": round(float(np.mean(recall)), 4),
            "recall_min": round(float(np.min(recall)), 3),
            "queries_all_found": round(float(np.mean(np.array(recall) == 1.0)), 4),
            "exact_ms": _ms(exact_ms), "shortlist_ms": _ms(listed_ms)}
    return result


class _every_row:
    """Within: every index ranks every row."""

    def __enter__(self) -> None:
        self._was = VectorIndex.shortlist_from
        VectorIndex.shortlist_from = 1 << 62

    def __exit__(self, *exc: object) -> None:
        VectorIndex.shortlist_from = self._was


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="LongMemEval_S JSON (.gz)")
    p.add_argument("--notes", type=int, default=100_000,
                   help="distinct user turns in the index (default 100000; the file has "
                        "about 86,000)")
    p.add_argument("--queries", type=int, default=300,
                   help="questions searched, spread over the file (default 300)")
    p.add_argument("--k", type=int, nargs="+", default=[5, 10, 20],
                   help="nearest notes asked for (default 5 10 20)")
    p.add_argument("--rows", type=int, nargs="+", default=[vector_index.SHORTLIST_ROWS],
                   help="shortlist sizes to measure (the shipped one by default)")
    p.add_argument("--embeddings", type=Path, help="embedding cache (SQLite) to read and fill")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    try:
        texts, asked = texts_and_questions(args.data, args.notes, args.queries)
    except InvalidInputError as e:
        p.error(str(e))
    embedder = CachedEmbedder(MiniLMEmbedder(), args.embeddings)
    vectors = embedded(embedder, texts, "document")
    questions = embedded(embedder, asked, "query")
    result: dict = {"per_result": vector_index.SHORTLIST_PER_RESULT,
                    "embedded": embedder.misses, "cached": embedder.hits, "by_rows": {}}
    for rows in args.rows:
        vector_index.SHORTLIST_ROWS = rows
        with threadpool_limits(1):
            result["by_rows"][rows] = measure(vectors, questions, args.k)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
