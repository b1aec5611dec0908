"""``asem bench longmemeval`` and ``asem bench multihop``: retrieval benchmarks that run on
the dataset-neutral harness (asem.eval.runner)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asem.cli.bench import StoreOption, SystemsOption, _system_names, bench_app, databases_for
from asem.cli.context import settings
from asem.cli.output import check_writable, emit_json, kept, on_ctrl_c, save_report, stderr, stdout
from asem.errors import InvalidInputError
from asem.stores.open import redacted

_DATA = Path("../shared/data")
JsonOption = Annotated[Path | None, typer.Option(
    "--json", metavar="OUT", dir_okay=False,
    help="Also write the full report here. Finished results are cached next to it (OUT's "
         "name with .cache.jsonl), embeddings in embeddings.sqlite in its folder, so a "
         "killed run resumes and systems share embeddings.",
)]
ReportOption = Annotated[Path | None, typer.Option(
    "--report", metavar="DIR", file_okay=False,
    help="Write a Markdown report with PNG charts into DIR (caches go there without --json).",
)]
FreshOption = Annotated[bool, typer.Option(
    "--fresh", help="Ignore cached results of earlier runs (cached embeddings are kept: "
                    "they do not change results).",
)]
LimitOption = Annotated[int | None, typer.Option(
    "--limit", min=1, metavar="N", help="At most N questions (after --stride).")]


@bench_app.command("longmemeval")
def longmemeval(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(
        "--data", metavar="FILE", dir_okay=False,
        help="longmemeval_oracle.json or longmemeval_s_cleaned_498.json.gz (read in place; "
             ".gz is read compressed).",
    )] = _DATA / "longmemeval/longmemeval_s_cleaned_498.json.gz",
    variant: Annotated[str | None, typer.Option(
        "--variant", metavar="oracle|s", help="Which LongMemEval file this is (default: "
        "from the file name).",
    )] = None,
    limit: LimitOption = None,
    stride: Annotated[int, typer.Option(
        "--stride", min=1, metavar="K", help="Every K-th answerable question, from the first.",
    )] = 1,
    offset: Annotated[int, typer.Option(
        "--offset", min=0, metavar="I", help="Start the --stride sample at the I-th answerable "
        "question (0: the first; less than K): another sample of the same size.",
    )] = 0,
    types: Annotated[str | None, typer.Option(
        "--types", metavar="TYPES", help="Comma-separated question types (multi-session, "
        "temporal-reasoning, knowledge-update, single-session-user, "
        "single-session-assistant, single-session-preference): only those questions, before "
        "--stride.",
    )] = None,
    systems: SystemsOption = "asem,bm25,dense",
    out: JsonOption = None,
    report_dir: ReportOption = None,
    fresh: FreshOption = False,
    store: StoreOption = "sqlite",
) -> None:
    """Session- and turn-level recall_any, recall_all and nDCG @1/5/10/20 on LongMemEval.

    The official retrieval recipe: one scope per question, user turns indexed (long ones in
    chunks that keep the turn id), abstention questions skipped, sessions ranked by their
    best turn. Reports every question type, multi-session separately, and costs.
    """
    from asem.eval import bench_longmemeval, longmemeval

    if variant is not None and variant not in longmemeval.VARIANTS:
        raise InvalidInputError(f"unknown --variant {variant!r}; choose oracle or s")
    if offset >= stride:
        raise InvalidInputError(f"--offset {offset} must be less than --stride {stride}")
    names = _system_names(systems, bench_longmemeval.SYSTEMS)
    kinds = tuple(t.strip() for t in (types or "").split(",") if t.strip())
    name = f"longmemeval-{variant or longmemeval.variant_of(data)}"
    with _harness(ctx, name, out, report_dir, fresh) as (embedder, cache, progress), \
            databases_for(store) as databases:
        report = bench_longmemeval.run(data, embedder=embedder, variant=variant, stride=stride,
                                       limit=limit, offset=offset, types=kinds,
                                       systems=names,
                                       progress=progress, cache=cache, databases=databases)
        report["embedding_cache"] = {"hits": embedder.hits, "misses": embedder.misses}
    words = ["longmemeval", "--data", str(data), *(["--variant", variant] if variant else []),
             "--stride", str(stride), *(["--offset", str(offset)] if offset else []),
             *(["--types", ",".join(kinds)] if kinds else []),
             *(["--limit", str(limit)] if limit else []),
             *(["--store", redacted(store)] if store != "sqlite" else [])]
    _finish(ctx, report, name, words, names, out, report_dir, fresh)


@bench_app.command("multihop")
def multihop(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(
        "--data", metavar="FILE", dir_okay=False,
        help="A *_hipporag.json question file; its *_hipporag_corpus.json must lie beside it.",
    )] = _DATA / "multihop/hotpotqa_train100_hipporag.json",
    limit: LimitOption = None,
    systems: SystemsOption = "asem,asem-bridge,asem-expand,bm25,dense,amem",
    out: JsonOption = None,
    report_dir: ReportOption = None,
    fresh: FreshOption = False,
) -> None:
    """Recall of all supporting passages @2/5/10/20 on a HotpotQA or MuSiQue subset.

    Every passage of the corpus is a note in one scope; a question counts for recall_all@k
    only when every one of its gold supporting passages is in the top k.
    """
    from asem.eval import bench_multihop

    names = _system_names(systems, bench_multihop.SYSTEMS)
    name = f"multihop-{data.name.split('_')[0]}"
    with _harness(ctx, name, out, report_dir, fresh) as (embedder, cache, progress):
        report = bench_multihop.run(data, embedder=embedder, limit=limit, systems=names,
                                    progress=progress, cache=cache)
        report["embedding_cache"] = {"hits": embedder.hits, "misses": embedder.misses}
    words = ["multihop", "--data", str(data), *(["--limit", str(limit)] if limit else [])]
    _finish(ctx, report, name, words, names, out, report_dir, fresh)


@contextmanager
def _harness(ctx: typer.Context, name: str, out: Path | None, report_dir: Path | None,
             fresh: bool) -> Iterator[tuple[Any, Any, Callable[[str, int, int], None]]]:
    """The cached embedder, the result cache and a progress bar for one run."""
    check_writable("--json", out)
    check_writable("--report", report_dir, folder=True)
    from asem.eval.cache import ResultCache
    from asem.eval.embed_cache import CachedEmbedder
    from asem.providers.registry import resolve_embedder

    folder = out.parent if out is not None else report_dir
    results = (out.with_name(out.stem + ".cache.jsonl") if out is not None
               else report_dir / f"{name}-cache.jsonl" if report_dir is not None else None)
    # Keys hold the model id: one file serves every embedder without mixing their vectors.
    embedder = CachedEmbedder(resolve_embedder(settings(ctx).embedder),
                              folder / "embeddings.sqlite" if folder is not None else None)
    with on_ctrl_c(kept(results)), Progress(
            TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} scopes"), TimeElapsedColumn(),
            console=stderr(), disable=settings(ctx).json) as bar:
        task = bar.add_task("loading", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            yield embedder, ResultCache(results, fresh=fresh), progress
        finally:
            embedder.close()


def _finish(ctx: typer.Context, report: dict[str, Any], name: str, words: list[str],
            names: list[str], out: Path | None, report_dir: Path | None, fresh: bool) -> None:
    """Record the command, write the JSON and the report, print the tables."""
    quiet = settings(ctx).json
    report["command"] = shlex.join(
        ["asem", *(["--json"] if quiet else []), *_embedder_words(ctx), "bench", *words,
         "--systems", ",".join(names),
         *(["--json", str(out)] if out else []),
         *(["--report", str(report_dir)] if report_dir else []), *(["--fresh"] if fresh else [])])
    save_report(report, out)
    if report_dir is not None:
        from asem.eval.report_retrieval import write_report

        write_report(report, report_dir, name)
    if quiet:
        emit_json(report)
        return
    from asem.eval.kinds import table_rows

    console = stdout()
    console.print(report["title"])
    for line in report["data"]:
        console.print(line)
    head = report["headline"]["metric"]
    for level, tables in report["levels"].items():
        table = Table(title=f"{level.capitalize()}-level {head}@k")
        table.add_column("system")
        table.add_column(report["category_label"])
        for k in report["ks"]:
            table.add_column(f"@{k}", justify="right")
        for system, row in tables["systems"].items():
            table.add_row(system, "all", *(f"{row[f'{head}@{k}']:.3f}" for k in report["ks"]))
            for category, cat_row in tables["per_category"][system].items():
                table.add_row("", category,
                              *(f"{cat_row[f'{head}@{k}']:.3f}" for k in report["ks"]))
            if system in tables.get("per_kind", {}):
                for label, cells in table_rows(tables["per_kind"][system],
                                               report["kinds"]["questions"],
                                               [f"{head}@{k}" for k in report["ks"]]):
                    table.add_row("", label, *cells)
        console.print(table)
    for system, cost in report["cost"].items():
        console.print(f"{system} cost: " + ", ".join(f"{k} {v}" for k, v in cost.items()))
    if report.get("cached_results"):
        console.print(f"{report['cached_results']} (scope, system) results came from the "
                      "cache (--fresh to recompute)")


def _embedder_words(ctx: typer.Context) -> list[str]:
    """``--embedder NAME`` when the run used a named embedder other than the default."""
    name = settings(ctx).embedder
    return ["--embedder", name] if name else []
