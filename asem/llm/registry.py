"""``--llm`` strings resolved to providers (a convenience: the API takes LLM objects).

- ``local``: the default local GGUF (Qwen2.5-Coder-1.5B), in-process llama.cpp
- ``gguf:PATH``: any GGUF file, in-process llama.cpp
- ``openai:MODEL`` or ``openai:MODEL@BASE_URL``: an OpenAI-compatible endpoint
- ``ollama:MODEL``: shorthand for ``openai:MODEL@http://localhost:11434/v1``
"""

from __future__ import annotations

from asem.errors import InvalidInputError
from asem.llm.base import LLM

FORMS = "local, gguf:PATH, openai:MODEL[@BASE_URL] or ollama:MODEL"


def resolve_llm(spec: str, *, api_key: str | None = None, timeout_s: float = 120.0) -> LLM:
    """The provider ``spec`` names; InvalidInputError (listing the forms) if it names none."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "local" and not rest:
        from asem.llm.llama_cpp import LlamaCppLLM
        from asem.llm.local_model import ensure_local_model

        return LlamaCppLLM(ensure_local_model())
    if kind == "gguf" and rest:
        from asem.llm.llama_cpp import LlamaCppLLM

        return LlamaCppLLM(rest)
    if kind in ("openai", "ollama") and rest:
        from asem.llm.openai_compat import OpenAICompatibleLLM

        model, _, base = rest.partition("@")
        if not model:
            raise InvalidInputError(f"--llm {spec!r} names no model; use {FORMS}")
        default = "https://api.openai.com/v1" if kind == "openai" else "http://localhost:11434/v1"
        return OpenAICompatibleLLM(model, base or default, api_key=api_key, timeout_s=timeout_s)
    raise InvalidInputError(f"cannot read --llm {spec!r}; use {FORMS}")
