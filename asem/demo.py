"""`make demo` / `python -m asem.demo`: the main job on the embedded default, end to end.

Remembers a short conversation in a fresh SQLite file, searches it with and without
metadata filters, gives feedback, and shows how feedback moved the notes' utilities.
No API key, no server, no download: the local MiniLM ONNX embedder and SQLite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from asem import Filters, Memory, Message, SearchResult

CONVERSATION = [
    ("Ana", "2024-03-04T09:12", "I adopted a dog named Buddy yesterday! He's a beagle."),
    ("Ben", "2024-03-04T09:13", "Congrats! I've been training for the Berlin marathon."),
    ("Ana", "2024-03-04T09:15", "Nice. Next month I start a new job as a data engineer."),
    ("Ben", "2024-03-11T18:40", "My sister Clara moved to Lisbon last week."),
    ("Ana", "2024-03-11T18:42", "Buddy chewed my favourite running shoes this morning."),
    ("Ben", "2024-03-11T18:45", "I'm debugging a Python memory leak at work, so annoying."),
    ("Ana", "2024-03-18T20:05", "I adopted another dog named Scout, a tiny terrier."),
    ("Ben", "2024-03-18T20:07", "I finished the marathon in 3 hours 41 minutes!"),
]
QUESTIONS = [
    "What are the names of Ana's dogs?",
    "When did Ana adopt Buddy?",
    "How fast did Ben run the marathon?",
]


def _messages() -> list[Message]:
    return [Message(text, speaker, datetime.fromisoformat(when), f"turn-{i}")
            for i, (speaker, when, text) in enumerate(CONVERSATION, start=1)]


def _show(console: Console, title: str, result: SearchResult) -> None:
    table = Table(title=f"{title}  (retrieval {result.retrieval_id[:8]}…)", title_justify="left")
    for column in ("score", "utility", "note", "context"):
        table.add_column(column)
    for hit in result:
        table.add_row(f"{hit.score:+.2f}", f"{hit.note.utility:.3f}", hit.note.content,
                      hit.note.context)
    console.print(table)


def run(db: Path, console: Console) -> None:
    started = time.perf_counter()
    with Memory(db) as memory:
        results = memory.add(_messages(), user_id="ana-and-ben")
        added = sum(r.op == "ADD" for r in results)
        console.print(f"[bold]Remembered[/] {len(results)} turns as {added} notes in {db} "
                      f"({time.perf_counter() - started:.1f} s, model load included)")
        for (speaker, _, text), result in zip(CONVERSATION, results, strict=True):
            if result.op != "ADD":  # what the memory manager consolidated
                console.print(f"  {result.op} {speaker}: {text!r} ({result.reason})")
        note = memory.get(results[0].note_id, user_id="ana-and-ben")
        console.print(f"A note: {note.content!r}\n  keywords {list(note.keywords)}, tags "
                      f"{list(note.tags)}\n  context {note.context!r}\n  event time "
                      f"{note.event_time:%d %B %Y}, links {len(note.links)}")
        again = memory.add(CONVERSATION[0][2], user_id="ana-and-ben", speaker="Ana")
        console.print(f"The same text again → {again[0].op} (one note, not two)\n")

        for question in QUESTIONS:
            _show(console, question, memory.search(question, user_id="ana-and-ben", k=3))
        filtered = memory.search("what did the dog do", user_id="ana-and-ben", k=3,
                                 filters=Filters(tags=("pets",)))
        _show(console, "Filter: notes tagged 'pets'", filtered)

        result = memory.search("Ana's dogs", user_id="ana-and-ben", k=3)
        useful = [h.note.id for h in result if "dog" in h.note.content]
        feedback = memory.feedback(result.retrieval_id, 1.0, note_ids=useful,
                                   user_id="ana-and-ben")
        console.print("[bold]Feedback[/] +1 on the dog notes: " + ", ".join(
            f"{old:.3f} → {new:.3f}" for old, new in feedback.utilities.values()))
        _show(console, "Ana's dogs (after feedback)",
              memory.search("Ana's dogs", user_id="ana-and-ben", k=3))
        other = memory.search("Ana's dogs", user_id="someone-else")
        console.print(f"Another user's scope sees {len(other)} notes.")
        history = memory.history(useful[0], user_id="ana-and-ben") if useful else []
        console.print(f"History of a dog note: {[h.op for h in history]}")
        console.print(f"Stats: {memory.stats('ana-and-ben')}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the ASEM demo on the embedded default.")
    parser.add_argument("--db", type=Path, help="database file (default: a temporary file)")
    args = parser.parse_args()
    console = Console()
    if args.db:
        run(args.db, console)
        return
    with tempfile.TemporaryDirectory(prefix="asem-demo-") as folder:
        run(Path(folder) / "demo.db", console)


if __name__ == "__main__":
    main()
