"""The error tree. Every error a user can see says what happened and what to do next.

ASEMError
├── InvalidInputError      bad text, messages, reward, filters or file contents
│   ├── ScopeError            a call without a user scope
│   └── NotConfiguredError    a call that needs what this memory lacks (answer without an LLM)
├── NotFoundError          an unknown note or retrieval id (or one of another tenant)
├── AuthError              a server request without a valid key, or beyond its tenant
│   ├── UnauthenticatedError  no key, an unknown key or a revoked key (HTTP 401)
│   └── ForbiddenError        a key used for a tenant it does not grant (HTTP 403)
├── StoreError             the database cannot be used
│   ├── StoreLockedError   another process holds the write lock for too long
│   ├── StoreReadOnlyError the file or its folder cannot be written
│   ├── StoreFullError     the disk is full: nothing was written
│   ├── StoreUnreachableError  the database server does not answer or refuses the login
│   ├── EmbedderMismatchError  the notes were embedded by another model than the memory's
│   └── WriteConflictError other writers kept changing the notes a write was decided on
└── ProviderError          an embedder or model could not be loaded or run

An error whose ``retryable`` is true says that the same call, made again unchanged once its
cause has passed (a lock released, a server back, space freed, a provider's outage over),
may succeed. Retrying a write is safe: a failed write committed nothing, and one whose
commit was cut off (a server lost at that very moment) is recognised and not stored twice.
"""

from __future__ import annotations


class ASEMError(Exception):
    """Root of every error raised by ASEM."""

    retryable: bool = False
    """The same call may succeed when made again, unchanged, once its cause has passed."""


class InvalidInputError(ASEMError, ValueError):
    """The input cannot be stored or used as given."""


class ScopeError(InvalidInputError):
    """A call needs a user scope and none was given."""


class NotConfiguredError(InvalidInputError):
    """A call that needs something this memory was not opened with (an LLM to answer)."""


class NotFoundError(ASEMError, LookupError):
    """A note or retrieval id that the store does not hold."""


class AuthError(ASEMError):
    """A server request that its key does not allow."""


class UnauthenticatedError(AuthError):
    """No key, an unknown key, or a revoked key."""


class ForbiddenError(AuthError):
    """A valid key used for a tenant (or an action) it does not grant."""


class StoreError(ASEMError):
    """The database cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process kept the database locked longer than the busy timeout."""

    retryable = True


class StoreReadOnlyError(StoreError):
    """The database file (or its folder) is read-only."""


class StoreUnreachableError(StoreError):
    """The database server (PostgreSQL) cannot be reached, refuses the connection, or lost
    it in the middle of a call (a restart): nothing of that call was written."""

    retryable = True


class StoreFullError(StoreError):
    """The disk holding the database is full (or the database reached its size limit):
    nothing of the call was written."""

    retryable = True


class EmbedderMismatchError(StoreError):
    """A user's notes were embedded by another model than the memory's embedder.

    Vectors of two models are not comparable (nor, often, of one size), so they are never
    mixed: open the memory with the embedder that made them, or move the notes to the new
    one (``asem export`` with the old embedder, ``asem import`` with the new: it re-embeds).
    """

    def __init__(self, message: str, found: tuple[str, ...] = (), expected: str = "") -> None:
        super().__init__(message)
        self.found = found
        """The model ids the stored notes were embedded with."""
        self.expected = expected
        """The model id of the memory's embedder."""


class WriteConflictError(StoreError):
    """Notes a write was decided on changed before it could commit; nothing was written.

    The write path re-reads and re-decides on its own; this reaches a caller only when other
    writers changed those notes on every try. Retrying the same call is safe.
    """

    retryable = True

    def __init__(self, message: str, note_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.note_ids = note_ids
        """The notes that were no longer at the version the write read."""


class ProviderError(ASEMError):
    """An embedder or language model failed to load or to run."""
