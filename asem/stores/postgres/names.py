"""The names speakers are addressed by, in the PostgreSQL store
(``asem.stores.base.NameStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from asem.stores.base import NameUse
from asem.stores.postgres.writes import Conn

_UPSERT = ("INSERT INTO name_uses (user_id, agent_id, speaker, name, addressed, said) "
           "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, agent_id, speaker, name) "
           "DO UPDATE SET addressed = name_uses.addressed + excluded.addressed, "
           "said = name_uses.said + excluded.said")
_SELECT = ("SELECT user_id, agent_id, speaker, name, addressed, said FROM name_uses "
           "WHERE user_id = %s")


def count_names(conn: Conn, uses: Sequence[NameUse]) -> None:
    """Add ``uses`` to the counts, in the caller's transaction."""
    if not uses:
        return
    with conn.cursor() as cur:
        cur.executemany(_UPSERT, [(u.user_id, u.agent_id, u.speaker, u.name, u.addressed,
                                   u.said) for u in uses])


class NamesMixin:
    """Name-use methods of PostgresStore."""

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def names(self, user_id: str, agent_id: str | None, names: Sequence[str]) -> list[NameUse]:
        if not names:
            return []
        sql = _SELECT + " AND name IN (" + ", ".join("%s" for _ in names) + ")"
        args: list[str] = [user_id, *names]
        if agent_id is not None:
            sql, args = sql + " AND agent_id = %s", [*args, agent_id]
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [NameUse(r["user_id"], r["agent_id"], r["speaker"], r["name"], r["addressed"],
                        r["said"]) for r in rows]
