"""Concurrent writers: every acknowledged merge survives, and readers never see half a write.

Every input merges into its nearest note (``AlwaysMerge``, HashEmbedder: exact), so after N
concurrent merges into one note, the note must hold every input exactly once. Before writes
checked the versions they were decided on, two threads sharing one Memory lost a merge in
10 rounds of 10, and two processes in 2 of 8.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path

import pytest

from asem import Memory, Op, WriteConfig
from asem.config import GuardConfig, MemoryConfig
from asem.errors import WriteConflictError
from asem.providers import HashEmbedder
from asem.stores.base import Merge, WriteBatch
from asem.types import Decision, Tier
from asem.write.inputs import content_hash
from asem.write.manager import AlwaysMerge, Proposal

SEED = "Buddy is a golden retriever"


@pytest.fixture
def db_path(store_target):
    """Every test here runs on SQLite and on PostgreSQL."""
    return store_target


def merging(path: Path) -> Memory:
    # Every input must reach the manager: the injection detector is off, as a quarantined
    # input is never merged (the text-only head holds back 4 of these 80 inputs).
    return Memory(path, embedder=HashEmbedder(), manager=AlwaysMerge(), background=False,
                  config=MemoryConfig(guard=GuardConfig(quarantine=False)))


def seeded(path: Path) -> str:
    with merging(path) as memory:
        (result,) = memory.add(SEED, user_id="u")
    return result.note_id


def said(worker: int, i: int) -> str:
    return f"worker {worker} adds fact {i} about Buddy"


def run_threads(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            start.wait()
            work(worker)
        except BaseException as e:  # reported below: a thread's error must fail the test
            failures.append(e)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert not any(t.is_alive() for t in threads)


def lines_of_live_notes(path: Path) -> list[str]:
    with merging(path) as memory:
        index = memory.store.vector_index("u")
        notes = memory.store.get_notes(index.ids)
    return [line for note in notes.values() for line in note.content.split("\n")]


def assert_every_merge_kept(path: Path, seed_id: str, acknowledged: list[tuple[str, Op, str]]):
    """Each acknowledged input is in the seed note, exactly once; nothing else is stored."""
    assert {op for _, op, _ in acknowledged} == {Op.UPDATE}
    assert {note_id for _, _, note_id in acknowledged} == {seed_id}
    lines = lines_of_live_notes(path)
    assert sorted(lines) == sorted([SEED, *(text for text, _, _ in acknowledged)])


def merged_by_threads(count: int, each: int,
                      memory_of: Callable[[int], AbstractContextManager[Memory]]):
    """``count`` threads add ``each`` inputs, through the memory ``memory_of(thread)``."""
    acknowledged: list[tuple[str, Op, str]] = []

    def work(worker: int) -> None:
        with memory_of(worker) as memory:
            for i in range(each):
                (result,) = memory.add(said(worker, i), user_id="u")
                acknowledged.append((said(worker, i), result.op, result.note_id))

    run_threads(count, work)
    assert len(acknowledged) == count * each
    return acknowledged


def test_threads_sharing_one_memory_keep_every_merge(db_path):
    seed_id = seeded(db_path)
    with merging(db_path) as memory:
        acknowledged = merged_by_threads(8, 10, lambda worker: nullcontext(memory))
    assert_every_merge_kept(db_path, seed_id, acknowledged)


def test_threads_with_a_memory_each_on_one_file_keep_every_merge(db_path):
    seed_id = seeded(db_path)
    acknowledged = merged_by_threads(4, 8, lambda worker: merging(db_path))
    assert_every_merge_kept(db_path, seed_id, acknowledged)


_WRITER = """
import json, sys, time
from pathlib import Path
from asem import Memory
from asem.providers import HashEmbedder
from asem.write.manager import AlwaysMerge

path, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
with Memory(path, embedder=HashEmbedder(), manager=AlwaysMerge(), background=False) as memory:
    while not go.exists():
        time.sleep(0.005)
    done = []
    for i in range(count):
        text = f"worker {worker} adds fact {i} about Buddy"
        (result,) = memory.add(text, user_id="u")
        done.append([text, result.op.value, result.note_id])
print(json.dumps(done))
"""


def test_two_processes_on_one_file_keep_every_merge(db_path, tmp_path):
    seed_id = seeded(db_path)
    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(db_path), str(w), "15",
                                 str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for w in range(2)]
    go.touch()
    acknowledged = []
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err
        acknowledged += [(text, Op(op), note_id) for text, op, note_id in json.loads(out)]
    assert len(acknowledged) == 30
    assert_every_merge_kept(db_path, seed_id, acknowledged)


class Conflicting:
    """A store whose notes another writer changes every time before a write commits."""

    def __init__(self, store, times: int, content: str | None = None) -> None:
        self._store = store
        self.left = times
        self.content = content
        """What the other writer sets the note's content to (None: leaves it)."""
        self.locked = 0
        """Snapshots taken holding the write lock."""

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def snapshot(self, *, exclusive: bool = False, users=()):
        self.locked += exclusive
        return self._store.snapshot(exclusive=exclusive, users=users)

    def write(self, batch: WriteBatch) -> set[str]:
        if self.left and batch.expected:
            self.left -= 1
            (note_id, _), *_ = batch.expected
            note = self._store.get_notes([note_id])[note_id]
            if self.content is not None:
                note = replace(note, content=self.content,
                               content_hash=content_hash(self.content))
            self._store.update_note(note, "meanwhile", "other")
        return self._store.write(batch)


def test_a_write_whose_target_changed_is_decided_again_on_the_new_version(db_path):
    seed_id = seeded(db_path)
    with merging(db_path) as memory:
        store = Conflicting(memory.store, times=2)
        memory.store = store
        (result,) = memory.add("Buddy likes the beach", user_id="u")
        history = memory.history(seed_id, user_id="u")
    assert store.left == 0 and result.op is Op.UPDATE
    assert [h.op for h in history] == ["ADD", "UPDATE", "UPDATE", "UPDATE"]
    assert history[-1].new["content"] == f"{SEED}\nBuddy likes the beach"


def test_after_its_retries_a_write_is_decided_holding_the_write_lock(db_path):
    seed_id = seeded(db_path)
    config = MemoryConfig(write=WriteConfig(conflict_retries=1))
    with Memory(db_path, embedder=HashEmbedder(), manager=AlwaysMerge(), config=config) as memory:
        store = Conflicting(memory.store, times=1)
        memory.store = store
        (result,) = memory.add("Buddy likes the beach", user_id="u")
        assert store.locked == 1 and result.op is Op.UPDATE
        assert memory.get(seed_id, user_id="u").content == f"{SEED}\nBuddy likes the beach"


def test_no_lock_is_taken_while_nothing_conflicts(db_path):
    seeded(db_path)
    with merging(db_path) as memory:
        memory.store = store = Conflicting(memory.store, times=0)
        memory.add("Buddy likes the beach", user_id="u")
        assert store.locked == 0


def test_when_the_target_keeps_changing_the_write_fails_retryably_and_writes_nothing(db_path):
    """Only a store that lets notes change under its write lock (this fake) gets here."""
    seed_id = seeded(db_path)
    config = MemoryConfig(write=WriteConfig(conflict_retries=2))
    with Memory(db_path, embedder=HashEmbedder(), manager=AlwaysMerge(), config=config) as memory:
        memory.store = Conflicting(memory.store, times=3)
        with pytest.raises(WriteConflictError, match="retry it") as raised:
            memory.add("Buddy likes the beach", user_id="u")
        assert raised.value.note_ids == (seed_id,)
        assert "beach" not in memory.get(seed_id, user_id="u").content


def test_a_noop_on_a_note_that_changed_is_decided_again(db_path):
    with merging(db_path) as memory:
        (first,) = memory.add("Buddy is a golden retriever", user_id="u", turn_id="t1")
        memory.store = Conflicting(memory.store, times=1)
        (again,) = memory.add("Buddy is a golden retriever", user_id="u", turn_id="t2")
        assert again.op is Op.NOOP and again.note_id == first.note_id
        assert memory.get(first.note_id, user_id="u").provenance.turn_ids == ("t1", "t2")
        history = memory.history(first.note_id, user_id="u")
        assert [h.op for h in history] == ["ADD", "UPDATE", "NOOP"]


class ReplaceNearest:
    """DELETE the nearest note and store the input instead: one live note at all times."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        """The nearest candidate's content, per decision."""

    def decide(self, proposal: Proposal) -> Decision:
        self.shown.append(proposal.candidates[0].content if proposal.candidates else "")
        if not proposal.candidates:
            return Decision(Op.ADD, tier=Tier.LONG_TERM)
        return Decision(Op.DELETE, proposal.candidates[0].note_id, tier=Tier.LONG_TERM,
                        reason="replaced")


def test_a_delete_of_a_note_that_changed_is_decided_again(db_path):
    seed_id = seeded(db_path)
    manager = ReplaceNearest()
    with Memory(db_path, embedder=HashEmbedder(), manager=manager) as memory:
        memory.store = store = Conflicting(memory.store, times=1, content="Buddy is a puppy")
        (result,) = memory.add("Buddy is a black labrador", user_id="u")
        assert store.left == 0 and result.op is Op.DELETE and result.note_id == seed_id
        assert manager.shown == [SEED, "Buddy is a puppy"]
        assert [h.op for h in memory.history(seed_id, user_id="u")] == ["ADD", "UPDATE", "DELETE"]
        assert memory.stats("u")["notes"] == 1


def test_readers_beside_writers_never_see_half_a_write(db_path):
    """A replacement deletes one note and adds another in one commit: a reader on the shared
    memory, or on its own, always finds exactly one live note, and nothing raises."""
    with Memory(db_path, embedder=HashEmbedder(), manager=ReplaceNearest()) as memory, \
            Memory(db_path, embedder=HashEmbedder(), manager="rule") as other:
        memory.add("My flight leaves from gate 1", user_id="u")
        written = threading.Event()
        seen: list[int] = []

        def work(worker: int) -> None:
            if worker < 2:  # writers
                for i in range(15):
                    memory.add(f"My flight leaves from gate {worker * 100 + i + 2}", user_id="u")
                written.set()
                return
            reader = memory if worker % 2 else other
            while not written.is_set():
                hits = reader.search("which gate does my flight leave from", user_id="u", k=5)
                seen.append(("hits", len(hits), worker))
                seen.append(("stats", reader.stats("u")["notes"], worker))
                for hit in hits:
                    stored = reader.get(hit.note.id, user_id="u", include_deleted=True)
                    assert stored.content == hit.note.content

        run_threads(6, work)
        assert memory.stats("u")["notes"] == 1
    assert seen and {n for _, n, _ in seen} == {1}, [s for s in seen if s[1] != 1]


class EditedMeanwhile:
    """A store where another writer records a turn on the note just before an edit commits."""

    def __init__(self, store) -> None:
        self._store = store
        self.left = 1

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def update_note(self, note, reason: str, actor: str) -> None:
        if self.left:
            self.left -= 1
            self._store.write(WriteBatch(merges=(Merge(note.id, ("t2",), "meanwhile"),)))
        self._store.update_note(note, reason, actor)


def test_an_edit_of_a_note_that_changed_meanwhile_is_rebuilt_on_the_new_version(db_path):
    with merging(db_path) as memory:
        (r,) = memory.add(SEED, user_id="u", turn_id="t1")
        memory.store = EditedMeanwhile(memory.store)
        edited = memory.update(r.note_id, "Buddy is a black labrador", user_id="u")
    assert edited.content == "Buddy is a black labrador"
    assert edited.provenance.turn_ids == ("t1", "t2")


def test_an_update_keeps_the_feedback_given_since_the_note_was_read(db_path):
    with merging(db_path) as memory:
        (r,) = memory.add(SEED, user_id="u")
        read = memory.get(r.note_id, user_id="u")
        hits = memory.search("golden retriever", user_id="u")
        memory.feedback(hits.retrieval_id, 1.0, user_id="u")
        memory.store.update_note(replace(read, context="a dog"), "edited", "user")
        note = memory.get(r.note_id, user_id="u")
    assert note.context == "a dog" and note.utility == pytest.approx(0.55)
    assert note.usage_count == 1


def test_every_change_to_a_note_moves_its_version_and_feedback_does_not(db_path):
    with merging(db_path) as memory:
        (r,) = memory.add(SEED, user_id="u", turn_id="t1")
        versions = [memory.get(r.note_id, user_id="u").version]
        memory.add("Buddy likes the beach", user_id="u")  # merged into it
        versions.append(memory.get(r.note_id, user_id="u").version)
        memory.store.write(WriteBatch(merges=(Merge(r.note_id, ("t9",), "provenance"),)))
        versions.append(memory.get(r.note_id, user_id="u").version)
        hits = memory.search("golden retriever", user_id="u")
        memory.feedback(hits.retrieval_id, 1.0, user_id="u")
        versions.append(memory.get(r.note_id, user_id="u").version)
        memory.delete(r.note_id, user_id="u")
        memory.undo_delete(r.note_id, user_id="u")
        versions.append(memory.get(r.note_id, user_id="u").version)
    assert versions == [1, 2, 3, 3, 5]


def test_a_server_reports_a_write_conflict_as_409():
    pytest.importorskip("fastapi")
    from asem.server.errors import status_of

    assert status_of(WriteConflictError("retry it", ("n1",))) == (409, "write_conflict")
