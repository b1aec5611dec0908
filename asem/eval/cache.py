"""Resumable benchmark runs: finished (conversation, system) results in a JSON-lines file.

A line is appended (and flushed to disk) as soon as one system has answered every question of
one conversation, so a killed run loses at most the pair it was working on. A result is reused
only under the same key: conversation, system and a hash of everything that determines it
(the system's settings, the embedder, the conversation's data, the metric's ks, and the source
of the code that builds and searches the memory). A torn last line is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asem

_CODE = ("read", "write", "manager", "stores", "providers", "feedback", "config.py", "memory.py",
         "chat.py", "types.py", "eval/systems.py", "eval/baselines.py", "eval/locomo.py",
         "eval/metrics.py")
"""Parts of the package whose source decides a system's recall (not the harness or report);
the learned manager's checkpoint counts as source."""
QA_CODE = (*_CODE, "llm", "prompts", "eval/bench_qa.py")
"""What also decides a question-answering result: the model client and the prompts."""


def code_digest(parts: Iterable[str] = _CODE) -> str:
    """SHA-256 over the source files (``.py``, ``.sql`` and the shipped ``.npz`` checkpoint)
    under ``parts`` of the package."""
    root = Path(asem.__file__).parent
    digest = hashlib.sha256()
    for part in parts:
        base = root / part
        files = sorted(base.rglob("*")) if base.is_dir() else [base]
        for file in files:
            if file.suffix in {".py", ".sql", ".npz"} and file.is_file():
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def config_hash(*parts: Any) -> str:
    """A short stable hash of JSON-able ``parts`` (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ResultCache:
    """Results by (conversation, system, config hash); ``path=None`` keeps nothing.

    With ``fresh=True`` earlier lines are not read (new results are still appended, and a
    later run without ``fresh`` prefers them, being later in the file).
    """

    def __init__(self, path: Path | None, *, fresh: bool = False) -> None:
        self.path = path
        self._results: dict[tuple[str, str, str], dict[str, Any]] = {}
        if path is None or not path.exists():
            return
        if not fresh:
            self._results = dict(_read(path))
        _end_torn_line(path)

    def get(self, conversation: str, system: str, key: str) -> dict[str, Any] | None:
        return self._results.get((conversation, system, key))

    def put(self, conversation: str, system: str, key: str, result: dict[str, Any]) -> None:
        self._results[conversation, system, key] = result
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"conversation": conversation, "system": system, "key": key,
                           "result": result}, separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())


def _read(path: Path) -> Iterable[tuple[tuple[str, str, str], dict[str, Any]]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            yield (entry["conversation"], entry["system"], entry["key"]), entry["result"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line torn by a kill, or not ours


def _end_torn_line(path: Path) -> None:
    """Finish a last line cut short by a kill, so the next line appended stands alone."""
    with path.open("rb+") as file:
        if file.seek(0, os.SEEK_END) == 0:
            return
        file.seek(-1, os.SEEK_END)
        if file.read(1) != b"\n":
            file.write(b"\n")
