"""Per-call token and latency accounting, shared by every caller of one provider."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    """Totals since the meter was made (or a difference of two snapshots)."""

    calls: int = 0
    """Provider requests made, retries and re-prompts included."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    """Wall time spent waiting for the provider."""
    failures: int = 0
    """Requests that raised, or whose reply could not be parsed."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __sub__(self, other: Usage) -> Usage:
        return Usage(self.calls - other.calls, self.prompt_tokens - other.prompt_tokens,
                     self.completion_tokens - other.completion_tokens,
                     self.seconds - other.seconds, self.failures - other.failures)

    def to_dict(self) -> dict[str, float]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "seconds": round(self.seconds, 3),
                "failures": self.failures}


class UsageMeter:
    """Thread-safe running totals (the background worker and the caller share one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()

    def record(self, *, prompt_tokens: int = 0, completion_tokens: int = 0,
               seconds: float = 0.0, failed: bool = False) -> None:
        with self._lock:
            u = self._usage
            self._usage = Usage(u.calls + 1, u.prompt_tokens + prompt_tokens,
                                u.completion_tokens + completion_tokens, u.seconds + seconds,
                                u.failures + int(failed))

    def add_failure(self) -> None:
        """A reply that arrived (and was counted) but could not be used."""
        with self._lock:
            u = self._usage
            self._usage = Usage(u.calls, u.prompt_tokens, u.completion_tokens, u.seconds,
                                u.failures + 1)

    def snapshot(self) -> Usage:
        with self._lock:
            return self._usage
