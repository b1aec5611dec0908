"""Any OpenAI-compatible chat endpoint: OpenAI, Ollama, vLLM, LM Studio, llama.cpp server.

One POST to ``{base_url}/chat/completions`` per call. The reply is constrained by JSON
schema (``response_format: json_schema``) where the server supports it; a server that
rejects the format (a 400 or 422, or any error naming ``response_format``: llama.cpp's
server answers 500) is asked again with the next weaker format, and the fallback is
remembered.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Sequence
from typing import Any

import httpx

from asem.llm.base import ChatMessage, Completion, LLMError, TransientLLMError

_FORMATS = ("json_schema", "json_object_schema", "json_object", "none")
"""Tried in this order: OpenAI's json_schema; json_object carrying the schema (llama.cpp
server constrains to it); plain json_object; nothing (the schema is then in the prompt)."""


class OpenAICompatibleLLM:
    """A chat model behind an OpenAI-compatible HTTP API.

    ``transport`` is for tests (``httpx.MockTransport``); ``api_key`` may be None for local
    servers that need none.
    """

    def __init__(self, model: str, base_url: str = "https://api.openai.com/v1", *,
                 api_key: str | None = None, timeout_s: float = 120.0,
                 response_format: str = "json_schema",
                 transport: httpx.BaseTransport | None = None) -> None:
        if response_format not in _FORMATS:
            raise ValueError(f"response_format must be one of {_FORMATS}")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.model_id = f"openai:{model}@{self.base_url}"
        self._format = response_format
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers,
                                    timeout=httpx.Timeout(timeout_s, connect=10.0),
                                    transport=transport)

    def complete(self, messages: Sequence[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int = 512, temperature: float = 0.0) -> Completion:
        body: dict[str, Any] = {
            "model": self.model, "max_tokens": max_tokens, "temperature": temperature,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        while True:
            fmt = _response_format(self._format, schema)
            try:
                response = self._post(body | ({"response_format": fmt} if fmt else {}))
            except TransientLLMError as e:
                if not (fmt and "response_format" in str(e)):
                    raise
                response = e.response  # type: ignore[attr-defined]
            if fmt and _refused_format(response):
                # The server does not take this response_format: fall back and remember.
                self._format = _FORMATS[_FORMATS.index(self._format) + 1]
                continue
            return _completion(response, self.model_id)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException as e:
            raise TransientLLMError(f"{self.model_id} timed out ({e})") from e
        except httpx.TransportError as e:  # refused, reset, DNS: the server may come back
            raise TransientLLMError(f"cannot reach {self.base_url} ({e}); is the server "
                                    "running?") from e
        if response.status_code == 429:
            raise TransientLLMError(f"{self.model_id} is rate-limited (429)",
                                    retry_after=_retry_after(response))
        if response.status_code >= 500:
            error = TransientLLMError(f"{self.model_id} failed with HTTP "
                                      f"{response.status_code}: {response.text[:300]}")
            error.response = response  # type: ignore[attr-defined]
            raise error
        if response.status_code in (401, 403):
            raise LLMError(f"{self.base_url} refused the API key (HTTP {response.status_code});"
                           " set ASEM_LLM_API_KEY (or OPENAI_API_KEY)")
        if response.status_code == 404:
            raise LLMError(f"{self.base_url} has no model {self.model!r} or no "
                           "/chat/completions (HTTP 404); check --llm openai:MODEL@BASE_URL")
        return response

    def close(self) -> None:
        self._client.close()


def _response_format(kind: str, schema: dict[str, Any] | None) -> dict[str, Any] | None:
    if schema is None or kind == "none":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}


def _refused_format(response: httpx.Response) -> bool:
    """True when the server says it does not take the response_format we sent."""
    if response.status_code in (400, 422):
        return True
    return response.status_code >= 500 and "response_format" in response.text


def _completion(response: httpx.Response, model_id: str) -> Completion:
    if response.status_code >= 400:
        raise LLMError(f"{model_id} refused the request (HTTP {response.status_code}): "
                       f"{response.text[:300]}")
    try:
        data = response.json()
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        usage = data.get("usage") or {}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        raise TransientLLMError(f"{model_id} sent a reply that is not a chat completion "
                                f"({response.text[:200]!r})") from e
    return Completion(text, int(usage.get("prompt_tokens") or 0),
                      int(usage.get("completion_tokens") or 0),
                      choice.get("finish_reason") or "stop")


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
