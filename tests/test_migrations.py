"""Migrations: a released file never changes, and a database made by every released schema
opens, takes new notes and is searched with today's code.

The schema of a database made by a release is its migration files as they were at that commit,
each followed by the version it set. A file that is the same today is read from
asem/stores/migrations (its hash is pinned below); one edited since is kept in tests/schemas
as ``<commit>_<file>``. ``python tests/test_migrations.py`` writes those again from the git
history, and a test checks every release against it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from asem import Memory
from asem.providers import HashEmbedder
from asem.stores.sqlite.connection import open_database

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "asem" / "stores" / "migrations"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

RELEASES = {
    "1567e09": ("0001_init.sql",),
    "a1dae6a": ("0001_init.sql",),
    "eed8616": ("0001_init.sql", "0002_feedback_intents.sql"),
    "6885810": ("0001_init.sql", "0002_feedback_intents.sql", "0004_llm_jobs.sql"),
    "5abc3fd": ("0001_init.sql", "0002_feedback_intents.sql", "0004_llm_jobs.sql",
                "0005_turns.sql"),
}
"""Every commit that changed the migrations, oldest first, with the files it had. a1dae6a
edited 0001 in place: files made at 1567e09 have a lexical index without its owner column."""

RELEASED = {
    "0001_init.sql":
        "565b678cfc0772ba65a52b0376290147f128165c5d5fa386d8a988f8d69de9eb",
    "0002_feedback_intents.sql":
        "81880fc8481a44b34577711262d571ffb8937b291c056c1a44f7d8a9a4073e24",
    "0004_llm_jobs.sql":
        "30111c7cdc0aae982603466d411970904eb66ab090274d8e0387073caf48b77c",
    "0005_turns.sql":
        "9e5e68af5ddf243adae50f434b2e2a6719d5abb77d4717b36276d42d124102bb",
    "0006_lexical_owner.sql":
        "5773b1f175831574e727b8ebc0da6426a9ab36462becbdc9794425ed60518578",
}
"""SHA-256 of every released migration file. Files are never edited once released (a
database past a version never runs that file again): fix a schema with a new migration."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def number(name: str) -> int:
    return int(name.split("_", 1)[0])


# -- released files do not change ------------------------------------------------------------
def test_released_migrations_are_never_edited():
    present = {p.name: sha256(p) for p in MIGRATIONS.glob("*.sql")}
    for name, digest in RELEASED.items():
        assert name in present, f"released migration {name} was removed"
        assert present[name] == digest, (
            f"released migration {name} was edited; restore it and put the change in a new "
            "migration")
    newest = max(number(n) for n in RELEASED)
    late = sorted(n for n in present if n not in RELEASED and number(n) <= newest)
    # A database already at version `newest` would never run these.
    assert not late, f"{late} are numbered below released migrations; renumber them"


def test_migration_numbers_are_unique():
    numbers = [number(p.name) for p in MIGRATIONS.glob("*.sql")]
    assert len(numbers) == len(set(numbers))


# -- every released schema opens, takes notes and is searched --------------------------------
def released(commit: str, name: str) -> str:
    """Migration ``name`` as it was at ``commit``."""
    kept = SCHEMAS / f"{commit}_{name}"
    return (kept if kept.exists() else MIGRATIONS / name).read_text(encoding="utf-8")


def schema_at(commit: str) -> str:
    """The schema of a database made at ``commit``: its migrations, each with its version."""
    return "".join(f"{released(commit, name)}\nPRAGMA user_version = {number(name)};\n"
                   for name in RELEASES[commit])


def git_show(commit: str, name: str) -> str:
    return subprocess.run(["git", "show", f"{commit}:asem/stores/migrations/{name}"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout


def git_files(commit: str) -> tuple[str, ...]:
    listed = subprocess.run(["git", "ls-tree", "--name-only", commit, "asem/stores/migrations/"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return tuple(sorted(Path(n).name for n in listed.split() if n.endswith(".sql")))


def test_every_release_schema_is_its_migrations_as_they_were():
    try:
        for commit, names in RELEASES.items():
            assert git_files(commit) == names, commit
            for name in names:
                assert released(commit, name) == git_show(commit, name), (commit, name)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"no git history here: {e}")


def test_the_oldest_schema_has_no_owner_column():
    """The defect migration 0006 repairs, kept in the fixture without git."""
    assert "entities, owner" not in schema_at("1567e09")
    assert "entities, owner" in schema_at("a1dae6a")


def made_by(commit: str, path: Path, donor: Path) -> None:
    """A database at ``path`` with ``commit``'s schema, holding the notes of ``donor`` (a
    live one and a deleted one) indexed as that release indexed them."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(schema_at(commit))
        conn.execute("ATTACH DATABASE ? AS donor", (str(donor),))
        columns = [r[1] for r in conn.execute("PRAGMA main.table_info(notes_fts)")]
        listed = ", ".join(columns)
        # The columns that release had: later migrations add more (the row version, 0009).
        kept = ", ".join(r[1] for r in conn.execute("PRAGMA main.table_info(notes)"))
        conn.execute(f"INSERT INTO main.notes ({kept}) SELECT {kept} FROM donor.notes")
        conn.execute(f"INSERT INTO main.notes_fts (rowid, {listed}) "
                     f"SELECT rowid, {listed} FROM donor.notes_fts")
        conn.execute("INSERT INTO main.history SELECT * FROM donor.history")
        tables = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master")}
        if "turns" in tables:
            conn.execute("INSERT INTO main.turns SELECT * FROM donor.turns")
    finally:
        conn.close()


@pytest.fixture
def donor(tmp_path) -> tuple[Path, dict[str, str]]:
    """A database written by today's code: Buddy's note live, the coffee note deleted."""
    path = tmp_path / "donor.db"
    with Memory(path, embedder=HashEmbedder(), manager="rule") as m:
        ids = {text.split()[-1]: m.add(text, user_id="alice")[0].note_id
               for text in ("I adopted a dog named Buddy", "I drink coffee")}
        m.delete(ids["coffee"], user_id="alice")
    return path, ids


@pytest.mark.parametrize("commit", RELEASES)
def test_a_database_of_every_release_opens_takes_notes_and_is_searched(tmp_path, donor, commit):
    old = tmp_path / f"{commit}.db"
    donor_path, ids = donor
    made_by(commit, old, donor_path)
    with Memory(old, embedder=HashEmbedder(), manager="rule") as m:
        (added,) = m.add("I live in Boston", user_id="alice")
        assert m.search("dog named Buddy", user_id="alice")[0].note.id == ids["Buddy"]
        assert m.search("Boston", user_id="alice")[0].note.id == added.note_id
        # The lexical channel itself: the old note is found by its words, the deleted one not.
        assert [i for i, _ in m.store.lexical("alice", ["buddy"], 5)] == [ids["Buddy"]]
        assert m.store.lexical("alice", ["coffee"], 5) == []
        assert m.store.lexical("mallory", ["buddy"], 5) == []
    versions = sorted(number(p.name) for p in MIGRATIONS.glob("*.sql"))
    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == versions[-1]
    conn.close()


def test_the_lexical_repair_leaves_an_index_with_owners_as_it_was(tmp_path, donor):
    """On a file whose index has the owner column, migration 0006 rebuilds the same rows."""
    old = tmp_path / "current.db"
    made_by("5abc3fd", old, donor[0])

    def index() -> list[tuple]:
        conn = sqlite3.connect(old)
        try:
            return conn.execute("SELECT rowid, * FROM notes_fts ORDER BY rowid").fetchall()
        finally:
            conn.close()

    before = index()
    assert len(before) == 1
    open_database(str(old), 5.0).close()
    assert index() == before
    open_database(str(old), 5.0).close()  # up to date: nothing runs again
    assert index() == before


# -- many processes opening a new file at once ------------------------------------------------
def _open_at_once(path: str, start, errors) -> None:
    try:
        start.wait(timeout=30)
        open_database(path, 30.0).close()
        errors.put("")
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which fails the test
        errors.put(f"{type(e).__name__}: {e}")


def test_many_processes_open_a_new_database_at_once(tmp_path):
    """Each reads the version under the write lock: only the first migrates (before, about
    one open in five failed with 'table notes already exists')."""
    processes = 48
    context = multiprocessing.get_context("fork")
    start, errors = context.Barrier(processes), context.Queue()
    path = str(tmp_path / "new.db")
    workers = [context.Process(target=_open_at_once, args=(path, start, errors))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        outcomes = [errors.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert [o for o in outcomes if o] == []
    conn = sqlite3.connect(path)
    versions = sorted(number(p.name) for p in MIGRATIONS.glob("*.sql"))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == versions[-1]
    conn.close()


if __name__ == "__main__":  # keep the files edited since a release, from the git history
    SCHEMAS.mkdir(exist_ok=True)
    for commit, names in RELEASES.items():
        for name in names:
            text = git_show(commit, name)
            if text != (MIGRATIONS / name).read_text(encoding="utf-8"):
                (SCHEMAS / f"{commit}_{name}").write_text(text, encoding="utf-8")
                print(SCHEMAS / f"{commit}_{name}", file=sys.stderr)
