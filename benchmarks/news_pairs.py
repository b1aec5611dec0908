"""Does the manager record news as already known? Hand-written pairs of a note and a message.

    .venv/bin/python benchmarks/news_pairs.py [--sets] [--json bench-out/news-pairs.json]

Each pair of ``asem/manager/news_pairs`` (a note, a message about it, labelled ``known``
or ``news`` with a kind: asem/manager/known.py) is put to the manager as a proposal of
the message with the note as its one candidate, both embedded by the local embedder, as
the write path does. A known message should be recorded on the note (NOOP); news never
(recorded so, what it says is lost). The figures: the share of known messages recorded
as known, and the news lost (recorded as known), per set and kind.

By default it measures the shipped manager on the held-out set and on every training
set; it reads the sets itself, so it measures any checkout that has them (the rules before
the reading were measured so). ``--sets`` also fits the news reading
(``asem.manager.known``) with each training set left out in turn and measures it on the
set left out, at several bars: how its bar was chosen (needs the ``onnx`` package).

It also measures what a change does to the note: the share of messages of kinds that
replace what the note says (``asem.manager.replaces.REPLACES``) that supersede it, where
a message that stays beside the note, or merges into it, leaves the stale value current;
and the share of messages that only add to the note (a description, a detail, what
happened, one value more, a clause about the speaker) that supersede it, a true fact no
longer current. ``--sets`` fits the reading of changes the same way, at several L2
penalties and bars, beside the reading off: how its setting was chosen.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from asem.manager.learned import LearnedManager, asset
from asem.providers.onnx_minilm import MiniLMEmbedder
from asem.types import Decision, Op
from asem.write.manager import Candidate, Proposal

BARS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
CHANGE_SETTINGS = ((0.1, 0.9), (0.1, 0.95), (30.0, 0.9), (30.0, 0.95), (300.0, 0.9),
                   (300.0, 0.95))
"""(L2 penalty, bar) of the reading of changes tried with each training set left out."""
ADDS = ("description", "detail", "happened", "list-more", "self-clause")
"""Kinds of news that add to what the note says."""


def pairs_of(name: str) -> list[dict]:
    path = resources.files("asem.manager") / "news_pairs" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def set_names() -> list[str]:
    folder = resources.files("asem.manager") / "news_pairs"
    return sorted(p.name.removesuffix(".jsonl") for p in folder.iterdir()
                  if p.name.endswith(".jsonl"))


def decisions(manager: LearnedManager, pairs: list[dict],
              embedder: MiniLMEmbedder) -> list[Decision]:
    texts = list(dict.fromkeys(t for p in pairs for t in (p["note"], p["said"])))
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    out = []
    for p in pairs:
        x, c = vectors[p["said"]], vectors[p["note"]]
        cosine = float(x @ c)
        proposal = Proposal(p["said"], None, [Candidate("n", p["note"], cosine, cosine,
                                                        intent=c)],
                            intent=x, embedder=embedder.model_id)
        out.append(manager.decide(proposal))
    return out


def superseding(pairs: list[dict], made: list[Decision]) -> dict:
    """Of the messages that replace what their note says and of those that only add to
    it: how many, and how many supersede the note."""
    from asem.manager.replaces import REPLACES

    out = {}
    for group, kinds in (("replacing", REPLACES), ("adding", ADDS)):
        of = [d.supersedes for p, d in zip(pairs, made, strict=True) if p["kind"] in kinds]
        out[group] = len(of)
        out[f"{group}_superseding"] = sum(of)
    return out


def figures(pairs: list[dict], made: list[Decision]) -> dict:
    ops = [d.op for d in made]
    known = [op is Op.NOOP for p, op in zip(pairs, ops, strict=True) if p["label"] == "known"]
    lost = Counter(p["kind"] for p, op in zip(pairs, ops, strict=True)
                   if p["label"] == "news" and op is Op.NOOP)
    news = sum(p["label"] == "news" for p in pairs)
    return {"pairs": len(pairs), "known": len(known), "news": news,
            "known_recorded_as_known": round(float(np.mean(known)), 4) if known else None,
            "news_lost": sum(lost.values()), "news_lost_by_kind": dict(sorted(lost.items())),
            **superseding(pairs, made)}


def left_out(manager: LearnedManager, embedder: MiniLMEmbedder) -> dict:
    """The reading fitted without each training set, measured on it, at every bar."""
    from asem.manager import known

    vectors = known.word_vectors()
    sets = [n for n in set_names() if n.startswith("train-")]
    totals = {bar: Counter() for bar in BARS}
    with tempfile.TemporaryDirectory(prefix="asem-news-") as tmp:
        try:
            for name in sets:
                path = Path(tmp) / f"{name}.npz"
                known.save(known.fitted(known.training_pairs(leave_out=[name]),
                                        embedder.embed, vectors), path)
                pairs = pairs_of(name)
                for bar in BARS:
                    known.use(path, bar)
                    f = figures(pairs, decisions(manager, pairs, embedder))
                    totals[bar].update({"known": f["known"], "news_lost": f["news_lost"],
                                        "recorded": round(f["known_recorded_as_known"]
                                                          * f["known"])})
        finally:
            known.use()
    return {str(bar): {"known_recorded_as_known": round(t["recorded"] / t["known"], 4),
                       "news_lost": t["news_lost"]} for bar, t in totals.items()}


def changes_left_out(manager: LearnedManager, embedder: MiniLMEmbedder) -> dict:
    """The reading of changes fitted without each training set at every setting of
    ``CHANGE_SETTINGS``, measured on the set left out, beside the reading off."""
    from asem.manager import known, replaces

    vectors = known.word_vectors()
    shared = replaces.stream_pairs(embedder.embed) + replaces.correctness_pairs()
    sets = [n for n in set_names() if n.startswith("train-")]
    totals: dict[str, Counter] = {"off": Counter()}
    with tempfile.TemporaryDirectory(prefix="asem-changes-") as tmp:
        try:
            for name in sets:
                pairs = pairs_of(name)
                replaces.use(bar=float("inf"))
                totals["off"].update(superseding(pairs, decisions(manager, pairs, embedder)))
                train = shared + [(p, p.kind in replaces.REPLACES)
                                  for p in replaces.hand_pairs([name])]
                for l2 in sorted({l2 for l2, _ in CHANGE_SETTINGS}):
                    path = Path(tmp) / f"{name}-{l2}.npz"
                    known.save(known.fitted([p for p, _ in train], embedder.embed, vectors,
                                            labels=[label for _, label in train], l2=l2,
                                            words=replaces.said_anew), path)
                    for penalty, bar in CHANGE_SETTINGS:
                        if penalty == l2:
                            replaces.use(path, bar)
                            made = decisions(manager, pairs, embedder)
                            totals.setdefault(f"l2 {l2:g}, bar {bar:g}", Counter()).update(
                                superseding(pairs, made))
        finally:
            replaces.use()
    return {setting: dict(t) for setting, t in totals.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--manager", default="manager-attribute.npz",
                   help="checkpoint of asem/manager/assets (default: the default manager's)")
    p.add_argument("--sets", action="store_true",
                   help="also fit the reading with each training set left out (needs onnx)")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args()
    embedder, manager = MiniLMEmbedder(), LearnedManager.load(asset(args.manager))
    result: dict = {"manager": args.manager, "sets": {}}
    for name in set_names():
        pairs = pairs_of(name)
        result["sets"][name] = f = figures(pairs, decisions(manager, pairs, embedder))
        print(f"{name:10s} known recorded as known {f['known_recorded_as_known']:.3f} "
              f"({f['known']}), news lost {f['news_lost']} of {f['news']} "
              f"{f['news_lost_by_kind']}; superseding: replacing "
              f"{f['replacing_superseding']} of {f['replacing']}, adding "
              f"{f['adding_superseding']} of {f['adding']}")
    if args.sets:
        result["left_out"] = left_out(manager, embedder)
        for bar, f in result["left_out"].items():
            print(f"left out, bar {bar}: known recorded as known "
                  f"{f['known_recorded_as_known']:.3f}, news lost {f['news_lost']}")
        result["changes_left_out"] = changes_left_out(manager, embedder)
        for setting, f in result["changes_left_out"].items():
            print(f"changes left out, {setting}: superseding: replacing "
                  f"{f['replacing_superseding']} of {f['replacing']}, adding "
                  f"{f['adding_superseding']} of {f['adding']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
