"""AsyncMemory: the same facade for asyncio code, without a second copy of the logic.

Each call runs the synchronous core in a worker thread, one call at a time per memory, so
the event loop never blocks on the embedder or the database.

>>> import asyncio
>>> from asem.aio import AsyncMemory
>>> from asem.providers import HashEmbedder
>>> async def main():
...     async with AsyncMemory(":memory:", embedder=HashEmbedder()) as memory:
...         await memory.add("I adopted a dog named Buddy", user_id="alice")
...         result = await memory.search("dog", user_id="alice")
...         return result[0].note.content
>>> asyncio.run(main())
'I adopted a dog named Buddy'
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asem.memory import Memory

T = TypeVar("T")


class AsyncMemory:
    """``Memory`` with every public method awaitable. Takes the same arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = Memory(*args, **kwargs)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asem")

    async def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor,
                                          functools.partial(method, *args, **kwargs))

    async def close(self) -> None:
        await self._call(self.sync.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _awaitable(name: str) -> Callable[..., Any]:
    method = getattr(Memory, name)

    @functools.wraps(method)
    async def call(self: AsyncMemory, *args: Any, **kwargs: Any) -> Any:
        return await self._call(getattr(self.sync, name), *args, **kwargs)

    return call


# The awaitable methods, each wrapping the Memory method of the same name (and its docs).
METHODS = ("add", "ingest", "search", "feedback", "get", "update", "delete", "undo_delete",
           "reopen", "history", "links", "stats", "answer", "llm_status", "process_llm_jobs",
           "list_notes", "count_notes", "feedback_note", "delete_user", "import_notes",
           "export", "confirm", "restore", "maintain", "forget", "forget_user", "release",
           "quarantine")
# ``await memory.export(user)`` gives the same iterator as Memory's: each page is read as it is
# used, in the thread that iterates it.
for _name in METHODS:
    setattr(AsyncMemory, _name, _awaitable(_name))
