"""The facade: one object over the write, read and feedback paths.

>>> from asem import Memory
>>> from asem.providers import HashEmbedder
>>> memory = Memory(":memory:", embedder=HashEmbedder())
>>> _ = memory.add("I adopted a dog named Buddy", user_id="alice")
>>> result = memory.search("what is my dog called", user_id="alice")
>>> result[0].note.content
'I adopted a dog named Buddy'
>>> memory.feedback(result.retrieval_id, 1.0, user_id="alice").utilities[result[0].note.id]
(0.5, 0.55)

Every call that reads or changes notes names the tenant with ``user_id=``; without it the
call fails closed (ScopeError), and another tenant's note or retrieval is not found:

>>> memory.get(result[0].note.id)
Traceback (most recent call last):
...
asem.errors.ScopeError: a user scope is required: ...
>>> memory.get(result[0].note.id, user_id="bob")
Traceback (most recent call last):
...
asem.errors.NotFoundError: no note with id ...
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from asem.chat import ChatTurn, to_messages
from asem.config import LLMConfig, MemoryConfig
from asem.errors import (
    InvalidInputError,
    NotConfiguredError,
    NotFoundError,
    StoreReadOnlyError,
    WriteConflictError,
)
from asem.feedback.pipeline import check_reward, give_feedback
from asem.guard.detector import Detector, load_detector
from asem.lifecycle.api import LifecycleAPI
from asem.llm.base import LLM
from asem.llm.retry import RetryPolicy
from asem.llm.usage import UsageMeter
from asem.providers.embedder import Embedder, embed_queries
from asem.read.answer import Answer, distil_and_answer, evidence_of
from asem.read.pipeline import ReadDeps
from asem.read.pipeline import search as read_search
from asem.stores.base import NoteDelete, Store, WriteBatch
from asem.transfer import ImportResult, export_notes, import_notes
from asem.types import (
    FeedbackResult,
    Filters,
    HistoryEntry,
    Link,
    Message,
    Note,
    Op,
    Scope,
    SearchResult,
    WriteResult,
    require_user,
    utc_naive,
)
from asem.write.enrich import Enricher, ExtractiveEnricher
from asem.write.inputs import WriteInput, clean_text, make_input
from asem.write.locks import UserLocks
from asem.write.manager import ManagerPolicy
from asem.write.pipeline import WriteDeps, write
from asem.write.revise import revised
from asem.write.worker import EnrichmentWorker

Progress = Callable[[int, int], None]
"""Called with (items done, items total) during bulk ingestion."""
_MAX_INT = 2**63 - 1
"""The largest integer SQLite stores: a larger limit or offset is refused, not a crash."""

EDIT_ATTEMPTS = 5
"""Reads of a note an edit may take when other writers keep changing it meanwhile."""


class Memory(LifecycleAPI):
    """A long-term memory for agents, stored in one SQLite file by default.

    Pass objects in (``store=``, ``embedder=``, ``enricher=``, ``manager=``, ``llm=``); a
    path or URL is a convenience for opening a store (``asem.stores.open``: a file path or
    ``sqlite:///m.db`` is SQLite, ``postgresql://...`` PostgreSQL), and a manager may be
    named (``"rule"``) or given as a checkpoint path, and an embedder named
    (``"minilm"``, ``"e5-small"``: ``asem.providers.registry``). Defaults: the local MiniLM ONNX
    embedder, the extractive enricher and the learned manager (the GRPO policy shipped in the
    package): no API key, no server.

    With ``llm``, every new note is still stored at once with extractive attributes, and a
    durable job asks the model (in a background thread; ``background=False`` leaves that to
    ``process_llm_jobs``) for better keywords, tags, context and dates, links with its
    neighbours, and revisions of neighbours; ``answer`` becomes available.

    Tenancy fails closed: every call that reads or changes notes takes the tenant as
    ``user_id=`` (a keyword) and raises ScopeError when it is missing, empty or not a string;
    a note or retrieval id of another tenant raises NotFoundError, as an unknown id does.

    ``read_only=True`` opens an existing database file without writing to it (for a file
    you may not write): searches and reads work, searches are not recorded (so they take
    no feedback), and every write raises StoreReadOnlyError.

    One Memory may serve many threads (a server's pool): writes of one user take turns, a
    search reads one snapshot, and a write whose notes another writer (thread, Memory or
    process on the same file) changed meanwhile is decided again (``asem.write.pipeline``).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        store: Store | None = None,
        embedder: Embedder | str | None = None,
        enricher: Enricher | None = None,
        manager: ManagerPolicy | str | Path | None = None,
        config: MemoryConfig | None = None,
        llm: LLM | None = None,
        llm_config: LLMConfig | None = None,
        background: bool = True,
        read_only: bool = False,
    ) -> None:
        self.config = config or MemoryConfig()
        from asem.providers.registry import resolve_embedder

        embedder = resolve_embedder(embedder)
        self.embedder = embedder
        if store is None:
            if path is None:
                raise InvalidInputError("give a database path (or ':memory:') or a store")
            from asem.stores.open import StoreOptions, open_store

            store = open_store(path, StoreOptions(
                embedder.model_id, getattr(embedder, "dimension", None),
                self.config.busy_timeout_s, read_only, self.config.index_cache_mb))
        elif read_only and not store.read_only:
            raise InvalidInputError("read_only=True applies to a path; open the store given "
                                    "with store= read-only itself")
        self.store = store
        self._write_locks = UserLocks()
        self.enricher = enricher or ExtractiveEnricher()
        guard = self.config.guard
        self.detector: Detector | None = (
            load_detector(guard.weights, guard.threshold, guard.quarantine_sources)
            if guard.quarantine else None)
        """Judges every new note (``asem.guard``); None when ``GuardConfig.quarantine`` is off."""
        from asem.manager.registry import resolve

        self.manager = resolve(manager or self.config.write.manager, self.config, llm)
        self.llm: LLM | None = None
        self.llm_config = llm_config or LLMConfig()
        self.llm_usage = UsageMeter()
        """LLM calls and tokens of this memory: background jobs and answers."""
        self.worker: EnrichmentWorker | None = None
        self._background = background
        if llm is not None:
            self.use_llm(llm)
        from asem.lifecycle.background import MaintenanceLoop

        self._maintenance = MaintenanceLoop.start_for(self)

    def use_llm(self, llm: LLM, *, background: bool | None = None) -> None:
        """Enrich, link and evolve new notes with ``llm`` from now on, and answer with it.

        Jobs an earlier run left queued are resumed (in the background thread, unless the
        memory was opened with ``background=False``).
        """
        if self.worker is not None:
            self.worker.stop()
        if background is not None:
            self._background = background
        self.llm = llm
        self.worker = EnrichmentWorker(self.store, self.embedder, llm, meter=self.llm_usage,
                                       config=self.llm_config, write=self.config.write)
        if self._background and self.store.job_counts()["pending"]:
            self.worker.start()

    def use_manager(self, manager: ManagerPolicy | str | Path) -> None:
        """Decide later writes with ``manager``: a policy, a name (``"rule"``, ``"learned"``,
        ``"always-add"``, ``"llm"`` with a model in use) or a retrained ``.npz`` checkpoint.
        Raises InvalidInputError for an unknown name or a missing or unreadable checkpoint."""
        from asem.manager.registry import resolve

        self.manager = resolve(manager, self.config, self.llm)

    # -- write path --------------------------------------------------------------------------
    def _write_deps(self, manager: ManagerPolicy | str | Path | None = None) -> WriteDeps:
        from asem.manager.registry import resolve

        policy = self.manager if manager is None else resolve(manager, self.config, self.llm)
        return WriteDeps(self.store, self.embedder, self.enricher, policy, self.config,
                         self._write_locks, self.detector, jobs=self.worker is not None)

    def add(
        self,
        content: str | bytes | Sequence[Message | Mapping[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        speaker: str | None = None,
        timestamp: datetime | None = None,
        turn_id: str | None = None,
        source_id: str | None = None,
        writer: str = "user",
        channel: str = "api",
        manager: ManagerPolicy | str | Path | None = None,
    ) -> list[WriteResult]:
        """Remember a text, or a list of chat messages (one note per message).

        ``manager`` decides this call's writes instead of the memory's own (``"always-add"``
        stores every input as it is said, merging only exact repeats).
        Returns one WriteResult per input (ADD, or NOOP when it is already known).
        """
        scope = Scope(require_user(user_id), agent_id, session_id)
        limit = self.config.write.max_content_chars
        if isinstance(content, str | bytes | bytearray):
            items = [make_input(content, scope, max_chars=limit, speaker=_speaker(speaker),
                                timestamp=timestamp, turn_ids=(turn_id,) if turn_id else (),
                                source_id=source_id or session_id, writer=writer,
                                channel=channel)]
        elif isinstance(content, Sequence):
            items = [self._message_input(m, scope, source_id or session_id, writer, channel)
                     for m in to_messages(content)]
            if not items:
                raise InvalidInputError("no messages given; pass text or at least one message")
        else:
            raise InvalidInputError("content must be text or a list of chat messages")
        return self._queued(write(items, self._write_deps(manager), actor=writer))

    def ingest(
        self,
        turns: Iterable[ChatTurn | Message | Mapping[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        writer: str = "user",
        channel: str = "import",
        progress: Progress | None = None,
    ) -> list[WriteResult]:
        """Bulk-remember many chat turns, in batches (each batch one transaction).

        Every turn is validated before anything is written, so a bad file changes nothing.
        """
        scope = Scope(require_user(user_id), agent_id)
        items = []
        for position, turn in enumerate(turns, start=1):
            if not isinstance(turn, ChatTurn):
                turn = ChatTurn(to_messages([turn])[0])
            try:
                items.append(self._message_input(turn.message, scope, turn.session_id,
                                                 writer, channel))
            except InvalidInputError as e:
                raise InvalidInputError(f"turn {position}: {e}") from e
        results: list[WriteResult] = []
        size = self.config.write.batch_size
        for start in range(0, len(items), size):
            results += self._queued(write(items[start:start + size], self._write_deps(),
                                          actor=writer))
            if progress:
                progress(min(start + size, len(items)), len(items))
        return results

    def _queued(self, results: list[WriteResult]) -> list[WriteResult]:
        """Wake the LLM worker for the new notes' jobs, queued in the commit that stored
        them (``WriteDeps.jobs``; a quarantined note gets none: its text is shown to no
        model, nor are its neighbours' revisions made in its light)."""
        added = any(r.op is Op.ADD or r.added_id for r in results)
        if self.worker is not None and self._background and added:
            self.worker.start()
            self.worker.notify()
        return results

    def llm_status(self, note_id: str, *, user_id: str | None = None) -> str:
        """Where the LLM work on ``user_id``'s note stands: ``pending``, ``running``,
        ``done``, ``failed`` (it keeps its extractive attributes), or ``none`` (no job: no
        LLM was configured)."""
        self.get(note_id, user_id=user_id, include_deleted=True)
        return self.store.job_status([note_id]).get(note_id, "none")

    def process_llm_jobs(self, max_batches: int | None = None) -> int:
        """Run queued LLM jobs in this thread until none is left (or ``max_batches``);
        returns the jobs settled. Jobs held back by an outage stay pending."""
        if self.worker is None:
            raise InvalidInputError("no LLM configured: pass llm= (or --llm) to enrich notes")
        return self.worker.drain(max_batches)

    def _message_input(self, message: Message, scope: Scope, source_id: str | None,
                       writer: str, channel: str) -> WriteInput:
        return make_input(
            message.content, scope, max_chars=self.config.write.max_content_chars,
            speaker=_speaker(message.speaker), timestamp=message.timestamp,
            turn_ids=(message.turn_id,) if message.turn_id else (),
            source_id=source_id, writer=writer, channel=channel,
        )

    # -- read path ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        expand_links: bool | None = None,
        as_of: datetime | None = None,
        include_superseded: bool = False,
        min_trust: str | None = None,
        trust: Sequence[str] | str | None = None,
        include_quarantined: bool = False,
        asked_at: datetime | None = None,
    ) -> SearchResult:
        """The notes most useful for ``query`` in the caller's scope, with a retrieval id
        (recorded for ``feedback``, except in a memory opened read-only).

        A date or period the query names ("on 3 Jan 2024", "in March", "last week") lifts
        the notes whose event time falls in it; relative ones are read against
        ``asked_at`` (default now), as is a date without a year (its latest occurrence).

        A superseded fact (a note whose validity ended) is never returned as current:
        ``as_of`` returns what held at that time instead, ``include_superseded`` past facts
        too (``Hit.superseded`` marks them). Both may also be given in ``filters``.

        Notes the injection detector quarantined are never returned unless
        ``include_quarantined``; ``min_trust`` ("user_said", ... "tool_output") or ``trust``
        (a list of levels) keep to notes from trusted sources (``asem.guard.Trust``) that
        the detector did not flag, whatever their source.
        """
        scope = Scope(require_user(user_id), agent_id, session_id)
        query = clean_text(query, self.config.write.max_content_chars, "query")
        k = self.config.read.k_final if k is None else k
        if not isinstance(k, int) or k < 1:
            raise InvalidInputError(f"k must be a positive integer, not {k!r}")
        if filters is not None and not isinstance(filters, Filters):
            raise InvalidInputError("filters must be an asem.Filters, e.g. Filters(tags=('pets',))")
        filters = filters or Filters()
        if as_of is not None or include_superseded:
            filters = replace(filters, as_of=as_of or filters.as_of,
                              include_superseded=include_superseded or filters.include_superseded)
        if min_trust is not None or trust or include_quarantined:
            filters = replace(filters, min_trust=min_trust or filters.min_trust,
                              trust=trust or filters.trust,
                              include_quarantined=include_quarantined
                              or filters.include_quarantined)
        expand = self.config.read.expand_links if expand_links is None else expand_links
        deps = ReadDeps(self.store, self.embedder, self._read_config(scope.user_id))
        # Embedded here so the retrieval keeps it: feedback can then be conditioned on it.
        query_vector = embed_queries(self.embedder, [query])[0]
        if asked_at is not None and not isinstance(asked_at, datetime):
            raise InvalidInputError("asked_at must be a datetime (when the query is asked)")
        hits = read_search(query, scope, filters, k, expand, deps, query_vector,
                           utc_naive(asked_at) if asked_at is not None else None)
        retrieval_id = uuid.uuid4().hex
        if not self.store.read_only:
            self.store.record_retrieval(retrieval_id, scope, query,
                                        [h.note.id for h in hits], query_vector)
        return SearchResult(retrieval_id, query, tuple(hits))

    def answer(self, question: str, *, user_id: str | None = None, agent_id: str | None = None,
               session_id: str | None = None, k: int | None = None,
               filters: Filters | None = None) -> Answer:
        """Answer ``question`` from memory (SPEC stage 4): search, then one call that cites
        the fewest retrieved notes that answer it and answers from them, or abstains.

        Give feedback on ``answer.retrieval_id`` (with ``answer.note_ids`` to reward only
        the notes it used).
        """
        require_user(user_id)
        if self.llm is None:
            raise NotConfiguredError("answer needs a language model: open the memory with "
                                    "llm=... (CLI: --llm local or --llm openai:MODEL@URL)")
        result = self.search(question, user_id=user_id, agent_id=agent_id,
                             session_id=session_id, k=k, filters=filters)
        before = self.llm_usage.snapshot()
        distilled = distil_and_answer(result.query, [evidence_of(h.note) for h in result],
                                      self.llm, self.llm_usage,
                                      self.llm_config.answer_max_tokens,
                                      RetryPolicy(self.llm_config.retry_attempts,
                                                  self.llm_config.retry_base_delay_s))
        return Answer(result.query, distilled.text,
                      tuple(result[i].note.id for i in distilled.cited), distilled.abstained,
                      result.retrieval_id, result.hits, self.llm_usage.snapshot() - before)

    # -- feedback path -----------------------------------------------------------------------
    def feedback(self, retrieval_id: str, reward: float, note_ids: Sequence[str] | None = None,
                 *, user_id: str | None = None,
                 episode: bool | str | None = None) -> FeedbackResult:
        """Report how useful ``user_id``'s retrieval was: reward in [-1, 1] (SPEC stage 5).

        A positive reward makes the short-term notes rewarded long-term (``promoted``).
        ``episode`` (True, or the answer given) also keeps the interaction as an experience
        note linked to the notes used (``experience_id``; ``asem.lifecycle.experience``).
        A retrieval of another user is not found.
        """
        user = require_user(user_id)
        if self.store.read_only:
            raise StoreReadOnlyError(f"{self.store.path} is open read-only: feedback is a "
                                     "write; open the memory writable to give it")
        result = give_feedback(retrieval_id, reward, note_ids, self.store,
                               self.config.feedback.learning_rate, user)
        return self._after_feedback(result, user, check_reward(reward), episode)

    def feedback_note(self, note_id: str, reward: float, *,
                      user_id: str | None = None) -> FeedbackResult:
        """Reward one note without a retrieval id at hand (as mem0's feedback does).

        The reward goes to the latest retrieval of ``user_id`` that returned the note, so it
        is conditioned on that query like any feedback; a note no search has returned gets a
        retrieval of its own with no query, and the reward then counts for every query.
        """
        note = self.get(note_id, user_id=user_id)
        retrieval_id = self.store.last_retrieval_of(note.scope.user_id, note_id)
        if retrieval_id is None:
            retrieval_id = uuid.uuid4().hex
            self.store.record_retrieval(retrieval_id, note.scope, "", [note_id])
        return self.feedback(retrieval_id, reward, [note_id], user_id=user_id)

    # -- notes -------------------------------------------------------------------------------
    def list_notes(self, user_id: str | None = None, *, agent_id: str | None = None,
                   session_id: str | None = None, limit: int = 100, offset: int = 0,
                   filters: Filters | None = None, include_deleted: bool = False,
                   include_superseded: bool = False, newest_first: bool = False) -> list[Note]:
        """One page of a user's current notes, oldest first or ``newest_first`` (agent,
        session and ``filters`` narrow it; ``include_deleted`` adds the soft-deleted ones,
        ``include_superseded`` past facts: notes superseded or retracted, as a search has
        them)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_INT:
            raise InvalidInputError(f"limit must be a positive integer up to {_MAX_INT}, "
                                    f"not {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_INT:
            raise InvalidInputError(f"offset must be an integer from 0 to {_MAX_INT}, "
                                    f"not {offset!r}")
        scope = Scope(require_user(user_id), agent_id, session_id)
        filters = _validity(filters, include_superseded)
        with self.store.snapshot():  # the notes and their links of one state
            return self.store.list_notes(scope, filters, limit=limit, offset=offset,
                                         include_deleted=include_deleted,
                                         newest_first=newest_first)

    def count_notes(self, user_id: str | None = None, *, agent_id: str | None = None,
                    session_id: str | None = None, include_superseded: bool = False,
                    filters: Filters | None = None) -> int:
        """How many notes ``list_notes`` pages through (current ones, past facts too with
        ``include_superseded``; deleted ones never)."""
        scope = Scope(require_user(user_id), agent_id, session_id)
        return self.store.count_notes(scope, _validity(filters, include_superseded))

    def get(self, note_id: str, *, user_id: str | None = None,
            include_deleted: bool = False) -> Note:
        """One of ``user_id``'s notes by id; a note of another user is not found."""
        user = require_user(user_id)
        if not isinstance(note_id, str):
            raise InvalidInputError(f"note_id must be a string, not {type(note_id).__name__}")
        note = self.store.get_notes([note_id], include_deleted=include_deleted).get(note_id)
        if note is None or note.scope.user_id != user:
            raise NotFoundError(f"no note with id {note_id!r}; search to find note ids")
        return note

    def update(self, note_id: str, content: str, *, user_id: str | None = None,
               reason: str = "edited", actor: str = "user") -> Note:
        """Replace a note's content; attributes and vectors are rebuilt, history keeps the old.

        The note is rebuilt from the version read; if another writer changes it before the
        edit commits, it is read and rebuilt again (provenance merged meanwhile is kept).
        """
        for attempt in range(1, EDIT_ATTEMPTS + 1):
            old = self.get(note_id, user_id=user_id)
            text = clean_text(content, self.config.write.max_content_chars, "content")
            note = revised(old, text, enricher=self.enricher, embedder=self.embedder,
                           config=self.config.write)
            clash = self.store.note_ids_for_hashes(old.scope, [note.content_hash])
            if clash and clash[note.content_hash] != note_id:
                raise InvalidInputError(
                    f"note {clash[note.content_hash]} already holds this content")
            try:
                self.store.update_note(note, reason, actor)
                break
            except WriteConflictError:
                if attempt == EDIT_ATTEMPTS:
                    raise
        return self.get(note_id, user_id=user_id)

    def delete(self, note_id: str, *, user_id: str | None = None, reason: str = "deleted",
               actor: str = "user") -> None:
        """Soft-delete one of ``user_id``'s notes (``undo_delete`` brings it back)."""
        self.get(note_id, user_id=user_id)
        self.store.delete_note(note_id, reason, actor)

    def undo_delete(self, note_id: str, *, user_id: str | None = None,
                    actor: str = "user") -> Note:
        """Bring back a soft-deleted note of ``user_id`` (and its lexical index entry)."""
        self.get(note_id, user_id=user_id, include_deleted=True)
        self.store.restore_note(note_id, actor)
        return self.get(note_id, user_id=user_id)

    def reopen(self, note_id: str, *, user_id: str | None = None, actor: str = "user") -> Note:
        """Undo a supersession: the note holds again (a default search returns it), as if
        the input that superseded it had been added beside it; its successor stays, without
        the supersession link and its valid_from. Raises InvalidInputError for a note that
        is current."""
        self.get(note_id, user_id=user_id)
        self.store.reopen_note(note_id, actor)
        return self.get(note_id, user_id=user_id)

    def release(self, note_id: str, *, user_id: str | None = None,
                reason: str = "released from quarantine", actor: str = "user") -> Note:
        """Let a quarantined note of ``user_id`` out: searches return it again and feedback
        counts for it (a RELEASE history row says who and why)."""
        return self._quarantine(note_id, False, user_id, reason, actor)

    def quarantine(self, note_id: str, *, user_id: str | None = None,
                   reason: str = "quarantined by hand", actor: str = "user") -> Note:
        """Hold back a note of ``user_id`` the detector let through, as it would have: kept
        and listed, never returned by a default search nor promoted by feedback."""
        return self._quarantine(note_id, True, user_id, reason, actor)

    def _quarantine(self, note_id: str, quarantined: bool, user_id: str | None, reason: str,
                    actor: str) -> Note:
        note = self.get(note_id, user_id=user_id)
        self.store.set_quarantined(note.id, quarantined, clean_text(reason, 1000, "reason"),
                                   clean_text(actor, 200, "actor"))
        return self.get(note_id, user_id=user_id)

    def history(self, note_id: str, *, user_id: str | None = None) -> list[HistoryEntry]:
        """Every change to one of ``user_id``'s notes (deleted ones too), oldest first."""
        self.get(note_id, user_id=user_id, include_deleted=True)
        return self.store.history(note_id)

    def links(self, note_id: str, *, user_id: str | None = None) -> list[Link]:
        """The links of one of ``user_id``'s notes (to notes of the same user)."""
        return list(self.get(note_id, user_id=user_id).links)

    def delete_user(self, user_id: str | None = None, *, reason: str = "user deleted",
                    actor: str = "admin") -> int:
        """Soft-delete every live note of ``user_id`` in one transaction (each note's
        ``undo_delete`` brings it back); returns how many were deleted."""
        user = require_user(user_id)
        gone: list[str] = []
        while page := self.list_notes(user, limit=1000, offset=len(gone),
                                      include_superseded=True):
            gone += [n.id for n in page]
        self.store.write(WriteBatch(actor=actor, deletes=tuple(
            NoteDelete(note_id, user, reason) for note_id in gone)))
        return len(gone)

    def export(self, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every note of ``user_id`` with its history, as JSON-ready dicts read page by page
        as they are used (``asem.transfer``)."""
        return export_notes(self, require_user(user_id))

    def import_notes(self, lines: Iterable[str | bytes], *,
                     user_id: str | None = None) -> ImportResult:
        """Store the live notes of export lines for ``user_id`` (``asem.transfer``)."""
        return import_notes(self, lines, require_user(user_id))

    def stats(self, user_id: str | None = None, *, all_users: bool = False) -> dict[str, Any]:
        """Counts for ``user_id``: notes, deleted notes, links, retrievals, feedback uses,
        mean utility (plus the database path and size), and under ``lifecycle`` the
        short-term, expired, archived and forgotten notes, the latest maintenance run and
        the notes' age and utility distributions. ``all_users=True``, without a user, counts
        every tenant (an operator's view)."""
        if all_users:
            if user_id is not None:
                raise InvalidInputError("give user_id or all_users=True, not both")
            return self.store.stats(None) | self._lifecycle_stats(None)
        user = require_user(user_id)
        return self.store.stats(user) | self._lifecycle_stats(user)

    def close(self) -> None:
        """Stop the LLM worker (its unfinished jobs stay queued) and the maintenance loop,
        and close the store."""
        if self.worker is not None:
            self.worker.stop()
        if self._maintenance is not None:
            self._maintenance.stop()
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _validity(filters: Filters | None, include_superseded: bool) -> Filters:
    """``filters`` (checked) with ``include_superseded`` set when asked for."""
    if filters is not None and not isinstance(filters, Filters):
        raise InvalidInputError("filters must be an asem.Filters, e.g. Filters(tags=('pets',))")
    filters = filters or Filters()
    return replace(filters, include_superseded=True) if include_superseded else filters


def _speaker(value: object) -> str | None:
    """A speaker name, or None; anything else (a list, a number) is refused, not dropped."""
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"speaker must be a string naming who spoke, not "
                                f"{type(value).__name__}")
    return value


__all__ = ["Memory", "Progress"]
