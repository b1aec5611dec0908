"""``asem bench``: benchmark commands."""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asem.cli.context import settings
from asem.cli.output import (
    NOTHING_WRITTEN,
    check_writable,
    emit_json,
    kept,
    on_ctrl_c,
    save_report,
    stderr,
    stdout,
)
from asem.errors import InvalidInputError
from asem.eval.databases import DatabasesFor
from asem.stores.open import redacted

SystemsOption = Annotated[str, typer.Option(
    "--systems", metavar="NAMES",
    help="Comma-separated systems, or 'all': asem, bm25, dense, amem, memrl, asem-expiry, "
         "asem-rule, asem-learned, asem-expand, asem-bridge, asem-no-links, asem-no-utility, "
         "asem-no-lexical, asem-no-context, asem-no-dates, asem-no-answers, asem-no-names, "
         "asem-no-speakers, asem-no-diversity.",
)]

StoreOption = Annotated[str, typer.Option(
    "--store", metavar="sqlite|postgres|URL",
    help="Where ASEM's memories are built: SQLite files (default), 'postgres' (a local "
         "PostgreSQL started for the run; needs the postgres extra) or a "
         "postgresql:// URL of a server where the run may create databases.",
)]

bench_app = typer.Typer(help="Run benchmarks.", no_args_is_help=True)

_LOCOMO = Path("../shared/data/locomo/locomo10.json")
LoCoMoData = Annotated[Path, typer.Option(
    "--data", envvar="ASEM_LOCOMO", metavar="FILE", dir_okay=False,
    help="Path to LoCoMo's locomo10.json (read in place, never copied).",
)]
Conversations = Annotated[str | None, typer.Option(
    "--conversations", metavar="IDS",
    help="Comma-separated sample ids, e.g. conv-26,conv-30 (default: all 10).",
)]


@bench_app.command("locomo")
def locomo(
    ctx: typer.Context,
    data: LoCoMoData = _LOCOMO,
    conversations: Conversations = None,
    systems: SystemsOption = "asem,bm25,dense",
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False,
        help="Also write the full report here (finished results are cached next to it, "
             "in OUT's name with .cache.jsonl, so a killed run resumes).",
    )] = None,
    report_dir: Annotated[Path | None, typer.Option(
        "--report", metavar="DIR", file_okay=False,
        help="Write DIR/locomo.md and PNG charts (results are cached in DIR without --json).",
    )] = None,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Ignore cached results of earlier runs and evaluate everything again.",
    )] = False,
    llm: Annotated[str | None, typer.Option(
        "--llm", metavar="SPEC",
        help="Run the QA benchmark with this model instead (see 'asem --help' for SPEC): "
             "dense raw-turn RAG vs ASEM with LLM notes and distil-and-answer, token F1, "
             "exact match, category-5 abstention, LLM calls and tokens per turn and question.",
    )] = None,
    questions: Annotated[int | None, typer.Option(
        "--questions", min=1, metavar="N",
        help="With --llm: ask only N questions per conversation, evenly spaced over the "
             "file (a CPU-sized sample; every category keeps its share).",
    )] = None,
    sessions: Annotated[int | None, typer.Option(
        "--sessions", min=1, metavar="N",
        help="With --llm: keep only each conversation's first N sessions, and the questions "
             "whose evidence lies in them (a CPU-sized sample: the model enriches fewer "
             "turns).",
    )] = None,
    store: StoreOption = "sqlite",
) -> None:
    """Evidence recall@1/5/10/20 on LoCoMo (categories 1–4), turn and session level, for
    ASEM, its ablations and baselines; with --llm, question answering (categories 1–5).

    Each conversation is one scope; every question with resolvable evidence is asked of
    every system in the same run. Prints the category mapping and per-category counts.
    """
    check_writable("--json", out)
    check_writable("--report", report_dir, folder=True)
    spec = llm or settings(ctx).llm
    if spec:
        from asem.cli.bench_qa import run_qa

        run_qa(ctx, data, conversations, spec, out, fresh, questions, sessions)
        return
    from asem.eval import bench_locomo
    from asem.eval.cache import ResultCache
    from asem.providers.registry import resolve_embedder

    embedder = resolve_embedder(settings(ctx).embedder)
    names = _system_names(systems, bench_locomo.SYSTEMS)
    ids = [c.strip() for c in conversations.split(",")] if conversations else None
    cache_file = (out.with_name(out.stem + ".cache.jsonl") if out is not None
                  else report_dir / "locomo-cache.jsonl" if report_dir is not None else None)
    quiet = settings(ctx).json
    with on_ctrl_c(kept(cache_file)), Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} conversations"), TimeElapsedColumn(),
            console=stderr(), disable=quiet) as bar:
        task = bar.add_task("loading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        with databases_for(store) as databases:
            report = bench_locomo.run(data, embedder=embedder, conversations=ids,
                                      systems=names, progress=progress,
                                      cache=ResultCache(cache_file, fresh=fresh),
                                      databases=databases)
    report["command"] = _command_line(quiet, data, ids, names, out, report_dir, fresh, store,
                                      settings(ctx).embedder)
    save_report(report, out)
    if report_dir is not None:
        from asem.eval.report import write_report

        write_report(report, report_dir)
    if quiet:
        emit_json(report)
    else:
        _print_report(report)


@contextmanager
def databases_for(store: str) -> Iterator[DatabasesFor]:
    """Where the run builds its memories, for ``--store``."""
    from asem.eval.databases import PostgresDatabases, SQLiteFiles, local_postgres
    from asem.stores.open import is_url

    if store == "sqlite":
        yield SQLiteFiles
    elif store == "postgres":
        with local_postgres() as url:
            yield lambda _: PostgresDatabases(url)
    elif is_url(store) and store.startswith(("postgresql://", "postgres://")):
        yield lambda _: PostgresDatabases(store)
    else:
        raise InvalidInputError(f"--store {redacted(store)!r}: give sqlite, postgres or a "
                                "postgresql:// URL")


def _command_line(quiet: bool, data: Path, ids: list[str] | None, names: list[str],
                  out: Path | None, report_dir: Path | None, fresh: bool,
                  store: str = "sqlite", embedder: str | None = None) -> str:
    """The command that repeats this run, every setting spelt out (defaults included)."""
    words = ["asem", *(["--json"] if quiet else []),
             *(["--embedder", embedder] if embedder else []), "bench", "locomo",
             "--data", str(data),
             *(["--conversations", ",".join(ids)] if ids else []), "--systems", ",".join(names),
             *(["--json", str(out)] if out else []),
             *(["--report", str(report_dir)] if report_dir else []),
             *(["--fresh"] if fresh else []),
             *(["--store", redacted(store)] if store != "sqlite" else [])]
    return shlex.join(words)


def _system_names(systems: str, known: Sequence[str]) -> list[str]:
    """The comma-separated names in ``systems`` ('all' = every known system), checked."""
    if systems.strip() == "all":
        return list(known)
    names = list(dict.fromkeys(s.strip() for s in systems.split(",") if s.strip()))
    unknown = sorted(set(names) - set(known))
    if unknown or not names:
        raise InvalidInputError(f"unknown systems {unknown}; choose from "
                                f"{', '.join(known)} (or all)")
    return names


def _print_report(report: dict[str, Any]) -> None:
    from asem.eval.kinds import table_rows

    console = stdout()
    mapping = ", ".join(f"{k} = {v}" for k, v in report["category_mapping"].items())
    counts = ", ".join(f"{k} {v}" for k, v in report["questions"].items())
    console.print(f"LoCoMo categories: {mapping}")
    console.print(f"{len(report['conversations'])} conversations, {report['turns']} turns; "
                  f"questions: {counts}")
    for title, suffix in (("Turn", ""), ("Session", "_session")):
        table = Table(title=f"{title}-level evidence recall@k")
        table.add_column("system")
        table.add_column("category")
        ks = list(next(iter(report["systems" + suffix].values())))
        for k in ks:
            table.add_column(k, justify="right")
        for system, overall in report["systems" + suffix].items():
            table.add_row(system, "all", *(f"{overall[k]:.3f}" for k in ks))
            for category, row in report["per_category" + suffix][system].items():
                table.add_row("", category, *(f"{row[k]:.3f}" for k in ks))
            if not suffix and system in report.get("per_kind", {}):
                for label, cells in table_rows(report["per_kind"][system],
                                               report["kinds"]["questions"], ks):
                    table.add_row("", label, *cells)
        console.print(table)
    for system, cost in report.get("cost", {}).items():
        console.print(f"{system} cost: " + ", ".join(f"{k} {v}" for k, v in cost.items()))
    if report.get("cached_results"):
        console.print(f"{report['cached_results']} (conversation, system) results came from "
                      "the cache (--fresh to recompute)")


@bench_app.command("learn")
def learn(
    ctx: typer.Context,
    data: LoCoMoData = _LOCOMO,
    conversations: Conversations = None,
    epochs: Annotated[int, typer.Option(
        "--epochs", min=0, help="Feedback epochs after the epoch-0 measurement.",
    )] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the replayed/held-out split.")] = 0,
    fraction: Annotated[float, typer.Option(
        "--replayed", min=0.01, max=0.99, help="Share of each conversation's questions replayed.",
    )] = 0.5,
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False, help="Also write the full report here.",
    )] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", metavar="PNG", dir_okay=False, help="Draw the learning curves here.",
    )] = None,
    utility: Annotated[str | None, typer.Option(
        "--utility", metavar="MODE", help="Utility in ranking: 'intent' (conditioned on the "
        "query) or 'global' (one per note); default: the memory's default.",
    )] = None,
) -> None:
    """Does the memory learn from feedback? Recall@5 per epoch with and without feedback.

    Questions (LoCoMo categories 1–4) are split into replayed and held-out halves; two copies
    of one ingested memory replay the same searches, and only the `feedback` arm rewards
    them (+1 if an evidence turn is in the top 5, −1 otherwise). Also reports the correlation
    of note utility with evidence hit rate.
    """
    from asem.config import MemoryConfig, ReadConfig
    from asem.eval import learn as experiment
    from asem.providers.registry import resolve_embedder

    if utility not in (None, "intent", "global"):
        raise InvalidInputError(f"unknown --utility {utility!r}; choose intent or global")
    check_writable("--json", out)
    check_writable("--plot", plot)
    config = None if utility is None else MemoryConfig(
        read=ReadConfig(intent_utility=utility == "intent"))
    ids = [c.strip() for c in conversations.split(",")] if conversations else None
    quiet = settings(ctx).json
    with on_ctrl_c(NOTHING_WRITTEN), Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=stderr(), disable=quiet) as bar:
        task = bar.add_task("loading", total=None)
        report = experiment.run(
            data, embedder=resolve_embedder(settings(ctx).embedder), conversations=ids,
            epochs=epochs, seed=seed,
            fraction=fraction, config=config,
            progress=lambda stage, done, total: bar.update(task, description=stage,
                                                           completed=done, total=total))
    save_report(report, out)
    if plot is not None:
        from asem.eval.learn_plot import plot_learning_curves

        plot_learning_curves(report, plot)
    if quiet:
        emit_json(report)
        return
    table = Table(title=f"Turn-level {report['metric']} by epoch (0 = before feedback); "
                  "fb = feedback arm, base = no-feedback arm, Δ in points")
    table.add_column("epoch", justify="right")
    for half in ("replayed", "held-out"):
        for column in ("fb", "base", "Δ"):
            table.add_column(f"{half} {column}" if column != "Δ" else "Δ", justify="right")
    for row in experiment.table_rows(report):
        table.add_row(*row)
    console = stdout()
    console.print(f"LoCoMo categories: {report['category_mapping']}; questions: "
                  f"{report['questions']}; rewards given: {report['rewards']}; "
                  f"utility: {report['utility']}")
    console.print(table)
    corr = report["utility_vs_hit_rate"]
    console.print(f"utility vs evidence hit rate: Pearson r = {corr['pearson_r']} "
                  f"(vs success rate: {corr['pearson_r_success_rate']}) over {corr['notes']} "
                  f"notes returned ≥ {corr['min_retrievals']} times")


# The retrieval benchmarks register their commands on bench_app when imported.
from asem.cli import bench_lifecycle, bench_retrieval  # noqa: E402,F401
