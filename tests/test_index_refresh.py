"""A cached vector index is patched, not reloaded, and ends exactly as a fresh load would.

Two ``Memory`` objects on one file stand for two processes (each its own connection):
whatever one writes, the other's index must match an index loaded from the file afresh —
the same live notes, vectors, validity, conversational neighbours, last turns, speakers,
conversations and replies (maps the index updates by each write, never rebuilds).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from asem import Memory, MemoryConfig
from asem.chat import ChatTurn
from asem.errors import ASEMError
from asem.providers import HashEmbedder
from asem.stores.dense import reply_map
from asem.stores.sqlite import SQLiteStore
from asem.stores.sqlite.index_cache import KEEP_CHANGES, index_bytes, prune_changes
from asem.stores.turns import Turn
from asem.stores.vector_index import IndexRow, VectorIndex
from asem.types import Message, Scope

STAMP = datetime(2024, 5, 8, 13, 0)
SPEAKERS = ("Ann", "Bob", "Cy")
WORDS = ("pottery", "lake", "studio", "dog", "Denver", "Boston", "piano", "soup", "trip", "bike")


def canonical(index: VectorIndex) -> dict:
    """What a search can see of an index, independent of row order."""
    live = index.scope_mask(Scope("u"))
    rows = [r for r in range(len(index)) if live[r]]
    now = datetime(2030, 1, 1)
    # the maps the index keeps say what a map built from every turn says
    assert index.replies_to([t.note_id for t in index.turns]) == reply_map(index.turns)
    return {
        index.ids[r]: (index.embeddings[r].tobytes(), index.intents[r].tobytes(),
                       bool(index.closed()[r]), bool(index.ended_by(now)[r]),
                       bool(index.valid_at(STAMP)[r]), bool(index.expired_by(now)[r]),
                       sorted(index.ids[n] for n in index.turn_neighbours(r)))
        for r in rows
    } | {"turns": list(index.turns),
         "last": {(t.agent_id, t.thread): index.last_turn(t.agent_id, t.thread)
                  for t in index.turns},
         "speakers": dict(index.speakers()), "threads": dict(index.threads()),
         "replies": index.replies_to([t.note_id for t in index.turns]),
         "said_by": {label: {index.ids[r] for r in index.said_rows(frozenset({label}))}
                     for label in index.speaker_labels()}}


def fresh(path) -> dict:
    store = SQLiteStore(path, embedder_id=HashEmbedder().model_id)
    try:
        return canonical(store.vector_index("u"))
    finally:
        store.close()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 3)) + f" {rng.randrange(10**6)}."


def operate(memory: Memory, rng: random.Random, clock: list[datetime]) -> None:
    """One random operation of the public API on user u."""
    clock[0] += timedelta(minutes=1)
    notes = memory.list_notes("u", limit=1000)
    kind = rng.choice(["chat", "chat", "add", "update", "delete", "undo", "feedback"])
    try:
        if kind == "chat" or not notes:
            session = f"s{rng.randrange(3)}"
            turns = [ChatTurn(Message(sentence(rng), rng.choice(SPEAKERS), clock[0],
                                      f"{session}:{rng.randrange(10**9)}"), session)
                     for _ in range(rng.randrange(1, 4))]
            memory.ingest(turns, user_id="u")
        elif kind == "add":
            memory.add(sentence(rng), user_id="u", timestamp=clock[0])
        elif kind == "update":
            memory.update(rng.choice(notes).id, sentence(rng), user_id="u")
        elif kind == "delete":
            memory.delete(rng.choice(notes).id, user_id="u")
        elif kind == "undo":
            gone = [n for n in memory.list_notes("u", limit=1000, include_deleted=True)
                    if n.deleted_at is not None]
            if gone:
                memory.undo_delete(rng.choice(gone).id, user_id="u")
        else:
            hits = memory.search(sentence(rng), user_id="u", k=3)
            if hits:
                memory.feedback(hits.retrieval_id, 1.0, user_id="u")
    except ASEMError:
        pass  # e.g. an undo refused because the same content is live again


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_index_kept_current_by_the_change_log_matches_a_fresh_load(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "shared.db"
    clock = [STAMP]
    with Memory(path, embedder=HashEmbedder()) as one, \
            Memory(path, embedder=HashEmbedder()) as two:
        for _ in range(5):
            operate(one, rng, clock)
        for memory in (one, two):  # both hold an index with every lookup built
            canonical(memory.store.vector_index("u"))
        loads = (one.store.index_loads, two.store.index_loads)
        for step in range(40):
            operate(rng.choice((one, two)), rng, clock)
            expected = fresh(path)
            for memory in (one, two):
                assert canonical(memory.store.vector_index("u")) == expected, step
        assert (one.store.index_loads, two.store.index_loads) == loads  # patched, never reloaded


def test_a_search_sees_another_processs_write_at_once(tmp_path):
    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder()) as reader, \
            Memory(path, embedder=HashEmbedder()) as writer:
        reader.add("I keep bees on the roof", user_id="u")
        assert [h.note.content for h in reader.search("bees", user_id="u")]
        note = writer.add("My sister plays the cello", user_id="u")[0]
        assert note.note_id in {h.note.id for h in reader.search("cello sister", user_id="u")}
        writer.delete(note.note_id, user_id="u")
        assert note.note_id not in {h.note.id for h in reader.search("cello", user_id="u")}
        assert reader.store.index_loads == 1


def test_a_reader_behind_a_pruned_change_log_reloads(tmp_path):
    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder()) as reader, \
            Memory(path, embedder=HashEmbedder()) as writer:
        reader.add("I keep bees on the roof", user_id="u")
        reader.search("bees", user_id="u")
        added = writer.add("My sister plays the cello", user_id="u")[0]
        conn = writer.store._conn
        conn.execute("INSERT INTO note_changes (seq, user_id, note_id) VALUES (?, 'x', 'x')",
                     (KEEP_CHANGES + 5000,))
        prune_changes(conn)  # the reader's next entry is gone
        assert added.note_id in {h.note.id for h in reader.search("cello", user_id="u")}
        assert reader.store.index_loads == 2


def test_indexes_beyond_the_cache_budget_are_evicted_least_recently_used_first(tmp_path):
    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder()) as memory:
        for user in ("a", "b", "c"):
            for i in range(3):
                memory.add(f"note {i} of {user} {sentence(random.Random(i))}", user_id=user,
                           manager="always-add")
        largest = max(index_bytes(memory.store.vector_index(u)) for u in ("a", "b", "c"))
    config = MemoryConfig(index_cache_mb=2.5 * largest / 2**20)  # room for two users
    with Memory(path, embedder=HashEmbedder(), config=config) as memory:
        for user in ("a", "b", "c"):
            memory.search("note", user_id=user)
        assert memory.store.cached_users() == ["b", "c"]
        memory.search("note", user_id="a")
        assert memory.store.cached_users() == ["c", "a"]
        assert memory.store.index_loads == 4


def test_compaction_drops_dead_rows_and_keeps_what_a_search_sees(tmp_path, monkeypatch):
    monkeypatch.setattr(VectorIndex, "compact_after", 50)
    rng = np.random.default_rng(0)
    path = tmp_path / "m.db"
    with Memory(path, embedder=HashEmbedder()) as memory:
        ids = sorted({r.note_id for r in memory.add(
            [Message(f"item {i} {WORDS[i % 10]}", SPEAKERS[i % 3], STAMP, f"t{i}")
             for i in range(300)], user_id="u", session_id="s", manager="always-add")})
        assert len(ids) == 300
        memory.search("item", user_id="u")
        for note_id in rng.choice(ids, size=150, replace=False):
            memory.delete(str(note_id), user_id="u")
        index = memory.store.vector_index("u")
        assert len(index) < 300  # compacted on the way
        assert canonical(index) == fresh(path)


def test_term_counts_are_exact_in_a_small_memory_and_recounted_after_one_percent(tmp_path):
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        memory.add("The kayak is red", user_id="u")
        memory.search("kayak", user_id="u")
        assert memory.store.term_stats("u", ["kayak"], [])["kayak"][0] == 1
        memory.add("Another kayak trip", user_id="u", manager="always-add")
        assert memory.store.term_stats("u", ["kayak"], [])["kayak"][0] == 2  # < 100 notes
        memory.add([Message(f"note {i} about {WORDS[i % 10]}", "Ann", STAMP)
                    for i in range(300)], user_id="u", manager="always-add")
        memory.search("kayak", user_id="u")
        assert memory.store.term_stats("u", ["kayak"], [])["kayak"][0] == 2
        for i in range(3):  # 3 of 302 notes changed: within 1 %, the count stands
            memory.add(f"kayak number {i}", user_id="u", manager="always-add")
        assert memory.store.term_stats("u", ["kayak"], [])["kayak"][0] == 2
        memory.add("kayak number 4", user_id="u", manager="always-add")
        assert memory.store.term_stats("u", ["kayak"], [])["kayak"][0] == 6


def test_term_stats_tell_which_candidates_hold_a_term_and_never_another_users(tmp_path):
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        mine = memory.add("The kayak is red", user_id="u")[0].note_id
        other = memory.add("My kayak is blue", user_id="v")[0].note_id
        plain = memory.add("Tea at noon", user_id="u")[0].note_id
        stats = memory.store.term_stats("u", ["kayak", "tea"], [mine, other, plain])
        assert stats == {"kayak": (1, {mine}), "tea": (1, {plain})}


def test_a_promotion_or_archive_by_another_process_reaches_a_cached_index(tmp_path):
    from tests.test_lifecycle import short_memory

    path = tmp_path / "m.db"
    with short_memory(path, days=0) as reader, short_memory(path, days=0) as writer:
        (note,) = reader.add("I am at the airport waiting for my flight", user_id="u")
        assert reader.search("airport", user_id="u").empty  # expired at once
        writer.confirm(note.note_id, user_id="u")  # promoted: long-term, never expires
        assert [h.note.id for h in reader.search("airport", user_id="u")] == [note.note_id]
        assert canonical(reader.store.vector_index("u")) == fresh(path)
        writer.maintain("u", max_notes=0)  # archived to keep the budget
        assert reader.search("airport", user_id="u").empty
        assert canonical(reader.store.vector_index("u")) == fresh(path)
        assert reader.store.index_loads == 1


def test_a_filtered_search_after_a_delete_masks_every_row(tmp_path):
    """Filters are matched against every row of the index, dead ones (masked) included."""
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        kept = memory.add("The kayak is red", user_id="u", session_id="s1")[0].note_id
        gone = memory.add("A kayak trip in May", user_id="u", session_id="s1",
                          manager="always-add")[0].note_id
        memory.search("kayak", user_id="u")
        memory.delete(gone, user_id="u")
        hits = memory.search("kayak", user_id="u", session_id="s1")
        assert [h.note.id for h in hits] == [kept]


def test_indexes_made_from_one_index_each_keep_their_own_rows_and_maps():
    """Rows are shared along a chain of indexes and appended to in place; an index extended
    a second time (from the same one) copies them, and every index keeps what it held."""

    def row(note_id: str, i: int) -> IndexRow:
        vector = np.eye(8, dtype=np.float32)[i]
        return IndexRow(note_id, vector, vector, "", "s", (None, None))

    said = [Turn("u", "", "c", "Ann", "a"), Turn("u", "", "c", "Bob", "b")]
    base = VectorIndex().patched([row("a", 0), row("b", 1)], (), said)
    assert base.row_of("a") == 0  # maps built: the next index takes them over
    one = base.patched([row("c", 2)], (), [Turn("u", "", "c", "Cy", "c")])
    two = base.patched([row("d", 3)], ["a"], [Turn("u", "", "c", "Dee", "d")])
    assert (list(base.ids), list(one.ids), list(two.ids)) == (
        ["a", "b"], ["a", "b", "c"], ["a", "b", "d"])
    assert [t.note_id for t in two.turns] == ["a", "b", "d"]
    assert two.turns[-1:] == [Turn("u", "", "c", "Dee", "d")]
    assert (one.row_of("c"), two.row_of("c"), two.row_of("a"), base.row_of("a")) == (
        2, None, None, 0)
    assert one.replies_to(["b"]) == {"b": ("c",)} and two.replies_to(["b"]) == {"b": ("d",)}
    assert base.replies_to(["b"]) == {} and base.speaker_labels() == {"ann", "bob"}
    assert [two.turn_neighbours(r) for r in range(3)] == [(), (2,), (1,)]
    with pytest.raises(IndexError):
        base.ids[2]


def test_the_agent_and_session_masks_of_an_index_are_extended_by_each_write(monkeypatch):
    def row(i: int, agent: str, session: str) -> IndexRow:
        vector = np.eye(16, dtype=np.float32)[i]
        return IndexRow(f"n{i}", vector, vector, agent, session, (None, None))

    def expected(index: VectorIndex, scope: Scope) -> list[bool]:
        return [index.row_of(i) == r and scope.agent_id in (None, index.agents[r])
                and scope.session_id in (None, index.sessions[r])
                for r, i in enumerate(index.ids)]

    monkeypatch.setattr("asem.stores.vector_index.SCOPES_KEPT", 3)
    layout = [("a", "s1"), ("b", "s1"), ("a", "s2"), ("b", "s2"), ("a", "s1"), ("c", "s3")]
    index = VectorIndex().patched([row(i, *layout[i]) for i in range(3)])
    scopes = [Scope("u", "a"), Scope("u", None, "s1"), Scope("u", "b", "s2"),
              Scope("u", "c")]
    for step, (adds, gone) in enumerate([((3,), ()), ((4, 5), ("n0",)), ((), ("n4",))]):
        for scope in scopes[: step + 2]:  # masks made, some dropped past the limit
            assert index.scope_mask(scope).tolist() == expected(index, scope)
        index = index.patched([row(i, *layout[i]) for i in adds], gone)
    for scope in scopes:
        assert index.scope_mask(scope).tolist() == expected(index, scope)


def view(index: VectorIndex) -> dict:
    """What the read path can ask of an index, by note id (rows aside)."""
    live = [r for r, note_id in enumerate(index.ids) if index.row_of(note_id) == r]
    labels = index.speaker_labels()
    return {"rows": {index.ids[r]: (index.embeddings[r].tobytes(), index.agents[r],
                                    sorted(index.ids[n] for n in index.turn_neighbours(r)))
                     for r in live},
            "speakers": dict(index.speakers()), "threads": dict(index.threads()),
            "replies": index.replies_to(list(index.speakers())),
            "said": {label: sorted(index.ids[r] for r in index.said_rows(frozenset({label})))
                     for label in labels},
            "last": {(t.agent_id, t.thread): index.last_turn(t.agent_id, t.thread)
                     for t in index.turns}}


def rebuilt(index: VectorIndex) -> VectorIndex:
    """The same live notes and turns in an index built from scratch."""
    live = [r for r, note_id in enumerate(index.ids) if index.row_of(note_id) == r]
    return VectorIndex([index.ids[r] for r in live], index.embeddings[live].copy(),
                       index.intents[live].copy(), [index.agents[r] for r in live],
                       [index.sessions[r] for r in live], list(index.turns))


@pytest.mark.parametrize("seed", range(4))
def test_every_index_of_a_chain_of_writes_answers_as_one_built_afresh(seed):
    """Random writes (new notes with turns, deletes, re-embedded notes, restores), each
    index built on one of the chain (mostly the newest): each one, asked at any time after,
    answers as an index built from its own notes and turns."""
    rng = random.Random(seed)

    def row(note_id: str) -> IndexRow:
        vector = np.random.default_rng(rng.randrange(10**6)).normal(size=8).astype(np.float32)
        return IndexRow(note_id, vector, vector, rng.choice(["", "bot"]), "s", (None, None))

    chain = [VectorIndex()]
    made = 0
    for _ in range(60):
        index = chain[-1] if rng.random() < 0.85 else rng.choice(chain)
        live = [i for i in dict.fromkeys(index.ids) if index.row_of(i) is not None]
        gone = [i for i in dict.fromkeys(index.ids) if i not in live]
        kind = rng.choice(["add", "add", "delete", "move", "restore", "say"])
        rows, dropped, turns = [], [], []
        if kind == "add" or not live:
            for _ in range(rng.randrange(1, 4)):
                made += 1
                rows.append(row(f"n{made}"))
                turns.append(Turn("u", "", f"c{rng.randrange(3)}",
                                  rng.choice(["Ann", "Bob", "Cy", ""]), f"n{made}"))
        elif kind == "delete":
            dropped = rng.sample(live, min(len(live), rng.randrange(1, 3)))
        elif kind == "move":
            rows = [row(i) for i in rng.sample(live, min(len(live), 2))]
        elif kind == "restore" and gone:
            rows = [row(rng.choice(gone))]
        else:
            note = rng.choice(live)
            turns = [Turn("u", "", f"c{rng.randrange(3)}", rng.choice(["Ann", "Dee"]), note)]
        chain.append(index.patched(rows, dropped, turns))
        for old in rng.sample(chain, min(len(chain), 3)):
            assert view(old) == view(rebuilt(old))
    assert all(view(index) == view(rebuilt(index)) for index in chain)
