"""Moving all of LoCoMo from SQLite to PostgreSQL and back out: is every field kept?

    python benchmarks/roundtrip.py [--data ../shared/data/locomo/locomo10.json]
                                   [--conversations conv-26,conv-30] [--questions 20]
                                   [--target postgres|postgresql://...] [--json OUT]

Each conversation is ingested into one SQLite file as its own tenant (the default write
path and the real embedder), and its first ``--questions`` questions are searched, with
feedback on each search, so the export has searches, utilities and feedback to carry. Each
tenant is then exported complete (``asem export``: notes with vectors, links, history,
validity, utilities, the order of conversation, searches with their feedback), imported into
a new PostgreSQL database (``--target postgres`` starts a local server for the run), and
exported again from there. The two exports are compared record by record, every field: a
note's links in any order (links of one strength come in any order), everything else as is.

Prints one row per tenant and the total; exits 1 if any field differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from asem.eval import locomo
from asem.eval.databases import PostgresDatabases, local_postgres
from asem.eval.systems import AsemSystem
from asem.memory import Memory
from asem.providers.registry import resolve_embedder
from asem.transfer import export_notes, import_notes, to_json_line


def keyed(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records by what identifies them: a note and a search by id, a turn by its place in
    the order of conversation; a note's links sorted (links of one strength come in any
    order)."""
    out: dict[str, dict[str, Any]] = {}
    turns = 0
    for record in records:
        if "turn" in record:
            out[f"turn {turns}"] = record["turn"]
            turns += 1
        elif "retrieval" in record:
            out[f"search {record['retrieval']['id']}"] = record["retrieval"]
        else:
            note = dict(record)
            note["links"] = sorted(json.dumps(link, sort_keys=True)
                                   for link in note.get("links") or ())
            out[f"note {note['id']}"] = note
    return out


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, int]:
    """How many records and fields of ``before`` are missing or changed in ``after``."""
    old, new = keyed(before), keyed(after)
    changed = sum(old[key].get(f) != new[key].get(f)
                  for key in old.keys() & new.keys() for f in old[key].keys() | new[key].keys())
    return {"records": len(old), "notes": sum(k.startswith("note ") for k in old),
            "turns": sum(k.startswith("turn ") for k in old),
            "searches": sum(k.startswith("search ") for k in old),
            "missing": len(old.keys() - new.keys()), "extra": len(new.keys() - old.keys()),
            "changed_fields": changed, "fields": sum(len(r) for r in old.values())}


@contextmanager
def target_server(target: str) -> Iterator[str]:
    with (local_postgres() if target == "postgres" else nullcontext(target)) as url:
        yield url


def run(data: Path, conversations: list[str] | None, questions: int, target: str
        ) -> dict[str, Any]:
    convs = locomo.load(data, conversations)
    embedder = resolve_embedder(None)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="asem-roundtrip-") as folder, \
            target_server(target) as url:
        databases = PostgresDatabases(url)
        try:
            for conv in convs:
                rows.append(round_trip(conv, Path(folder) / f"{conv.sample_id}.db",
                                 databases.new(conv.sample_id), embedder, questions))
                r = rows[-1]
                print(f"{r['tenant']}: {r['notes']} notes, {r['turns']} turns, "
                      f"{r['searches']} searches, "
                      f"{r['missing']} missing, {r['extra']} extra, "
                      f"{r['changed_fields']} changed fields of {r['fields']} "
                      f"({r['seconds']:.1f} s)", file=sys.stderr, flush=True)
        finally:
            databases.close()
    total = {k: sum(r[k] for r in rows) for k in
             ("notes", "turns", "searches", "records", "missing", "extra", "changed_fields",
              "fields")}
    return {"tenants": rows, "total": total, "target": "postgres" if target == "postgres"
            else "url", "questions_per_tenant": questions}


def round_trip(conv: locomo.Conversation, source: Path, url: str, embedder: Any,
               questions: int) -> dict[str, Any]:
    start = time.perf_counter()
    user = conv.sample_id
    with Memory(source, embedder=embedder) as memory:
        AsemSystem(None, embedder, memory=memory).index(user, conv.turns)
        for i, q in enumerate(conv.questions[:questions]):
            result = memory.search(q.question, user_id=user, k=5)
            if len(result):
                memory.feedback(result.retrieval_id, 1.0 if i % 3 else -0.5, user_id=user)
        exported = list(export_notes(memory, user, complete=True))
    with Memory(url, embedder=embedder) as moved:
        import_notes(moved, [to_json_line(r) for r in exported], user)
        again = list(export_notes(moved, user, complete=True))
    return {"tenant": user, **compare(exported, again),
            "seconds": round(time.perf_counter() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/locomo/locomo10.json"))
    parser.add_argument("--conversations", help="comma-separated sample ids (default: all)")
    parser.add_argument("--questions", type=int, default=20,
                        help="questions searched (with feedback) per tenant before export")
    parser.add_argument("--target", default="postgres",
                        help="'postgres' (a local server started for the run) or a "
                             "PostgreSQL URL whose user may create databases")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    report = run(args.data, args.conversations.split(",") if args.conversations else None,
                 args.questions, args.target)
    t = report["total"]
    print(f"all: {len(report['tenants'])} tenants, {t['notes']} notes, {t['turns']} turns, "
          f"{t['searches']} searches, {t['fields']} fields; missing {t['missing']}, "
          f"extra {t['extra']}, "
          f"changed fields {t['changed_fields']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if t["missing"] == t["extra"] == t["changed_fields"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
