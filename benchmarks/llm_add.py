"""`add` latency with a language model configured, and what the model costs per turn.

    python benchmarks/llm_add.py --llm gguf:PATH|local|openai:MODEL@URL \
        [--data ../shared/data] [--turns 120] [--json bench-out/llm-add.json]

Adds the first N turns of LoCoMo conv-26 one at a time to a fresh memory (real MiniLM
embedder, SQLite file) whose background worker runs the model on the same machine — so
`add` competes with the model for the CPU, as it would for a user. Then waits for the
queue to drain and reports: add latency (median, p95), LLM calls, prompt and completion
tokens per ingested turn, failed jobs, and references the model made outside its
candidate set (dropped).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from asem import Memory
from asem.eval import locomo
from asem.eval.metrics import percentile
from asem.llm.registry import resolve_llm
from asem.providers.onnx_minilm import MiniLMEmbedder


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", required=True, help="model spec, as for asem --llm")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--turns", type=int, default=120)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    (conv,) = locomo.load(args.data / "locomo" / "locomo10.json", ["conv-26"])
    turns = conv.turns[: args.turns]
    with tempfile.TemporaryDirectory() as tmp:
        memory = Memory(Path(tmp) / "m.db", embedder=MiniLMEmbedder(),
                        llm=resolve_llm(args.llm))
        memory.add("warm-up", user_id="warm-up")  # load the embedder outside the timing
        seconds = []
        for t in turns:
            start = time.perf_counter()
            memory.add(t.text, user_id="conv-26", speaker=t.speaker, timestamp=t.timestamp,
                       turn_id=t.dia_id, session_id=None, source_id=t.session_id)
            seconds.append(time.perf_counter() - start)
        drain_start = time.perf_counter()
        while sum(memory.store.job_counts().get(s, 0) for s in ("pending", "running")):
            time.sleep(0.5)
        drained = time.perf_counter() - drain_start
        usage = memory.llm_usage.snapshot()
        counts = memory.store.job_counts("conv-26")
        rejected = len(memory.worker.stats.rejected) if memory.worker else 0
        memory.close()
    n = len(turns) + 1  # the warm-up note is a job too
    report = {
        "llm": args.llm, "turns": len(turns),
        "add_p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "add_p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "llm_calls_per_turn": round(usage.calls / n, 3),
        "prompt_tokens_per_turn": round(usage.prompt_tokens / n, 1),
        "completion_tokens_per_turn": round(usage.completion_tokens / n, 1),
        "jobs": counts, "rejected_refs": rejected,
        "seconds_to_drain_after_last_add": round(drained, 1),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
