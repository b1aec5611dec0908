"""ASEM: a self-evolving long-term memory layer for LLM agents.

Notes go in (``Memory.add``), the most useful notes come out (``Memory.search``), and
feedback on a retrieval (``Memory.feedback``) changes what comes out next time.
"""

from asem.aio import AsyncMemory
from asem.config import FeedbackConfig, MemoryConfig, ReadConfig, WriteConfig
from asem.errors import (
    ASEMError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    ScopeError,
    StoreError,
    StoreLockedError,
    StoreReadOnlyError,
)
from asem.memory import Memory
from asem.types import (
    Decision,
    FeedbackResult,
    Filters,
    HistoryEntry,
    Hit,
    Link,
    Message,
    Note,
    Op,
    Provenance,
    ResolvedDate,
    Scope,
    ScoreParts,
    SearchResult,
    Tier,
    WriteResult,
)

__version__ = "0.1.0"

__all__ = [
    "ASEMError", "AsyncMemory", "Decision", "FeedbackConfig", "FeedbackResult", "Filters",
    "HistoryEntry",
    "Hit", "InvalidInputError", "Link", "Memory", "MemoryConfig", "Message", "Note",
    "NotFoundError", "Op", "Provenance", "ProviderError", "ReadConfig", "ResolvedDate",
    "Scope", "ScopeError", "ScoreParts", "SearchResult", "StoreError", "StoreLockedError",
    "StoreReadOnlyError", "Tier", "WriteConfig", "WriteResult", "__version__",
]
