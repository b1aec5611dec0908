"""The background worker: drains the LLM job queue so ``add`` never waits for a model.

One thread per Memory. Each step claims a batch of jobs (consecutive new notes of one
user), makes one call for enrichment, linking and evolution, and commits the result with
the jobs marked done. Failures never lose input:

- provider unreachable, rate-limited or timing out (after the retries), or the embedder
  failing: the jobs go back to pending without counting an attempt, and the worker pauses,
  longer each time;
- replies unusable even after re-prompting: the attempt counts; after ``max_attempts`` the
  job is marked failed and its note keeps the extractive enrichment;
- any other error: logged, the jobs are given back, the thread keeps running.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from asem.config import LLMConfig, WriteConfig
from asem.errors import ProviderError
from asem.llm.base import LLM, LLMOutputError
from asem.llm.retry import RetryPolicy
from asem.llm.usage import UsageMeter
from asem.providers.embedder import Embedder
from asem.stores.base import Job
from asem.write import evolve

log = logging.getLogger("asem.worker")


@dataclass
class WorkerStats:
    """Counts since the worker was made (read them after ``drain``)."""

    batches: int = 0
    notes: int = 0
    rejected: list[str] = field(default_factory=list)
    """References the model made outside its candidate set (dropped, never written)."""
    outages: int = 0
    failures: int = 0


class EnrichmentWorker:
    """Runs ``step`` in a daemon thread until stopped; ``step`` and ``drain`` also work
    without the thread (tests and benchmarks drive it directly)."""

    def __init__(self, store, embedder: Embedder, llm: LLM, *, meter: UsageMeter,
                 config: LLMConfig, write: WriteConfig) -> None:
        self.store = store
        self.embedder = embedder
        self.llm = llm
        self.meter = meter
        self.config = config
        self.write = write
        self.stats = WorkerStats()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._step_lock = threading.Lock()
        self._pause = 0.0

    # -- one step ----------------------------------------------------------------------------
    def step(self) -> int:
        """Process one batch; returns how many jobs it settled (0: nothing to do, or an
        outage that left them pending)."""
        with self._step_lock:
            jobs = self.store.claim_jobs(self.config.batch_turns, self.config.lease_s)
            if not jobs:
                return 0
            try:
                return self._process(jobs)
            except LLMOutputError as e:
                self.stats.failures += 1
                self._give_back(jobs, str(e), count_attempt=True)
                return len(jobs)
            except ProviderError as e:  # the model (after retries) or the embedder failed
                self.stats.outages += 1
                self._give_back(jobs, str(e), count_attempt=False)
                self._pause = min(max(2 * self._pause, 1.0), self.config.max_outage_backoff_s)
                return 0
            except Exception as e:  # a bug must not kill the thread or lose the jobs
                log.exception("enrichment batch failed")
                self._give_back(jobs, f"{type(e).__name__}: {e}", count_attempt=True)
                return len(jobs)

    def _process(self, jobs: list[Job]) -> int:
        batch = evolve.gather(jobs, self.store, self.write.k_links, self.config.max_neighbours)
        if not batch.notes:  # every note was deleted before its turn came
            self.store.apply_evolution(evolve.Evolution(job_ids=tuple(j.id for j in jobs)))
            return len(jobs)
        retry = RetryPolicy(self.config.retry_attempts, self.config.retry_base_delay_s)
        reply = evolve.request(batch, self.llm, self.meter, retry)
        outcome = evolve.apply_reply(batch, reply, self.embedder, self.write)
        self.store.apply_evolution(outcome.evolution)
        self.stats.batches += 1
        self.stats.notes += len(batch.notes)
        self.stats.rejected += outcome.rejected
        self._pause = 0.0
        return len(jobs)

    def _give_back(self, jobs: list[Job], error: str, *, count_attempt: bool) -> None:
        final = [j.id for j in jobs if count_attempt and j.attempts >= self.config.max_attempts]
        retry = [j.id for j in jobs if j.id not in final]
        self.store.release_jobs(final, error, failed=True)
        self.store.release_jobs(retry, error, failed=False, count_attempt=count_attempt)

    def drain(self, max_steps: int | None = None) -> int:
        """Run steps in this thread until no job is claimable (or ``max_steps``); returns
        the jobs settled. Pending jobs that only an outage holds back stay pending."""
        settled = steps = 0
        while max_steps is None or steps < max_steps:
            steps += 1
            done = self.step()
            if done == 0:
                break
            settled += done
        return settled

    # -- the thread --------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="asem-llm-worker",
                                            daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """New jobs were queued."""
        self._wake.set()

    def _run(self) -> None:
        _lower_priority(self.config.worker_niceness)
        while not self._stop.is_set():
            if self.step() == 0:
                if self._pause:  # the provider is down: new jobs must not hammer it
                    self._stop.wait(self._pause)
                else:
                    self._wake.wait(timeout=1.0)
                    self._wake.clear()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current batch (up to ``timeout``) and stop; pending jobs stay queued."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _lower_priority(niceness: int) -> None:
    """Lower this thread's CPU priority (Linux: per thread, inherited by the threads it
    starts); silently nothing where the platform cannot."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid)
                                                  + niceness, 19))
    except OSError as e:  # not permitted or not supported: run at normal priority
        log.debug("cannot lower the worker's priority: %s", e)
