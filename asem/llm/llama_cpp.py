"""In-process llama.cpp on a local GGUF file (``pip install 'asem[llm]'``).

Replies are constrained by the JSON schema through llama.cpp's grammar sampling, so even a
small model writes parseable JSON; the model is loaded on first use, and calls are
serialised (one llama.cpp context is not re-entrant).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asem.llm.base import ChatMessage, Completion, LLMError


class LlamaCppLLM:
    """A GGUF chat model run by llama-cpp-python in this process."""

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096,
                 n_threads: int | None = None, seed: int = 0) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise LLMError(f"no GGUF model at {self.model_path}; run 'asem llm setup' for the "
                           "default local model or pass an existing file")
        self.model_id = f"gguf:{self.model_path.name}"
        self._n_ctx = n_ctx
        self._n_threads = n_threads or _threads_from_env() or max(1, (os.cpu_count() or 2))
        self._seed = seed
        self._llama: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise LLMError("the local LLM needs llama-cpp-python: pip install 'asem[llm]'") from e
        try:
            return Llama(model_path=str(self.model_path), n_ctx=self._n_ctx,
                         n_threads=self._n_threads, seed=self._seed, verbose=False)
        except (ValueError, RuntimeError) as e:
            raise LLMError(f"llama.cpp cannot load {self.model_path} ({e}); is it a GGUF "
                           "file?") from e

    def complete(self, messages: Sequence[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int = 512, temperature: float = 0.0) -> Completion:
        with self._lock:
            if self._llama is None:
                self._llama = self._load()
            fmt = {"type": "json_object", "schema": schema} if schema else None
            try:
                out = self._llama.create_chat_completion(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    response_format=fmt, max_tokens=max_tokens, temperature=temperature,
                    seed=self._seed)
            except (ValueError, RuntimeError) as e:  # e.g. the prompt exceeds the context
                raise LLMError(f"llama.cpp failed on {self.model_path.name}: {e}") from e
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Completion(choice["message"].get("content") or "",
                          int(usage.get("prompt_tokens") or 0),
                          int(usage.get("completion_tokens") or 0),
                          choice.get("finish_reason") or "stop")


def _threads_from_env() -> int | None:
    """``ASEM_LLM_THREADS``: llama.cpp's thread count. On a CPU busy with other work one
    thread can be several times faster than one per core, whose threads wait on each other."""
    value = os.environ.get("ASEM_LLM_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise LLMError(f"ASEM_LLM_THREADS must be a positive whole number, not {value!r}")
    return int(value)
