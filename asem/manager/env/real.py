"""Real streams from LongMemEval knowledge-update questions (read in place, never copied).

Each question's evidence sessions, in date order, hold an old and a newer value ("three
Korean restaurants" … later "four"). The stream is the user's turns of those sessions, one
day apart per session; the probe is the question, and the gold answer the newer value.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from asem.errors import InvalidInputError
from asem.manager.env.streams import Event, Probe, Stream


def knowledge_update_streams(path: str | Path, limit: int | None = None) -> list[Stream]:
    """One stream per knowledge-update question of a LongMemEval JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidInputError(f"cannot read LongMemEval data at {path}: {e}; pass the path "
                                "of longmemeval_oracle.json") from e
    streams = []
    for number, q in enumerate(x for x in data if x.get("question_type") == "knowledge-update"):
        if limit is not None and number >= limit:
            break
        sessions = sorted(zip(q["haystack_dates"], q["haystack_sessions"], strict=True),
                          key=lambda pair: session_time(pair[0]))
        events = [Event(turn["content"].strip(), "real", None) for _, session in sessions
                  for turn in session if turn["role"] == "user" and turn["content"].strip()]
        probe = Probe(q["question"], "answer", "text", str(q["answer"]), ())
        stream = Stream(number, "real", events, [[probe] for _ in events])
        streams.append(stream)
    return streams


def session_time(stamp: str) -> datetime:
    # "2023/05/25 (Thu) 20:21"
    return datetime.strptime(stamp.split(" (")[0] + " " + stamp.split(") ")[-1],
                             "%Y/%m/%d %H:%M")
