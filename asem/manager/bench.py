"""Comparing write policies on held-out streams: probe accuracy, notes kept, canonical
cases per kind, decision latency, and the real (LongMemEval knowledge-update) streams.

Any policy in ``asem.manager.registry`` can take part, by name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from asem.config import MemoryConfig
from asem.llm.base import LLM
from asem.manager.env.real import knowledge_update_streams
from asem.manager.env.sim import EmbeddingCache
from asem.manager.env.streams import KINDS, Stream, generate
from asem.manager.registry import resolve
from asem.manager.rollout import canonical_cases, run_stream, user_figures

TEST_SEED = 0
"""Held-out streams are test-split streams (held-out phrasings and slots) from this seed."""
Progress = Callable[[str, int, int], None]


def compare(policies: Sequence[str], embed: EmbeddingCache, *, n_streams: int = 100,
            real_data: str | Path | None = None, real_limit: int | None = None,
            progress: Progress | None = None, llm: LLM | None = None,
            user: Sequence[Stream] = ()) -> dict:
    """The report: one entry per policy, every policy on exactly the same streams.

    ``llm`` is the model the ``llm`` policy asks; its calls and tokens per decision are
    reported. ``user``: a user's own streams (``env.user``), on which each policy's probe
    accuracy, label agreement and notes per event are reported too."""
    streams = [generate(seed, "test") for seed in range(TEST_SEED, TEST_SEED + n_streams)]
    real = knowledge_update_streams(real_data, real_limit) if real_data else []
    report: dict = {"held_out_streams": len(streams), "real_streams": len(real),
                    "user_streams": len(user), "policies": {}}
    for name in policies:
        manager = resolve(name, MemoryConfig(), llm)
        report["policies"][name] = _evaluate(name, manager, streams, real, embed, progress,
                                             user)
        meter = getattr(manager, "meter", None)
        if meter is not None:
            report["policies"][name]["llm"] = meter.snapshot().to_dict() | {
                "model": llm.model_id if llm else None,
                "targets_outside_candidates": manager.rejected}
    return report


def _evaluate(name: str, manager, streams, real, embed: EmbeddingCache,
              progress: Progress | None, user: Sequence[Stream] = ()) -> dict:
    correct, notes, seconds = [], [], []
    by_kind: dict[str, list[bool]] = {k: [] for k in KINDS}
    total = len(streams) + len(real) + len(user)
    for i, stream in enumerate(streams):
        if progress:
            progress(name, i, total)
        outcome = run_stream(manager, stream, embed, clock=time.perf_counter)
        correct += outcome.correct
        notes.append(outcome.notes)
        seconds += outcome.seconds
        for kind, ok, _ in canonical_cases(manager, stream, embed):
            by_kind[kind].append(ok)
    real_correct, real_notes = [], []
    for j, stream in enumerate(real):
        if progress:
            progress(name, len(streams) + j, total)
        outcome = run_stream(manager, stream, embed, clock=time.perf_counter)
        real_correct += outcome.correct
        real_notes.append(outcome.notes / max(len(stream.events), 1))
        seconds += outcome.seconds
    done = len(streams) + len(real)
    own = user_figures(manager, user, embed, None if progress is None else
                       (lambda j: progress(name, done + j, total))) if user else {}
    if progress:
        progress(name, total, total)
    cases = [ok for oks in by_kind.values() for ok in oks]
    ms = np.array(seconds) * 1000
    return {
        "probe_accuracy": float(np.mean(correct)),
        "probes": len(correct),
        "notes_per_stream": float(np.mean(notes)),
        "canonical_accuracy": float(np.mean(cases)),
        "canonical_by_kind": {k: {"accuracy": float(np.mean(v)) if v else None, "cases": len(v)}
                              for k, v in by_kind.items()},
        "buddy_scout": buddy_scout_case(manager, embed),
        "decision_ms_p50": float(np.percentile(ms, 50)) if len(ms) else None,
        "decision_ms_p95": float(np.percentile(ms, 95)) if len(ms) else None,
        "real_accuracy": float(np.mean(real_correct)) if real_correct else None,
        "real_notes_per_turn": float(np.mean(real_notes)) if real_notes else None,
    } | own


def buddy_scout_case(manager, embed: EmbeddingCache) -> str:
    """What the manager does with "another dog named Scout" next to the Buddy note."""
    from asem.write.manager import Candidate, Proposal

    old, new = "I adopted a dog named Buddy.", "I adopted another dog named Scout."
    cosine = float(embed(old) @ embed(new))
    d = manager.decide(Proposal(new, None, [Candidate("buddy", old, cosine, cosine)]))
    target = f" {d.target_id}" if d.target_id else ""
    merged = f" → {d.merged_content!r}" if d.merged_content else ""
    return f"{d.op.value}{target} ({d.tier.value}){merged}"
