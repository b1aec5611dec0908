"""Loading LongMemEval (Wu et al., ICLR 2025), oracle or S, by its official retrieval recipe.

One case per question, its haystack the case's turns. As in the official retrieval code:
only user turns are indexed, a turn's id is ``<session id>_<1-based position in the
session>``, evidence is the user turns marked ``has_answer``, and abstention questions
(``_abs``) are skipped. Questions whose evidence lies only in assistant turns (most
single-session-assistant ones) cannot be found in a user-turn index; the official code scores
them anyway (recall_any 0, recall_all 1); here they are skipped and counted. Dates are the
file's own (they differ between oracle and S). ``.gz`` files are read as they are.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asem.errors import InvalidInputError
from asem.eval.dataset import Case, Query, Turn, chunked, select

VARIANTS = ("oracle", "s")
TYPES = ("single-session-user", "single-session-assistant", "single-session-preference",
         "multi-session", "knowledge-update", "temporal-reasoning")
_DATE = "%Y/%m/%d (%a) %H:%M"


@dataclass(frozen=True)
class Loaded:
    cases: list[Case]
    skipped: dict[str, int]
    """Questions left out and why: abstention, no user-turn evidence (by type)."""
    questions_in_file: int


def variant_of(path: str | Path) -> str:
    """'oracle' or 's', from a LongMemEval file name."""
    name = Path(path).name.lower()
    if "oracle" in name:
        return "oracle"
    if "longmemeval_s" in name or name.startswith("s_"):
        return "s"
    raise InvalidInputError(f"cannot tell the LongMemEval variant of {name}; pass "
                            "--variant oracle or --variant s")


def load(path: str | Path, *, stride: int = 1, limit: int | None = None,
         offset: int = 0, types: Sequence[str] = ()) -> Loaded:
    """Every ``stride``-th answerable question of ``path`` from the ``offset``-th (at most
    ``limit``) as cases; with ``types``, only questions of those types (``TYPES``)."""
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise InvalidInputError(f"unknown question type(s) {', '.join(unknown)}; choose from "
                                f"{', '.join(TYPES)}")
    raw = read(Path(path))
    skipped: Counter[str] = Counter()
    cases = []
    for entry in raw:
        if str(entry["question_id"]).endswith("_abs"):
            skipped["abstention"] += 1
            continue
        if types and entry["question_type"] not in types:
            skipped["another question type"] += 1
            continue
        case = _case(entry)
        if case.queries[0].evidence:
            cases.append(case)
        else:
            skipped[f"no user-turn evidence ({entry['question_type']})"] += 1
    return Loaded(select(cases, stride=stride, limit=limit, offset=offset), dict(skipped),
                  len(raw))


def read(file: Path) -> list[dict[str, Any]]:
    """The file's questions as they are (a clear error when it is missing or not
    LongMemEval)."""
    if not file.exists():
        raise InvalidInputError(f"LongMemEval file {file} not found; pass --data PATH to "
                                "longmemeval_oracle.json or longmemeval_s_cleaned_498.json.gz")
    try:
        opener = gzip.open if file.suffix == ".gz" else open
        with opener(file, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            data = json.load(handle)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{file} is not LongMemEval JSON: {e}") from e
    if not isinstance(data, list) or not all(isinstance(q, Mapping) and "haystack_sessions"
                                             in q for q in data):
        raise InvalidInputError(f"{file} is not LongMemEval JSON (a list of questions with "
                                "haystack_sessions)")
    return data


def _case(entry: Mapping[str, Any]) -> Case:
    turns, evidence = [], []
    sessions = zip(entry["haystack_session_ids"], entry["haystack_dates"],
                   entry["haystack_sessions"], strict=True)
    for session_id, date, session in sessions:
        when = datetime.strptime(date, _DATE)
        for position, turn in enumerate(session, start=1):
            if turn["role"] != "user" or not turn["content"].strip():
                continue  # S has 9 empty user turns: nothing to index
            turn_id = f"{session_id}_{position}"
            turns.append(Turn(turn_id, "", turn["content"], str(session_id), when))
            if turn.get("has_answer"):
                evidence.append(turn_id)
    asked = entry.get("question_date")
    query = Query(str(entry["question_id"]), entry["question"], tuple(evidence),
                  entry["question_type"], datetime.strptime(asked, _DATE) if asked else None)
    return Case(query.id, chunked(turns), (query,))
