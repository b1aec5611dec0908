"""The LLM provider protocol and the values that cross it.

A provider turns chat messages into one completion. Everything else — retries, parsing,
re-prompting, accounting — lives once in ``asem.llm.structured`` so every provider gets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from asem.errors import ProviderError


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat prompt: role is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Completion:
    """What one provider call returned, with its cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    """``stop`` or ``length`` (cut at max_tokens: the output is probably truncated)."""


class LLM(Protocol):
    """A chat model. ``complete`` makes exactly one request (no retries of its own).

    ``schema`` is a JSON schema the reply must follow; providers that support constrained
    decoding enforce it, others get it in the prompt only. Transient failures (timeouts,
    rate limits, 5xx) raise ``TransientLLMError``; anything else raises ``LLMError``.
    """

    model_id: str

    def complete(self, messages: Sequence[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int = 512, temperature: float = 0.0) -> Completion:
        ...


class LLMError(ProviderError):
    """The language model could not be reached, or refused the request."""


class TransientLLMError(LLMError):
    """A failure worth retrying: a timeout, a rate limit (429) or a server error (5xx)."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (a 429's Retry-After), if it said."""


class LLMOutputError(LLMError):
    """The model's replies could not be parsed into the expected shape, even after
    re-prompting with the validation error."""
