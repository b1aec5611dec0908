"""The read path: ``asem search``."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from asem.chat import parse_timestamp
from asem.cli.context import opened, settings
from asem.cli.output import emit_json, id_column, short, stdout
from asem.guard.trust import Trust
from asem.types import Filters, Hit, SearchResult, utc_naive


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.", show_default=False,
                                             metavar="QUERY")],
    k: Annotated[int | None, typer.Option(
        "-k", "--k", min=1, show_default=False, metavar="N",
        help="How many notes to return (default: the configured k2, 5).",
    )] = None,
    tag: Annotated[list[str] | None, typer.Option(
        help="Only notes with this tag (repeat for any of several).", metavar="TAG",
    )] = None,
    keyword: Annotated[list[str] | None, typer.Option(
        help="Only notes with this keyword, any case (repeat for any of several).",
        metavar="WORD",
    )] = None,
    since: Annotated[str | None, typer.Option(
        help="Only notes about events at or after this date (ISO 8601, e.g. 2024-05-01).",
        metavar="DATE",
    )] = None,
    until: Annotated[str | None, typer.Option(
        help="Only notes about events at or before this date (a bare date includes the day).",
        metavar="DATE",
    )] = None,
    session: Annotated[str | None, typer.Option(
        help="Only notes scoped to this session.", metavar="ID",
    )] = None,
    expand: Annotated[bool, typer.Option(
        "--expand", help="Also return the 1-hop linked notes of the top hits.",
    )] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Only what held at this time (ISO 8601; a bare date means its end): "
        "past facts that held then instead of the ones that superseded them.",
        metavar="DATE",
    )] = None,
    include_superseded: Annotated[bool, typer.Option(
        "--include-superseded", help="Also return past facts: notes superseded by a change "
        "or retracted (marked 'past').",
    )] = False,
    min_trust: Annotated[Trust | None, typer.Option(
        "--min-trust", help="Only notes from this source or a more trusted one (user_said is "
        "the most trusted, tool_output the least), and none the injection detector "
        "flagged.", show_default=False,
    )] = None,
    trust: Annotated[list[Trust] | None, typer.Option(
        "--trust", help="Only notes from this source (repeat for several), and none the "
        "injection detector flagged.",
        show_default=False,
    )] = None,
    include_quarantined: Annotated[bool, typer.Option(
        "--include-quarantined", help="Also return notes the injection detector quarantined.",
    )] = False,
) -> None:
    """Find the notes most useful for QUERY; prints them and the retrieval id for feedback.

    Facts that changed are returned as they are now; --as-of and --include-superseded
    reach the past ones. Quarantined notes come only with --include-quarantined."""
    options = settings(ctx)
    if as_of is not None and include_superseded:
        raise typer.BadParameter("give --as-of or --include-superseded, not both",
                                 param_hint="--as-of")
    filters = Filters(tags=tuple(tag or ()), keywords=tuple(keyword or ()),
                      since=_bound(since, "--since", end_of_day=False),
                      until=_bound(until, "--until", end_of_day=True), session_id=session,
                      as_of=_bound(as_of, "--as-of", end_of_day=True),
                      include_superseded=include_superseded,
                      trust=tuple(t.value for t in trust or ()),
                      min_trust=min_trust.value if min_trust else None,
                      include_quarantined=include_quarantined)
    with opened(ctx, "read") as memory:
        result = memory.search(query, user_id=options.user, agent_id=options.agent, k=k,
                               filters=filters, expand_links=expand)
    if options.json:
        emit_json({"retrieval_id": result.retrieval_id,
                   "hits": [_hit_dict(hit) for hit in result]})
    else:
        _print_hits(result)


def _bound(value: str | None, option: str, *, end_of_day: bool) -> datetime | None:
    """A filter bound as naive UTC; a bare date means its start (or, for --until, its end)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        parsed = parse_timestamp(value, option)
        return utc_naive(parsed) if parsed is not None else None
    return datetime.combine(day, time(23, 59, 59) if end_of_day else time.min)


def _hit_dict(hit: Hit) -> dict[str, Any]:
    return {"score": float(hit.score), "similarity": float(hit.similarity),
            "lexical": float(hit.lexical), "via": hit.via, "superseded": hit.superseded,
            "note": hit.note.to_dict()}


def _print_hits(result: SearchResult) -> None:
    console = stdout()
    if result.empty:
        console.print("no notes found")
    else:
        table = Table("#", "score", "utility", "note id", "content", "speaker / context")
        id_column(table, 3, console)
        table.columns[5].max_width = 40
        for rank, hit in enumerate(result, start=1):
            marker = f"{rank}" if hit.via == "recall" else f"{rank}↳"
            content = escape(short(hit.note.content, 200))
            if hit.superseded and hit.note.valid_until is not None:
                content = f"[dim]past, until {hit.note.valid_until.date()}:[/] {content}"
            if hit.note.quarantined:
                content = f"[red]quarantined:[/] {content}"
            table.add_row(marker, f"{hit.score:.3f}", f"{hit.note.utility:.3f}",
                          hit.note.id, content,
                          escape(short(hit.note.context, 80)))
        console.print(table)
    console.print(f"retrieval id: {result.retrieval_id}  "
                  f"[dim](asem feedback {result.retrieval_id} REWARD)[/]")
    if any(hit.via == "link" for hit in result):
        console.print("[dim]↳ reached through a link from a higher hit[/]")
    if any(hit.via == "bridge" for hit in result):
        console.print("[dim]↳ found by a second search through a higher hit's entities[/]")
