"""The k nearest live notes of a scope passing filters, answered by pgvector's HNSW index.

The index (one per dimension, over live notes of every tenant) is walked with iterative scans
(pgvector ≥ 0.8: ``hnsw.iterative_scan``): when the scope and filters drop most of the rows a
plain HNSW scan returns (a small tenant in a large table), the scan goes on until k rows
pass, instead of returning fewer. ``relaxed_order`` may return them slightly out of order,
so more are read than asked for and sorted again by exact distance.
"""

from __future__ import annotations

import numpy as np

from asem.stores.postgres.filters import listed
from asem.stores.postgres.writes import Conn
from asem.types import Filters, Scope


def nearest(conn: Conn, scope: Scope, filters: Filters, vector: np.ndarray, k: int,
            *, ef_search: int = 100, oversample: int = 4) -> list[tuple[str, float]]:
    """(note id, cosine similarity), most similar first: the ``k`` nearest notes that
    ``list_notes(scope, filters)`` would list (validity included), quarantined ones only
    with ``filters.include_quarantined``."""
    vector = np.asarray(vector, dtype=np.float32)
    dim = int(vector.shape[0])
    where, params = listed(scope, filters, False)
    if not filters.include_quarantined:  # as a search has it (asem.read.recall)
        where += " AND NOT quarantined"
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    conn.execute(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), k)}")
    distance = f"embedding::vector({dim}) <=> %s::vector({dim})"
    # Oversampled: a relaxed-order scan yields rows roughly by distance, so the exact k
    # nearest are taken from the first ``oversample × k`` it finds.
    rows = conn.execute(
        f"SELECT id, distance FROM (SELECT id, {distance} AS distance FROM notes "
        f"WHERE vector_dims(embedding) = {dim} AND {where} ORDER BY {distance} LIMIT %s) near "
        "ORDER BY distance, id LIMIT %s",
        [vector, *params, vector, k * oversample, k]).fetchall()
    return [(r["id"], 1.0 - float(r["distance"])) for r in rows]
