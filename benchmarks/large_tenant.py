"""LongMemEval_S's questions asked of one large tenant: recall and latency of read settings.

    python benchmarks/large_tenant.py --data PATH [--embeddings PATH] [--notes 100000]
                                      [--settings '{}' '{"lexical_postings": null}']
                                      [--questions N]
                                      [--store sqlite|postgres|URL]
                                      [--json bench-out/large-tenant.json]

``asem bench longmemeval`` searches each question in its own haystack of about 500 turns.
Here one tenant holds LongMemEval_S's distinct turns (user turns first, then the
assistant's, as ``scale.py --texts longmemeval`` stores them, each with its real MiniLM
embedding from ``--embeddings``): with 100,000 notes it holds every user turn of every
question, so each question is a needle in the haystacks of all of them. For each setting
(a JSON object of ``ReadConfig`` fields over the defaults; ``{}``: the default read path),
on the same database (an SQLite file, or PostgreSQL with ``--store``: a local server
started for the run), the questions whose
evidence turns are all stored are asked in turn (the settings in a random order per
question, so the machine's drift falls on all alike), and the report gives per setting:

- turn recall_any@10 / recall_all@10: one / every evidence turn of the question among the
  top 10 (a turn is its first ``TURN_CHARS`` characters; every stored note holding an
  evidence text counts);
- agreement@10 with the first setting: the share of its top 10 that this one returns too;
- search p50 / p95 / max, ms (real query embedding, default read path otherwise).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import fields, replace
from pathlib import Path

from scale import fill, fresh_databases, store_kind, summary
from scale_corpus import TURN_CHARS, longmemeval_corpus
from tqdm import tqdm

from asem import Memory
from asem.config import MemoryConfig, ReadConfig
from asem.errors import ASEMError, InvalidInputError
from asem.eval.longmemeval import read
from asem.providers import HashEmbedder
from asem.providers.onnx_minilm import MiniLMEmbedder

PAGE = 5000
"""Notes read per page when matching the stored texts to their notes."""


def _setting(text: str) -> dict[str, object]:
    """A JSON object of ``ReadConfig`` fields, checked against them."""
    try:
        setting = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r} ({e})") from None
    if not isinstance(setting, dict):
        raise argparse.ArgumentTypeError(f"not a JSON object of ReadConfig fields: {text!r}")
    unknown = set(setting) - {f.name for f in fields(ReadConfig)}
    if unknown:
        raise argparse.ArgumentTypeError(f"no such ReadConfig field: {', '.join(sorted(unknown))}")
    try:
        replace(ReadConfig(), **setting)
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(f"not a ReadConfig: {e}") from None
    return setting


def _try(setting: dict[str, object], path: Path) -> None:
    """One search with ``setting`` on a small memory, so that a value of the wrong kind is
    refused before the fill rather than at the first question."""
    with Memory(path, embedder=HashEmbedder(32), config=MemoryConfig(
            read=replace(ReadConfig(), **setting))) as memory:
        for text in ("I walk my dog Rex every morning.", "Rex likes the park by the river."):
            memory.add(text, user_id="try")
        try:
            memory.search("Where does Rex like to walk?", user_id="try", k=10)
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"the setting {json.dumps(setting)} does not work: "
                                    f"{e}") from None


def questions_with_evidence(data: Path) -> list[tuple[str, frozenset[str]]]:
    """(question, its evidence turns' stored texts) for every answerable question whose
    evidence is in user turns."""
    asked = []
    for entry in read(data):
        if str(entry["question_id"]).endswith("_abs"):
            continue
        evidence = frozenset(
            turn["content"].strip()[:TURN_CHARS]
            for session in entry["haystack_sessions"] for turn in session
            if turn["role"] == "user" and turn.get("has_answer") and turn["content"].strip())
        if evidence:
            asked.append((str(entry["question"]), evidence))
    return asked


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="LongMemEval_S JSON (longmemeval_s_cleaned_498.json.gz)")
    parser.add_argument("--embeddings", type=Path,
                        help="embedding cache (SQLite), shared with asem bench longmemeval")
    parser.add_argument("--notes", type=int, default=100_000,
                        help="notes in the tenant (default 100000: every user turn)")
    parser.add_argument("--settings", type=_setting, nargs="+",
                        default=[{}, {"lexical_postings": None}], metavar="JSON",
                        help="read settings, each a JSON object of ReadConfig fields; the "
                             "first is the reference of agreement (default: '{}' "
                             "'{\"lexical_postings\": null}')")
    parser.add_argument("--questions", type=int, help="ask only the first N questions")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", default="sqlite", type=store_kind,
                        help="sqlite (a file, the default), postgres (a local server started "
                             "for the run) or a PostgreSQL URL (a database is made on it)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.notes < 1:
        parser.error("--notes must be at least 1")
    if args.questions is not None and args.questions < 1:
        parser.error("--questions must be at least 1")
    if len({json.dumps(s, sort_keys=True) for s in args.settings}) < len(args.settings):
        parser.error("--settings names one setting twice")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as scale.py measures
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        try:
            for setting in args.settings:
                _try(setting, tmp / "try.db")
            path = stack.enter_context(fresh_databases(args.store, tmp)).new("large_tenant")
            real = MiniLMEmbedder()
            corpus = longmemeval_corpus(real, args.data, args.embeddings, args.notes)
            asked = questions_with_evidence(args.data)
        except (ASEMError, OSError) as e:
            parser.error(str(e))
        rng = random.Random(args.seed)
        notes = min(args.notes, len(corpus.texts))
        print(f"filling one tenant with {notes:,} notes", file=sys.stderr)
        fill_s = fill(path, corpus, real, 1, notes)
        memories = {
            json.dumps(setting, sort_keys=True): Memory(path, embedder=real, config=MemoryConfig(
                read=replace(ReadConfig(), **setting))) for setting in args.settings}
        try:
            report = _ask(memories, asked, args.questions, rng)
        finally:
            for memory in memories.values():
                memory.close()
    report = {"notes": notes, "fill_s": round(fill_s, 1), **report}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


def _ask(memories: dict[str, Memory], asked: list[tuple[str, frozenset[str]]],
         limit: int | None, rng: random.Random) -> dict[str, object]:
    stored: dict[str, set[str]] = {}
    first = next(iter(memories.values()))
    for offset in itertools.count(0, PAGE):
        page = first.list_notes("t0", limit=PAGE, offset=offset)
        for note in page:
            stored.setdefault(note.content, set()).add(note.id)
        if len(page) < PAGE:
            break
    kept = [(q, e) for q, e in asked if all(text in stored for text in e)]
    skipped = len(asked) - len(kept)
    kept = kept[:limit]
    if not kept:
        raise SystemExit("no question has all its evidence turns among the notes stored; "
                         "store more of them (--notes)")
    for memory in memories.values():  # each loads the tenant's index before timing
        memory.search(kept[0][0], user_id="t0", k=10)
    times: dict[str, list[float]] = {b: [] for b in memories}
    found: dict[str, list[tuple[int, int]]] = {b: [] for b in memories}
    tops: dict[str, list[list[str]]] = {b: [] for b in memories}
    for question, evidence in tqdm(kept, desc="questions", unit="q", file=sys.stderr):
        for label in rng.sample(list(memories), len(memories)):
            started = time.perf_counter()
            hits = memories[label].search(question, user_id="t0", k=10)
            times[label].append((time.perf_counter() - started) * 1000)
            ids = {h.note.id for h in hits}
            held = sum(1 for text in evidence if stored[text] & ids)
            found[label].append((held, len(evidence)))
            tops[label].append([h.note.id for h in hits])
    reference = tops[next(iter(memories))]
    settings = []
    for label in memories:
        agree = [len(set(top) & set(ref)) / max(1, len(ref))
                 for top, ref in zip(tops[label], reference, strict=True)]
        settings.append({
            "setting": json.loads(label),
            "recall_any_at_10": round(sum(h > 0 for h, _ in found[label]) / len(kept), 4),
            "recall_all_at_10": round(sum(h == n for h, n in found[label]) / len(kept), 4),
            "agreement_at_10": round(sum(agree) / len(agree), 4),
            "search_ms": summary(times[label])})
    return {"questions": len(kept), "questions_skipped": skipped,
            "settings": settings}


if __name__ == "__main__":
    sys.exit(main())
