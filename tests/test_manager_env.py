"""The training environment: seeded streams, held-out templates, the frozen answerer."""

from __future__ import annotations

import pytest

from asem.manager import text
from asem.manager.env import templates
from asem.manager.env.reward import (
    EVIDENCE_TURNS,
    Costs,
    evidence_found,
    extract,
    make_reward,
    memory_cost,
)
from asem.manager.env.sim import EmbeddingCache, SimMemory, SimNote
from asem.manager.env.streams import Probe, generate
from asem.providers import HashEmbedder
from asem.types import Decision, Op, Tier


def test_streams_are_reproducible_from_their_seed():
    assert generate(7) == generate(7)
    assert generate(7).events != generate(8).events
    assert generate(7, "train").events != generate(7, "test").events


def test_training_never_sees_held_out_slots_or_chitchat():
    streams = [generate(seed) for seed in range(200)]
    assert not any(p.slot in templates.HELD_OUT_SLOTS for s in streams for p in s.final_probes)
    texts = {e.text for s in streams for e in s.events}
    assert not texts & set(templates.CHITCHAT[-templates.CHITCHAT_HELD_OUT:])


def test_training_never_sees_held_out_episodes_or_openers():
    train = [generate(seed) for seed in range(200)]
    test = [generate(seed, "test") for seed in range(50)]
    held_frames = {f[1] for f in templates.EPISODES[-templates.HELD_OUT_EPISODES:]}
    held_openers = templates.CHATTY[-templates.CHATTY_HELD_OUT:]
    train_questions = {p.question for s in train for p in s.final_probes if p.kind == "detail"}
    test_questions = {p.question for s in test for p in s.final_probes if p.kind == "detail"}
    assert train_questions and not train_questions & held_frames
    assert test_questions and test_questions <= held_frames
    assert not any(e.text.startswith(held_openers) for s in train for e in s.events)


def test_every_episode_is_probed_by_its_own_turn():
    for seed in range(30):
        stream = generate(seed)
        for probe in stream.final_probes:
            if probe.kind == "detail":
                event = stream.events[probe.turn]
                assert event.kind == "episode" and str(probe.gold).lower() in event.text.lower()


def test_test_streams_use_held_out_phrasings_and_slots():
    streams = [generate(seed, "test") for seed in range(20)]
    assert all(any(p.slot in templates.HELD_OUT_SLOTS for p in s.final_probes) for s in streams)
    train_text = {e.text for seed in range(300) for e in generate(seed).events}
    test_text = {e.text for s in streams for e in s.events if e.kind != "duplicate"}
    assert not test_text & train_text


def test_probes_follow_the_current_truth():
    for seed in range(50):
        stream = generate(seed)
        for t, event in enumerate(stream.events):
            probe = next((p for p in stream.probes_after[t] if p.slot == event.slot), None)
            if event.kind == "retracted":
                assert probe is not None and probe.gold is None
            if event.kind == "complementary":
                assert isinstance(probe.gold, frozenset) and len(probe.gold) >= 2


def test_training_says_some_changes_with_no_change_word():
    """A correction ("Actually, I work as a paramedic." of "I work as a nurse.") is said in a
    wording of the fact itself, the new value the probe's gold; test streams keep their
    held-out change wordings, with no corrective."""
    slots = {s.name: s for s in templates.SLOTS}
    plain = corrected = 0
    for seed in range(300):
        stream = generate(seed)
        for t, event in enumerate(stream.events):
            if event.kind != "changed":
                continue
            slot = slots[event.slot]
            gold = next(p.gold for p in stream.probes_after[t] if p.slot == event.slot)
            wordings = slot.novel + slot.para
            if any(event.text.lower().endswith(w.format(v=gold).lower()) for w in wordings):
                plain += 1
                corrected += event.text.startswith(templates.CORRECTIVES)
    assert plain > 20 and 0 < corrected < plain
    test = [e.text for seed in range(100) for e in generate(seed, "test").events]
    assert not any(text.startswith(templates.CORRECTIVES) for text in test)


def _probe(kind: str, gold) -> Probe:
    return Probe("q", "city", kind, gold, ("Boston", "Denver", "book club"))


@pytest.mark.parametrize(("content", "kind", "answer"), [
    ("I moved from Boston to Denver.", "single", "Denver"),
    ("I moved from Boston to Denver. Denver is sunny.", "single", "Denver"),
    # The old value is still said as current: a reader cannot tell which one holds.
    ("I live in Boston. I live in Denver now.", "single", None),
    ("I go to a book club. I stopped going to the book club.", "activity", None),
    ("I go to a book club. I stopped going to the book club.", "activity", None),
    ("Boston is nice. Denver too.", "list", frozenset({"Boston", "Denver"})),
])
def test_the_answerer_extracts_the_current_value(content, kind, answer):
    from asem.manager.env.sim import SimNote

    note = SimNote("n", content, None, Tier.LONG_TERM, frozenset(), 0)
    assert extract(_probe(kind, answer), note) == answer


def test_reward_prefers_the_memory_that_answers_and_stores_less():
    embed = EmbeddingCache(HashEmbedder())
    reward = make_reward(embed)
    probe = Probe("Which city do I live in?", "city", "single", "Denver", ("Boston", "Denver"))
    base = SimMemory().apply(Decision(Op.ADD), "I live in Boston.", "city", 0, embed)
    target = base.notes[0].id
    replaced = base.apply(Decision(Op.UPDATE, target, merged_content="I live in Denver."),
                          "I live in Denver.", "city", 1, embed)
    added = base.apply(Decision(Op.ADD), "I live in Denver.", "city", 1, embed)
    assert len(replaced.notes) == 1 and len(added.notes) == 2
    assert reward(replaced, [probe], Decision(Op.UPDATE, target)) > reward(
        added, [probe], Decision(Op.ADD))
    short = base.apply(Decision(Op.ADD, tier=Tier.SHORT_TERM), "haha", None, 1, embed)
    assert memory_cost(short) - memory_cost(base) == pytest.approx(
        Costs().per_note / 2 + Costs().per_word)


def test_merging_keeps_both_facts():
    assert text.merged("I adopted a dog named Buddy.", "I adopted another dog named Scout.") == (
        "I adopted a dog named Buddy. I adopted another dog named Scout.")
    assert text.merged("I live in Boston", "I live in Boston.") == "I live in Boston"


def _detail(turn: int) -> Probe:
    return Probe("Where did I go hiking?", f"episode:{turn}", "detail", "Bear Lake",
                 ("Bear Lake",), turn)


def test_an_episode_is_found_by_its_turn_only_near_the_top():
    alone = SimNote("e", "We hiked at Bear Lake.", None, Tier.LONG_TERM, frozenset(), 3, (3,))
    assert evidence_found(_detail(3), [alone])
    # Merged into a note that already holds many turns: its turn is read too late.
    buried = SimNote("b", "I have a dog. We hiked at Bear Lake.", None, Tier.LONG_TERM,
                     frozenset(), 3, (*range(EVIDENCE_TURNS), 3))
    assert not evidence_found(_detail(3), [buried])
    # Recorded on a note (a NOOP) that does not say the detail: not found either.
    noop = SimNote("n", "I have a dog.", None, Tier.LONG_TERM, frozenset(), 3, (0, 3))
    assert not evidence_found(_detail(3), [noop, alone])
    assert not evidence_found(_detail(3), [])


def test_notes_record_the_turns_they_stand_for():
    embed = EmbeddingCache(HashEmbedder())
    memory = SimMemory().apply(Decision(Op.ADD), "I live in Boston.", "city", 0, embed)
    target = memory.notes[0].id
    memory = memory.apply(Decision(Op.NOOP, target), "Boston is great.", "city", 1, embed)
    memory = memory.apply(Decision(Op.UPDATE, target, merged_content="I live in Denver."),
                          "I live in Denver.", "city", 2, embed)
    assert memory.notes[0].turns == (0, 1, 2)
