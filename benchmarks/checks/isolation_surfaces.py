"""The in-process surfaces the isolation walk drives: the Python API (sync ``Memory`` and
``asem.aio.AsyncMemory``) and the ``asem`` command line; ``SURFACES`` names every surface.

Each surface runs over a fresh store in a temporary folder (or a PostgreSQL server started
for the walk), with the HashEmbedder and the rule manager: deterministic, and the manager
still merges and replaces notes, so its choice of target is checked too.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from asem import Memory
from asem.errors import ASEMError, NotFoundError, ScopeError
from asem.providers import HashEmbedder
from checks.isolation import Missing, Out, Refused, StoreRows, Surface

NOT_A_TENANT = (None, "", "   ")
PYTHON_OPS = {"add": 6, "search": 6, "get": 3, "list": 2, "update": 2, "delete": 2, "undo": 2,
              "feedback": 3, "feedback_note": 1, "history": 2, "links": 1, "export": 1,
              "count": 2, "forget": 1, "quarantine": 1, "release": 1}


def open_memory(target: str | Path) -> Memory:
    return Memory(target, embedder=HashEmbedder(), manager="rule")


class PythonSurface(Surface):
    """``Memory``'s methods, called as an application would (``api`` may be a wrapper that
    awaits ``AsyncMemory``'s instead)."""

    claims = False

    def __init__(self, name: str, memory: Memory, target: str | Path, api: Any = None) -> None:
        self.name, self.memory, self.store = name, memory, StoreRows(target)
        # A store that cannot forget for good has no forget: then it is not walked.
        self.ops = {op: w for op, w in PYTHON_OPS.items()
                    if op != "forget" or hasattr(memory.store, "forget")}
        self.api = api or memory

    def call(self, op: str, user: str | None, claim: str | None, **a: Any) -> Out:
        try:
            return getattr(self, f"_{op}")(user, **a)
        except NotFoundError as e:
            raise Missing(str(e)) from e
        except ASEMError as e:
            raise Refused(str(e)) from e

    def without_tenant(self, op: str, rng: random.Random, **a: Any) -> bool:
        try:
            getattr(self, f"_{op}")(rng.choice(NOT_A_TENANT), **a)
        except ScopeError:
            return True
        except ASEMError:  # it got past the tenant check
            return False
        return False

    def _add(self, user: str, text: str) -> Out:
        results = self.api.add(text, user_id=user)
        return Out([asdict(r) for r in results], ids=[i for r in results
                                                      for i in (r.note_id, r.added_id) if i])

    def _search(self, user: str, query: str) -> Out:
        found = self.api.search(query, user_id=user)
        return Out({"retrieval_id": found.retrieval_id,
                    "hits": [h.note.to_dict() for h in found]},
                   hits=[(h.note.id, h.score, h.lexical) for h in found],
                   retrieval=found.retrieval_id)

    def _get(self, user: str, note_id: str) -> Out:
        return Out(self.api.get(note_id, user_id=user, include_deleted=True).to_dict())

    def _list(self, user: str) -> Out:
        notes = self.api.list_notes(user, limit=1000, include_deleted=True,
                                    include_superseded=True)
        return Out([n.to_dict() for n in notes], count=len(notes))

    def _update(self, user: str, note_id: str, text: str) -> Out:
        return Out(self.api.update(note_id, text, user_id=user).to_dict(), ids=[note_id])

    def _delete(self, user: str, note_id: str) -> Out:
        self.api.delete(note_id, user_id=user)
        return Out(ids=[note_id])

    def _undo(self, user: str, note_id: str) -> Out:
        return Out(self.api.undo_delete(note_id, user_id=user).to_dict(), ids=[note_id])

    def _feedback(self, user: str, retrieval_id: str, reward: float,
                  note_ids: list[str] | None) -> Out:
        result = self.api.feedback(retrieval_id, reward, note_ids, user_id=user,
                                   episode=reward > 0)  # an experience note links its notes
        return Out(asdict(result), ids=[result.experience_id] if result.experience_id else [])

    def _feedback_note(self, user: str, note_id: str) -> Out:
        return Out(asdict(self.api.feedback_note(note_id, 1.0, user_id=user)))

    def _history(self, user: str, note_id: str) -> Out:
        return Out([asdict(e) for e in self.api.history(note_id, user_id=user)])

    def _links(self, user: str, note_id: str) -> Out:
        return Out([asdict(lk) for lk in self.api.links(note_id, user_id=user)])

    def _export(self, user: str) -> Out:
        return Out(list(self.api.export(user)))

    def _count(self, user: str) -> Out:
        stats = self.api.stats(user)
        stats.pop("path", None)
        return Out(stats, count=(stats["notes"], self.api.count_notes(user)))

    def _forget(self, user: str, note_id: str) -> Out:
        self.api.forget(note_id, user_id=user)
        return Out(ids=[note_id])

    def _quarantine(self, user: str, note_id: str) -> Out:
        return Out(self.api.quarantine(note_id, user_id=user).to_dict(), ids=[note_id])

    def _release(self, user: str, note_id: str) -> Out:
        return Out(self.api.release(note_id, user_id=user).to_dict(), ids=[note_id])

    def __exit__(self, *exc: object) -> None:
        self.store.close()
        self.memory.close()


class _Awaited:
    """``AsyncMemory``'s methods called from this thread: each awaited on the portal's loop."""

    def __init__(self, memory: Any, portal: Any) -> None:
        self._memory, self._portal = memory, portal

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._memory, name)
        return lambda *args, **kwargs: self._portal.call(lambda: method(*args, **kwargs))


@contextmanager
def python_surface(target: str | Path | None = None) -> Iterator[Surface]:
    with _target(target) as where:
        with PythonSurface("python", open_memory(where), where) as surface:
            yield surface


@contextmanager
def async_surface() -> Iterator[Surface]:
    from anyio.from_thread import start_blocking_portal

    from asem.aio import AsyncMemory

    with _target(None) as where, start_blocking_portal() as portal:
        memory = AsyncMemory(where, embedder=HashEmbedder(), manager="rule")
        try:
            yield PythonSurface("python async", memory.sync, where, _Awaited(memory, portal))
        finally:
            portal.call(memory.close)


@contextmanager
def postgres_surface(url: str | None = None) -> Iterator[Surface]:
    """The Python API over the empty PostgreSQL database at ``url``, or over a server
    started for the walk."""
    if url is not None:
        with PythonSurface("python, postgresql", open_memory(url), url) as surface:
            yield surface
        return
    from asem.eval.databases import local_postgres

    with local_postgres() as started, postgres_surface(started) as surface:
        yield surface


@contextmanager
def _target(target: str | Path | None) -> Iterator[str | Path]:
    if target is not None:
        yield target
        return
    folder = tempfile.mkdtemp(prefix="asem-isolation-")
    try:
        yield Path(folder) / "m.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the command line ------------------------------------------------------------------------
CLI_OPS = {"add": 5, "search": 5, "get": 3, "delete": 2, "undo": 2, "feedback": 3,
           "history": 2, "links": 1, "export": 1, "count": 2, "forget": 1, "quarantine": 1,
           "release": 1}
CLI_COMMAND = {"add": ["add"], "search": ["search"], "get": ["show"], "delete": ["delete"],
               "undo": ["delete", "--undo"], "feedback": ["feedback"], "history": ["history"],
               "links": ["show"], "export": ["export"], "count": ["stats"],
               "forget": ["forget", "--yes"], "quarantine": ["quarantine"], "release": ["release"]}


class CliSurface(Surface):
    """``asem --db FILE --user NAME --json COMMAND ...``, run in-process (typer's runner) with
    the HashEmbedder: each command opens the file, acts and closes it, as the script does."""

    name = "CLI"
    ops = CLI_OPS
    claims = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.memory = open_memory(path)
        self.store = StoreRows(path)

    def _run(self, user: str | None, op: str, **a: Any) -> Any:
        from typer.testing import CliRunner

        from asem.cli.app import app

        args = [*CLI_COMMAND[op], *_positional(op, a)]
        user_args = [] if user is None else ["--user", user]
        result = CliRunner().invoke(
            app, ["--db", str(self.path), "--json", *user_args, *args],
            obj=lambda path, read_only=False: Memory(path, embedder=HashEmbedder(),
                                                     manager="rule", read_only=read_only),
            env={"ASEM_DB": None, "ASEM_USER": None, "ASEM_MANAGER": None, "COLUMNS": "200"})
        if result.exit_code == 0:
            lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
            return lines if op == "export" else lines[0] if lines else {}
        if "Traceback" in result.output or result.exit_code not in (1, 2):
            raise RuntimeError(f"asem {' '.join(args)}: exit {result.exit_code}: "
                               f"{result.output[-300:]} {result.exception!r}")
        error = json.loads(result.stderr.splitlines()[-1])["error"]
        if error["type"] == "NotFoundError":
            raise Missing(error["message"])
        raise Refused(f"{error['type']}: {error['message']}")

    def call(self, op: str, user: str | None, claim: str | None, **a: Any) -> Out:
        shown = self._run(user, op, **a)
        if op == "add":
            return Out(shown, ids=[i for i in (shown.get("note_id"), shown.get("added_id")) if i])
        if op == "search":
            return Out(shown, hits=[(h["note"]["id"], h["score"], h["lexical"])
                                    for h in shown["hits"]], retrieval=shown["retrieval_id"])
        if op == "links":
            return Out(shown.get("links"))
        if op == "count":
            return Out(shown, count=shown["notes"])
        return Out(shown, ids=[a["note_id"]] if "note_id" in a else [])

    def without_tenant(self, op: str, rng: random.Random, **a: Any) -> bool:
        # Without --user the command line acts for the user "default" (one person's memory
        # on one machine); an empty name is no tenant and must be refused.
        try:
            self._run(rng.choice(("", "   ")), op, **a)
        except Refused as e:
            return str(e).startswith("ScopeError")
        except Missing:
            return False
        return False

    def __exit__(self, *exc: object) -> None:
        self.store.close()
        self.memory.close()


def _positional(op: str, a: dict[str, Any]) -> list[str]:
    if op == "add":
        return [a["text"]]
    if op == "search":
        return [a["query"]]
    if op == "feedback":
        notes = [f"--note={n}" for n in a.get("note_ids") or ()]
        return [a["retrieval_id"], str(a["reward"]), *notes]
    return [a["note_id"]] if "note_id" in a else []


@contextmanager
def cli_surface() -> Iterator[Surface]:
    with _target(None) as where, CliSurface(Path(where)) as surface:
        yield surface


def _http(name: str) -> Callable[[], Any]:
    def make() -> Any:
        from checks import isolation_http

        return getattr(isolation_http, name)()

    return make


SURFACES: dict[str, tuple[Callable[[], Any], bool]] = {
    "python, sqlite": (python_surface, False),
    "python, postgresql": (postgres_surface, False),
    "python async, sqlite": (async_surface, False),
    "CLI, sqlite": (cli_surface, True),
    "REST, sqlite": (_http("rest_surface"), False),
    "mem0 routes, sqlite": (_http("mem0_surface"), False),
    "web console, sqlite": (_http("console_surface"), False),
    "MCP over HTTP, sqlite": (_http("mcp_surface"), False),
}
"""Row name → (a context manager giving the surface, whether it is slow per step)."""
