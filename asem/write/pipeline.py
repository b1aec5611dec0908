"""The write path, top-down: input → note construction → manager decision → one commit.

``write`` runs its stages in order, each returning a value:

1. read: which inputs are turns stored before (``decide.said_before``: they change
   nothing), and a ``BatchView`` of the store, knowing which repeat stored content;
2. construct: the other inputs enriched and embedded (``construct.drafts``);
3. decide: each input, in order, becomes a ``Step`` on the view (``decide.decide``; what
   each operation writes is in ``asem.write.apply``), an ADD with its similarity links;
4. apply: the steps commit as one ``WriteBatch`` in one transaction, with the LLM job of
   every new note when the memory has a language model.

LLM enrichment, linking and evolution run after the commit, from the job queue
(``asem.write.worker``).

Concurrency (STYLE rule 17). Decisions are made on what was read before the transaction, so
the batch names the version of every stored note a decision acted on (the target of an
UPDATE, DELETE or NOOP, the holder of repeated content), and the store checks them inside
the transaction that writes. If one has changed (another thread, Memory object, process or
server wrote it), nothing is written: the view is read again and the batch decided again on
what is there now, up to ``WriteConfig.conflict_retries`` times after a short random pause;
the try after that is decided holding the store's write lock (``Store.snapshot(exclusive=
True)``), where nothing can change under it. A merge is thus always made into the note as
it is, never over another acknowledged merge, and no write is refused for losing races.
Inside one process, the writers of one user also take turns (``asem.write.locks``), so
threads sharing a Memory do not race at all.

Why versions first and the lock only last: a decision may wait on a language model for
seconds (the ``llm`` manager) and an UPDATE re-embeds the merged content. SQLite's write
lock (or a PostgreSQL row or advisory lock) held that long on every write would stall every
other writer of the database, and fail them after the busy timeout; the version check is
one indexed read in the transaction that writes anyway, works the same for every store and
every way of sharing one, and the lock is taken only by a write that lost several races in
a row. Construction (enrichment and embedding of the input) reads nothing another writer
changes: it runs once, before any lock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace

from asem.errors import WriteConflictError
from asem.stores.base import Store, Turn
from asem.types import Op, WriteResult
from asem.write.addressed import uses_in_batch
from asem.write.apply import ALREADY_STORED, retraction_reason
from asem.write.construct import Draft, drafts
from asem.write.decide import WriteDeps, decide, said, said_before
from asem.write.inputs import WriteInput, content_hash
from asem.write.plan import Plan
from asem.write.view import BatchView

__all__ = ["WriteDeps", "retraction_reason", "write"]

BACKOFF_S = 0.002
"""Longest pause after a first conflict; each later one may be twice as long."""


def write(items: Sequence[WriteInput], deps: WriteDeps, actor: str = "user") -> list[WriteResult]:
    """Store ``items`` in one transaction; one WriteResult per item, in order."""
    hashes = [content_hash(item.content) for item in items]
    built = _construct(items, hashes, said_before(items, hashes, deps.store),
                       BatchView.of(deps.store, items, hashes), {}, deps)
    retries = deps.config.write.conflict_retries
    users = sorted({item.scope.user_id for item in items})
    with deps.locks.holding(set(users)):
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                with (deps.store.snapshot(exclusive=True, users=users) if last
                      else nullcontext()):
                    return _decided_and_applied(items, hashes, built, deps, actor)
            except WriteConflictError as conflict:
                if last:
                    raise WriteConflictError(
                        f"notes {', '.join(conflict.note_ids)} kept changing while this write "
                        "was decided; nothing was written: retry it",
                        conflict.note_ids) from conflict
            # Writers that keep colliding spread out: a random pause, longer each time.
            time.sleep(random.uniform(0, BACKOFF_S * 2 ** attempt))
    raise AssertionError("unreachable: the last try returns or raises")


def _decided_and_applied(items: Sequence[WriteInput], hashes: Sequence[str],
                         built: dict[int, Draft], deps: WriteDeps,
                         actor: str) -> list[WriteResult]:
    """One try: read, construct what is missing (kept in ``built`` for the next try),
    decide, commit; WriteConflictError if a note decided on changed meanwhile."""
    said = said_before(items, hashes, deps.store)
    view = BatchView.of(deps.store, items, hashes)
    built |= _construct(items, hashes, said, view, built, deps)
    plan = decide(items, hashes, said, built, view, deps)
    turns = _turns(items, plan)
    batch = plan.batch(actor, tuple(t for t in turns if t is not None))
    names = tuple(uses_in_batch(items, turns, deps.store))  # read before the write
    inserted = deps.store.write(replace(batch, names=names, jobs=deps.jobs))
    return [_settle(r, item, digest, inserted, deps.store)
            for r, item, digest in zip(plan.results, items, hashes, strict=True)
            if r is not None]


def _construct(items: Sequence[WriteInput], hashes: Sequence[str], said: Mapping[int, str],
               view: BatchView, built: dict[int, Draft], deps: WriteDeps) -> dict[int, Draft]:
    """Drafts of the inputs that have none yet and are neither turns stored before nor
    repeats of stored content."""
    todo = [i for i, (item, digest) in enumerate(zip(items, hashes, strict=True))
            if i not in built and i not in said and view.repeated(item.scope, digest) is None]
    made = drafts([items[i] for i in todo], deps.enricher, deps.embedder,
                  with_terms=deps.config.write.embed_terms, detector=deps.detector)
    return dict(zip(todo, made, strict=True))


def _turns(items: Sequence[WriteInput], plan: Plan) -> list[Turn | None]:
    """Each input as a turn of its conversation, in the order said (None: not stored as
    one)."""
    return [said(item, result) for item, result in zip(items, plan.results, strict=True)]


def _settle(result: WriteResult, item: WriteInput, digest: str, inserted: set[str],
            store: Store) -> WriteResult:
    """An ADD that another writer beat to the same content becomes a NOOP on its note."""
    if result.op is not Op.ADD or result.note_id in inserted:
        return result
    winner = store.note_ids_for_hashes(item.scope, [digest]).get(digest, result.note_id)
    return WriteResult(Op.NOOP, winner, ALREADY_STORED)
