"""Maintenance in a background thread, every ``LifecycleConfig.background_interval_s``.

Off by default: a memory opened by a script should not archive notes behind its back. The
server turns it on (``asem serve --maintain-every``). A failed run is kept for ``last_error``
and retried at the next interval; it never reaches the callers of ``add`` or ``search``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from asem.errors import ASEMError

if TYPE_CHECKING:
    from asem.memory import Memory


class MaintenanceLoop:
    """Runs ``memory.maintain(all_users=True)`` every ``interval_s`` seconds until stopped."""

    def __init__(self, memory: Memory, interval_s: float) -> None:
        self.memory = memory
        self.interval_s = interval_s
        self.runs = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="asem-maintenance", daemon=True)

    @classmethod
    def start_for(cls, memory: Memory) -> MaintenanceLoop | None:
        """The loop for ``memory``, started, when its config asks for one (and it can write)."""
        interval = memory.config.lifecycle.background_interval_s
        if not interval or memory.store.read_only:
            return None
        return cls(memory, interval).start()

    def start(self) -> MaintenanceLoop:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.memory.maintain(all_users=True)
                self.last_error = None
            except ASEMError as e:  # e.g. the file locked by another writer: try again later
                self.last_error = str(e)
            self.runs += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
