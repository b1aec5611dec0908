"""What every command shares: the global options, and opening (and closing) the memory.

The memory is built lazily, only by commands that need it, because the default embedder
loads onnxruntime; ``asem --help`` never gets that far.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from asem.errors import StoreError

if TYPE_CHECKING:
    from asem.memory import Memory

MemoryFactory = Callable[..., "Memory"]
"""Builds the memory for a database path (tests pass one with a fake embedder); called as
``factory(path)``, or ``factory(path, read_only=True)`` for a file this process cannot write;
with ``--embedder NAME`` also ``embedder=NAME``."""

Access = Literal["create", "change", "read"]
"""What a command does with the database: ``create`` writes and makes the file if needed
(add, ingest); ``change`` writes to an existing file (feedback, delete); ``read`` only reads
an existing file, read-only when it cannot be written (search, show, history, stats)."""


def open_memory(path: Path | str, *, read_only: bool = False,
                embedder: str | None = None) -> Memory:
    """The default memory: the store at ``path`` (an SQLite file, or a database URL such as
    ``postgresql://...``) with the named local embedder (None: MiniLM)."""
    from asem.memory import Memory

    return Memory(path, read_only=read_only, embedder=embedder)


def make_llm(spec: str):
    """The provider for ``--llm``; the API key comes from ASEM_LLM_API_KEY or OPENAI_API_KEY."""
    import os

    from asem.llm.registry import resolve_llm

    key = os.environ.get("ASEM_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return resolve_llm(spec, api_key=key)


def default_db_path() -> Path:
    """``<user data dir>/asem/memory.db``, creating the folder (only called when it is used)."""
    import platformdirs

    folder = Path(platformdirs.user_data_dir("asem"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "memory.db"


@dataclass(frozen=True)
class Settings:
    """The global options, resolved once by the root callback."""

    db: str | None
    """``--db``: a file path or a database URL; None means the default path."""
    user: str
    """``--user``: the user scope every command works in."""
    agent: str | None
    """``--agent``: narrows the scope to one agent."""
    json: bool
    """``--json``: print machine-readable JSON on stdout."""
    factory: MemoryFactory = open_memory
    llm: str | None = None
    """``--llm``: the language model spec (see ``asem.llm.registry``), or None."""
    manager: str | None = None
    """``--manager``: a manager name or checkpoint path; None keeps the default (learned)."""
    embedder: str | None = None
    """``--embedder``: a named embedder (``asem.providers.registry``); None: the default."""

    def db_path(self) -> Path | str:
        """The SQLite file as a ``Path``, or a database URL as it was given."""
        if self.db is None:
            return default_db_path()
        from asem.stores.open import is_url

        return self.db if is_url(self.db) else Path(self.db).expanduser()


def settings(ctx: typer.Context) -> Settings:
    """The settings the root callback stored on the context."""
    found = ctx.find_object(Settings)
    if found is None:  # only when a command is invoked without the root app
        raise RuntimeError("asem commands must run under the asem app")
    return found


def writable(path: Path) -> bool:
    """True when this process may write ``path`` and the folder beside it (SQLite keeps its
    write-ahead log there)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


@contextmanager
def opened(ctx: typer.Context, access: Access = "create") -> Iterator[Memory]:
    """The memory for this invocation, closed when the command ends (even on error).

    Only ``create`` makes a database file; the others say so when there is none.
    """
    options = settings(ctx)
    path = options.db_path()
    if isinstance(path, Path) and access != "create" and not path.is_file():
        raise StoreError(f"no database at {path}; add notes first (asem --db {path} add TEXT) "
                         "or pass the --db of an existing one")
    named = {"embedder": options.embedder} if options.embedder else {}
    if isinstance(path, Path) and access == "read" and not writable(path):
        memory = options.factory(path, read_only=True, **named)
    else:
        memory = options.factory(path, **named)
    try:
        if options.llm:
            # The CLI never runs the worker thread: a command ends when its own work is done,
            # and queued jobs are processed by 'asem llm process'.
            memory.use_llm(make_llm(options.llm), background=False)
        if options.manager:
            memory.use_manager(options.manager)
        yield memory
    finally:
        memory.close()
