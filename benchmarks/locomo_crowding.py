"""Where notes that hold several turns spend LoCoMo's top-k turn places.

`asem bench locomo` reads each retrieved note's turns in provenance order, so a note that
holds two turns fills two of the k turn places. This script ingests LoCoMo with each system
(default: `asem`, the learned manager, and `asem-rule`), asks every question (categories
1–4) and, over the top k turn places, counts the places taken by

- a note's first turn,
- a later turn the manager *merged* into it (UPDATE: its text is in the note's content),
- a later turn the manager *recorded* on it (NOOP: its id was kept, the content unchanged),

and how many of each are evidence. It also reports recall@k as the benchmark reads it and,
as a diagnostic only, with every note's recorded turns read after all notes' own turns.
That second reading is not the benchmark's: it was tried after looking at LoCoMo's results
(docs/manager.md, "LoCoMo recall").

    .venv/bin/python benchmarks/locomo_crowding.py --json bench-out/crowding.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from asem.eval import baselines, locomo
from asem.eval.databases import SQLiteFiles
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.metrics import recall_at_k
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.stores.base import Store
from asem.types import Hit

KINDS = ("first", "merged", "recorded")


def recorded_turns(store: Store, note_id: str) -> set[str]:
    """Turn ids a NOOP added to the note (the content was not written from them)."""
    found: set[str] = set()
    for entry in store.history(note_id):
        if entry.op == "NOOP" and entry.old and entry.new:
            found |= set(entry.new.get("turn_ids", ())) - set(entry.old.get("turn_ids", ()))
    return found


def places(hits: Sequence[Hit], recorded: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(turn id, kind) in the benchmark's order: each note's turns at the note's rank."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for hit in hits:
        for i, turn in enumerate(hit.note.provenance.turn_ids):
            if turn in seen:
                continue
            seen.add(turn)
            kind = ("first" if i == 0 else "recorded" if turn in recorded[hit.note.id]
                    else "merged")
            out.append((turn, kind))
    return out


def recorded_last(ordered: list[tuple[str, str]]) -> list[str]:
    """The diagnostic reading: recorded turns after every note's own turns."""
    return ([t for t, kind in ordered if kind != "recorded"]
            + [t for t, kind in ordered if kind == "recorded"])


def run(data: Path, systems: Sequence[str], k: int, conversations: list[str] | None,
        cache: Path | None) -> dict:
    embedder = CachedEmbedder(MiniLMEmbedder(), cache)
    rows: dict[str, list[dict]] = {name: [] for name in systems}
    for conv in locomo.load(data, conversations):
        case = locomo.as_case(conv, (1, 2, 3, 4))
        with tempfile.TemporaryDirectory(prefix="asem-crowding-") as tmp:
            builder = baselines.Builder(embedder, SQLiteFiles(Path(tmp)))
            try:
                for name in systems:
                    print(f"{case.id}: {name}", file=sys.stderr, flush=True)
                    system, _ = builder.index(baselines.RECIPES[name], case.id, case.turns)
                    store = system.memory.store
                    recorded: dict[str, set[str]] = {}
                    for query in case.queries:
                        hits = system.hits(query.question, 20)
                        for hit in hits:
                            if hit.note.id not in recorded:
                                recorded[hit.note.id] = recorded_turns(store, hit.note.id)
                        ordered = places(hits, recorded)
                        gold = set(query.evidence)
                        rows[name].append({
                            "question": query.id,
                            "recall": recall_at_k([t for t, _ in ordered], gold, k),
                            "recall_recorded_last": recall_at_k(recorded_last(ordered), gold, k),
                            "places": [[kind, turn in gold] for turn, kind in ordered[:k]],
                        })
            finally:
                builder.close()
    embedder.close()
    return {"k": k, "systems": {name: summary(r) for name, r in rows.items()},
            "paired": paired(rows, systems) if len(systems) > 1 else None}


def summary(rows: list[dict]) -> dict:
    counts = {kind: {"places": 0, "evidence": 0} for kind in KINDS}
    for row in rows:
        for kind, evidence in row["places"]:
            counts[kind]["places"] += 1
            counts[kind]["evidence"] += int(evidence)
    n = len(rows)
    return {"questions": n,
            "recall": round(sum(r["recall"] for r in rows) / n, 4),
            "recall_recorded_last": round(sum(r["recall_recorded_last"] for r in rows) / n, 4),
            "questions_with_a_later_turn": sum(
                any(kind != "first" for kind, _ in r["places"]) for r in rows),
            "places": counts}


def paired(rows: dict[str, list[dict]], systems: Sequence[str]) -> dict:
    """The first system against the second, question by question, in both readings."""
    a, b = rows[systems[0]], rows[systems[1]]
    out = {}
    for field in ("recall", "recall_recorded_last"):
        diffs = [x[field] - y[field] for x, y in zip(a, b, strict=True)]
        out[field] = {"difference_points": round(100 * sum(diffs) / len(diffs), 2),
                      "better": sum(d > 0 for d in diffs), "worse": sum(d < 0 for d in diffs)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/locomo/locomo10.json"))
    parser.add_argument("--systems", default="asem,asem-rule",
                        help="comma-separated ASEM recipes (asem, asem-rule, ...)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--conversations", help="comma-separated sample ids (default: all)")
    parser.add_argument("--cache", type=Path, default=Path("bench-out/embeddings.sqlite"),
                        help="embedding cache (shared with asem bench)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in baselines.RECIPES]
    if unknown or not systems:
        parser.error(f"unknown systems {unknown}; choose from {', '.join(baselines.RECIPES)}")
    if not args.data.is_file():
        parser.error(f"no LoCoMo file at {args.data}")
    if args.k < 1:
        parser.error("--k must be at least 1")
    ids = args.conversations.split(",") if args.conversations else None
    report = run(args.data, systems, args.k, ids, args.cache)
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
