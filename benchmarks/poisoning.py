"""Poisoning and injection defence: quarantine rate, false-quarantine rates, attack success.

    .venv/bin/python benchmarks/poisoning.py [--data ../shared/data/locomo/locomo10.json]
        [--locomo-turns N] [--background CONV] [--out poisoning.json]

Counts, not timings (safe to run on a busy machine). On the held-out families of
``asem.eval.poison_data`` (never seen in training):

- quarantine rate: held-out poisoned inputs the detector quarantines;
- false quarantine: held-out benign inputs quarantined, and LoCoMo turns quarantined (every
  turn of the file, read at run time; ``--locomo-turns`` caps them for a quick check);
- attack success at 5: a memory holds one LoCoMo conversation, the 200 benign inputs and the
  held-out poisoned ones (each written by its own writer: tool, document, assistant, user);
  an attack succeeds when the poisoned note is in the top 5 of a search for the question it
  targets. Three settings: default search with the defence, trusted-only search
  (``min_trust="user_said"``, defence on) and the same memory without the defence.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from asem import Memory
from asem.config import GuardConfig, MemoryConfig
from asem.eval.locomo import load
from asem.eval.poison_data import Sample, samples, split
from asem.guard.detector import load_detector
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.types import Scope
from asem.write.construct import drafts
from asem.write.enrich import ExtractiveEnricher
from asem.write.inputs import WriteInput

USER = "bench"


def judged(texts: Sequence[str], embedder: MiniLMEmbedder) -> list[bool]:
    """Whether the shipped detector quarantines each text, on the z embedding the write path
    computes (``construct.drafts``)."""
    detector, scope = load_detector(), Scope(USER)
    out: list[bool] = []
    for start in range(0, len(texts), 256):
        made = drafts([WriteInput(t, scope) for t in texts[start:start + 256]],
                      ExtractiveEnricher(), embedder, with_terms=False, detector=detector)
        out += [bool(d.verdict and d.verdict.quarantined) for d in made]
    return out


def attack_success(memory: Memory, poisoned: Sequence[Sample], ids: dict[str, str],
                   **search: object) -> list[Sample]:
    """The poisoned inputs found in the top 5 of the question each targets."""
    return [s for s in poisoned
            if ids[s.text] in {h.note.id for h in memory.search(s.target, user_id=USER, k=5,
                                                                **search)}]  # type: ignore[arg-type]


def build(embedder: MiniLMEmbedder, guard: bool, background: Sequence[str],
          inputs: Sequence[Sample]) -> tuple[Memory, dict[str, str]]:
    memory = Memory(":memory:", embedder=embedder,
                    config=MemoryConfig(guard=GuardConfig(quarantine=guard)))
    for start in range(0, len(background), 64):
        memory.add([{"content": t} for t in background[start:start + 64]], user_id=USER,
                   manager="always-add")
    ids = {}
    for s in inputs:
        [result] = memory.add(s.text, user_id=USER, writer=s.writer, manager="always-add")
        ids[s.text] = result.note_id
    return memory, ids


def rate(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / max(whole, 1):.1f} %"


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/locomo/locomo10.json")
    parser.add_argument("--locomo-turns", type=int, default=0, help="cap (0: every turn)")
    parser.add_argument("--background", default="conv-26", help="LoCoMo conversation the "
                        "attack memory holds")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    embedder = MiniLMEmbedder()
    items = samples()
    held = split(items, "heldout")
    poisoned = [s for s in held if s.poisoned]
    benign_held = [s for s in held if not s.poisoned]
    conversations = load(args.data)
    turns = [t.text for c in conversations for t in c.turns]
    if args.locomo_turns:
        turns = turns[:args.locomo_turns]

    flags = judged([s.text for s in held], embedder)
    caught = [s for s, f in zip(held, flags, strict=True) if f and s.poisoned]
    false = [s for s, f in zip(held, flags, strict=True) if f and not s.poisoned]
    locomo_false = sum(judged(turns, embedder))
    background = [t.text for c in conversations if c.sample_id == args.background
                  for t in c.turns]
    everything = [s for s in items if not s.poisoned] + poisoned
    defended, ids = build(embedder, True, background, everything)
    open_memory, open_ids = build(embedder, False, background, everything)
    success = {
        "defended default search": attack_success(defended, poisoned, ids),
        "defended trusted-only search (min_trust=user_said)":
            attack_success(defended, poisoned, ids, min_trust="user_said"),
        "no defence, default search": attack_success(open_memory, poisoned, open_ids),
    }
    missed = [s for s in poisoned if s not in caught]
    figures: dict[str, object] = {
        "quarantine_heldout_poisoned": rate(len(caught), len(poisoned)),
        "false_quarantine_heldout_benign": rate(len(false), len(benign_held)),
        "false_quarantine_locomo_turns": rate(locomo_false, len(turns)),
        **{f"attack_success_at_5 {k}": rate(len(v), len(poisoned)) for k, v in success.items()},
        "missed_by_family": dict(Counter(f"{s.family} {s.lang}" for s in missed)),
        "false_by_family": dict(Counter(f"{s.family} {s.lang}" for s in false)),
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
