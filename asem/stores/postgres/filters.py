"""WHERE clauses of the PostgreSQL store's note reads: scope, metadata filters, validity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asem.guard.detector import FLAG_BAR
from asem.stores.postgres.codec import ts
from asem.types import Filters, Scope, now


def filter_clauses(scope: Scope, filters: Filters, *,
                   include_deleted: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of the notes in ``scope`` passing ``filters``."""
    clauses = ["user_id = %s"] + ([] if include_deleted else ["deleted_at IS NULL"])
    params: list[Any] = [scope.user_id]
    for column, value in (("agent_id", scope.agent_id), ("session_id", scope.session_id)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if filters.session_id is not None:  # a session scope, or the session a turn came from
        clauses.append("(session_id = %s OR source_id = %s)")
        params.extend([filters.session_id, filters.session_id])
    if filters.tags:
        clauses.append("tags && %s::text[]")
        params.append(list(filters.tags))
    if filters.keywords:
        clauses.append("EXISTS (SELECT 1 FROM unnest(keywords) k WHERE lower(k) = ANY(%s))")
        params.append([k.lower() for k in filters.keywords])
    if filters.since is not None:
        clauses.append("event_time >= %s")
        params.append(ts(filters.since))
    if filters.until is not None:
        clauses.append("event_time <= %s")
        params.append(ts(filters.until))
    if filters.tier is not None:
        clauses.append("tier = %s")
        params.append(filters.tier.value)
    if filters.speaker:  # the head of the context line "<speaker>, on <date>; ..."
        head = f"{filters.speaker.strip().lower()}, on "
        clauses.append("lower(left(context, %s)) = %s")
        params.extend([len(head), head])
    if filters.text:
        clauses.append("strpos(lower(content), %s) > 0")
        params.append(filters.text.lower())
    if trusted := filters.trusted:
        clauses.append("trust = ANY(%s)")
        params.append(list(trusted))
    if filters.trusted and not filters.include_quarantined:  # and not flagged
        clauses.append("(quarantine_score IS NULL OR quarantine_score < %s)")
        params.append(FLAG_BAR)
    return " AND ".join(clauses), params


def listed(scope: Scope, filters: Filters, include_deleted: bool) -> tuple[str, list[Any]]:
    """The WHERE clause of the notes ``list_notes`` and ``count_notes`` give: those passing
    ``filters``, validity included (current now, and not expired, by default)."""
    where, params = filter_clauses(scope, filters, include_deleted=include_deleted)
    if filters.include_superseded:
        return where, params
    if filters.as_of is not None:
        at = ts(filters.as_of)
        return (f"{where} AND (valid_from IS NULL OR valid_from <= %s) AND "
                "(valid_until IS NULL OR valid_until > %s)", [*params, at, at])
    at = ts(now())  # current, and not an expired short-term note (asem.lifecycle)
    return (f"{where} AND (valid_until IS NULL OR valid_until > %s) AND "
            "(expires_at IS NULL OR expires_at > %s)", [*params, at, at])


def searched(scope: Scope, filters: Filters, at: datetime) -> tuple[str, list[Any]]:
    """The WHERE clause of the notes a search at ``at`` may return, by the rule the SQLite
    store's vector index applies (``asem.stores.dense.visible_rows``): those passing
    ``filters``, never a short-term note expired by ``at`` (whatever the validity filters
    say), valid then (``as_of``, else at ``at``; any with ``include_superseded``), and not
    quarantined unless ``filters.include_quarantined``."""
    where, params = filter_clauses(scope, filters)
    clauses = [where, "(expires_at IS NULL OR expires_at > %s)"]
    params.append(ts(at))
    if filters.as_of is not None and not filters.include_superseded:
        clauses.append("(valid_from IS NULL OR valid_from <= %s) AND "
                       "(valid_until IS NULL OR valid_until > %s)")
        params.extend([ts(filters.as_of)] * 2)
    elif not filters.include_superseded:
        clauses.append("(valid_until IS NULL OR valid_until > %s)")
        params.append(ts(at))
    if not filters.include_quarantined:
        clauses.append("NOT quarantined")
    return " AND ".join(clauses), params
