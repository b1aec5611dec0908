"""One structured request: prompt → provider (with retries) → JSON → pydantic model.

When a reply cannot be parsed or validated, the model is shown its reply and the error
and asked again, at most ``repairs`` times; then ``LLMOutputError`` is raised and the caller
decides what to do (the background worker keeps the extractive note and marks the job).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from asem.llm.base import LLM, ChatMessage, Completion, LLMError, LLMOutputError
from asem.llm.parse import extract_json
from asem.llm.retry import RetryPolicy, with_retries
from asem.llm.usage import UsageMeter

M = TypeVar("M", bound=BaseModel)

_MAX_ECHO = 1500
"""Characters of a bad reply shown back to the model when re-prompting."""


def response_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a response model, by field name (what the model must write)."""
    return model.model_json_schema(mode="serialization")


def ask(llm: LLM, messages: Sequence[ChatMessage], model: type[M], *, meter: UsageMeter,
        max_tokens: int, retry: RetryPolicy | None = None, repairs: int = 2,
        sleep: Callable[[float], None] = time.sleep, schema: dict[str, Any] | None = None,
        check: Callable[[M], None] | None = None) -> M:
    """The model's reply to ``messages`` as an instance of ``model``.

    ``schema``: the JSON schema the provider constrains the reply to, when it should be
    stricter than ``model``'s (e.g. the indices of this very prompt as an enum); ``check``
    raises ValueError for a reply that validates but is of no use (it is re-prompted like
    a malformed one)."""
    schema = schema or response_schema(model)
    chat = list(messages)
    error = "no reply"
    for _ in range(repairs + 1):
        completion = _complete(llm, chat, schema, max_tokens, meter, retry or RetryPolicy(),
                               sleep)
        try:
            reply = parse_reply(completion.text, model)
            if check:
                check(reply)
            return reply
        except ValueError as e:  # ValidationError and JSON errors are ValueErrors
            meter.add_failure()
            error = _short(e)
            if completion.finish_reason == "length":
                error += " (the reply was cut at the token limit: write less)"
            chat = [*messages, ChatMessage("assistant", completion.text[:_MAX_ECHO]),
                    ChatMessage("user", f"That reply was not usable: {error}. Answer again "
                                        "with only one JSON object that follows the schema.")]
    raise LLMOutputError(f"{llm.model_id} gave no usable reply after {repairs + 1} tries: "
                         f"{error}")


def parse_reply(text: str, model: type[M]) -> M:
    """``text`` as ``model``: JSON found and repaired by ``extract_json``, then validated."""
    value = extract_json(text)
    if isinstance(value, list) and len(model.model_fields) == 1:  # a bare list for {"x": [...]}
        value = {next(iter(model.model_fields)): value}
    return model.model_validate(value)


def _complete(llm: LLM, chat: list[ChatMessage], schema: dict[str, Any], max_tokens: int,
              meter: UsageMeter, retry: RetryPolicy, sleep: Callable[[float], None]
              ) -> Completion:
    def once() -> Completion:
        start = time.perf_counter()
        try:
            completion = llm.complete(chat, schema=schema, max_tokens=max_tokens)
        except LLMError:
            meter.record(seconds=time.perf_counter() - start, failed=True)
            raise
        meter.record(prompt_tokens=completion.prompt_tokens,
                     completion_tokens=completion.completion_tokens,
                     seconds=time.perf_counter() - start)
        return completion

    return with_retries(once, retry, sleep)


def _short(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        parts = [f"{'.'.join(str(x) for x in e['loc']) or 'reply'}: {e['msg']}"
                 for e in error.errors()[:3]]
        return "; ".join(parts)
    return str(error)[:300]
