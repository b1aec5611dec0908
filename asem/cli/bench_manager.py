"""``asem bench manager``: write policies compared on held-out streams."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from asem.cli.context import settings
from asem.cli.output import (
    NOTHING_WRITTEN,
    check_writable,
    emit_json,
    on_ctrl_c,
    save_report,
    stdout,
    stream_progress,
)
from asem.errors import InvalidInputError

LONGMEMEVAL_ORACLE = Path("../shared/data/longmemeval/longmemeval_oracle.json")


def bench_manager(
    ctx: typer.Context,
    policies: Annotated[str, typer.Option(
        "--policies", metavar="NAMES",
        help="Comma-separated managers by name (always-add, rule, learned, or any registered "
             "one) or .npz checkpoint paths.",
    )] = "always-add,rule,learned",
    streams: Annotated[int, typer.Option("--streams", min=1,
                                         help="Held-out synthetic streams.")] = 100,
    data: Annotated[Path | None, typer.Option(
        "--data", metavar="FILE", dir_okay=False,
        help="LongMemEval oracle JSON for the real knowledge-update streams ('none' to skip).",
    )] = LONGMEMEVAL_ORACLE,
    out: Annotated[Path | None, typer.Option(
        "--json", metavar="OUT", dir_okay=False, help="Also write the report here."
    )] = None,
    user_streams: Annotated[Path | None, typer.Option(
        "--user-streams", metavar="FILE", dir_okay=False,
        help="Also report probe accuracy and label agreement on your own streams (the JSON "
             "lines 'asem train manager --user-streams' takes).",
    )] = None,
    llm: Annotated[str | None, typer.Option(
        "--llm", metavar="SPEC",
        help="The model the 'llm' policy (the LLM-prompted manager) asks, one call per "
             "decision (see 'asem --help' for SPEC); slow on a CPU: use few --streams.",
    )] = None,
) -> None:
    """Probe accuracy, notes stored, canonical cases per kind and decision latency of each
    policy on held-out streams (phrasings and slots never seen in training), plus probe
    accuracy on LongMemEval knowledge-update streams and, if given, on your own streams."""
    from asem.cli.context import make_llm
    from asem.manager.bench import compare
    from asem.manager.env.sim import EmbeddingCache
    from asem.manager.env.user import load_user_streams
    from asem.providers.onnx_minilm import MiniLMEmbedder

    names = [p.strip() for p in policies.split(",") if p.strip()]
    if not names:
        raise InvalidInputError("give at least one policy with --policies")
    spec = llm or settings(ctx).llm
    if "llm" in names and not spec:
        raise InvalidInputError("policy 'llm' needs a model: pass --llm local or "
                                "--llm openai:MODEL@URL")
    check_writable("--json", out)  # before the data: the cheapest mistake is said first
    real = None if data is None or str(data) == "none" else data
    if real is not None and not real.is_file():
        raise InvalidInputError(f"no LongMemEval file at {real}; pass --data FILE or "
                                "--data none")
    own = load_user_streams(user_streams) if user_streams is not None else []
    quiet = settings(ctx).json
    with on_ctrl_c(NOTHING_WRITTEN), stream_progress(quiet) as progress:
        report = compare(names, EmbeddingCache(MiniLMEmbedder()), n_streams=streams,
                         real_data=real, progress=progress,
                         llm=make_llm(spec) if "llm" in names else None, user=own)
    save_report(report, out)
    if quiet:
        emit_json(report)
    else:
        _print(report)


def _print(report: dict) -> None:
    table = Table(title=f"Write policies on {report['held_out_streams']} held-out streams"
                        f" and {report['real_streams']} LongMemEval knowledge-update streams")
    for column in ("policy", "probe acc", "notes/stream", "canonical", "decision p50/p95 ms",
                   "real acc", "real notes/turn"):
        table.add_column(column)
    for name, r in report["policies"].items():
        real = "–" if r["real_accuracy"] is None else f"{r['real_accuracy']:.3f}"
        real_notes = ("–" if r["real_notes_per_turn"] is None
                      else f"{r['real_notes_per_turn']:.2f}")
        table.add_row(name, f"{r['probe_accuracy']:.3f}", f"{r['notes_per_stream']:.1f}",
                      f"{r['canonical_accuracy']:.3f}",
                      f"{r['decision_ms_p50']:.3f}/{r['decision_ms_p95']:.3f}", real, real_notes)
    console = stdout()
    console.print(table)
    kinds = Table(title="Canonical cases: accuracy per kind (cases)")
    kinds.add_column("policy")
    first = next(iter(report["policies"].values()))
    for kind in first["canonical_by_kind"]:
        kinds.add_column(kind)
    for name, r in report["policies"].items():
        kinds.add_row(name, *(f"{v['accuracy']:.2f} ({v['cases']})" if v["accuracy"] is not None
                              else "–" for v in r["canonical_by_kind"].values()))
    console.print(kinds)
    for name, r in report["policies"].items():
        console.print(f"{name}: Buddy/Scout → {r['buddy_scout']}")
        if report.get("user_streams"):
            console.print(f"{name}: on your {report['user_streams']} streams: probe accuracy "
                          f"{_figure(r['user_probe_accuracy'])}, label agreement "
                          f"{_figure(r['user_labels'])}, notes per event "
                          f"{r['user_notes_per_event']:.2f}")
        if "llm" in r:
            u = r["llm"]
            console.print(f"{name}: {u['model']}, {u['calls']} calls, {u['prompt_tokens']} "
                          f"prompt + {u['completion_tokens']} completion tokens, "
                          f"{u['failures']} failed, {u['targets_outside_candidates']} targets "
                          "outside the candidates")


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
