"""The root ``asem`` app: global options, the command table, and error reporting.

Every ``ASEMError`` (and ``OSError`` on files) becomes one line, ``error: <message>``, on
stderr with exit code 1; usage errors keep typer's exit code 2; Ctrl-C exits 130. With
``--json`` the line is JSON instead: ``{"error": {"type": ..., "message": ...}}``.

The global options (``--db``, ``--user``, ``--json``, ...) may come before the command or
after it: ``asem --db m.db add TEXT`` and ``asem add TEXT --db m.db`` are the same. A
command's own option of the same name (``asem bench locomo --json OUT``) wins after it.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import inspect
from pathlib import Path
from typing import Annotated, Any

import click
import platformdirs
import typer
from typer.core import TyperGroup

from asem.cli import (
    answer,
    feedback,
    lifecycle,
    mcp,
    migrate,
    notes,
    read,
    serve,
    stats,
    transfer,
    write,
)
from asem.cli.bench import bench_app
from asem.cli.bench_correctness import bench_correctness
from asem.cli.bench_manager import bench_manager
from asem.cli.context import Settings, open_memory, settings
from asem.cli.keys import keys_app
from asem.cli.llm import llm_app
from asem.cli.output import report_error
from asem.cli.train import train_app
from asem.errors import ASEMError


class _ReportingGroup(TyperGroup):
    """Turns the errors a user can act on into one line instead of a traceback, and lets
    every command's help text wrap to the terminal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _reflow_all(self)
        _accept_global_options(self, [p for p in self.params if p.name in _GLOBAL])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ASEMError as e:
            report_error(e, as_json=_json_mode(ctx))
            raise typer.Exit(1) from e
        except OSError as e:
            if e.errno == errno.EPIPE:  # `asem ... | head`: typer exits quietly
                raise
            report_error(e, as_json=_json_mode(ctx))
            raise typer.Exit(1) from e
        except _UsageError as e:
            if not _json_mode(ctx):
                raise
            report_error(e, as_json=True)
            raise typer.Exit(e.exit_code) from e


# typer exports BadParameter but not its base, UsageError (click's, or typer's own copy).
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")

_GLOBAL = {"db": "db", "user": "user", "agent": "agent", "as_json": "json", "llm": "llm",
           "manager": "manager", "embedder": "embedder"}
"""Root option name → the Settings field it sets."""


def _json_mode(ctx: click.Context) -> bool:
    found = ctx.find_object(Settings)
    return found is not None and found.json


def _accept_global_options(command: click.Command, options: list[click.Parameter]) -> None:
    """Give every command below the root a copy of each global option, so that it may also
    come after the command name; a given copy overrides the value from before the command.
    A command keeps its own option where the names clash."""
    if hasattr(command, "commands"):  # a group: its commands take them
        for sub in command.commands.values():
            _accept_global_options(sub, options)
        return
    taken = {opt for param in command.params for opt in param.opts}
    for option in options:
        if taken.isdisjoint(option.opts):
            command.params.append(_late_copy(option))


def _late_copy(option: click.Parameter) -> click.Parameter:
    late = copy.copy(option)
    late.default = False if getattr(option, "is_flag", False) else None
    late.envvar = None  # the root option reads the environment
    late.expose_value = False
    late.is_eager = True  # read before the command's own options, so --json reports their errors
    late.callback = _override
    late.rich_help_panel = "Global options (also before the command)"
    return late


def _override(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is None or value is False:
        return value
    before = settings(ctx)
    after = dataclasses.replace(before, **{_GLOBAL[param.name]: value})
    level: click.Context | None = ctx
    while level is not None:  # the root reads the settings too (to report errors)
        if level.obj is before:
            level.obj = after
        level = level.parent
    return value


def reflow(text: str) -> str:
    """``text`` with each paragraph on one line, so that help wraps to the terminal.

    Typer keeps the line breaks of a docstring's later paragraphs as they are, which on an
    80-column terminal leaves half-empty lines. A paragraph that starts with ``\\b`` keeps
    its breaks (click's marker for preformatted text).
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split("\n"))
                       for p in paragraphs)


def _reflow_all(command: click.Command) -> None:
    if command.help:
        command.help = reflow(command.help)
    for sub in getattr(command, "commands", {}).values():
        _reflow_all(sub)


# Shown in --help only; the folder is created when the default is actually used.
_DEFAULT_DB = Path(platformdirs.user_data_dir("asem")) / "memory.db"

app = typer.Typer(
    name="asem",
    cls=_ReportingGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="ASEM_DB", metavar="PATH|URL", show_default=False,
        help=f"SQLite database file (default: {_DEFAULT_DB}), or a PostgreSQL URL "
             "(postgresql://user:password@host/database; needs the postgres extra).",
    )] = None,
    user: Annotated[str, typer.Option(
        "--user", "-u", envvar="ASEM_USER", metavar="NAME", help="User scope that notes belong to.",
    )] = "default",
    agent: Annotated[str | None, typer.Option(
        "--agent", envvar="ASEM_AGENT", metavar="NAME",
        help="Agent scope (narrows the user scope).",
    )] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print machine-readable JSON on stdout, and errors as one JSON line "
                       '({"error": {"type", "message"}}) on stderr.',
    )] = False,
    llm: Annotated[str | None, typer.Option(
        "--llm", envvar="ASEM_LLM", metavar="SPEC",
        help="Language model for enrichment, linking and answers: 'local' (default Qwen "
             "GGUF; needs the llm extra), 'gguf:PATH', 'openai:MODEL@BASE_URL' or "
             "'ollama:MODEL'. API key from ASEM_LLM_API_KEY or OPENAI_API_KEY.",
    )] = None,
    manager: Annotated[str | None, typer.Option(
        "--manager", envvar="ASEM_MANAGER", metavar="NAME|FILE",
        help="Who decides ADD/UPDATE/DELETE/NOOP for new text: 'learned-attribute' "
             "(default, the shipped GRPO policy with a same-attribute feature; see "
             "docs/manager.md), 'learned' (the checkpoint before it), 'rule', 'always-add', "
             "'llm' (needs --llm) or a checkpoint written by 'asem train manager'.",
    )] = None,
    embedder: Annotated[str | None, typer.Option(
        "--embedder", envvar="ASEM_EMBEDDER", metavar="NAME",
        help="Local embedder: 'minilm' (default, all-MiniLM-L6-v2 int8) or 'e5-small' "
             "(multilingual-e5-small 4-bit; needs the e5 extra); see docs/embedders.md. A "
             "database keeps the embedder its notes were made with.",
    )] = None,
) -> None:
    """ASEM: a long-term memory for LLM agents, in one local SQLite file.

    Remember text (add, ingest), find what helps (search), rate it (feedback): ranking learns.
    The options below may also follow the command (asem add TEXT --db m.db --user ana).
    """
    # A caller (e.g. a test) may pass a memory factory as the context object.
    factory = ctx.obj if callable(ctx.obj) else open_memory
    ctx.obj = Settings(db=db, user=user, agent=agent, json=as_json, factory=factory, llm=llm,
                       manager=manager, embedder=embedder)


# The command table: one module per group.
app.command("add")(write.add)
app.command("ingest")(write.ingest)
app.command("search")(read.search)
app.command("answer")(answer.answer)
# Rewards may be negative: let "-0.5" through as an argument, not an unknown option.
app.command("feedback", context_settings={"ignore_unknown_options": True})(feedback.feedback)
app.command("show")(notes.show)
app.command("history")(notes.history)
app.command("delete")(notes.delete)
app.command("reopen")(notes.reopen)
app.command("release")(notes.release)
app.command("quarantine")(notes.quarantine)
app.command("stats")(stats.stats)
app.command("maintain")(lifecycle.maintain)
app.command("confirm")(lifecycle.confirm)
app.command("restore")(lifecycle.restore)
app.command("forget")(lifecycle.forget)
app.command("serve")(serve.serve)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
app.command("migrate")(migrate.migrate)
app.command("mcp")(mcp.mcp)

# Benchmark commands are registered on bench_app in asem/cli/bench.py.
bench_app.command("manager")(bench_manager)
bench_app.command("correctness")(bench_correctness)
app.add_typer(bench_app, name="bench")
app.add_typer(train_app, name="train")
app.add_typer(llm_app, name="llm")
app.add_typer(keys_app, name="keys")


def main() -> None:
    """Entry point of the ``asem`` console script."""
    app()
