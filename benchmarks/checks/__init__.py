"""Reliability checks: each module runs one family at a size and returns its rows.

A check module exposes ``run(size: Size) -> list[Row]``. The fast size runs in the default
test suite (``tests/reliability/``); the full size runs from ``benchmarks/reliability.py``,
which writes every row into one Markdown table. A row counts failures (lost, duplicated,
half-written writes, leaks, 5xx, ...): ``ok`` is true only when every count that must be 0 is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Size(Enum):
    FAST = "fast"
    FULL = "full"


@dataclass(frozen=True)
class Row:
    """One line of the reliability table: a check on one store or surface."""

    check: str                       # "concurrent writers", "crash loop", ...
    where: str                       # "sqlite, in-process", "postgresql, server", "REST", ...
    runs: int                        # processes, kills, faults, cases or steps it covered
    zero: dict[str, int]             # counts that must be 0 ("lost", "duplicated", "5xx", ...)
    counts: dict[str, float] = field(default_factory=dict)  # reported figures, no target
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(v == 0 for v in self.zero.values())


def table(rows: list[Row]) -> str:
    """The rows as one Markdown table."""
    lines = ["| check | where | runs | must be 0 | other figures | result | time |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        zero = ", ".join(f"{k} {v}" for k, v in r.zero.items()) or "—"
        other = ", ".join(f"{k} {_num(v)}" for k, v in r.counts.items()) or "—"
        lines.append(f"| {r.check} | {r.where} | {r.runs:,} | {zero} | {other} | "
                     f"{'pass' if r.ok else '**FAIL**'} | {r.seconds:.0f} s |")
    return "\n".join(lines)


def _num(v: float) -> str:
    return f"{v:,}" if float(v).is_integer() else f"{v:.3g}"
