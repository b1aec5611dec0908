"""Retraining the write policy on a user's own streams: does it pay on streams like theirs?

The user's streams here are LongMemEval knowledge-update questions (read from the data
path, written as the JSON lines ``asem train manager --user-streams`` takes into ``--out``,
never into the repository): each stream is the user's turns of the question's evidence
sessions in date order, with the question as its one probe and the newer value as the
answer. Questions alternate between a training file and a test file. The script trains
with the training file through the same code as the CLI, then compares the shipped
checkpoint and the retrained one on the test file (probe accuracy, notes per event) and on
the built-in held-out streams (probe accuracy, notes, canonical cases), in one report.

    .venv/bin/python benchmarks/user_streams.py \\
        --data ../shared/data/longmemeval/longmemeval_oracle.json --out bench-out/user
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from asem.manager import policy
from asem.manager.bench import compare
from asem.manager.env.real import knowledge_update_streams
from asem.manager.env.sim import EmbeddingCache
from asem.manager.env.user import load_user_streams
from asem.manager.train import TrainConfig, checkpoint_meta, train_restarts
from asem.providers.onnx_minilm import MiniLMEmbedder


def write_streams(data: Path, out: Path) -> tuple[Path, Path]:
    """Even-numbered questions to ``train.jsonl``, odd-numbered to ``test.jsonl``."""
    files = {"train": out / "train.jsonl", "test": out / "test.jsonl"}
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for n, stream in enumerate(knowledge_update_streams(data)):
        probe = stream.final_probes[0]
        record = {"events": [{"text": e.text} for e in stream.events],
                  "probes": [{"question": probe.question, "answer": probe.gold}]}
        lines["train" if n % 2 == 0 else "test"].append(json.dumps(record))
    for split, path in files.items():
        path.write_text("\n".join(lines[split]) + "\n", encoding="utf-8")
    return files["train"], files["test"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="longmemeval_oracle.json")
    parser.add_argument("--out", type=Path, default=Path("bench-out/user"))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.5,
                        help="share of training streams drawn from the user's (--user-share)")
    parser.add_argument("--held-out", type=int, default=100, help="built-in held-out streams")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train_file, test_file = write_streams(args.data, args.out)
    own, test = load_user_streams(train_file), load_user_streams(test_file)
    embed = EmbeddingCache(MiniLMEmbedder())
    config = TrainConfig(steps=args.steps, user_share=args.share)
    started = time.perf_counter()
    result = train_restarts(embed, config, args.restarts, user_streams=own)
    checkpoint = args.out / "manager-user.npz"
    meta = checkpoint_meta(config, result, args.restarts, len(own))
    policy.save(result.params, checkpoint, meta)
    trained = time.perf_counter() - started
    report = compare(["always-add", "learned", str(checkpoint)], embed,
                     n_streams=args.held_out, user=test)
    report |= {"train_streams": len(own), "test_streams": len(test), "share": args.share,
               "train_seconds": round(trained, 1), "checkpoint": meta}
    (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    for name, r in report["policies"].items():
        print(f"{name}: test streams probe acc {r['user_probe_accuracy']:.3f}, notes/event "
              f"{r['user_notes_per_event']:.2f} | held-out probe acc {r['probe_accuracy']:.3f}, "
              f"notes {r['notes_per_stream']:.2f}, canonical {r['canonical_accuracy']:.3f}")
    print(f"trained on {len(own)} streams in {trained:.0f} s; report: {args.out}/report.json")


if __name__ == "__main__":
    main()
