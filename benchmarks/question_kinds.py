"""LoCoMo figures for two kinds of question, under several read settings, ingesting once.

- answers over questions: an evidence turn right after a turn that asks (said by the other
  speaker, in the same session, not itself evidence). The figure is the share of those
  pairs, among pairs whose asking turn is in the top 20, in which the asking turn ranks
  above its reply (lower is better), and turn recall@k overall and per category;
- names that are not speaker labels: the questions whose text name resolution changes
  ("What did Mel paint?" → "Melanie"), with their turn recall@k.

The scopes are ingested with the `asem` recipe into --work (as benchmarks/read_sweep.py
does) and every setting of --grid, a JSON list of ReadConfig overrides, searches them.

    .venv/bin/python benchmarks/question_kinds.py --data ../shared/data/locomo/locomo10.json \\
        --grid '[{"answer_share": 0, "resolve_names": false}, {"resolve_names": false}, {}]'
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from asem.config import MemoryConfig, ReadConfig
from asem.eval import locomo
from asem.eval.dataset import Case
from asem.eval.embed_cache import CachedEmbedder
from asem.eval.metrics import mean, recall_at_k
from asem.eval.systems import AsemSystem
from asem.memory import Memory
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.read.aliases import resolve_names
from asem.read.answers import asking_share
from asem.types import Scope

sys.path.insert(0, str(Path(__file__).parent))
from read_sweep import ingest  # noqa: E402  (the same ingestion as the sweep)

KS = (1, 5, 10, 20)


def prompts(case: Case) -> dict[str, str]:
    """Evidence-free asking turn → the turn that replies to it (other speaker, same
    session)."""
    turns = case.turns
    return {before.dia_id: turn.dia_id for before, turn in zip(turns, turns[1:], strict=False)
            if before.session_id == turn.session_id and before.speaker != turn.speaker
            and asking_share(before.text) > 0}


def evaluate(cases: list[Case], work: Path, embedder: CachedEmbedder, read: ReadConfig
             ) -> dict[str, Any]:
    rows: list[tuple[str, list[float]]] = []
    pairs = above = 0
    for case in cases:
        memory = Memory(work / f"{case.id}.db", embedder=embedder, config=MemoryConfig(read=read))
        system = AsemSystem(None, embedder, memory=memory)
        system._user = case.id
        asked = prompts(case)
        for q in case.queries:
            ranked = system.rank(q.question, max(KS))
            place = {t: i for i, t in enumerate(ranked)}
            recall = [recall_at_k(ranked, q.evidence, k) for k in KS]
            rows.append((q.category, recall))
            if resolve_names(q.question, Scope(case.id), memory.store, ReadConfig()) != q.question:
                rows.append(("named", recall))
            for prompt, reply in asked.items():
                if reply in q.evidence and prompt not in q.evidence and prompt in place:
                    pairs += 1
                    above += place[prompt] < place.get(reply, len(ranked))
        memory.close()
    table = {}
    for label in ("all", "multi-hop", "temporal", "open-domain", "single-hop", "named"):
        chosen = [r for c, r in rows if c == label or (label == "all" and c != "named")]
        table[label] = {"n": len(chosen)} | {f"recall@{k}": round(mean([r[i] for r in chosen]), 4)
                                             for i, k in enumerate(KS) if chosen}
    return {"turn_recall": table, "asking_turn_above_its_reply": {
        "pairs": pairs, "above": above, "share": round(above / max(pairs, 1), 4)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--conversations", help="comma-separated sample ids (default: all)")
    parser.add_argument("--grid", default="[{}]", help="JSON list of ReadConfig overrides")
    parser.add_argument("--work", type=Path, default=Path("bench-out/sweep/question-kinds"))
    parser.add_argument("--embeddings", type=Path, default=Path("bench-out/embeddings.sqlite"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    ids = args.conversations.split(",") if args.conversations else None
    cases = [locomo.as_case(c, (1, 2, 3, 4)) for c in locomo.load(args.data, ids)]
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = CachedEmbedder(MiniLMEmbedder(), args.embeddings)
    ingest(cases, args.work, embedder)
    results = []
    for setting in json.loads(args.grid):
        found = evaluate(cases, args.work, embedder, replace(ReadConfig(), **setting))
        results.append({"setting": setting, **found})
        print(json.dumps(results[-1]), flush=True)
    embedder.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
