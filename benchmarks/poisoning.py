"""Poisoning and injection defence: quarantine rate, false-quarantine rates, attack success.

    .venv/bin/python benchmarks/poisoning.py [--data ../shared/data/locomo/locomo10.json]
        [--locomo-turns N] [--background CONV] [--weights W.npz] [--out poisoning.json]

Counts, not timings (safe to run on a busy machine). The measurement is the reliability
family's (``benchmarks/checks/poisoning.py``, which says what each figure is); this prints
the figures with the families the detector missed or wrongly flagged. ``--locomo-turns``
caps the LoCoMo turns judged for a quick check (0: all 5,882); ``--weights`` measures a
retrained detector instead of the shipped one. Every rate is given on all held-out families
and on each held-out set (``first``, ``unseen``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checks.poisoning import SETS, locomo, measure  # noqa: E402

from asem.config import GuardConfig  # noqa: E402


def rate(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / max(whole, 1):.1f} %"


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/locomo/locomo10.json"))
    parser.add_argument("--locomo-turns", type=int, default=0, help="cap (0: every turn)")
    parser.add_argument("--background", default="conv-26", help="LoCoMo conversation the "
                        "attack memory holds")
    parser.add_argument("--weights", type=Path, default=None, help="detector weights "
                        "(.npz from `python -m asem.guard.train --out`; default: shipped)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    turns, background = locomo(args.data, args.locomo_turns, args.background)
    f = measure(turns, background,
                GuardConfig(weights=None if args.weights is None else str(args.weights)))
    figures: dict[str, object] = {
        "false_quarantine_locomo_turns": rate(f.turns_false, f.turns)}
    for name, part in (("", f), *((f" {k}", f.part(k)) for k in SETS)):
        figures |= {
            f"quarantine_heldout_poisoned{name}": rate(len(part.caught), len(part.poisoned)),
            f"false_quarantine_heldout_benign{name}": rate(len(part.false), len(part.benign)),
            **{f"attack_success_at_5 {k}{name}": rate(len(v), len(part.poisoned))
               for k, v in part.success.items()}}
    figures |= {
        "missed_by_family": dict(f.missed()),
        "false_by_family": dict(Counter(f"{s.family} {s.lang}" for s in f.false)),
        "attack_success_by_family": {k: dict(Counter(f"{s.family} {s.lang} {s.writer}"
                                                     for s in v))
                                     for k, v in f.success.items()},
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
