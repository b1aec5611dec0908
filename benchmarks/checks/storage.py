"""Storage faults: a write batch meets a failing store, and must commit fully or not at all.

One write batch (six chat messages the manager turns into a supersession, an UPDATE, a
NOOP, a DELETE and two ADDs, with links, history rows and turn rows) is written to a fresh
tenant while a fault is planted:

- an I/O error at statement N, for every N the batch runs (its BEGIN and COMMIT included);
  on SQLite also one after which SQLite rolled the transaction back itself, as it may;
- on PostgreSQL the connection's backend terminated at statement N (pg_terminate_backend),
  and every backend of the database terminated at statement N (a server restart as its
  clients see it: every pooled connection dead);
- a full disk (SQLite ``PRAGMA max_page_count``), a file that refuses writes
  (``PRAGMA query_only``, and a read-only open; permissions do not stop root), a read-only
  server (``default_transaction_read_only``), and a write lock held by another connection
  past the busy timeout;

each once with the write decided on row versions and once decided under the store's write
lock (``WriteConfig.conflict_retries=0``: SQLite then writes in a savepoint). The write must
either commit in full or raise an ``asem.errors`` error; every table (compared row by row)
is then as before or as after a full commit; no note lacks its vectors, lexical row, turn
rows or history row; and once the fault is gone the same write succeeds, every note of the
batch there once and found by search.
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asem import Memory
from asem.config import MemoryConfig, WriteConfig
from asem.errors import ASEMError
from asem.providers import HashEmbedder
from asem.types import Decision, Op, Tier
from asem.write.manager import Proposal
from checks import Row, Size
from checks.statement_faults import (
    CountingPool,
    CountingSQLite,
    Fault,
    postgres_io_error,
    restart,
    sqlite_io_error,
    sqlite_io_error_rolled_back,
    terminate,
)

CHECK = "storage faults"
SEED = ("Ann lives in Paris", "Ann has a dog named Buddy", "Ann works at the bakery",
        "Ann likes green tea")
BATCH = ("Ann lives in Berlin now", "Ann has a second dog named Scout",
         "Ann works at the bakery on Sundays", "Ann no longer likes green tea",
         "Ann likes jazz and old records", "Ann's dog Buddy turned five")
_PLAN: dict[str, tuple[Op, str, bool, str | None, Tier]] = {
    # input: (operation, a word of its target, supersedes, merged content, tier)
    BATCH[0]: (Op.DELETE, "Paris", True, None, Tier.LONG_TERM),
    BATCH[1]: (Op.UPDATE, "Buddy", False, "Ann has two dogs, Buddy and Scout", Tier.LONG_TERM),
    BATCH[2]: (Op.NOOP, "bakery", False, None, Tier.LONG_TERM),
    BATCH[3]: (Op.DELETE, "tea", False, None, Tier.DISCARD),
}
EXPECTED = sorted(["Ann lives in Paris", "Ann lives in Berlin now",
                   "Ann has two dogs, Buddy and Scout", "Ann works at the bakery",
                   "Ann likes jazz and old records", "Ann's dog Buddy turned five"])
"""The live notes of a tenant after the seed and the batch (the Paris note superseded)."""
MODES = {"row versions": 3, "under the write lock": 0}
"""How the write is decided: WriteConfig.conflict_retries."""
FAST_STATEMENTS = 4
"""Statements N tried per fault and mode at the fast size (all of them at the full size)."""


class ScriptedManager:
    """Decides each input of the batch as ``_PLAN`` says (its target: the candidate holding
    the named word); every other input, and a target not among the candidates, is an ADD."""

    def decide(self, proposal: Proposal) -> Decision:
        planned = _PLAN.get(proposal.content)
        if planned is None:
            return Decision(Op.ADD, reason="new")
        op, word, supersedes, merged, tier = planned
        for c in proposal.candidates:
            if word in c.content:
                return Decision(op, c.note_id, tier, merged, "scripted", supersedes)
        return Decision(Op.ADD, reason="target not shown")


@dataclass
class Tally:
    runs: int = 0
    zero: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("untyped errors", "half-written", "partly committed", "not recovered", "lost",
         "duplicated", "not searchable", "faults not fired"), 0))
    counts: dict[str, float] = field(default_factory=dict)
    seen_half_written: int = 0

    def count(self, name: str, by: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by


@dataclass
class Engine:
    """One store under test: how to open it wrapped, read it from outside, and break it."""

    name: str
    open_store: Callable[[Fault], Any]
    read: Callable[..., list[tuple[Any, ...]]]
    """Rows of a query (``?`` placeholders) on a connection of the check's own."""
    dump: Callable[[], dict[str, list[str]]]
    sql: dict[str, str]
    """The engine's pieces of the _HALF_WRITTEN queries."""
    faults: dict[str, Callable[[Any], Any]]
    """Planted by the statement: name -> action (given the real connection)."""
    slow_faults: dict[str, Callable[[Any], Any]]
    """As ``faults``, at one statement per mode at the fast size (a server restart)."""
    hold: dict[str, Callable[[Any], Any]]
    """Whole-store faults: name -> context manager factory (given the store)."""
    extra: Callable[[Tally], None] | None = None
    """Runs of their own (a read-only open)."""
    close: Callable[[], None] = lambda: None

    def live(self, user: str) -> list[str]:
        """The contents of a tenant's live notes, current and superseded."""
        return [r[0] for r in self.read("SELECT content FROM notes WHERE user_id = ? AND "
                                        "deleted_at IS NULL", user)]

    def half_written(self) -> int:
        found = sum(self.read(q.format(**self.sql))[0][0] for q in _HALF_WRITTEN.values())
        check = self.sql.get("integrity_check")
        return found + (check is not None and self.read(check)[0][0] != "ok")


def run(size: Size, *, postgres_url: str | None = None) -> list[Row]:
    """One row per store: SQLite in a temporary folder, then PostgreSQL (at ``postgres_url``,
    else a local server started for the run)."""
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="asem-storage-"))
    try:
        rows.append(_row("sqlite", _sqlite(folder / "m.db"), size))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with _postgres(postgres_url) as engine:
        rows.append(_row("postgresql", engine, size))
    return rows


def _row(where: str, engine: Engine, size: Size) -> Row:
    try:
        return _runs(where, engine, size)
    finally:
        engine.close()


def _runs(where: str, engine: Engine, size: Size) -> Row:
    started = time.perf_counter()
    tally = Tally()
    rng = random.Random(7)
    embedder = HashEmbedder()
    for mode, retries in MODES.items():
        fault = Fault()
        store = engine.open_store(fault)
        config = MemoryConfig(write=WriteConfig(conflict_retries=retries))
        with Memory(store=store, embedder=embedder, manager=ScriptedManager(), config=config,
                    background=False) as memory:
            users = iter(f"{where}-{mode}-{i}" for i in range(10**6))
            statements = _statements(memory, fault, next(users))
            tally.count("statements per batch", statements / len(MODES))
            chosen = list(range(1, statements + 1))
            if size is Size.FAST:
                chosen = sorted(rng.sample(chosen, min(FAST_STATEMENTS, statements)))
            planted = [(name, action, chosen) for name, action in engine.faults.items()]
            planted += [(name, action, chosen if size is Size.FULL else chosen[:1])
                        for name, action in engine.slow_faults.items()]
            for name, action, at in planted:
                for n in at:
                    _one(memory, engine, next(users), tally, f"{name} at N",
                         _PlantedAt(fault, n, action), mode)
            for name, hold in engine.hold.items():
                _one(memory, engine, next(users), tally, name, hold(store), mode)
    if engine.extra is not None:
        engine.extra(tally)
    _new_half_written(engine, tally)
    return Row(CHECK, where, tally.runs, tally.zero, tally.counts,
               time.perf_counter() - started)


def _statements(memory: Memory, fault: Fault, user: str) -> int:
    """Statements one batch runs, from the first of its write to the end of the call."""
    _seed(memory, user)
    with _counting(memory, fault):
        memory.add(_messages(BATCH), user_id=user)
    return fault.count


@contextmanager
def _counting(memory: Memory, fault: Fault, at: int | None = None,
              action: Callable[[Any], Any] | None = None) -> Iterator[None]:
    """Arm ``fault`` when the batch starts writing (the store's ``write``, or the write
    lock taken by the last try), until the call returns."""
    store = memory.store
    write, snapshot = store.write, store.snapshot

    started = []

    def start() -> None:
        if not started:
            started.append(True)
            fault.arm(at, action)

    def armed_write(batch: Any) -> Any:
        start()
        return write(batch)

    @contextmanager
    def armed_snapshot(*args: Any, **kwargs: Any) -> Iterator[None]:
        if kwargs.get("exclusive"):
            start()
        with snapshot(*args, **kwargs):
            yield

    store.write, store.snapshot = armed_write, armed_snapshot
    try:
        yield
    finally:
        fault.disarm()
        del store.write, store.snapshot


def _one(memory: Memory, engine: Engine, user: str, tally: Tally, name: str,
         planted: Any, mode: str) -> None:
    """Seed a tenant, write the batch with the fault in place, check, write it again."""
    tally.runs += 1
    _seed(memory, user)
    before = engine.dump()
    error: BaseException | None = None
    try:
        if isinstance(planted, _PlantedAt):
            with _counting(memory, planted.fault, planted.at, planted.action):
                memory.add(_messages(BATCH), user_id=user)
            if not planted.fault.fired:
                tally.zero["faults not fired"] += 1
        else:
            with planted:
                try:
                    memory.add(_messages(BATCH), user_id=user)
                    tally.zero["faults not fired"] += 1
                except ASEMError as e:
                    error = e
    except ASEMError as e:
        error = e
    except Exception as e:  # what the check is for: an error outside the tree
        error = e
        tally.zero["untyped errors"] += 1
        tally.count(f"untyped: {type(e).__name__}: {str(e)[:60]}")
    if error is None:
        tally.count("committed through the fault")
    else:
        tally.count(f"{name}: {type(error).__name__}")
        if getattr(error, "retryable", False):
            tally.count("retryable errors")
        after = engine.dump()
        if after != before and sorted(engine.live(user)) != EXPECTED:
            tally.zero["partly committed"] += 1
    if _new_half_written(engine, tally):
        tally.count(f"half-written after {name}")
    try:
        memory.add(_messages(BATCH), user_id=user)
    except Exception as e:
        tally.zero["not recovered"] += 1
        tally.count(f"not recovered after {name}: {type(e).__name__}")
        return
    live = engine.live(user)
    wrong = {"lost": len(set(EXPECTED) - set(live)), "duplicated": len(live) - len(set(live)),
             "not searchable": sum(
                 not any(h.note.content == text for h in memory.search(text, user_id=user, k=3))
                 for text in BATCH[4:])}
    for what, n in wrong.items():
        tally.zero[what] += n
        if n:  # which fault, at which statement: where to look
            at = f" at N={planted.at}" if isinstance(planted, _PlantedAt) else ""
            tally.count(f"{what} after {name}{at} ({mode})", n)


def _new_half_written(engine: Engine, tally: Tally) -> int:
    """Half-written notes found since the last look (each counted once)."""
    found = engine.half_written()
    new = max(found - tally.seen_half_written, 0)
    tally.zero["half-written"] += new
    tally.seen_half_written = max(found, tally.seen_half_written)
    return new


@dataclass(frozen=True)
class _PlantedAt:
    fault: Fault
    at: int
    action: Callable[[Any], Any]


def _seed(memory: Memory, user: str) -> None:
    memory.add(_messages(SEED), user_id=user)


def _messages(texts: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"role": "user", "content": t} for t in texts]


# -- the stores -----------------------------------------------------------------------------

BUSY_S = 0.2
"""The stores' busy timeout: how long a write waits for a lock another connection holds."""

_HALF_WRITTEN = {
    # what a note needs, as SQL counting the notes (or rows) that lack it; {turn_ids}: the
    # engine's rows of a note's turn ids, {lexical}: the engine's test for a lexical row
    "note without vectors": "SELECT count(*) FROM notes WHERE {no_vectors}",
    "live note without its lexical row": "SELECT count(*) FROM notes n WHERE "
                                         "n.deleted_at IS NULL AND NOT ({lexical})",
    "note without history": "SELECT count(*) FROM notes n WHERE NOT EXISTS "
                            "(SELECT 1 FROM history h WHERE h.note_id = n.id)",
    "turn id without its row": "SELECT count(*) FROM notes n, {turn_ids} WHERE NOT EXISTS "
                               "(SELECT 1 FROM note_turns x WHERE x.note_id = n.id "
                               "AND x.turn_id = {turn})",
    "note without a turn": "SELECT count(*) FROM notes n WHERE NOT EXISTS "
                           "(SELECT 1 FROM turns t WHERE t.note_id = n.id)",
    "turn without its note": "SELECT count(*) FROM turns t WHERE NOT EXISTS "
                             "(SELECT 1 FROM notes n WHERE n.id = t.note_id)",
    "link to a missing note": "SELECT count(*) FROM links l WHERE NOT EXISTS (SELECT 1 FROM "
                              "notes n WHERE n.id = l.src) OR NOT EXISTS (SELECT 1 FROM "
                              "notes n WHERE n.id = l.dst)",
}


def _sqlite(path: Path) -> Engine:
    from asem.stores.sqlite.store import SQLiteStore

    def open_store(fault: Fault) -> SQLiteStore:
        store = SQLiteStore(path, embedder_id=HashEmbedder().model_id, busy_timeout_s=BUSY_S)
        store._conn = CountingSQLite(store._conn, fault)  # type: ignore[assignment]
        return store

    reader: list[sqlite3.Connection] = []

    def read(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if not reader:  # autocommit: every read sees the latest commit, holds nothing
            reader.append(sqlite3.connect(path, isolation_level=None))
        return reader[0].execute(sql, params).fetchall()

    def dump() -> dict[str, list[str]]:
        tables = [r[0] for r in read("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(map(repr, read(f"SELECT * FROM {t}"))) for t in tables}

    sql = {"no_vectors": "length(embedding) = 0 OR length(intent_embedding) = 0",
           "lexical": "EXISTS (SELECT 1 FROM notes_fts f WHERE f.rowid = n.rowid)",
           "turn_ids": "json_each(n.turn_ids) j", "turn": "j.value",
           "integrity_check": "PRAGMA integrity_check"}
    return Engine(
        "sqlite", open_store, read, dump, sql,
        {"I/O error": sqlite_io_error,
         "I/O error, transaction rolled back by SQLite": sqlite_io_error_rolled_back},
        {},
        {"disk full": _sqlite_full, "read-only file (query_only)": _sqlite_query_only,
         "locked by another connection": lambda store: _sqlite_locked(path)},
        lambda tally: _read_only_open(path, dump, tally),
        lambda: [c.close() for c in reader])


def _real(store: Any) -> sqlite3.Connection:
    return store._conn._conn  # under the counting wrapper


@contextmanager
def _sqlite_full(store: Any) -> Iterator[None]:
    """No page may be added to the file (what a full disk leaves SQLite with)."""
    conn = _real(store)
    limit = conn.execute("PRAGMA max_page_count").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA max_page_count = {limit}")


@contextmanager
def _sqlite_query_only(store: Any) -> Iterator[None]:
    conn = _real(store)
    conn.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        conn.execute("PRAGMA query_only = OFF")


@contextmanager
def _sqlite_locked(path: Path) -> Iterator[None]:
    """Another connection holds the write lock longer than the busy timeout."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def _read_only_open(path: Path, dump: Callable[[], dict[str, list[str]]],
                    tally: Tally) -> None:
    """A write through a read-only open is refused, typed, and changes nothing."""
    tally.runs += 1
    before = dump()
    try:
        with Memory(path, embedder=HashEmbedder(), read_only=True, background=False) as memory:
            memory.add("Ann reads a read-only memory", user_id="read-only")
        tally.zero["faults not fired"] += 1
    except ASEMError as e:
        tally.count(f"read-only open: {type(e).__name__}")
    except Exception as e:
        tally.zero["untyped errors"] += 1
        tally.count(f"untyped: {type(e).__name__}: {str(e)[:60]}")
    if dump() != before:
        tally.zero["partly committed"] += 1


@contextmanager
def _postgres(url: str | None) -> Iterator[Engine]:
    from asem.eval.databases import PostgresDatabases, local_postgres

    pool_log = logging.getLogger("psycopg")
    level = pool_log.level
    # psycopg warns of every dead connection it discards: here they are the point.
    pool_log.setLevel(logging.ERROR)
    with (local_postgres() if url is None else _given(url)) as server:
        databases = PostgresDatabases(server)
        try:
            yield _postgres_engine(server, databases.new("storage"))
        finally:
            databases.close()
            pool_log.setLevel(level)


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _postgres_engine(admin_url: str, url: str) -> Engine:
    import psycopg

    from asem.stores.postgres.store import PostgresStore

    def open_store(fault: Fault) -> PostgresStore:
        store = PostgresStore(url, embedder_id=HashEmbedder().model_id,
                              dimension=HashEmbedder().dimension, busy_timeout_s=BUSY_S,
                              pool_max=4)
        store._pool = CountingPool(store._pool, fault)  # type: ignore[assignment]
        return store

    reader: list[psycopg.Connection[Any]] = []

    def read(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            if not reader:
                reader.append(psycopg.connect(url, autocommit=True))
            try:
                return reader[0].execute(sql.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]
            except psycopg.OperationalError:  # terminated with the store's, by a fault
                reader.pop().close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def dump() -> dict[str, list[str]]:
        tables = [r[0] for r in read("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = 'public'")]
        return {t: sorted(r[0] for r in read(f"SELECT x::text FROM {t} x")) for t in tables}

    sql = {"no_vectors": "vector_dims(embedding) = 0 OR vector_dims(intent_embedding) = 0",
           "lexical": "n.lexical <> ''::tsvector", "turn_ids": "unnest(n.turn_ids) AS j(t)",
           "turn": "j.t"}
    return Engine(
        "postgresql", open_store, read, dump, sql,
        {"I/O error": postgres_io_error,
         "backend terminated": terminate(admin_url),
         "every backend terminated": terminate(admin_url, every=True)},
        {"server restarted": action} if (action := restart(admin_url)) else {},
        {"read-only server": lambda store: _postgres_read_only(admin_url),
         "locked by another connection": lambda store: _postgres_locked(url)},
        close=lambda: [c.close() for c in reader])


@contextmanager
def _postgres_read_only(admin_url: str) -> Iterator[None]:
    """Every transaction of the server read-only (a standby promoted back, a disk guard)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
        admin.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)  # backends take the new setting when they next read a command
        try:
            yield
        finally:
            admin.execute("SET default_transaction_read_only = off")
            admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
            admin.execute("SELECT pg_reload_conf()")
            time.sleep(0.2)


@contextmanager
def _postgres_locked(url: str) -> Iterator[None]:
    """Another connection holds a lock on the notes that no writer can share."""
    import psycopg

    with psycopg.connect(url) as other:
        other.execute("LOCK TABLE notes IN EXCLUSIVE MODE")
        yield
        other.rollback()
