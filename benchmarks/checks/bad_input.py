"""Bad input at every surface: generated requests, calls and command lines that must either
work or be rejected cleanly.

- REST: Schemathesis generates cases from the OpenAPI schema of the app ``asem serve`` runs
  (sent in-process, ASGI) as a tenant, an admin and (FULL) without a key;
- Python API: Hypothesis properties of ``add``, ``search``, ``update``, ``delete`` and
  ``release`` with arbitrary text, bytes, ids, scopes, k and filters;
- CLI: Hypothesis command lines for ``add``, ``search``, ``show``, ``history`` and
  ``delete`` through typer's runner.

Counted, each must be 0: 5xx responses, tracebacks shown to the user, rejections that are not
a typed error with a message (REST: a JSON ``{code, message}``; Python: an ``asem.errors``
type; CLI: one ``error: ...`` line or a usage error), and rejected requests that changed the
store (a fingerprint of every table, read by a separate connection before and after).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asem import Filters, Memory
from asem.errors import ASEMError
from asem.providers import HashEmbedder
from checks import Row, Size

REST_CASES = {Size.FAST: 25, Size.FULL: 1000}
"""Schemathesis cases per operation and role."""
REST_ROLES = {Size.FAST: ("alice", "admin"), Size.FULL: ("alice", "admin", None)}
PROPERTY_EXAMPLES = {Size.FAST: 60, Size.FULL: 1000}
"""Hypothesis examples per Python API property."""
CLI_EXAMPLES = {Size.FAST: 8, Size.FULL: 400}
"""Hypothesis command lines per CLI command."""
FAILURES_KEPT = 5


@dataclass
class Tally:
    """What one surface's cases came to: the counts that must be 0, and the first few
    failing cases to show."""

    cases: int = 0
    rejected: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    untyped: int = 0
    changed: int = 0
    failures: list[str] = field(default_factory=list)

    def zero(self) -> dict[str, int]:
        return {"5xx": self.server_errors, "tracebacks": self.tracebacks,
                "untyped rejections": self.untyped, "changed by a rejection": self.changed}

    def fail(self, what: str, case: str) -> None:
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(f"{what}: {case[:300]}")


def fingerprint(path: Path) -> tuple:
    """Every table's row count and the notes' versions, utilities and flags, read by a
    connection of its own (so it sees what the store committed, and nothing it did not)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'notes_fts_%' ORDER BY name")]
        counts = tuple(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                       for t in tables)
        notes = conn.execute(
            "SELECT total(version), total(utility), count(deleted_at), total(quarantined), "
            "total(length(content)), total(usage_count) FROM notes").fetchone()
    return tuple(tables), counts, tuple(notes)


def seeded(path: Path) -> Memory:
    """A memory on ``path`` holding a few notes of tenant alice (and one of bob)."""
    memory = Memory(path, embedder=HashEmbedder(), manager="rule")
    memory.add("I adopted a dog named Buddy", user_id="alice")
    memory.add("Alice works at a bakery in Lisbon", user_id="alice")
    memory.add("Bob is allergic to peanuts", user_id="bob")
    return memory


# -- REST ------------------------------------------------------------------------------------
def rest_problems(response: Any) -> list[str]:
    """What is wrong with one response: a 5xx, a traceback, an untyped rejection."""
    problems = []
    if response.status_code >= 500:
        problems.append("5xx")
    if "Traceback" in response.text:
        problems.append("traceback")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not (isinstance(body, dict) and {"code", "message"} <= body.keys()
                and isinstance(body["message"], str) and body["message"].strip()):
            problems.append("untyped")
    return problems


def fuzz_rest(app: Any, headers: dict[str, str], examples: int, path: Path,
              tally: Tally | None = None) -> tuple[Tally, int]:
    """Send ``examples`` generated cases to every operation of ``app``'s schema; the tally
    and the number of operations."""
    import schemathesis
    from schemathesis.core.errors import SerializationNotPossible

    tally = tally or Tally()
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def one(case: Any) -> None:
            before = fingerprint(path)
            tally.cases += 1
            try:
                response = case.call(headers=headers)
            except Exception as e:  # noqa: BLE001  (escaped the app: a server would say 500)
                _count(tally, "5xx", f"{case.method} {case.formatted_path} raised {e!r}")
                return
            problems = rest_problems(response)
            if response.status_code >= 400:
                tally.rejected += 1
                if fingerprint(path) != before:
                    problems.append("changed")
            for problem in problems:
                _count(tally, problem, f"{case.method} {case.formatted_path} -> "
                       f"{response.status_code} {response.text[:200]}")

        try:
            one()
        except SerializationNotPossible:  # an upload (NDJSON import): not generated
            continue
    return tally, len(operations)


def rest_rows(size: Size) -> list[Row]:
    from fastapi.testclient import TestClient

    from asem.server.app import create_app
    from asem.server.keys import StoreKeyRing
    from asem.server.state import ServerState

    rows = []
    for role in REST_ROLES[size]:
        with _folder() as folder:
            memory = seeded(folder / "m.db")
            ring = StoreKeyRing(memory.store)
            key = (ring.create(admin=True)[1] if role == "admin"
                   else ring.create(user_id=role)[1] if role else "")
            app = create_app(ServerState(memory, ring, close_memory=False))
            with TestClient(app, raise_server_exceptions=False):
                started = time.perf_counter()
                headers = {"Authorization": f"Token {key}"} if key else {}
                tally, operations = fuzz_rest(app, headers, REST_CASES[size], folder / "m.db")
            memory.close()
        rows.append(_row(f"REST (Schemathesis), {role or 'no key'}", tally, started,
                         {"operations": operations, "cases per operation": REST_CASES[size]}))
    return rows


# -- Python API --------------------------------------------------------------------------------
texts = st.one_of(st.text(), st.text(alphabet=st.characters(codec="utf-8")),
                  st.binary(max_size=64), st.none(), st.integers(), st.just(" \x00\n"),
                  st.text(min_size=3000, max_size=3000).map(lambda t: t * 20))
ids = st.one_of(st.text(max_size=40), st.none(), st.integers(), st.just("0" * 32))
users = st.one_of(st.just("alice"), st.text(max_size=10), st.none(), st.integers())
trust = st.one_of(st.none(), st.sampled_from(["user_said", "tool_output", "root", ""]),
                  st.text(max_size=8))
filters = st.one_of(st.none(), st.fixed_dictionaries(dict(
    tags=st.lists(st.text(max_size=10), max_size=3),
    keywords=st.lists(st.text(max_size=10), max_size=3),
    since=st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2))),
    until=st.one_of(st.none(), st.datetimes(max_value=datetime(9999, 12, 30))),
    min_trust=trust)), st.just("tags=pets"))
"""Keyword arguments of a Filters (built inside the call: building one may be rejected), or
something that is not a Filters at all."""
ks = st.one_of(st.none(), st.integers(-3, 200), st.floats(), st.text(max_size=3))


def api_calls(memory: Memory) -> dict[str, tuple[Any, Callable[..., Any]]]:
    """Each property: a strategy of keyword arguments, and the call it makes."""

    def search(query, user, k, found, min_trust, include):
        given_filters = Filters(**found) if isinstance(found, dict) else found
        result = memory.search(query, user_id=user, k=k, filters=given_filters,
                               min_trust=min_trust, include_quarantined=include)
        if any(h.note.scope.user_id != user for h in result):
            raise AssertionError("a search returned another tenant's note")

    def live(text):
        note = memory.list_notes("alice", limit=1)[0]
        memory.update(note.id, text, user_id="alice")

    return {
        "add": (st.fixed_dictionaries(dict(text=texts, user=users)),
                lambda text, user: memory.add(text, user_id=user)),
        "search": (st.fixed_dictionaries(dict(query=texts, user=users, k=ks, found=filters,
                                              min_trust=trust, include=st.booleans())), search),
        "update": (st.fixed_dictionaries(dict(note_id=ids, text=texts, user=users)),
                   lambda note_id, text, user: memory.update(note_id, text, user_id=user)),
        "delete": (st.fixed_dictionaries(dict(note_id=ids, user=users,
                                              reason=st.one_of(st.text(max_size=20), st.none()))),
                   lambda note_id, user, reason: memory.delete(note_id, user_id=user,
                                                               reason=reason)),
        "release": (st.fixed_dictionaries(dict(note_id=ids, user=users)),
                    lambda note_id, user: memory.release(note_id, user_id=user)),
        "update of a live note": (st.fixed_dictionaries(dict(text=texts)), live),
    }


def run_property(strategy: Any, call: Callable[..., Any], path: Path, examples: int,
                 tally: Tally) -> None:
    """``call`` on ``examples`` generated arguments: it works, or raises an ``ASEMError``
    with a message after which the store is as it was; anything else is counted."""

    @given(kwargs=strategy)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def one(kwargs: dict[str, Any]) -> None:
        before = fingerprint(path)
        tally.cases += 1
        try:
            call(**kwargs)
        except ASEMError as e:
            tally.rejected += 1
            if not str(e).strip():
                _count(tally, "untyped", f"{type(e).__name__} without a message {kwargs!r}")
            if fingerprint(path) != before:
                _count(tally, "changed", f"{type(e).__name__}: {e} {kwargs!r}")
        except Exception as e:  # noqa: BLE001  (what the check counts)
            _count(tally, "untyped", f"{type(e).__name__}: {e} {kwargs!r}")

    one()


def api_rows(size: Size) -> list[Row]:
    tally, started = Tally(), time.perf_counter()
    with _folder() as folder, seeded(folder / "m.db") as memory:
        calls = api_calls(memory)
        for strategy, call in calls.values():
            run_property(strategy, call, folder / "m.db", PROPERTY_EXAMPLES[size], tally)
    return [_row("Python API (Hypothesis)", tally, started,
                 {"properties": len(calls), "examples per property": PROPERTY_EXAMPLES[size]})]


# -- CLI -------------------------------------------------------------------------------------
words = st.one_of(st.text(max_size=40), st.sampled_from(["--", "-", "--k", "-1", "\x00", "é"]))
cli_args = {
    "add": st.builds(lambda t, extra: ["add", t, *extra], words,
                     st.lists(st.sampled_from(["--writer", "tool", "--at", "yesterday", "x"]),
                              max_size=3)),
    "search": st.builds(lambda q, extra: ["search", q, *extra], words,
                        st.lists(st.one_of(st.sampled_from(
                            ["--k", "--min-trust", "--trust", "--tag", "root", "0", "-5"]),
                            st.text(max_size=6)), max_size=4)),
    "show": st.builds(lambda i: ["show", i], words),
    "history": st.builds(lambda i: ["history", i], words),
    "delete": st.builds(lambda i, r: ["delete", i, "--reason", r], words, words),
}


def cli_problems(result: Any) -> list[str]:
    """A command line's outcome: exit 0; exit 1 with one ``error: ...`` line; or a usage
    error (exit 2) with its message; never a traceback."""
    problems = []
    if "Traceback" in result.output or (result.exception is not None
                                        and not isinstance(result.exception, SystemExit)):
        problems.append("traceback")
    if result.exit_code == 1:
        lines = result.stderr.strip().splitlines()
        if not (len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) > 8):
            problems.append("untyped")
    elif result.exit_code == 2:
        if "Error" not in result.stderr and "Usage" not in result.stderr:
            problems.append("untyped")
    elif result.exit_code != 0:
        problems.append("untyped")
    return problems


def cli_rows(size: Size) -> list[Row]:
    from typer.testing import CliRunner

    from asem.cli.app import app

    def factory(path: Path, *, read_only: bool = False) -> Memory:
        return Memory(path, embedder=HashEmbedder(), manager="rule", read_only=read_only)

    tally, started = Tally(), time.perf_counter()
    with _folder() as folder:
        seeded(folder / "m.db").close()
        runner = CliRunner()
        env = {"ASEM_DB": None, "ASEM_USER": None, "ASEM_LLM": None, "COLUMNS": "200"}
        for strategy in cli_args.values():

            @given(args=strategy)
            @settings(max_examples=CLI_EXAMPLES[size], deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def one(args: list[str]) -> None:
                before = fingerprint(folder / "m.db")
                result = runner.invoke(app, ["--db", str(folder / "m.db"), "--user", "alice",
                                             *args], obj=factory, env=env)
                tally.cases += 1
                problems = cli_problems(result)
                if result.exit_code != 0:
                    tally.rejected += 1
                    if fingerprint(folder / "m.db") != before:
                        problems.append("changed")
                for problem in problems:
                    _count(tally, problem, f"asem {args!r} -> {result.exit_code} "
                           f"{result.output[-200:]!r}")

            one()
    return [_row("CLI (Hypothesis)", tally, started,
                 {"commands": len(cli_args), "command lines per command": CLI_EXAMPLES[size]})]


# -- the family --------------------------------------------------------------------------------
def run(size: Size) -> list[Row]:
    return rest_rows(size) + api_rows(size) + cli_rows(size)


def _count(tally: Tally, problem: str, case: str) -> None:
    attribute = {"5xx": "server_errors", "traceback": "tracebacks", "untyped": "untyped",
                 "changed": "changed"}[problem]
    setattr(tally, attribute, getattr(tally, attribute) + 1)
    tally.fail(problem, case)


def _row(where: str, tally: Tally, started: float, counts: dict[str, float]) -> Row:
    for failure in tally.failures:  # the first failing cases, to reproduce them
        print(f"bad input, {where}: {failure}", file=sys.stderr)
    return Row("bad input", where, tally.cases, tally.zero(),
               {"rejected": tally.rejected, **counts}, time.perf_counter() - started)


@contextmanager
def _folder() -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="asem-bad-input-") as name:
        yield Path(name)
