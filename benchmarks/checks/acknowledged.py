"""Is every acknowledged input in the store exactly once? Read by SQL, on either store.

What "present exactly once" means with the default (learned) manager. Every input carries a
turn id of its own; a note's provenance keeps the turn ids of every input it holds: the one
it was added for, those the manager merged into it (UPDATE), recorded on it (NOOP, an exact
repeat) or that an edit kept. A note is *current* when it is neither deleted nor superseded.
For an acknowledged input with turn id t:

- the manager discarded it (a NOOP naming no note): nothing is to be held ("discarded");
- otherwise the note its answer named (the note added, merged into or recorded on; the note
  added after a DELETE or SUPERSEDE) must hold t, else it is **lost**;
- t held by two or more current notes: **duplicated**;
- t held by exactly one current note: present;
- t held by no current note: present only when every note holding it ended with a history
  row that says so (DELETE, ARCHIVE, a supersession: a decision, counted as "ended"),
  else **lost**;
- an input added as a note that no later change touched (its history has no UPDATE) must
  be that note's content word for word, else **lost** (a write landed over it).

Also **duplicated**: two current notes of one scope with the same content.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.store_audit import Target, is_url, rows


@dataclass(frozen=True)
class StoredNote:
    id: str
    user_id: str
    content: str
    turn_ids: tuple[str, ...]
    deleted: bool
    superseded: bool
    utility: float

    @property
    def current(self) -> bool:
        return not self.deleted and not self.superseded


@dataclass
class Stored:
    """The notes, history and feedback log of a store, as read after a run."""

    notes: dict[str, StoredNote]
    history: dict[str, list[tuple[str, str, Any]]] = field(default_factory=dict)
    """note id → (op, actor, new) per history row, oldest first."""
    feedback: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    """note id → (reward, learning rate, utility before) per increment, in commit order."""

    def holders(self) -> dict[tuple[str, str], list[StoredNote]]:
        found: dict[tuple[str, str], list[StoredNote]] = defaultdict(list)
        for note in self.notes.values():
            for turn in note.turn_ids:
                found[note.user_id, turn].append(note)
        return found

    def ops(self, note_id: str) -> list[str]:
        return [op for op, _, _ in self.history.get(note_id, [])]


def read(target: Target) -> Stored:
    notes = {}
    for r in rows(target, "SELECT id, user_id, content, turn_ids, deleted_at IS NOT NULL, "
                          "valid_until IS NOT NULL, utility FROM notes"):
        turns = r[3] if is_url(target) else json.loads(r[3])
        notes[r[0]] = StoredNote(r[0], r[1], r[2], tuple(turns), bool(r[4]), bool(r[5]),
                                 float(r[6]))
    stored = Stored(notes)
    for note_id, op, actor, new in rows(target, "SELECT note_id, op, actor, new FROM history "
                                                "ORDER BY id"):
        stored.history.setdefault(note_id, []).append(
            (op, actor, json.loads(new) if new else None))
    for note_id, reward, rate, before in rows(
            target, "SELECT note_id, reward, learning_rate, utility_before FROM note_feedback "
                    "ORDER BY id"):
        stored.feedback.setdefault(note_id, []).append((reward, rate, before))
    return stored


@dataclass(frozen=True)
class Input:
    """One acknowledged input: its tenant, text, turn id and what the write answered."""

    user_id: str
    text: str
    turn: str
    op: str | None
    """The operation answered; None when the answer named no note per input (a chat file
    ingested whole): the turn must then be held by a note, whichever."""
    note_id: str
    added_id: str | None = None

    @property
    def holder(self) -> str:
        return (self.added_id or "") if self.op in ("DELETE", "SUPERSEDE") else self.note_id


def presence(stored: Stored, inputs: Iterable[Input]) -> tuple[dict[str, int], dict[str, int]]:
    """(zero-counts ``lost``, ``duplicated``; other counts) for the acknowledged inputs."""
    holders = stored.holders()
    zero = Counter(lost=0, duplicated=0)
    other = Counter(present=0, discarded=0, ended=0)
    for item in inputs:
        if item.op is not None and not item.holder:
            other["discarded"] += 1
            continue
        held = holders.get((item.user_id, item.turn), [])
        current = [n for n in held if n.current]
        named = stored.notes.get(item.holder) if item.op is not None else None
        if (not held if item.op is None
                else named is None or item.turn not in named.turn_ids):
            zero["lost"] += 1
        elif len(current) > 1:
            zero["duplicated"] += 1
        elif current:
            other["present"] += 1
        elif all(_ended(stored, n) for n in held):
            other["ended"] += 1
        else:
            zero["lost"] += 1
        if (named is not None and item.op == "ADD" and "UPDATE" not in stored.ops(named.id)
                and named.content != item.text):
            zero["lost"] += 1
    live = Counter((n.user_id, n.content) for n in stored.notes.values() if n.current)
    zero["duplicated"] += sum(c - 1 for c in live.values() if c > 1)
    return dict(zero), dict(other)


def _ended(stored: Stored, note: StoredNote) -> bool:
    ops = stored.ops(note.id)
    if note.deleted:
        return bool({"DELETE", "ARCHIVE", "FORGET"} & set(ops))
    return note.superseded and "SUPERSEDE" in ops


def feedback_replay(stored: Stored, applied: Counter[str]) -> dict[str, int]:
    """Lost or extra increments (``applied``: note id → increments acknowledged), and notes
    whose utility is not the serial replay of their log, q ← q + α(r − q) from the utility
    the note was added with (each logged ``utility before`` must be the replayed one)."""
    lost = sum(abs(applied[n] - len(stored.feedback.get(n, ()))) for n in
               set(applied) | set(stored.feedback))
    wrong = 0
    for note in stored.notes.values():
        added = next((new for op, _, new in stored.history.get(note.id, []) if op == "ADD"),
                     None)
        if added is None:
            continue  # no ADD row: a half-written note, counted by the store audit
        q = float(added["utility"])
        for reward, rate, before in stored.feedback.get(note.id, []):
            if abs(before - q) > 1e-9:
                wrong += 1
                break
            q = q + rate * (reward - q)
        else:
            wrong += abs(note.utility - q) > 1e-9
    return {"feedback increments lost": lost, "utility not the replay": wrong}
