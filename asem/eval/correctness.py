"""The correctness benchmark: does a write policy keep what is true, and only that?

Each labelled stream (``asem.eval.correctness_data``; real ones from LongMemEval's
knowledge-update questions, ``longmemeval_streams``) is written to a fresh in-memory
Memory with the policy under test, then every fact is probed with its question:

* *current*: each fact still true is in the top hits of its probe (the top hit for a single
  value, the top two for a list of two), and no stale fact (a value replaced or retracted)
  is returned as current: it is in none of the top ``STALE_K`` live hits of its probe. A
  live hit is one default search returns that is not superseded (its note has no
  ``valid_until``, where notes carry one);
* *separate*: for the kinds whose facts belong in notes of their own (atomic, unrelated
  facts of one person, events), no live note holds two of them;
* *lost*: a fact still true that no hit of its probe holds among the top ``LOST_K``, with
  superseded notes searched too where the memory keeps them (``include_superseded``);
* *notes per input*: live notes at the end over the inputs said.

A stream is *as expected* when its kind's test holds: current for changes, lists and
values that are both true; no stale fact returned as current for a retraction; separate
notes, nothing lost and each event with its date for the others.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asem.config import MemoryConfig
from asem.errors import InvalidInputError
from asem.eval.correctness_data import KINDS, CaseStream, Fact
from asem.llm.base import LLM
from asem.providers.embedder import Embedder

STALE_K = 5
"""A stale fact in any of this many live hits of its probe is returned as current."""
LOST_K = 10
"""A fact in none of this many hits of its probe is lost."""
SEPARATE_KINDS = ("atomic", "unrelated-same-person", "event")
CURRENT_KINDS = ("change", "same-list", "both-true")
USER = "bench"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Outcome:
    kind: str
    split: str
    source: str
    current: bool
    stale_current: bool
    separate: bool | None
    lost: int
    kept: int
    notes: int
    inputs: int
    dated: bool

    @property
    def expected(self) -> bool:
        if self.kind == "retraction":
            return not self.stale_current
        if self.kind in CURRENT_KINDS:
            return self.current and not self.lost
        return bool(self.separate) and not self.lost and self.dated


def run_stream(stream: CaseStream, manager, embedder: Embedder) -> Outcome:
    """Write the stream to a fresh memory with ``manager`` and probe every fact."""
    from asem.memory import Memory

    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    with Memory(":memory:", embedder=embedder, manager=manager) as memory:
        ids: set[str] = set()
        for i, fact in enumerate(stream.facts):
            for r in memory.add(fact.text, user_id=USER, timestamp=start + timedelta(hours=i)):
                ids.update(x for x in (r.note_id, r.added_id) if x)
        live = [n.content for n in memory.store.get_notes(sorted(ids)).values() if _live(n)]
        return _probe(memory, stream, live)


def _probe(memory, stream: CaseStream, live: list[str]) -> Outcome:
    keep, stale = stream.keep, stream.stale
    shared = {f.probe: sum(g.probe == f.probe for g in keep) for f in keep}
    current = all(_holds(_hits(memory, f.probe, shared[f.probe]), f) for f in keep)
    stale_current = any(_holds_text(_hits(memory, f.probe, STALE_K), f) for f in stale)
    wide = _supports_superseded(memory)
    lost = sum(not any(_says(c, f.marker) for c in _contents(memory, f.probe, LOST_K, wide))
               for f in keep)
    separate = None
    if stream.kind in SEPARATE_KINDS:
        separate = not any(sum(_says(c, f.marker) for f in keep) > 1 for c in live)
    dated = all(any(_says(c, f.marker) and _says(c, f.date) for c in live)
                for f in keep if f.date)
    return Outcome(stream.kind, stream.split, stream.source, current and not stale_current,
                   stale_current, separate, lost, len(keep), len(live), len(stream.facts),
                   dated)


def _hits(memory, query: str, k: int) -> list[str]:
    """The contents of the live notes among the top ``k`` hits of a default search."""
    return [h.note.content for h in memory.search(query, user_id=USER, k=k).hits
            if _live(h.note)][:k]


def _contents(memory, query: str, k: int, wide: bool) -> list[str]:
    extra = {"include_superseded": True} if wide else {}
    return [h.note.content for h in memory.search(query, user_id=USER, k=k, **extra).hits]


def _supports_superseded(memory) -> bool:
    return "include_superseded" in inspect.signature(memory.search).parameters


def _live(note) -> bool:
    """Not superseded: the note has no ``valid_until``, or the memory keeps none."""
    return getattr(note, "valid_until", None) is None


def _holds(contents: list[str], fact: Fact) -> bool:
    return any(_says(c, fact.marker) for c in contents)


def _holds_text(contents: list[str], fact: Fact) -> bool:
    """A note still says the stale fact as it was said (merged in or left as it was)."""
    said = _norm(fact.text)[:200]
    return any(said in _norm(c) for c in contents)


def _says(content: str, marker: str | None) -> bool:
    if not marker:
        return False
    norm = _norm(marker)
    return re.search(rf"(?<!\w){re.escape(norm)}(?!\w)", _norm(content)) is not None


def _norm(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s'+:-]", " ", s.casefold()).split())


def evaluate(streams: Sequence[CaseStream], policies: Sequence[str], embedder: Embedder, *,
             llm: LLM | None = None, progress: Progress | None = None) -> dict:
    """The report: per policy, per kind (and per source), every figure above."""
    from asem.manager.registry import resolve

    report: dict = {"streams": len(streams), "policies": {}, "skipped": {}}
    for name in policies:
        if name == "llm" and llm is None:
            report["skipped"][name] = "no model: pass --llm local or --llm openai:MODEL@URL"
            continue
        manager = resolve(name, MemoryConfig(), llm)
        outcomes = []
        for i, stream in enumerate(streams):
            if progress:
                progress(name, i, len(streams))
            outcomes.append(run_stream(stream, manager, embedder))
        if progress:
            progress(name, len(streams), len(streams))
        report["policies"][name] = summarise(outcomes)
    return report


def summarise(outcomes: Sequence[Outcome]) -> dict:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        key = o.kind if o.source == "template" else f"{o.kind} ({o.source})"
        groups.setdefault(key, []).append(o)
    order = [k for k in KINDS if k in groups] + sorted(k for k in groups if k not in KINDS)
    rows = {k: _figures(groups[k]) for k in order}
    return {"by_kind": rows, "all": _figures(list(outcomes))}


def _figures(outcomes: Sequence[Outcome]) -> dict:
    n = len(outcomes)
    split = [o.separate for o in outcomes if o.separate is not None]
    kept = sum(o.kept for o in outcomes)
    return {
        "streams": n,
        "expected": sum(o.expected for o in outcomes) / n if n else None,
        "current": sum(o.current for o in outcomes) / n if n else None,
        "stale_as_current": sum(o.stale_current for o in outcomes) / n if n else None,
        "separate": sum(split) / len(split) if split else None,
        "lost": sum(o.lost for o in outcomes) / kept if kept else None,
        "notes_per_input": (sum(o.notes for o in outcomes) / sum(o.inputs for o in outcomes)
                            if n else None),
    }


def longmemeval_streams(path: str | Path, limit: int | None = None) -> list[CaseStream]:
    """A change stream per knowledge-update question of a LongMemEval JSON file whose
    evidence holds an older and a newer value: the user's turns of its evidence sessions in
    date order; the turns marked as holding the answer in earlier sessions are stale, the
    last such turn holds the current value. Its probe is the question."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidInputError(f"cannot read LongMemEval data at {path}: {e}; pass the path "
                                "of longmemeval_oracle.json, or --real none") from e
    out: list[CaseStream] = []
    for q in data:
        if q.get("question_type") != "knowledge-update":
            continue
        if limit is not None and len(out) >= limit:
            break
        stream = _knowledge_update(q)
        if stream is not None:
            out.append(stream)
    return out


def _knowledge_update(q: dict) -> CaseStream | None:
    from asem.manager.env.real import session_time

    sessions = sorted(zip(q["haystack_dates"], q["haystack_sessions"], strict=True),
                      key=lambda pair: session_time(pair[0]))
    turns = [(day, t) for day, (_, session) in enumerate(sessions) for t in session
             if t["role"] == "user" and t["content"].strip()]
    evidence = [(day, t) for day, t in turns if t.get("has_answer")]
    if not evidence or evidence[0][0] == evidence[-1][0]:
        return None
    last_day, newest = evidence[-1]
    facts = []
    for day, t in turns:
        said = t["content"].strip()
        role = "context"
        if t is newest:
            role = "keep"
        elif t.get("has_answer") and day < last_day:
            role = "stale"
        facts.append(Fact(said, _prefix(said), q["question"], role))
    return CaseStream("change", f"longmemeval:{q['question_id']}", "held-out", tuple(facts),
                      "longmemeval")


def _prefix(said: str, limit: int = 200) -> str:
    """The first ``limit`` characters of a long turn, cut at a word: its marker."""
    return said if len(said) <= limit else said[:limit].rsplit(" ", 1)[0]
