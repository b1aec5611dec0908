"""Loading LoCoMo (Maharana et al., 2024) from its public JSON file.

The data is read from a path and never copied. Categories follow the official scoring
code: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asem.chat import parse_timestamp
from asem.errors import InvalidInputError
from asem.eval.dataset import Case, Query, Turn, raw_document

__all__ = ["CATEGORIES", "Conversation", "Question", "Turn", "as_case", "load", "raw_document"]

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop",
              5: "adversarial"}
_SESSION = re.compile(r"^session_(\d+)$")
_EVIDENCE_SPLIT = re.compile(r"[;,\s]+")


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    evidence: tuple[str, ...]
    """Evidence turn ids that resolve to turns of the conversation."""
    category: int


@dataclass(frozen=True)
class Conversation:
    sample_id: str
    turns: tuple[Turn, ...]
    questions: tuple[Question, ...]


def load(path: str | Path, conversations: list[str] | None = None) -> list[Conversation]:
    """The conversations in ``path`` (all, or the named sample ids, in file order)."""
    file = Path(path)
    if not file.exists():
        raise InvalidInputError(f"LoCoMo file {file} not found; pass --data PATH to "
                                "locomo10.json")
    try:
        samples = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{file} is not LoCoMo JSON: {e}") from e
    wanted = set(conversations or [])
    found = [_conversation(s) for s in samples if not wanted or s["sample_id"] in wanted]
    missing = wanted - {c.sample_id for c in found}
    if missing:
        raise InvalidInputError(f"no conversation {sorted(missing)} in {file}; ids are "
                                f"{[s['sample_id'] for s in samples]}")
    return found


def _conversation(sample: dict) -> Conversation:
    conv = sample["conversation"]
    numbers = sorted(int(m.group(1)) for k in conv if (m := _SESSION.match(k)))
    turns = []
    for n in numbers:  # iterate sessions that exist (some date keys have no session)
        when = parse_timestamp(conv.get(f"session_{n}_date_time"))
        for raw in conv[f"session_{n}"]:
            text = raw["text"]
            if raw.get("blip_caption"):
                text = f"{text} [shares a photo of {raw['blip_caption']}]"
            turns.append(Turn(raw["dia_id"], raw["speaker"], text, f"session_{n}", when))
    known = {t.dia_id for t in turns}
    questions = []
    for qa in sample["qa"]:
        ids = [e for raw in qa.get("evidence", []) for e in _EVIDENCE_SPLIT.split(raw) if e]
        answer = qa.get("answer", qa.get("adversarial_answer", ""))
        questions.append(Question(qa["question"], str(answer),
                                  tuple(dict.fromkeys(e for e in ids if e in known)),
                                  int(qa["category"])))
    return Conversation(sample["sample_id"], tuple(turns), tuple(questions))


def as_case(conv: Conversation, categories: Sequence[int]) -> Case:
    """``conv`` as a benchmark case: the questions of ``categories`` that have evidence
    (a turn's text carries its image caption). The questions were written about the whole
    conversation, so they are asked at its last session's time."""
    asked_at = max((t.timestamp for t in conv.turns if t.timestamp), default=None)
    queries = tuple(Query(f"{conv.sample_id}/{i}", q.question, q.evidence, CATEGORIES[q.category],
                          asked_at)
                    for i, q in enumerate(conv.questions)
                    if q.category in categories and q.evidence)
    return Case(conv.sample_id, conv.turns, queries)
