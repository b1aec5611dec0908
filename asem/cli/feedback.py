"""The feedback path: ``asem feedback``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, id_column, stdout


def feedback(
    ctx: typer.Context,
    retrieval_id: Annotated[str, typer.Argument(
        help="The retrieval id that search printed.", show_default=False,
        metavar="RETRIEVAL_ID",
    )],
    reward: Annotated[float, typer.Argument(
        help="How useful the retrieval was, from -1 (harmful) to 1 (useful).",
        show_default=False, metavar="REWARD",
    )],
    note: Annotated[list[str] | None, typer.Option(
        "--note", metavar="NOTE_ID",
        help="Reward only this returned note (repeat for several); default: all.",
    )] = None,
) -> None:
    """Say how useful a retrieval was; each note's utility moves toward REWARD.

    Prints every rewarded note's utility before and after (q ← q + α(r − q)).
    """
    options = settings(ctx)
    with opened(ctx, "change") as memory:
        result = memory.feedback(retrieval_id, reward, note or None, user_id=options.user)
    if options.json:
        emit_json({"retrieval_id": result.retrieval_id, "reward": result.reward,
                   "utilities": {note_id: {"old": old, "new": new}
                                 for note_id, (old, new) in result.utilities.items()}})
        return
    console = stdout()
    if not result.utilities:
        console.print("no notes changed: the retrieval returned none, or they were deleted since")
        return
    table = Table("note id", "utility", title=f"reward {result.reward:+.2f}")
    id_column(table, 0, console)
    for note_id, (old, new) in result.utilities.items():
        table.add_row(note_id, f"{old:.3f} → {new:.3f}")
    console.print(table)
