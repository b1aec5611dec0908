"""Hand-written write decisions: what each manager does with 27 new facts about a person.

A memory of ten facts (a dog, a sister in Lisbon, a job, a city, a food, a weekly group, a
flight gate, cats, a band, a car) is built through the manager under test, then each case's
input is added to a fresh copy of it, alone. A case is right when the decision has the
expected operation on the note holding the expected fact (small talk: discarded, recorded
as known or cached short-term; a new fact: added long-term on its own; kept, where a change
and one value more are both right: added long-term, or merged into that note). For a DELETE
it also says whether the input was kept as a new note or discarded. Real embedder, real
SQLite store, the same write path as `Memory.add`.

    .venv/bin/python benchmarks/manager_cases.py --policies always-add,rule,learned
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from asem import Memory
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.types import Op, Tier

FACTS = ("I adopted a dog named Buddy", "My sister lives in Lisbon", "I work as a nurse",
         "I live in Boston", "I love sushi", "I go to the support group on Tuesdays",
         "My flight is on gate 12", "I have 3 cats", "My favourite band is Radiohead",
         "I drive a red Honda Civic")
CASES: tuple[tuple[str, str, int | None], ...] = (
    # (input, expected op, index in FACTS of the note it acts on)
    ("I adopted another dog named Scout", "UPDATE", 0),
    ("My sister moved to Porto", "UPDATE", 1),
    ("My sister lives in Porto now", "UPDATE", 1),
    ("I work as a teacher now", "UPDATE", 2),
    ("I quit nursing and became a teacher", "UPDATE", 2),
    ("I moved to Denver", "UPDATE", 3),
    ("I hate sushi now", "UPDATE", 4),
    ("I stopped going to the support group", "DELETE", 5),
    ("My flight is on gate 31 now", "UPDATE", 6),
    ("I have 4 cats now", "UPDATE", 7),
    ("I adopted a dog named Buddy", "NOOP", 0),
    ("I have a dog called Buddy", "NOOP", 0),
    ("My favorite band is Radiohead", "NOOP", 8),
    ("I sold my Honda and bought a Tesla", "UPDATE", 9),
    ("I no longer have Buddy, he passed away", "DELETE", 0),
    ("Actually my favourite band is Muse", "UPDATE", 8),
    ("Actually I hate sushi", "UPDATE", 4),
    ("Actually I work as a paramedic", "UPDATE", 2),
    ("My favourite band is Muse", "UPDATE", 8),
    ("I love ramen", "KEPT", 4),
    ("I drive a black Honda Civic", "UPDATE", 9),
    ("My brother lives in Madrid", "ADD", None),
    ("I started learning the piano", "ADD", None),
    ("My daughter was born in March", "ADD", None),
    ("I am allergic to peanuts", "ADD", None),
    ("Haha, thanks so much!", "SMALL TALK", None),
    ("My mother is a doctor", "ADD", None),
)


def run(manager: str, embedder: MiniLMEmbedder) -> dict:
    rows = []
    for said, want, fact in CASES:
        with tempfile.TemporaryDirectory(prefix="asem-cases-") as tmp, \
                Memory(Path(tmp) / "m.db", embedder=embedder, manager=manager) as memory:
            holders = [memory.add(f, user_id="u")[0].note_id for f in FACTS]
            result = memory.add(said, user_id="u")[0]
            acted_on = next((i for i, h in enumerate(holders) if h == result.note_id), None)
            if want == "SMALL TALK":
                right = (result.op is Op.NOOP
                         or (result.op is Op.ADD and result.tier is not Tier.LONG_TERM))
            elif want == "ADD":
                right = result.op is Op.ADD and result.tier is Tier.LONG_TERM
            content = (memory.get(result.note_id, user_id="u").content
                       if result.op is Op.UPDATE else None)
            if want == "KEPT":
                right = ((result.op is Op.ADD and result.tier is Tier.LONG_TERM)
                         or (acted_on == fact and said in (content or "")))
            elif want not in ("SMALL TALK", "ADD"):
                right = result.op.value == want and acted_on == fact
            facts_kept = len({h for h in holders})
        rows.append({"input": said, "expected": want, "op": result.op.value,
                     "on": FACTS[acted_on] if acted_on is not None else None,
                     "content": content, "right": right,
                     "input_kept": bool(result.added_id) if result.op is Op.DELETE else None,
                     "notes_for_the_ten_facts": facts_kept})
    return {"manager": manager, "right": sum(r["right"] for r in rows), "cases": len(rows),
            "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", default="always-add,rule,learned",
                        help="comma-separated managers (names or .npz checkpoints)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    embedder = MiniLMEmbedder()
    reports = [run(name.strip(), embedder) for name in args.policies.split(",") if name.strip()]
    for report in reports:
        print(f"{report['manager']}: {report['right']}/{report['cases']} right")
        for row in report["rows"]:
            mark = "ok " if row["right"] else "BAD"
            print(f"  {mark} {row['input']!r}: {row['op']} on {row['on']!r} "
                  f"(expected {row['expected']})" + (f" -> {row['content']!r}"
                                                     if row["content"] else "")
                  + {True: ", the input kept as a new note", False: ", the input discarded",
                     None: ""}[row["input_kept"]])
        print(f"  the ten facts were kept as {report['rows'][0]['notes_for_the_ten_facts']} "
              "notes")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(reports, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
