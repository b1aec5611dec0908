"""Applying manager decisions to one batch: what the batch will commit, kept consistent.

Later inputs of a batch see what earlier ones did (a note added, updated or deleted a
moment ago), and everything is committed in one transaction at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asem.stores.base import Merge, NewNote, NoteDelete, NoteUpdate, Store, Turn, WriteBatch
from asem.types import Decision, Note, Op, Scope, Tier, WriteResult
from asem.write.inputs import WriteInput
from asem.write.link import Neighbourhood

ALREADY_STORED = "same content is already stored"
ALREADY_SAID = "this turn is already stored"
"""The reason of a NOOP that records nothing: the input is a turn given again."""


@dataclass
class BatchChanges:
    """Notes to insert, update and delete, and provenance merges, for one write."""

    store: Store
    known: dict[tuple[Scope, str], str]
    """(scope, content hash) → id of the live note holding that content."""
    new: dict[str, NewNote] = field(default_factory=dict)
    updates: dict[str, NoteUpdate] = field(default_factory=dict)
    deletes: dict[str, NoteDelete] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    places: dict[str, Neighbourhood] = field(default_factory=dict)

    def neighbourhood(self, user_id: str) -> Neighbourhood:
        if user_id not in self.places:
            self.places[user_id] = Neighbourhood(self.store.vector_index(user_id),
                                                 self.store.get_notes)
        return self.places[user_id]

    def current(self, note_id: str) -> Note | None:
        """The note as this batch has left it so far (None if it is gone)."""
        if note_id in self.deletes:
            return None
        if note_id in self.updates:
            return self.updates[note_id].note
        if note_id in self.new:
            return self.new[note_id].note
        return self.store.get_notes([note_id]).get(note_id)

    def holder(self, scope: Scope, digest: str) -> str | None:
        """Id of the live note in ``scope`` holding content with hash ``digest``."""
        if (scope, digest) not in self.known:
            found = self.store.note_ids_for_hashes(scope, [digest]).get(digest)
            if found is None or found in self.deletes or found in self.updates:
                return None
            self.known[scope, digest] = found
        return self.known[scope, digest]

    def noop(self, target: str, item: WriteInput, reason: str) -> WriteResult:
        """A NOOP that still records where the input came from on the note it matched; one
        whose turns that note already holds (the same turns given again) records nothing."""
        note = self.current(target) if item.turn_ids else None
        if note is not None and set(item.turn_ids) <= set(note.provenance.turn_ids):
            return WriteResult(Op.NOOP, target, ALREADY_SAID)
        self.merges.append(Merge(target, item.turn_ids, reason))
        return WriteResult(Op.NOOP, target, reason)

    def add(self, note: Note, links: tuple[tuple[str, str, float], ...],
            reason: str) -> WriteResult:
        self.new[note.id] = NewNote(note, links, reason)
        self.neighbourhood(note.scope.user_id).add(note)
        self.known[note.scope, note.content_hash] = note.id
        return WriteResult(Op.ADD, note.id, reason, tier=note.tier)

    def update(self, old: Note, note: Note, reason: str) -> WriteResult:
        """Replace ``old`` by ``note`` (same id), or a NOOP if another note holds that text."""
        other = self.holder(note.scope, note.content_hash)
        if other is not None and other != note.id:
            item = WriteInput(note.content, note.scope, turn_ids=note.provenance.turn_ids)
            return self.noop(other, item, f"{reason}; the merged content is note {other}")
        if self.known.get((old.scope, old.content_hash)) == old.id:
            del self.known[old.scope, old.content_hash]
        self.known[note.scope, note.content_hash] = note.id
        self.updates[note.id] = NoteUpdate(note, reason)
        self.neighbourhood(note.scope.user_id).add(note)
        return WriteResult(Op.UPDATE, note.id, reason, tier=note.tier)

    def delete(self, note: Note, reason: str) -> WriteResult:
        self.updates.pop(note.id, None)
        self.deletes[note.id] = NoteDelete(note.id, note.scope.user_id, reason)
        if self.known.get((note.scope, note.content_hash)) == note.id:
            del self.known[note.scope, note.content_hash]
        self.neighbourhood(note.scope.user_id).remove(note.id)
        return WriteResult(Op.DELETE, note.id, reason)

    def batch(self, actor: str, turns: tuple[Turn, ...] = ()) -> WriteBatch:
        return WriteBatch(tuple(self.new.values()), tuple(self.merges), actor,
                          tuple(self.updates.values()), tuple(self.deletes.values()), turns)


def discarded(decision: Decision) -> WriteResult:
    return WriteResult(Op.NOOP, "", decision.reason or "discarded", tier=Tier.DISCARD)
