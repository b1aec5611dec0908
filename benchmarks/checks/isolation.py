"""Tenant isolation as a stateful property: a seeded random walk over every operation of one
surface, by several tenants at once, checked after every step against a model of who owns
what.

Each step picks a tenant and an operation (add, search, get, list, update, delete, undo,
feedback, history, links, export, count, forget, quarantine, release, and what else the
surface has), and sometimes aims it at another tenant: with another tenant's note or
retrieval id, or claiming another tenant with its own key. Every tenant writes a marker word
of its own into everything it says, and every id the memory hands out is recorded with its
owner. A leak is counted by kind:

- returned: another tenant's note id, retrieval id or marker in what the caller was shown,
  or a read of another tenant's note that did not answer "not found";
- changed: another tenant's notes (content, utility, use, deletion, quarantine, links)
  differ after the step, or a change aimed at another tenant's note went through;
- linked: a note links to a note of another tenant;
- counted: a count of the tenant's notes moved while nothing of the tenant's changed;
- exported: another tenant's notes in an export;
- fed back: feedback on another tenant's retrieval or notes was taken;
- score changed: the same search of a tenant scores differently while nothing of the
  tenant's changed (BM25's statistics and everything else must be the tenant's own);
- no-tenant accepted: a call naming no tenant (or an empty one) was not refused.

``run(size)`` walks every surface (``checks.isolation_surfaces``) and gives one row each.
"""

from __future__ import annotations

import functools
import json
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import Row, Size

CHECK = "tenant isolation"
TENANTS = ("ana", "ben", "chloé o'neil")
"""Three tenants; one with a name that needs quoting and encoding everywhere."""
MARKERS = {"ana": "zqanamark", "ben": "zqbenmark", "chloé o'neil": "zqchloemark"}
WORDS = ("dog", "beach", "harbour", "coffee", "cello", "Lisbon", "sister", "bike", "garden",
         "python", "debug", "tea", "piano", "museum", "train", "Buddy", "river", "bakery")
"""Every tenant speaks of the same things, so searches and neighbours cross tenants."""
LEAKS = ("returned", "changed", "linked", "counted", "exported", "fed back", "score changed",
         "no-tenant accepted")
WRITES = {"add", "update", "delete", "undo", "feedback", "forget", "quarantine", "release",
          "delete_all", "batch", "feedback_note"}
"""Operations that change the tenant's own notes: its searches and counts may move."""
ON_NOTE = {"get", "update", "delete", "undo", "history", "links", "forget", "quarantine",
           "release", "feedback_note", "batch"}
"""Operations on one note id."""
ENABLING = {"undo": "delete", "release": "quarantine"}
"""What an operation needs done first: a note to undo the deletion of, or to release."""
KIND_OF = {"get": "returned", "history": "returned", "links": "linked", "update": "changed",
           "delete": "changed", "undo": "changed", "forget": "changed", "quarantine": "changed",
           "release": "changed", "feedback": "fed back", "feedback_note": "fed back",
           "delete_all": "changed", "batch": "changed"}
"""The leak a call aimed at another tenant is when it goes through."""
_ID = re.compile(r"\b[0-9a-f]{32}\b")


class Missing(Exception):
    """The surface answered "not found"."""


class Refused(Exception):
    """The surface refused the call with a typed error other than "not found"."""


@dataclass
class Out:
    """What one call showed its caller."""

    shown: Any = None
    """Everything the caller got (JSON-ready): searched for ids and markers."""
    hits: list[tuple[str, float, float]] | None = None
    """A search's (note id, score, lexical score), best first."""
    count: Any = None
    """How many notes the tenant has, as the call counted them (any comparable value)."""
    ids: list[str] = field(default_factory=list)
    """Note ids the call made or touched (add: the note each input went to)."""
    retrieval: str | None = None


class Surface(AbstractContextManager["Surface"]):
    """One way in (Python, CLI, REST, ...) over one store, with a memory to check against."""

    name: str
    ops: dict[str, int]
    """Operation → weight in the walk."""
    claims: bool = False
    """Whether a caller can name another tenant than its own (a key's user_id)."""
    score_tolerance: float = 1e-5
    """How far one search's scores may move between two calls: they hold timeliness
    (recency) too, which moves by ~10⁻⁸ a second; a surface that rounds needs more."""
    memory: Any
    """A Memory over the same store."""
    store: StoreRows
    """The store's rows, read on a connection of the walk's own: the truth it checks."""

    def call(self, op: str, user: str, claim: str | None, **args: Any) -> Out:
        raise NotImplementedError

    def without_tenant(self, op: str, rng: random.Random, **args: Any) -> bool:
        """Make ``op`` naming no tenant; True when it was refused with a typed error."""
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        return None


class StoreRows:
    """Rows of an SQLite file or a PostgreSQL database, read on a connection of its own
    (``?`` placeholders on both)."""

    def __init__(self, target: str | Path) -> None:
        self.postgres = isinstance(target, str) and "://" in target
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(str(target), autocommit=True)
        else:
            self.conn = sqlite3.connect(target, isolation_level=None)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.postgres:
            sql = sql.replace("?", "%s")
        return [tuple(r) for r in self.conn.execute(sql, params).fetchall()]

    def close(self) -> None:
        self.conn.close()


@dataclass
class Walk:
    """The model (who owns which note and retrieval) and the leak counts of one walk."""

    surface: Surface
    rng: random.Random
    owner: dict[str, str] = field(default_factory=dict)
    """Note and retrieval id → the tenant it belongs to."""
    notes: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TENANTS})
    retrievals: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TENANTS})
    held: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {
        t: {"undo": [], "release": []} for t in TENANTS})
    """The tenant's notes that undo (deleted ones) and release (quarantined ones) apply to."""
    version: Counter[str] = field(default_factory=Counter)
    """Successful writes per tenant: what may move its searches and counts."""
    seen_scores: dict[tuple[str, str], tuple[int, list[tuple[str, float, float]]]] = field(
        default_factory=dict)
    seen_counts: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    leaks: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(LEAKS, 0)))
    tally: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    """The first example of each leak kind and unexpected error, to say what went wrong."""
    said: int = 0
    crossed: set[tuple[str, str]] = field(default_factory=set)
    """Links between tenants found so far."""
    done: Counter[str] = field(default_factory=Counter)
    """Calls of each operation that went through for the tenant's own notes."""

    def step(self) -> None:
        user = self.rng.choice(TENANTS)
        ops = self.surface.ops
        op = self.rng.choices(list(ops), weights=list(ops.values()))[0]
        untried = [o for o in ops if not self.done[o]]
        if untried and self.rng.random() < 0.5:  # every operation early, even a rare one
            op = self.rng.choice(untried)
        enabling = ENABLING.get(op)
        if enabling in ops and not self.held[user][op]:  # first a note to undo or release
            op = enabling
        others = [t for t in TENANTS if t != user]
        claim = (self.rng.choice(others) if self.surface.claims and self.rng.random() < 0.08
                 else None)
        args, foreign = self._arguments(op, user, others)
        if args is None:  # nothing to aim at yet
            op, args, foreign = "add", {"text": self._text(user)}, False
        before = self._state(others)
        probe = self.rng.choice(others) if op in WRITES and self.rng.random() < 0.5 else None
        if probe is not None:
            query = self._query(probe)
            seen = self._probe(probe, query)
        try:
            out: Out | None = self.surface.call(op, user, claim, **args)
        except (Missing, Refused) as e:
            out = None
            self.tally["refused" if isinstance(e, Refused) else "not found"] += 1
            if isinstance(e, Refused) and foreign and not claim:  # it told the id exists
                self._leak("returned", f"{op} as {user} on another tenant's id was not "
                           f"\"not found\": {e}")
        except Exception as e:  # noqa: BLE001 - a surface that fails untyped is a finding
            out = None
            self.tally["unexpected errors"] += 1
            self.first.setdefault("unexpected errors", f"{op}: {type(e).__name__}: {e}"[:300])
        self.tally["steps"] += 1
        if out is not None and (foreign or claim):
            self._leak(KIND_OF.get(op, "returned"), f"{op} as {user} aimed at "
                       f"{claim or 'another tenant'} went through: {args}")
        elif out is not None:
            self.done[op] += 1
            self._record(op, user, out, args)
        if out is not None:
            self._scan(op, user, out, args)
        if self._state(others) != before:
            self._leak("fed back" if op.startswith("feedback") else "changed",
                       f"{op} as {user} ({args}) changed another tenant's notes")
        if probe is not None:
            self._compare(probe, query, seen, self._probe(probe, query), f"{op} as {user}")
        self._check_links()
        if self.rng.random() < 0.1:
            self._without_tenant()

    # -- arguments ---------------------------------------------------------------------------
    def _arguments(self, op: str, user: str, others: list[str]
                   ) -> tuple[dict[str, Any] | None, bool]:
        foreign = self.rng.random() < 0.25 and op in ON_NOTE | {"feedback"}
        pool = self.rng.choice(others) if foreign else user
        if op == "add":
            return {"text": self._text(user)}, False
        if op in ("update", "batch"):
            note = self._pick(self.notes[pool])
            return (None if note is None else {"note_id": note, "text": self._text(user)}), foreign
        if op in ON_NOTE:
            note = self._pick(self.held[pool].get(op) or self.notes[pool])
            return (None if note is None else {"note_id": note}), foreign
        if op == "feedback":
            retrieval = self._pick(self.retrievals[pool])
            if retrieval is None:
                return None, foreign
            # Sometimes the tenant's own retrieval with another tenant's note: whatever it
            # answers, that note must not move (the state check) nor be shown.
            aimed = self.rng.random() < 0.2 and not foreign
            notes = [self._pick(self.notes[self.rng.choice(others)])] if aimed else None
            return {"retrieval_id": retrieval, "reward": self.rng.choice((1.0, -1.0, 0.5)),
                    "note_ids": notes if notes and notes[0] else None}, foreign
        if op == "search":
            return {"query": self._query(user)}, False
        return {}, False

    def _pick(self, ids: list[str]) -> str | None:
        return self.rng.choice(ids) if ids else None

    def _text(self, user: str) -> str:
        self.said += 1
        words = " ".join(self.rng.sample(WORDS, 3))
        return f"{MARKERS[user]} note {self.said} of {words}"

    def _query(self, user: str) -> str:
        """One of five queries per tenant, so the same search comes back often."""
        n = self.rng.randrange(5)
        words = " ".join(WORDS[n * 3:n * 3 + 3])
        return f"{MARKERS[user]} {words}" if n % 2 else words

    # -- the model ---------------------------------------------------------------------------
    def _record(self, op: str, user: str, out: Out, args: dict[str, Any]) -> None:
        for note in out.ids:
            if self.owner.setdefault(note, user) != user:
                self._leak("changed", f"{op} as {user} went to another tenant's note {note}")
            elif note not in self.notes[user]:
                self.notes[user].append(note)
        if out.retrieval:
            self.owner[out.retrieval] = user
            self.retrievals[user].append(out.retrieval)
        if op in WRITES:
            self.version[user] += 1
        self._hold(op, user, out.ids)
        key = (user, op)
        if out.hits is not None:
            self._same(user, str(args.get("query", op)), out.hits)
        if out.count is not None:
            last = self.seen_counts.get(key)
            if last is not None and last[0] == self.version[user] and last[1] != out.count:
                self._leak("counted", f"{op} as {user} counted {out.count}, then {last[1]}, "
                           "with nothing of the tenant's changed")
            self.seen_counts[key] = (self.version[user], out.count)

    def _hold(self, op: str, user: str, ids: list[str]) -> None:
        """Keep the deleted and quarantined notes, to aim undo and release at them."""
        held = self.held[user]
        if op in ("delete", "quarantine"):
            held["undo" if op == "delete" else "release"] += ids
        elif op in ("undo", "release", "forget"):
            for kind in ("undo", "release") if op == "forget" else (op,):
                held[kind] = [i for i in held[kind] if i not in ids]

    def _probe(self, user: str, query: str) -> tuple[list[tuple[str, float, float]], Any]:
        """What ``user`` searching ``query`` and counting its notes sees now."""
        found = self.surface.call("search", user, None, query=query)
        if found.retrieval:
            self.owner[found.retrieval] = user
        counted = next((o for o in ("count", "list") if o in self.surface.ops), None)
        count = self.surface.call(counted, user, None).count if counted else None
        return found.hits or [], count

    def _compare(self, user: str, query: str, before: tuple[list[Any], Any],
                 after: tuple[list[Any], Any], step: str) -> None:
        """The same search and count of ``user`` before and after another tenant's step."""
        if self._moved(before[0], after[0]):
            self._leak("score changed", f"{step}: search {query!r} of {user} moved from "
                       f"{before[0][:3]} to {after[0][:3]}")
        if before[1] != after[1]:
            self._leak("counted", f"{step}: {user}'s count moved from {before[1]} to "
                       f"{after[1]}")

    def _moved(self, before: list[tuple[str, float, float]],
               after: list[tuple[str, float, float]]) -> bool:
        tolerance = self.surface.score_tolerance
        return [h[0] for h in after] != [h[0] for h in before] or any(
            abs(a[1] - b[1]) > tolerance or abs(a[2] - b[2]) > 1e-9
            for a, b in zip(after, before, strict=True))

    def _same(self, user: str, query: str, hits: list[tuple[str, float, float]]) -> None:
        last = self.seen_scores.get((user, query))
        if last is not None and last[0] == self.version[user] and self._moved(last[1], hits):
            self._leak("score changed", f"search {query!r} as {user}: {last[1][:3]} "
                       f"became {hits[:3]}")
        self.seen_scores[(user, query)] = (self.version[user], hits)

    def _scan(self, op: str, user: str, out: Out, args: dict[str, Any]) -> None:
        """Another tenant's ids or markers in what ``user`` was shown (ids it gave are no
        news to it)."""
        text = json.dumps(out.shown, default=str, ensure_ascii=False)
        given = {args.get("note_id"), args.get("retrieval_id"), *(args.get("note_ids") or ())}
        kind = "exported" if op == "export" else "linked" if op == "links" else "returned"
        for marker in (MARKERS[t] for t in TENANTS if t != user):
            if marker in text:
                self._leak(kind, f"{op} as {user} showed {marker!r}: {text[:200]}")
        for found in _ID.findall(text):
            owner = self.owner.get(found)
            if owner is not None and owner != user and found not in given:
                self._leak(kind, f"{op} as {user} showed {owner}'s id {found}")

    def _state(self, tenants: list[str]) -> list[tuple[Any, ...]]:
        """Every note of ``tenants`` as the store holds it (deleted, archived and past ones
        too), with how many changes its history holds, and their links."""
        marks = ",".join("?" * len(tenants))
        notes = self.surface.store.rows(
            "SELECT n.user_id, n.id, n.content, n.utility, n.usage_count, n.deleted_at, "
            "n.quarantined, (SELECT count(*) FROM history h WHERE h.note_id = n.id) "
            f"FROM notes n WHERE n.user_id IN ({marks}) ORDER BY n.id", *tenants)
        links = self.surface.store.rows(
            "SELECT n.user_id, l.src, l.dst, l.relation FROM links l JOIN notes n "
            f"ON n.id = l.src WHERE n.user_id IN ({marks}) ORDER BY 2, 3", *tenants)
        return notes + links

    def _check_links(self) -> None:
        """Links between notes of two tenants, each counted once."""
        for src, dst, a, b in self.surface.store.rows(
                "SELECT l.src, l.dst, a.user_id, b.user_id FROM links l "
                "JOIN notes a ON a.id = l.src JOIN notes b ON b.id = l.dst "
                "WHERE a.user_id <> b.user_id"):
            if (src, dst) not in self.crossed:
                self.crossed.add((src, dst))
                self._leak("linked", f"{a}'s note {src} links to {b}'s note {dst}")

    def _without_tenant(self) -> None:
        ops = [op for op in self.surface.ops if op != "delete_all"]
        op = self.rng.choice(ops)
        args, _ = self._arguments(op, self.rng.choice(TENANTS), list(TENANTS))
        if args is None:  # nothing to aim at yet
            op, args = "add", {"text": self._text(self.rng.choice(TENANTS))}
        before = self._state(list(TENANTS))
        refused = self.surface.without_tenant(op, self.rng, **args)
        self.tally["no-tenant calls"] += 1
        if not refused or self._state(list(TENANTS)) != before:
            self._leak("no-tenant accepted", f"{op} without a tenant was not refused ({args})")

    def _leak(self, kind: str, example: str) -> None:
        self.leaks[kind] += 1
        self.first.setdefault(kind, example[:300])


STEPS = {Size.FAST: 120, Size.FULL: 10_000}
"""Steps per surface; surfaces slow per step (the CLI) walk ``SLOW_FAST`` at the fast size."""
SLOW_FAST = 40


def walk(surface: Surface, steps: int, seed: int) -> Walk:
    """``steps`` random steps on ``surface``: the model and what it counted."""
    state = Walk(surface, random.Random(seed))
    for _ in range(steps):
        state.step()
    rows = state._state(list(TENANTS))
    state.tally["notes at the end"] = sum(len(r) == 8 for r in rows)
    state.tally["links at the end"] = sum(len(r) == 4 for r in rows)
    return state


def row(name: str, state: Walk, seconds: float) -> Row:
    counts = {k: float(v) for k, v in sorted(state.tally.items()) if k != "steps"}
    idle = [op for op in state.surface.ops if not state.done[op]]
    if idle:
        state.first.setdefault("operations never run", ", ".join(idle))
    # An operation that never went through was never checked: the walk must cover them all.
    zero = {**state.leaks, "unexpected errors": state.tally["unexpected errors"],
            "operations never run": len(idle)}
    counts.pop("unexpected errors", None)
    return Row(CHECK, name, state.tally["steps"], zero, counts, seconds)


def run(size: Size, seed: int = 26, only: list[str] | None = None,
        postgres_url: str | None = None) -> list[Row]:
    """One row per surface (``only``: these rows). PostgreSQL is a server started for the
    walk, or the empty database at ``postgres_url``."""
    from checks.isolation_surfaces import SURFACES, postgres_surface

    rows = []
    for name, (make, slow) in SURFACES.items():
        if only is not None and name not in only:
            continue
        if make is postgres_surface:
            make = functools.partial(postgres_surface, postgres_url)
        steps = SLOW_FAST if slow and size is Size.FAST else STEPS[size]
        rows.append(measure(name, make, steps, seed))
    return rows


def measure(name: str, make: Callable[[], Iterator[Surface]], steps: int, seed: int) -> Row:
    started = time.perf_counter()
    with make() as surface:  # type: ignore[attr-defined]
        state = walk(surface, steps, seed)
        result = row(name, state, time.perf_counter() - started)
    for kind, example in state.first.items():
        print(f"isolation, {name}: {kind}: {example}")
    return result
