"""The lifecycle calls of ``Memory``: confirm, restore, maintain, forget, forget_user.

Kept out of ``asem.memory`` (the facade's core) as a base class of ``Memory``; each call
checks the tenant as every public call does and hands the work to ``asem.lifecycle``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from asem.config import ReadConfig, TenantSettings
from asem.errors import InvalidInputError, NotConfiguredError, StoreReadOnlyError
from asem.lifecycle.consolidate import NoteFolder
from asem.lifecycle.experience import Episode, remember, used_notes
from asem.lifecycle.maintain import MaintainedStore, MaintenanceReport, maintain, maintain_all
from asem.lifecycle.stats import distributions
from asem.llm.retry import RetryPolicy
from asem.stores.base import Eraser, RetrievalLog
from asem.types import FeedbackResult, Note, Scope, now, require_user, utc_naive

if TYPE_CHECKING:
    from asem.memory import Memory


class LifecycleAPI:
    """Memory over months (``docs/lifecycle.md``)."""

    def confirm(self, note_id: str, *, user_id: str | None = None,
                actor: str = "user") -> Note:
        """Keep one of ``user_id``'s short-term notes: it becomes long-term and never expires
        (a long-term note is left as it is). Returns the note."""
        memory = self._memory()
        memory.get(note_id, user_id=user_id)
        self._lifecycle_store().promote([note_id], "confirmed", actor)
        return memory.get(note_id, user_id=user_id)

    def restore(self, note_id: str, *, user_id: str | None = None, actor: str = "user") -> Note:
        """Bring back one of ``user_id``'s archived notes (expired or over budget): it is
        searched and listed again; an expired short-term note comes back long-term."""
        memory = self._memory()
        memory.get(note_id, user_id=user_id, include_deleted=True)
        self._lifecycle_store().unarchive(note_id, actor)
        return memory.get(note_id, user_id=user_id)

    def maintain(self, user_id: str | None = None, *, all_users: bool = False,
                 dry_run: bool = False, max_notes: int | None = None,
                 max_tokens: int | None = None, at: datetime | None = None,
                 progress: Callable[[int, int], None] | None = None
                 ) -> list[MaintenanceReport]:
        """Expire ``user_id``'s short-term notes and bring it within its budget by archiving
        (superseded notes first, then by keep score; over the note count a note folds into
        its nearest kept note where one is close; ``asem.lifecycle.maintain``). One report
        per tenant; ``all_users=True``, without a user, runs for every tenant (an operator's
        call). ``max_notes``/``max_tokens`` replace the configured budget for this run;
        ``dry_run`` changes nothing; ``at`` is the time to judge expiry and recency at."""
        memory = self._memory()
        if all_users and user_id is not None:
            raise InvalidInputError("give user_id or all_users=True, not both")
        user = None if all_users else require_user(user_id)
        if not dry_run and memory.store.read_only:
            raise StoreReadOnlyError(f"{memory.store.path} is open read-only: maintenance "
                                     "archives notes; run it with --dry-run or open it writable")
        for name, value in (("max_notes", max_notes), ("max_tokens", max_tokens)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise InvalidInputError(f"{name} must be an integer of at least 0, not {value!r}")
        when = utc_naive(at) if at is not None else now()
        config = memory.config.lifecycle
        limits = None
        if max_notes is not None or max_tokens is not None:
            base = config.for_tenant(user) if user else TenantSettings(
                config.max_notes, config.max_tokens, config.short_term_days)
            limits = TenantSettings(max_notes if max_notes is not None else base.max_notes,
                                    max_tokens if max_tokens is not None else base.max_tokens,
                                    base.short_term_days)
        store = self._lifecycle_store()
        folder = NoteFolder(memory.store, memory.embedder, memory.enricher, memory.config.write)
        if user is None:
            return maintain_all(store, config, memory.config.feedback, when, dry_run=dry_run,
                                limits=limits, progress=progress, folder=folder)
        report = maintain(store, user, config, memory.config.feedback, when, dry_run=dry_run,
                          limits=limits, folder=folder)
        if progress:
            progress(1, 1)
        return [report]

    def forget(self, note_id: str, *, user_id: str | None = None, actor: str = "user") -> None:
        """Remove one of ``user_id``'s notes for good (unlike ``delete``, it cannot be undone):
        its text, vectors, lexical entry, links, history, turns and the retrievals that
        returned it; an audit row without content remains. Deleted and archived notes can be
        forgotten too."""
        self._memory().get(note_id, user_id=user_id, include_deleted=True)
        self._eraser().forget(require_user(user_id), [note_id], actor)

    def forget_user(self, user_id: str | None = None, *, actor: str = "admin") -> int:
        """Remove every note of ``user_id`` for good (deleted and archived ones too), with its
        retrievals and feedback; returns how many notes were forgotten."""
        user = require_user(user_id)  # the tenant first: a call without one fails closed
        return len(self._eraser().forget(user, None, actor))

    # -- hooks of the facade's core ---------------------------------------------------------
    def _read_config(self, user_id: str) -> ReadConfig:
        """The read settings of ``user_id``: its own timeliness weight, when it has one."""
        config = self._memory().config
        weight = config.lifecycle.for_tenant(user_id).timeliness_weight
        return config.read if weight is None else replace(config.read, timeliness_weight=weight)

    def _after_feedback(self, result: FeedbackResult, user_id: str, reward: float,
                        episode: bool | str | None) -> FeedbackResult:
        """Promote the short-term notes a positive reward found useful, and keep the episode
        as an experience note when asked (``episode``: True, or the answer given)."""
        memory = self._memory()
        promoted: list[str] = []
        if reward > 0 and result.utilities and hasattr(memory.store, "promote"):
            promoted = self._lifecycle_store().promote(
                list(result.utilities), f"rewarded ({reward:+.2f}) in retrieval "
                                        f"{result.retrieval_id}", "feedback")
        experience_id = None
        if episode is not None and episode is not False:
            if not isinstance(episode, bool | str):
                raise InvalidInputError("episode must be True or the answer given (text)")
            experience_id = self._experience(result, user_id, reward,
                                             episode if isinstance(episode, str) else None)
        return replace(result, experience_id=experience_id, promoted=tuple(promoted))

    def _experience(self, result: FeedbackResult, user_id: str, reward: float,
                    answer: str | None) -> str:
        memory = self._memory()
        found = (cast(RetrievalLog, memory.store).retrieval(result.retrieval_id, user_id)
                 if hasattr(memory.store, "retrieval") else None)  # a store without the log
        query, returned = found if found is not None else ("", [])
        used = used_notes(memory.store, list(result.utilities) or returned)
        episode = Episode(Scope(user_id), query, answer, reward, used)
        retry = RetryPolicy(memory.llm_config.retry_attempts,
                            memory.llm_config.retry_base_delay_s)
        return remember(episode, store=memory.store, embedder=memory.embedder,
                        enricher=memory.enricher, config=memory.config, llm=memory.llm,
                        meter=memory.llm_usage, retry=retry)

    # -- helpers ---------------------------------------------------------------------------
    def _memory(self) -> Memory:
        return cast("Memory", self)

    def _lifecycle_store(self) -> MaintainedStore:
        store = self._memory().store
        if not all(hasattr(store, m) for m in ("promote", "archive", "unarchive",
                                                "record_maintenance")):
            raise NotConfiguredError(f"the store {store.path} keeps no lifecycle (expiry, "
                                     "budgets); use the SQLite or PostgreSQL store")
        return cast(MaintainedStore, store)

    def _eraser(self) -> Eraser:
        store = self._memory().store
        if not hasattr(store, "forget"):
            raise NotConfiguredError(f"the store {store.path} cannot forget notes for good; "
                                     "delete them (soft) or use the SQLite or PostgreSQL store")
        return cast(Eraser, store)

    def _lifecycle_stats(self, user_id: str | None) -> dict[str, Any]:
        """The ``lifecycle`` part of ``stats``: counts and age/utility distributions."""
        store = self._memory().store
        if not hasattr(store, "life_signals"):
            return {}
        lifecycle = cast(MaintainedStore, store)
        return {"lifecycle": {**lifecycle.lifecycle_counts(user_id),
                              **distributions(lifecycle.life_signals(user_id), now())}}
