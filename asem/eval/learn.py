"""`asem bench learn`: does the memory learn from feedback? (SPEC stages 4 and 5 on LoCoMo)

Each conversation's answerable questions (categories 1–4 with resolvable evidence) are split,
by question, into *replayed* and *held-out* halves with a fixed seed. The conversations are
ingested once; the database is copied so that two arms start from identical memories:

- ``feedback``: every replayed question is searched once per epoch and the retrieval is
  rewarded through the public ``Memory.feedback`` (+1 if an evidence turn is in the top k
  turns, −1 otherwise; every note that retrieval returned is rewarded);
- ``no-feedback``: the same searches, no feedback.

Before any feedback (epoch 0) and after each epoch, turn-level recall@k is measured on both
halves in both arms. Replayed recall shows what the memory learned; held-out recall shows
whether what it learned for some queries hurts others. After the last epoch, the Pearson
correlation between a note's utility and its hit rate (the share of the rewarded retrievals
that returned it in which it held an evidence turn) says whether utility tracks usefulness.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asem.config import MemoryConfig
from asem.eval import locomo
from asem.eval.metrics import mean, recall_at_k
from asem.eval.systems import AsemSystem
from asem.memory import Memory
from asem.providers.embedder import Embedder
from asem.types import SearchResult

ARMS = ("feedback", "no-feedback")
HALVES = ("replayed", "held_out")
Progress = Callable[[str, int, int], None]
"""(stage description, done, total)."""


# -- the protocol's pure parts ---------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """One conversation's answerable questions, split into replayed and held-out halves."""

    replayed: tuple[locomo.Question, ...]
    held_out: tuple[locomo.Question, ...]


def answerable(conversation: locomo.Conversation) -> list[locomo.Question]:
    """Questions of categories 1–4 with at least one resolvable evidence turn."""
    return [q for q in conversation.questions if q.category <= 4 and q.evidence]


def split_questions(conversation: locomo.Conversation, *, seed: int = 0,
                    fraction: float = 0.5) -> Split:
    """A deterministic split of ``conversation``'s answerable questions.

    Questions with the same wording go to the same half (a held-out question must not be a
    replayed one in disguise). Each half keeps the file's order.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the replayed fraction must be in (0, 1), not {fraction}")
    questions = answerable(conversation)
    texts = list(dict.fromkeys(q.question.strip().lower() for q in questions))
    # A string seed hashes the same way in every process (unlike hash()).
    random.Random(f"{seed}/{conversation.sample_id}").shuffle(texts)
    replayed = set(texts[:round(len(texts) * fraction)])
    return Split(tuple(q for q in questions if q.question.strip().lower() in replayed),
                 tuple(q for q in questions if q.question.strip().lower() not in replayed))


def reward_for(ranked_turns: Sequence[str], evidence: Iterable[str], k: int) -> float:
    """+1 if an evidence turn is among the first ``k`` ranked turns, −1 otherwise."""
    return 1.0 if set(ranked_turns[:k]) & set(evidence) else -1.0


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, or None when it is undefined (fewer than 2 points, or no spread)."""
    if len(x) < 2 or np.std(x) < 1e-12 or np.std(y) < 1e-12:
        return None
    return float(np.corrcoef(x, y)[0, 1])


# -- the two arms ----------------------------------------------------------------------------
class _RecordingMemory(Memory):
    """A Memory that keeps its last search result, so the arm can reward that retrieval."""

    last: SearchResult | None = None

    def search(self, query: str, **kwargs: Any) -> SearchResult:  # type: ignore[override]
        self.last = super().search(query, **kwargs)
        return self.last


class Arm(AsemSystem):
    """ASEM on its own copy of the ingested memory; turns are ranked by ``AsemSystem.rank``."""

    def __init__(self, name: str, db_path: Path, embedder: Embedder,
                 config: MemoryConfig | None, *, learns: bool) -> None:
        super().__init__(db_path, embedder, config,
                         memory=_RecordingMemory(db_path, embedder=embedder, config=config))
        self.memory: _RecordingMemory
        self.name = name
        self.learns = learns
        self.returned: Counter[str] = Counter()
        """note id → rewarded retrievals that returned it."""
        self.evidence_hits: Counter[str] = Counter()
        """note id → those of them in which it held an evidence turn."""
        self.successes: Counter[str] = Counter()
        """note id → those of them that were rewarded +1 (some returned note held evidence)."""

    def use(self, conversation_id: str) -> None:
        """Search ``conversation_id``'s scope from now on (it is already ingested)."""
        self.index(conversation_id, ())

    def replay(self, question: locomo.Question, k: int) -> float:
        """Search ``question``; reward the retrieval when this arm learns. Returns the reward."""
        ranked = self.rank(question.question, k)
        reward = reward_for(ranked, question.evidence, k)
        result = self.memory.last
        if self.learns and result is not None and len(result):
            self.memory.feedback(result.retrieval_id, reward, user_id=self._user)
            gold = set(question.evidence)
            for hit in result:
                self.returned[hit.note.id] += 1
                self.evidence_hits[hit.note.id] += bool(gold & set(hit.note.provenance.turn_ids))
                self.successes[hit.note.id] += reward > 0
        return reward

    def utility_vs_hit_rate(self, min_retrievals: int = 2) -> dict[str, Any]:
        """Pearson r of utility and hit rate over notes returned at least ``min_retrievals``.

        Also r with the success rate (share of those retrievals rewarded +1): the reward is
        given per retrieval, so a note that came along with the evidence shares its credit.
        """
        ids = [i for i, n in self.returned.items() if n >= min_retrievals]
        notes = self.memory.store.signals(ids)
        ids = [i for i in ids if i in notes]
        utility = [notes[i].utility for i in ids]
        hit_rate = [self.evidence_hits[i] / self.returned[i] for i in ids]
        success = [self.successes[i] / self.returned[i] for i in ids]
        r, r_success = pearson(utility, hit_rate), pearson(utility, success)
        return {"pearson_r": None if r is None else round(r, 4),
                "pearson_r_success_rate": None if r_success is None else round(r_success, 4),
                "notes": len(ids), "min_retrievals": min_retrievals}


# -- the experiment --------------------------------------------------------------------------
@dataclass
class _Plan:
    conversations: list[locomo.Conversation]
    splits: dict[str, Split]
    epochs: list[dict[str, Any]] = field(default_factory=list)
    rewards: dict[str, int] = field(default_factory=lambda: {"positive": 0, "negative": 0})


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite file (WAL included), via SQLite's backup API."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _ingest(plan: _Plan, db: Path, embedder: Embedder, config: MemoryConfig | None,
            progress: Progress | None) -> float:
    system = AsemSystem(db, embedder, config)
    try:
        for number, conv in enumerate(plan.conversations):
            if progress:
                progress(f"{conv.sample_id}: ingesting", number, len(plan.conversations))
            system.index(conv.sample_id, conv.turns)
    finally:
        system.memory.close()
    return system.ingest_seconds


def _measure(arm: Arm, plan: _Plan, k: int) -> dict[str, float]:
    scores: dict[str, list[float]] = {half: [] for half in HALVES}
    for conv in plan.conversations:
        arm.use(conv.sample_id)
        split = plan.splits[conv.sample_id]
        for half, questions in (("replayed", split.replayed), ("held_out", split.held_out)):
            scores[half] += [recall_at_k(arm.rank(q.question, k), q.evidence, k)
                             for q in questions]
    return {half: round(mean(values), 4) for half, values in scores.items()}


def _replay(arm: Arm, plan: _Plan, k: int) -> None:
    for conv in plan.conversations:
        arm.use(conv.sample_id)
        for q in plan.splits[conv.sample_id].replayed:
            reward = arm.replay(q, k)
            if arm.learns:
                plan.rewards["positive" if reward > 0 else "negative"] += 1


def run(data: str | Path, *, embedder: Embedder, conversations: list[str] | None = None,
        epochs: int = 3, seed: int = 0, fraction: float = 0.5, k: int = 5,
        config: MemoryConfig | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """The whole experiment; returns the report (see ``report`` for its fields)."""
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, not {epochs}")
    convs = locomo.load(data, conversations)
    plan = _Plan(convs, {c.sample_id: split_questions(c, seed=seed, fraction=fraction)
                         for c in convs})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="asem-learn-") as tmp:
        base = Path(tmp) / "ingested.db"
        ingest_seconds = _ingest(plan, base, embedder, config, progress)
        arms = []
        for name in ARMS:
            copy_database(base, Path(tmp) / f"{name}.db")
            arms.append(Arm(name, Path(tmp) / f"{name}.db", embedder, config,
                            learns=name == "feedback"))
        try:
            for epoch in range(epochs + 1):
                if progress:
                    progress(f"epoch {epoch}", epoch, epochs + 1)
                if epoch:
                    for arm in arms:
                        _replay(arm, plan, k)
                plan.epochs.append({"epoch": epoch} | {arm.name: _measure(arm, plan, k)
                                                       for arm in arms})
            correlation = arms[0].utility_vs_hit_rate()
        finally:
            for arm in arms:
                arm.memory.close()
    if progress:
        progress("done", epochs + 1, epochs + 1)
    read = (config or MemoryConfig()).read
    mode = (f"intent (transfer above query cosine {read.intent_similarity})"
            if read.intent_utility else "global")
    return report(plan, k=k, seed=seed, fraction=fraction, correlation=correlation, mode=mode,
                  seconds={"ingest": round(ingest_seconds, 1),
                           "total": round(time.perf_counter() - started, 1)})


def report(plan: _Plan, *, k: int, seed: int, fraction: float, correlation: dict[str, Any],
           mode: str, seconds: dict[str, float]) -> dict[str, Any]:
    """The JSON report: per-epoch recall@k of both halves in both arms, and the gains."""
    last = plan.epochs[-1]
    return {
        "benchmark": "locomo-learn",
        "granularity": "turn",
        "metric": f"recall@{k}",
        "k": k,
        "seed": seed,
        "replayed_fraction": fraction,
        "reward": f"+1 if an evidence turn is in the top {k} turns, -1 otherwise",
        "utility": mode,
        "category_mapping": {str(c): locomo.CATEGORIES[c] for c in (1, 2, 3, 4)},
        "conversations": [c.sample_id for c in plan.conversations],
        "questions": {half: sum(len(getattr(s, half)) for s in plan.splits.values())
                      for half in HALVES},
        "epochs": plan.epochs,
        "gain_over_no_feedback": {
            half: round(last["feedback"][half] - last["no-feedback"][half], 4) for half in HALVES
        },
        "rewards": plan.rewards,
        "utility_vs_hit_rate": correlation,
        "seconds": seconds,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    """Rows for a per-epoch table: epoch, then replayed and held-out recall of each arm."""
    rows = []
    for entry in result["epochs"]:
        cells = [str(entry["epoch"])]
        for half in HALVES:
            fb, base = entry["feedback"][half], entry["no-feedback"][half]
            cells += [f"{fb:.3f}", f"{base:.3f}", f"{100 * (fb - base):+.1f}"]
        rows.append(cells)
    return rows
