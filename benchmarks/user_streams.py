"""Retraining the write policy on a user's own streams: does it pay on streams like theirs?

Two sources of such streams, written as the JSON lines ``asem train manager --user-streams``
takes into ``--out`` (never into the repository):

- ``--data``: LongMemEval knowledge-update questions, rewarded streams. Each is the user's
  turns of the question's evidence sessions in date order, with the question as its one
  probe and the newer value as the answer; questions alternate between a training file and
  a test file.
- ``--generated N``: labelled streams, N training-split streams of the built-in generator
  with every event's kind and slot as its label and ``about``, and each slot's and episode's
  probe with its answer written out; the test file holds N/4 held-out (test-split) streams.
  Trained on these alone (``--share 1``), the policy learns from labels given in the file
  format rather than from the built-in reward's own bookkeeping.

The script trains with the training file through the same code as the CLI, then compares
the shipped checkpoint and the retrained one on the test file (probe accuracy, label
agreement, notes per event) and on the built-in held-out streams (probe accuracy, notes,
canonical cases), in one report.

    .venv/bin/python benchmarks/user_streams.py \\
        --data ../shared/data/longmemeval/longmemeval_oracle.json --out bench-out/user
    .venv/bin/python benchmarks/user_streams.py --generated 400 --share 1 \\
        --out bench-out/user-labelled
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
from asem.manager.env.streams import Stream, generate
from asem.manager.env.user import load_user_streams
from asem.manager.train import TrainConfig, checkpoint_meta, train_restarts
from asem.providers.onnx_minilm import MiniLMEmbedder

GENERATED_SEED = 5_000_000
"""Training-split seeds of the labelled streams: apart from training's (seed × 100,000 on)
and validation's (1,000,000 on)."""


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


def labelled_record(stream: Stream) -> dict:
    """A generated stream in the user format: kinds as labels, slots as ``about``, and the
    probes with an answer (a set of names joined with "and"; null once retracted), each
    holding from the event that set its answer."""
    events = [{"text": e.text, "kind": "novel" if e.kind == "episode" else e.kind}
              | ({"about": e.slot} if e.slot else {}) for e in stream.events]
    probes, last = [], {}
    for t, after in enumerate(stream.probes_after):
        for probe in after:
            gold = probe.gold
            if last.get(probe.slot) == gold:  # unchanged, or retracted with nothing said
                continue
            last[probe.slot] = gold
            answer = (None if gold is None else " and ".join(sorted(gold))
                      if isinstance(gold, frozenset) else str(gold))
            probes.append({"question": probe.question, "answer": answer, "after": t})
    return {"events": events, "probes": probes}


def write_generated(n: int, out: Path) -> tuple[Path, Path]:
    files = {"train": out / "train.jsonl", "test": out / "test.jsonl"}
    streams = {"train": [generate(seed, "train") for seed in range(GENERATED_SEED,
                                                                 GENERATED_SEED + n)],
               "test": [generate(seed, "test") for seed in range(max(n // 4, 1))]}
    for split, path in files.items():
        path.write_text("".join(json.dumps(labelled_record(s)) + "\n" for s in streams[split]),
                        encoding="utf-8")
    return files["train"], files["test"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="longmemeval_oracle.json")
    source.add_argument("--generated", type=int, metavar="N",
                        help="N labelled training-split streams of the built-in generator")
    parser.add_argument("--out", type=Path, default=Path("bench-out/user"))
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.5,
                        help="share of training streams drawn from the user's (--user-share)")
    parser.add_argument("--held-out", type=int, default=100, help="built-in held-out streams")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.generated is not None:
        train_file, test_file = write_generated(args.generated, args.out)
    else:
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
        labels = "–" if r["user_labels"] is None else f"{r['user_labels']:.3f}"
        print(f"{name}: test streams labels {labels}, probe acc "
              f"{r['user_probe_accuracy']:.3f}, notes/event {r['user_notes_per_event']:.2f} | "
              f"held-out probe acc {r['probe_accuracy']:.3f}, "
              f"notes {r['notes_per_stream']:.2f}, canonical {r['canonical_accuracy']:.3f}")
    print(f"trained on {len(own)} streams in {trained:.0f} s; report: {args.out}/report.json")


if __name__ == "__main__":
    main()
