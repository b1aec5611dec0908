"""Bounded retries with exponential backoff, for transient provider failures only.

A 429 that says how long to wait (Retry-After) is honoured, up to a cap; every other
transient failure waits base · 2^attempt seconds, capped. Non-transient errors (a bad API
key, an unknown model, a prompt longer than the context) are raised at once: retrying
cannot fix them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from asem.llm.base import TransientLLMError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures."""

    attempts: int = 4
    """Requests in all, the first included."""
    base_delay_s: float = 1.0
    max_delay_s: float = 20.0
    max_retry_after_s: float = 60.0
    """A longer Retry-After is cut to this (a caller should not hang for an hour)."""

    def delay(self, attempt: int, error: TransientLLMError) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after_s)
        return min(self.base_delay_s * 2 ** attempt, self.max_delay_s)


def with_retries(call: Callable[[], T], policy: RetryPolicy,
                 sleep: Callable[[float], None] = time.sleep,
                 on_failure: Callable[[Exception], None] | None = None) -> T:
    """``call()``, retried on TransientLLMError as ``policy`` allows; the last error is raised."""
    for attempt in range(policy.attempts):
        try:
            return call()
        except TransientLLMError as e:
            if on_failure:
                on_failure(e)
            if attempt + 1 >= policy.attempts:
                raise
            sleep(policy.delay(attempt, e))
    raise AssertionError("unreachable: attempts must be at least 1")
