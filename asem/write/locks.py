"""Writers of one user in one process take turns from reading the store to committing.

Two threads that decide on the same notes at once would only invalidate each other's reads
(the store refuses the second write and it is decided again), so inside one process they
wait for each other instead; writers of different users do not. Other processes and
servers are kept apart by the version check alone (see ``asem.write.pipeline``).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

STRIPES = 64
"""Locks shared out among users by hash: memory stays bounded however many users write,
and two users rarely share one."""


class UserLocks:
    """A fixed set of locks; a user's writers hold the lock its id hashes to."""

    def __init__(self, stripes: int = STRIPES) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def holding(self, user_ids: Iterable[str]) -> Iterator[None]:
        """Hold the locks of ``user_ids`` (taken in one order, so two writers never wait
        for each other in a circle)."""
        stripes = sorted({zlib.crc32(u.encode("utf-8")) % len(self._locks) for u in user_ids})
        with ExitStack() as held:
            for stripe in stripes:
                held.enter_context(self._locks[stripe])
            yield
