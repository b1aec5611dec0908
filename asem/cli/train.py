"""``asem train``: retrain the learned write policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from asem.cli.context import settings
from asem.cli.output import check_writable, emit_json, on_ctrl_c, stderr, stdout
from asem.errors import InvalidInputError

DEFAULT_STEPS = 400
"""TrainConfig's default (kept here so importing the CLI does not import numpy code)."""
DEFAULT_USER_SHARE = 0.5
"""TrainConfig's default share of training streams drawn from a user's own."""
DEFAULT_RESTARTS = 3
"""Runs from seeds seed, seed + 1, ...; the best on validation streams is kept."""

_OWN = (("user_probe_accuracy", "your probes"), ("user_labels", "your labels"))

train_app = typer.Typer(help="Train ASEM's learned components.", no_args_is_help=True)


@train_app.command("manager")
def manager(
    ctx: typer.Context,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Training steps.")] = DEFAULT_STEPS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the streams and the weights.")] = 0,
    restarts: Annotated[int, typer.Option(
        "--restarts", min=1,
        help="Train from this many seeds (SEED, SEED+1, ...) and keep the run with the best "
             "validation (training-split streams; held-out streams are never looked at).",
    )] = DEFAULT_RESTARTS,
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE", dir_okay=False,
        help="Where to write the checkpoint (.npz); use it with 'asem --manager FILE' or "
             "Memory(..., manager=FILE).",
    )] = Path("manager.npz"),
    algo: Annotated[str, typer.Option(
        "--algo", help="grpo (the shipped policy) or reinforce (the plain baseline).",
    )] = "grpo",
    log: Annotated[Path | None, typer.Option(
        "--log", metavar="FILE", dir_okay=False,
        help="Also write the per-step reward, KL and validation figures as JSON lines.",
    )] = None,
    user_streams: Annotated[Path | None, typer.Option(
        "--user-streams", metavar="FILE", dir_okay=False,
        help="Also train on your own streams: JSON lines, one stream per line, of events "
             "(text, and optionally 'about' and a 'kind' label) and probes (question, answer, "
             "after); see docs/manager.md.",
    )] = None,
    user_share: Annotated[float, typer.Option(
        "--user-share", min=0.0, max=1.0,
        help="With --user-streams: the share of training streams drawn from yours (1: only "
             "yours), also their weight in choosing the checkpoint.",
    )] = DEFAULT_USER_SHARE,
) -> None:
    """Train the write policy from scratch with GRPO on the built-in fact streams, and on
    your own labelled or rewarded streams if you give them.

    Uses the local embedder; validation figures (probe accuracy, notes, canonical cases, and
    on your streams probe accuracy and label agreement) are shown every 50 steps, and the
    checkpoint holds the weights of the best validation over all steps and restarts. The
    checkpoint is a small .npz file.
    """
    from asem.manager import policy
    from asem.manager.env.sim import EmbeddingCache
    from asem.manager.env.user import load_user_streams
    from asem.manager.train import TrainConfig, checkpoint_meta, train_restarts
    from asem.providers.onnx_minilm import MiniLMEmbedder

    if algo not in ("grpo", "reinforce"):
        raise InvalidInputError("--algo must be grpo or reinforce")
    if out.suffix != ".npz":
        raise InvalidInputError("--out must name a .npz file")
    if user_streams is not None and user_share == 0.0:
        raise InvalidInputError("--user-share must be above 0 with --user-streams")
    if user_streams is None and user_share != DEFAULT_USER_SHARE:
        raise InvalidInputError("--user-share needs --user-streams FILE")
    check_writable("--out", out)
    check_writable("--log", log)
    own = load_user_streams(user_streams) if user_streams is not None else []
    config = TrainConfig(steps=steps, seed=seed, algo=algo, user_share=user_share)
    quiet = settings(ctx).json
    with on_ctrl_c(f"interrupted: no checkpoint written ({out} is unchanged)"), Progress(
            TextColumn("training ({task.fields[last]})"), BarColumn(),
            TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
            console=stderr(), disable=quiet) as bar:
        task = bar.add_task("train", total=steps * restarts, last="")

        def progress(step: int, row: dict) -> None:
            last = bar.tasks[0].fields["last"]
            if "probe_accuracy" in row:
                last = (f"probe acc {row['probe_accuracy']:.2f}, canonical "
                        f"{row['canonical']:.2f}")
                last += "".join(f", {name} {row[key]:.2f}" for key, name in _OWN
                                if row.get(key) is not None)
            bar.update(task, completed=step, last=last)

        result = train_restarts(EmbeddingCache(MiniLMEmbedder()), config, restarts, progress,
                                own)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = checkpoint_meta(config, result, restarts, len(own))
    policy.save(result.params, out, meta)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(json.dumps(r) + "\n" for r in result.log), encoding="utf-8")
    summary = {"checkpoint": str(out), "seconds": meta["seconds"],
               "cpu_seconds": meta["cpu_seconds"], "seed": meta["seed"], "step": meta["step"],
               **meta["validation"]}
    if quiet:
        emit_json(summary)
    else:
        stdout().print(f"wrote {out} in {meta['seconds']:.0f} s ({meta['cpu_seconds']:.0f} s "
                       f"CPU); kept seed {meta['seed']}, step {meta['step']} (best "
                       "validation): "
                       + ", ".join(f"{k} {v:.3f}" for k, v in meta["validation"].items()
                                   if v is not None))


def _npz_out(out: Path) -> None:
    """``--out`` names a .npz file that can be written."""
    if out.suffix != ".npz":
        raise InvalidInputError("--out must name a .npz file")
    check_writable("--out", out)


def _weights_out(asset: str) -> typer.models.OptionInfo:
    """The ``--out`` option of a reading the write path ships as ``asset``."""
    return typer.Option("--out", metavar="FILE", dir_okay=False,
                        help="Where to write the weights (.npz). The write path reads "
                             f"asem/manager/assets/{asset}.")


@train_app.command("attribute")
def attribute(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE", dir_okay=False,
        help="Where to write the projection (.npz). Training reads the one in "
             "asem/manager/assets/attribute-person.npz.",
    )] = Path("attribute-person.npz"),
) -> None:
    """Fit the projection that tells one attribute of two values ("I moved to Denver." of
    "I live in Boston.") from two attributes of one person, a feature of the write policy.

    Linear discriminant analysis of the local embedder's sentence embeddings, one class per
    attribute of the training templates (held-out slots, families and wordings left out)
    and of asem/manager/attribute_data.py; seconds on a CPU. The merge gate is saved with
    it: the cosine that 95 % of same-attribute pairs reach on attributes left out of the
    fit (the write path never merges an input into a note below it). Retrain the manager
    after refitting it: a checkpoint names the projection it was trained with, and its
    weights were learnt on that one.
    """
    import numpy as np

    from asem.manager import attribute as attr
    from asem.providers.onnx_minilm import MiniLMEmbedder

    _npz_out(out)
    embedder = MiniLMEmbedder()
    groups = attr.training_sentences()

    def embed(texts: list[str]) -> np.ndarray:
        return embedder.embed(texts, kind="document")

    projection = attr.fit(embed, groups)
    same, other = attr.separation(embed, groups)
    gate = attr.merge_gate(same)
    out.parent.mkdir(parents=True, exist_ok=True)
    attr.save(projection, out, min_same=gate)
    summary = {"projection": str(out), "attributes": len(groups),
               "sentences": sum(len(v) for v in groups.values()), "dim": projection.shape[1],
               "min_same": round(gate, 4),
               "different_attribute_pairs_below": round(float((other < gate).mean()), 4)}
    if settings(ctx).json:
        emit_json(summary)
    else:
        stdout().print(f"wrote {out}: {summary['dim']} directions from {summary['sentences']} "
                       f"sentences of {summary['attributes']} attributes; merge gate at "
                       f"cosine {gate:.3f} (keeps {attr.KEEP_SAME:.0%} of same-attribute "
                       f"pairs of attributes left out of the fit, stops "
                       f"{summary['different_attribute_pairs_below']:.0%} of the others)")


@train_app.command("one-value")
def one_value(
    ctx: typer.Context,
    out: Annotated[Path, _weights_out("one-value.npz")] = Path("one-value.npz"),
) -> None:
    """Fit the reading of whether an attribute holds one value at a time ("I work at
    Microsoft.") or a list ("I'm allergic to peanuts."), with which the write path makes
    a merge of a new value into a note of one value a replacement.

    A class-balanced logistic regression over the local embedder's sentence embeddings,
    every attribute of the training templates whose kind the data says (held-out slots,
    families and wordings left out) and the labelled attributes of
    asem/manager/attribute_data.py; seconds on a CPU. benchmarks/one_value.py measures it
    on attributes left out of the fit.
    """
    from asem.manager import cardinality
    from asem.providers.onnx_minilm import MiniLMEmbedder

    _npz_out(out)
    embedder = MiniLMEmbedder()
    w, b = cardinality.fitted(embedder.embed)
    out.parent.mkdir(parents=True, exist_ok=True)
    cardinality.save(w, b, out)
    groups, label = cardinality.training_sentences()
    summary = {"weights": str(out), "attributes": len(groups),
               "one_value": sum(label.values()),
               "sentences": sum(len(said) for said in groups.values())}
    if settings(ctx).json:
        emit_json(summary)
    else:
        stdout().print(f"wrote {out}: {summary['sentences']} sentences of "
                       f"{summary['attributes']} attributes ({summary['one_value']} of one "
                       "value at a time)")


@train_app.command("news")
def news(
    ctx: typer.Context,
    out: Annotated[Path, _weights_out("news.npz")] = Path("news.npz"),
) -> None:
    """Fit the reading of whether an input is news about a note ("Max is sick." of "I have
    a dog named Max.") or says nothing the note does not ("Yes, Max is my dog."), with
    which the write path keeps the manager from recording news as already known.

    A class-balanced logistic regression over the manager's own features of the pair and
    the words the input says that the note does not, fitted on the hand-written pairs of
    asem/manager/news_pairs/train-*.jsonl (the held-out set is never read); seconds on a
    CPU. It reads the local embedder's input embeddings with the onnx package (pip install
    'asem[train]'). benchmarks/news_pairs.py measures the write decisions it makes on the
    held-out pairs.
    """
    from asem.manager import known
    from asem.providers.onnx_minilm import MiniLMEmbedder

    _npz_out(out)
    pairs = known.training_pairs()
    weights = known.fitted(pairs, MiniLMEmbedder().embed, known.word_vectors())
    out.parent.mkdir(parents=True, exist_ok=True)
    known.save(weights, out)
    summary = {"weights": str(out), "pairs": len(pairs),
               "news": sum(p.news for p in pairs), "features": len(weights.names)}
    if settings(ctx).json:
        emit_json(summary)
    else:
        stdout().print(f"wrote {out}: {summary['features']} features, fitted on "
                       f"{summary['pairs']} pairs ({summary['news']} of news)")


@train_app.command("replaces")
def replaces_command(
    ctx: typer.Context,
    out: Annotated[Path, _weights_out("replaces.npz")] = Path("replaces.npz"),
) -> None:
    """Fit the reading of whether an input replaces what a note says ("I work at Meta
    now." of "I work at Google.") or adds to it ("I also tutor math on the side." of "I
    work as a waiter."), with which the write path supersedes the note instead of adding
    the input beside it or merging it in.

    The news reading's model fitted to another label: the hand-written pairs of
    asem/manager/news_pairs/train-*.jsonl by kind (the held-out set is never read) and
    pairs of the manager's training streams; a minute on a CPU. It reads the local
    embedder's input embeddings with the onnx package (pip install 'asem[train]').
    benchmarks/news_pairs.py measures the write decisions it makes on the held-out pairs.
    """
    from asem.manager import known, replaces
    from asem.providers.onnx_minilm import MiniLMEmbedder

    _npz_out(out)
    embed = MiniLMEmbedder().embed
    vectors = known.word_vectors()
    pairs = replaces.training_pairs(embed)
    weights = replaces.fitted(pairs, embed, vectors)
    out.parent.mkdir(parents=True, exist_ok=True)
    known.save(weights, out)
    summary = {"weights": str(out), "pairs": len(pairs),
               "replacing": sum(label for _, label in pairs), "features": len(weights.names)}
    if settings(ctx).json:
        emit_json(summary)
    else:
        stdout().print(f"wrote {out}: {summary['features']} features, fitted on "
                       f"{summary['pairs']} pairs ({summary['replacing']} replacing)")
