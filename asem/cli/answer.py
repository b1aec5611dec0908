"""``asem answer``: distil-and-answer from memory with the configured language model."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from asem.cli.context import opened, settings
from asem.cli.output import emit_json, short, stdout
from asem.errors import InvalidInputError


def answer(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question to answer from memory.",
                                            show_default=False, metavar="QUESTION")],
    k: Annotated[int | None, typer.Option(
        "-k", "--k", min=1, show_default=False, metavar="N",
        help="How many retrieved notes the answerer may choose from (default: 5).",
    )] = None,
) -> None:
    """Answer QUESTION from the notes (needs --llm): cites the notes it used, says
    'unknown' when memory holds no answer, and prints the retrieval id for feedback."""
    options = settings(ctx)
    if not options.llm:
        raise InvalidInputError("answer needs a language model: pass --llm local (or "
                                "--llm openai:MODEL@BASE_URL), or set ASEM_LLM")
    with opened(ctx, "read") as memory:
        result = memory.answer(question, user_id=options.user, agent_id=options.agent, k=k)
        used = [memory.get(i, user_id=options.user) for i in result.note_ids]
    if options.json:
        emit_json(result.to_dict())
        return
    console = stdout()
    console.print(f"[bold]{escape(result.text)}[/bold]"
                  + (" [dim](memory holds no answer)[/dim]" if result.abstained else ""))
    for note in used:
        console.print(f"  [dim]{note.id}[/dim] {escape(short(note.content, 100))}")
    console.print(f"retrieval id: {result.retrieval_id}  "
                  f"[dim](asem feedback {result.retrieval_id} REWARD)[/dim]")
