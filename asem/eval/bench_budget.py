"""`asem bench budget`: does a bounded memory keep what matters? (SPEC section 2 on LoCoMo)

The protocol of ``asem bench learn`` (asem.eval.learn): each conversation's answerable
questions are split into replayed and held-out halves; the conversations are ingested once,
and the replayed questions are searched and rewarded (+1 if an evidence turn is in the top
k, −1 otherwise) for ``epochs`` epochs. Held-out questions are never searched before the
budget is applied, so no eviction policy can know them.

That memory is then copied once per (budget, policy) and each copy is cut to the budget —
a share of each conversation's live notes (``kind="notes"``) or of the words they hold
(``kind="tokens"``) — by one policy:

- ``keep-score``: ``Memory.maintain`` with the memory's settings (superseded notes first,
  then the lowest keep score: information, salience, times returned, utility, usage, recency;
  asem.lifecycle.keep; a note that asks or replies folds into the kept other note of its
  exchange, asem.lifecycle.consolidate);
- ``keep-score-fold``: the same with consolidation on (``fold_similarity`` 0.5 unless the
  memory's settings give one): a note over the note count folds into its nearest kept note
  where one is close enough (asem.lifecycle.consolidate);
- ``keep-score-no-feedback``: ``keep-score`` on the memory as ingested, before any replay
  (what the score does with nothing learned);
- ``keep-score-no-salience``: ``keep-score`` without its salience term (``salience_weight``
  0; asem.lifecycle.salience), the score as it was before that term;
- ``fifo``: the oldest notes go first (the newest are kept);
- ``random``: a seeded random sample goes.

Turn-level recall@k of the held-out questions on each copy is compared with the unbounded
memory's (the ratio the targets speak of: ≥ 0.95 at 50 %, ≥ 0.85 at 25 %); the notes and
the words each copy keeps are reported beside it (folding keeps words in fewer notes).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from asem.config import MemoryConfig
from asem.eval import locomo
from asem.eval.learn import Arm, Progress, _ingest, _Plan, _replay, copy_database, split_questions
from asem.eval.metrics import mean, recall_at_k
from asem.memory import Memory
from asem.providers.embedder import Embedder
from asem.stores.base import LifecycleStore, NoteLife

POLICIES = ("keep-score", "keep-score-fold", "keep-score-no-feedback", "keep-score-no-salience",
            "fifo", "random")
FOLD_SIMILARITY = 0.5
"""``keep-score-fold``'s cosine when the memory's settings fold nothing."""
KINDS = ("notes", "tokens")
TARGETS = {0.5: 0.95, 0.25: 0.85}
"""Budget (share of notes kept) → the share of unbounded held-out recall it must keep."""
ACTOR = "benchmark"


def _beyond(notes: Sequence[NoteLife], capacity: int, kind: str) -> int:
    """How many of ``notes``, taken from the front, must go to leave ``capacity``."""
    if kind == "notes":
        return max(0, len(notes) - capacity)
    words, gone = sum(n.words for n in notes), 0
    while words > capacity and gone < len(notes):
        words, gone = words - notes[gone].words, gone + 1
    return gone


def fifo(store: LifecycleStore, user: str, capacity: int, seed: int,
         kind: str = "notes") -> list[str]:
    """The oldest notes beyond ``capacity`` (first in, first out)."""
    notes = store.life_signals(user)
    return [n.note_id for n in notes[:_beyond(notes, capacity, kind)]]


def random_notes(store: LifecycleStore, user: str, capacity: int, seed: int,
                 kind: str = "notes") -> list[str]:
    """A seeded random sample of the notes beyond ``capacity``."""
    notes = list(store.life_signals(user))
    random.Random(f"{seed}/{user}").shuffle(notes)
    return [n.note_id for n in notes[:_beyond(notes, capacity, kind)]]


BASELINES: dict[str, Callable[[LifecycleStore, str, int, int, str], list[str]]] = {
    "fifo": fifo, "random": random_notes}


def capacities(memory: Memory, users: Sequence[str], budget: float,
               kind: str = "notes") -> dict[str, int]:
    """Each conversation's budget: ``budget`` of its live notes, or of their words (at least
    one)."""
    store: LifecycleStore = memory.store  # type: ignore[assignment]
    return {u: max(1, round(budget * _size(store.life_signals(u), kind))) for u in users}


def _size(notes: Sequence[NoteLife], kind: str) -> int:
    return len(notes) if kind == "notes" else sum(n.words for n in notes)


def apply_budget(db: Path, embedder: Embedder, config: MemoryConfig | None, policy: str,
                 users: Sequence[str], budget: float, seed: int,
                 kind: str = "notes") -> dict[str, dict[str, int]]:
    """Cut every conversation of the memory at ``db`` to ``budget`` by ``policy``; returns
    the live notes and words kept per conversation."""
    if policy == "keep-score-fold":
        config = config or MemoryConfig()
        config = replace(config, lifecycle=replace(
            config.lifecycle, fold_similarity=config.lifecycle.fold_similarity or FOLD_SIMILARITY))
    if policy == "keep-score-no-salience":
        config = config or MemoryConfig()
        config = replace(config, lifecycle=replace(config.lifecycle, salience_weight=0.0))
    with Memory(db, embedder=embedder, config=config) as memory:
        caps = capacities(memory, users, budget, kind)
        store: LifecycleStore = memory.store  # type: ignore[assignment]
        for user in users:
            if policy.startswith("keep-score"):
                memory.maintain(user, **{"max_notes" if kind == "notes" else "max_tokens":
                                         caps[user]})
            else:
                gone = BASELINES[policy](store, user, caps[user], seed, kind)
                store.archive([(i, f"over budget: {policy}") for i in gone], ACTOR)
        return {u: {"notes": len(kept), "words": sum(n.words for n in kept)}
                for u in users for kept in [store.life_signals(u)]}


def held_out_recall(db: Path, embedder: Embedder, config: MemoryConfig | None, plan: _Plan,
                    k: int) -> float:
    arm = Arm("measure", db, embedder, config, learns=False)
    try:
        scores = []
        for conv in plan.conversations:
            arm.use(conv.sample_id)
            scores += [recall_at_k(arm.rank(q.question, k), q.evidence, k)
                       for q in plan.splits[conv.sample_id].held_out]
        return round(mean(scores), 4)
    finally:
        arm.memory.close()


def run(data: str | Path, *, embedder: Embedder, conversations: list[str] | None = None,
        budgets: Sequence[float] = (0.5, 0.25), policies: Sequence[str] = POLICIES,
        epochs: int = 3, seed: int = 0, fraction: float = 0.5, k: int = 5,
        config: MemoryConfig | None = None, progress: Progress | None = None,
        kind: str = "notes") -> dict[str, Any]:
    """The whole experiment; returns the report."""
    unknown = sorted(set(policies) - set(POLICIES))
    if unknown:
        raise ValueError(f"unknown policies {unknown}; choose from {', '.join(POLICIES)}")
    if kind not in KINDS:
        raise ValueError(f"unknown budget kind {kind!r}; choose from {', '.join(KINDS)}")
    convs = locomo.load(data, conversations)
    plan = _Plan(convs, {c.sample_id: split_questions(c, seed=seed, fraction=fraction)
                         for c in convs})
    users = [c.sample_id for c in convs]
    started = time.perf_counter()
    steps = 2 + len(budgets) * len(policies)
    with tempfile.TemporaryDirectory(prefix="asem-budget-") as tmp:
        base, learned = Path(tmp) / "ingested.db", Path(tmp) / "learned.db"
        _ingest(plan, base, embedder, config, progress)
        copy_database(base, learned)
        arm = Arm("feedback", learned, embedder, config, learns=True)
        try:
            for epoch in range(epochs):
                if progress:
                    progress(f"feedback epoch {epoch + 1}", 0, steps)
                _replay(arm, plan, k)
        finally:
            arm.memory.close()
        # Every copy is made before any held-out question is searched.
        copies = {(b, p): Path(tmp) / f"{p}-{b}.db" for b in budgets for p in policies}
        for (_, p), path in copies.items():
            copy_database(base if p == "keep-score-no-feedback" else learned, path)
        if progress:
            progress("unbounded", 1, steps)
        with Memory(learned, embedder=embedder, config=config) as memory:
            store: LifecycleStore = memory.store  # type: ignore[assignment]
            notes = {u: len(store.life_signals(u)) for u in users}
            words = sum(n.words for u in users for n in store.life_signals(u))
        unbounded = held_out_recall(learned, embedder, config, plan, k)
        results: dict[str, dict[str, Any]] = {}
        for step, ((b, p), path) in enumerate(copies.items(), start=2):
            if progress:
                progress(f"budget {b:.0%}: {p}", step, steps)
            kept = apply_budget(path, embedder, config, p, users, b, seed, kind)
            recall = held_out_recall(path, embedder, config, plan, k)
            results.setdefault(f"{b:g}", {})[p] = {
                "recall": recall, "ratio": round(recall / unbounded, 4) if unbounded else None,
                "notes_kept": sum(v["notes"] for v in kept.values()),
                "words_kept": sum(v["words"] for v in kept.values())}
    if progress:
        progress("done", steps, steps)
    return report(plan, results, unbounded, notes, budgets=budgets, k=k, seed=seed,
                  fraction=fraction, epochs=epochs, kind=kind, words=words,
                  seconds=round(time.perf_counter() - started, 1))


def report(plan: _Plan, results: dict[str, dict[str, Any]], unbounded: float,
           notes: dict[str, int], *, budgets: Sequence[float], k: int, seed: int,
           fraction: float, epochs: int, seconds: float, kind: str = "notes",
           words: int = 0) -> dict[str, Any]:
    checks = {}
    for b in budgets:
        row = results[f"{b:g}"]
        target = TARGETS.get(b)
        mine = row.get("keep-score")
        if mine is None:
            continue
        others = {p: v["recall"] for p, v in row.items() if p in BASELINES}
        checks[f"{b:g}"] = {
            "target_ratio": target,
            "meets_target": None if target is None or mine["ratio"] is None
            else mine["ratio"] >= target,
            "beats": {p: mine["recall"] > r for p, r in others.items()}}
    return {
        "benchmark": "locomo-budget",
        "granularity": "turn",
        "metric": f"recall@{k} of held-out questions",
        "k": k, "seed": seed, "replayed_fraction": fraction, "feedback_epochs": epochs,
        "reward": f"+1 if an evidence turn is in the top {k} turns, -1 otherwise",
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in (1, 2, 3, 4)},
        "conversations": [c.sample_id for c in plan.conversations],
        "questions": {"replayed": sum(len(s.replayed) for s in plan.splits.values()),
                      "held_out": sum(len(s.held_out) for s in plan.splits.values())},
        "budget_kind": kind,
        "notes_unbounded": sum(notes.values()),
        "words_unbounded": words,
        "unbounded": unbounded,
        "budgets": results,
        "checks": checks,
        "rewards": plan.rewards,
        "seconds": seconds,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    """Rows: budget, policy, notes kept, words kept, held-out recall, ratio to unbounded."""
    rows = [["100%", "unbounded", str(result["notes_unbounded"]),
             str(result.get("words_unbounded", "-")), f"{result['unbounded']:.3f}", "1.000"]]
    for budget, row in result["budgets"].items():
        for policy, v in row.items():
            rows.append([f"{float(budget):.0%}", policy, str(v["notes_kept"]),
                         str(v.get("words_kept", "-")), f"{v['recall']:.3f}",
                         "-" if v["ratio"] is None else f"{v['ratio']:.3f}"])
    return rows
