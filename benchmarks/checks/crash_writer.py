"""A process that adds inputs through ``Memory`` until it is killed (the crash loop's library
surface).

    python crash_writer.py TARGET TENANT LIFE ACKS READY

It opens the memory with the scripted model in the background (so a kill may land while a
job is being processed, too), touches READY, then adds input after input; after each add
returned it appends the input and its result as one JSON line to ACKS (written straight to
the file, so what was acknowledged survives the kill).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

MAX_INPUTS = 100_000


NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo"]
DEEDS = ["packed the {} for the trip", "repaired the {} at home", "lent the {} to a friend",
         "painted the {} blue", "sold the old {} online", "found the {} in the attic"]
THINGS = ["bicycle", "camera", "guitar", "kayak", "violin", "tent", "piano", "lamp", "drone",
          "sofa", "clock"]


def text(life: str, i: int) -> str:
    """A distinct input: who did what with which thing, when."""
    deed = DEEDS[i % len(DEEDS)].format(THINGS[(i * 7) % len(THINGS)])
    return f"{NAMES[(i // len(DEEDS)) % len(NAMES)]} {deed} on day {life}.{i}."


def main(target: str, tenant: str, life: str, acks: str, ready: str) -> None:
    from asem import Memory
    from asem.providers import HashEmbedder

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from asem_launch import enriching_llm

    memory = Memory(target, embedder=HashEmbedder(), llm=enriching_llm(), background=True)
    out = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    Path(ready).touch()
    for i in range(MAX_INPUTS):
        said, turn = text(life, i), f"{life}-{i}"
        (result,) = memory.add(said, user_id=tenant, turn_id=turn)
        os.write(out, (json.dumps({"text": said, "turn": turn, "op": result.op.value,
                                   "note_id": result.note_id, "added_id": result.added_id})
                       + "\n").encode())
    memory.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
