"""The reliability suite at full size, as one Markdown table.

    .venv/bin/python benchmarks/reliability.py [--fast] [--only NAME ...] [--out table.md]

Each family is a module of ``benchmarks/checks`` with ``run(size) -> list[Row]``; the default
test suite runs the same modules at the fast size (``tests/reliability/``). Counts, not
timings: the figures do not depend on how busy the machine is, only the time column does.
Exit status 1 when any row fails.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checks import Row, Size, table  # noqa: E402

# module name in benchmarks/checks -> what it checks
FAMILIES: dict[str, str] = {
    "isolation": "tenant isolation: a stateful walk of every operation at every surface",
    "bad_input": "generated bad requests, calls and command lines at REST, Python and CLI",
    "poisoning": "injection detector rates and attack success at 5 against their targets",
    "writers": "concurrent writers: processes doing mixed operations on one store, then an audit",
    "crash": "crash loop: kill -9 while ingesting (CLI, library, server), reopen, audit",
    "storage": "disk full, read-only, I/O error at every statement, locked, PostgreSQL restarts",
    "provider": "model timeouts, 429s, 5xx, invalid JSON, invented ids; a failing embedder",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fast", action="store_true", help="the sizes the default tests run")
    p.add_argument("--only", nargs="+", choices=sorted(FAMILIES), metavar="NAME",
                   help=f"run these families only (of: {', '.join(sorted(FAMILIES))})")
    p.add_argument("--out", type=Path, help="also write the table to this file")
    args = p.parse_args(argv)
    size = Size.FAST if args.fast else Size.FULL
    rows: list[Row] = []
    for name in args.only or FAMILIES:
        started = time.perf_counter()
        print(f"{name}: {FAMILIES[name]} ...", file=sys.stderr, flush=True)
        got = importlib.import_module(f"checks.{name}").run(size)
        rows += got
        print(f"{name}: {len(got)} rows in {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
