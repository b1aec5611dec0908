"""Diversity in the top hits (asem.read.diverse) and the named speaker's notes first
(asem.read.speakers)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from asem import Memory, MemoryConfig, ReadConfig
from asem.chat import ChatTurn
from asem.providers import HashEmbedder
from asem.read.diverse import contenders, diversified
from asem.read.rank import Ranked
from asem.read.recall import _nearest_of
from asem.read.speakers import named_in, named_speakers, speaker_lifted
from asem.stores.dense import MatrixSource
from asem.stores.turns import Turn
from asem.stores.vector_index import IndexRow, VectorIndex
from asem.types import Message, ScoreParts

STAMP = datetime(2024, 5, 8, 13, 0)


def ranked(*pairs: tuple[str, float]) -> list[Ranked]:
    return [Ranked(i, s, 0.0, 0.0, ScoreParts(s, 0, 0, 0, 0, 0)) for i, s in pairs]


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float64)
    return v / np.linalg.norm(v)


def scores(hits: list[Ranked]) -> list[tuple[str, float]]:
    return [(r.note_id, round(r.score, 6)) for r in hits]


def test_a_near_duplicate_gives_its_place_to_distinct_evidence():
    pool = ranked(("a", 3.0), ("a-again", 2.9), ("b", 2.5))
    vectors = np.stack([unit(1, 0), unit(1, 0.1), unit(0, 1)])
    out = diversified(pool, vectors, ["", "", ""], places=3, weight=1.0, threshold=0.5,
                      thread_penalty=0.0)
    # cos(a, a-again) = 1/√1.01: it loses (cos − 0.5) / 0.5; b (cos 0) loses nothing
    lost = (1 / np.sqrt(1.01) - 0.5) / 0.5
    assert [r.note_id for r in out] == ["a", "b", "a-again"]
    assert [r.score for r in out] == pytest.approx([3.0, 2.5, 2.9 - lost])
    assert all(r.parts is not None and r.parts.total == pytest.approx(r.score) for r in out)
    assert out[2].parts is not None and out[2].parts.diversity == pytest.approx(-lost)


def test_below_the_threshold_nothing_moves():
    pool = ranked(("a", 3.0), ("a2", 2.9), ("b", 2.5))
    vectors = np.stack([unit(1, 0), unit(1, 1), unit(0, 1)])  # cos 0.707 at most
    assert diversified(pool, vectors, ["", "", ""], 3, 1.0, 0.75, 0.0) == pool
    assert diversified(pool, vectors, ["", "", ""], 3, 0.0, 0.5, 0.0) == pool  # off


def test_each_earlier_hit_of_the_same_conversation_costs_a_penalty():
    pool = ranked(("s1-a", 3.0), ("s1-b", 2.8), ("s1-c", 2.7), ("s2-a", 2.4))
    vectors = np.zeros((4, 2))
    out = diversified(pool, vectors, ["s1", "s1", "s1", "s2"], places=4, weight=0.0,
                      threshold=0.5, thread_penalty=0.25)
    # s1-b loses 0.25 (2.55) and still beats s2-a (2.4); s1-c then loses 0.5 (2.2)
    assert scores(out) == [("s1-a", 3.0), ("s1-b", 2.55), ("s2-a", 2.4), ("s1-c", 2.2)]


def test_notes_of_no_known_conversation_are_never_penalised_as_one():
    pool = ranked(("x", 3.0), ("y", 2.8))
    assert diversified(pool, np.zeros((2, 2)), ["", ""], 2, 0.0, 0.5, 1.0) == pool


def test_places_past_k_keep_the_order_and_pay_for_every_placed_hit():
    pool = ranked(("a", 3.0), ("a2", 2.9), ("b", 2.0), ("a3", 1.95))
    vectors = np.stack([unit(1, 0), unit(1, 0), unit(0, 1), unit(1, 0)])
    out = diversified(pool, vectors, ["", "", "", ""], places=1, weight=1.0, threshold=0.0,
                      thread_penalty=0.0)
    assert scores(out) == [("a", 3.0), ("b", 2.0), ("a2", 1.9), ("a3", 0.95)]
    assert [r.score for r in out] == sorted((r.score for r in out), reverse=True)


def test_the_first_places_do_not_depend_on_how_many_are_asked():
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(12, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    pool = ranked(*((f"n{i}", float(s)) for i, s in enumerate(sorted(rng.normal(size=12),
                                                                      reverse=True))))
    threads = [f"t{i % 3}" for i in range(12)]
    five = diversified(pool, vectors, threads, 5, 0.8, 0.2, 0.1)
    ten = diversified(pool, vectors, threads, 10, 0.8, 0.2, 0.1)
    assert [r.note_id for r in five[:5]] == [r.note_id for r in ten[:5]]
    assert [r.score for r in ten] == sorted((r.score for r in ten), reverse=True)


def index_of(turns: list[Turn]) -> VectorIndex:
    ids = list(dict.fromkeys(t.note_id for t in turns))
    return VectorIndex(ids, np.eye(len(ids), dtype=np.float32), np.eye(len(ids),
                       dtype=np.float32), [""] * len(ids), [""] * len(ids), turns)


def speakers_of(index: VectorIndex) -> dict[str, frozenset[str]]:
    return index.speakers()


def threads_of(index: VectorIndex) -> dict[str, str]:
    return index.threads()


def notes_of(labels: frozenset[str], index: VectorIndex) -> frozenset[str]:
    return frozenset(index.ids[int(r)] for r in index.said_rows(labels))


def test_threads_and_speakers_come_from_the_turns():
    index = index_of([Turn("u", "", "s1", "Ann", "a"), Turn("u", "", "s1", "Bob", "b"),
                      Turn("u", "", "s2", "Bob", "a"), Turn("u", "", "", "", "c")])
    assert threads_of(index) == {"a": "\x1fs1", "b": "\x1fs1"}  # a's first turn's
    assert speakers_of(index) == {"a": frozenset({"ann", "bob"}), "b": frozenset({"bob"})}
    assert notes_of(frozenset({"ann"}), index) == {"a"}
    assert notes_of(frozenset({"bob", "cy"}), index) == {"a", "b"}
    assert named_in("What does Ann like?", index.speaker_labels()) == {"ann"}
    # every speaker: none
    assert named_in("What do Ann and Bob share?", index.speaker_labels()) == set()


@pytest.mark.parametrize(("query", "named"), [
    ("What are Marta's hobbies?", {"marta"}),
    ("what does MARTA do with Bob", {"marta", "bob"}),
    ("What about Martas?", set()),   # another word, not the label
    ("Which books?", set()),
])
def test_a_speaker_is_named_by_a_word_that_is_their_label(query, named):
    assert named_speakers(query, frozenset({"marta", "bob"})) == named


def test_the_named_speakers_notes_rise():
    said = {"m1": frozenset({"marta"}), "b1": frozenset({"bob"}), "m2": frozenset({"marta"})}
    pool = ranked(("b1", 2.0), ("m1", 1.6), ("x", 1.5), ("m2", 0.5))
    out = speaker_lifted(pool, frozenset({"marta"}), said, 0.5)
    assert scores(out) == [("m1", 2.1), ("b1", 2.0), ("x", 1.5), ("m2", 1.0)]
    assert out[0].parts is not None and out[0].parts.speaker == 0.5
    assert out[0].parts.total == pytest.approx(2.1)
    assert speaker_lifted(pool, frozenset(), said, 0.5) == pool  # nobody named
    assert speaker_lifted(pool, frozenset({"marta"}), said, 0.0) == pool  # off


CHAT = [
    ("Marta", "I started a boxing class on Tuesdays."),
    ("Bob", "My hobby is collecting stamps, my favourite hobby."),
    ("Marta", "Piano lessons are going well."),
    ("Bob", "Nice, hobbies keep me sane."),
]


def search_turns(target, **read) -> list[str]:
    """The turns found for a question that names Marta, in ``target`` (an SQLite file or a
    PostgreSQL database: the speaker step reads the turns through either store); the chat
    is ingested once (again: its turns are known, nothing is added)."""
    config = MemoryConfig(read=ReadConfig(utility_weight=0.0, timeliness_weight=0.0,
                                          usage_weight=0.0, answer_share=0.0,
                                          context_weight=0.0, **read))
    with Memory(target, embedder=HashEmbedder(), config=config) as memory:
        memory.ingest([ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
                       for i, (speaker, text) in enumerate(CHAT, start=1)], user_id="u")
        hits = memory.search("What are Marta's hobbies?", user_id="u", k=2)
        return [h.note.provenance.turn_ids[0] for h in hits]


def test_a_broad_question_finds_the_named_speakers_turns(store_target):
    assert set(search_turns(store_target, speaker_weight=0.0)) & {"D1:2", "D1:4"}  # "hobby"
    assert sorted(search_turns(store_target, speaker_weight=10.0)) == ["D1:1", "D1:3"]


def test_the_named_speakers_nearest_notes_join_the_pool(store_target):
    # δ = 0.99 and no BM25: the channels find nothing, the speaker's pool alone does
    narrow = {"min_similarity": 0.99, "lexical_weight": 0.0}
    assert search_turns(store_target, **narrow) == []
    assert search_turns(store_target, speaker_pool=5, speaker_weight=0.0, **narrow) != []
    assert sorted(search_turns(store_target, speaker_pool=5, **narrow)) == ["D1:1", "D1:3"]
    assert len(search_turns(store_target, speaker_pool=1, **narrow)) == 1


HIKES = [
    ("Ann", "Hiking in the mountains with my dog, hiking boots on."),
    ("Bob", "Cool."),
    ("Ann", "The hiking trail in the mountains was steep and my dog loved it."),
    ("Bob", "Nice."),
    ("Ann", "Next I want to try kayaking on the lake near the mountains."),
]


def hike_turns(target, weight: float) -> list[str]:
    config = MemoryConfig(read=ReadConfig(utility_weight=0.0, timeliness_weight=0.0,
                                          usage_weight=0.0, answer_share=0.0,
                                          context_weight=0.0, speaker_weight=0.0,
                                          diversity_weight=weight, diversity_threshold=0.6))
    with Memory(target, embedder=HashEmbedder(), config=config) as memory:
        memory.ingest([ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
                       for i, (speaker, text) in enumerate(HIKES, start=1)], user_id="u")
        hits = memory.search("hiking in the mountains", user_id="u", k=3)
        assert all(h.parts is not None and h.parts.total == pytest.approx(h.score, abs=1e-9)
                   for h in hits)
        return [h.note.provenance.turn_ids[0] for h in hits]


def test_the_second_place_goes_to_a_note_that_repeats_less_of_the_first(store_target):
    assert hike_turns(store_target, 0.0) == ["D1:1", "D1:3", "D1:5"]
    assert hike_turns(store_target, 10.0) == ["D1:1", "D1:5", "D1:3"]


@pytest.mark.parametrize("seed", range(30))
def test_the_contenders_alone_give_the_same_first_places_as_the_whole_pool(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(12, 300)), int(rng.integers(1, 12))
    pool = ranked(*((f"n{i}", float(s)) for i, s in enumerate(
        np.sort(rng.normal(scale=rng.choice([0.1, 0.5, 2.0]), size=n))[::-1])))
    base = rng.normal(size=(4, 16))  # a few directions: many near-duplicate notes
    vectors = base[rng.integers(0, 4, n)] + rng.normal(scale=0.3, size=(n, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    threads = [f"t{int(t)}" for t in rng.integers(0, 5, n)]
    weight, penalty = float(rng.choice([0.25, 1.0])), float(rng.choice([0.0, 0.1]))
    kept = contenders(pool, k, weight, penalty)
    at = [int(r.note_id[1:]) for r in kept]
    assert len(kept) < n or weight + penalty * (k - 1) >= pool[k - 1].score - pool[-1].score
    whole = diversified(pool, vectors, threads, k, weight, 0.7, penalty)[:k]
    cut = diversified(kept, vectors[at], [threads[i] for i in at], k, weight, 0.7, penalty)[:k]
    assert [r.note_id for r in cut] == [r.note_id for r in whole]
    assert [r.score for r in cut] == pytest.approx([r.score for r in whole], abs=1e-12)


def test_the_turn_maps_of_an_index_are_handed_to_the_next_and_the_old_one_keeps_its_own():
    def row(note_id: str, i: int) -> IndexRow:
        vector = np.eye(8, dtype=np.float32)[i]
        return IndexRow(note_id, vector, vector, "", "s", (None, None))

    def fresh(turns):  # what a map built from every turn says
        said: dict[str, set[str]] = {}
        for t in turns:
            said.setdefault(t.note_id, set()).add(t.speaker.lower())
        return {k: frozenset(v) for k, v in said.items()}

    first = [Turn("u", "", "c1", "Ana", "n1"), Turn("u", "", "c1", "Ben", "n2")]
    old = VectorIndex().patched([row("n1", 0), row("n2", 1)], (), first)
    assert speakers_of(old) == fresh(first) and threads_of(old) == {"n1": "\x1fc1",
                                                                   "n2": "\x1fc1"}
    more = [Turn("u", "", "c2", "Cleo", "n3"), Turn("u", "", "c2", "Ana", "n2")]
    new = old.patched([row("n3", 2)], (), more)  # the maps move on to the new index
    assert new._lookups is old._lookups
    assert speakers_of(new) == fresh(first + more)
    assert named_in("What does Cleo like?", new.speaker_labels()) == {"cleo"}
    assert notes_of(frozenset({"ana"}), new) == {"n1", "n2"}
    assert new.replies_to(["n1", "n3"]) == {"n1": ("n2",), "n3": ("n2",)}
    # the old index, asked again, builds its own maps: it still sees only its turns
    assert speakers_of(old) == fresh(first) and new._lookups is not old._lookups
    assert named_in("What does Cleo like?", old.speaker_labels()) == frozenset()
    assert threads_of(new)["n3"] == "\x1fc2" and "n3" not in threads_of(old)
    assert speakers_of(new) == fresh(first + more)  # and the new one keeps its maps
    gone = new.patched((), ["n2"])  # a deleted note: no longer one of its speakers' notes
    assert notes_of(frozenset({"ana"}), gone) == {"n1"}
    assert [gone.row_of(i) for i in ("n1", "n2", "n3")] == [0, None, 2]


@pytest.mark.parametrize("seed", range(5))
def test_a_speakers_nearest_notes_are_those_of_their_visible_notes_most_similar(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    who = [str(rng.choice(["Ann", "Bob", "Cy"])) for _ in range(n)]
    ids = [f"n{i}" for i in range(n)]
    turns = [Turn("u", "", "c", w, i) for w, i in zip(who, ids, strict=True)]
    index = VectorIndex(ids, vectors, vectors, [""] * n, [""] * n, turns)
    gone = [i for i in ids if rng.random() < 0.2]
    index = index.patched((), gone)
    mask = rng.random(n) < 0.7
    query = vectors[0]
    k = int(rng.integers(1, 6))
    source = MatrixSource(index, mask)  # the speaker pool of recall: said_by, then nearest
    said = source.said_by(frozenset({"ann", "cy"}))
    found = _nearest_of(said, source.similarities(query, list(said)), k)
    sims = vectors @ query
    allowed = [i for i in range(n) if who[i] in ("Ann", "Cy") and mask[i]
               and ids[i] not in gone]
    want = sorted(allowed, key=lambda i: -sims[i])[:k]
    assert list(found) == [ids[i] for i in want]
    assert [float(s) for s in found.values()] == [float(sims[i]) for i in want]


def test_a_note_that_asks_rises_by_the_share_of_it_that_does_not():
    said = {"m1": frozenset({"marta"}), "m2": frozenset({"marta"}), "b1": frozenset({"bob"})}
    pool = ranked(("b1", 2.0), ("m1", 1.5), ("m2", 1.5))
    out = speaker_lifted(pool, frozenset({"marta"}), said, 1.0, {"m1": 0.75, "b1": 1.0})
    assert scores(out) == [("m2", 2.5), ("b1", 2.0), ("m1", 1.75)]
    assert out[2].parts is not None and out[2].parts.speaker == pytest.approx(0.25)


PAINT = [
    ("Bob", "What did you paint lately, Marta?"),
    ("Marta", "A sunset over the lake, in oils."),
    ("Marta", "I paint on Sundays when I can."),
    ("Marta", "What did you paint lately, Bob?"),
    ("Bob", "Nothing, I have no time."),
]


def paint_hits(tmp_path, **read) -> list[tuple[str, float]]:
    """(turn, the speaker part of its score), best first."""
    config = MemoryConfig(read=ReadConfig(utility_weight=0.0, timeliness_weight=0.0,
                                          usage_weight=0.0, context_weight=0.0,
                                          diversity_weight=0.0, resolve_names=False,
                                          **read))
    name = "-".join(f"{k}{v}" for k, v in sorted(read.items()))
    with Memory(tmp_path / f"paint{name}.db", embedder=HashEmbedder(),
                config=config) as memory:
        memory.ingest([ChatTurn(Message(text, speaker, STAMP, f"D1:{i}"), "session_1")
                       for i, (speaker, text) in enumerate(PAINT, start=1)], user_id="u")
        hits = memory.search("What did Marta paint lately?", user_id="u", k=5)
        return [(h.note.provenance.turn_ids[0], h.parts.speaker if h.parts else 0.0)
                for h in hits]


def test_the_reply_to_the_other_speakers_question_takes_its_share_before_the_lift(tmp_path):
    early = [t for t, _ in paint_hits(tmp_path, speaker_weight=1.0, speaker_after_answers=False,
                                      speaker_asking_discount=False)]
    late = [t for t, _ in paint_hits(tmp_path, speaker_weight=1.0, speaker_after_answers=True,
                                     speaker_asking_discount=False)]
    assert late[0] == "D1:2"  # the reply that holds the answer
    assert early.index("D1:2") > late.index("D1:2")


def test_the_named_speakers_own_question_rises_less(tmp_path):
    full = dict(paint_hits(tmp_path, speaker_weight=1.0, speaker_asking_discount=False))
    less = dict(paint_hits(tmp_path, speaker_weight=1.0, speaker_asking_discount=True))
    assert full["D1:4"] == pytest.approx(1.0)  # Marta asking Bob: all of it asks
    assert less["D1:4"] == pytest.approx(0.0)
    assert less["D1:3"] == full["D1:3"] == pytest.approx(1.0)  # what she states
    assert less.get("D1:1", 0.0) == full.get("D1:1", 0.0) == 0.0  # Bob's
