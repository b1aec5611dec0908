"""Write- and read-path latency on the embedded default (local MiniLM, SQLite, no LLM).

    python benchmarks/perf.py --data ../shared/data [--json bench-out/perf.json]
                              [--embedder e5-small]

Measures, on real conversation text:
  add      median / p95 latency of `Memory.add` of one chat turn, on a store that already
           holds one LoCoMo conversation;
  ingest   bulk `Memory.ingest` throughput (turns/s) of LoCoMo conversations, and the
           ceiling set by the embedder alone (each raw turn embedded once, batched);
  search   median / p95 latency of `Memory.search` on a store of 10,000 notes
           (LoCoMo turns plus LongMemEval oracle user turns, one user scope).
Run it on an otherwise idle machine: timings share the CPU with anything else running.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from asem import Memory
from asem.chat import ChatTurn
from asem.eval import locomo
from asem.eval.metrics import percentile
from asem.providers import Embedder
from asem.providers.registry import EMBEDDERS, resolve_embedder
from asem.types import Message


def chat_turns(conv: locomo.Conversation) -> list[ChatTurn]:
    return [ChatTurn(Message(t.text, t.speaker, t.timestamp, t.dia_id), t.session_id)
            for t in conv.turns]


def longmemeval_turns(path: Path, limit: int) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    for q in json.loads(path.read_text(encoding="utf-8")):
        for sid, date, session in zip(q["haystack_session_ids"], q["haystack_dates"],
                                      q["haystack_sessions"], strict=True):
            when = datetime.strptime(re.sub(r"\s*\(\w+\)", "", date), "%Y/%m/%d %H:%M")
            for i, turn in enumerate(session):
                if turn["role"] == "user":
                    turns.append(ChatTurn(Message(turn["content"][:4000], "user", when,
                                                  f"{sid}:{i}"), sid))
                    if len(turns) >= limit:
                        return turns
    return turns


def bench_add(convs: list[locomo.Conversation], embedder: Embedder, tmp: Path,
              n: int) -> dict[str, float]:
    with Memory(tmp / "add.db", embedder=embedder) as memory:
        memory.ingest(chat_turns(convs[0]), user_id="u")
        samples = []
        for turn in convs[1].turns[:n]:
            start = time.perf_counter()
            memory.add(turn.text, user_id="u", speaker=turn.speaker, timestamp=turn.timestamp,
                       turn_id=turn.dia_id)
            samples.append(time.perf_counter() - start)
    return {"add_median_ms": round(statistics.median(samples) * 1000, 2),
            "add_p95_ms": round(percentile(samples, 95) * 1000, 2), "adds": len(samples),
            "store_notes_before": len(convs[0].turns)}


def bench_ingest(convs: list[locomo.Conversation], embedder: Embedder,
                 tmp: Path) -> dict[str, object]:
    rates = {}
    texts = [locomo.raw_document(t) for t in convs[0].turns]
    start = time.perf_counter()
    embedder.embed(texts)  # the ceiling: embedding each turn once, nothing else
    ceiling = round(len(texts) / (time.perf_counter() - start), 1)
    with Memory(tmp / "ingest.db", embedder=embedder) as memory:
        for conv in convs:
            turns = chat_turns(conv)
            start = time.perf_counter()
            memory.ingest(turns, user_id=conv.sample_id)
            rates[conv.sample_id] = round(len(turns) / (time.perf_counter() - start), 1)
    return {"ingest_turns_per_s": rates,
            "ingest_turns_per_s_median": statistics.median(rates.values()),
            "embedder_only_turns_per_s": ceiling}


def bench_search(convs: list[locomo.Conversation], lme: Path, embedder: Embedder,
                 tmp: Path, size: int, queries: int) -> dict[str, float]:
    turns = [t for c in convs for t in chat_turns(c)]
    turns += longmemeval_turns(lme, size - len(turns) + 500)
    with Memory(tmp / "search.db", embedder=embedder) as memory:
        memory.ingest(turns, user_id="u")
        stored = int(memory.stats("u")["notes"])
        extra = 0
        while stored < size:  # top up with more LongMemEval turns if duplicates were merged
            extra += 500
            more = longmemeval_turns(lme, size - len(convs) + 500 + extra)[-500:]
            memory.ingest(more, user_id="u")
            stored = int(memory.stats("u")["notes"])
        asked = [q.question for c in convs for q in c.questions][:queries]
        memory.search(asked[0], user_id="u")  # warm the vector cache
        samples = []
        for question in asked:
            start = time.perf_counter()
            memory.search(question, user_id="u", k=10)
            samples.append(time.perf_counter() - start)
    return {"search_median_ms": round(statistics.median(samples) * 1000, 2),
            "search_p95_ms": round(percentile(samples, 95) * 1000, 2),
            "store_notes": stored, "searches": len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--store-size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--only", choices=["add", "ingest", "search"], action="append")
    parser.add_argument("--embedder", choices=list(EMBEDDERS), default=None,
                        help="a named local embedder (default: minilm)")
    args = parser.parse_args()
    convs = locomo.load(args.data / "locomo" / "locomo10.json")
    embedder = resolve_embedder(args.embedder)
    embedder.embed(["warm up the model"])
    only = set(args.only or ["add", "ingest", "search"])
    figures: dict[str, object] = {"embedder": embedder.model_id}
    with tempfile.TemporaryDirectory(prefix="asem-perf-") as tmp:
        if "add" in only:
            figures |= bench_add(convs, embedder, Path(tmp), args.adds)
            print(json.dumps(figures), file=sys.stderr)
        if "ingest" in only:
            figures |= bench_ingest(convs[:3], embedder, Path(tmp))
            print(json.dumps(figures), file=sys.stderr)
        if "search" in only:
            figures |= bench_search(convs, args.data / "longmemeval" / "longmemeval_oracle.json",
                                    embedder, Path(tmp), args.store_size, args.queries)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
