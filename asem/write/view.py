"""The memory as one batch sees it while its inputs are decided in order.

Stored notes are read once and kept at the version read, so every decision of the batch
is made on one view of each note, and the versions the batch is checked against at commit
are the versions it decided on. The changes of earlier inputs lie on top: a note added a
moment ago is found, one updated is found as updated, one deleted is gone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from asem.stores.base import Store
from asem.types import Note, Scope
from asem.write.inputs import WriteInput
from asem.write.link import Neighbourhood
from asem.write.manager import Candidate
from asem.write.plan import Step


class BatchView:
    """Stored notes as first read, with the batch's own changes on top."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._read: dict[str, Note] = {}
        """Stored notes by id, as first read by this batch."""
        self._changed: dict[str, Note | None] = {}
        """Notes the batch added or updated so far (None: deleted)."""
        self._known: dict[tuple[Scope, str], str] = {}
        """(scope, content hash) → id of the live note holding that content."""
        self._places: dict[str, Neighbourhood] = {}

    @classmethod
    def of(cls, store: Store, items: Sequence[WriteInput], hashes: Sequence[str]) -> BatchView:
        """A fresh view, knowing which of ``items`` repeat content stored in their scope."""
        view = cls(store)
        by_scope: dict[Scope, set[str]] = {}
        for item, digest in zip(items, hashes, strict=True):
            by_scope.setdefault(item.scope, set()).add(digest)
        holders = {(scope, digest): note_id
                   for scope, digests in by_scope.items()
                   for digest, note_id in store.note_ids_for_hashes(scope, sorted(digests)).items()}
        notes = view._lookup(sorted(set(holders.values())))
        for (scope, digest), note_id in holders.items():
            if note_id in notes and notes[note_id].content_hash == digest:  # not rewritten since
                view._known[scope, digest] = note_id
        return view

    # -- what the decisions read -------------------------------------------------------------
    def repeated(self, scope: Scope, digest: str) -> Note | None:
        """The live note holding content with hash ``digest`` in ``scope``, stored before the
        batch or written by it so far (the store is not asked again)."""
        note_id = self._known.get((scope, digest))
        return self.current(note_id) if note_id is not None else None

    def holder(self, scope: Scope, digest: str) -> Note | None:
        """Like ``repeated``, asking the store for content not seen yet."""
        if (scope, digest) not in self._known:
            found = self._store.note_ids_for_hashes(scope, [digest]).get(digest)
            if found is None or found in self._changed:
                return None
            note = self._lookup([found]).get(found)
            if note is None or note.content_hash != digest:
                return None
            self._known[scope, digest] = found
        return self.repeated(scope, digest)

    def current(self, note_id: str) -> Note | None:
        """The note as this batch has left it so far (None if it is gone)."""
        if note_id in self._changed:
            return self._changed[note_id]
        return self._lookup([note_id]).get(note_id)

    def nearest(self, scope: Scope, embedding: np.ndarray, intent: np.ndarray,
                k: int) -> list[Candidate]:
        """The k nearest notes in ``scope`` (see ``Neighbourhood.nearest``)."""
        return self._neighbourhood(scope.user_id).nearest(scope, embedding, intent, k)

    def gone(self) -> set[str]:
        """Ids of the notes the batch deleted or superseded so far."""
        return {note_id for note_id, note in self._changed.items() if note is None}

    # -- what the decisions change -----------------------------------------------------------
    def record(self, step: Step) -> Step:
        """Lay ``step``'s changes on the view (later inputs see them); returns it."""
        if step.delete is not None:
            self._forget(step.delete.note_id)
            self._changed[step.delete.note_id] = None
            self._neighbourhood(step.delete.user_id).remove(step.delete.note_id)
        if step.supersede is not None:  # kept, but no longer what inputs are decided on
            self._forget(step.supersede.note_id)
            self._changed[step.supersede.note_id] = None
            self._neighbourhood(step.supersede.user_id).remove(step.supersede.note_id)
        if step.new is not None:
            self._lay(step.new.note)
        if step.update is not None:
            self._forget(step.update.note.id)
            self._lay(step.update.note)
        return step

    def _lay(self, note: Note) -> None:
        self._known[note.scope, note.content_hash] = note.id
        self._changed[note.id] = note
        self._neighbourhood(note.scope.user_id).add(note)

    def _forget(self, note_id: str) -> None:
        """Its content is no longer known to be held by the note (it changes or goes)."""
        old = self.current(note_id)
        if old is not None and self._known.get((old.scope, old.content_hash)) == note_id:
            del self._known[old.scope, old.content_hash]

    def _neighbourhood(self, user_id: str) -> Neighbourhood:
        if user_id not in self._places:
            self._places[user_id] = Neighbourhood(self._store.vector_index(user_id),
                                                  self._lookup,
                                                  self._store.quarantined_ids(user_id))
        return self._places[user_id]

    def _lookup(self, ids: Sequence[str]) -> dict[str, Note]:
        """Stored live notes by id, each as first read."""
        missing = [i for i in ids if i not in self._read]
        if missing:
            self._read.update(self._store.get_notes(missing))
        return {i: self._read[i] for i in ids if i in self._read}
