"""Kinds of question that retrieval tends to fail on, so a benchmark shows progress on each.

A question may be of several kinds or of none. The rules are structural (no data set's
wording), and each is written down in ``RULES`` so a report can say what it counted:

- ``date``: it names a date or a period ("on 3 Jan 2024", "in March", "last winter"), as the
  read path reads it (``asem.read.when``) at the time the question is asked;
- ``broad``: it asks for a set or a category rather than one fact ("What are Marta's
  hobbies?"), measured on its evidence: at least two evidence turns, none of which shares
  more than one content word with the question (words compared by their first five letters,
  so "paint" meets "painting"; speaker labels left out);
- ``name``: it names someone or something by a proper noun (a capitalised word inside the
  sentence) that is not a speaker label, a month or a weekday: a nickname, a full name, a
  third person, a pet (places too: no tagger is run).

Beside the kinds, ``question_above_answer`` tells whether a turn that itself asks (its text
ends with a question mark) and is not evidence ranks above the first evidence turn within the
top ``ABOVE_DEPTH``: a question that outranks its answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asem.eval.dataset import Case, Query
from asem.read.terms import query_terms
from asem.read.when import periods
from asem.types import now

KINDS = ("date", "broad", "name")
RULES = {
    "date": "names a date or a period (asem.read.when, read at the question's time)",
    "broad": "≥ 2 evidence turns, none sharing more than one content word with the question",
    "name": "names a proper noun that is not a speaker label, month or weekday",
    "question_above_answer": "share of questions where a non-evidence turn ending in '?' "
                             "ranks above the first evidence turn in the top 10",
}
ABOVE_DEPTH = 10
_STEM = 5
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:'s)?\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"]\s*)$")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split())


def kinds_of(query: Query, case: Case) -> tuple[str, ...]:
    """The kinds (of ``KINDS``) ``query`` is of, in ``case``."""
    found = []
    if periods(query.question, query.asked_at or now()):
        found.append("date")
    if is_broad(query, case):
        found.append("broad")
    if names_other(query.question, case.speaker_words):
        found.append("name")
    return tuple(found)


def is_broad(query: Query, case: Case) -> bool:
    """At least two evidence turns, each sharing at most one content word with the question."""
    if len(query.evidence) < 2:
        return False
    speakers = case.speaker_words
    asked = _stems(query.question) - speakers
    texts = case.text_of
    return all(len(asked & _stems(texts.get(turn, ""))) <= 1 for turn in query.evidence)


def names_other(question: str, speakers: frozenset[str]) -> bool:
    """``question`` names a proper noun that is no speaker label (nor a month or weekday)."""
    for match in _CAPITALISED.finditer(question):
        if _SENTENCE_START.search(question[:match.start()]):
            continue  # capitalised because a sentence starts there
        word = match.group(0).removesuffix("'s").lower()
        if word not in speakers and word not in _CALENDAR:
            return True
    return False


def question_above_answer(ranked: Sequence[str], query: Query, case: Case) -> bool:
    """A turn that asks, and is not evidence, ranks above the first evidence turn (within
    the top ``ABOVE_DEPTH``)."""
    texts = case.text_of
    evidence = set(query.evidence)
    for turn in ranked[:ABOVE_DEPTH]:
        if turn in evidence:
            return False
        if texts.get(turn, "").rstrip().endswith("?"):
            return True
    return False


def annotate(row: dict[str, Any], ranked: Sequence[str], query: Query, case: Case
             ) -> dict[str, Any]:
    """``row`` (a scorer's metrics for one question) with its kinds and whether a question
    outranked its answer."""
    return {**row, "kinds": list(kinds_of(query, case)),
            "question_above_answer": question_above_answer(ranked, query, case)}


def per_kind(records: Mapping[str, list[dict[str, Any]]],
             table: Callable[[list[dict[str, Any]]], dict[str, float]]
             ) -> dict[str, dict[str, dict[str, float]]]:
    """Per system, per kind: ``table`` of the rows of that kind (kinds without a question
    left out), with the share of questions where a question outranked its answer under
    ``question_above_answer``."""
    result: dict[str, dict[str, dict[str, float]]] = {}
    for system, found in records.items():
        rows = [q for r in found for q in r.get("questions", ())]
        tables = {kind: table(chosen) for kind in KINDS
                  if (chosen := [q for q in rows if kind in q.get("kinds", ())])}
        asked = [q["question_above_answer"] for q in rows if "question_above_answer" in q]
        if asked:
            tables["question_above_answer"] = {"share": round(sum(asked) / len(asked), 4)}
        result[system] = tables
    return result


def counts(queries: Sequence[Query], cases: Sequence[Case]) -> dict[str, int]:
    """How many of ``queries`` are of each kind (``cases`` hold them)."""
    case_of = {q.id: c for c in cases for q in c.queries}
    found = [kinds_of(q, case_of[q.id]) for q in queries]
    return {kind: sum(kind in k for k in found) for kind in KINDS}


def _stems(text: str) -> set[str]:
    return {word[:_STEM] for word in query_terms(text)}


def table_rows(tables: Mapping[str, Mapping[str, float]], questions: Mapping[str, int],
               columns: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Rows to print under a system's categories: (label, cells), one per kind with its
    question count, then the share of questions where a question outranked its answer
    (in the first cell)."""
    rows = [(f"kind: {kind} ({questions.get(kind, 0)})",
             [f"{tables[kind][c]:.3f}" if c in tables[kind] else "" for c in columns])
            for kind in KINDS if kind in tables]
    if "question_above_answer" in tables:
        share = tables["question_above_answer"]["share"]
        rows.append(("question above answer (share)",
                     [f"{share:.3f}", *([""] * (len(columns) - 1))]))
    return rows


def markdown_lines(per_system: Mapping[str, Mapping[str, Mapping[str, float]]],
                   questions: Mapping[str, int], columns: Sequence[str]) -> list[str]:
    """A report's section: recall per question kind and how often a question outranked its
    answer, one row per system and kind."""
    lines = ["## Recall per question kind", "",
             "; ".join(f"**{name}**: {rule}" for name, rule in RULES.items()) + ".", "",
             "| system | kind (questions) | " + " | ".join(columns) + " |",
             "|---|---|" + "---:|" * len(columns)]
    for system, tables in per_system.items():
        lines += [f"| {system} | {label} | " + " | ".join(cells) + " |"
                  for label, cells in table_rows(tables, questions, columns)]
    return [*lines, ""]
