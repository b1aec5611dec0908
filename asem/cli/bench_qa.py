"""``asem bench locomo --llm SPEC``: the question-answering benchmark's command body."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asem.cli.context import make_llm, settings
from asem.cli.output import emit_json, kept, on_ctrl_c, save_report, stderr, stdout


def run_qa(ctx: typer.Context, data: Path, conversations: str | None, spec: str,
           out: Path | None, fresh: bool, questions: int | None = None,
           sessions: int | None = None) -> None:
    from asem.eval import bench_qa
    from asem.eval.cache import ResultCache
    from asem.providers.onnx_minilm import MiniLMEmbedder

    quiet = settings(ctx).json
    ids = [c.strip() for c in conversations.split(",")] if conversations else None
    base = out if out is not None else Path("bench-out/locomo-qa.json")
    workdir = base.with_name(base.stem + ".work")
    cache_file = base.with_name(base.stem + ".cache.jsonl")
    cache = ResultCache(cache_file, fresh=fresh)
    with on_ctrl_c(kept(cache_file)), Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=stderr(), disable=quiet) as bar:
        task = bar.add_task("loading", total=None)
        report = bench_qa.run(data, embedder=MiniLMEmbedder(), llm=make_llm(spec),
                              workdir=workdir, conversations=ids, cache=cache,
                              questions=questions, sessions=sessions,
                              progress=lambda stage, done, total: bar.update(
                                  task, description=stage, completed=done, total=total))
    report["command"] = shlex.join(
        ["asem", "bench", "locomo", "--data", str(data),
         *(["--conversations", ",".join(ids)] if ids else []), "--llm", spec,
         *(["--questions", str(questions)] if questions else []),
         *(["--sessions", str(sessions)] if sessions else []),
         *(["--json", str(out)] if out else []), *(["--fresh"] if fresh else [])])
    save_report(report, out)
    if quiet:
        emit_json(report)
    else:
        _print(report)


def _print(report: dict[str, Any]) -> None:
    console = stdout()
    mapping = ", ".join(f"{k} = {v}" for k, v in report["category_mapping"].items())
    console.print(f"LoCoMo categories: {mapping}; questions: {report['questions']}")
    console.print(f"model {report['llm']}, {report['notes_in_context']} notes in context")
    table = Table(title="LoCoMo QA and retrieval")
    for column in ("system", "F1 (cat 1-4)", "EM", "cat-5 abstention", "recall@5",
                   "LLM calls/turn", "tokens/turn", "calls/question", "tokens/question"):
        table.add_column(column, justify="right")
    for name, s in report["systems"].items():
        ingest = s.get("llm_per_ingested_turn", {})
        per_q = s.get("per_question_llm", {})
        table.add_row(
            name, _num(s.get("f1")), _num(s.get("exact_match")),
            _num(s.get("abstention_rate_cat5")), _num(s.get("recall", {}).get("recall@5")),
            _num(ingest.get("calls")),
            _num(ingest.get("prompt_tokens", 0) + ingest.get("completion_tokens", 0)
                 if ingest else None),
            _num(per_q.get("calls")),
            _num(per_q.get("prompt_tokens", 0) + per_q.get("completion_tokens", 0)
                 if per_q else None))
    console.print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.0f}"
