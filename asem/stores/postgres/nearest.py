"""The k nearest notes among those a WHERE clause selects (a search's: scope, filters,
validity, quarantine), by cosine similarity: pgvector's HNSW index for a large tenant, an
exact scan of the tenant's rows for a small one.

The HNSW index (one per dimension, over the live notes of every tenant) is walked with
iterative scans (pgvector ≥ 0.8: ``hnsw.iterative_scan``): when the scope and filters drop
most of the rows a plain HNSW scan returns, the scan goes on until k rows pass instead of
returning fewer. ``relaxed_order`` may return them slightly out of order, so more are read
than asked for and sorted again by exact distance. An iterative scan still gives up after
``hnsw.max_scan_tuples`` rows: a tenant whose notes are too small a share of the table for
the scan to meet ``oversample × k`` of them within that many is scanned exactly, as is any
tenant of at most ``exact_limit`` notes (its rows are few; exact, and cheaper than walking
an index shared with the other tenants). When the index scan returns fewer than k notes (a
filter so rare the scan gave up first), the exact scan answers instead, so a search never
gets fewer notes than it may return.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from asem.stores.postgres.writes import Conn

EXACT_LIMIT = 1_000
"""A tenant with at most this many live notes is searched exactly (its rows scanned, no
index)."""
EF_SEARCH = 400
"""pgvector's ``hnsw.ef_search`` for a search: the candidate list the walk keeps. At 100,000
notes of ``benchmarks/scale.py`` (4,000 real vectors, each stored 25 times with a little
noise), recall@10 against an exact scan was 0.896, 0.969 and 0.975 at 200, 400 and 800, for
4.7, 6.8 and 9.0 ms a walk (``bench-out/scale-pg-s37-1m.json``); with each vector stored
exactly 25 times, 100 gave 0.94 and 200 and 400 1.00."""
MAX_SCAN_TUPLES = 20_000
"""pgvector's ``hnsw.max_scan_tuples`` (its default): how many rows an iterative scan
reads at most."""


def nearest(conn: Conn, where: str, params: list[Any], vector: np.ndarray, k: int,
            user_id: str, *, exact_limit: int = EXACT_LIMIT, ef_search: int = EF_SEARCH,
            oversample: int = 4) -> list[tuple[str, float]]:
    """(note id, cosine similarity), most similar first: the ``k`` nearest notes of
    ``user_id`` among those ``where`` selects (``params`` its parameters)."""
    if k <= 0:
        return []
    vector = np.asarray(vector, dtype=np.float32)
    # The index scan reads about (table / tenant) rows for each of the tenant's it finds.
    floor = max(exact_limit, _table_size(conn) * k * oversample // MAX_SCAN_TUPLES)
    if _tenant_size(conn, user_id, floor + 1) > floor:
        found = _indexed(conn, where, params, vector, k, ef_search, oversample)
        if len(found) == k:
            return found
    return _exact(conn, where, params, vector, k)


def _tenant_size(conn: Conn, user_id: str, cap: int) -> int:
    """The user's live notes, counted up to ``cap`` (an index-only scan of at most that
    many entries of ``notes_user``)."""
    return int(conn.execute(
        "SELECT count(*) AS n FROM (SELECT 1 FROM notes WHERE user_id = %s AND "
        "deleted_at IS NULL LIMIT %s) tenant", (user_id, cap)).fetchone()["n"])


def _table_size(conn: Conn) -> int:
    """The planner's estimate of the rows of ``notes`` (0 before its first ANALYZE)."""
    row = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'notes'::regclass"
                       ).fetchone()
    return max(0, int(row["reltuples"])) if row is not None else 0


def _indexed(conn: Conn, where: str, params: list[Any], vector: np.ndarray, k: int,
             ef_search: int, oversample: int) -> list[tuple[str, float]]:
    dim = int(vector.shape[0])
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    conn.execute(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), k)}")
    distance = f"embedding::vector({dim}) <=> %s::vector({dim})"
    # Oversampled: a relaxed-order scan yields rows roughly by distance, so the exact k
    # nearest are taken from the first ``oversample × k`` it finds.
    rows = conn.execute(
        f"SELECT id, distance FROM (SELECT id, seq, {distance} AS distance FROM notes "
        f"WHERE vector_dims(embedding) = {dim} AND {where} ORDER BY {distance} LIMIT %s) "
        "near ORDER BY distance, seq LIMIT %s",
        [vector, *params, vector, k * oversample, k]).fetchall()
    return [(r["id"], 1.0 - float(r["distance"])) for r in rows]


def _exact(conn: Conn, where: str, params: list[Any], vector: np.ndarray,
           k: int) -> list[tuple[str, float]]:
    """Every row ``where`` selects, sorted by distance. The distance is taken of the
    column as stored, not of the HNSW index's typed expression, so no index answers."""
    dim = int(vector.shape[0])
    rows = conn.execute(
        f"SELECT id, embedding <=> %s::vector AS distance FROM notes "
        f"WHERE vector_dims(embedding) = {dim} AND {where} ORDER BY distance, seq LIMIT %s",
        [vector, *params, k]).fetchall()
    return [(r["id"], 1.0 - float(r["distance"])) for r in rows]
