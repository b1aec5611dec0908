"""The error tree. Every error a user can see says what happened and what to do next.

ASEMError
├── InvalidInputError      bad text, messages, reward, filters or file contents
├── ScopeError             a call without a user scope
├── NotFoundError          an unknown note or retrieval id
├── StoreError             the database cannot be used
│   ├── StoreLockedError   another process holds the write lock for too long
│   └── StoreReadOnlyError the file or its folder cannot be written
└── ProviderError          an embedder or model could not be loaded or run
"""

from __future__ import annotations


class ASEMError(Exception):
    """Root of every error raised by ASEM."""


class InvalidInputError(ASEMError, ValueError):
    """The input cannot be stored or used as given."""


class ScopeError(InvalidInputError):
    """A call needs a user scope and none was given."""


class NotFoundError(ASEMError, LookupError):
    """A note or retrieval id that the store does not hold."""


class StoreError(ASEMError):
    """The database cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process kept the database locked longer than the busy timeout."""


class StoreReadOnlyError(StoreError):
    """The database file (or its folder) is read-only."""


class ProviderError(ASEMError):
    """An embedder or language model failed to load or to run."""
