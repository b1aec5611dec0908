"""A scripted LLM for tests: replies (or errors) in order, every request recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asem.llm.base import ChatMessage, Completion

Reply = str | Completion | Exception | Callable[[Sequence[ChatMessage]], "str | Completion"]


class ScriptedLLM:
    """Plays back ``replies``: a string is the reply text, an exception is raised, a callable
    is given the messages and returns the reply. When the script runs out, ``default`` (a
    reply of the same kinds) is used for every further call, or an AssertionError says so.

    Token counts are characters // 4, so accounting is exact and predictable in tests.
    """

    model_id = "scripted"

    def __init__(self, replies: Iterable[Reply] = (), *, default: Reply | None = None) -> None:
        self._replies = list(replies)
        self._default = default
        self.requests: list[dict[str, Any]] = []

    def complete(self, messages: Sequence[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int = 512, temperature: float = 0.0) -> Completion:
        self.requests.append({"messages": list(messages), "schema": schema,
                              "max_tokens": max_tokens})
        if self._replies:
            reply = self._replies.pop(0)
        elif self._default is not None:
            reply = self._default
        else:
            raise AssertionError("ScriptedLLM ran out of replies")
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, Completion):
            return reply
        prompt = sum(len(m.content) for m in messages) // 4
        return Completion(reply, prompt, len(reply) // 4)

    @property
    def calls(self) -> int:
        return len(self.requests)
